#!/bin/sh
# The boot of a fleet host: a Debian root file system (scripts/host_image.sh) run as a
# container on the suite's private engine, host network, behaving like a managed node of a
# real fleet: its own sshd on a loopback port, its own dockerd at the default socket.
# Mounted read-only at /tidy/boot.sh and run under the engine's init (it reaps dockerd's
# orphans). Configured by the environment of the container:
#   TIDY_SSH_PORT       port of sshd on 127.0.0.1 (required)
#   TIDY_LOGIN_USER     the login: root (default), or a user made here with passwordless
#                       sudo, for `become`; root then cannot log in
#   TIDY_DOCKERD        running (default) or stopped: a host whose engine is not running
#   TIDY_DOCKERD_ARGS   extra dockerd arguments (e.g. a TLS listener)
#   TIDY_DOCKER_SDK     present (default) or absent: python3-docker removed, as on a node
#                       where nobody installed it
# The public key that may log in is read from /tidy/authorized_keys.
set -eu
: "${TIDY_SSH_PORT:?TIDY_SSH_PORT is not set}"
login=${TIDY_LOGIN_USER:-root}

mkdir -p /run/sshd /root/.ssh
# Each host its own host keys, made at its first boot.
ssh-keygen -A >/dev/null

if [ "$login" = root ]; then
    install -m 0600 /tidy/authorized_keys /root/.ssh/authorized_keys
    permit_root=prohibit-password
else
    id "$login" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$login"
    install -d -m 0700 -o "$login" -g "$login" "/home/$login/.ssh"
    install -m 0600 -o "$login" -g "$login" /tidy/authorized_keys "/home/$login/.ssh/authorized_keys"
    echo "$login ALL=(ALL) NOPASSWD: ALL" >"/etc/sudoers.d/$login"
    chmod 0440 "/etc/sudoers.d/$login"
    permit_root=no
fi

if [ "${TIDY_DOCKER_SDK:-present}" = absent ] && dpkg -s python3-docker >/dev/null 2>&1; then
    dpkg --remove python3-docker >/dev/null
fi

if [ "${TIDY_DOCKERD:-running}" = running ]; then
    # No bridge and no iptables: the host shares the machine's network namespace with the
    # other hosts, and its containers need no network for the tests.
    # shellcheck disable=SC2086
    dockerd --bridge=none --iptables=false --ip-masq=false ${TIDY_DOCKERD_ARGS:-} \
        >/var/log/dockerd.log 2>&1 &
fi

exec /usr/sbin/sshd -D -e -p "$TIDY_SSH_PORT" -o ListenAddress=127.0.0.1 \
    -o PermitRootLogin="$permit_root" -o PasswordAuthentication=no 2>>/var/log/sshd.log
