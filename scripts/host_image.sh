#!/usr/bin/env bash
# Images of real Debian hosts for the fleet tests, built offline from Debian's packages.
#
#   scripts/host_image.sh build [SUITE...]      debootstrap each SUITE (default: every suite
#                                              below) into a cached tarball (concurrently;
#                                              skipped when the cache is current)
#   scripts/host_image.sh load HOST SUITE...    build if needed, then import each into the
#                                              engine at HOST (unix://...) as tidy-host/SUITE:KEY
#   scripts/host_image.sh name SUITE            print the image name (tidy-host/SUITE:KEY)
#
# A host image is a Debian root file system (debootstrap --variant=minbase) with the
# distribution's own python3, python3-docker, docker.io, openssh-server and sudo: what a
# managed node of a real fleet has after `apt-get install docker.io python3-docker`.
# bullseye (Debian 11): Python 3.9, SDK 4.1.0, Docker 20.10.5; bookworm (12): 3.11, 5.0.3,
# 20.10.24; trixie (13): 3.13, 7.1.0, 26.1 (and its client, docker-cli, a package of its own).
#
# KEY is a hash of the suite, the package list and this script's recipe version, so a change
# to either builds a new tarball. Tarballs are kept in TIDY_HOST_CACHE (default
# /var/cache/tidy-docker/hosts) between runs on the same machine; a fresh machine builds
# them (3-5 minutes each, about 620 MB). The mirror is the one apt is configured with.
# Environment: TIDY_HOST_CACHE, TIDY_DEBIAN_MIRROR (overrides the mirror), DOCKER (client).
set -euo pipefail

DOCKER=${DOCKER:-docker}
CACHE=${TIDY_HOST_CACHE:-/var/cache/tidy-docker/hosts}
RECIPE=1   # raise when the way the root file system is made changes
PACKAGES=python3,python3-docker,docker.io,openssh-server,sudo,iproute2,procps
SUITES="bullseye bookworm trixie"

die() { echo "host_image.sh: $*" >&2; exit 1; }
usage() { echo "usage: $0 build SUITE... | load unix://SOCKET SUITE... | name SUITE" >&2; exit 2; }

check_suite() {
    case " $SUITES " in
        *" $1 "*) ;;
        *) die "unknown suite '$1' (this script knows: $SUITES)" ;;
    esac
}

# From Debian 13 on, the docker client is a package of its own.
packages() {
    case $1 in
        bullseye|bookworm) echo "$PACKAGES" ;;
        *) echo "$PACKAGES,docker-cli" ;;
    esac
}
key() { printf '%s\n' "$1" "$(packages "$1")" "$RECIPE" | sha256sum | cut -c1-12; }
tarball() { echo "$CACHE/$1-$(key "$1").tar"; }
image_name() { echo "tidy-host/$1:$(key "$1")"; }

# The mirror apt uses here: the URIs of the main Debian source (not security, not a
# commented-out snapshot line).
mirror() {
    if [ -n "${TIDY_DEBIAN_MIRROR:-}" ]; then echo "$TIDY_DEBIAN_MIRROR"; return; fi
    local uri
    uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' \
          | grep -v security | head -n 1 || true)
    if [ -z "$uri" ]; then
        uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n 1 || true)
    fi
    [ -n "$uri" ] || die "no Debian mirror found in apt's sources; set TIDY_DEBIAN_MIRROR"
    echo "$uri"
}

ensure_debootstrap() {
    command -v debootstrap >/dev/null 2>&1 && return 0
    [ "$(id -u)" = 0 ] || die "debootstrap is missing; as root run: apt-get install -y debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null 2>&1; } \
        || die "apt-get install debootstrap failed"
}

# What an interrupted build left: its root file system, and what debootstrap had mounted in it.
remove_stale_roots() {
    local root m
    for root in "$CACHE/.root-$1".*; do
        [ -d "$root" ] || continue
        # (grep finding no mount is the usual case: with pipefail it must not end the script.)
        awk '{print $5}' /proc/self/mountinfo | { grep -F "$root/" || true; } | sort -r | while IFS= read -r m; do
            umount -l "$m" 2>/dev/null || true
        done
        rm -rf --one-file-system "$root"
    done
}

build_one() {  # SUITE: writes the tarball, or fails with the log's last lines
    local suite=$1 out root log t0=$SECONDS
    out=$(tarball "$suite")
    mkdir -p "$CACHE"
    # One build per suite at a time: a second caller (the test runner starts the builds
    # early, the scenario asks again) waits for the first and then finds the tarball.
    exec {lock}>"$CACHE/$suite.lock"
    flock "$lock"
    if [ -s "$out" ]; then
        echo "host image $suite: cached ($out)"
        return 0
    fi
    remove_stale_roots "$suite"
    root=$(mktemp -d "$CACHE/.root-$suite.XXXXXX")
    log=$CACHE/$suite.log
    # Not started inside the root file system: its services are started by the test that
    # runs the host, never by the package installs.
    if ! debootstrap --variant=minbase --include="$(packages "$suite")" "$suite" "$root" "$(mirror)" >"$log" 2>&1; then
        echo "host_image.sh: debootstrap $suite failed; last lines of $log:" >&2
        tail -n 15 "$log" >&2
        rm -rf --one-file-system "$root"
        return 1
    fi
    # Smaller and host-like: no package lists or downloaded .debs; sshd's host keys are
    # made when a host starts (each host its own), and the machine id too.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/etc/ssh/ssh_host_*
    : >"$root/etc/machine-id"
    tar -C "$root" -cf "$out.part" . && mv "$out.part" "$out"
    rm -rf --one-file-system "$root"
    # Tarballs of this suite from an earlier recipe or package list are not used any more.
    find "$CACHE" -maxdepth 1 -name "$suite-*.tar" ! -path "$out" -delete
    echo "host image $suite: built in $((SECONDS - t0))s ($(du -h "$out" | cut -f1), $out)"
}

build() {
    local suite pids=() rc=0 pid
    ensure_debootstrap
    for suite in "$@"; do check_suite "$suite"; done
    # Concurrently: most of the time goes to downloading and unpacking, not to the CPU.
    for suite in "$@"; do
        build_one "$suite" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
    return $rc
}

load() {
    local host=$1 suite name
    shift
    build "$@"
    for suite in "$@"; do
        name=$(image_name "$suite")
        if "$DOCKER" -H "$host" image inspect "$name" >/dev/null 2>&1; then
            echo "host image $suite: present in $host as $name"
            continue
        fi
        "$DOCKER" -H "$host" import \
            --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' \
            "$(tarball "$suite")" "$name" >/dev/null || die "docker import of $suite into $host failed"
        echo "host image $suite: imported into $host as $name"
    done
}

[ $# -ge 1 ] || usage
cmd=$1; shift
case $cmd in
    build)
        # shellcheck disable=SC2086 # SUITES is a list of words
        if [ $# -eq 0 ]; then set -- $SUITES; fi
        build "$@" ;;
    load) [ $# -ge 2 ] || usage; load "$@" ;;
    name) [ $# -eq 1 ] || usage; check_suite "$1"; image_name "$1" ;;
    *) usage ;;
esac
