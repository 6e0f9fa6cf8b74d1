#!/usr/bin/env bash
# check-junit.sh proves that junit.xml is what CI dashboards read: it
# installs xmllint (libxml2-utils) and python3-junitparser from Debian's
# packages when they are missing, then runs the test that validates a
# junit.xml with every verdict against the Jenkins xUnit schema
# (harness/report/testdata/junit/junit-10.xsd) and reads it back with
# junitparser, counts checked. Run by make test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
command -v xmllint >/dev/null || missing+=(libxml2-utils)
/usr/bin/python3 -c 'import junitparser' 2>/dev/null || missing+=(python3-junitparser)
if [ "${#missing[@]}" -gt 0 ]; then
	echo "check-junit: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1; then
		echo "check-junit: cannot install ${missing[*]}: the consumer check did not run" >&2
		exit 1
	fi
fi
CUTOVER_JUNIT_TOOLS=1 go test -count=1 -run 'TestJUnit' ./harness/report
echo "check-junit: PASS (xmllint against the Jenkins xUnit schema, python3-junitparser counts)"
