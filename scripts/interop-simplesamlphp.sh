#!/usr/bin/env bash
# Interop proof of the SSO layer against an independent SAML implementation:
# SimpleSAMLphp 1.19 (Debian package simplesamlphp) under `php -S` on
# loopback, with a configuration this script writes into a temp dir.
#
#   1. SimpleSAMLphp as the IdP: the client journey (harness/sso) signs a
#      test user in to the Webex identity fake through SimpleSAMLphp's own
#      login form; a wrong password is reported as a failed sign-in.
#   2. SimpleSAMLphp as an SP: our IdP fake's assertion is accepted by it.
#   3. The SSO checks (`cutover run --tags @sso`) through the CLI in lab
#      mode, with SimpleSAMLphp as the organisation's IdP (behind stunnel
#      for TLS, as idp.example.com) and our fakes for the rest (`cutover
#      fakes --site`, UCM and Webex trusting SimpleSAMLphp's metadata).
#   4. Breakage: SimpleSAMLphp's signing certificate replaced without
#      telling UCM and Webex: exactly the checks that need a sign-in FAIL.
#   5. Breakage: a test user's password changed at SimpleSAMLphp: ERROR
#      (credential refused), never FAIL, and SimpleSAMLphp's own log shows
#      the password refused once over two runs in a row.
#
# The Go side of 1 and 2 is TestInteropSimpleSAMLphp in harness/sso,
# skipped unless CUTOVER_INTEROP_SIMPLESAMLPHP is set.
# Usage: scripts/interop-simplesamlphp.sh   (as root: it may apt-get install)
set -euo pipefail

cd "$(dirname "$0")/.."

pkgs=(simplesamlphp php-cli php-xml php-mbstring openssl stunnel4 curl)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "interop-simplesamlphp: installing ${missing[*]}"
	# Stop daemons (apache2 comes with the php metapackage) from starting on
	# install; restore whatever policy was there before.
	policy=/usr/sbin/policy-rc.d
	saved=""
	if [[ -e $policy ]]; then saved=$(mktemp); cp -p "$policy" "$saved"; fi
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	restore_policy() { if [[ -n $saved ]]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi; }
	trap restore_policy EXIT
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	restore_policy
	trap - EXIT
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for p in $(seq 18480 18530); do
	if port_free "$p"; then port=$p; break; fi
done
[[ -n $port ]] || { echo "interop-simplesamlphp: no free port in 18480-18530" >&2; exit 1; }

dir=$(mktemp -d /tmp/cutover-ssp.XXXXXX)
pgids=()
stop_group() {
	kill -TERM -- "-$1" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 -- "-$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL -- "-$1" 2>/dev/null || true
}
cleanup() {
	for g in "${pgids[@]}"; do stop_group "$g"; done
	rm -rf "$dir"
}
trap cleanup EXIT

base="http://127.0.0.1:$port"
mkdir -p "$dir/config" "$dir/metadata" "$dir/cert" "$dir/tmp" "$dir/data" "$dir/sessions"

# Signing keys: SimpleSAMLphp's IdP key, and the one our IdP fake signs with
# (SimpleSAMLphp as SP trusts it by certData).
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ssp-idp.example.com" \
	-keyout "$dir/cert/idp.key" -out "$dir/cert/idp.crt" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=idp.example.com" \
	-keyout "$dir/cert/fake-idp.key" -out "$dir/cert/fake-idp.crt" 2>/dev/null
fakecert=$(grep -v -- '-----' "$dir/cert/fake-idp.crt" | tr -d '\n')
salt=$(openssl rand -hex 16)
adminpw=$(openssl rand -hex 12)

cat >"$dir/config/config.php" <<EOF
<?php
\$config = [
    'baseurlpath' => '$base/',
    'certdir' => '$dir/cert/',
    'loggingdir' => '$dir/',
    'datadir' => '$dir/data/',
    'tempdir' => '$dir/tmp',
    'metadatadir' => '$dir/metadata/',
    'metadata.sources' => [['type' => 'flatfile']],
    'secretsalt' => '$salt',
    'auth.adminpassword' => '$adminpw',
    'admin.protectindexpage' => true,
    'admin.protectmetadata' => false,
    'technicalcontact_name' => 'cutover interop',
    'technicalcontact_email' => 'interop@example.com',
    'timezone' => 'UTC',
    'logging.level' => SimpleSAML\Logger::NOTICE,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'enable.saml20-idp' => true,
    'store.type' => 'phpsession',
    'session.cookie.secure' => false,
    'session.phpsession.savepath' => '$dir/sessions',
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],
    'language.available' => ['en'],
];
EOF

cat >"$dir/config/authsources.php" <<EOF
<?php
\$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
        'alice:Wonderland-1' => ['uid' => ['alice'], 'mail' => ['alice@example.com']],
    ],
    'default-sp' => [
        'saml:SP',
        'entityID' => '$base/sp',
        'idp' => 'https://idp.example.com/idp/metadata',
    ],
];
EOF

cat >"$dir/metadata/saml20-idp-hosted.php" <<EOF
<?php
\$metadata['__DYNAMIC:1__'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'example-userpass',
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => 'mail',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
];
EOF

# The Webex identity fake as a remote SP of SimpleSAMLphp's IdP.
cat >"$dir/metadata/saml20-sp-remote.php" <<EOF
<?php
\$metadata['https://idbroker.example.com/example-org'] = [
    'AssertionConsumerService' => 'https://idbroker.example.com/idb/Consumer/metaAlias/example-org/sp',
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => 'mail',
];
EOF

# Our IdP fake as the remote IdP of SimpleSAMLphp's SP.
cat >"$dir/metadata/saml20-idp-remote.php" <<EOF
<?php
\$metadata['https://idp.example.com/idp/metadata'] = [
    'SingleSignOnService' => [[
        'Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        'Location' => 'https://idp.example.com/idp/sso',
    ]],
    'certData' => '$fakecert',
];
EOF

# A page of our own behind SimpleSAMLphp's SP: it requires authentication
# and prints what SimpleSAMLphp accepted. Everything else is SimpleSAMLphp.
cat >"$dir/router.php" <<'EOF'
<?php
if (parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) === '/cutover-whoami.php') {
    require_once '/usr/share/simplesamlphp/lib/_autoload.php';
    $as = new \SimpleSAML\Auth\Simple('default-sp');
    $as->requireAuth();
    header('Content-Type: text/plain; charset=utf-8');
    echo "authenticated\n";
    $nameid = $as->getAuthData('saml:sp:NameID');
    echo 'nameid=', is_object($nameid) ? $nameid->getValue() : '', "\n";
    foreach ($as->getAttributes() as $k => $v) {
        echo $k, '=', implode(',', $v), "\n";
    }
    return true;
}
return false;
EOF

echo "interop-simplesamlphp: SimpleSAMLphp $(dpkg-query -W -f='${Version}' simplesamlphp) on $base"
# Its own session (and so process group) for php -S and any workers it forks.
SIMPLESAMLPHP_CONFIG_DIR="$dir/config" setsid php -d "session.save_path=$dir/sessions" \
	-S "127.0.0.1:$port" -t /usr/share/simplesamlphp/www "$dir/router.php" >"$dir/php.log" 2>&1 &
pgid=$!
pgids+=("$pgid")
for _ in $(seq 100); do
	if ! port_free "$port"; then break; fi
	kill -0 "$pgid" 2>/dev/null || { cat "$dir/php.log" >&2; exit 1; }
	sleep 0.1
done
port_free "$port" && { echo "interop-simplesamlphp: php -S did not listen" >&2; exit 1; }

rc=0
CUTOVER_INTEROP_SIMPLESAMLPHP="$base" \
	CUTOVER_INTEROP_SSP_IDP_CERT="$dir/cert/fake-idp.crt" \
	CUTOVER_INTEROP_SSP_IDP_KEY="$dir/cert/fake-idp.key" \
	go test -count=1 -v -run '^TestInteropSimpleSAMLphp$' ./harness/sso || rc=$?
if ((rc)); then
	echo "--- SimpleSAMLphp log" >&2
	tail -n 40 "$dir/simplesamlphp.log" "$dir/php.log" 2>/dev/null >&2 || true
	exit $rc
fi
stop_group "$pgid"

# --- 3. the SSO checks in lab mode, SimpleSAMLphp as the IdP ---------------
# idp.example.com is in the fakes' DNS at 127.0.3.1 (the example site's
# address for it; the IdP fake is taken out of the site): stunnel listens
# there with a certificate of this script's CA, which the lab target trusts
# beside the fakes' CA, and hands the requests to php -S.
lab="$dir/lab"
mkdir -p "$lab/config" "$lab/metadata" "$lab/cert" "$lab/tmp" "$lab/data" "$lab/sessions"
phpport=""
for p in $(seq 18531 18580); do
	if port_free "$p"; then phpport=$p; break; fi
done
tlsport=""
for p in $(seq 18581 18630); do
	if ! (exec 3<>"/dev/tcp/127.0.3.1/$p") 2>/dev/null; then tlsport=$p; break; fi
done
[[ -n $phpport && -n $tlsport ]] || { echo "interop-simplesamlphp: no free ports for the lab run" >&2; exit 1; }
idpbase="https://idp.example.com:$tlsport"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cutover interop CA" \
	-keyout "$lab/cert/ca.key" -out "$lab/cert/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=idp.example.com" \
	-keyout "$lab/cert/tls.key" -out "$lab/cert/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:idp.example.com\nextendedKeyUsage=serverAuth\n' >"$lab/cert/tls.ext"
openssl x509 -req -in "$lab/cert/tls.csr" -CA "$lab/cert/ca.crt" -CAkey "$lab/cert/ca.key" -CAcreateserial \
	-days 2 -extfile "$lab/cert/tls.ext" -out "$lab/cert/tls.crt" 2>/dev/null
# The IdP's signing certificate: valid longer than the 30 days SSO-09 asks.
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=idp.example.com" \
	-keyout "$lab/cert/idp.key" -out "$lab/cert/idp.crt" 2>/dev/null

# The configuration of parts 1 and 2, on the lab's base URL and directory.
sed -e "s#'$base/'#'$idpbase/'#" -e "s#$dir/#$lab/#g" -e "s#'$dir/tmp'#'$lab/tmp'#" \
	"$dir/config/config.php" >"$lab/config/config.php"
write_authsources() { # name:password:email ...
	{
		echo '<?php'
		echo '$config = ['
		echo "    'admin' => ['core:AdminPassword'],"
		echo "    'example-userpass' => ['exampleauth:UserPass',"
		for u in "$@"; do
			IFS=: read -r name pw mail <<<"$u"
			echo "        '$name:$pw' => ['uid' => ['$name'], 'mail' => ['$mail']],"
		done
		echo '    ],'
		echo '];'
	} >"$lab/config/authsources.php"
}
write_authsources "nobody:$(openssl rand -hex 12):nobody@example.com"
{
	echo '<?php'
	echo "\$metadata['__DYNAMIC:1__'] = ['host' => '__DEFAULT__', 'privatekey' => 'idp.key', 'certificate' => 'idp.crt',"
	echo "    'auth' => 'example-userpass', 'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',"
	echo "    'simplesaml.nameidattribute' => 'mail', 'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic'];"
} >"$lab/metadata/saml20-idp-hosted.php"
# UCM's nodes (entity ID = FQDN, ACS /ssosp/saml/SSO/alias/<fqdn>) and
# Webex as SimpleSAMLphp's service providers.
{
	echo '<?php'
	for n in ucm1 ucm2 ucm3 ucmb1; do
		h=$n.example.com
		echo "\$metadata['$h'] = ['AssertionConsumerService' => 'https://$h:8443/ssosp/saml/SSO/alias/$h',"
		echo "    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', 'simplesaml.nameidattribute' => 'mail'];"
	done
	echo "\$metadata['https://idbroker.example.com/example-org'] = ['AssertionConsumerService' => 'https://idbroker.example.com/idb/Consumer/metaAlias/example-org/sp',"
	echo "    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', 'simplesaml.nameidattribute' => 'mail'];"
} >"$lab/metadata/saml20-sp-remote.php"

# No opcode cache: it would serve authsources.php as it was for up to 2 s
# after the breakage rewrites it.
SIMPLESAMLPHP_CONFIG_DIR="$lab/config" setsid php -d "session.save_path=$lab/sessions" -d opcache.enable=0 \
	-S "127.0.0.1:$phpport" -t /usr/share/simplesamlphp/www >"$lab/php.log" 2>&1 &
pgids+=("$!")
{
	echo "foreground = yes"
	echo "pid ="
	echo "[idp]"
	echo "accept = 127.0.3.1:$tlsport"
	echo "connect = 127.0.0.1:$phpport"
	echo "cert = $lab/cert/tls.crt"
	echo "key = $lab/cert/tls.key"
} >"$lab/stunnel.conf"
setsid stunnel4 "$lab/stunnel.conf" >"$lab/stunnel.log" 2>&1 &
pgids+=("$!")
for _ in $(seq 100); do
	if ! port_free "$phpport" && (exec 3<>"/dev/tcp/127.0.3.1/$tlsport") 2>/dev/null; then break; fi
	sleep 0.1
done
curl -sf "http://127.0.0.1:$phpport/saml2/idp/metadata.php" -o "$lab/idp-metadata.xml" ||
	{ echo "interop-simplesamlphp: no IdP metadata from SimpleSAMLphp" >&2; cat "$lab/php.log" >&2; exit 1; }

# The example site with SimpleSAMLphp as the IdP that UCM and Webex trust.
sed -e 's#services: \[{kind: idp, port: 443}\]#services: []#' \
	-e "s#settings: {idp: idp.example.com}#settings: {idp: idp.example.com, idp_metadata_file: $lab/idp-metadata.xml}#g" \
	-e "s#^    idp: https://idp.example.com\$#    idp: $idpbase\n    login: {username_field: username, password_field: password}#" \
	-e "s#metadata: https://idp.example.com/idp/metadata#metadata: $idpbase/saml2/idp/metadata.php#" \
	fixtures/sites/example.yaml >"$lab/site.yaml"
# The user exports the site names (Hybrid Messaging), relative to it.
cp -r fixtures/sites/hybrid "$lab/hybrid"
go build -o "$lab/cutover" ./cmd/cutover
setsid "$lab/cutover" fakes --site "$lab/site.yaml" --write-target "$lab/target.yaml" >"$lab/fakes.log" 2>&1 &
pgids+=("$!")
for _ in $(seq 300); do
	grep -q '^serving' "$lab/fakes.log" && break
	sleep 0.1
done
grep -q '^serving' "$lab/fakes.log" || { echo "interop-simplesamlphp: the fakes did not start" >&2; cat "$lab/fakes.log" >&2; exit 1; }
cat "$lab/cert/ca.crt" >>"$lab/target.ca.pem"
users=()
while read -r _ kv; do
	var=${kv%%=*}
	val=${kv#*=}
	export "$var=$val"
	case $var in
	CUTOVER_PASSWORD_*)
		name=$(echo "${var#CUTOVER_PASSWORD_}" | tr '[:upper:]' '[:lower:]')
		users+=("$name:$val:$name@example.com")
		;;
	esac
done < <(grep '^export ' "$lab/fakes.log")
write_authsources "${users[@]}"

echo "interop-simplesamlphp: the SSO checks in lab mode, SimpleSAMLphp at $idpbase as the IdP"
rc=0
CUTOVER_STATE_DIR="$lab/state" "$lab/cutover" run --target "$lab/target.yaml" --tags @sso --verbose --report "$lab/report" || rc=$?
# The sign-ins must have gone through SimpleSAMLphp's SSO service and form.
if ((rc == 0)) && ! grep -rqs 'saml2/idp/SSOService.php' "$lab/report/evidence"; then
	echo "interop-simplesamlphp: FAIL: no sign-in went through SimpleSAMLphp" >&2
	rc=1
fi
if ((rc)); then
	echo "--- SimpleSAMLphp and stunnel logs" >&2
	tail -n 40 "$lab/simplesamlphp.log" "$lab/php.log" "$lab/stunnel.log" 2>/dev/null >&2 || true
	exit $rc
fi

# failed_checks REPORT_DIR: the IDs of the checks that failed, sorted, one line.
failed_checks() {
	python3 - "$1/results.json" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print(f"(no results: {e})")
    sys.exit(0)
print(" ".join(sorted(c["id"] for c in r["checks"] if c["verdict"] == "fail")))
PY
}
# verdict_of REPORT_DIR ID: one check's verdict (pass, fail, error, ...).
verdict_of() {
	python3 - "$1/results.json" "$2" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print(f"(no results: {e})")
    sys.exit(0)
print(next((c["verdict"] for c in r["checks"] if c["id"] == sys.argv[2]), "absent"))
PY
}

# --- 4. breakage: the IdP's signing certificate replaced --------------------
# A site renews SimpleSAMLphp's signing key without giving UCM and Webex its
# new metadata (they keep the file they were given): SimpleSAMLphp now
# serves and signs with the new certificate, so the published metadata is
# sound (SSO-09), the assertion verifies against it (SSO-10) and names the
# user (SSO-11), and both sign-ins still go to the IdP (SSO-02); but Webex
# and UCM refuse the assertion (403), so every check that needs a sign-in
# or UCM's tokens fails.
echo "interop-simplesamlphp: breakage: SimpleSAMLphp's signing certificate replaced, UCM and Webex not told"
cp "$lab/cert/idp.key" "$lab/cert/idp.key.good"
cp "$lab/cert/idp.crt" "$lab/cert/idp.crt.good"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=idp.example.com" \
	-keyout "$lab/cert/idp.key" -out "$lab/cert/idp.crt" 2>/dev/null
code=0
CUTOVER_STATE_DIR="$lab/state-cert" "$lab/cutover" run --target "$lab/target.yaml" --tags @sso --report "$lab/broken-cert" >"$lab/broken-cert.out" 2>&1 || code=$?
mv -f "$lab/cert/idp.key.good" "$lab/cert/idp.key"
mv -f "$lab/cert/idp.crt.good" "$lab/cert/idp.crt"
got=$(failed_checks "$lab/broken-cert")
want="SSO-01 SSO-03 SSO-04 SSO-05 SSO-06 SSO-07 SSO-13 SSO-14"
if [ "$code" -ne 1 ] || [ "$got" != "$want" ]; then
	cat "$lab/broken-cert.out"
	echo "interop-simplesamlphp: FAIL: with the signing certificate replaced want exit 1 and FAIL for exactly $want; got exit $code, FAIL for: $got" >&2
	exit 1
fi
echo "interop-simplesamlphp: signing certificate replaced: FAIL for exactly $got"

# --- 5. breakage: a test user's password changed at the IdP -----------------
# The suite was given a password the IdP now refuses: that is no defect of
# the site but a reason the suite cannot test, so the user's checks are
# ERROR ("credential refused; not retried to avoid a lockout"), never FAIL,
# and SimpleSAMLphp must see the refused password once in all, across two
# runs in a row (the lab target's state file carries the refusal).
first=${users[0]%%:*}
echo "interop-simplesamlphp: breakage: $first's password changed at SimpleSAMLphp, two runs in a row"
changed=()
for u in "${users[@]}"; do
	if [ "${u%%:*}" = "$first" ]; then
		IFS=: read -r name _ mail <<<"$u"
		u="$name:$(openssl rand -hex 12):$mail"
	fi
	changed+=("$u")
done
write_authsources "${changed[@]}"
# SimpleSAMLphp logs each refused login ("Unsuccessful login attempt").
refused_before=$(grep -c 'Unsuccessful login attempt' "$lab/simplesamlphp.log" || true)
for n in 1 2; do
	code=0
	CUTOVER_STATE_DIR="$lab/state-pw" "$lab/cutover" run --target "$lab/target.yaml" --tags @sso --report "$lab/changed-pw-$n" >"$lab/changed-pw-$n.out" 2>&1 || code=$?
	got=$(failed_checks "$lab/changed-pw-$n")
	sso01=$(verdict_of "$lab/changed-pw-$n" SSO-01)
	if [ "$code" -eq 0 ] || [ -n "$got" ] || [ "$sso01" != error ] || ! grep -qs 'credential refused' "$lab/changed-pw-$n/results.json"; then
		cat "$lab/changed-pw-$n.out"
		echo "interop-simplesamlphp: FAIL: run $n with $first's password changed: want SSO-01 ERROR (credential refused) and no FAIL; got exit $code, SSO-01 $sso01, FAIL for: ${got:-none}" >&2
		exit 1
	fi
done
refused=$(($(grep -c 'Unsuccessful login attempt' "$lab/simplesamlphp.log" || true) - refused_before))
if [ "$refused" -ne 1 ]; then
	echo "interop-simplesamlphp: FAIL: SimpleSAMLphp refused $first's password $refused times over two runs, want once" >&2
	exit 1
fi
write_authsources "${users[@]}"
echo "interop-simplesamlphp: password changed: SSO-01 ERROR (credential refused), no FAIL, the password refused once in two runs"
echo "interop-simplesamlphp: PASS"

