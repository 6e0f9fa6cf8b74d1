#!/usr/bin/env bash
# Interop proof for harness/xmpps2s against Debian's Prosody: Prosody serves
# example.com on loopback, our partner fake (example.net) runs inside
# `go test`, and the SRV records of both domains come from a dnsfake the test
# starts, which Prosody's libunbound (lua-unbound) forwards every query to.
# Messages go each way twice: once with SASL EXTERNAL (one CA signs both
# certificates, s2s_secure_auth = true, our side requires authenticated
# TLS), once with dialback (certificates from CAs the other side does not
# trust, s2s_secure_auth = false). Then (xfed) the XFED checks run through
# the CLI in lab mode with Prosody as example.com's federation host
# (TestInteropProsodyXFED); ONLY_XFED=1 runs that alone.
#
# Usage: scripts/interop-prosody.sh        (as root: it may apt-get install)
# Installs prosody and lua-unbound when missing (a policy-rc.d keeps the
# Debian service from starting), starts Prosody only on 127.0.0.1 with a
# config written into a temp dir, records the PIDs it started and stops only
# those on exit. Domains are example.com/example.net: libunbound keeps no
# local zone for them (unlike *.test, RFC 6761), so no local-zone is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'interop-prosody: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || die "run as root (apt-get, runuser)"
	SUDO="sudo"
fi

# --- packages -------------------------------------------------------------
need=()
command -v prosody >/dev/null 2>&1 || need+=(prosody)
dpkg -s lua-unbound >/dev/null 2>&1 || need+=(lua-unbound)
if [ "${#need[@]}" -gt 0 ]; then
	log "installing ${need[*]}"
	made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod +x /usr/sbin/policy-rc.d
		made_policy=1
	fi
	apt_install() {
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			-o DPkg::Lock::Timeout=300 --no-install-recommends "${need[@]}" >/dev/null
	}
	if ! apt_install; then
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null
		apt_install
	fi
	if [ "$made_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi
command -v go >/dev/null || die "go is not installed"
log "$(dpkg-query -W -f='${Package} ${Version}  ' prosody lua-unbound 2>/dev/null)"

# --- ports ----------------------------------------------------------------
tcp_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
udp_busy() { command -v ss >/dev/null && ss -Hlun "sport = :$1" | grep -q .; }
used=" "
EPHEMERAL_LOW=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "${EPHEMERAL_LOW:-0}" -gt 20100 ] 2>/dev/null || EPHEMERAL_LOW=40000
pick_port() {
	local p
	for _ in $(seq 200); do
		# Under the ephemeral range: no client's source port takes it
		# between this look and the server's bind.
		p=$((20000 + RANDOM % (EPHEMERAL_LOW - 20000)))
		case "$used" in *" $p "*) continue ;; esac
		if ! tcp_busy "$p" && ! udp_busy "$p"; then
			used="$used$p "
			echo "$p"
			return
		fi
	done
	die "no free port"
}
DNS_PORT=$(pick_port)
PARTNER_PORT=$(pick_port)
S2S_PORT=$(pick_port)
C2S_PORT=$(pick_port)
log "ports: dns $DNS_PORT (udp+tcp), partner s2s $PARTNER_PORT, prosody s2s $S2S_PORT c2s $C2S_PORT"

# --- temp dir, cleanup ----------------------------------------------------
DIR=$(mktemp -d /tmp/cutover-prosody.XXXXXX)
chmod 755 "$DIR"
PIDS=()
cleanup() {
	local rc=$?
	for pid in "${PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			$SUDO kill "$pid" 2>/dev/null || true
		fi
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && $SUDO kill -9 "$pid" 2>/dev/null || true
	done
	if [ "$rc" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$DIR"; else log "kept $DIR"; fi
	exit "$rc"
}
trap cleanup EXIT

log "writing certificates"
CUTOVER_INTEROP_PROSODY_SETUP="$DIR" go test -count=1 -run '^TestInteropProsodySetup$' ./harness/xmpps2s >/dev/null \
	|| die "certificate setup failed"

PASS="interop-$RANDOM$RANDOM"

run_mode() {
	local mode=$1 secure=$2 d="$DIR/$1"
	mkdir -p "$d/data"
	cat >"$d/prosody.cfg.lua" <<EOF
-- written by scripts/interop-prosody.sh ($mode)
data_path = "$d/data"
pidfile = "$d/prosody.pid"
log = { { levels = { min = "debug" }, to = "file", filename = "$d/prosody.log" } }
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_interfaces = { "127.0.0.1" }
s2s_interfaces = { "127.0.0.1" }
c2s_ports = { $C2S_PORT }
s2s_ports = { $S2S_PORT }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
legacy_ssl_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster", "saslauth", "tls", "dialback", "disco", "ping" }
modules_disabled = { "s2s_bidi" }
authentication = "internal_plain"
allow_registration = false
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = $secure
ssl = { cafile = "$d/ca.pem" }
unbound = { forward = { "127.0.0.1@$DNS_PORT" }, resolvconf = false, hoststxt = false }
VirtualHost "example.com"
	ssl = { certificate = "$d/prosody.crt", key = "$d/prosody.key", cafile = "$d/ca.pem" }
EOF
	chown -R prosody:prosody "$d"
	$SUDO runuser -u prosody -- prosodyctl --config "$d/prosody.cfg.lua" register alice example.com "$PASS" \
		>"$d/prosodyctl.log" 2>&1 || { cat "$d/prosodyctl.log" >&2; die "$mode: prosodyctl register failed"; }
	$SUDO runuser -u prosody -- prosody -F --config "$d/prosody.cfg.lua" >"$d/stdout.log" 2>&1 &
	local runner=$!
	PIDS+=("$runner")
	local up=0
	for _ in $(seq 100); do
		if ! kill -0 "$runner" 2>/dev/null; then
			tail -20 "$d/stdout.log" "$d/prosody.log" >&2 || true
			die "$mode: prosody exited"
		fi
		if tcp_busy "$S2S_PORT" && tcp_busy "$C2S_PORT"; then up=1; break; fi
		sleep 0.2
	done
	[ "$up" = 1 ] || die "$mode: prosody does not listen on $S2S_PORT/$C2S_PORT"
	for c in $(pgrep -P "$runner" || true); do PIDS+=("$c"); done
	log "$mode: prosody up (pids ${PIDS[*]}), s2s_secure_auth = $secure"

	local rc=0
	CUTOVER_INTEROP_PROSODY="$DIR" CUTOVER_INTEROP_MODE="$mode" \
		CUTOVER_INTEROP_DNS="127.0.0.1:$DNS_PORT" CUTOVER_INTEROP_PARTNER="127.0.0.1:$PARTNER_PORT" \
		CUTOVER_INTEROP_PROSODY_S2S="$S2S_PORT" CUTOVER_INTEROP_PROSODY_C2S="127.0.0.1:$C2S_PORT" \
		CUTOVER_INTEROP_PASSWORD="$PASS" \
		go test -count=1 -v -run '^TestInteropProsody$' ./harness/xmpps2s >"$d/go-test.log" 2>&1 || rc=$?
	grep -E 'INTEROP|interop_test.go|--- (PASS|FAIL)' "$d/go-test.log" | sed "s/^/  go: /" >&2 || true
	grep -E -i 'authenticat|dialback|secure|external|s2sout.*(connected|established)|Certificate for' "$d/prosody.log" \
		| grep -v -i 'debug.*stanza' | cut -c1-200 | tail -8 | sed "s/^/  prosody: /" >&2 || true
	for pid in "${PIDS[@]}"; do $SUDO kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	done
	PIDS=()
	if [ "$rc" -ne 0 ]; then
		tail -40 "$d/go-test.log" >&2
		KEEP=1
		die "$mode: interop test failed (logs in $d)"
	fi
	log "$mode: PASS"
}

# --- xfed: the XFED checks through the CLI in lab mode --------------------
# Prosody is example.com's federation host before the cutover, on
# $PROSODY_IP:5269 (the port the checks demand); TestInteropProsodyXFED
# plays the partner example.net on $PARTNER_IP:5269 with its federation test
# agent, serves both domains from a dnsfake, answers as alice over c2s and
# runs `cutover run --target <lab target> --tags @xmpp`.
PROSODY_IP=127.0.77.1
PARTNER_IP=127.0.77.2
# run_xfed [broken]: with "broken", Prosody presents the partner's
# certificate (example.net) on s2s for example.com, a certificate for
# another name, and exactly $XFED_BROKEN_FAILS must fail (its c2s keeps the
# right one, so alice still signs in).
XFED_BROKEN_FAILS=${XFED_BROKEN_FAILS:-XFED-07,XFED-10}
run_xfed() {
	local d="$DIR/xfed${1:+-$1}" ext="$DIR/external" cert=prosody wantfail=""
	if [ "${1:-}" = broken ]; then cert=partner wantfail=$XFED_BROKEN_FAILS; fi
	for a in "$PROSODY_IP" "$PARTNER_IP"; do
		if (exec 3<>"/dev/tcp/$a/5269") 2>/dev/null; then die "xfed: $a:5269 is in use"; fi
	done
	mkdir -p "$d/data"
	cat >"$d/prosody.cfg.lua" <<EOF
-- written by scripts/interop-prosody.sh (xfed)
data_path = "$d/data"
pidfile = "$d/prosody.pid"
log = { { levels = { min = "debug" }, to = "file", filename = "$d/prosody.log" } }
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_interfaces = { "127.0.0.1" }
s2s_interfaces = { "$PROSODY_IP" }
c2s_ports = { $C2S_PORT }
s2s_ports = { 5269 }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
legacy_ssl_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster", "saslauth", "tls", "dialback", "disco", "ping" }
modules_disabled = { "s2s_bidi" }
authentication = "internal_plain"
allow_registration = false
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = true
ssl = { cafile = "$ext/ca.pem" }
unbound = { forward = { "127.0.0.1@$DNS_PORT" }, resolvconf = false, hoststxt = false }
VirtualHost "example.com"
	ssl = { certificate = "$ext/prosody.crt", key = "$ext/prosody.key", cafile = "$ext/ca.pem" }
	s2s_ssl = { certificate = "$ext/$cert.crt", key = "$ext/$cert.key", cafile = "$ext/ca.pem" }
EOF
	chown -R prosody:prosody "$d"
	$SUDO runuser -u prosody -- prosodyctl --config "$d/prosody.cfg.lua" register alice example.com "$PASS" \
		>"$d/prosodyctl.log" 2>&1 || { cat "$d/prosodyctl.log" >&2; die "xfed: prosodyctl register failed"; }
	$SUDO runuser -u prosody -- prosody -F --config "$d/prosody.cfg.lua" >"$d/stdout.log" 2>&1 &
	local runner=$!
	PIDS+=("$runner")
	local up=0
	for _ in $(seq 100); do
		if ! kill -0 "$runner" 2>/dev/null; then
			tail -20 "$d/stdout.log" "$d/prosody.log" >&2 || true
			die "xfed: prosody exited"
		fi
		if (exec 3<>"/dev/tcp/$PROSODY_IP/5269") 2>/dev/null && tcp_busy "$C2S_PORT"; then up=1; break; fi
		sleep 0.2
	done
	[ "$up" = 1 ] || die "xfed: prosody does not listen on $PROSODY_IP:5269/$C2S_PORT"
	for c in $(pgrep -P "$runner" || true); do PIDS+=("$c"); done
	log "xfed: prosody up on $PROSODY_IP:5269 (pids ${PIDS[*]})"
	local rc=0
	CUTOVER_INTEROP_XFED="$DIR" CUTOVER_INTEROP_DNS="127.0.0.1:$DNS_PORT" \
		CUTOVER_INTEROP_PROSODY_ADDR="$PROSODY_IP" CUTOVER_INTEROP_PARTNER_ADDR="$PARTNER_IP" \
		CUTOVER_INTEROP_PROSODY_C2S="127.0.0.1:$C2S_PORT" CUTOVER_INTEROP_PASSWORD="$PASS" \
		CUTOVER_INTEROP_XFED_WANT_FAIL="$wantfail" \
		go test -count=1 -v -timeout 6m -run '^TestInteropProsodyXFED$' ./harness/xmpps2s >"$d/go-test.log" 2>&1 || rc=$?
	grep -E 'INTEROP|--- (PASS|FAIL)|want ' "$d/go-test.log" | sed "s/^/  go: /" >&2 || true
	for pid in "${PIDS[@]}"; do $SUDO kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	done
	PIDS=()
	if [ "$rc" -ne 0 ]; then
		tail -60 "$d/go-test.log" >&2
		KEEP=1
		die "xfed: the XFED checks did not pass against Prosody (logs in $d)"
	fi
	log "xfed${1:+ ($1)}: PASS${wantfail:+ (failing as they must: $wantfail)}"
}

if [ -n "${ONLY_XFED:-}" ]; then
	run_xfed
	run_xfed broken
	log "PASS: the XFED checks through the CLI against Prosody"
	exit 0
fi
if [ -z "${ONLY_DIALBACK:-}" ]; then run_mode external true; fi
run_mode dialback false
if [ -z "${SKIP_XFED:-}" ]; then # scripts/lab/run.sh runs the XFED part (ONLY_XFED=1)
	run_xfed
	run_xfed broken
fi
log "PASS: messages exchanged each way with Prosody, with SASL EXTERNAL and with dialback; the XFED checks pass through the CLI in lab mode"
