#!/usr/bin/env bash
# On the controller: build the images the fleet pulls (busybox plus one unique file each, so
# each has its own id) on the scenario's engine and push them to its registry.
#   registry_images.sh ENGINE_HOST REGISTRY NAME...   pushes REGISTRY/fleet/NAME:1 for each NAME
set -euo pipefail
engine=$1 registry=$2
shift 2
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp /bin/busybox "$ctx/busybox"
for name in "$@"; do
    echo "$name" >"$ctx/name"
    printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCOPY name /name\nLABEL tidy.fleet.image=%s\n' "$name" >"$ctx/Dockerfile"
    DOCKER_BUILDKIT=0 docker -H "$engine" build -q -t "$registry/fleet/$name:1" "$ctx" >/dev/null
    docker -H "$engine" push -q "$registry/fleet/$name:1" >/dev/null
    docker -H "$engine" rmi "$registry/fleet/$name:1" >/dev/null
done
echo "pushed $* to $registry/fleet"
