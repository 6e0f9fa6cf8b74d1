#!/usr/bin/env bash
# fuzz.sh runs every Go native fuzzer of the module (every `func FuzzXxx`
# in a *_test.go file) for FUZZTIME each (default 5s), one at a time, and
# stops with exit 1 at the first failure. Go writes the crashing input to
# the package's testdata/fuzz/FuzzXxx/; keep it as a regression seed.
#
#   bash scripts/fuzz.sh                 # 5000 inputs per fuzzer
#   FUZZTIME=50000x bash scripts/fuzz.sh # more inputs
#   FUZZTIME=20s bash scripts/fuzz.sh    # a time budget (Go 1.26 races its own deadline: golang/go#75804)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime="${FUZZTIME:-5000x}"
mod="$(go list -m)"

# "dir name" pairs, sorted, from the test files.
mapfile -t targets < <(
	grep -rEo --include='*_test.go' --exclude-dir=testdata --exclude-dir=vendor --exclude-dir=.git \
		'^func Fuzz[A-Za-z0-9_]*\(' . |
		sed -E 's#^\./##; s#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#\1 \2#; s#^[^/ ]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#. \1#' |
		sort -u
)
if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz.sh: no fuzzers found" >&2
	exit 1
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
n=0
for t in "${targets[@]}"; do
	dir="${t% *}"
	name="${t#* }"
	pkg="./$dir"
	path="$mod/$dir"
	if [ "$dir" = "." ]; then
		pkg="."
		path="$mod"
	fi
	start=$SECONDS
	if go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg" >"$log" 2>&1; then
		execs="$(grep -Eo 'execs: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)"
		printf 'ok    %-24s %-40s %4ds  %s execs\n' "$name" "$path" $((SECONDS - start)) "${execs:-?}"
		n=$((n + 1))
	else
		printf 'FAIL  %-24s %-40s %4ds\n' "$name" "$path" $((SECONDS - start))
		# The reproducer stays in the package's testdata/fuzz/: keep it.
		sed -nE "s#^.*Failing input written to (.*)\$#reproducer: $dir/\1 (replay: go test -run='^$name\$' $pkg)#p" "$log" | sort -u
		echo "--- output (last 40 lines) ---"
		tail -n 40 "$log"
		exit 1
	fi
done
echo "fuzz.sh: $n fuzzers passed, $fuzztime each"
