#!/usr/bin/env bash
# Private, throwaway image registry (Debian's docker-registry) on loopback.
#
#   scripts/registry.sh start DIR [PORT]   serve from DIR on 127.0.0.1:PORT (default: a free port),
#                                          wait until it answers, print host:port (also in DIR/address)
#   scripts/registry.sh stop DIR           stop it and delete DIR
#
# Own config (never the package's: that one listens on all interfaces with auth on), no
# auth, storage under DIR. The engine needs no insecure-registry setting for 127.0.0.1.
set -euo pipefail

REGISTRY=${REGISTRY:-docker-registry}
MARKER=.tidy-registry
SCRIPT=registry.sh
# shellcheck source=scripts/lib/daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/daemon.sh"
usage() { echo "usage: $0 start DIR [PORT] | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
daemon_directory "$2"
pidfile=$dir/registry.pid

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

answers() {  # HOST:PORT
    python3 - "$1" <<'EOF' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(f"http://{sys.argv[1]}/v2/", timeout=2).read()
EOF
}

ours() {  # PID
    local cmdline
    cmdline=$({ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null) || return 1
    [[ $cmdline == *"$dir/config.yml"* ]]
}

start() {
    command -v "$REGISTRY" >/dev/null || die "$REGISTRY not found (install docker-registry: scripts/setup.sh)"
    local port=${1:-$(free_port)} pid
    local address=127.0.0.1:$port
    mkdir -p "$dir/data"
    : >"$dir/$MARKER"
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $address
EOF
    setsid -w "$REGISTRY" serve "$dir/config.yml" </dev/null >"$dir/registry.log" 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    local rc=0
    await_answer "$pid" 15 "$dir/registry.log" "docker-registry on http://$address/v2/" answers "$address" || rc=$?
    if [ $rc -eq 2 ]; then stop >/dev/null 2>&1 || true; fi
    [ $rc -eq 0 ] || exit 1
    echo "$address" >"$dir/address"
    echo "$address"
}

stop() {
    local pid
    [ -e "$dir" ] || return 0
    [ -e "$dir/$MARKER" ] || [ -e "$pidfile" ] || die "$dir does not look like a registry directory (no $MARKER); not touching it"
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && ours "$pid"; then
        terminate 5 "$pid"
    fi
    rm -rf --one-file-system "$dir"
}

case $cmd in
    start) start "${3:-}" ;;
    stop) stop ;;
    *) usage ;;
esac
