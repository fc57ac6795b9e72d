#!/usr/bin/env bash
# Private, throwaway Docker engine for tests, demos and the sandbox.
#
#   scripts/engine.sh start DIR    start dockerd with everything under DIR, wait until it answers
#   scripts/engine.sh stop DIR     remove all its containers, stop it, unmount and delete DIR
#   scripts/engine.sh status DIR   exit 0 when the engine in DIR answers
#   scripts/engine.sh host DIR     print its address (unix://DIR/docker.sock)
#
# The engine never touches /var/run/docker.sock: own data root, exec root, socket, pidfile,
# no bridge and no iptables rules, so several can run side by side with a system engine.
# Environment: ENGINE_TIMEOUT (seconds to wait for the engine to answer, default 30),
# DOCKER (client binary, default "docker"), DOCKERD (default "dockerd").
set -euo pipefail

DOCKER=${DOCKER:-docker}
DOCKERD=${DOCKERD:-dockerd}
ENGINE_TIMEOUT=${ENGINE_TIMEOUT:-30}
MARKER=.tidy-engine          # written by start; stop only deletes directories that carry it
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

SCRIPT=engine.sh
# shellcheck source=scripts/lib/daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/daemon.sh"

[ $# -eq 2 ] || usage
cmd=$1
daemon_directory "$2"

sock=$dir/docker.sock
host=unix://$sock
pidfile=$dir/docker.pid
log=$dir/dockerd.log
data=$dir/data
exec_root=$dir/exec

# Unix socket paths are limited to 108 bytes including the terminating NUL. The longest
# socket the engine creates is containerd's ttrpc socket under the exec root.
check_path_length() {
    local longest=$exec_root/containerd/containerd.sock.ttrpc
    if [ ${#longest} -gt 107 ] || [ ${#sock} -gt 107 ]; then
        die "engine directory too long for unix sockets: $dir (${#dir} chars; its longest socket path $longest is ${#longest} chars, the limit is 107). Use a shorter directory, e.g. \$(mktemp -d /tmp/eng.XXXXXX)"
    fi
}

docker_cli() { "$DOCKER" -H "$host" "$@"; }

# The engine's dockerd pid, only if that process really is our dockerd.
engine_pid() { pid_from_file "$pidfile"; }

is_ours() {
    local cmdline
    cmdline=$(cmdline_of "$1") || return 1
    case $cmdline in
        *dockerd*"$pidfile"*) return 0 ;;
    esac
    return 1
}

start() {
    check_path_length
    command -v "$DOCKERD" >/dev/null || die "$DOCKERD not found (install docker.io: scripts/setup.sh)"
    command -v "$DOCKER" >/dev/null || die "$DOCKER client not found (install docker.io: scripts/setup.sh)"
    if engine_pid >/dev/null && answers; then
        echo "engine: already running at $host"
        return 0
    fi
    mkdir -p "$data" "$exec_root"
    : >"$dir/$MARKER"
    rm -f "$sock" "$pidfile"
    # setsid: own session, so the engine outlives the shell that started it (sandbox) and
    # a Ctrl-C in the terminal does not hit it before the caller's cleanup removes it.
    setsid -w "$DOCKERD" \
        --data-root "$data" --exec-root "$exec_root" \
        -H "$host" --pidfile "$pidfile" \
        --bridge=none --iptables=false --ip-masq=false --userland-proxy=false \
        --storage-driver=overlay2 \
        </dev/null >"$log" 2>&1 &
    local launched=$! t0=$SECONDS
    echo "$launched" >"$dir/launcher.pid"
    local rc=0
    await_answer "$launched" "$ENGINE_TIMEOUT" "$log" "dockerd on $host" answers || rc=$?
    if [ $rc -eq 2 ]; then stop >/dev/null 2>&1 || true; fi
    [ $rc -eq 0 ] || exit 1
    echo "engine: up at $host ($((SECONDS - t0))s, pid $(cat "$pidfile" 2>/dev/null || echo "$launched"))"
}

stop() {
    local pid rc=0
    if [ ! -e "$dir" ]; then
        echo "engine: nothing at $dir"
        return 0
    fi
    # Only delete what start made (also after an interrupted stop that removed the marker).
    if [ ! -e "$dir/$MARKER" ] && [ ! -e "$pidfile" ] && [ ! -e "$dir/launcher.pid" ] \
        && ! { [ -d "$data" ] && [ -d "$exec_root" ]; }; then
        die "$dir does not look like an engine directory (no $MARKER); not touching it"
    fi
    # 1. Remove every container first: a PID 1 that ignores SIGTERM would hold the shutdown.
    if answers; then
        local ids
        ids=$(timeout 30 "$DOCKER" -H "$host" ps -aq 2>/dev/null || true)
        if [ -n "$ids" ]; then
            # shellcheck disable=SC2086
            timeout 60 "$DOCKER" -H "$host" rm -f $ids >/dev/null 2>&1 || echo "engine.sh: could not remove all containers" >&2
        fi
    fi
    # 2. Stop dockerd (pidfile, else the launcher pid if it is still dockerd).
    pid=$(engine_pid || true)
    if [ -z "$pid" ] && [ -f "$dir/launcher.pid" ]; then
        pid=$(cat "$dir/launcher.pid")
        is_ours "$pid" || pid=
    fi
    [ -n "$pid" ] && terminate 20 "$pid"
    # 3. Its containerd, shims and anything else still pointing into DIR.
    local left
    left=$(pids_with "$exec_root/" | tr '\n' ' ')
    if [ -n "${left// /}" ]; then
        # shellcheck disable=SC2086
        terminate 10 $left
    fi
    # Containers whose shim died with the engine: ask runc directly.
    local runc_root=$exec_root/runtime-runc/moby
    if [ -d "$runc_root" ] && command -v runc >/dev/null; then
        local c
        for c in $(runc --root "$runc_root" list -q 2>/dev/null); do
            runc --root "$runc_root" delete --force "$c" >/dev/null 2>&1 || true
        done
    fi
    # 4. Unmount what is left (overlay layers, netns bind mounts, shm), deepest first.
    local m
    while IFS= read -r m; do
        [ -n "$m" ] || continue
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || { echo "engine.sh: cannot unmount $m" >&2; rc=1; }
    done < <(mounts_under)
    # 5. Delete the directory (never crossing into another file system).
    if ! rm -rf --one-file-system "$dir" 2>/dev/null; then
        sleep 0.5
        rm -rf --one-file-system "$dir" || { echo "engine.sh: could not remove $dir" >&2; rc=1; }
    fi
    [ $rc -eq 0 ] && echo "engine: stopped and removed $dir"
    return $rc
}

case $cmd in
    start) start ;;
    stop) stop ;;
    status) if answers; then echo "engine: running at $host"; else echo "engine: not running at $host"; exit 1; fi ;;
    host) echo "$host" ;;
    *) usage ;;
esac
