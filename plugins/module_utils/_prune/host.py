# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tidy.docker.prune against the engine: one inventory read, the host's plan, applied kind by kind.

The engine's system df answers most of it in one call (containers with their sizes, images,
volumes with theirs, build cache); a policy that needs more adds only that: inspects for
finish times and restart policies, the full image graph for chains, the network list. The
plan is ``policy_host.plan_host``; the real run removes exactly its removals in its order
(containers, images children first, volumes, networks, build cache), each re-checked by the
remover of its kind, and measures what the disk got back from a second system df.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass, field, replace

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._prune.apply import (
    apply_plan,
    container_remover,
    image_remover,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import PrunePlan, Watermark
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_host import (
    CONTAINER,
    IMAGE,
    HostInventory,
    HostPolicy,
    plan_host,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.read import (
    containers_from_engine,
    image_parents,
    images_from_engine,
    users_per_image,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import Outcome
from ansible_collections.tidy.docker.plugins.module_utils._prune.usage_state import refresh_usage_state
from ansible_collections.tidy.docker.plugins.module_utils._prune.volumes_networks_cache import (
    apply_engine_plans,
    cache_records_from,
    disk_usage,
    read_engine_inventory,
    volumes_from,
)

Answer = t.Mapping[str, t.Any]


@dataclass(frozen=True)
class UsageStateFile:
    path: str
    engine_id: str


@dataclass
class HostPruneRun:
    """(kind, outcome) per pruned kind, warnings, and the bytes freed (None in check mode)."""

    outcomes: list[tuple[str, Outcome]]
    reclaimed: int | None
    warnings: list[str]
    reclaimed_by_kind: dict[str, int] = field(default_factory=dict)


def disk_bytes(df: Answer, policy: HostPolicy) -> dict[str, int]:
    """Bytes per pruned kind in one system df answer, counted as ``docker system df`` counts them."""
    figures: dict[str, int] = {}
    if policy.containers is not None:
        figures[CONTAINER] = sum(int(c.get("SizeRw") or 0) for c in df.get("Containers") or [])
    if policy.images is not None:
        figures[IMAGE] = int(df.get("LayersSize") or 0)
    if policy.engine.volumes is not None:
        figures["volume"] = sum(v.known_size for v in volumes_from(df, []))
    if policy.engine.build_cache is not None:
        figures["build_cache"] = sum(r.reclaimable for r in cache_records_from(df))
    return figures


def read_host(client: EngineClient, policy: HostPolicy, df: Answer, now: dt.datetime,
              usage_state: UsageStateFile | None, check_mode: bool) -> tuple[HostInventory, list[str]]:
    """What the planners need, from ``df`` and only the further reads the policy asks for."""
    listed = list(df.get("Containers") or [])
    details = policy.containers is not None and policy.containers.needs_details
    containers = tuple(containers_from_engine(client, details=details, listed=listed))
    engine = read_engine_inventory(client, policy.engine, listed_containers=listed, df=df)
    inventory = HostInventory(containers=containers, engine=engine)
    warnings: list[str] = []
    if policy.images is not None:
        images = images_from_engine(client, precise=policy.images.needs_precise_times, df=df)
        state: t.Mapping[str, dt.datetime] = {}
        if usage_state is not None:
            state, warnings = refresh_usage_state(usage_state.path, usage_state.engine_id,
                                                  (c.image_id for c in containers), (i.id for i in images.images),
                                                  now, check_mode)
        inventory = replace(inventory, images=tuple(images.images), usage_state=state,
                            parents=image_parents(client) if policy.images.needs_graph else None)
    return inventory, warnings


def apply_host_plans(client: EngineClient, plans: t.Sequence[tuple[str, PrunePlan]], policy: HostPolicy,
                     parallel: int, force: bool, now: dt.datetime) -> list[tuple[str, Outcome]]:
    """Containers first (without their volumes: those are the volume plan's), then images children first,
    then volumes, networks and build cache against the containers that really went."""
    outcomes: list[tuple[str, Outcome]] = []
    removed_containers: frozenset[str] = frozenset()
    engine_plans = []
    for kind, plan in plans:
        if kind == CONTAINER:
            # With a volume plan, the volumes go by it (each with its own decision), never with the container.
            keep_volumes = policy.keep_volumes or policy.engine.volumes is not None
            remover = container_remover(client, keep_volumes=keep_volumes, stop_timeout=policy.stop_timeout)
            outcome = apply_plan(plan, remover, parallel) if plan.removals else Outcome(removed=[], kept=list(plan.kept))
            removed_containers = frozenset(d.id for d in outcome.removed)
            outcomes.append((kind, outcome))
        elif kind == IMAGE:
            outcomes.append((kind, apply_plan(plan, image_remover(client, users_per_image(client), force), parallel)
                             if plan.removals else Outcome(removed=[], kept=list(plan.kept))))
        else:
            engine_plans.append((kind, plan))
    outcomes.extend(apply_engine_plans(client, engine_plans, policy.engine, parallel, now, removed_containers))
    return outcomes


def run_host_prune(client: EngineClient, policy: HostPolicy, watermark: t.Callable[[int], Watermark | None],
                   usage_state: UsageStateFile | None, check_mode: bool, parallel: int, force: bool,
                   now: dt.datetime) -> HostPruneRun:
    """Read once, plan every kind, and (unless ``check_mode``) apply the plan; the space freed is measured.

    ``watermark`` turns the images' disk usage into the image policy's watermark (None: none).
    """
    df = disk_usage(client)
    if policy.images is not None:
        policy = replace(policy, images=replace(policy.images, watermark=watermark(int(df.get("LayersSize") or 0))))
    inventory, warnings = read_host(client, policy, df, now, usage_state, check_mode)
    plans = plan_host(inventory, policy, now)
    if check_mode or not any(plan.removals for _kind, plan in plans):
        return HostPruneRun([(kind, Outcome(list(p.removals), list(p.kept))) for kind, p in plans],
                            None if check_mode else 0, warnings)
    outcomes = apply_host_plans(client, plans, policy, parallel, force, now)
    before, after = disk_bytes(df, policy), disk_bytes(disk_usage(client), policy)
    # Per kind, so that what another actor added meanwhile to one kind does not hide what another freed.
    by_kind = {kind: max(before[kind] - after.get(kind, 0), 0) for kind in before}
    return HostPruneRun(outcomes, sum(by_kind.values()), warnings, by_kind)
