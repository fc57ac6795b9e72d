# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``concurrently``: a thread-pool ``map`` for the many small, latency-bound engine requests (pure)."""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor

# Inspects are small and latency-bound; a few in flight hide the round trips
# without crowding a 2-core engine host.
INSPECT_CONCURRENCY = 8

T = t.TypeVar("T")
R = t.TypeVar("R")


def concurrently(function: t.Callable[[T], R], items: t.Sequence[T], workers: int = INSPECT_CONCURRENCY) -> list[R]:
    """``map`` over a thread pool, results in input order."""
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(function, items))
