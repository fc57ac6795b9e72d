#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: engine_prune
short_description: Remove unused volumes, networks and build cache, with a plan
version_added: 0.1.0
description:
  - Removes volumes that no container references, custom networks without containers, and build cache that is
    not in use. Each kind is off unless asked for; volumes hold data.
  - Volumes and networks are planned from the engine's listings and removed one by one, so check mode returns
    exactly what a real run removes. A volume or network that a container started using meanwhile is refused by
    the engine and reported in RV(kept), never fatal.
  - Build cache has no per-record delete in the engine API; it is removed with the engine's build-cache prune,
    using the same selection (not in use, optionally unused for O(build_cache_older_than)) that check mode lists.
options:
  volumes:
    description: Remove volumes no container (running or stopped) references.
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
    description: With O(build_cache), only records unused for longer than this duration (V(24h), V(7d)).
    type: str
  exclude_labels:
    description: Volumes and networks carrying any of these labels (V(key) or V(key=value)) are never removed.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.actions
seealso:
  - module: tidy.docker.container_prune
  - module: tidy.docker.image_prune
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
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
  description: Names of the volumes removed (or that would be).
  returned: success
  type: list
  elements: str
  sample: [3f1e9c0d2b7a4c8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcd, old-data]
networks_removed:
  description: Networks removed (or that would be), as C({id, name}).
  returned: success
  type: list
  elements: dict
  sample: [{id: 8c1f0e7d6b5a49382716a5b4c3d2e1f0, name: old-frontend}]
build_cache_removed:
  description: Ids of the build cache records removed (or that would be).
  returned: success
  type: list
  elements: str
  sample: []
kept:
  description: Planned objects the engine refused or that vanished meanwhile, with reason V(in_use), V(conflict) or V(gone).
  returned: success
  type: list
  elements: dict
  sample: [{kind: volume, name: data, reason: in_use}]
space_reclaimed:
  description: Bytes the build-cache prune reported freed (volume and network removals report none). Not in check mode.
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
