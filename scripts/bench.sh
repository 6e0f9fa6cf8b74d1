#!/usr/bin/env bash
# bench.sh (make bench) measures the suite and its fakes on this machine in
# one run and prints one table, each of our figures beside a real server's
# doing the same work where there is one, as a ratio:
#
#   - the whole embedded suite (cutover run) and its five slowest checks;
#   - cutover selftest (every fault of the catalogue);
#   - the DNS fake beside BIND 9 serving the same zone, with dnsperf, UDP
#     and TCP;
#   - the SIP registrar fake beside Kamailio doing the same RFC 8898 bearer
#     exchange, with sipp (Debian's sip-tester) over UDP;
#   - two of our s2s fakes beside two Prosody instances, federated
#     messages over one s2s stream (scripts/bench-xmpp.sh);
#   - bulk Hybrid Messaging certification of a 200,000-user export pair
#     (scripts/bench-certify.sh);
#   - the containers target (scripts/bench-containers.sh), when Docker
#     answers.
#
# Real servers are installed with apt-get when missing (root needed), run
# only on 127.0.0.1 with configurations written into a temporary directory,
# and stopped by the PIDs this script started. Load is bounded in count and
# time. Measurements, never assertions: a goal missed is shown in the
# table, and the script fails only when something did not run.
#
# Usage: scripts/bench.sh [--quick]   (--quick: fewer queries and calls)
# BENCH_PARTS=suite,selftest,dns,sip,xmpp,certify,containers (the default)
# picks parts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
DNS_SECONDS=10
SIP_CALLS=20000
XMPP_MESSAGES=20000
# The DNS and SIP loads run ROUNDS times (BENCH_ROUNDS, default 3), ours
# and the real server's in turn, and the table shows each one's median:
# on 2 cores one run of either varies by 10% or more.
ROUNDS=${BENCH_ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_ROUNDS must be a number >= 1" >&2; exit 2; }
if [ $QUICK -eq 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-1}
	DNS_SECONDS=3
	SIP_CALLS=3000
	XMPP_MESSAGES=2000
fi

LOG_PREFIX=bench
. scripts/lib.sh
work=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT




# secs CMD...: run CMD quietly, print its wall time in seconds.
secs() {
	local s e
	s=$(date +%s.%N)
	"$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; return 1; }
	e=$(date +%s.%N)
	printf '%.2f' "$(echo "$e - $s" | bc)"
}

# median N...: the middle value (the lower of the two middle ones), empty
# when any value is empty (a run that did not report).
median() {
	local v
	for v in "$@"; do [ -n "$v" ] || return 0; done
	printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}x' if b>0 else '-')" "$1" "$2"; }

PARTS=",${BENCH_PARTS:-suite,selftest,dns,sip,xmpp,certify,containers},"
part() { [[ $PARTS == *",$1,"* ]]; }

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 |"); }

cores=$(nproc)
machine="${CUTOVER_MACHINE_KIND:-$(uname -s) $(uname -m)}, $cores cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
log "machine: $machine; go $(go env GOVERSION)"

go build -o "$work/cutover" ./cmd/cutover

# 1. The whole embedded suite, and its five slowest checks.
if part suite; then
log "embedded suite"
"$work/cutover" run --quiet >/dev/null 2>&1 || true # warm the page cache
suite=$(secs "$work/cutover" run --quiet --report "$work/run")
slow=$(python3 - "$work/run/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cs = sorted(r["checks"], key=lambda c: -c["duration_ns"])[:5]
print(", ".join(f'{c["id"]} {c["duration_ns"]/1e6:.0f} ms' for c in cs))
print(len(r["checks"]))
PY
)
nchecks=$(tail -1 <<<"$slow")
row "embedded suite, \`cutover run\` ($nchecks checks)" "${suite} s" "" "" "< 2 s"
row "five slowest checks" "$(head -1 <<<"$slow")" "" "" ""
fi

# 2. selftest: every fault of the catalogue.
if part selftest; then
log "selftest"
nfaults=$("$work/cutover" list --faults 2>/dev/null | grep -c . || true)
st=$(secs "$work/cutover" selftest)
row "\`cutover selftest\` ($nfaults faults)" "${st} s" "" "" "< 30 s"
fi

# 3. DNS: our fake beside BIND 9, same zone, dnsperf over UDP and TCP.
if ! part dns; then :
elif install_packages bind9 dnsperf; then
	log "DNS: dnsperf against the fake and BIND 9 (${DNS_SECONDS}s each, per transport)"
	zone="$work/example.com.zone"
	{
		echo '$ORIGIN example.com.'
		echo '$TTL 300'
		echo '@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300'
		echo '@ IN NS ns1.example.com.'
		echo 'ns1 IN A 127.0.0.1'
		for i in 1 2 3; do echo "ucm$i IN A 127.0.1.$i"; done
		echo '_cisco-uds._tcp IN SRV 10 50 8443 ucm1.example.com.'
		echo '_cisco-uds._tcp IN SRV 20 50 8443 ucm2.example.com.'
		echo '_cisco-uds._tcp IN SRV 30 50 8443 ucm3.example.com.'
		echo '_cuplogin._tcp IN SRV 10 50 8443 imp1.example.com.'
		echo 'imp1 IN A 127.0.1.20'
	} >"$zone"
	printf '_cisco-uds._tcp.example.com SRV\nucm1.example.com A\n_cuplogin._tcp.example.com SRV\nucm2.example.com AAAA\nnothere.example.com A\n' >"$work/queries"
	fport=$(free_port)
	go test -c -o "$work/dnsfake.test" ./harness/dnsfake
	CUTOVER_BENCH_DNS_ZONE="$zone" CUTOVER_BENCH_DNS_ADDR="127.0.0.1:$fport" \
		"$work/dnsfake.test" -test.run '^TestServeForBench$' -test.v >"$work/fake.log" 2>&1 &
	pids+=($!)
	wait_port "$fport" "${pids[-1]}" "the DNS fake"
	bport=$(free_port)
	mkdir -p "$work/bind"
	cat >"$work/bind/named.conf" <<EOT
options {
	directory "$work/bind";
	pid-file "$work/bind/named.pid";
	session-keyfile "$work/bind/session.key";
	listen-on port $bport { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	allow-query { 127.0.0.1; };
	minimal-responses yes;
};
controls { };
zone "example.com" { type primary; file "$zone"; };
EOT
	named -g -c "$work/bind/named.conf" >"$work/named.log" 2>&1 &
	pids+=($!)
	wait_port "$bport" "${pids[-1]}" "BIND"
	qps() { # qps PORT MODE
		dnsperf -s 127.0.0.1 -p "$1" -m "$2" -d "$work/queries" -l "$DNS_SECONDS" -c 8 -q 500 2>&1 |
			awk '/Queries per second:/ {printf "%.0f", $4}'
	}
	for mode in udp tcp; do
		ro=() rb=()
		for _ in $(seq "$ROUNDS"); do
			ro+=("$(qps "$fport" "$mode" || true)")
			rb+=("$(qps "$bport" "$mode" || true)")
		done
		log "DNS ${mode^^} rounds: ours ${ro[*]}; BIND ${rb[*]}"
		ours=$(median "${ro[@]}") bind=$(median "${rb[@]}")
		row "DNS fake, dnsperf over ${mode^^} (queries/s)" "$ours" "BIND $(named -v | awk '{print $2}' | cut -d- -f1): $bind" "$(ratio "$ours" "$bind")" ">= 1.2x"
	done
else
	row "DNS fake vs BIND 9" "not measured" "bind9 or dnsperf could not be installed" "" ">= 1.2x"
fi

# 4. SIP: our registrar fake beside Kamailio, sipp over UDP, RFC 8898 bearer.
if ! part sip; then :
elif install_packages sip-tester kamailio; then
	log "SIP: sipp against the registrar fake and Kamailio ($SIP_CALLS calls each)"
	SIPP=$(command -v sipp || echo /usr/bin/sipp)
	go test -c -o "$work/sipreg.test" ./harness/sipreg
	kport=$(free_port)
	tok="kam.$(openssl rand -hex 16)"
	MPATH=$(dirname "$(dpkg -L kamailio | grep -m1 '/modules/sl\.so$')")
	cat >"$work/kamailio.cfg" <<EOT
#!KAMAILIO
debug=1
log_stderror=yes
children=$cores
listen=udp:127.0.0.1:$kport
auto_aliases=no
alias="ucm1.example.com"
mpath="$MPATH/"
loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "htable.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
modparam("htable", "htable", "tokens=>size=4;")
modparam("usrloc", "db_mode", 0)
event_route[htable:mod-init] {
	\$sht(tokens=>$tok) = "alice";
}
request_route {
	if (!is_present_hf("Authorization") || \$(hdr(Authorization){s.substr,0,7}) != "Bearer ") {
		append_to_reply("WWW-Authenticate: Bearer realm=\"ucm1.example.com\", scope=\"sip:register\", authz_server=\"https://ucm1.example.com:8443/ssosp/oauth\"\r\n");
		sl_send_reply("401", "Unauthorized");
		exit;
	}
	\$var(tok) = \$(hdr(Authorization){s.substr,7,0});
	if (\$sht(tokens=>\$var(tok)) != \$tU) {
		append_to_reply("WWW-Authenticate: Bearer realm=\"ucm1.example.com\", error=\"invalid_token\"\r\n");
		sl_send_reply("401", "Unauthorized");
		exit;
	}
	if (!save("location")) { sl_reply_error(); }
	exit;
}
EOT
	mkdir -p "$work/kam"
	kamailio -DD -E -f "$work/kamailio.cfg" -Y "$work/kam" >"$work/kamailio.log" 2>&1 &
	pids+=($!)
	kam=""
	for _ in $(seq 100); do
		grep -q "udp:127.0.0.1:$kport" "$work/kamailio.log" 2>/dev/null && break
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	sippload() { # sippload PEER [TOKEN]: REGISTER/s of one sipp run
		(cd harness/sipreg && CUTOVER_INTEROP_SIPP="$SIPP" CUTOVER_BENCH_SIPP_PEER="$1" CUTOVER_BENCH_SIPP_TOKEN="${2:-}" \
			CUTOVER_BENCH_SIPP_CALLS=$SIP_CALLS "$work/sipreg.test" -test.run '^TestSippLoad$' -test.v 2>&1 | awk '/^REGISTER\/s/ {print $2}')
	}
	ours="" kam=""
	if kill -0 "${pids[-1]}" 2>/dev/null; then
		ro=() rk=()
		for _ in $(seq "$ROUNDS"); do
			ro+=("$(sippload fake || true)")
			rk+=("$(sippload "127.0.0.1:$kport" "$tok" || true)")
		done
		log "SIP rounds: ours ${ro[*]}; Kamailio ${rk[*]}"
		ours=$(median "${ro[@]}") kam=$(median "${rk[@]}")
	fi
	if [ -n "$ours" ] && [ -n "$kam" ]; then
		row "SIP registrar fake, sipp over UDP (REGISTER/s)" "$ours" "Kamailio $(kamailio -v | awk 'NR==1 {print $3}'): $kam" "$(ratio "$ours" "$kam")" ">= 1.0x"
	else
		row "SIP registrar fake vs Kamailio" "${ours:-failed}" "${kam:-failed}" "" ">= 1.0x"
	fi
else
	row "SIP registrar fake vs Kamailio" "not measured" "sip-tester or kamailio could not be installed" "" ">= 1.0x"
fi

# 5. XMPP s2s: two of our fakes beside two Prosody instances, one stream.
if part xmpp; then
	log "XMPP: federated messages over one s2s stream, ours and Prosody's"
	if out=$(BENCH_XMPP_MESSAGES=$XMPP_MESSAGES bash scripts/bench-xmpp.sh 2>"$work/xmpp.log"); then
		ours=$(awk '/^ours/ {print $2}' <<<"$out")
		pros=$(awk '/^prosody / {print $2}' <<<"$out")
		row "s2s fakes, one stream, SASL EXTERNAL (messages/s)" "$ours" "Prosody $(awk '/^prosody-version/ {print $2}' <<<"$out") to Prosody: $pros" "$(ratio "$ours" "$pros")" ">= 3x"
	else
		row "s2s fakes vs two Prosody instances" "failed" "$(tail -1 "$work/xmpp.log")" "" ">= 3x"
		failed=1
	fi
fi

# 6. Bulk Hybrid Messaging certification.
if ! part certify; then :
elif log "certify: 200,000 users" && out=$(bash scripts/bench-certify.sh 2>&1); then
	line=$(grep 'process wall' <<<"$out" || true)
	wall=$(sed -n 's/.*process wall \([0-9.]*\)s.*/\1/p' <<<"$line" | xargs printf '%.2f')
	rss=$(sed -n 's/.*peak RSS \([0-9]*\) MiB.*/\1/p' <<<"$line")
	users=$(sed -n 's/.*certify: \([0-9]*\) users in .*/\1/p' <<<"$out" | head -1)
	ups=$(python3 -c "import sys; print(f'{int(sys.argv[2])/float(sys.argv[1]):,.0f}')" "${wall:-0}" "${users:-0}" 2>/dev/null || echo "?")
	row "\`cutover certify\` on ${users:-?} users (users/s, peak RSS)" "$ups users/s, ${wall} s, ${rss} MiB" "" "" "< 10 s, < 300 MiB"
	if sh=$(grep 'shards: slowest shard' <<<"$out"); then
		n=$(sed -n 's/.*bench-certify: \([0-9]*\) shards.*/\1/p' <<<"$sh")
		slow=$(sed -n 's/.*slowest shard \([0-9.]*\)s.*/\1/p' <<<"$sh" | xargs printf '%.2f')
		mw=$(sed -n 's/.*merge \([0-9.]*\)s.*/\1/p' <<<"$sh" | xargs printf '%.2f')
		mr=$(sed -n 's/.*merge peak RSS \([0-9?]*\) MiB.*/\1/p' <<<"$sh")
		row "same pair, \`--shard K/$n\` (slowest shard) and \`report merge\` (merged files equal the unsharded run's)" "${slow} s; merge ${mw} s, ${mr} MiB" "" "" ""
	fi
else
	row "certify 200,000 users" "failed" "" "" "< 10 s, < 300 MiB"
	failed=1
	log "$out"
fi

# 7. Containers.
if ! part containers; then :
elif docker info >/dev/null 2>&1; then
	log "containers (image cold and warm, start)"
	if out=$(sh scripts/bench-containers.sh 1 2>&1); then
		cold=$(sed -n 's/^end to end, cold[^:]*:[[:space:]]*\([0-9.]*\) s/\1/p' <<<"$out" | xargs printf '%.1f')
		warm=$(sed -n 's/^end to end, warm[^:]*:[[:space:]]*\([0-9.]*\) s/\1/p' <<<"$out" | xargs printf '%.1f')
		start=$(awk '/^BenchmarkStart/ {printf "%.1f", $3/1e9}' <<<"$out")
		row "containers target, end to end (cold image, warm image)" "${cold} s, ${warm} s" "" "" ""
		row "containers target, start of every fake (image built)" "${start} s" "" "" "< 10 s"
	else
		row "containers target" "failed" "" "" "< 10 s"
		failed=1
		log "$out"
	fi
else
	row "containers target" "not measured" "no Docker engine answers" "" "< 10 s"
fi

echo
echo "Measured $(date -u +%Y-%m-%d) on $machine:"
echo
echo "| measure | cutover | real server | ratio | goal |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit "${failed:-0}"
