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
  - Never removes a running, paused or restarting container, whatever the options. A never-started (V(created))
    container ages from its creation time, an exited one from its finish time.
  - A stopped container with restart policy V(always) or V(unless-stopped) is a service the engine brings back
    on reboot, and is spared unless O(exclude_restart_policies) is emptied.
  - Races with other actors are recorded, not fatal. A container started, removed or changed after planning
    is spared with reason V(running), V(gone) or V(conflict).
  - When the engine fails once the removals began (no answer within O(timeout), the connection lost, another engine
    error), no further removal starts and the task fails with C(changed=true) and its usual returns; what went is in
    RV(removed), the rest in RV(kept) as V(failed) (asked, not confirmed) or V(not_attempted); a rerun finishes.
options:
  statuses:
    description:
      - The stopped states to prune; add V(created) for never-started containers.
      - Stopped containers in other states are kept with reason V(not_selected) (with the default, those never
        started).
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
      - O(protect_label) (V(tidy.docker.keep=true) unless set) is honoured on top of these.
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
      - Named volumes and bind mounts are never removed.
    type: bool
    default: true
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.actions
  - tidy.docker._prune_options
  - tidy.docker._prune_options.run
  - tidy.docker._prune_options.protect
notes:
  - Prune containers before images. An image stays V(in_use) for M(tidy.docker.image_prune) as long as any container
    created from it exists, stopped ones included.
  - >-
    Bad option values fail before anything is removed, in one sentence naming the value, for example
    V(older_than: '7x' is not a duration; …), V(max_removals: -1 is negative; …),
    V(parallel: 0 is out of range; use 1 to 64 concurrent engine calls.) or
    V(labels: '=batch' has no label key; use key or key=value.)
seealso:
  - name: How the prune modules decide
    link: docs/policies.md
    description: The rules in their order, every reason, check mode as the plan, races between plan and removal.
  - module: tidy.docker.image_prune
  - module: tidy.docker.container_info
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
# Ad hoc, from the command line:
#   ansible web -m tidy.docker.container_prune -a 'older_than=1d' --check
#   ansible web -m tidy.docker.container_prune -a 'older_than=1d exclude_labels=com.example.team=db'
# The samples under Return values are from a check-mode run on a demo host (make sandbox):
#   ansible web-01 -m tidy.docker.container_prune -a 'older_than=0s' --check
# There the never-started shop-cron-created is not_selected, because created is not among the default
# statuses, and tidy-keep-me is spared by the default protect_label tidy.docker.keep=true.

- name: Remove containers that exited more than a day ago, except protected ones (tidy.docker.keep=true by default)
  tidy.docker.container_prune:
    older_than: 1d
    protect_label: tidy.docker.keep=true

- name: Dry run across the fleet, showing what would go and why
  tidy.docker.container_prune:
    older_than: 7d
  check_mode: true
  register: plan

- name: Print the plan
  ansible.builtin.debug:
    msg: "{{ plan.removed | map(attribute='names') | flatten }} ({{ plan.kept_counts }})"

- name: On CI runners, every finished job container, never-started ones included, with their anonymous volumes
  tidy.docker.container_prune:
    names: ['ci-*']
    statuses: [exited, created, dead]
    keep_volumes: false
    max_removals: 500
"""

RETURN = r"""
removed:
  description: Containers removed (or, in check mode, that would be), oldest first.
  returned: success, and on a failure once the removals began
  type: list
  elements: dict
  sample:
    - {id: 6cb7dc61636294701131475554555ddf3b1baeda19f8352d62975e842358a886, names: [shop-web-1-done], size: 0,
       reason: older_than}
    - {id: 688d1e0dde88…, names: [shop-worker-1-crashed], size: 0, reason: older_than}
    - {id: 22c593b1f66e…, names: [tidy-keep-me], size: 0, reason: older_than}
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
      V(gone) (removed by someone else meanwhile, HTTP 404, or in state V(removing) for someone else),
      V(failed) and V(not_attempted) (the engine failed in the middle of the run, see above).
    - Sorted by reason.
  returned: when O(report_kept=true)
  type: list
  elements: dict
  sample:
    - {id: 7aa572f98015…, names: [shop-cron-created], reason: not_selected}
    - {id: 4e27e97c4edf…, names: [shop-web-3-restart-always], reason: restart_policy}
    - {id: 581b3290977847499a0a76230281e6e68b40fe216580aea72ab30e3161c3bb53, names: [shop-web-4-running], reason: running}
kept_counts:
  description: How many containers were kept, per reason. Returned also when O(report_kept=false).
  returned: success, and on a failure once the removals began
  type: dict
  sample: {not_selected: 1, restart_policy: 1, running: 1}
removed_count:
  description: Number of entries in RV(removed).
  returned: success, and on a failure once the removals began
  type: int
  sample: 3
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
from ansible_collections.tidy.docker.plugins.module_utils._prune.apply import apply_plan, container_remover, measured
from ansible_collections.tidy.docker.plugins.module_utils._prune.options import (
    CONTAINER_POLICY_SPEC,
    PROTECT_SPEC,
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
        outcome, reclaimed, interrupted = Outcome(removed=list(plan.removals), kept=list(plan.kept)), 0, None
    else:
        before = sum(container.size_rw for container in containers)
        outcome, reclaimed, interrupted = measured(
            lambda: apply_plan(plan, container_remover(client, module.params["keep_volumes"]), module.params["parallel"]),
            lambda: max(before - disk_usage_of(client, "containers"), 0), len(plan.removals))
    result = prune_result(outcome, "names", module.check_mode, module.params["report_kept"], reclaimed)
    if module._diff:
        result["diff"] = prune_diff(outcome, "containers")
    if interrupted is not None:
        raise interrupted.failure(result)
    return result


def main() -> None:
    module = TidyDockerModule(argument_spec=dict(CONTAINER_POLICY_SPEC, **RUN_SPEC, **PROTECT_SPEC,
                                                 keep_volumes={"type": "bool", "default": True}))
    module.run(prune_containers)


if __name__ == "__main__":
    main()
