#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container_prune
short_description: Remove stopped containers by policy, with a plan and a reason for each
version_added: 0.1.0
description:
  - Plans first, then removes exactly the planned containers; check mode returns the same plan without
    touching anything.
  - Every container looked at is returned in RV(removed) or RV(kept) with a reason.
  - Never removes a running, paused or restarting container. A never-started (V(created)) container ages from
    its creation time, an exited one from its finish time.
  - A stopped container with restart policy V(always) or V(unless-stopped) is a service the engine brings back
    on reboot, and is spared unless O(exclude_restart_policies) is emptied.
  - Races with other actors are recorded, not fatal. A container started, removed or changed after planning
    is spared with reason V(running), V(gone) or V(conflict).
options:
  statuses:
    description:
      - The stopped states to prune.
    type: list
    elements: str
    choices: [exited, created, dead]
    default: [exited, dead]
  older_than:
    description:
      - Only containers stopped longer ago than this (from V(finished_at); from creation for never-started ones).
      - A duration such as V(30s), V(15m), V(12h), V(7d), V(2w), V(1d12h), or whole seconds.
    type: str
  names:
    description:
      - Glob patterns of container names to consider (for example V(ci-*)); empty considers all.
      - Others are kept with reason V(not_selected).
    type: list
    elements: str
    default: []
  exclude_names:
    description:
      - Glob patterns of container names, or ids (full or 12-character), never to remove; reason V(excluded_name).
    type: list
    elements: str
    default: []
  labels:
    description:
      - Only containers carrying all these labels, each V(key) or V(key=value); others are kept with reason V(not_selected).
    type: list
    elements: str
    default: []
  exclude_labels:
    description:
      - Containers carrying any of these labels (V(key) or V(key=value)) are never removed; reason V(excluded_label).
      - For example V(tidy.docker.keep=true).
    type: list
    elements: str
    default: []
  exclude_restart_policies:
    description:
      - Stopped containers with these restart policies are spared with reason V(restart_policy).
      - Set to V([]) to prune them too.
    type: list
    elements: str
    choices: ['no', always, on-failure, unless-stopped]
    default: [always, unless-stopped]
  keep_volumes:
    description:
      - Keep the anonymous volumes of removed containers. V(false) removes them with the container, like C(docker rm -v).
    type: bool
    default: true
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.actions
  - tidy.docker._prune_options
seealso:
  - module: tidy.docker.image_prune
  - module: tidy.docker.container_info
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
- name: Remove containers that exited more than a day ago, except protected ones
  tidy.docker.container_prune:
    older_than: 1d
    exclude_labels:
      - tidy.docker.keep=true

- name: Dry run across the fleet, showing what would go and why
  tidy.docker.container_prune:
    older_than: 7d
  check_mode: true
  register: plan

- name: Print the plan
  ansible.builtin.debug:
    msg: "{{ plan.removed | map(attribute='names') | flatten }} ({{ plan.kept_counts }})"

- name: Clean CI leftovers, including never-started ones and their anonymous volumes
  tidy.docker.container_prune:
    names: ['ci-*']
    statuses: [exited, created, dead]
    keep_volumes: false
    max_removals: 500
"""

RETURN = r"""
removed:
  description: Containers removed (or, in check mode, that would be), oldest first.
  returned: success
  type: list
  elements: dict
  sample: [{id: 0b5d8f2a4c1e9b7d6a3f0e2c8b1d4a7f6e9c2b5d8a1f4e7c0b3d6a9f2e5c8b1d, names: [old-job], size: 0, reason: older_than}]
  contains:
    id:
      description: Container id.
      type: str
    names:
      description: The container's name, as a one-element list.
      type: list
      elements: str
    size:
      description: Writable-layer size in bytes.
      type: int
    reason:
      description: V(older_than) when O(older_than) is set, else V(stopped).
      type: str
kept:
  description:
    - Containers looked at and spared, with the reason, one of V(running), V(excluded_name), V(excluded_label),
      V(not_selected), V(restart_policy), V(too_young), V(max_removals), V(conflict) (the engine refused, HTTP 409),
      V(gone) (removed by someone else meanwhile, HTTP 404, or in state V(removing) for someone else).
  returned: when O(report_kept=true)
  type: list
  elements: dict
  sample: [{id: 9b2800f361b18116d2349636c28990b6da03b39ad3138c98a7ecf4bd0b68cce4, names: [web], reason: running}]
kept_counts:
  description: How many containers were kept, per reason.
  returned: success
  type: dict
  sample: {running: 1, restart_policy: 1, excluded_label: 2}
removed_count:
  description: Number of entries in RV(removed).
  returned: success
  type: int
  sample: 12
space_reclaimed:
  description: Bytes freed, measured from the engine's container disk usage before and after.
  returned: when not in check mode
  type: int
  sample: 40960
space_reclaimed_human:
  description: RV(space_reclaimed) for people.
  returned: when not in check mode
  type: str
  sample: 41 kB
space_reclaimable:
  description: Bytes a real run would free, the writable layers of the planned containers.
  returned: in check mode
  type: int
  sample: 0
space_reclaimable_human:
  description: RV(space_reclaimable) for people.
  returned: in check mode
  type: str
  sample: 0 B
"""

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._prune.apply import apply_plan, container_remover
from ansible_collections.tidy.docker.plugins.module_utils._prune.options import (
    CONTAINER_POLICY_SPEC,
    RUN_SPEC,
    container_policy_from_params,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import plan_container_removals
from ansible_collections.tidy.docker.plugins.module_utils._prune.read import containers_from_engine, disk_usage_of
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import Outcome, prune_diff, prune_result
from ansible_collections.tidy.docker.plugins.module_utils._units import now_utc


def prune_containers(module: TidyDockerModule) -> dict[str, t.Any]:
    policy = container_policy_from_params(module.params)
    client = module.client
    containers = containers_from_engine(client, details=policy.needs_details, sizes=True)
    plan = plan_container_removals(containers, policy, now_utc())
    if module.check_mode or not plan.removals:
        outcome, reclaimed = Outcome(removed=list(plan.removals), kept=list(plan.kept)), 0
    else:
        before = sum(container.size_rw for container in containers)
        outcome = apply_plan(plan, container_remover(client, module.params["keep_volumes"]), module.params["parallel"])
        reclaimed = max(before - disk_usage_of(client, "containers"), 0)
    result = prune_result(outcome, "names", module.check_mode, module.params["report_kept"], reclaimed)
    if module._diff:
        result["diff"] = prune_diff(outcome, "containers")
    return result


def main() -> None:
    module = TidyDockerModule(argument_spec=dict(CONTAINER_POLICY_SPEC, **RUN_SPEC,
                                                 keep_volumes={"type": "bool", "default": True}))
    module.run(prune_containers)


if __name__ == "__main__":
    main()
