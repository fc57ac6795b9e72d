# shellcheck shell=bash
# Process and mount helpers shared by scripts/engine.sh, scripts/podman.sh and scripts/registry.sh,
# which start and stop private daemons (dockerd, Podman's service, docker-registry) with everything
# under one directory.
# Sourced, not run. The sourcing script sets SCRIPT (its name, for messages) first; after
# daemon_directory "$2", $dir is the absolute directory without a trailing slash.

die() { echo "$SCRIPT: $*" >&2; exit 1; }
usage() { echo "usage: $0 start|stop|status|host DIR" >&2; exit 2; }

# Sets dir from the DIR argument: absolute, no trailing slash, never /.
daemon_directory() {
    case $1 in
        /*) dir=$1 ;;
        *)  dir=$PWD/$1 ;;
    esac
    dir=${dir%/}
    [ -n "$dir" ] && [ "$dir" != / ] || die "refusing to use / as the directory"
}

alive() { kill -0 "$1" 2>/dev/null; }

cmdline_of() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null; }

# Whether the daemon at $sock ($host) answers `docker version` (dockerd and Podman's compat API).
answers() { [ -S "$sock" ] && timeout 10 "$DOCKER" -H "$host" version >/dev/null 2>&1; }

# await_answer PID TIMEOUT LOG WHAT CHECK...: run CHECK every 0.2 s until it succeeds (0). When the
# daemon PID exits first (1) or TIMEOUT seconds pass (2), says so, naming WHAT, with the last lines of
# LOG; the caller decides what that means (stop what it started, exit, try another setting).
await_answer() {
    local pid=$1 timeout=$2 log=$3 what=$4 t0=$SECONDS
    shift 4
    until "$@"; do
        if ! alive "$pid"; then
            echo "$SCRIPT: $what exited during startup; last lines of $log:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        if [ $((SECONDS - t0)) -ge "$timeout" ]; then
            echo "$SCRIPT: $what did not answer within ${timeout}s; last lines of $log:" >&2
            tail -n 20 "$log" >&2
            return 2
        fi
        sleep 0.2
    done
}

# Pids of processes whose command line contains the given fixed string; never this script
# (nor its subshells), whose command line names DIR too.
pids_with() {
    local needle=$1 p cmdline
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = "$$" ] && continue
        cmdline=$(cmdline_of "$p") || continue
        case $cmdline in
            *"$SCRIPT"*) ;;
            *"$needle"*) echo "$p" ;;
        esac
    done
}

# The pid in the pidfile $1, only if that process passes is_ours (defined by the sourcing
# script): a stale pidfile must never make us signal someone else's process.
pid_from_file() {
    local pid
    [ -f "$1" ] || return 1
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    is_ours "$pid" || return 1
    echo "$pid"
}

# Send TERM to the given pids, wait up to $1 seconds, then KILL the survivors.
terminate() {
    local grace=$1; shift
    local pid i
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        local left=0
        for pid in "$@"; do alive "$pid" && left=1; done
        [ $left -eq 0 ] && return 0
        sleep 0.1
    done
    for pid in "$@"; do
        if alive "$pid"; then
            echo "$SCRIPT: pid $pid did not stop within ${grace}s, killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    sleep 0.2
}

mounts_under() {  # [DIR]
    # Mount points (field 5 of mountinfo) under DIR (default $dir), deepest first. Octal escapes decoded.
    local under=${1:-$dir}
    awk '{print $5}' /proc/self/mountinfo | while IFS= read -r m; do
        m=$(printf '%b' "$m")
        case $m in
            "$under"/*|"$under") echo "$m" ;;
        esac
    done | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-
}
