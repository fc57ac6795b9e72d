# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small builders shared by the policy tests: readable inventories, times counted back from ``NOW``."""

from __future__ import annotations

import datetime as dt
import hashlib
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    KEEP,
    REMOVE,
    Container,
    Image,
    LabelSelector,
    PrunePlan,
)

NOW = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
MINUTE = 60
HOUR = 3600
DAY = 86400


def ago(seconds: float) -> dt.datetime:
    return NOW - dt.timedelta(seconds=seconds)


def long_id(seed: str) -> str:
    """A 64-hex id as the engine prints it, derived from a readable seed."""
    return hashlib.sha256(seed.encode()).hexdigest()


def image_id(seed: str) -> str:
    return f"sha256:{long_id(seed)}"


def selectors(*texts: str) -> tuple[LabelSelector, ...]:
    return tuple(LabelSelector.parse(text) for text in texts)


def container(cid: str, *, name: str | None = None, state: str = "exited", image: str = "sha256:none",
              created: float = 30 * DAY, finished: float | None = 20 * DAY, labels: t.Mapping[str, str] | None = None,
              restart_policy: str = "no", size: int = 0) -> Container:
    """A container; ``created`` and ``finished`` are seconds before ``NOW`` (``finished=None``: never started)."""
    return Container(
        id=cid,
        name=name if name is not None else cid,
        state=state,
        image_id=image,
        created=ago(created),
        finished_at=None if finished is None else ago(finished),
        labels=dict(labels or {}),
        restart_policy=restart_policy,
        size_rw=size,
    )


def image(iid: str, *tags: str, pulled: bool = False, created: float = 30 * DAY, size: int = 1,
          labels: t.Mapping[str, str] | None = None, last_tagged: float | None = None,
          parent: str | None = None) -> Image:
    """An image; ``pulled`` gives it a registry digest; times are seconds before ``NOW``."""
    repositories = sorted({tag.rpartition(":")[0] or tag for tag in tags}) or ["pulled"]
    return Image(
        id=iid,
        tags=tuple(tags),
        digests=tuple(f"{repo}@sha256:{long_id(iid)}" for repo in repositories) if pulled else (),
        created=ago(created),
        unique_size=size,
        labels=dict(labels or {}),
        last_tag_time=None if last_tagged is None else ago(last_tagged),
        parent_id=parent,
    )


def removals(plan: PrunePlan) -> list[tuple[str, str]]:
    """``(id, reason)`` of the removals, in removal order."""
    assert all(d.action == REMOVE for d in plan.removals)
    return [(d.id, d.reason) for d in plan.removals]


def assert_plan(plan: PrunePlan, removed: t.Mapping[str, str], kept: t.Mapping[str, str]) -> None:
    """Every decision, exactly: ``removed`` and ``kept`` map ids to reasons; each id appears once."""
    ids = [d.id for d in plan.decisions]
    assert len(ids) == len(set(ids)), f"an object is decided twice: {ids}"
    assert {d.id: (d.action, d.reason) for d in plan.decisions} == {
        **{i: (REMOVE, reason) for i, reason in removed.items()},
        **{i: (KEEP, reason) for i, reason in kept.items()},
    }
    assert len(ids) == len(removed) + len(kept)
