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

# below_ephemeral: the first port the kernel hands out as a client's
# source port; ports under it (from 20000) are taken only by an explicit
# bind, so a port found free there stays free until our server binds it.
below_ephemeral() {
	local low
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "${low:-0}" -gt 20100 ] 2>/dev/null || low=40000
	echo "$low"
}

# free_port [PORT...]: a loopback port free for both UDP and TCP now,
# under the ephemeral range (an outgoing connection elsewhere cannot take
# it before the server binds it), and none of the PORTs given (those this
# script already picked).
free_port() {
	python3 - "$(below_ephemeral)" "$@" <<'PY'
import random, socket, sys
low, used = int(sys.argv[1]), set(sys.argv[2:])
for _ in range(500):
    port = random.randrange(20000, low)
    if str(port) in used:
        continue
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        t.bind(("127.0.0.1", port))
        u.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        t.close()
        u.close()
    print(port)
    sys.exit(0)
sys.exit("free_port: no free port under %d" % low)
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
