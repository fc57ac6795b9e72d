# shellcheck shell=bash
# Process and mount helpers shared by scripts/engine.sh and scripts/podman.sh, which start and
# stop private daemons (dockerd, Podman's service) with everything under one directory.
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
