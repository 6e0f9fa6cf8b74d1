#!/usr/bin/env bash
# Interop proof of the SSO layer against an independent SAML implementation:
# SimpleSAMLphp 1.19 (Debian package simplesamlphp) under `php -S` on
# loopback, with a configuration this script writes into a temp dir.
#
#   1. SimpleSAMLphp as the IdP: the client journey (harness/sso) signs a
#      test user in to the Webex identity fake through SimpleSAMLphp's own
#      login form; a wrong password is reported as a failed sign-in.
#   2. SimpleSAMLphp as an SP: our IdP fake's assertion is accepted by it.
#
# The Go side is TestInteropSimpleSAMLphp in harness/sso, skipped unless
# CUTOVER_INTEROP_SIMPLESAMLPHP is set. Usage: scripts/interop-simplesamlphp.sh
set -euo pipefail

cd "$(dirname "$0")/.."

pkgs=(simplesamlphp php-cli php-xml php-mbstring openssl)
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
pgid=""
cleanup() {
	if [[ -n $pgid ]]; then
		kill -TERM -- "-$pgid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$pgid" 2>/dev/null || true
	fi
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
fi
exit $rc
