# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carry out a prune plan: exactly its removals, concurrently, with races recorded instead of failing.

``policy.py`` decides; this file only removes. Each planned object is re-checked just
before its removal, and one that became ineligible meanwhile (started, now used,
re-tagged), vanished (404) or was refused (409) is kept with that reason.

Any other failure (no answer within the timeout, the connection lost, another engine error)
stops the run: nothing more is started, what is in flight finishes, and ``Interrupted`` carries
the outcomes so far, the failed removals kept as ``failed`` and the rest as ``not_attempted``.
"""

from __future__ import annotations

import time
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._concurrency import Stopped, in_dependency_order
from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient, object_path
from ansible_collections.tidy.docker.plugins.module_utils._engine.inspection import inspect_or_none
from ansible_collections.tidy.docker.plugins.module_utils._errors import (
    Conflict,
    EngineError,
    NotFound,
    TidyDockerError,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    CONFLICT,
    FAILED,
    GONE,
    IN_USE,
    LIVE_STATES,
    NAMED,
    NOT_ATTEMPTED,
    NOT_DANGLING,
    PARENT_OF_REMOVED,
    REMOVING,
    RUNNING,
    UNTAGGED,
    Decision,
    PrunePlan,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import Interrupted, Outcome, spared
from ansible_collections.tidy.docker.plugins.module_utils._records import repo_tags
from ansible_collections.tidy.docker.plugins.module_utils._references import split_reference

Remover = t.Callable[[Decision], t.Optional[str]]
Step = tuple[str, str]  # (kind, id) of one planned removal


def apply_plan(plan: PrunePlan, remove: Remover, parallel: int, kind: str = "") -> Outcome:
    """Carry out the plan's removals; ``remove`` returns None when done, else the reason it was spared.

    The plan's ``waves`` (sets of ids: children before their parents) go one after
    the other, each concurrently; removals in no wave go in a last one. ``kind`` names the
    plan's outcome in an ``Interrupted``.
    """
    pending = list(plan.removals)
    after: dict[Step, set[Step]] = {}
    previous: set[Step] = set()
    for wave in plan.waves:
        steps = {(kind, d.id) for d in pending if d.id in wave}
        after.update((step, previous) for step in steps)
        previous = steps or previous
        pending = [d for d in pending if d.id not in wave]
    after.update(((kind, d.id), previous) for d in pending)
    return apply_together([(kind, plan, remove)], after, parallel)[0][1]


def apply_together(plans: t.Sequence[tuple[str, PrunePlan, Remover]], after: t.Mapping[Step, t.Collection[Step]],
                   parallel: int) -> list[tuple[str, Outcome]]:
    """Carry out the removals of several plans in one pool, each once the steps it comes ``after`` are done.

    Outcomes per kind, removals in each plan's own order whatever order they finished in, so a
    real run lists them as check mode did. An engine failure raises ``Interrupted`` (see above).
    """
    steps = {(kind, d.id): (d, remove) for kind, plan, remove in plans for d in plan.removals}
    errors: t.Mapping[Step, TidyDockerError] = {}
    try:
        results = in_dependency_order(lambda step: steps[step][1](steps[step][0]), list(steps), after,
                                      max(parallel, 1))
    except Stopped as stop:
        for error in stop.errors.values():
            if not isinstance(error, TidyDockerError):
                raise error from None  # a bug, not the engine: its own traceback
        results, errors = stop.results, {step: t.cast(TidyDockerError, e) for step, e in stop.errors.items()}
    outcomes = []
    for kind, plan, _remove in plans:
        outcome = Outcome(removed=[], kept=list(plan.kept))
        for decision in plan.removals:
            step = (kind, decision.id)
            spared_reason = results[step] if step in results else (FAILED if step in errors else NOT_ATTEMPTED)
            if spared_reason is None:
                outcome.removed.append(decision)
            else:
                outcome.kept.append(spared(decision, spared_reason))
        outcomes.append((kind, outcome))
    if errors:
        raise Interrupted(outcomes, next(iter(errors.values())), len(steps))
    return outcomes


def measured(apply: t.Callable[[], Outcome], measure: t.Callable[[], int],
             planned: int) -> tuple[Outcome, int, Interrupted | None]:
    """``apply`` one plan of ``planned`` removals, then ``measure`` the bytes freed: (outcome, bytes, None).

    When the engine fails in either, the outcome so far, the bytes estimated from the planned sizes of
    what went, and the ``Interrupted`` the module fails with once its result is built.
    """
    try:
        outcome = apply()
    except Interrupted as stop:
        return stop.outcome, sum(stop.estimated_reclaimed().values()), stop
    try:
        return outcome, measure(), None
    except TidyDockerError as exc:  # all done, but the engine stopped answering before the count
        return outcome, sum(d.size for d in outcome.removed), Interrupted([("", outcome)], exc, planned)


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
        except Conflict as exc:
            return _why_container_conflict(client, decision.id, exc.message)
        return None
    return remove


# How the engine words a 409 for a container another client is removing at that moment.
_REMOVAL_IN_PROGRESS = "already in progress"
# States of a container on its way out for someone else: ``removing`` while the engine removes it,
# ``dead`` in the moment after (Docker 20.10 marks it dead first; an inspect that found it just
# before it left the store sees that). Neither is running: both are reported ``gone``.
_LEAVING_STATES = frozenset({REMOVING, "dead"})


def _why_container_conflict(client: EngineClient, container_id: str, message: str) -> str:
    if _REMOVAL_IN_PROGRESS in message:
        return GONE  # another actor (a concurrent prune, a docker rm) is removing it right now
    inspected = inspect_or_none(client, "containers", container_id)
    state = (inspected or {}).get("State") or {}
    if inspected is None or state.get("Status") in _LEAVING_STATES:
        return GONE
    # Only a container the engine says is alive is "running"; any other refusal is a conflict.
    return RUNNING if state.get("Status") in LIVE_STATES and state.get("Running", True) else CONFLICT


def image_remover(client: EngineClient, users_now: t.Mapping[str, int], force: bool) -> t.Callable[[Decision], str | None]:
    """Re-check each planned image just before removing it, then remove it.

    ``users_now`` counts containers per image from a listing taken right before
    the apply step: an image a container started using since the plan is spared.
    Without ``force``, tags are removed one by one and the engine deletes the
    image with its last tag, refusing (409) if a container uses it. A hidden parent the plan
    removes after its children (``parent_of_removed``) that is already gone went as planned:
    the engine deleted it with its last child, as Docker always does and Podman often does.
    """
    def remove(decision: Decision) -> str | None:
        if decision.reason == UNTAGGED:
            return _untag(client, decision)
        if users_now.get(decision.id):
            return IN_USE
        went_with_child = None if decision.reason == PARENT_OF_REMOVED else GONE
        current = _inspect_image(client, decision.id)
        if current is None:
            return went_with_child
        if tuple(sorted(repo_tags(current))) != tuple(sorted(decision.names)):
            # Re-tagged meanwhile: a dangling image that got a tag is no longer dangling.
            return NOT_DANGLING if not decision.names else CONFLICT
        references = [decision.id] if force or len(decision.names) <= 1 else list(decision.names)
        untagged: list[str] = []
        try:
            for reference in references:
                _delete_image(client, reference, decision.id, force)
                untagged.append(reference)
        except NotFound as exc:
            # Podman's 500 for another image, and this one gone afterwards: the deletion was ours and
            # failed at pruning a parent that a concurrent removal deleted (as below for Docker's race).
            return None if _podman_race(exc) else went_with_child
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


# Podman answers 500 "image not known" (read as 404) not only for an image that is gone but also for one
# that is there, while a concurrent removal deletes another image its answer walks to (a parent, a
# sibling): "... reading image <other id> ...: image not known". A 404 of its own ("failed to find
# image") is certain. Asked again once the other removal is done, the image answers as it is.
_PODMAN_RACE_ATTEMPTS = 5
_PODMAN_RACE_PAUSE = 0.1  # seconds, times the attempt


def _podman_race(exc: NotFound) -> bool:
    return exc.context.get("status_code") == 500


def _inspect_image(client: EngineClient, image_id: str) -> dict[str, t.Any] | None:
    """The image's inspect data; None when it is gone (after asking again through Podman's race)."""
    for attempt in range(1, _PODMAN_RACE_ATTEMPTS + 1):
        try:
            return dict(client.request("GET", object_path("images", image_id, "json")))
        except NotFound as exc:
            if not _podman_race(exc) or attempt == _PODMAN_RACE_ATTEMPTS:
                return None
            time.sleep(_PODMAN_RACE_PAUSE * attempt)
    return None


def _delete_image(client: EngineClient, reference: str, image_id: str, force: bool) -> None:
    """Delete ``reference`` with its untagged parents; NotFound when the image is gone. A 500 "image not
    known" while the image is still there (Podman's race, above) is tried again, and is a Conflict when
    the image is still there after the last attempt."""
    for attempt in range(1, _PODMAN_RACE_ATTEMPTS + 1):
        try:
            client.request("DELETE", object_path("images", reference), {"force": force, "noprune": False})
            return
        except NotFound as exc:
            if not _podman_race(exc) or _inspect_image(client, image_id) is None:
                raise
            if attempt == _PODMAN_RACE_ATTEMPTS:
                raise Conflict(exc.message, **exc.context) from None  # still there: in effect refused
            time.sleep(_PODMAN_RACE_PAUSE * attempt)


def _untag(client: EngineClient, decision: Decision) -> str | None:
    """Remove the named tags of an image that keeps others; the image itself stays."""
    current = _inspect_image(client, decision.id)
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


# How the engine words a 409 for an image a container uses: by id, by its last tag, and (Podman) either way.
_IN_USE_REFUSALS = ("being used by", "is using its referenced image", "image is in use by a container")


def _exists(client: EngineClient, image_id: str) -> bool:
    return _inspect_image(client, image_id) is not None


def _retag(client: EngineClient, image_id: str, references: t.Iterable[str]) -> None:
    """Best effort: give a spared image back the tags removed before the engine refused."""
    for reference in references:
        repository, tag = split_reference(reference)
        try:
            client.call(client.api.tag, image_id, repository, tag)
        except (NotFound, Conflict, EngineError):
            pass
