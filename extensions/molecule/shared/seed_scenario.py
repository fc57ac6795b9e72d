# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clutter for the Molecule scenarios, on a private engine; prints what it made as JSON.

    python seed_scenario.py clean_host --docker-host unix://E/docker.sock --registry 127.0.0.1:5000 --out seeded.json
    python seed_scenario.py fleet --docker-host unix://E/docker.sock
    python seed_scenario.py fleet-more --docker-host unix://E/docker.sock

The output (printed, and written to --out) maps a stable key per object to its id: {"containers": {name: id}, "images": {key: id}}.
The verify playbooks assert by these ids what a clean_host run removed and what it kept.
Built with the helpers of scripts/seed.py (classic builder, busybox base, no network). Images
pushed to the scenario's registry get a registry digest, so they can be pulled again; local
builds cannot.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import docker.errors

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))

# pylint: disable-next=wrong-import-position
from seed import KEEP_LABEL, SeedError, build_image, connect, ensure_base, make_container, tag_image  # noqa: E402

SLEEP = ["sleep", "86400"]
LOG_THEN_SLEEP = ["sh", "-c", "yes tidy.docker.cron.log.line | head -n 100000; echo logged; exec sleep 86400"]
EXIT_0 = ["sh", "-c", "exit 0"]
EXIT_1 = ["sh", "-c", "exit 1"]
KEEP = {KEEP_LABEL: "true"}


def push(client, reference: str) -> None:
    """Push ``reference`` to its registry: the local image gets a registry digest."""
    repository, tag = reference.rsplit(":", 1)
    for chunk in client.push(repository, tag=tag, stream=True, decode=True):
        if "error" in chunk:
            raise SeedError(f"pushing {reference} failed: {chunk['error']}")


def rebuilt(client, tag: str, **kwargs) -> tuple[str, str]:
    """Build ``tag`` twice; returns (first build, now dangling or only used by containers, second build)."""
    first = build_image(client, tag, f"{tag} build 1", **kwargs)
    return first, build_image(client, tag, f"{tag} build 2", **kwargs)


def _last_log_line(client, container_id: str) -> str | None:
    """The container's last log line; None while the engine cannot read it yet.

    Podman 4.3 answers 500 ("... is not a valid container log line") when its reader meets a
    line the container is still writing.
    """
    try:
        return client.logs(container_id, tail=1).decode().strip()
    except docker.errors.APIError as exc:
        if "not a valid container log line" in str(exc):
            return None
        raise


def _wait_for_log_line(client, container_id: str, line: str, timeout: float = 60) -> None:
    """Until the container's last log line is ``line`` (its logging is asynchronous to its run)."""
    deadline = time.monotonic() + timeout
    while _last_log_line(client, container_id) != line:
        if time.monotonic() > deadline:
            raise RuntimeError(f"container {container_id[:12]} did not log {line!r} within {timeout} s")
        time.sleep(0.2)


def seed_clean_host(client, registry: str) -> dict:
    """Every kind of object the role must remove or keep, see extensions/molecule/clean_host/verify.yml."""
    images: dict[str, str] = {"base": ensure_base(client)}
    containers: dict[str, str] = {}
    reg = f"{registry}/shop"

    # Local builds: no registry digest, so "unpullable" in scope unused.
    images["app"] = build_image(client, "shop/app:1", size=64 * 1024)
    tag_image(client, images["app"], "shop/app:stable")                     # multi-tagged
    images["dev_old"], images["dev"] = rebuilt(client, "shop/app:dev", size=256 * 1024)  # first one dangling
    images["legacy"] = build_image(client, "shop/legacy:1", size=128 * 1024)  # removed by name
    # Pushed: they can be pulled again.
    images["web1"] = build_image(client, f"{reg}/web:1", size=128 * 1024)
    tag_image(client, images["web1"], f"{reg}/web:stable")                  # multi-tagged, pullable
    images["web2"] = build_image(client, f"{reg}/web:2")
    images["api"] = build_image(client, f"{reg}/api:1", size=96 * 1024)
    images["svc"] = build_image(client, f"{reg}/svc:1")
    images["keep"] = build_image(client, f"{reg}/keep:1", labels=KEEP)      # protected by its label
    for reference in (f"{reg}/web:1", f"{reg}/web:stable", f"{reg}/web:2", f"{reg}/api:1", f"{reg}/svc:1",
                      f"{reg}/keep:1"):
        push(client, reference)

    # An image whose old build only an old exited container still uses, and one whose old build
    # a stopped restart-always service uses.
    images["job_old"] = build_image(client, "shop/job:1", "shop/job build 1", size=192 * 1024)
    containers["job-old"] = make_container(client, "job-old", "shop/job:1", EXIT_0)
    images["job"] = build_image(client, "shop/job:1", "shop/job build 2")
    images["cron_old"] = build_image(client, "shop/cron:1", "shop/cron build 1")
    # It also wrote about 9 MB of log before it was stopped: the role's log step (step 6) empties it.
    containers["cron-always"] = make_container(client, "cron-always", "shop/cron:1", LOG_THEN_SLEEP, state="running",
                                               restart="always")
    _wait_for_log_line(client, containers["cron-always"], "logged")
    client.stop(containers["cron-always"], timeout=5)
    images["cron"] = build_image(client, "shop/cron:1", "shop/cron build 2")

    containers["old-done"] = make_container(client, "old-done", "shop/app:1", EXIT_0)
    containers["api-crashed"] = make_container(client, "api-crashed", f"{reg}/api:1", EXIT_1)
    containers["keep-me"] = make_container(client, "keep-me", "tidy-test/busybox:latest", EXIT_0, labels=KEEP)
    containers["created-never"] = make_container(client, "created-never", "tidy-test/busybox:latest", EXIT_0,
                                                 state="created")
    containers["web-running"] = make_container(client, "web-running", f"{reg}/web:2", SLEEP, state="running")
    # The decommissioned service (named in clean_host_remove_containers), and a protected one named too.
    containers["svc-web"] = make_container(client, "svc-web", f"{reg}/svc:1", SLEEP, state="running")
    containers["svc-keep"] = make_container(client, "svc-keep", "tidy-test/busybox:latest", SLEEP,
                                            state="running", labels=KEEP)
    return {"containers": containers, "images": images}


def seed_fleet(client) -> dict:
    """A small used host: old exited containers, a dangling image, a running service, a restart-always one."""
    images = {"base": ensure_base(client)}
    images["dev_old"], images["dev"] = rebuilt(client, "shop/app:dev", size=512 * 1024)
    images["app"] = build_image(client, "shop/app:1")
    containers = {
        "old-1": make_container(client, "old-1", "shop/app:1", EXIT_0),
        "old-2": make_container(client, "old-2", "shop/app:dev", EXIT_1),
        "running": make_container(client, "running", "shop/app:1", SLEEP, state="running"),
        "always": make_container(client, "always", "shop/app:1", SLEEP, state="stopped", restart="always"),
    }
    return {"containers": containers, "images": images}


def seed_fleet_more(client) -> dict:
    """New clutter after the first clean: one more exited container and one more dangling image."""
    images = {}
    images["tool_old"], images["tool"] = rebuilt(client, "shop/tool:1", size=256 * 1024)
    containers = {"old-3": make_container(client, "old-3", "shop/tool:1", EXIT_0)}
    return {"containers": containers, "images": images}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("scenario", choices=["clean_host", "fleet", "fleet-more"])
    parser.add_argument("--docker-host", required=True)
    parser.add_argument("--registry", help="host:port of the scenario's registry (clean_host)")
    parser.add_argument("--out", help="also write the JSON to this file (its directory is created)")
    args = parser.parse_args(argv)
    try:
        client = connect(args.docker_host)
        if args.scenario == "clean_host":
            if not args.registry:
                parser.error("clean_host needs --registry")
            made = seed_clean_host(client, args.registry)
        elif args.scenario == "fleet":
            made = seed_fleet(client)
        else:
            made = seed_fleet_more(client)
    except SeedError as exc:
        print(f"seed_scenario.py: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(made, indent=2, sort_keys=True)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
