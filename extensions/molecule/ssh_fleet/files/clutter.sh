#!/bin/sh
# On a fleet host, as root, through the docker CLI of the host: the clutter the playbook
# cleans, and what it must keep. Prints the ids as JSON, on the last line (Ansible runs scripts
# with a terminal, where the engine's warnings on stderr end up in stdout too).
#   clutter.sh REGISTRY BUSYBOX      (BUSYBOX: a static busybox binary copied to the host)
# Containers: old-done    exited, from a pullable image              -> removed
#             web         running                                    -> kept (running)
#             keep-me     exited, labelled tidy.docker.keep=true     -> kept (protected)
#             always      exited, restart policy always              -> kept (restart policy)
# Images:     base        local build, used by always                -> kept (in use)
#             tool        local build, unused                        -> kept (cannot be pulled again)
#             dev         local build; dev_old, its earlier build, is dangling -> dev_old removed
#             app         pulled; its only container is old-done     -> removed
#             spare       pulled, unused                             -> removed
#             web, keep   pulled, used by web and keep-me            -> kept (in use)
set -eu
registry=$1 busybox=$2
export DOCKER_BUILDKIT=0
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

# The engine starts with the host: wait until it answers.
i=0
until docker version >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "dockerd did not answer within 30 s" >&2; exit 1; }
    sleep 0.3
done

cp "$busybox" "$ctx/busybox"
build() {  # TAG CONTENT [FROM]
    echo "$2" >"$ctx/content"
    if [ -n "${3:-}" ]; then
        printf 'FROM %s\nCOPY content /content\n' "$3" >"$ctx/Dockerfile"
    else
        printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' >"$ctx/Dockerfile"
    fi
    docker build -q -t "$1" "$ctx" | tail -n 1
}
id_of() { docker image inspect --format '{{.Id}}' "$1"; }

base=$(build tidy-test/busybox:latest base)
tool=$(build local/tool:1 tool tidy-test/busybox:latest)
dev_old=$(build local/dev:1 "dev old $(hostname) $$" tidy-test/busybox:latest)
dev=$(build local/dev:1 "dev new $(hostname) $$" tidy-test/busybox:latest)
for name in app spare web keep; do
    docker pull -q "$registry/fleet/$name:1" >/dev/null
done

old_done=$(docker run -d --name old-done "$registry/fleet/app:1" true)
web=$(docker run -d --init --name web "$registry/fleet/web:1" sleep 3600)
keep_me=$(docker run -d --name keep-me --label tidy.docker.keep=true "$registry/fleet/keep:1" true)
always=$(docker run -d --init --name always --restart always tidy-test/busybox:latest sleep 3600)
docker stop -t 1 always >/dev/null
docker wait old-done keep-me >/dev/null

printf '{"containers": {"old-done": "%s", "web": "%s", "keep-me": "%s", "always": "%s"}, ' \
    "$old_done" "$web" "$keep_me" "$always"
printf '"images": {"base": "%s", "tool": "%s", "dev_old": "%s", "dev": "%s", ' "$base" "$tool" "$dev_old" "$dev"
printf '"app": "%s", "spare": "%s", "web": "%s", "keep": "%s"}}\n' "$(id_of "$registry/fleet/app:1")" \
    "$(id_of "$registry/fleet/spare:1")" "$(id_of "$registry/fleet/web:1")" "$(id_of "$registry/fleet/keep:1")"
