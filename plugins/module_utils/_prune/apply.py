# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carry out a prune plan: exactly its removals, concurrently, with races recorded instead of failing.

``policy.py`` decides; this file only removes. Each planned object is re-checked just
before its removal, and one that became ineligible meanwhile (started, now used,
re-tagged), vanished (404) or was refused (409) is kept with that reason.
"""

from __future__ import annotations

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._concurrency import concurrently, in_dependency_order
from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient, object_path
from ansible_collections.tidy.docker.plugins.module_utils._engine.inspection import inspect_or_none
from ansible_collections.tidy.docker.plugins.module_utils._errors import Conflict, EngineError, NotFound
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    CONFLICT,
    GONE,
    IN_USE,
    KEEP,
    LIVE_STATES,
    NAMED,
    NOT_DANGLING,
    REMOVING,
    RUNNING,
    UNTAGGED,
    Decision,
    PrunePlan,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import Outcome
from ansible_collections.tidy.docker.plugins.module_utils._records import repo_tags
from ansible_collections.tidy.docker.plugins.module_utils._references import split_reference


def spared(decision: Decision, reason: str) -> Decision:
    """The decision turned into a kept one, with the reason the apply step found."""
    return Decision(decision.id, decision.names, KEEP, reason, decision.size, named=decision.named)


def apply_plan(plan: PrunePlan, remove: t.Callable[[Decision], str | None], parallel: int) -> Outcome:
    """Carry out the plan's removals; ``remove`` returns None when done, else the reason it was spared.

    The plan's ``waves`` (sets of ids: children before their parents) go one after
    the other, each concurrently; removals in no wave go in a last one.
    """
    pending = list(plan.removals)
    batches: list[list[Decision]] = []
    for wave in plan.waves:
        batches.append([d for d in pending if d.id in wave])
        pending = [d for d in pending if d.id not in wave]
    batches.append(pending)
    outcome = Outcome(removed=[], kept=list(plan.kept))
    for batch in batches:
        for decision, spared_reason in zip(batch, concurrently(remove, batch, workers=max(parallel, 1))):
            if spared_reason is None:
                outcome.removed.append(decision)
            else:
                outcome.kept.append(spared(decision, spared_reason))
    return outcome


Remover = t.Callable[[Decision], t.Optional[str]]
Step = tuple[str, str]  # (kind, id) of one planned removal


def apply_together(plans: t.Sequence[tuple[str, PrunePlan, Remover]], after: t.Mapping[Step, t.Collection[Step]],
                   parallel: int) -> list[tuple[str, Outcome]]:
    """Carry out the removals of several plans in one pool, each once the steps it comes ``after`` are done.

    Outcomes per kind, removals in each plan's own order whatever order they finished in, so a
    real run lists them as check mode did.
    """
    steps = {(kind, d.id): (d, remove) for kind, plan, remove in plans for d in plan.removals}
    results = in_dependency_order(lambda step: steps[step][1](steps[step][0]), list(steps), after, parallel)
    outcomes = []
    for kind, plan, _remove in plans:
        outcome = Outcome(removed=[], kept=list(plan.kept))
        for decision in plan.removals:
            spared_reason = results[(kind, decision.id)]
            if spared_reason is None:
                outcome.removed.append(decision)
            else:
                outcome.kept.append(spared(decision, spared_reason))
        outcomes.append((kind, outcome))
    return outcomes


def container_remover(client: EngineClient, keep_volumes: bool, stop_timeout: int | None = None,
                      named_keep_volumes: bool | None = None) -> t.Callable[[Decision], str | None]:
    """Remove without force: the engine itself refuses a container that was started meanwhile.

    A container removed because it was named (a decommissioned service) is stopped first, with
    ``stop_timeout`` seconds to exit before it is killed, as ``docker stop`` does, and keeps its
    volumes as ``named_keep_volumes`` says (default: as the others).
    """
    def remove(decision: Decision) -> str | None:
        try:
            keep = keep_volumes
            if decision.reason == NAMED:
                client.call(client.api.stop, decision.id, timeout=stop_timeout)
                keep = keep_volumes if named_keep_volumes is None else named_keep_volumes
            client.request("DELETE", object_path("containers", decision.id), {"v": not keep, "force": False})
        except NotFound:
            return GONE
        except Conflict:
            return _why_container_conflict(client, decision.id)
        return None
    return remove


def _why_container_conflict(client: EngineClient, container_id: str) -> str:
    inspected = inspect_or_none(client, "containers", container_id)
    state = (inspected or {}).get("State") or {}
    if inspected is None or state.get("Status") == REMOVING:
        return GONE  # another actor removed it, or is removing it right now
    return RUNNING if state.get("Status") in LIVE_STATES else CONFLICT


def image_remover(client: EngineClient, users_now: t.Mapping[str, int], force: bool) -> t.Callable[[Decision], str | None]:
    """Re-check each planned image just before removing it, then remove it.

    ``users_now`` counts containers per image from a listing taken right before
    the apply step: an image a container started using since the plan is spared.
    Without ``force``, tags are removed one by one and the engine deletes the
    image with its last tag, refusing (409) if a container uses it.
    """
    def remove(decision: Decision) -> str | None:
        if decision.reason == UNTAGGED:
            return _untag(client, decision)
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


def _untag(client: EngineClient, decision: Decision) -> str | None:
    """Remove the named tags of an image that keeps others; the image itself stays."""
    current = inspect_or_none(client, "images", decision.id)
    if current is None:
        return GONE
    tags = set(repo_tags(current))
    if not set(decision.names) <= tags or tags == set(decision.names):
        return CONFLICT  # re-tagged meanwhile: untagging now would not do what the plan said
    for reference in decision.names:
        try:
            client.request("DELETE", object_path("images", reference), {"force": False, "noprune": True})
        except NotFound:
            return GONE
    return None


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
