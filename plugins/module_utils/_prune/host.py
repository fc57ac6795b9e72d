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
import threading
import typing as t
from dataclasses import dataclass, field, replace

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._errors import TidyDockerError
from ansible_collections.tidy.docker.plugins.module_utils._prune.apply import (
    apply_together,
    container_remover,
    image_remover,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    UNTAGGED,
    Decision,
    PrunePlan,
    Watermark,
    removal_dependencies,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_host import (
    CONTAINER,
    IMAGE,
    HostInventory,
    HostPolicy,
    plan_host,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_volumes_networks_cache import EngineInventory
from ansible_collections.tidy.docker.plugins.module_utils._prune.read import (
    containers_from_engine,
    image_graph_for,
    images_from_engine,
    users_per_image,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import Interrupted, Outcome, not_attempted
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
    # The engine's system df answers the run read anyway: before, and after a real run that removed something.
    df_before: Answer = field(default_factory=dict)
    df_after: Answer | None = None
    # Set when the engine failed after the removals began: the module fails with it, after its result.
    interrupted: Interrupted | None = None


def disk_bytes(df: Answer, policy: HostPolicy) -> dict[str, int]:
    """Bytes per pruned kind in one system df answer, counted as ``docker system df`` counts them."""
    figures: dict[str, int] = {}
    if policy.containers is not None:
        figures[CONTAINER] = sum(int(c.get("SizeRw") or 0) for c in df.get("Containers") or [])
    if policy.images is not None:
        figures[IMAGE] = int(df.get("LayersSize") or 0)
    # Volumes and build cache counted as engine_prune counts them.
    figures.update(EngineInventory(
        volumes=tuple(volumes_from(df, [])) if policy.engine.volumes is not None else None,
        build_cache=tuple(cache_records_from(df)) if policy.engine.build_cache is not None else None).disk_bytes())
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
        parents, hidden = image_graph_for(client, policy.images.needs_graph)
        inventory = replace(inventory, images=tuple(images.images), usage_state=state, parents=parents,
                            hidden_images=hidden)
    return inventory, warnings


def apply_host_plans(client: EngineClient, plans: t.Sequence[tuple[str, PrunePlan]], policy: HostPolicy,
                     inventory: HostInventory, parallel: int, force: bool, now: dt.datetime) -> list[tuple[str, Outcome]]:
    """Containers and images in one pool, then volumes, networks and build cache against the containers
    that really went.

    An image goes as soon as its last planned user and its planned children are gone, not after all
    the containers: the engine removes containers about one at a time whoever asks, so image removals
    in between use what it leaves idle. Containers go without their volumes when a volume plan exists
    (the volumes are its decisions).

    An engine failure once the removals began raises ``Interrupted`` with every kind: what was
    done, and the rest kept as ``failed`` or ``not_attempted``.
    """
    by_kind = dict(plans)
    volume_plan = policy.engine.volumes is not None
    remove_container = container_remover(
        client, keep_volumes=policy.keep_volumes or volume_plan, stop_timeout=policy.stop_timeout,
        named_keep_volumes=None if policy.named_keep_volumes is None else policy.named_keep_volumes or volume_plan)
    image_plan = by_kind.get(IMAGE)
    # Users per image from a listing taken now, less each planned user once it is gone: an image a
    # new container started using since the plan is spared.
    users_left = users_per_image(client) if image_plan is not None and image_plan.removals else {}
    image_of = {c.id: c.image_id for c in inventory.containers}
    lock = threading.Lock()

    def remove_counted(decision: Decision) -> str | None:
        spared = remove_container(decision)
        if spared is None:
            with lock:
                users_left[image_of.get(decision.id, "")] = users_left.get(image_of.get(decision.id, ""), 0) - 1
        return spared

    together: list[tuple[str, PrunePlan, t.Callable[[Decision], str | None]]] = []
    if CONTAINER in by_kind:
        together.append((CONTAINER, by_kind[CONTAINER], remove_counted))
    if image_plan is not None:
        together.append((IMAGE, image_plan, image_remover(client, users_left, force)))
    engine_plans = [(kind, plan) for kind, plan in plans if kind not in (CONTAINER, IMAGE)]
    engine_planned = sum(len(plan.removals) for _kind, plan in engine_plans)
    try:
        outcomes = apply_together(together, _image_steps_after(by_kind, inventory), parallel)
    except Interrupted as stop:
        raise stop.with_more(stop.outcomes + [(kind, not_attempted(plan)) for kind, plan in engine_plans],
                             engine_planned) from None
    return outcomes + _apply_after_containers(client, outcomes, engine_plans, policy, parallel, now,
                                              sum(len(plan.removals) for _kind, plan in plans))


def _apply_after_containers(client: EngineClient, outcomes: list[tuple[str, Outcome]],
                            engine_plans: list[tuple[str, PrunePlan]], policy: HostPolicy, parallel: int,
                            now: dt.datetime, planned: int) -> list[tuple[str, Outcome]]:
    """Volumes, networks and build cache, once containers and images (``outcomes``) are done."""
    removed_containers = frozenset(d.id for kind, outcome in outcomes if kind == CONTAINER for d in outcome.removed)
    try:
        return apply_engine_plans(client, engine_plans, policy.engine, parallel, now, removed_containers)
    except Interrupted as stop:
        raise stop.with_more(outcomes + stop.outcomes, planned - stop.planned) from None
    except TidyDockerError as exc:  # the fresh container listing, after containers and images went
        raise Interrupted(outcomes + [(kind, not_attempted(plan)) for kind, plan in engine_plans], exc,
                          planned) from None


def _image_steps_after(by_kind: t.Mapping[str, PrunePlan],
                       inventory: HostInventory) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """What each image deletion waits for: its planned users (containers) and its planned children."""
    image_plan = by_kind.get(IMAGE)
    if image_plan is None:
        return {}
    image_of = {c.id: c.image_id for c in inventory.containers}
    planned_users: dict[str, set[str]] = {}
    for decision in (by_kind[CONTAINER].removals if CONTAINER in by_kind else ()):
        planned_users.setdefault(image_of.get(decision.id, ""), set()).add(decision.id)
    parents = inventory.parents if inventory.parents is not None else \
        {i.id: i.parent_id for i in inventory.images if i.parent_id}
    children = removal_dependencies(image_plan, parents)
    return {(IMAGE, d.id): ({(CONTAINER, c) for c in planned_users.get(d.id, ())}
                            | {(IMAGE, child) for child in children.get(d.id, ())})
            for d in image_plan.removals if d.reason != UNTAGGED}  # untagging does not wait for anything


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
                            None if check_mode else 0, warnings, df_before=df, df_after=None if check_mode else df)
    try:
        outcomes = apply_host_plans(client, plans, policy, inventory, parallel, force, now)
    except Interrupted as stop:
        return _interrupted_run(stop, warnings, df)
    try:
        df_after = disk_usage(client)
    except TidyDockerError as exc:  # all done, but the engine stopped answering before the count
        return _interrupted_run(Interrupted(outcomes, exc, sum(len(p.removals) for _k, p in plans)), warnings, df)
    before, after = disk_bytes(df, policy), disk_bytes(df_after, policy)
    # Per kind, so that what another actor added meanwhile to one kind does not hide what another freed.
    by_kind = {kind: max(before[kind] - after.get(kind, 0), 0) for kind in before}
    return HostPruneRun(outcomes, sum(by_kind.values()), warnings, by_kind, df, df_after)


def _interrupted_run(stop: Interrupted, warnings: list[str], df_before: Answer) -> HostPruneRun:
    """The run the engine cut short: the space freed estimated from the planned sizes of what went."""
    estimate = stop.estimated_reclaimed()
    return HostPruneRun(stop.outcomes, sum(estimate.values()), warnings, estimate, df_before, None, interrupted=stop)
