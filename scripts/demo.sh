#!/usr/bin/env bash
# Throwaway demo: a private engine seeded with clutter (scripts/seed.py --profile clutter),
# shown by the info modules, then the clean_host playbook: its --check plan, the real run,
# and a second run that changes nothing; it ends with the commands for the user's own hosts.
# The engine is always stopped and its directory removed, also on failure or Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
bash "$ROOT/scripts/setup.sh" >/dev/null
DEMO=$(mktemp -d /tmp/tdd.XXXXXX)
ENGINE=$DEMO/engine
HOST=unix://$ENGINE/docker.sock

cleanup() {
    trap '' INT TERM
    bash "$ROOT/scripts/engine.sh" stop "$ENGINE" >/dev/null 2>&1 || echo "demo: stopping the engine failed" >&2
    rm -rf --one-file-system "$DEMO"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$ROOT/scripts/engine.sh" start "$ENGINE"
"$VENV/bin/python" "$ROOT/scripts/seed.py" --docker-host "$HOST" --profile clutter

# ansible (unlike ansible-test) follows a symlinked collection directory.
mkdir -p "$DEMO/collections/ansible_collections/tidy"
ln -s "$ROOT" "$DEMO/collections/ansible_collections/tidy/docker"
export ANSIBLE_COLLECTIONS_PATH=$DEMO/collections ANSIBLE_LOCALHOST_WARNING=false \
    ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_PYTHON_INTERPRETER=$VENV/bin/python
cat >"$DEMO/inventory.yml" <<EOF
all:
  hosts:
    sandbox:
      ansible_connection: local
      clean_host_docker_host: $HOST
      clean_host_usage_state_path: $DEMO/image-usage.json
EOF
sleep 2  # the clutter's containers must be older than the demo policy's 2s
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
clean_host() {
    "$VENV/bin/ansible-playbook" tidy.docker.clean_host -i "$DEMO/inventory.yml" -e "@$ROOT/scripts/demo-vars.yml" "$@"
}

step "1/4 The sandbox host as tidy.docker sees it"
"$VENV/bin/ansible-playbook" "$ROOT/scripts/demo.yml" -e "docker_host=$HOST"

step "2/4 The plan: ansible-playbook tidy.docker.clean_host --check (nothing is touched)"
clean_host --check

step "3/4 Apply it: ansible-playbook tidy.docker.clean_host"
clean_host

step "4/4 Again: nothing left to do (changed=0); the host afterwards"
clean_host
"$VENV/bin/ansible-playbook" "$ROOT/scripts/demo.yml" -e "docker_host=$HOST"

VERSION=$(sed -n 's/^version: *//p' "$ROOT/galaxy.yml")
step "Next: your own hosts"
cat <<EOF
Each node needs Python 3.9+, the Docker SDK for Python 4.1.0+ (apt-get install python3-docker)
and Docker 20.10+; an inventory example and the details are in docs/fleet.md. Then:

  make build && ansible-galaxy collection install .tmp/tidy-docker-$VERSION.tar.gz
  ansible-playbook -i INVENTORY tidy.docker.clean_host --check     # the plan for each host; nothing is touched
  ansible-playbook -i INVENTORY tidy.docker.clean_host             # carry it out

Or try the modules one by one on a sandbox engine that stays up: make sandbox (README.md, "The modules").
EOF
