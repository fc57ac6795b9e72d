# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thread pools for the many small, latency-bound engine requests: ``concurrently`` and ``in_dependency_order`` (pure)."""

from __future__ import annotations

import collections
import typing as t
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

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


K = t.TypeVar("K", bound=t.Hashable)


class Stopped(Exception):
    """``function`` raised for some items of ``in_dependency_order``: nothing was started after the first
    failure, and the items already in flight were let finish.

    ``results`` holds the items that finished, ``errors`` those that raised (first one first); the
    items in neither were never started. The caller decides what a half-done run means.
    """

    def __init__(self, results: dict[t.Any, t.Any], errors: dict[t.Any, BaseException]) -> None:
        self.results = results
        self.errors = errors
        self.error = next(iter(errors.values()))
        super().__init__(str(self.error))


def _waits(items: t.Sequence[K], after: t.Mapping[K, t.Collection[K]]) -> tuple[dict[K, set[K]], dict[K, list[K]]]:
    """What each item waits for (among ``items``), and who waits for each."""
    known = set(items)
    waiting = {item: {other for other in after.get(item, ()) if other in known and other != item} for item in items}
    followers: dict[K, list[K]] = {}
    for item, before in waiting.items():
        for other in before:
            followers.setdefault(other, []).append(item)
    return waiting, followers


def in_dependency_order(function: t.Callable[[K], R], items: t.Sequence[K], after: t.Mapping[K, t.Collection[K]],
                        workers: int) -> dict[K, R]:
    """``function`` on every item, ``workers`` at a time, each started only once the items it comes ``after``
    (those among ``items``) have finished; results by item.

    Waves would wait for the slowest item of a wave; here an item goes as soon as what it waits
    for is done, and ahead of the items that were ready from the start, so that dependent work
    overlaps the long independent run (an image right after its last user, not after all containers).

    When ``function`` raises, no further item is started (an engine that stopped answering would
    only make each of them wait out its timeout); those in flight finish, then ``Stopped`` tells
    which items finished, which raised and, by omission, which never started.
    """
    waiting, followers = _waits(items, after)
    ready = collections.deque(item for item in items if not waiting[item])
    results: dict[K, R] = {}
    errors: dict[K, BaseException] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items) or 1))) as pool:
        running: dict[Future[R], K] = {}
        while running or (ready and not errors):
            while ready and len(running) < workers and not errors:
                item = ready.popleft()
                running[pool.submit(function, item)] = item
            done, _pending = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                item = running.pop(future)
                error = future.exception()
                if error is not None:
                    errors[item] = error
                    continue
                results[item] = future.result()
                for follower in followers.get(item, ()):
                    waiting[follower].discard(item)
                    if not waiting[follower]:
                        ready.appendleft(follower)
    if errors:
        raise Stopped(results, errors)
    missing = [item for item in items if item not in results]
    if missing:  # a cycle: never from the planner, which orders a forest; say so rather than hang
        raise ValueError(f"{len(missing)} items wait for each other")
    return results
