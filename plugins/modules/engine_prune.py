#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: engine_prune
short_description: Remove unused volumes, networks and build cache, with a plan and a reason for each
version_added: 0.1.0
description:
  - Removes what the other prune modules leave alone, volumes that no container mounts, custom networks that no
    container is configured on, and build cache that is not in use. Each kind is off until asked for, since a volume
    holds data and nothing gets it back.
  - Plans first, then removes exactly the planned objects; check mode returns the same plan without touching
    anything, with an estimate of the space a real run frees.
  - Every object looked at is returned in RV(removed) or RV(kept) with its kind and a reason. The networks the
    engine makes itself (V(bridge), V(host), V(none), Podman's V(podman)) are never looked at.
  - A container counts as a user in any state. A network only stopped containers are configured on is kept
    (V(in_use)); the engine would remove it, and those containers would then fail to start.
  - Volumes and networks are removed one by one. Build cache goes through the engine's build-cache prune,
    filtered to the ids of the planned records, so exactly those go.
  - Races with other actors are recorded, not fatal. An object used, removed or refused after planning is kept
    with reason V(in_use), V(too_young), V(gone) or V(conflict).
  - When the engine fails once the removals began (no answer within O(timeout), the connection lost, another engine
    error), no further removal starts and the task fails with C(changed=true) and its usual returns; what went is in
    RV(removed), the rest in RV(kept) as V(failed) (asked, not confirmed) or V(not_attempted); a rerun finishes.
  - Bad option values fail with one sentence before the engine is asked anything.
options:
  volumes:
    description:
      - Remove volumes that no container, running or stopped, mounts; anonymous and named ones (see O(named_volumes)).
      - A volume is anonymous when the engine made it for a container's unnamed mount. Docker 23 and newer label it
        C(com.docker.volume.anonymous); on older engines and on Podman, its name is 64 hexadecimal digits.
    type: bool
    default: false
  named_volumes:
    description:
      - With O(volumes), whether named volumes go too. V(false) removes only anonymous volumes and keeps named ones
        with reason V(not_selected).
      - Defaults to V(true) when O(volumes=true); setting it without O(volumes=true) fails.
    type: bool
  networks:
    description: Remove custom networks that no container, running or stopped, is configured on.
    type: bool
    default: false
  build_cache:
    description: Remove build cache records that are not in use.
    type: bool
    default: false
  build_cache_older_than:
    description:
      - With O(build_cache), only records last used (or, never used, created) longer ago than this, such as V(24h)
        or V(7d); at most 100 years. Setting it without O(build_cache=true) fails.
      - A record that a kept record was built on is kept too, with reason V(parent_of_kept).
    type: str
  exclude_labels:
    description:
      - Volumes and networks carrying any of these labels (V(key) or V(key=value)) are never removed; reason
        V(excluded_label). O(protect_label) (V(tidy.docker.keep=true) unless set) is honoured on top of these.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.actions
  - tidy.docker._prune_options.run
  - tidy.docker._prune_options.protect
notes:
  - The role P(tidy.docker.clean_host#role) prunes these kinds through M(tidy.docker.prune), with the same
    planners, off by default (C(clean_host_prune_volumes), C(clean_host_prune_networks),
    C(clean_host_prune_build_cache)).
seealso:
  - name: The clean_host role and playbook
    link: docs/role-clean_host.md
    description: The variables that switch each kind on in the role's one plan.
  - module: tidy.docker.prune
  - name: Why volumes and networks are removed one by one
    link: docs/decisions.md#volumes-and-networks-are-removed-one-by-one-not-with-the-engines-prune
    description: Not with the engine's own prune, so that check mode lists exactly what a real run removes.
  - module: tidy.docker.container_prune
  - module: tidy.docker.image_prune
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
# Ad hoc, from the command line:
#   ansible web-01 -m tidy.docker.engine_prune -a 'volumes=true networks=true' --check
#   ansible web-01 -m tidy.docker.engine_prune -a 'networks=true build_cache=true build_cache_older_than=7d'

- name: Remove unused networks and week-old build cache, never protected ones (protect_label is on by default)
  tidy.docker.engine_prune:
    networks: true
    build_cache: true
    build_cache_older_than: 7d
    exclude_labels: [com.example.team=db]

- name: Show which volumes nobody uses, how much they hold, and why the others stay
  tidy.docker.engine_prune:
    volumes: true
  check_mode: true
  register: unused_volumes

- name: Print the plan
  ansible.builtin.debug:
    msg: >-
      {{ unused_volumes.removed | map(attribute='id') | list }} ({{ unused_volumes.space_reclaimable_human }});
      kept {{ unused_volumes.kept_counts }}

- name: Remove the anonymous volumes containers left behind, never named ones
  tidy.docker.engine_prune:
    volumes: true
    named_volumes: false
"""

RETURN = r"""
removed:
  description: Objects removed (or, in check mode, that would be), volumes first, then networks, then build cache.
  returned: success, and on a failure once the removals began
  type: list
  elements: dict
  sample: [{kind: volume, id: old-data, names: [old-data], size: 1048576, reason: unused}]
  contains:
    kind:
      description: V(volume), V(network) or V(build_cache).
      type: str
    id:
      description: The volume's name, the network's id, or the build cache record's id.
      type: str
    names:
      description:
        - The volume's or network's name, or the build cache record's description, as a one-element list.
        - Empty for a build cache record without a description.
      type: list
      elements: str
    size:
      description:
        - Bytes on disk (system df). Zero for networks, for volumes whose driver does not tell, and for build cache
          an image shares (removing it frees nothing).
      type: int
    reason:
      description: V(older_than) for build cache when O(build_cache_older_than) is set, else V(unused).
      type: str
kept:
  description:
    - Objects looked at and spared, with their kind and the reason, one of V(in_use) (a container, running or
      stopped, uses the volume or network; the build cache record is in use), V(excluded_label), V(not_selected)
      (a named volume with O(named_volumes=false)), V(too_young), V(parent_of_kept) (a build cache record a kept one
      was built on), V(conflict) (the engine refused), V(gone) (removed by someone else meanwhile), V(failed) and
      V(not_attempted) (the engine failed in the middle of the run, see above).
  returned: when O(report_kept=true)
  type: list
  elements: dict
  sample:
    - {kind: volume, id: pgdata, names: [pgdata], reason: in_use}
    - {kind: network, id: 8c1f0e7d6b5a49382716a5b4c3d2e1f0, names: [shop], reason: in_use}
kept_counts:
  description: How many objects were kept, per reason, all kinds together.
  returned: success, and on a failure once the removals began
  type: dict
  sample: {in_use: 3, excluded_label: 1}
removed_count:
  description: Number of entries in RV(removed).
  returned: success, and on a failure once the removals began
  type: int
  sample: 2
by_kind:
  description:
    - Per pruned kind (V(volume), V(network), V(build_cache)), its share of the run - C(removed_count), C(kept_counts),
      and C(space_reclaimable) in check mode (the estimate) or C(space_reclaimed) in a real run (measured for that
      kind; always 0 for networks).
  returned: success, and on a failure once the removals began
  type: dict
  sample: {volume: {removed_count: 2, kept_counts: {in_use: 1}, space_reclaimed: 1048576},
           network: {removed_count: 1, kept_counts: {}, space_reclaimed: 0}}
space_reclaimed:
  description:
    - Bytes freed, measured with the engine's system df before and after the removals, kind by kind. What counts is the disk
      usage of volumes and of the build cache no image shares (networks hold none), so another actor writing to a
      volume meanwhile lowers the figure; never below zero.
  returned: when not in check mode
  type: int
  sample: 1048576
space_reclaimed_human:
  description: RV(space_reclaimed) for people.
  returned: when not in check mode
  type: str
  sample: 1.05 MB
space_reclaimable:
  description: Bytes a real run would free, the sum of the sizes in RV(removed).
  returned: in check mode
  type: int
  sample: 1048576
space_reclaimable_human:
  description: RV(space_reclaimable) for people.
  returned: in check mode
  type: str
  sample: 1.05 MB
volumes_removed:
  description: Names of the volumes in RV(removed). Kept for users of release 0.1; RV(removed) has the details.
  returned: success, and on a failure once the removals began
  type: list
  elements: str
  sample: [old-data]
networks_removed:
  description: The networks in RV(removed), as C({id, name}). Kept for users of release 0.1.
  returned: success, and on a failure once the removals began
  type: list
  elements: dict
  sample: [{id: 8c1f0e7d6b5a49382716a5b4c3d2e1f0, name: old-frontend}]
build_cache_removed:
  description: Ids of the build cache records in RV(removed). Kept for users of release 0.1.
  returned: success, and on a failure once the removals began
  type: list
  elements: str
  sample: [lmtv0hkolxknqvdoujs2p69sg]
"""

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._prune.options import DEFAULT_PARALLEL, PROTECT_SPEC
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_volumes_networks_cache import (
    engine_prune_policies,
    legacy_returns,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import kinds_diff, kinds_result
from ansible_collections.tidy.docker.plugins.module_utils._prune.volumes_networks_cache import run_engine_prune
from ansible_collections.tidy.docker.plugins.module_utils._units import now_utc


def prune_engine(module: TidyDockerModule) -> dict[str, t.Any]:
    params = module.params
    policies = engine_prune_policies(params)  # bad input fails before any engine call
    run = run_engine_prune(module.client, policies, module.check_mode, params["parallel"], now_utc())
    result = kinds_result(run.outcomes, module.check_mode, params["report_kept"], run.reclaimed, run.reclaimed_by_kind)
    result.update(legacy_returns(run.outcomes))
    if module._diff:
        result["diff"] = kinds_diff(run.outcomes, "volumes, networks and build cache")
    if run.interrupted is not None:
        raise run.interrupted.failure(result)
    return result


def main() -> None:
    module = TidyDockerModule(argument_spec={
        "volumes": {"type": "bool", "default": False},
        "named_volumes": {"type": "bool"},
        "networks": {"type": "bool", "default": False},
        "build_cache": {"type": "bool", "default": False},
        "build_cache_older_than": {"type": "str"},
        "exclude_labels": {"type": "list", "elements": "str", "default": []},
        "parallel": {"type": "int", "default": DEFAULT_PARALLEL},
        "report_kept": {"type": "bool", "default": True},
        **PROTECT_SPEC,
    })
    module.run(prune_engine)


if __name__ == "__main__":
    main()
