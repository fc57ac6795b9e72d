#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container_info
short_description: What C(docker ps -a) and C(docker logs) show
version_added: 0.1.0
description:
  - Lists containers like C(docker ps -a), each with the state details C(docker inspect) knows
    (exit code, start and finish times, restart count and policy), and optionally its last log lines.
  - Selection works like C(docker ps). O(all=false) lists only running containers, O(last) the N newest, and
    O(filters) are the engine's. The order is newest first.
  - A container that disappears between the listing and its inspection (another actor removed it) is simply left out.
  - Read-only, it never changes anything on the host.
options:
  name:
    description:
      - Container names or ids (full or a unique prefix) to list. An empty list lists all containers.
      - Names are matched exactly, not as substrings.
    type: list
    elements: str
    default: []
    aliases: [names]
  all:
    description:
      - Include containers that are not running, like C(docker ps -a).
    type: bool
    default: true
  last:
    description:
      - Only the N most recently created containers, like C(docker ps -n N).
    type: int
  filters:
    description:
      - Engine filters, as C(docker ps --filter) takes them, for example C(status=exited), C(label=tier=web),
        C(ancestor=shop/web:4), C(exited=1), written as a dictionary (see the examples).
    type: dict
    default: {}
  size:
    description:
      - Also return C(size_rw), the size of each container's writable layer. Slower on busy hosts.
    type: bool
    default: false
  logs_tail:
    description:
      - When set, each listed container carries its last N log lines (stdout and stderr) in C(logs).
      - V(0) returns no lines; unset returns no C(logs) key at all.
    type: int
  since:
    description:
      - With O(logs_tail), only log lines written after this moment.
      - A duration ago (V(10m), V(2h), V(1d12h)), an ISO 8601 time (V(2026-11-27T08:00:00Z)) or epoch seconds.
    type: str
  until:
    description:
      - With O(logs_tail), only log lines written before this moment. Same forms as O(since).
    type: str
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.info_module
seealso:
  - module: tidy.docker.image_info
  - module: tidy.docker.host_info
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
# Ad hoc, from the command line:
#   ansible web-01 -m tidy.docker.container_info -a 'name=web logs_tail=20'
#   ansible web-01 -m tidy.docker.container_info -a '{"filters": {"status": "exited"}}'
#   ansible web-01 -m tidy.docker.container_info -a 'last=3 size=true'

- name: Everything docker ps -a shows
  tidy.docker.container_info:
  register: ps

- name: One container and its last 20 log lines
  tidy.docker.container_info:
    name: web
    logs_tail: 20
  register: web

- name: Print them
  ansible.builtin.debug:
    var: web.containers[0].logs
  when: web.exists

- name: Containers that exited with an error in the last day
  tidy.docker.container_info:
    filters:
      status: exited
  register: exited

- name: Their names
  ansible.builtin.debug:
    msg: "{{ exited.containers | rejectattr('exit_code', 'equalto', 0) | map(attribute='name') | list }}"

- name: The three newest containers with their writable-layer size
  tidy.docker.container_info:
    last: 3
    size: true
"""

RETURN = r"""
containers:
  description: The containers, newest first.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Full container id.
      type: str
      sample: 813c249508bbcfc00dded2f065b63b59e2fe25066b19b528e30882ee9c5d7321
    name:
      description: Name, without the leading slash.
      type: str
      sample: stopped1
    image:
      description: The image reference the container was created with.
      type: str
      sample: tidy-test/app:1
    image_id:
      description: Id of that image.
      type: str
      sample: sha256:271faf8726941d2696abd2e4388f1fe86bef1fff680d5b01531d6be023468998
    command:
      description: The command it runs (entrypoint and arguments).
      type: list
      elements: str
      sample: [sh, -c, echo hello]
    created:
      description: Creation time, ISO 8601 UTC.
      type: str
      sample: "2026-11-27T22:03:20.512633Z"
    state:
      description: One of V(created), V(running), V(paused), V(restarting), V(removing), V(exited), V(dead).
      type: str
      sample: exited
    status:
      description: The status text C(docker ps) prints.
      type: str
      sample: Exited (0) 2 minutes ago
    running:
      description: Whether it is running (and not paused).
      type: bool
      sample: false
    paused:
      description: Whether it is paused.
      type: bool
      sample: false
    restarting:
      description: Whether the engine is restarting it.
      type: bool
      sample: false
    exit_code:
      description: Exit code of the last run; V(0) also for a container never started.
      type: int
      sample: 0
    started_at:
      description: Last start time, ISO 8601 UTC; V(null) if never started.
      type: str
      sample: "2026-11-27T22:03:20.678084Z"
    finished_at:
      description: Last finish time, ISO 8601 UTC; V(null) if it never finished.
      type: str
      sample: "2026-11-27T22:03:20.679109Z"
    labels:
      description: Container labels.
      type: dict
      sample: {tidy.docker.keep: "true"}
    restart_count:
      description: How often the engine restarted it.
      type: int
      sample: 0
    restart_policy:
      description: Restart policy, V(no) when none.
      type: str
      sample: unless-stopped
    network_mode:
      description: Network mode.
      type: str
      sample: default
    size_rw:
      description: Bytes in the writable layer.
      type: int
      returned: when O(size=true)
      sample: 12288
    log:
      description:
        - The container's logging driver and rotation, and the bytes its log files hold on this node (C(docker system
          df) does not count them).
      type: dict
      sample: {driver: json-file, max_size: null, max_file: 1, compress: false, unbounded: true,
               path: /var/lib/docker/containers/813c…/813c…-json.log, files: 1, size: 52428800, unreadable: null}
      contains:
        driver:
          description: Logging driver, for example V(json-file), V(local), V(journald); V(k8s-file) on Podman, whose API
            names it V(json-file).
          type: str
        max_size:
          description: C(max-size) in bytes; V(null) when the log is never rotated.
          type: int
        max_file:
          description: How many files rotation keeps (C(max-file)).
          type: int
        compress:
          description: Whether rotated files are compressed.
          type: bool
        unbounded:
          description: True for a V(json-file) log without C(max-size), which grows until the disk is full.
          type: bool
        path:
          description:
            - The current log file, as the engine names it.
            - V(null) for drivers that keep no file, and for a container never started.
          type: str
        files:
          description: Number of log files found (current and rotated).
          type: int
        size:
          description: Bytes in them; V(null) when they could not be read (see RV(containers[].log.unreadable)).
          type: int
        unreadable:
          description: V(null), or V(not_on_this_node) (the engine runs on another machine), or V(not_readable) (run as root).
          type: str
    logs:
      description: The last O(logs_tail) log lines.
      type: list
      elements: str
      returned: when O(logs_tail) is set
      sample: [hello, hello]
count:
  description: Number of containers listed.
  returned: success
  type: int
  sample: 2
exists:
  description: Whether the one container asked for in O(name) exists (and matches O(all), O(filters), O(last)).
  returned: when O(name) has one element
  type: bool
  sample: true
"""

import datetime as dt
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._concurrency import concurrently
from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._info_reads import (
    CONTAINER_FILTERS,
    check_count,
    check_filters,
    list_containers,
    read_logs,
)
from ansible_collections.tidy.docker.plugins.module_utils._references import check_container_ref
from ansible_collections.tidy.docker.plugins.module_utils._units import parse_point_in_time


def log_window(params: t.Mapping[str, t.Any]) -> tuple[int | None, int | None]:
    """``since``/``until`` as epoch seconds, validated before any engine call."""
    now = dt.datetime.now(dt.timezone.utc)
    bounds = [int(parse_point_in_time(params[key], now, key).timestamp()) if params[key] is not None else None
              for key in ("since", "until")]
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise InvalidInput(f"since: {params['since']!r} is after until {params['until']!r}; give a since that comes "
                           "before until, or leave one of them unset.", option="since", value=params["since"])
    check_count(params["logs_tail"], "logs_tail", "give the number of lines to return", minimum=0)
    return bounds[0], bounds[1]


def gather(module: TidyDockerModule) -> dict[str, t.Any]:
    params = module.params
    since, until = log_window(params)
    check_count(params["last"], "last", "give how many of the newest containers to list", minimum=1)
    for name in params["name"]:
        check_container_ref(name, "name")
    check_filters(params["filters"], "filters", CONTAINER_FILTERS)
    containers = list_containers(module.client, names=params["name"], include_stopped=params["all"],
                                 last=params["last"], filters=params["filters"], size=params["size"])
    tail = params["logs_tail"]
    if tail is not None:
        logs = concurrently(lambda record: read_logs(module.client, record["id"], tail, since, until) if tail else [],
                            containers)
        for record, lines in zip(containers, logs):
            record["logs"] = lines
    result: dict[str, t.Any] = {"changed": False, "containers": containers, "count": len(containers)}
    if len(params["name"]) == 1:
        result["exists"] = bool(containers)
    return result


def main() -> None:
    module = TidyDockerModule(argument_spec={
        "name": {"type": "list", "elements": "str", "default": [], "aliases": ["names"]},
        "all": {"type": "bool", "default": True},
        "last": {"type": "int"},
        "filters": {"type": "dict", "default": {}},
        "size": {"type": "bool", "default": False},
        "logs_tail": {"type": "int"},
        "since": {"type": "str"},
        "until": {"type": "str"},
    })
    module.run(gather)


if __name__ == "__main__":
    main()
