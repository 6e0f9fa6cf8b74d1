#!/usr/bin/env bash
# bench-xmpp.sh measures federated 1:1 messages per second over one s2s
# stream: between two of our s2s fakes (BenchmarkFederatedMessages, SASL
# EXTERNAL, counted when delivered) and between two Prosody instances
# (example.net → example.com, SASL EXTERNAL with one CA, c2s clients on
# both ends, counted when alice has received them), on 127.0.0.1, for
# scripts/bench.sh. Prints "ours N", "prosody N" and "prosody-version V".
#
# Installs prosody and lua-unbound when missing (root needed; a
# policy-rc.d keeps the Debian service from starting); runs the two
# Prosodies as the prosody user with configurations in a temporary
# directory and stops only the PIDs it started. Exit 2 when Prosody cannot
# be had, 1 when a measurement fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${BENCH_XMPP_MESSAGES:-20000}
LOG_PREFIX=bench-xmpp
. scripts/lib.sh
[ "$(id -u)" -eq 0 ] || { log "run as root (apt-get, runuser)"; exit 2; }

install_packages prosody lua-unbound || { log "cannot install prosody and lua-unbound"; exit 2; }
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
		if ! tcp_busy "$p" && ! (command -v ss >/dev/null && ss -Hlun "sport = :$p" | grep -q .); then
			used="$used$p "
			echo "$p"
			return
		fi
	done
	log "no free port"
	exit 1
}

DIR=$(mktemp -d /tmp/cutover-bench-xmpp.XXXXXX)
chmod 755 "$DIR"
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	rm -rf "$DIR"
}
trap cleanup EXIT

# Ours first, while nothing else runs.
# A failing go test says why on stderr; set -e alone would end the script
# without a word.
out=$(go test -count=1 -run '^$' -bench '^BenchmarkFederatedMessages/external$' -benchtime "${N}x" ./harness/xmpps2s 2>&1) ||
	{ log "BenchmarkFederatedMessages failed:"; printf '%s\n' "$out" >&2; exit 1; }
ours=$(awk '/^BenchmarkFederatedMessages/ {for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") printf "%.0f", 1e9 / $i}' <<<"$out")
[ -n "$ours" ] || { log "BenchmarkFederatedMessages did not run:"; printf '%s\n' "$out" >&2; exit 1; }
echo "ours $ours"

out=$(CUTOVER_INTEROP_PROSODY_SETUP="$DIR" go test -count=1 -run '^TestInteropProsodySetup$' ./harness/xmpps2s 2>&1) ||
	{ log "TestInteropProsodySetup failed:"; printf '%s\n' "$out" >&2; exit 1; }
d="$DIR/external"
PASS="bench-$RANDOM$RANDOM"
DNS_PORT=$(pick_port)
declare -A S2S C2S
for dom in com net; do
	S2S[$dom]=$(pick_port)
	C2S[$dom]=$(pick_port)
	cert=prosody
	[ $dom = net ] && cert=partner
	mkdir -p "$d/$dom/data"
	cat >"$d/$dom/prosody.cfg.lua" <<EOT
-- written by scripts/bench-xmpp.sh
data_path = "$d/$dom/data"
pidfile = "$d/$dom/prosody.pid"
log = { { levels = { min = "warn" }, to = "file", filename = "$d/$dom/prosody.log" } }
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_interfaces = { "127.0.0.1" }
s2s_interfaces = { "127.0.0.1" }
c2s_ports = { ${C2S[$dom]} }
s2s_ports = { ${S2S[$dom]} }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
legacy_ssl_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster", "saslauth", "tls", "dialback", "disco", "ping" }
modules_disabled = { "s2s_bidi", "offline" }
authentication = "internal_plain"
allow_registration = false
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = true
ssl = { cafile = "$d/ca.pem" }
unbound = { forward = { "127.0.0.1@$DNS_PORT" }, resolvconf = false, hoststxt = false }
VirtualHost "example.$dom"
	ssl = { certificate = "$d/$cert.crt", key = "$d/$cert.key", cafile = "$d/ca.pem" }
EOT
done
chown -R prosody:prosody "$DIR"
runuser -u prosody -- prosodyctl --config "$d/com/prosody.cfg.lua" register alice example.com "$PASS" >/dev/null
runuser -u prosody -- prosodyctl --config "$d/net/prosody.cfg.lua" register bob example.net "$PASS" >/dev/null
for dom in com net; do
	runuser -u prosody -- prosody -F --config "$d/$dom/prosody.cfg.lua" >"$d/$dom/stdout.log" 2>&1 &
	runner=$!
	PIDS+=("$runner")
	for _ in $(seq 100); do
		kill -0 "$runner" 2>/dev/null || { tail -20 "$d/$dom/stdout.log" "$d/$dom/prosody.log" >&2; log "prosody example.$dom exited"; exit 1; }
		tcp_busy "${S2S[$dom]}" && tcp_busy "${C2S[$dom]}" && break
		sleep 0.2
	done
	for c in $(pgrep -P "$runner" || true); do PIDS+=("$c"); done
done
echo "prosody-version $(dpkg-query -W -f='${Version}' prosody | cut -d- -f1)"
if ! out=$(CUTOVER_BENCH_PROSODY="$d" CUTOVER_BENCH_XMPP_MESSAGES="$N" CUTOVER_INTEROP_DNS="127.0.0.1:$DNS_PORT" \
	CUTOVER_BENCH_PROSODY_COM_S2S="${S2S[com]}" CUTOVER_BENCH_PROSODY_NET_S2S="${S2S[net]}" \
	CUTOVER_BENCH_PROSODY_COM_C2S="127.0.0.1:${C2S[com]}" CUTOVER_BENCH_PROSODY_NET_C2S="127.0.0.1:${C2S[net]}" \
	CUTOVER_INTEROP_PASSWORD="$PASS" go test -count=1 -run '^TestProsodyLoad$' -v ./harness/xmpps2s 2>&1); then
	echo "$out" | tail -20 >&2
	tail -20 "$d/com/prosody.log" "$d/net/prosody.log" >&2 || true
	exit 1
fi
echo "prosody $(awk '/^messages\/s/ {print $2}' <<<"$out")"
