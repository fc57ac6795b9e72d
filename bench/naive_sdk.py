#!/usr/bin/env python
"""The floor for hand-written cleanup: list, then remove one object at a time with the Docker SDK.

    .venv/bin/python bench/naive_sdk.py unix:///tmp/e/docker.sock

What a few lines of SDK code in a custom module typically do: every stopped container
(like ``docker container prune``), then every top-level image no container uses, by id with
force (so multi-tagged images go too, like ``docker image prune -a``). Serial, no plan, no
re-check, no report. Prints ``removed containers images errors``.
"""

from __future__ import annotations

import sys

import docker
from docker.errors import APIError


def main(docker_host: str) -> int:
    client = docker.APIClient(base_url=docker_host, version="auto", timeout=120)
    removed_containers = removed_images = errors = 0
    for container in client.containers(all=True):
        if container["State"] in ("exited", "created", "dead"):
            try:
                client.remove_container(container["Id"])
                removed_containers += 1
            except APIError:
                errors += 1
    used = {container["ImageID"] for container in client.containers(all=True)}
    for image in client.images():
        if image["Id"] in used:
            continue
        try:
            client.remove_image(image["Id"], force=True)
            removed_images += 1
        except APIError:
            errors += 1
    print(f"removed {removed_containers} {removed_images} {errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
