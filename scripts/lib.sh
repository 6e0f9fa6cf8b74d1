# lib.sh: what the project's scripts share. Source it:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Set LOG_PREFIX first (the script's name) for the messages.

# log MESSAGE...: one line on stderr, prefixed with the script's name.
log() { printf '%s: %s\n' "${LOG_PREFIX:-cutover}" "$*" >&2; }

# install_packages PACKAGE...: apt-get the Debian packages not installed
# yet (root needed), with a policy-rc.d so no daemon starts on install.
# Returns non-zero when they cannot be had.
install_packages() {
	local missing=() p created=0 rc=0
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		log "need root to install ${missing[*]}"
		return 1
	fi
	log "installing ${missing[*]} (Debian packages)"
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		created=1
	fi
	{ apt-get update -qq -o DPkg::Lock::Timeout=300 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
	[ $created -eq 1 ] && rm -f /usr/sbin/policy-rc.d
	return $rc
}

# free_port: a loopback port free for both UDP and TCP now.
free_port() {
	python3 - <<'PY'
import socket
for _ in range(100):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    u.close()
    t.close()
    print(port)
    break
PY
}

# tcp_busy PORT [ADDR]: whether something takes TCP connections there.
tcp_busy() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# wait_port PORT PID NAME: until PORT takes TCP connections (20 s at most,
# and only while PID lives).
wait_port() {
	local deadline=$((SECONDS + 20))
	until tcp_busy "$1"; do
		if ! kill -0 "$2" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			log "$3 did not start"
			return 1
		fi
		sleep 0.1
	done
}
