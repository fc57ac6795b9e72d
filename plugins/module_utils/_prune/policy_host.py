# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole host in one plan: containers, then images, volumes, networks and build cache (pure).

``tidy.docker.prune`` reads the engine once and plans every kind here. The plans cascade in
the order a real run applies them: the containers this plan removes no longer count as users,
so an image, an anonymous volume or a network whose only users they are becomes a candidate in
the same run, and check mode shows it. Each kind is decided by its own planner (``policy.py``,
``policy_volumes_networks_cache.py``); this file only chains them.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass, field

from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    Container,
    ContainerPolicy,
    Image,
    ImagePolicy,
    PrunePlan,
    plan_container_removals,
    plan_image_removals,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_volumes_networks_cache import (
    EngineInventory,
    EnginePrunePolicies,
    plan_engine_prune,
)

# The ``kind`` of each object in the returns (volumes, networks and build cache: see their planner).
CONTAINER = "container"
IMAGE = "image"


@dataclass(frozen=True)
class HostPolicy:
    """What to prune; a kind left None is neither read nor planned."""

    containers: ContainerPolicy | None = None
    images: ImagePolicy | None = None
    engine: EnginePrunePolicies = field(default_factory=EnginePrunePolicies)
    # How containers go: with their anonymous volumes (when no volume plan removes them), and how long
    # a named running one has to stop.
    keep_volumes: bool = True
    stop_timeout: int = 10
    named_keep_volumes: bool | None = None  # for the containers named to go; None: as keep_volumes


@dataclass(frozen=True)
class HostInventory:
    """What the engine holds, as the planners read it."""

    containers: tuple[Container, ...] = ()
    images: tuple[Image, ...] = ()
    parents: t.Mapping[str, str] | None = None      # every image -> its parent, hidden intermediates too
    # The hidden intermediates, where the plan removes those that go with their children (Podman).
    hidden_images: tuple[Image, ...] = ()
    usage_state: t.Mapping[str, dt.datetime] = field(default_factory=dict)
    engine: EngineInventory = field(default_factory=EngineInventory)


def plan_host(inventory: HostInventory, policy: HostPolicy, now: dt.datetime) -> list[tuple[str, PrunePlan]]:
    """(kind, plan) for each pruned kind, in the order they are applied: containers first, then what they used."""
    plans: list[tuple[str, PrunePlan]] = []
    removed_containers: frozenset[str] = frozenset()
    if policy.containers is not None:
        container_plan = plan_container_removals(inventory.containers, policy.containers, now)
        plans.append((CONTAINER, container_plan))
        removed_containers = container_plan.removal_ids
    if policy.images is not None:
        plans.append((IMAGE, plan_image_removals(inventory.images, inventory.containers, policy.images, now,
                                                 usage_state=inventory.usage_state,
                                                 removed_containers=removed_containers, parents=inventory.parents,
                                                 hidden=inventory.hidden_images)))
    plans.extend(plan_engine_prune(inventory.engine, policy.engine, now, removed_containers))
    return plans
