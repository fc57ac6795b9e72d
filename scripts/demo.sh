#!/usr/bin/env bash
# Throwaway demo: a private engine seeded with clutter (scripts/seed.py --profile clutter),
# then the collection's info modules against it. The engine is always stopped and its
# directory removed, also on failure or Ctrl-C.
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
if [ -f "$ROOT/scripts/demo.yml" ]; then
    "$VENV/bin/ansible-playbook" "$ROOT/scripts/demo.yml" -e "docker_host=$HOST"
else
    for module in host_info image_info; do
        echo "== tidy.docker.$module"
        "$VENV/bin/ansible" localhost -m "tidy.docker.$module" -a "docker_host=$HOST"
    done
fi
