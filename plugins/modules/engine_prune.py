#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: engine_prune
short_description: Remove unused volumes, networks and build cache, with a plan
version_added: 0.1.0
description:
  - Removes what the other prune modules leave alone, volumes that no container references, custom networks without
    containers, and build cache that is not in use. Each kind is off until asked for, since a volume holds data and
    nothing gets it back.
  - Volumes and networks are planned from the engine's listings (for volumes, the engine's notion of dangling,
    referenced by no container in any state) and removed one by one, so a real run removes exactly what check mode
    lists, minus what changed in between. A volume or network that a container started using meanwhile is refused
    by the engine and reported in RV(kept), never fatal.
  - Build cache has no per-record delete in the engine API; it is removed with the engine's build-cache prune,
    using the same selection (not in use, optionally unused for O(build_cache_older_than)) that check mode lists.
    The ids a real run reports are those the engine deleted, which can differ if a build ran in between.
options:
  volumes:
    description: Remove volumes no container (running or stopped) references, named and anonymous alike.
    type: bool
    default: false
  networks:
    description: Remove custom networks no container is connected to. V(bridge), V(host) and V(none) are never removed.
    type: bool
    default: false
  build_cache:
    description: Remove build cache records that are not in use.
    type: bool
    default: false
  build_cache_older_than:
    description: With O(build_cache), only records unused for longer than this duration (V(24h), V(7d), V(1d12h), or
      whole seconds).
      A value that is not a duration fails before anything is read, in one sentence quoting it.
    type: str
  exclude_labels:
    description:
      - Volumes and networks carrying any of these labels (V(key) or V(key=value)) are never removed.
      - The module has no protect label of its own. A volume labelled V(tidy.docker.keep=true) is removed like any
        other unless that label is listed here; say it on every task (as the role P(tidy.docker.clean_host#role)
        does), or once with C(module_defaults).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.actions
attributes:
  diff_mode:
    description: Would return details on what has changed in diff mode.
    support: none
    details:
      - The module returns no diff; under C(--diff), RV(volumes_removed), RV(networks_removed) and
        RV(build_cache_removed) are the before and after.
notes:
  - In the role P(tidy.docker.clean_host#role) it is step 5, off by default (C(clean_host_prune_volumes),
    C(clean_host_prune_networks), C(clean_host_prune_build_cache)); the role passes its protect label as
    O(exclude_labels).
seealso:
  - name: The clean_host role and playbook
    link: docs/role-clean_host.md
    description: Step 5 of the role, and the variables that switch each kind on.
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
#   ansible web-01 -m tidy.docker.engine_prune -a 'volumes=true networks=true exclude_labels=tidy.docker.keep=true' --check
#   ansible web-01 -m tidy.docker.engine_prune -a 'networks=true build_cache=true build_cache_older_than=7d'
# The samples under Return values are from a real run of the first line without --check, on a host with an unused
# volume old-data, a volume pg-data labelled tidy.docker.keep=true, a volume used-data mounted by a stopped
# container, and a network old-frontend nobody uses. With --check it returns the same lists without
# space_reclaimed; a second real run returns empty lists and changed=false.

- name: Remove unused networks and week-old build cache, never protected ones
  tidy.docker.engine_prune:
    networks: true
    build_cache: true
    build_cache_older_than: 7d
    exclude_labels: [tidy.docker.keep=true]

- name: Show which volumes nobody uses
  tidy.docker.engine_prune:
    volumes: true
  check_mode: true
  register: unused_volumes
"""

RETURN = r"""
volumes_removed:
  description: Names of the volumes removed (or that would be); an anonymous volume's name is its long hex id.
  returned: success
  type: list
  elements: str
  sample: [old-data]
networks_removed:
  description: Networks removed (or that would be), as C({id, name}).
  returned: success
  type: list
  elements: dict
  sample: [{id: cc7d622defe4c050c92b4732e31ed125d381d1e7d5092238b50e0c028eba549f, name: old-frontend}]
build_cache_removed:
  description: Ids of the build cache records removed (or that would be).
  returned: success
  type: list
  elements: str
  sample: []
kept:
  description:
    - Only the planned objects a real run could not remove after all, with a reason. V(in_use) for a volume a new
      container mounted meanwhile, V(conflict) for a network the engine refused, V(gone) for anything already gone.
    - Unlike the container and image prune modules, objects spared by the selection itself (in use, protected,
      built in) are not listed, and there is no C(kept_counts).
  returned: success
  type: list
  elements: dict
  sample: [{kind: volume, name: data, reason: in_use}]
space_reclaimed:
  description:
    - Bytes the build-cache prune reported freed. Volume and network removals report no size, so it is V(0) unless
      build cache went.
    - There is no C(space_reclaimable) estimate in check mode; M(tidy.docker.host_info) shows the volumes' size and
      reclaimable share before you decide.
  returned: when not in check mode
  type: int
  sample: 0
"""

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import LabelSelector
from ansible_collections.tidy.docker.plugins.module_utils._prune.volumes_networks_cache import (
    apply_engine_prune,
    plan_engine_prune,
    plan_result,
)
from ansible_collections.tidy.docker.plugins.module_utils._units import parse_duration


def prune_engine(module: TidyDockerModule) -> dict[str, t.Any]:
    params = module.params
    older_than = parse_duration(params["build_cache_older_than"], "build_cache_older_than") \
        if params["build_cache_older_than"] is not None else None
    exclude = [LabelSelector.parse(text) for text in params["exclude_labels"]]
    plan = plan_engine_prune(module.client, volumes=params["volumes"], networks=params["networks"],
                             build_cache=params["build_cache"], older_than=older_than, exclude=exclude)
    if module.check_mode or plan.empty:
        return plan_result(plan)
    return apply_engine_prune(module.client, plan, older_than)


def main() -> None:
    module = TidyDockerModule(argument_spec={
        "volumes": {"type": "bool", "default": False},
        "networks": {"type": "bool", "default": False},
        "build_cache": {"type": "bool", "default": False},
        "build_cache_older_than": {"type": "str"},
        "exclude_labels": {"type": "list", "elements": "str", "default": []},
    })
    module.run(prune_engine)


if __name__ == "__main__":
    main()
