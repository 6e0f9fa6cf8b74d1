#!/usr/bin/env bash
# bench-compare.sh compares the hot-path Go benchmarks of the working tree
# with those of a commit, with benchstat (golang.org/x/perf):
#   scripts/bench-compare.sh [REV] [PACKAGE...]
# REV defaults to HEAD~1 (BASE in make bench-compare). COUNT runs of each
# benchmark (default 6), BENCHTIME each (default 300ms). The old tree is a
# temporary git worktree, removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rev=${1:-HEAD~1}
shift || true
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
	pkgs=(./harness/dnsclient ./harness/httpauth ./harness/sipreg ./harness/oauth ./harness/sso ./harness/xmpps2s ./harness/hybrid/... ./harness/report ./harness/runner)
fi
count=${COUNT:-6}
benchtime=${BENCHTIME:-300ms}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

work=$(mktemp -d)
cleanup() {
	git worktree remove --force "$work/old" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
git worktree add --detach -q "$work/old" "$rev"

run() { # run DIR OUT: the benchmarks of the packages that exist in DIR
	local dir=$1 out=$2 p have=()
	for p in "${pkgs[@]}"; do
		[ -d "$dir/${p%/...}" ] && have+=("$p")
	done
	(cd "$dir" && go test -run '^$' -bench . -benchmem -count "$count" -benchtime "$benchtime" "${have[@]}") | { grep -E '^(Benchmark|goos|goarch|pkg|cpu)' || true; } >"$out"
}
echo "bench-compare: $rev ($(git rev-parse --short "$rev")) against the working tree, ${count}×${benchtime} each"
short=$(git rev-parse --short "$rev")
run "$work/old" "$work/$short"
run . "$work/tree"
(cd "$work" && go run "$BENCHSTAT" "$short" tree)
