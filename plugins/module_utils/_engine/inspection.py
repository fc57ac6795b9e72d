# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inspect engine objects that may have vanished since they were listed: None instead of an error."""

from __future__ import annotations

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._concurrency import INSPECT_CONCURRENCY, concurrently
from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient, object_path
from ansible_collections.tidy.docker.plugins.module_utils._errors import NotFound

R = t.TypeVar("R")


def inspect_or_none(client: EngineClient, kind: str, ref: str) -> dict[str, t.Any] | None:
    """Inspect data of ``ref`` (``kind``: ``containers`` or ``images``) through ``client.request``, the
    path of pruning's many small requests; None when it does not exist (or vanished since listed)."""
    try:
        return dict(client.request("GET", object_path(kind, ref, "json")))
    except NotFound:
        return None


def inspect_many(client: EngineClient, kind: str, refs: t.Sequence[str], shape: t.Callable[[dict[str, t.Any]], R],
                 workers: int = INSPECT_CONCURRENCY) -> list[R | None]:
    """``shape`` of the inspect data of each of ``refs`` (``kind``: ``containers`` or ``images``), in order;
    None where it does not exist. Shaping as the answers arrive keeps only what the caller needs in memory.
    """
    def inspect(ref: str) -> R | None:
        data = inspect_or_none(client, kind, ref)
        return None if data is None else shape(data)
    return concurrently(inspect, refs, workers)


def inspect_container_or_none(client: EngineClient, ref: str) -> dict[str, t.Any] | None:
    """Inspect data, or None when the container does not exist (or vanished since listed)."""
    try:
        return dict(client.call(client.api.inspect_container, ref))
    except NotFound:
        return None
