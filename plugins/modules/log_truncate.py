#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: log_truncate
short_description: Empty the json-file logs of containers over a size, in place, with a plan and a reason for each
version_added: 0.2.0
description:
  - Container logs of the default V(json-file) driver grow without bound unless rotation was configured, and the
    engine neither counts them (C(docker system df) leaves them out) nor offers a way to reclaim them. This module
    reads them on the node the engine runs on, plans which to empty, and truncates exactly those.
  - Truncates in place, never deletes. dockerd keeps the current file open and appends to it, so its next line lands
    at the start of the emptied file, and C(docker logs) shows the new lines. Rotated files
    (C(<id>-json.log.1), C(.2.gz)...) are emptied too unless O(rotated=false); a compressed one becomes an empty gzip
    stream, which C(docker logs) reads as empty (an empty file would make it fail).
  - Stopped containers only, unless O(include_running=true). What a running container writes between the measure and
    the truncation is lost with the rest. On Docker 23.0 and later, a running container's truncated log is no longer
    followed; C(docker logs -f) shows no new line and C(docker logs --tail) nothing until the container restarts
    (U(https://github.com/moby/moby/issues/45728)); the module warns and names them. Stopped containers are not
    affected, on any engine tested (docs/logs.md).
  - Every container is returned in RV(truncated) or RV(kept) with a reason. Check mode returns the same plan and the
    bytes it would free.
  - The files are read on the node the module runs on. When the engine runs elsewhere (a C(tcp://) or C(ssh://)
    O(docker_host) of another machine) its containers are kept as V(not_on_this_node) and a warning says where to run
    the module instead. Reading and emptying the files needs root (C(become=true)).
options:
  larger_than:
    description:
      - Truncate a log when the files to be emptied hold more than this, for example V(100MB), V(1GiB), or V(0) for
        every non-empty log. Smaller ones are kept as V(under_size).
    type: str
    required: true
  include_running:
    description:
      - Also truncate the logs of running (and paused, restarting) containers. By default they are kept as V(running).
    type: bool
    default: false
  names:
    description:
      - Glob patterns of container names to consider; empty considers all. Others are kept as V(not_selected).
    type: list
    elements: str
    default: []
  exclude_names:
    description:
      - Glob patterns of container names, or ids (full or 12-character), whose logs are never emptied; reason
        V(excluded_name).
    type: list
    elements: str
    default: []
  labels:
    description:
      - Only containers carrying all these labels (V(key) or V(key=value)); others are kept as V(not_selected).
    type: list
    elements: str
    default: []
  exclude_labels:
    description:
      - Containers carrying any of these labels are kept as V(excluded_label).
    type: list
    elements: str
    default: []
  protect_label:
    description:
      - Containers carrying this label (V(key=value), or V(key) for any value) are kept as V(excluded_label), like the
        prune modules do. An empty string protects nothing.
    type: str
    default: tidy.docker.keep=true
  rotated:
    description:
      - Also empty the rotated files beside the current one. V(false) empties the current file only, and O(larger_than)
        compares with its size alone.
    type: bool
    default: true
  report_kept:
    description:
      - Return the full RV(kept) list. On hosts with thousands of containers set V(false) and read RV(kept_counts).
    type: bool
    default: true
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.actions
notes:
  - The cause is fixed at the source with rotation, per container (C(--log-opt max-size=10m --log-opt max-file=3)) or
    as C(log-opts) in the engine's C(daemon.json) for containers created after it. RV(unbounded) names the containers
    whose logs have none.
  - The V(local) driver rotates by default and the other drivers keep nothing under the engine's data root; their
    containers are kept as V(not_json_file).
  - On Podman every container is kept as V(not_json_file), with one warning and no file touched; Podman writes its own
    V(k8s-file) format even where its API says V(json-file) (docs/podman.md).
  - >-
    Bad option values fail before anything is read, in one sentence, for example
    V(larger_than: '10XB' is not a size; …).
seealso:
  - name: Container logs
    link: docs/logs.md
    description: Why logs fill disks, what truncation does to readers, how it was tested.
  - module: tidy.docker.container_info
  - module: tidy.docker.host_info
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
# Ad hoc, from the command line:
#   ansible web -b -m tidy.docker.log_truncate -a 'larger_than=100MB' --check --diff

- name: Empty the logs of stopped containers holding more than 100 MB
  tidy.docker.log_truncate:
    larger_than: 100MB
  become: true

- name: Also the running ones of the batch jobs, and say which containers still have no rotation
  tidy.docker.log_truncate:
    larger_than: 1GB
    include_running: true
    names: ['batch-*']
  become: true
  register: logs

- name: Name the containers to give rotation to
  ansible.builtin.debug:
    msg: "No log rotation: {{ logs.unbounded | join(', ') }}"
  when: logs.unbounded | length > 0
"""

RETURN = r"""
truncated:
  description: Containers whose logs were emptied (or, in check mode, would be), largest first.
  returned: success, and on a failure once truncations began
  type: list
  elements: dict
  sample:
    - {id: 806cd46b9905beb25e358cdc848ff51f76c043181eff7db2c2d4796b18c7a379, names: [chatty-job], size: 52428800,
       reason: over_size, driver: json-file, unbounded: true}
  contains:
    id:
      description: Container id.
      type: str
    names:
      description: The container's name, as a one-element list.
      type: list
      elements: str
    size:
      description: Bytes of the files emptied (current and rotated), as read before the run.
      type: int
    reason:
      description: V(over_size).
      type: str
    driver:
      description: The container's logging driver.
      type: str
    unbounded:
      description: True when the log has no rotation (V(json-file) without C(max-size)).
      type: bool
kept:
  description:
    - Containers left alone, with the reason, one of V(under_size), V(running), V(excluded_name), V(excluded_label),
      V(not_selected), V(not_json_file), V(not_on_this_node), V(not_readable), V(gone) (removed meanwhile), V(not_attempted) (the
      engine failed after other logs were emptied). Sorted by reason.
  returned: when O(report_kept=true), also on a failure once truncations began
  type: list
  elements: dict
  sample:
    - {id: 37084e7feb5c…, names: [web-1], size: 6101, reason: running, driver: json-file, unbounded: false}
kept_counts:
  description: How many containers were kept, per reason. Returned also when O(report_kept=false).
  returned: success
  type: dict
  sample: {running: 1, under_size: 3}
truncated_count:
  description: Number of entries in RV(truncated).
  returned: success
  type: int
  sample: 1
unbounded:
  description: Names of every container whose log has no rotation, whatever the filters.
  returned: success
  type: list
  elements: str
  sample: [chatty-job, web-1]
log_bytes:
  description: Bytes held by all container logs on this node before the run (current and rotated files).
  returned: success
  type: int
  sample: 52540911
space_reclaimed:
  description: Bytes freed, measured on the files.
  returned: when not in check mode
  type: int
  sample: 52428800
space_reclaimed_human:
  description: RV(space_reclaimed) for people.
  returned: when not in check mode
  type: str
  sample: 52 MB
space_reclaimable:
  description: Bytes a real run would free.
  returned: in check mode
  type: int
  sample: 52428800
space_reclaimable_human:
  description: RV(space_reclaimable) for people.
  returned: in check mode
  type: str
  sample: 52 MB
"""

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._errors import PartialFailure
from ansible_collections.tidy.docker.plugins.module_utils._logs.engine import (
    Truncation,
    TruncationInterrupted,
    apply_truncations,
    container_logs,
)
from ansible_collections.tidy.docker.plugins.module_utils._logs.options import LOG_TRUNCATE_SPEC, log_policy_from_params
from ansible_collections.tidy.docker.plugins.module_utils._logs.policy import plan_log_truncations, stalls_readers
from ansible_collections.tidy.docker.plugins.module_utils._logs.report import (
    interrupted_message,
    log_diff,
    log_result,
    log_warnings,
)
from ansible_collections.tidy.docker.plugins.module_utils._podman import PODMAN


def truncate_logs(module: TidyDockerModule) -> dict[str, t.Any]:
    policy = log_policy_from_params(module.params)
    client = module.client
    logs = container_logs(client)
    plan = plan_log_truncations(logs, policy)
    if module.check_mode:
        outcome = Truncation(truncated=[d for d in plan if d.truncated], kept=[d for d in plan if not d.truncated], freed=0)
    else:
        try:
            outcome = apply_truncations(client, plan, logs, policy)
        except TruncationInterrupted as stop:
            done = log_result(stop.outcome.truncated, stop.outcome.kept, logs, False, module.params["report_kept"],
                              stop.outcome.freed)
            raise PartialFailure(interrupted_message(stop.cause.message, len(stop.outcome.truncated), stop.planned), done,
                                 **stop.cause.context) from None
    product, version = client.engine, client.engine_version.get("Version")
    for warning in log_warnings(outcome.truncated, outcome.kept, client.settings.docker_host,
                                f"{product.capitalize()} {version}", stalls_readers(product, version),
                                podman=product == PODMAN):
        module.warn(warning)
    result = log_result(outcome.truncated, outcome.kept, logs, module.check_mode, module.params["report_kept"],
                        outcome.freed)
    if module._diff:
        result["diff"] = log_diff(outcome.truncated, outcome.kept)
    return result


def main() -> None:
    module = TidyDockerModule(argument_spec=LOG_TRUNCATE_SPEC)
    module.run(truncate_logs)


if __name__ == "__main__":
    main()
