#!/usr/bin/env bash
# interop-kamailio.sh proves the softphone client against an independent
# registrar: Kamailio (Debian's kamailio + kamailio-tls-modules) configured
# here as an RFC 8898 registrar over TLS on 127.0.0.1 — bearer tokens looked
# up in an htable, 401 with WWW-Authenticate: Bearer realm, scope,
# authz_server; error="invalid_token" for an unknown token; 403 when the
# token's user is not the AOR's. TestInteropKamailio registers every device
# type (and re-registers), is refused with a bad token and with another
# user's, refreshes a refused token once, and will not follow an untrusted
# authz_server. While a registration is up, Kamailio's location table
# (kamcmd ul.dump) must hold it; afterwards it must be empty: the client
# unregistered everything it registered.
#
# Then lab mode through the CLI: `cutover fakes --write-target` serves the
# rest of the example site, the written lab target's RFC 8898 registrar
# (registrar.example.com:5061) is sent to this Kamailio (connect_to, its CA
# added to the target's), and `cutover run --tags @SIPO-08` must pass
# against it, and fail once Kamailio's authz_server is no longer on the
# target's trusted list (the client then sends no token).
#
# Installs the packages with apt-get when missing (root needed; a
# policy-rc.d keeps the daemon from starting). Starts one kamailio on
# 127.0.0.1:${KAMAILIO_PORT:-15061} (TLS) and stops only it. Exit 0 on
# success, 1 when the proof fails, 2 when Kamailio cannot be had or the
# port is taken.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT=${KAMAILIO_PORT:-15061}

install() {
	local missing=() p created=0
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "interop-kamailio: need root to install ${missing[*]}" >&2
		return 1
	fi
	echo "interop-kamailio: installing ${missing[*]} (Debian packages)"
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		created=1
	fi
	local rc=0
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
	[ $created -eq 1 ] && rm -f /usr/sbin/policy-rc.d
	return $rc
}

if ! install kamailio kamailio-tls-modules openssl; then
	echo "interop-kamailio: cannot install kamailio: the Kamailio interop proof did not run" >&2
	exit 2
fi
KAMAILIO=$(command -v kamailio || echo /usr/sbin/kamailio)
KAMCMD=$(command -v kamcmd || echo /usr/sbin/kamcmd)
MPATH=$(dirname "$(dpkg -L kamailio | grep -m1 '/modules/sl\.so$')")

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
	echo "interop-kamailio: 127.0.0.1:$PORT is taken; set KAMAILIO_PORT" >&2
	exit 2
fi

work=$(mktemp -d)
pid=
fakes=
cleanup() {
	for p in $pid $fakes; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

# A throwaway CA and the registrar's certificate (SAN kamailio.example.com).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=cutover interop root" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kamailio.example.com" \
	-keyout "$work/key.pem" -out "$work/csr.pem" 2>/dev/null
printf 'subjectAltName=DNS:kamailio.example.com,DNS:registrar.example.com\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$work/ext.cnf"
openssl x509 -req -in "$work/csr.pem" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
	-extfile "$work/ext.cnf" -out "$work/cert.pem" 2>/dev/null

ALICE="kam.$(openssl rand -hex 16)"
BOB="kam.$(openssl rand -hex 16)"

cat >"$work/tls.cfg" <<EOT
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = $work/key.pem
certificate = $work/cert.pem

[client:default]
method = TLSv1.2+
verify_certificate = no
EOT

cat >"$work/kamailio.cfg" <<EOT
#!KAMAILIO
# An RFC 8898 registrar: Bearer tokens from an htable, no Digest.
debug=2
log_stderror=yes
children=2
tcp_children=2
enable_tls=yes
listen=tls:127.0.0.1:$PORT
auto_aliases=no
alias="kamailio.example.com"
alias="registrar.example.com"
mpath="$MPATH/"

loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "htable.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "ctl.so"
loadmodule "tls.so"

modparam("tls", "config", "$work/tls.cfg")
modparam("htable", "htable", "tokens=>size=4;")
modparam("usrloc", "db_mode", 0)
modparam("ctl", "binrpc", "unix:$work/ctl.sock")

event_route[htable:mod-init] {
	\$sht(tokens=>$ALICE) = "alice";
	\$sht(tokens=>$BOB) = "bob";
}

request_route {
	if (!is_method("REGISTER")) {
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}
	if (!is_present_hf("Authorization") || \$(hdr(Authorization){s.substr,0,7}) != "Bearer ") {
		append_to_reply("WWW-Authenticate: Bearer realm=\"kamailio.example.com\", scope=\"sip:register\", authz_server=\"https://as.example.com/\"\r\n");
		sl_send_reply("401", "Unauthorized");
		exit;
	}
	\$var(tok) = \$(hdr(Authorization){s.substr,7,0});
	if (\$sht(tokens=>\$var(tok)) == \$null) {
		append_to_reply("WWW-Authenticate: Bearer realm=\"kamailio.example.com\", error=\"invalid_token\", error_description=\"The access token is not valid\"\r\n");
		sl_send_reply("401", "Unauthorized");
		exit;
	}
	if (\$sht(tokens=>\$var(tok)) != \$tU) {
		append_to_reply("Warning: 399 kamailio.example.com \"token user does not match the AOR\"\r\n");
		sl_send_reply("403", "Forbidden");
		exit;
	}
	if (!save("location")) {
		sl_reply_error();
	}
	exit;
}
EOT

mkdir -p "$work/run"
if ! "$KAMAILIO" -c -f "$work/kamailio.cfg" >"$work/check.log" 2>&1; then
	echo "interop-kamailio: configuration refused:" >&2
	tail -20 "$work/check.log" >&2
	exit 1
fi
"$KAMAILIO" -DD -E -f "$work/kamailio.cfg" -Y "$work/run" >"$work/kamailio.log" 2>&1 &
pid=$!
deadline=$((SECONDS + 20))
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
	if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
		echo "interop-kamailio: kamailio did not start:" >&2
		tail -30 "$work/kamailio.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "interop-kamailio: $("$KAMAILIO" -v | head -1) listens on tls:127.0.0.1:$PORT (pid $pid)"

if ! CUTOVER_INTEROP_KAMAILIO="127.0.0.1:$PORT" CUTOVER_INTEROP_KAMAILIO_CA="$work/ca.pem" \
	CUTOVER_INTEROP_KAMAILIO_TOKEN="$ALICE" CUTOVER_INTEROP_KAMAILIO_OTHER="$BOB" \
	CUTOVER_INTEROP_KAMAILIO_CTL="unix:$work/ctl.sock" PATH="$(dirname "$KAMCMD"):$PATH" \
	go test -count=1 -run '^TestInteropKamailio$' -v ./harness/sipreg/softphone/ >"$work/test.log" 2>&1; then
	cat "$work/test.log"
	echo "interop-kamailio: FAIL; kamailio log:" >&2
	tail -30 "$work/kamailio.log" >&2
	exit 1
fi
grep -v 'TCP ref went negative' "$work/test.log"

dump=$("$KAMCMD" -s "unix:$work/ctl.sock" ul.dump 2>&1) || {
	echo "interop-kamailio: kamcmd ul.dump failed: $dump" >&2
	exit 1
}
if grep -q 'AoR: alice' <<<"$dump"; then
	echo "interop-kamailio: FAIL: bindings left in Kamailio's location table:" >&2
	echo "$dump" >&2
	exit 1
fi
echo "interop-kamailio: Kamailio's location table holds no binding for alice (ul.dump)"
echo "interop-kamailio: PASS (the client registers every device type over TLS with a bearer token, re-registers, and is refused with bad and other-user tokens)"

# Lab mode through the CLI, against this Kamailio as the site's RFC 8898
# registrar (SIPO-08); the fakes serve everything else.
lab="$work/lab"
mkdir -p "$lab"
export CUTOVER_STATE_DIR="$work/state"
go build -o "$work/cutover" ./cmd/cutover
"$work/cutover" fakes --write-target "$lab/site.yaml" >"$lab/fakes.log" 2>&1 &
fakes=$!
deadline=$((SECONDS + 30))
until grep -q '^serving' "$lab/fakes.log" 2>/dev/null; do
	if ! kill -0 "$fakes" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
		echo "interop-kamailio: the fakes did not start:" >&2
		tail -20 "$lab/fakes.log" >&2
		exit 1
	fi
	sleep 0.1
done
while read -r line; do export "${line#export }"; done < <(grep '^export ' "$lab/fakes.log")
# registrar.example.com is 127.0.1.31 in the example site: send its SIP
# port to Kamailio, and trust Kamailio's CA beside the fakes'.
python3 - "$lab/site.yaml" "127.0.0.1:$PORT" <<'PY'
import sys
path, to = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
for i, l in enumerate(lines):
    if l.strip() == "- from: 127.0.1.31:5061":
        lines[i + 1] = lines[i + 1].split("to:")[0] + "to: " + to
        break
else:
    sys.exit("interop-kamailio: no connect_to entry for registrar.example.com:5061 in " + path)
open(path, "w").write("\n".join(lines))
PY
cat "$work/ca.pem" >>"$lab/site.ca.pem"

echo "interop-kamailio: lab mode: cutover run --tags @SIPO-08 with Kamailio as the RFC 8898 registrar"
if ! "$work/cutover" run --target "$lab/site.yaml" --tags @SIPO-08 --report "$lab/report" 2>&1 | grep -v 'TCP ref went negative'; then
	echo "interop-kamailio: FAIL: SIPO-08 must pass against Kamailio's RFC 8898 challenge" >&2
	exit 1
fi
if ! grep -q '^Server: kamailio' "$lab"/report/evidence/SIPO-08/*.txt; then
	echo "interop-kamailio: FAIL: the SIPO-08 evidence does not show Kamailio answering" >&2
	exit 1
fi

echo "interop-kamailio: lab mode: Kamailio's authz_server no longer trusted: SIPO-08 must fail"
sed -i 's|- https://as.example.com/|- https://as.example.org/|' "$lab/site.yaml"
set +e
"$work/cutover" run --target "$lab/site.yaml" --tags @SIPO-08 >"$lab/untrusted.out" 2>&1
code=$?
set -e
grep -v 'TCP ref went negative' "$lab/untrusted.out"
if [ "$code" -ne 1 ] || ! grep -Eq '^  FAIL +SIPO-08 ' "$lab/untrusted.out"; then
	echo "interop-kamailio: FAIL: want exit 1 with SIPO-08 failing for an untrusted authz_server, got exit $code" >&2
	exit 1
fi
echo "interop-kamailio: PASS (lab mode: SIPO-08 passes against Kamailio and fails when its authz_server is not trusted)"
