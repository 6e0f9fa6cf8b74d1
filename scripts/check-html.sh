#!/usr/bin/env bash
# check-html.sh renders the healthy and the faulted report in a real
# headless browser, Debian's chromium (installed when missing), with
# JavaScript off: every check is shown, every failing check's link opens
# its section with its reason, remediation and evidence, every evidence
# link opens its file. Screenshots land in $HTML_OUT (default
# out/html-check/{healthy,faulted}/screenshots). Run by make test; when
# chromium cannot be installed it says so and skips.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
	echo "check-html: installing chromium"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	if { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends chromium; } >/dev/null 2>&1; then
		chromium=$(command -v chromium)
	else
		echo "check-html: SKIPPED: chromium is not installed and cannot be installed here"
		exit 0
	fi
fi
out=${HTML_OUT:-out/html-check}
rm -rf "$out"
mkdir -p "$out"
CUTOVER_STATE_DIR=$(mktemp -d)
export CUTOVER_STATE_DIR
trap 'rm -rf "$CUTOVER_STATE_DIR"' EXIT
CUTOVER_CHROMIUM=$chromium CUTOVER_HTML_OUT=$(cd "$out" && pwd) go test -count=1 -run '^TestReportInBrowser$' ./cmd/cutover
echo "check-html: PASS ($("$chromium" --version 2>/dev/null | head -1); screenshots in $out/*/screenshots)"
