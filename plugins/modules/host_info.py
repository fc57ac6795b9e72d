#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_info
short_description: What C(docker info) and C(docker system df) show about a Docker host
version_added: 0.1.0
description:
  - Reports the engine's version and storage settings, its disk usage per kind of object
    (images, containers, volumes, build cache) with what is reclaimable, and the usage of the
    filesystem that holds the engine's data root.
  - Read-only, it never changes anything on the host.
options:
  disk_usage:
    description:
      - Gather RV(disk_usage) from the engine (C(docker system df)).
      - On hosts with very many containers this is the slowest part; set V(false) to skip it.
    type: bool
    default: true
  logs:
    description:
      - Gather RV(logs), the bytes container logs hold on this node (C(docker system df) leaves them out) and the
        containers whose logs have no rotation. Inspects every container and reads the log files, which needs root.
    type: bool
    default: true
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.info_module
seealso:
  - module: tidy.docker.image_info
  - module: tidy.docker.container_info
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
# Ad hoc, from the command line (the result's keys are under Return values):
#   ansible web-01 -m tidy.docker.host_info

- name: Read engine facts and disk usage
  tidy.docker.host_info:
  register: host

- name: Warn when the data root's filesystem is more than 85% full
  ansible.builtin.debug:
    msg: >-
      {{ inventory_hostname }}: {{ host.filesystem.used_percent }}% used,
      {{ host.disk_usage.images.reclaimable_human }} of images reclaimable
  when: host.filesystem is not none and host.filesystem.used_percent > 85

- name: Engine facts only, from a remote engine over TLS
  tidy.docker.host_info:
    docker_host: tcp://docker.example.com:2376
    validate_certs: true
    disk_usage: false
"""

RETURN = r"""
engine:
  description: Facts about the engine.
  returned: success
  type: dict
  contains:
    product:
      description: V(docker), or V(podman) when Podman's Docker-compatible API answers.
      type: str
      sample: docker
    version:
      description: Engine version.
      type: str
      sample: 20.10.24+dfsg1
    api_version:
      description: Newest API version the engine supports.
      type: str
      sample: "1.41"
    negotiated_api_version:
      description: API version this module used.
      type: str
      sample: "1.41"
    min_api_version:
      description: Oldest API version the engine supports.
      type: str
      sample: "1.12"
    os:
      description: Operating system of the engine host.
      type: str
      sample: Debian GNU/Linux 12 (bookworm)
    os_type:
      description: V(linux) or V(windows).
      type: str
      sample: linux
    kernel_version:
      description: Kernel of the engine host.
      type: str
      sample: 6.1.0-18-amd64
    architecture:
      description: CPU architecture of the engine host.
      type: str
      sample: x86_64
    name:
      description: Host name the engine reports.
      type: str
      sample: web-01
    storage_driver:
      description: Storage driver.
      type: str
      sample: overlay2
    docker_root_dir:
      description: The engine's data root.
      type: str
      sample: /var/lib/docker
    containers:
      description: Number of containers in any state.
      type: int
      sample: 7
    containers_running:
      description: Number of running containers.
      type: int
      sample: 1
    containers_paused:
      description: Number of paused containers.
      type: int
      sample: 0
    containers_stopped:
      description: Number of stopped containers.
      type: int
      sample: 6
    images:
      description: Number of images, including intermediate ones.
      type: int
      sample: 12
disk_usage:
  description:
    - Disk usage per kind, following the arithmetic of C(docker system df) exactly, so that the two agree.
      V(null) when O(disk_usage=false).
    - Each kind has C(count), C(active) (in use), C(size), C(reclaimable) in bytes and C(_human) twins.
  returned: success
  type: dict
  sample:
    images: {count: 9, active: 2, size: 2099245, size_human: 2.1 MB, reclaimable: 113773, reclaimable_human: 114 kB}
    containers: {count: 7, active: 1, size: 0, size_human: 0 B, reclaimable: 0, reclaimable_human: 0 B}
    volumes: {count: 0, active: 0, size: 0, size_human: 0 B, reclaimable: 0, reclaimable_human: 0 B}
    build_cache: {count: 0, active: 0, size: 0, size_human: 0 B, reclaimable: 0, reclaimable_human: 0 B}
  contains:
    images:
      description: The image layers on disk, shared layers counted once; reclaimable is that size minus the unique
        part of every image some container uses.
      type: dict
    containers:
      description: Writable layers of containers; reclaimable are those of containers that are not running.
      type: dict
    volumes:
      description: Volume data; reclaimable are the volumes no container references.
      type: dict
    build_cache:
      description: Build cache records; reclaimable are the records neither in use nor shared.
      type: dict
filesystem:
  description:
    - The filesystem holding C(engine.docker_root_dir), like C(df) shows it.
    - Only when the engine runs on the host the module runs on (its unix socket exists there); V(null) for a remote
      engine, since the local filesystem would say nothing about the engine's disk.
  returned: success
  type: dict
  sample: {size: 269490393088, size_human: 269 GB, used: 23622320128, used_human: 23.6 GB,
           free: 85899345920, free_human: 85.9 GB, used_percent: 21.6}
  contains:
    size:
      description: Size in bytes.
      type: int
    used:
      description: Used bytes.
      type: int
    free:
      description: Bytes available to unprivileged users.
      type: int
    used_percent:
      description: Used share, as C(df) computes it (space reserved for root is not counted as free).
      type: float
logs:
  description:
    - Container logs as this node sees them. The engine does not count them; see M(tidy.docker.log_truncate) to
      reclaim them. V(null) when O(logs=false).
  returned: success
  type: dict
  sample: {bytes: 52540911, containers: 4, json_file: 4, unbounded: 2, unbounded_containers: [chatty-job, web-1],
           not_on_this_node: 0, not_readable: 0}
  contains:
    bytes:
      description: Bytes in the log files (current and rotated) of every container, read on this node.
      type: int
    containers:
      description: Number of containers.
      type: int
    json_file:
      description: How many use the V(json-file) driver, the one that writes under the engine's data root unbounded.
      type: int
    unbounded:
      description: How many have a V(json-file) log without rotation (no C(max-size)).
      type: int
    unbounded_containers:
      description: Their names.
      type: list
      elements: str
    not_on_this_node:
      description: Containers whose logs are not on this node (the engine runs elsewhere); RV(logs.bytes) leaves them out.
      type: int
    not_readable:
      description: Containers whose logs this user cannot read (run as root); RV(logs.bytes) leaves them out.
      type: int
"""

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._info_reads import host_facts


def gather(module: TidyDockerModule) -> dict[str, t.Any]:
    return dict(changed=False, **host_facts(module.client, disk_usage=module.params["disk_usage"], logs=module.params["logs"]))


def main() -> None:
    module = TidyDockerModule(argument_spec={"disk_usage": {"type": "bool", "default": True},
                                             "logs": {"type": "bool", "default": True}})
    module.run(gather)


if __name__ == "__main__":
    main()
