#!/usr/bin/env bash
# interop-sipp.sh proves the sipreg registrar fake against an independent
# SIP client: sipp (Debian's sip-tester) sends REGISTER with a Bearer header
# over the fake's plain TCP and UDP ports (Debian's sipp is built without
# TLS), for the ucm and rfc8898 profiles, and must get 200 with a valid
# token and the profile's rejection (407/401 error="invalid_token") with an
# expired one. The Go test TestInteropSipp starts the fakes on 127.0.0.1
# (kernel-chosen ports) and the sipp processes, and stops them itself.
#
# Installs sip-tester with apt-get when sipp is missing (root needed; a
# policy-rc.d keeps daemons from starting). Exit 0 on success, 1 when the
# proof fails, 2 when sipp cannot be had.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# install PACKAGE...: apt-get the packages not yet installed.
install() {
	local missing=() p created=0
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "interop-sipp: need root to install ${missing[*]}" >&2
		return 1
	fi
	echo "interop-sipp: installing ${missing[*]} (Debian packages)"
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

if ! install sip-tester; then
	echo "interop-sipp: cannot install sip-tester: the sipp interop proof did not run" >&2
	exit 2
fi
SIPP=$(command -v sipp || echo /usr/bin/sipp)
echo "interop-sipp: $({ "$SIPP" -v 2>&1 || true; } | grep -m1 -o 'SIPp v[^ ,]*')"

if ! CUTOVER_INTEROP_SIPP="$SIPP" go test -count=1 -run '^TestInteropSipp$' -v ./harness/sipreg/ 2>&1 |
	grep -v 'TCP ref went negative' | tee -a /dev/stderr | grep -q '^ok '; then
	echo "interop-sipp: FAIL" >&2
	exit 1
fi
echo "interop-sipp: PASS (sipp registers with a bearer token over TCP and UDP on both profiles, and is refused with an expired one)"
