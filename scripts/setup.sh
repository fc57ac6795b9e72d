#!/usr/bin/env bash
# Install what the test suite needs; idempotent, quiet (one line per step).
#
#  1. system packages docker.io, busybox-static, docker-registry, debootstrap (the fleet's
#     host images), openssh-client (Ansible's SSH to the fleet), openssh-server and openssl
#     (tests/connections: an sshd and TLS certificates of its own), podman and catatonit (the
#     podman stage: a private Podman service, whose --init is catatonit) (apt, only when one
#     is missing and we are root; their services are not started by the install)
#  2. .venv with tests/requirements.txt, and .venv-core216 with tests/requirements-core216.txt
#     (the oldest ansible-core that requires_ansible admits, for the core216 stage of
#     scripts/test.sh); each skipped when its stamp shows it is current
#  3. the offline stand-in for ansible-test's get-pip bootstrap script, for the pip release
#     that each venv's ansible-test pins
#
# Environment: PYTHON (interpreter for a new venv; default python3.11, else python3),
# VENV (default <repo>/.venv), VENV_CORE216 (default <repo>/.venv-core216),
# SETUP_FORCE_APT=1 (run the apt step even if nothing is missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
VENV_CORE216=${VENV_CORE216:-$ROOT/.venv-core216}
LOGDIR=$ROOT/.tmp
LOG=$LOGDIR/setup.log
APT_PACKAGES=(docker.io busybox-static docker-registry debootstrap openssh-client openssh-server openssl podman catatonit)

say() { echo "setup: $*"; }
fail() {
    echo "setup: ERROR: $*" >&2
    if [ -s "$LOG" ]; then
        echo "setup: last lines of $LOG:" >&2
        tail -n 25 "$LOG" >&2
    fi
    exit 1
}

mkdir -p "$LOGDIR"
: >"$LOG"

if [ -z "${PYTHON:-}" ]; then
    if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi

# ---------------------------------------------------------------- 1. system packages
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(dockerd)
command -v docker >/dev/null 2>&1 || missing+=(docker)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || missing+=(ssh)
[ -x /usr/sbin/sshd ] || missing+=(sshd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v catatonit >/dev/null 2>&1 || [ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
if command -v dpkg-query >/dev/null 2>&1; then
    # The base image needs the *static* busybox; the dynamic one would not run FROM scratch.
    dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing+=(busybox-static)
else
    [ -x /bin/busybox ] || missing+=(/bin/busybox)
fi
extra_packages=()
if ! [ -x "$VENV/bin/python" ] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
    extra_packages+=(python3-venv)
fi

if [ ${#missing[@]} -gt 0 ] || [ "${SETUP_FORCE_APT:-}" = 1 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "apt: installing ${APT_PACKAGES[*]} ${extra_packages[*]} (missing: ${missing[*]:-nothing})"
        # Keep package installs from starting the system dockerd / registry services
        # (policy-rc.d is honoured by invoke-rc.d and deb-systemd-invoke).
        policy=/usr/sbin/policy-rc.d
        made_policy=
        if [ ! -e "$policy" ]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
        fi
        trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
        # (with recommends, as verified: apparmor among them, which dockerd needs on an
        # AppArmor kernel; needrestart is told to keep out of it)
        export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
        apt-get update -q >>"$LOG" 2>&1 || fail "apt-get update failed"
        apt-get install -y -q -o Dpkg::Use-Pty=0 \
            "${APT_PACKAGES[@]}" "${extra_packages[@]}" >>"$LOG" 2>&1 </dev/null \
            || fail "apt-get install failed"
        [ -n "$made_policy" ] && rm -f "$policy"
        trap - EXIT
    else
        say "WARNING: missing ${missing[*]}; as root run: apt-get install -y ${APT_PACKAGES[*]} ${extra_packages[*]}" >&2
    fi
else
    say "system packages present (dockerd, docker, busybox-static, docker-registry, debootstrap, ssh, sshd, openssl, podman, catatonit)"
fi

# ---------------------------------------------------------------- 2. virtualenvs
# install_venv DIR REQUIREMENTS: create DIR if needed, pip install -r REQUIREMENTS unless the
# stamp (hash of the file and the interpreter version) says it is current.
install_venv() {
    local venv=$1 reqs=$2 name=${2#"$ROOT"/} stamp want t0
    if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
        command -v "$PYTHON" >/dev/null 2>&1 || fail "no $PYTHON on PATH"
        "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || fail "$PYTHON is $("$PYTHON" -V 2>&1); ansible-core 2.19 needs Python >= 3.11 (set PYTHON=...)"
        "$PYTHON" -m venv --clear "$venv" >>"$LOG" 2>&1 || fail "$PYTHON -m venv $venv failed"
        say "created $venv with $("$venv/bin/python" -V 2>&1)"
    fi
    stamp=$venv/.tidy-requirements.sha256
    want=$( { cat "$reqs"; "$venv/bin/python" -V 2>&1; } | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        say "venv current ($venv)"
    else
        t0=$SECONDS
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install -q -r "$reqs" >>"$LOG" 2>&1 \
            || fail "pip install -r $name failed"
        echo "$want" >"$stamp"
        say "installed $name into $venv ($((SECONDS - t0))s)"
    fi
}
install_venv "$VENV" "$ROOT/tests/requirements.txt"
install_venv "$VENV_CORE216" "$ROOT/tests/requirements-core216.txt"

# ---------------------------------------------------------------- 3. get-pip stand-in
# ansible-test runs ~/.ansible/test/cache/get_pip_<X_Y>.py (X.Y = the pip release it pins
# in ansible_test/_internal/python_requirements.py: 24.2 on core 2.19, 23.1.2 on 2.16) to
# bootstrap pip in its venvs; each venv's ansible-test gets one.
cache=${HOME:-/root}/.ansible/test/cache
for venv in "$VENV" "$VENV_CORE216"; do
    pip_version=$("$venv/bin/python" - <<'EOF'
import importlib.util, os, re, sys
spec = importlib.util.find_spec("ansible_test")
if spec is None:
    sys.exit("ansible_test is not installed in the venv")
path = os.path.join(os.path.dirname(spec.origin), "_internal", "python_requirements.py")
text = open(path, encoding="utf-8").read()
match = (re.search(r"default_packages\s*=\s*dict\(\s*pip\s*=\s*'([0-9.]+)'", text)
         or re.search(r"""['"]?pip['"]?\s*[=:]\s*['"]([0-9]+(?:\.[0-9]+)+)['"]""", text))
if not match:
    sys.exit("cannot find the pinned pip version in " + path)
print(match.group(1))
EOF
    ) || fail "could not read the pip version ansible-test pins in $venv"
    target=$cache/get_pip_${pip_version//./_}.py
    if cmp -s "$ROOT/scripts/get_pip_standin.py" "$target"; then
        say "get-pip stand-in current ($target)"
    else
        mkdir -p "$cache"
        cp "$ROOT/scripts/get_pip_standin.py" "$target"
        say "wrote get-pip stand-in for pip $pip_version ($target)"
    fi
done
