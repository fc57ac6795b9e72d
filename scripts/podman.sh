#!/usr/bin/env bash
# Private, throwaway Podman service (Docker-compatible API) for tests: the second engine.
#
#   scripts/podman.sh start DIR    serve Podman's API with everything under DIR, wait until it answers
#   scripts/podman.sh stop DIR     remove all its containers, stop it, unmount and delete DIR
#   scripts/podman.sh status DIR   exit 0 when the service in DIR answers
#   scripts/podman.sh host DIR     print its address (unix://DIR/podman.sock)
#
# Same interface and the same care as scripts/engine.sh. Nothing outside DIR: own
# containers.conf, storage.conf and registries.conf (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF,
# CONTAINERS_REGISTRIES_CONF), own graph root, run root, tmp dir and runc state; never
# /var/lib/containers, /run/containers or /var/run/docker.sock.
# Why the configuration looks as it does:
#  - default_ulimits: Podman raises nofile and nproc of every container to its hard maximum,
#    which a sandbox (and some CI runners) refuse; fixed, modest limits start everywhere.
#  - netns "none": the machine gives no bridge privileges (the Docker engines run with
#    --bridge=none for the same reason), and the tests need no container networking.
#  - runc through a wrapper with --root DIR/runc: its state stays in DIR, so stop can ask
#    runc for every container of this service (and of no other).
#  - registries.conf marks 127.0.0.1 (any port) insecure: the suite's private registries
#    (scripts/registry.sh) speak plain http on loopback, which dockerd allows by default.
#  - storage: overlay, else vfs (PODMAN_STORAGE_DRIVER forces one).
#  - init: Docker's --init is catatonit for Podman (package catatonit).
#  - run root: Podman refuses one longer than 50 characters, so when DIR/runroot would be,
#    it is a short directory of its own ($TMPDIR or /tmp/tidy-podrun.XXXXXX, its path in
#    DIR/runroot.path, marked with DIR's path), which stop removes with DIR.
# Environment: PODMAN_TIMEOUT (seconds to wait for the service to answer, default 30),
# PODMAN (binary, default "podman"), DOCKER (client used to check it answers, default "docker"),
# PODMAN_STORAGE_DRIVER (overlay or vfs; default: overlay, then vfs if overlay will not start).
set -euo pipefail

PODMAN=${PODMAN:-podman}
DOCKER=${DOCKER:-docker}
PODMAN_TIMEOUT=${PODMAN_TIMEOUT:-30}
MARKER=.tidy-podman          # written by start; stop only deletes directories that carry it
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
unset CONTAINERS_CONF CONTAINERS_STORAGE_CONF CONTAINERS_REGISTRIES_CONF CONTAINER_HOST

SCRIPT=podman.sh
# shellcheck source=scripts/lib/daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/daemon.sh"

[ $# -eq 2 ] || usage
cmd=$1
daemon_directory "$2"

sock=$dir/podman.sock
host=unix://$sock
pidfile=$dir/podman.pid
log=$dir/podman.log
conf=$dir/conf
graph=$dir/root
runroot=$dir/runroot
RUNROOT_MAX=50               # podman: "the specified runroot is longer than 50 characters"
RUNROOT_MARKER=.tidy-podman-runroot
# A run root made outside DIR by an earlier start (see choose_runroot).
if [ -f "$dir/runroot.path" ]; then
    runroot=$(cat "$dir/runroot.path")
fi
tmp=$dir/tmp
runc_state=$dir/runc

# Every podman invocation (the service, and podman's own commands in stop) reads the
# private configuration and storage.
export CONTAINERS_CONF=$conf/containers.conf
export CONTAINERS_STORAGE_CONF=$conf/storage.conf
export CONTAINERS_REGISTRIES_CONF=$conf/registries.conf

# Unix socket paths are limited to 108 bytes including the NUL. The service's socket is the
# one we choose; conmon's attach sockets below the graph root are longer but conmon opens
# them through /proc/self/fd, so they have no limit.
check_path_length() {
    if [ ${#sock} -gt 107 ]; then
        die "directory too long for a unix socket: $dir (${#dir} chars; $sock is ${#sock} chars, the limit is 107). Use a shorter directory, e.g. \$(mktemp -d /tmp/pod.XXXXXX)"
    fi
}

# (answers: Podman's compat API answers `docker version` like dockerd does.)

# Every descendant of the given pids (container processes hang below conmon, not below the
# service, and carry nothing of DIR in their command lines).
descendants() {
    local p ppid want=" $* " found=1
    local -a all=()
    while [ $found -eq 1 ]; do
        found=0
        for p in /proc/[0-9]*; do
            p=${p#/proc/}
            [[ $want == *" $p "* ]] && continue
            # (field 2 of stat, the command name, may hold spaces; read from after the last ")")
            ppid=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f2) || continue
            if [[ -n $ppid && $want == *" $ppid "* ]]; then
                want+="$p "
                all+=("$p")
                found=1
            fi
        done
    done
    [ ${#all[@]} -eq 0 ] || printf '%s\n' "${all[@]}"
}

# The service's pid, only if that process really is our podman service.
service_pid() { pid_from_file "$pidfile"; }

is_ours() {
    case $(cmdline_of "$1") in
        *podman*"$graph"*"system service"*"$sock"*) return 0 ;;
    esac
    return 1
}

# The run root: DIR/runroot when that is short enough for Podman, else a short directory of
# its own, marked with DIR's path so that stop deletes only the one this DIR made.
choose_runroot() {
    local base=${TMPDIR:-/tmp}
    outside_runroot && return 0      # an earlier start's, still ours
    runroot=$dir/runroot
    [ ${#runroot} -le $RUNROOT_MAX ] && return 0
    # the template adds 20 characters ("/tidy-podrun.XXXXXX")
    [ -d "$base" ] && [ $((${#base} + 19)) -le $RUNROOT_MAX ] || base=/tmp
    runroot=$(mktemp -d "$base/tidy-podrun.XXXXXX") || die "cannot make a run root under $base"
    echo "$dir" >"$runroot/$RUNROOT_MARKER"
    echo "$runroot" >"$dir/runroot.path"
}

# The run root outside DIR, if this DIR made one (its marker names DIR).
outside_runroot() {
    [ -f "$dir/runroot.path" ] || return 1
    [ -n "$runroot" ] && [ "$runroot" != "$dir/runroot" ] || return 1
    [ "$(cat "$runroot/$RUNROOT_MARKER" 2>/dev/null)" = "$dir" ] || return 1
}

write_config() {
    local driver=$1 runc
    runc=$(command -v runc) || die "runc not found (it comes with podman: scripts/setup.sh)"
    mkdir -p "$conf/net" "$graph" "$runroot" "$tmp" "$runc_state" "$dir/bin"
    # conmon runs this for every container operation; the state directory is the only change.
    cat >"$dir/bin/runc" <<EOF
#!/bin/sh
exec $runc --root "$runc_state" "\$@"
EOF
    chmod 755 "$dir/bin/runc"
    cat >"$conf/containers.conf" <<EOF
# written by scripts/podman.sh for the private service in $dir
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
netns = "none"
log_driver = "k8s-file"

[engine]
tmp_dir = "$tmp"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
volume_path = "$graph/volumes"
runtime = "tidyrunc"

[engine.runtimes]
tidyrunc = ["$dir/bin/runc"]

[network]
network_config_dir = "$conf/net"
EOF
    cat >"$conf/storage.conf" <<EOF
# written by scripts/podman.sh
[storage]
driver = "$driver"
graphroot = "$graph"
runroot = "$runroot"
EOF
    cat >"$conf/registries.conf" <<EOF
# written by scripts/podman.sh: no search registries (no Docker Hub); the suite's private
# registries on loopback speak http
unqualified-search-registries = []

[[registry]]
location = "127.0.0.1"
insecure = true

[[registry]]
location = "localhost"
insecure = true
EOF
}

# launch DRIVER: start the service with that storage driver and wait until it answers;
# returns 1 when it exits during startup (the caller may try another driver).
launch() {
    local driver=$1 launched t0=$SECONDS
    write_config "$driver"
    rm -f "$sock" "$pidfile"
    # setsid: own session, so the service outlives the shell that started it and a Ctrl-C
    # in the terminal does not hit it before the caller's cleanup removes it.
    setsid "$PODMAN" --root "$graph" --runroot "$runroot" --tmpdir "$tmp" \
        --storage-driver "$driver" \
        system service --time=0 "$host" </dev/null >"$log" 2>&1 &
    launched=$!
    echo "$launched" >"$pidfile"
    local rc=0
    await_answer "$launched" "$PODMAN_TIMEOUT" "$log" "the service on $host (storage driver $driver)" answers || rc=$?
    if [ $rc -eq 1 ]; then return 1; fi  # the caller may try another driver
    if [ $rc -eq 2 ]; then stop >/dev/null 2>&1 || true; exit 1; fi
    echo "$driver" >"$dir/storage-driver"
    echo "podman: up at $host ($((SECONDS - t0))s, pid $launched, storage $driver)"
}

start() {
    local driver
    check_path_length
    command -v "$PODMAN" >/dev/null || die "$PODMAN not found (install podman and catatonit: scripts/setup.sh)"
    command -v "$DOCKER" >/dev/null || die "$DOCKER client not found (install docker.io: scripts/setup.sh)"
    command -v conmon >/dev/null || die "conmon not found (it comes with podman: scripts/setup.sh)"
    if service_pid >/dev/null && answers; then
        echo "podman: already running at $host"
        return 0
    fi
    mkdir -p "$dir"
    : >"$dir/$MARKER"
    choose_runroot
    for driver in ${PODMAN_STORAGE_DRIVER:-overlay vfs}; do
        if launch "$driver"; then
            return 0
        fi
        # A failed overlay start may leave its mounts; start the next driver on a clean root.
        umount_all
        outside_runroot && umount_all "$runroot"
        rm -rf --one-file-system "$graph" "$runroot" "$tmp"
        mkdir -p "$runroot"
        [ "$runroot" = "$dir/runroot" ] || echo "$dir" >"$runroot/$RUNROOT_MARKER"
    done
    die "the Podman service did not start with any storage driver (${PODMAN_STORAGE_DRIVER:-overlay vfs})"
}

umount_all() {  # [DIR]
    local m rc=0
    while IFS= read -r m; do
        [ -n "$m" ] || continue
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || { echo "podman.sh: cannot unmount $m" >&2; rc=1; }
    done < <(mounts_under "${1:-$dir}")
    return $rc
}

stop() {
    local pid rc=0 left c
    if [ ! -e "$dir" ]; then
        echo "podman: nothing at $dir"
        return 0
    fi
    # Only delete what start made (also after an interrupted stop that removed the marker).
    if [ ! -e "$dir/$MARKER" ] && [ ! -e "$pidfile" ] && ! { [ -d "$graph" ] && [ -d "$conf" ]; }; then
        die "$dir does not look like a Podman directory (no $MARKER); not touching it"
    fi
    # 1. Remove every container while the service answers (restart policies, init processes
    #    that ignore SIGTERM and conmon all go with them).
    if answers; then
        local ids
        ids=$(timeout 30 "$DOCKER" -H "$host" ps -aq 2>/dev/null || true)
        if [ -n "$ids" ]; then
            # shellcheck disable=SC2086
            timeout 60 "$DOCKER" -H "$host" rm -f $ids >/dev/null 2>&1 || echo "podman.sh: could not remove all containers" >&2
        fi
    elif [ -f "$conf/storage.conf" ] && command -v "$PODMAN" >/dev/null; then
        # The service is gone, its containers may not be: podman itself reads the same state.
        # (Killing their processes instead would let a restart policy start them again.)
        timeout 60 "$PODMAN" --root "$graph" --runroot "$runroot" --tmpdir "$tmp" \
            --storage-driver "$(cat "$dir/storage-driver" 2>/dev/null || echo overlay)" \
            rm -a -f -t 0 >/dev/null 2>&1 || echo "podman.sh: podman rm -a could not remove all containers" >&2
    fi
    # 2. Stop the service.
    pid=$(service_pid || true)
    [ -n "$pid" ] && terminate 20 "$pid"
    # 3. What is left of the containers: conmon, the container processes below it, and
    #    podman's exit commands ("container cleanup"), which all name DIR or descend from
    #    something that does.
    #    Again while any is left: an exit command may have started the next round.
    local round
    for round in 1 2 3 4 5; do
        left=$({ pids_with "$dir/"; if outside_runroot; then pids_with "$runroot/"; fi; } | sort -u | tr '\n' ' ')
        [ -n "${left// /}" ] || break
        [ "$round" -lt 5 ] || { echo "podman.sh: processes under $dir keep coming back: $left" >&2; rc=1; }
        # shellcheck disable=SC2086
        left+=" $(descendants $left | tr '\n' ' ')"
        # shellcheck disable=SC2086
        terminate 10 $left
    done
    # Containers runc still knows (their conmon died first): only those of this service's state.
    if [ -d "$runc_state" ] && command -v runc >/dev/null; then
        for c in $(runc --root "$runc_state" list -q 2>/dev/null); do
            runc --root "$runc_state" kill "$c" KILL >/dev/null 2>&1 || true
            runc --root "$runc_state" delete --force "$c" >/dev/null 2>&1 || true
        done
    fi
    # 4. Unmount what is left (overlay layers, the graph root's own bind mount, shm), deepest
    #    first; and the run root made outside DIR, then delete it.
    umount_all || rc=1
    if outside_runroot; then
        umount_all "$runroot" || rc=1
        rm -rf --one-file-system "$runroot" || { echo "podman.sh: could not remove $runroot" >&2; rc=1; }
    fi
    # 5. Delete the directory (never crossing into another file system).
    if ! rm -rf --one-file-system "$dir" 2>/dev/null; then
        sleep 0.5
        rm -rf --one-file-system "$dir" || { echo "podman.sh: could not remove $dir" >&2; rc=1; }
    fi
    [ $rc -eq 0 ] && echo "podman: stopped and removed $dir"
    return $rc
}

case $cmd in
    start) start ;;
    stop) stop ;;
    status) if answers; then echo "podman: running at $host"; else echo "podman: not running at $host"; exit 1; fi ;;
    host) echo "$host" ;;
    *) usage ;;
esac
