# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the prune modules return: ``removed``, ``kept``, ``kept_counts``, the space figures and the diff (pure)."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ansible_collections.tidy.docker.plugins.module_utils._errors import PartialFailure, TidyDockerError
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    FAILED,
    KEEP,
    NOT_ATTEMPTED,
    Decision,
    PrunePlan,
)
from ansible_collections.tidy.docker.plugins.module_utils._units import format_size


@dataclass
class Outcome:
    removed: list[Decision]
    kept: list[Decision]


def spared(decision: Decision, reason: str) -> Decision:
    """The decision turned into a kept one, with the reason the apply step found."""
    return Decision(decision.id, decision.names, KEEP, reason, decision.size, named=decision.named)


def not_attempted(plan: PrunePlan) -> Outcome:
    """A plan none of whose removals was started: each one kept as ``not_attempted``."""
    return Outcome(removed=[], kept=list(plan.kept) + [spared(d, NOT_ATTEMPTED) for d in plan.removals])


# --------------------------------------------------------------------------- a run the engine cut short


class Interrupted(Exception):
    """The engine failed (``cause``) after the removals began: ``outcomes`` are (kind, outcome) of every
    planned kind, what was done as removed, the rest kept as ``failed`` or ``not_attempted``.

    Raised by the apply step instead of ``cause`` so that the module can still return what it did.
    """

    def __init__(self, outcomes: t.Sequence[tuple[str, Outcome]], cause: TidyDockerError, planned: int) -> None:
        super().__init__(cause.message)
        self.outcomes = list(outcomes)
        self.cause = cause
        self.planned = planned  # removals the plans held, whatever became of them

    @property
    def outcome(self) -> Outcome:
        """All kinds in one (the modules that prune one kind)."""
        return Outcome(removed=[d for _kind, o in self.outcomes for d in o.removed],
                       kept=[d for _kind, o in self.outcomes for d in o.kept])

    def with_more(self, outcomes: t.Sequence[tuple[str, Outcome]], planned: int) -> Interrupted:
        """The same stop, with outcomes of other kinds (done before, or never started) around it."""
        return Interrupted(list(outcomes), self.cause, self.planned + planned)

    def estimated_reclaimed(self) -> dict[str, int]:
        """Bytes per kind from the planned sizes of what was removed: the engine cannot be asked now."""
        return {kind: sum(d.size for d in outcome.removed) for kind, outcome in self.outcomes}

    def failure(self, result: t.Mapping[str, t.Any]) -> TidyDockerError:
        """What the module fails with: ``result`` (built from ``outcomes``) with the sentence, or the bare
        cause when nothing was removed nor asked to be (then nothing changed, as when a read fails)."""
        merged = self.outcome
        failed = sum(1 for d in merged.kept if d.reason == FAILED)
        if not merged.removed and not failed:
            return self.cause
        return PartialFailure(partial_failure_message(self.cause.message, len(merged.removed), failed,
                                                      sum(1 for d in merged.kept if d.reason == NOT_ATTEMPTED),
                                                      self.planned),
                              result, **self.cause.context)


def partial_failure_message(cause: str, removed: int, failed: int, skipped: int, planned: int) -> str:
    """One sentence: the engine's failure, then what of the plan was done and what was not."""
    parts = [f"by then {removed} of {planned} planned removals were done (listed in removed)"]
    if failed:
        parts.append(f"{failed} asked but not confirmed (kept as {FAILED})")
    if skipped:
        parts.append(f"{skipped} not attempted (kept as {NOT_ATTEMPTED})")
    return f"{cause.rstrip('. ')}; {', '.join(parts)}; rerun to finish once the engine answers."


# --------------------------------------------------------------------------- report


def decision_record(decision: Decision, names_key: str, with_size: bool) -> dict[str, t.Any]:
    record: dict[str, t.Any] = {"id": decision.id, names_key: list(decision.names), "reason": decision.reason}
    if with_size:
        record["size"] = decision.size
    if decision.named:  # only tidy.docker.prune names objects; the other modules' records stay as they were
        record["named"] = True
    return record


def prune_result(outcome: Outcome, names_key: str, check_mode: bool, report_kept: bool,
                 reclaimed: int | None) -> dict[str, t.Any]:
    """The return values both prune modules share (documented in each prune module's RETURN)."""
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


def _diff_line(decision: Decision, kind: str = "") -> str:
    names = ", ".join(decision.names) or "<none>"
    if kind and decision.names == (decision.id,):
        return f"{kind} {names} ({decision.reason})\n"  # a volume: its name is its id, said once and in full
    return f"{kind + ' ' if kind else ''}{decision.id.split(':', 1)[-1][:12]} {names} ({decision.reason})\n"


def prune_diff(outcome: Outcome, names_key: str) -> dict[str, str]:
    """Before: every object looked at; after: those kept. One line each, removals first."""
    kept = "".join(_diff_line(d) for d in sorted(outcome.kept, key=lambda d: (d.names, d.id)))
    removed = "".join(_diff_line(d) for d in outcome.removed)
    return {"before": removed + kept, "after": kept, "before_header": f"{names_key} before",
            "after_header": f"{names_key} after"}


# --------------------------------------------------------------------------- several kinds of object


def kinds_result(outcomes: t.Sequence[tuple[str, Outcome]], check_mode: bool, report_kept: bool,
                 reclaimed: int | None, reclaimed_by_kind: t.Mapping[str, int] | None = None) -> dict[str, t.Any]:
    """``prune_result`` of a run over several kinds of object: every record also carries its ``kind``,
    and its names are under ``names``; ``by_kind`` sums up each kind. ``outcomes`` are (kind, outcome)
    pairs, each kind once; ``reclaimed_by_kind`` is the measured space per kind (real runs)."""
    merged = Outcome(removed=[d for _kind, o in outcomes for d in o.removed],
                     kept=[d for _kind, o in outcomes for d in o.kept])
    result = prune_result(merged, "names", check_mode, report_kept, reclaimed)
    result["removed"] = [{"kind": kind, **decision_record(d, "names", True)} for kind, o in outcomes for d in o.removed]
    if report_kept:
        kept = sorted(((kind, d) for kind, o in outcomes for d in o.kept),
                      key=lambda pair: (pair[1].reason, pair[0], pair[1].names, pair[1].id))
        result["kept"] = [{"kind": kind, **decision_record(d, "names", False)} for kind, d in kept]
    result["by_kind"] = {kind: _kind_summary(outcome, check_mode, (reclaimed_by_kind or {}).get(kind))
                         for kind, outcome in outcomes}
    return result


def _kind_summary(outcome: Outcome, check_mode: bool, reclaimed: int | None) -> dict[str, t.Any]:
    """One kind's share of a run: how many removed, kept per reason, and its space (estimated or measured)."""
    kept_counts: dict[str, int] = {}
    for decision in outcome.kept:
        kept_counts[decision.reason] = kept_counts.get(decision.reason, 0) + 1
    space = sum(d.size for d in outcome.removed) if check_mode else (reclaimed or 0)
    return {"removed_count": len(outcome.removed), "kept_counts": dict(sorted(kept_counts.items())),
            "space_reclaimable" if check_mode else "space_reclaimed": space}


def kinds_diff(outcomes: t.Sequence[tuple[str, Outcome]], header: str) -> dict[str, str]:
    """``prune_diff`` over several kinds: each line starts with the object's kind."""
    kept = "".join(_diff_line(d, kind) for kind, d in sorted(((k, d) for k, o in outcomes for d in o.kept),
                                                             key=lambda pair: (pair[0], pair[1].names, pair[1].id)))
    removed = "".join(_diff_line(d, kind) for kind, o in outcomes for d in o.removed)
    return {"before": removed + kept, "after": kept, "before_header": f"{header} before",
            "after_header": f"{header} after"}
