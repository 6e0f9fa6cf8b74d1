#!/usr/bin/env bash
# interop-slixmpp.sh proves the Hybrid Messaging fakes and the bulk check
# against independent implementations, through the CLI in lab mode:
#
#  1. XMPP c2s: Debian's python3-slixmpp signs in as alice to the fakes'
#     IM&P (STARTTLS, SASL PLAIN, binding, verified against the site CA),
#     messages bob's JID (bsmith@example.com, not his email); the message
#     must reach bob's Webex space (read with Python's http.client), bob's
#     Webex reply must reach alice's slixmpp session, and a group chat must
#     come back as an error.
#  2. CSV: Python's csv module writes the UCM and Control Hub exports (BOM,
#     CRLF, quoted commas and quotes, UTF-8); `cutover run --tags @HYB-15`
#     on the lab target must pass on the healthy pair and fail for exactly
#     the two seeded users on the other.
#
# Installs python3-slixmpp with apt-get when missing (root needed). Starts
# `cutover fakes` on loopback and stops only it. Exit 0 on success, 1 when
# the proof fails, 2 when slixmpp cannot be had.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "interop-slixmpp: $*"; }
# Debian's own Python, where python3-slixmpp installs (not a pyenv shim).
PY=/usr/bin/python3

install() {
	local missing=() p
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		log "need root to install ${missing[*]}" >&2
		return 1
	fi
	log "installing ${missing[*]} (Debian packages)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
if ! install python3 python3-slixmpp; then
	log "cannot install python3-slixmpp: the proof did not run" >&2
	exit 2
fi

DIR=$(mktemp -d /tmp/cutover-slixmpp.XXXXXX)
FAKES=
cleanup() {
	local rc=$?
	if [ -n "$FAKES" ] && kill -0 "$FAKES" 2>/dev/null; then
		kill "$FAKES" 2>/dev/null || true
		wait "$FAKES" 2>/dev/null || true
	fi
	if [ "$rc" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$DIR"; else log "kept $DIR"; fi
	exit "$rc"
}
trap cleanup EXIT

go build -o "$DIR/cutover" ./cmd/cutover
"$DIR/cutover" fakes --write-target "$DIR/lab.yaml" >"$DIR/fakes.out" 2>&1 &
FAKES=$!
for _ in $(seq 300); do
	grep -q '^serving' "$DIR/fakes.out" && break
	kill -0 "$FAKES" 2>/dev/null || { cat "$DIR/fakes.out" >&2; exit 1; }
	sleep 0.1
done
grep -q '^serving' "$DIR/fakes.out" || { log "the fakes did not start" >&2; exit 1; }
# The passwords and tokens the fakes made for this run.
while IFS='=' read -r k v; do export "${k#export }=$v"; done < <(grep '^export ' "$DIR/fakes.out")

log "1/2 XMPP: slixmpp against the fakes' IM&P c2s and the connector"
timeout 60 "$PY" scripts/interop/hybrid_slixmpp.py "$DIR/lab.yaml"

log "2/2 CSV: exports written by Python's csv module, certified by cutover run --tags @HYB-15"
"$PY" scripts/interop/hybrid_csv.py "$DIR" healthy
"$DIR/cutover" run --quiet --target "$DIR/lab.yaml" --tags @HYB-15 --report "$DIR/healthy" \
	|| { log "HYB-15 failed on the healthy exports" >&2; exit 1; }
"$PY" scripts/interop/hybrid_csv.py "$DIR" defects
rc=0
"$DIR/cutover" run --quiet --target "$DIR/lab.yaml" --tags @HYB-15 --report "$DIR/defects" || rc=$?
[ "$rc" -eq 1 ] || { log "HYB-15 on the seeded exports: exit $rc, want 1" >&2; exit 1; }
"$PY" scripts/interop/hybrid_csv.py check "$DIR/defects/results.json"
log "PASS"
