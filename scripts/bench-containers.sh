#!/bin/sh
# bench-containers.sh measures the containers target on this machine:
#   1. end to end, fully cold: no cutover-fake image, empty Go build cache
#      for the fake (the cutover CLI itself is prebuilt);
#   2. end to end, warm: the image exists and is reused;
#   3. BenchmarkImage (cold = docker build with a warm Go cache, warm =
#      reuse) and BenchmarkStart (whole site, containers in parallel).
# It removes every cutover-fake image first. Needs a Docker engine.
# Usage: scripts/bench-containers.sh [N]   (N benchmark iterations, default 3)
set -eu
cd "$(dirname "$0")/.."
n=${1:-3}
docker info >/dev/null 2>&1 || { echo "bench-containers: no Docker engine answers" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/cutover" ./cmd/cutover
go test -c -o "$tmp/containers.test" ./harness/containers

secs() { # secs CMD...: run CMD, print its wall time in seconds
	s=$(date +%s.%N)
	"$@" >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
	e=$(date +%s.%N)
	echo "$e - $s" | bc
}

docker images -q cutover-fake | sort -u | xargs -r docker rmi -f >/dev/null
echo "end to end, cold (no image, empty Go cache): $(GOCACHE="$tmp/gocache" secs "$tmp/cutover" run --target containers) s"
echo "end to end, warm (image reused):             $(secs "$tmp/cutover" run --target containers) s"
echo "end to end, embedded (for comparison):       $(secs "$tmp/cutover" run --target embedded) s"
cd harness/containers
"$tmp/containers.test" -test.run '^$' -test.bench 'Benchmark(Image|Start)' -test.benchtime "${n}x" 2>/dev/null | grep -E '^Benchmark'
