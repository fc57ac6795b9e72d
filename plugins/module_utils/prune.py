# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine side of pruning: read the inventory, apply a plan, report.

``policy.py`` decides; this module only gathers what it needs to decide and
carries out exactly the removals of the plan, concurrently, recording races
with other actors (404 gone, 409 conflict) instead of failing.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass, replace

from ansible_collections.tidy.docker.plugins.module_utils.client import EngineClient, object_path
from ansible_collections.tidy.docker.plugins.module_utils.errors import Conflict, EngineError, NotFound
from ansible_collections.tidy.docker.plugins.module_utils.gather import concurrently, inspect_many, inspect_or_none
from ansible_collections.tidy.docker.plugins.module_utils.references import split_reference
from ansible_collections.tidy.docker.plugins.module_utils.inventory import container_name, repo_digests, repo_tags
from ansible_collections.tidy.docker.plugins.module_utils.policy import (
    CONFLICT,
    GONE,
    IN_USE,
    KEEP,
    LIVE_STATES,
    NOT_DANGLING,
    RUNNING,
    Container,
    Decision,
    Image,
    Plan,
)
from ansible_collections.tidy.docker.plugins.module_utils.units import (
    epoch_to_datetime,
    format_size,
    parse_engine_time,
)


# --------------------------------------------------------------------------- inventory


def containers_from_engine(client: EngineClient, details: bool = True, sizes: bool | None = None) -> list[Container]:
    """Every container, from one listing. With ``details``, stopped ones are also inspected for finish
    time and restart policy, which the list lacks (``ContainerPolicy.needs_details`` tells when a policy
    reads them); ``sizes`` (default: as ``details``) asks the engine for writable-layer sizes.
    Image pruning needs neither: only the image ids."""
    listed = client.call(client.api.containers, all=True, size=details if sizes is None else sizes)

    def what_the_list_lacks(data: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        state = data.get("State") or {}
        return {"created": parse_engine_time(data.get("Created")), "finished_at": parse_engine_time(state.get("FinishedAt")),
                "restart_policy": ((data.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or "no",
                "state": str(state.get("Status") or "")}

    stopped = [raw["Id"] for raw in listed if details and str(raw.get("State") or "") not in LIVE_STATES]
    inspected = dict(zip(stopped, inspect_many(client, "containers", stopped, what_the_list_lacks)))
    containers = []
    for raw in listed:
        base = Container(id=raw["Id"], name=container_name(raw), state=str(raw.get("State") or ""),
                         image_id=str(raw.get("ImageID") or ""), created=epoch_to_datetime(raw.get("Created") or 0),
                         labels=dict(raw.get("Labels") or {}), size_rw=int(raw.get("SizeRw") or 0))
        if raw["Id"] not in inspected:
            containers.append(base)
            continue
        data = inspected[raw["Id"]]
        if data is None:
            continue  # removed by someone else since the listing
        containers.append(replace(base, created=data["created"] or base.created, finished_at=data["finished_at"],
                                  restart_policy=data["restart_policy"], state=data["state"] or base.state))
    return containers


@dataclass(frozen=True)
class ImageInventory:
    images: list[Image]
    layers_size: int  # bytes of image layers on disk, shared layers once (system df)


def images_from_engine(client: EngineClient, precise: bool = False) -> ImageInventory:
    """Top-level images with unique sizes from system df.

    ``precise`` inspects each image for sub-second creation and last-tag times,
    which keep_last ordering and least-recently-used order need.
    """
    df = client.call(client.api.df)
    raw_images = df.get("Images") or []

    def times(data: t.Mapping[str, t.Any]) -> tuple[dt.datetime | None, dt.datetime | None]:
        return parse_engine_time(data.get("Created")), parse_engine_time((data.get("Metadata") or {}).get("LastTagTime"))

    ids = [raw["Id"] for raw in raw_images] if precise else []
    inspected = dict(zip(ids, inspect_many(client, "images", ids, times)))
    images = []
    for raw in raw_images:
        shared = raw.get("SharedSize")
        size = int(raw.get("Size") or 0)
        image = Image(id=raw["Id"], tags=tuple(repo_tags(raw)), digests=tuple(repo_digests(raw)),
                      created=epoch_to_datetime(raw.get("Created") or 0),
                      unique_size=size - int(shared) if shared is not None and shared >= 0 else size,
                      labels=dict(raw.get("Labels") or {}), parent_id=raw.get("ParentId") or None)
        if precise:
            if inspected[raw["Id"]] is None:
                continue  # removed by someone else since the listing
            created, last_tag_time = inspected[raw["Id"]]
            image = replace(image, created=created or image.created, last_tag_time=last_tag_time)
        images.append(image)
    return ImageInventory(images=images, layers_size=int(df.get("LayersSize") or 0))


def users_per_image(client: EngineClient) -> dict[str, int]:
    """Image id -> number of containers using it, from one fresh listing."""
    counts: dict[str, int] = {}
    for raw in client.call(client.api.containers, all=True):
        counts[raw.get("ImageID", "")] = counts.get(raw.get("ImageID", ""), 0) + 1
    return counts


def disk_usage_of(client: EngineClient, kind: str) -> int:
    """Bytes the engine's system df attributes to ``images`` or ``containers``."""
    if kind == "images":
        return int(client.call(client.api.df).get("LayersSize") or 0)
    # The same figure as system df's containers (the engine sizes them with this very listing),
    # without sizing every image, volume and the build cache too.
    return sum(int(c.get("SizeRw") or 0) for c in client.call(client.api.containers, all=True, size=True))


# --------------------------------------------------------------------------- apply


@dataclass
class Outcome:
    removed: list[Decision]
    kept: list[Decision]


def _spared(decision: Decision, reason: str) -> Decision:
    return Decision(decision.id, decision.names, KEEP, reason, decision.size)


def apply_plan(plan: Plan, remove: t.Callable[[Decision], str | None], parallel: int,
               waves: t.Sequence[t.Collection[str]] = ()) -> Outcome:
    """Carry out the plan's removals; ``remove`` returns None when done, else the reason it was spared.

    ``waves`` (sets of ids) are applied one after the other, each concurrently;
    ids in no wave go in a last one.
    """
    pending = list(plan.removals)
    batches: list[list[Decision]] = []
    for wave in waves:
        batches.append([d for d in pending if d.id in wave])
        pending = [d for d in pending if d.id not in wave]
    batches.append(pending)
    outcome = Outcome(removed=[], kept=list(plan.kept))
    for batch in batches:
        for decision, spared_reason in zip(batch, concurrently(remove, batch, workers=max(parallel, 1))):
            if spared_reason is None:
                outcome.removed.append(decision)
            else:
                outcome.kept.append(_spared(decision, spared_reason))
    return outcome


def container_remover(client: EngineClient, keep_volumes: bool) -> t.Callable[[Decision], str | None]:
    """Remove without force: the engine itself refuses a container that was started meanwhile."""
    def remove(decision: Decision) -> str | None:
        try:
            client.request("DELETE", object_path("containers", decision.id), {"v": not keep_volumes, "force": False})
        except NotFound:
            return GONE
        except Conflict:
            return _why_container_conflict(client, decision.id)
        return None
    return remove


def _why_container_conflict(client: EngineClient, container_id: str) -> str:
    inspected = inspect_or_none(client, "containers", container_id)
    if inspected is None:
        return GONE
    return RUNNING if (inspected.get("State") or {}).get("Status") in LIVE_STATES else CONFLICT


def image_remover(client: EngineClient, users_now: t.Mapping[str, int], force: bool) -> t.Callable[[Decision], str | None]:
    """Re-check each planned image just before removing it, then remove it.

    ``users_now`` counts containers per image from a listing taken right before
    the apply step: an image a container started using since the plan is spared.
    Without ``force``, tags are removed one by one and the engine deletes the
    image with its last tag, refusing (409) if a container uses it.
    """
    def remove(decision: Decision) -> str | None:
        if users_now.get(decision.id):
            return IN_USE
        current = inspect_or_none(client, "images", decision.id)
        if current is None:
            return GONE
        if tuple(sorted(repo_tags(current))) != tuple(sorted(decision.names)):
            # Re-tagged meanwhile: a dangling image that got a tag is no longer dangling.
            return NOT_DANGLING if not decision.names else CONFLICT
        references = [decision.id] if force or len(decision.names) <= 1 else list(decision.names)
        untagged: list[str] = []
        try:
            for reference in references:
                client.request("DELETE", object_path("images", reference), {"force": force, "noprune": False})
                untagged.append(reference)
        except NotFound:
            return GONE
        except (Conflict, EngineError) as exc:
            if not _exists(client, decision.id):
                # Removed; what failed was pruning its untagged parents, which the concurrent removal
                # of a sibling sharing them pruned too (the engine answers 409 "image has dependent
                # child images" or 500 "unrecognized image ID <parent>" for its own race).
                return None
            if not isinstance(exc, Conflict):
                raise
            # Refused (removing tag by tag: at the last one): put back the tags already removed.
            _retag(client, decision.id, [r for r in untagged if r != decision.id])
            return IN_USE if any(text in exc.message for text in _IN_USE_REFUSALS) else CONFLICT
        return None
    return remove


# How the engine words a 409 for an image a container uses: by id, and by its last tag.
_IN_USE_REFUSALS = ("being used by", "is using its referenced image")


def _exists(client: EngineClient, image_id: str) -> bool:
    return inspect_or_none(client, "images", image_id) is not None


def _retag(client: EngineClient, image_id: str, references: t.Iterable[str]) -> None:
    """Best effort: give a spared image back the tags removed before the engine refused."""
    for reference in references:
        repository, tag = split_reference(reference)
        try:
            client.call(client.api.tag, image_id, repository, tag)
        except (NotFound, Conflict, EngineError):
            pass


def children_first_waves(plan: Plan, images: t.Mapping[str, Image]) -> list[set[str]]:
    """First the planned images that are no planned image's parent; their parents after."""
    planned = plan.removal_ids
    parents = {images[i].parent_id for i in planned if i in images and images[i].parent_id in planned}
    return [set(planned) - parents]


# --------------------------------------------------------------------------- report


def decision_record(decision: Decision, names_key: str, with_size: bool) -> dict[str, t.Any]:
    record: dict[str, t.Any] = {"id": decision.id, names_key: list(decision.names), "reason": decision.reason}
    if with_size:
        record["size"] = decision.size
    return record


def prune_result(outcome: Outcome, names_key: str, check_mode: bool, report_kept: bool,
                 reclaimed: int | None) -> dict[str, t.Any]:
    """The return values both prune modules share (DESIGN.md "Returns for both prune modules")."""
    kept_counts: dict[str, int] = {}
    for decision in outcome.kept:
        kept_counts[decision.reason] = kept_counts.get(decision.reason, 0) + 1
    result: dict[str, t.Any] = {
        "changed": bool(outcome.removed),
        "removed": [decision_record(d, names_key, True) for d in outcome.removed],
        "removed_count": len(outcome.removed),
        "kept_counts": dict(sorted(kept_counts.items())),
    }
    if report_kept:
        result["kept"] = [decision_record(d, names_key, False)
                          for d in sorted(outcome.kept, key=lambda d: (d.reason, d.names, d.id))]
    if check_mode:
        estimate = sum(d.size for d in outcome.removed)
        result.update(space_reclaimable=estimate, space_reclaimable_human=format_size(estimate))
    else:
        result.update(space_reclaimed=reclaimed or 0, space_reclaimed_human=format_size(reclaimed or 0))
    return result


def prune_diff(outcome: Outcome, names_key: str) -> dict[str, str]:
    """Before: every object looked at; after: those kept. One line each, removals first."""
    def line(decision: Decision) -> str:
        names = ", ".join(decision.names) or "<none>"
        return f"{decision.id.split(':', 1)[-1][:12]} {names} ({decision.reason})\n"
    kept = "".join(line(d) for d in sorted(outcome.kept, key=lambda d: (d.names, d.id)))
    removed = "".join(line(d) for d in outcome.removed)
    return {"before": removed + kept, "after": kept, "before_header": f"{names_key} before",
            "after_header": f"{names_key} after"}


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
