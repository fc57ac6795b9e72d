# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``in_dependency_order``: every item once, never before what it waits for, independent work overlapping."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._concurrency import in_dependency_order


def test_each_item_runs_once_and_after_what_it_waits_for():
    finished: list[str] = []
    lock = threading.Lock()

    def work(item: str) -> str:
        time.sleep(0.01 if item.startswith("c") else 0)
        with lock:
            finished.append(item)
        return item.upper()

    items = ["c1", "c2", "c3", "i1", "i2", "p1"]
    after = {"i1": {"c1", "c2"}, "i2": {"c3"}, "p1": {"i1", "i2"}, "c1": {"not-an-item"}}
    results = in_dependency_order(work, items, after, workers=4)
    assert results == {item: item.upper() for item in items}
    assert sorted(finished) == sorted(items)
    for item, before in after.items():
        for other in before & set(items):
            assert finished.index(other) < finished.index(item), (other, item, finished)


def test_an_item_goes_as_soon_as_its_own_dependencies_are_done():
    started: dict[str, float] = {}
    slow_done = threading.Event()

    def work(item: str) -> None:
        started[item] = time.monotonic()
        if item == "slow":
            slow_done.wait(2)
        if item == "fast-follower":
            slow_done.set()  # reached while "slow" still runs: it did not wait for a whole wave

    in_dependency_order(work, ["slow", "fast", "fast-follower"], {"fast-follower": {"fast"}}, workers=2)
    assert started["fast-follower"] >= started["fast"]


def test_items_that_wait_for_each_other_are_refused_not_hung():
    with pytest.raises(ValueError, match="2 items wait for each other"):
        in_dependency_order(lambda item: item, ["a", "b", "c"], {"a": {"b"}, "b": {"a"}}, workers=2)
