#!/usr/bin/env bash
# bench-certify.sh measures bulk Hybrid Messaging certification at scale:
# it generates a pair of exports (a UCM end-user export and a Control Hub
# users export, BENCH_USERS UCM users, default 200000, with seeded defects
# and bad rows), then certifies them with `cutover certify` (its own process, every
# report file written), checks its report against what the generator
# seeded, and prints users/s and the peak resident memory (from
# /usr/bin/time -v, else from /proc/<pid>/status VmHWM).
#
# Budget (issue 14): under 10 s and under 300 MiB on a 2-core machine.
# Exit 0 when the verdicts are right (over budget is reported, and fails
# only with BENCH_STRICT=1); 1 when a verdict is wrong; 2 on a setup error.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

USERS=${BENCH_USERS:-200000}
BUDGET_S=10
BUDGET_MIB=300

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

echo "bench-certify: building the test binaries"
go test -c -o "$work/gen.test" ./harness/hybrid/gen || exit 2
go test -c -o "$work/certify.test" ./harness/hybrid/certify || exit 2

echo "bench-certify: generating $USERS users"
mkdir -p "$work/data"
CUTOVER_HYBRID_GEN_DIR="$work/data" CUTOVER_HYBRID_GEN_USERS="$USERS" \
	"$work/gen.test" -test.run '^TestWriteBenchFiles$' >/dev/null || exit 2
ls -l "$work/data"/*.csv | awk '{printf "bench-certify:   %s %.1f MiB\n", $NF, $5/1048576}'

# The measured run is the command people run: cutover certify on the pair,
# every report file written; the verdicts are checked afterwards.
go build -o "$work/cutover" ./cmd/cutover || exit 2
mapfile -t args < <(python3 - "$work/data/truth.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for f, c in zip(m["Files"]["UCM"], m["Files"]["Clusters"]):
    print("--ucm-users"); print(f + "=" + c)
print("--webex-users"); print(m["Files"]["Webex"])
print("--imp-domain"); print(m["Truth"]["Addressing"]["DefaultDomain"])
PY
)
run=("$work/cutover" certify "${args[@]}" --report "$work/report")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s.%N)
if [ -x /usr/bin/time ]; then
	set +e
	/usr/bin/time -v "${run[@]}" >"$work/out" 2>"$work/time"
	rc=$?
	set -e
	peak_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
	cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.1f", u+s}' "$work/time")
else
	"${run[@]}" >"$work/out" 2>&1 &
	pid=$!
	peak_kib=0
	while kill -0 "$pid" 2>/dev/null; do
		hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ "${hwm:-0}" -gt "$peak_kib" ] && peak_kib=$hwm
		sleep 0.05
	done
	set +e
	wait "$pid"
	rc=$?
	set -e
	cpu="?"
fi
end=$(date +%s.%N)
grep '^certify:' "$work/out" | sed 's/^/bench-certify: /' || true
# Exit 1: some users do not route, as the generator seeded.
if [ "$rc" -ne 1 ]; then
	echo "bench-certify: FAIL: cutover certify exited $rc, want 1 (seeded defects)" >&2
	tail -20 "$work/out" >&2
	exit 1
fi
if ! CUTOVER_HYBRID_BENCH_DIR="$work/data" CUTOVER_HYBRID_BENCH_REPORT="$work/report" \
	"$work/certify.test" -test.run '^TestCertifyReportMatchesTruth$' >"$work/check" 2>&1; then
	echo "bench-certify: FAIL: the verdicts do not match the seeded defects" >&2
	tail -20 "$work/check" >&2
	exit 1
fi
grep '^certify:' "$work/check" | sed 's/^/bench-certify: /' || true
wall=$(echo "$end - $start" | bc)
peak_mib=$((peak_kib / 1024))
echo "bench-certify: process wall ${wall}s, CPU ${cpu}s, peak RSS ${peak_mib} MiB (load average before: $load_before, $(nproc) cores)"
# Sharded: the same pair in SHARDS parts (a CI matrix runs them on
# separate machines; here one after another, each timed), then merged; the
# merged files must be the unsharded run's, byte for byte.
SHARDS=${SHARDS:-4}
slowest=0
for k in $(seq 1 "$SHARDS"); do
	s0=$(date +%s.%N)
	set +e
	"$work/cutover" certify "${args[@]}" --shard "$k/$SHARDS" --report "$work/shard-$k" >"$work/shard-$k.out" 2>&1
	src=$?
	set -e
	s1=$(date +%s.%N)
	if [ "$src" -gt 1 ]; then
		echo "bench-certify: FAIL: shard $k/$SHARDS exited $src" >&2
		tail -5 "$work/shard-$k.out" >&2
		exit 1
	fi
	t=$(echo "$s1 - $s0" | bc)
	[ "$(echo "$t > $slowest" | bc)" -eq 1 ] && slowest=$t
done
m0=$(date +%s.%N)
merge=("$work/cutover" report merge --out "$work/merged")
for k in $(seq 1 "$SHARDS"); do merge+=("$work/shard-$k"); done
set +e
if [ -x /usr/bin/time ]; then
	/usr/bin/time -v "${merge[@]}" >"$work/merge.out" 2>"$work/merge.time"
else
	"${merge[@]}" >"$work/merge.out" 2>&1
fi
mrc=$?
set -e
m1=$(date +%s.%N)
if [ "$mrc" -ne 1 ]; then
	echo "bench-certify: FAIL: report merge of the shards exited $mrc, want 1" >&2
	tail -5 "$work/merge.out" >&2
	exit 1
fi
for f in hybrid-users.csv hybrid-users.json hybrid-errors.csv hybrid-rollup.json hybrid-section.html; do
	if ! cmp -s "$work/report/$f" "$work/merged/$f"; then
		echo "bench-certify: FAIL: $f merged from $SHARDS shards differs from the unsharded run's" >&2
		exit 1
	fi
done
mrss=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$work/merge.time" 2>/dev/null || true)
echo "bench-certify: $SHARDS shards: slowest shard ${slowest}s, merge $(echo "$m1 - $m0" | bc)s, merge peak RSS ${mrss:-?} MiB; merged reports equal the unsharded run's"
over=0
if [ "$(echo "$wall > $BUDGET_S" | bc)" -eq 1 ]; then
	echo "bench-certify: over the time budget of ${BUDGET_S}s (a busy machine inflates wall time; see the CPU time)"
	over=1
fi
if [ "$peak_mib" -gt "$BUDGET_MIB" ]; then
	echo "bench-certify: over the memory budget of ${BUDGET_MIB} MiB"
	over=1
fi
if [ "$over" -eq 0 ]; then
	echo "bench-certify: within budget (${BUDGET_S}s, ${BUDGET_MIB} MiB)"
elif [ "${BENCH_STRICT:-}" = 1 ]; then
	exit 1
fi
