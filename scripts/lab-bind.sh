#!/usr/bin/env bash
# lab-bind.sh proves lab mode against an independent DNS implementation:
# BIND 9 serves the site's inside and outside views (one named per view, on
# 127.0.0.1 with two ports: BIND binds only addresses configured on an
# interface, so views matched by 127.0.0.x destinations would bind nothing),
# the embedded fakes serve UDS and
# Expressway-E, and `cutover run` uses a lab target file that names BIND as
# the resolvers. It then publishes _cisco-uds in BIND's outside view (the
# classic split-DNS leak) and requires DISC-03 to fail.
#
# Installs bind9 from Debian's packages when named is missing (root needed).
# Exit 0 on success; 1 when a verdict is wrong; 2 when BIND cannot be had.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

LOG_PREFIX=lab-bind
. scripts/lib.sh
INSIDE_PORT=${LAB_DNS_PORT:-$(free_port)}
OUTSIDE_PORT=$(free_port "$INSIDE_PORT")
if [ -z "$INSIDE_PORT" ] || [ -z "$OUTSIDE_PORT" ] || [ "$INSIDE_PORT" = "$OUTSIDE_PORT" ]; then
	echo "lab-bind: no free loopback port pair" >&2
	exit 2
fi

if ! command -v named >/dev/null 2>&1 && [ ! -x /usr/sbin/named ] && ! install_packages bind9; then
	log "cannot install bind9: the lab proof against BIND did not run"
	exit 2
fi
NAMED=$(command -v named || echo /usr/sbin/named)

work=$(mktemp -d)
# The lab runs keep their authentication budget here, not in ~/.cache.
export CUTOVER_STATE_DIR="$work/state"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# wait_for FILE PATTERN SECONDS: poll a log for a line, with a deadline.
wait_for() {
	local deadline=$((SECONDS + $3))
	until grep -q "$2" "$1" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			echo "lab-bind: timed out waiting for '$2' in $1:" >&2
			tail -20 "$1" >&2
			exit 1
		fi
		sleep 0.1
	done
}

go build -o "$work/cutover" ./cmd/cutover

"$work/cutover" fakes --write-target "$work/site.yaml" --write-zones "$work" \
	--resolver-inside "127.0.0.1:$INSIDE_PORT" --resolver-outside "127.0.0.1:$OUTSIDE_PORT" >"$work/fakes.log" 2>&1 &
pids+=($!)
wait_for "$work/fakes.log" '^serving' 30
while read -r line; do export "${line#export }"; done < <(grep '^export ' "$work/fakes.log")

# start_named VIEW PORT: one authoritative named for one view.
declare -A named_pid
start_named() {
	local view=$1 port=$2 dir="$work/$1"
	mkdir -p "$dir"
	cat >"$dir/named.conf" <<EOF
options {
	directory "$dir";
	pid-file "$dir/named.pid";
	session-keyfile "$dir/session.key";
	listen-on port $port { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	allow-query { 127.0.0.0/8; };
	dnssec-validation no;
};
controls { };
zone "example.com" { type primary; file "$work/$view.zone"; };
EOF
	: >"$dir/named.log"
	"$NAMED" -g -c "$dir/named.conf" >"$dir/named.log" 2>&1 &
	named_pid[$view]=$!
	pids+=("$!")
	wait_for "$dir/named.log" 'running$' 30
}

start_named inside "$INSIDE_PORT"
start_named outside "$OUTSIDE_PORT"
echo "lab-bind: $("$NAMED" -v) serves the inside view on 127.0.0.1:$INSIDE_PORT and the outside view on 127.0.0.1:$OUTSIDE_PORT"

echo "lab-bind: lab run, resolvers = BIND, everything else = the fakes"
if ! "$work/cutover" run --target "$work/site.yaml" --tags @discovery; then
	echo "lab-bind: FAIL: the healthy site served by BIND must pass every discovery check" >&2
	exit 1
fi

echo "lab-bind: publish _cisco-uds in BIND's outside view (split-DNS leak): DISC-03 must fail"
grep '^_cisco-uds._tcp.example.com. ' "$work/inside.zone" >>"$work/outside.zone"
kill "${named_pid[outside]}"
wait "${named_pid[outside]}" 2>/dev/null || true
start_named outside "$OUTSIDE_PORT"
set +e
"$work/cutover" run --target "$work/site.yaml" --tags '@DISC-03' >"$work/leak.out" 2>&1
code=$?
set -e
cat "$work/leak.out"
if [ "$code" -ne 1 ] || ! grep -Eq '^  FAIL +DISC-03 ' "$work/leak.out"; then
	echo "lab-bind: FAIL: want exit 1 with DISC-03 failing against the leaking BIND, got exit $code" >&2
	exit 1
fi
echo "lab-bind: PASS (lab mode against BIND: healthy passes, leak caught)"
