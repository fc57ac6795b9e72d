# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An engine failure in the middle of a prune: nothing more is started, what was done is reported,
the rest is kept as ``failed`` or ``not_attempted``, and the module fails with that result."""

from __future__ import annotations

import threading
import time
import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._concurrency import Stopped, in_dependency_order
from ansible_collections.tidy.docker.plugins.module_utils._errors import (
    Conflict,
    EngineTimeout,
    EngineUnreachable,
    NotFound,
    PartialFailure,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune import apply
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    FAILED,
    GONE,
    KEEP,
    NOT_ATTEMPTED,
    REMOVE,
    RUNNING,
    STOPPED,
    Decision,
    PrunePlan,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import (
    Interrupted,
    Outcome,
    partial_failure_message,
    prune_result,
)

TIMEOUT = EngineTimeout("The Docker engine at unix:///x.sock did not answer within 3 seconds; raise timeout "
                        "(or DOCKER_TIMEOUT), or check the engine's health.", docker_host="unix:///x.sock")


def plan_of(count: int, kept: int = 0, waves: tuple[frozenset[str], ...] = ()) -> PrunePlan:
    removals = tuple(Decision(f"c{n}", (f"name{n}",), REMOVE, STOPPED, size=10) for n in range(count))
    spared = tuple(Decision(f"k{n}", (f"kept{n}",), KEEP, RUNNING) for n in range(kept))
    return PrunePlan(removals + spared, waves=waves)


# --------------------------------------------------------------------------- the pool


def test_after_a_failure_nothing_more_starts_and_those_in_flight_finish():
    started: list[int] = []
    lock = threading.Lock()
    failing = threading.Event()

    def work(item: int) -> int:
        with lock:
            started.append(item)
        if item == 3:
            failing.set()
            raise TIMEOUT
        if item < 3:
            failing.wait(2)  # in flight when item 3 fails
            time.sleep(0.05)
        return item

    with pytest.raises(Stopped) as stopped:
        in_dependency_order(work, list(range(20)), {}, workers=4)
    assert stopped.value.error is TIMEOUT
    assert set(stopped.value.results) == {0, 1, 2}
    assert set(stopped.value.errors) == {3}
    assert sorted(started) == [0, 1, 2, 3]


def test_items_waiting_for_a_failed_item_never_start():
    def work(item: str) -> str:
        if item == "a":
            raise TIMEOUT
        return item

    with pytest.raises(Stopped) as stopped:
        in_dependency_order(work, ["a", "b"], {"b": {"a"}}, workers=2)
    assert stopped.value.results == {}
    assert set(stopped.value.errors) == {"a"}


# --------------------------------------------------------------------------- apply


def remover_failing_at(failing: set[str], error: Exception = TIMEOUT) -> t.Callable[[Decision], str | None]:
    def remove(decision: Decision) -> str | None:
        if decision.id in failing:
            raise error
        return None
    return remove


def test_apply_plan_reports_what_was_done_then_stops():
    plan = plan_of(10, kept=2)
    with pytest.raises(Interrupted) as cut:
        apply.apply_plan(plan, remover_failing_at({"c4"}), parallel=1)
    outcome = cut.value.outcome
    assert [d.id for d in outcome.removed] == ["c0", "c1", "c2", "c3"]
    reasons = {d.id: d.reason for d in outcome.kept}
    assert reasons["c4"] == FAILED
    assert {i for i, r in reasons.items() if r == NOT_ATTEMPTED} == {f"c{n}" for n in range(5, 10)}
    assert reasons["k0"] == RUNNING and reasons["k1"] == RUNNING
    assert cut.value.cause is TIMEOUT and cut.value.planned == 10


def test_apply_plan_stops_between_waves():
    plan = plan_of(4, waves=(frozenset({"c0", "c1"}), frozenset({"c2", "c3"})))
    with pytest.raises(Interrupted) as cut:
        apply.apply_plan(plan, remover_failing_at({"c1"}), parallel=2)
    reasons = {d.id: d.reason for d in cut.value.outcome.kept}
    assert reasons == {"c1": FAILED, "c2": NOT_ATTEMPTED, "c3": NOT_ATTEMPTED}


def test_a_bug_in_a_remover_is_not_a_partial_failure():
    with pytest.raises(KeyError):
        apply.apply_plan(plan_of(3), remover_failing_at({"c1"}, KeyError("bug")), parallel=1)


def test_measured_fails_after_all_was_done_when_the_count_fails():
    plan = plan_of(3)

    def measure() -> int:
        raise EngineUnreachable("Cannot reach the Docker engine at unix:///x.sock: no engine answered.")

    outcome, reclaimed, cut = apply.measured(lambda: apply.apply_plan(plan, remover_failing_at(set()), 2), measure, 3)
    assert len(outcome.removed) == 3 and reclaimed == 30
    assert cut is not None and "3 of 3 planned removals were done" in str(cut.failure({}))


def test_measured_estimates_the_space_of_an_interrupted_run():
    plan = plan_of(5)
    outcome, reclaimed, cut = apply.measured(lambda: apply.apply_plan(plan, remover_failing_at({"c2"}), 1),
                                             lambda: 999, 5)
    assert cut is not None and len(outcome.removed) == 2 and reclaimed == 20


# --------------------------------------------------------------------------- the failure


def test_the_failure_carries_the_result_and_one_sentence():
    plan = plan_of(300)
    with pytest.raises(Interrupted) as cut:
        apply.apply_plan(plan, remover_failing_at({"c59"}), parallel=1)
    result = prune_result(cut.value.outcome, "names", False, True, 0)
    failure = cut.value.failure(result)
    assert isinstance(failure, PartialFailure)
    assert failure.result["changed"] is True and failure.result["removed_count"] == 59
    assert failure.result["kept_counts"] == {FAILED: 1, NOT_ATTEMPTED: 240}
    assert failure.context == {"docker_host": "unix:///x.sock"}
    assert failure.message == (
        "The Docker engine at unix:///x.sock did not answer within 3 seconds; raise timeout (or DOCKER_TIMEOUT), or "
        "check the engine's health; by then 59 of 300 planned removals were done (listed in removed), 1 asked but not "
        "confirmed (kept as failed), 240 not attempted (kept as not_attempted); rerun to finish once the engine "
        "answers.")


def test_nothing_done_fails_as_the_engine_error_itself():
    cut = Interrupted([("", Outcome(removed=[], kept=[]))], TIMEOUT, 0)
    assert cut.failure({"changed": False}) is TIMEOUT


def test_message_leaves_out_empty_parts():
    assert partial_failure_message("Lost.", 3, 0, 0, 3) == (
        "Lost; by then 3 of 3 planned removals were done (listed in removed); rerun to finish once the engine answers.")


def test_later_kinds_are_not_attempted_and_counted():
    first = Interrupted([("volume", Outcome(removed=[], kept=[]))], TIMEOUT, 2)
    more = first.with_more([("container", Outcome([], [])), ("volume", Outcome([], []))], 5)
    assert more.planned == 7 and more.cause is TIMEOUT and len(more.outcomes) == 2


# --------------------------------------------------------------------------- a 409 for a container


class Inspecting:
    """Answers the inspect that follows a 409 with a fixed state (None: 404)."""

    def __init__(self, state: dict[str, t.Any] | None, refusal: str = "You cannot remove a running container") -> None:
        self.state, self.refusal = state, refusal

    def request(self, verb: str, path: str, query: t.Mapping[str, t.Any] | None = None) -> t.Any:
        if verb == "DELETE":
            raise Conflict(self.refusal)
        if self.state is None:
            raise NotFound("No such container")
        return {"State": self.state}


@pytest.mark.parametrize(("state", "refusal", "reason"), [
    (None, "conflict", GONE),
    ({"Status": "removing", "Running": False}, "conflict", GONE),
    ({"Status": "dead", "Running": False}, "conflict", GONE),
    ({"Status": "exited", "Running": False}, "removal of container c0 is already in progress", GONE),
    ({"Status": "running", "Running": True}, "You cannot remove a running container", RUNNING),
    ({"Status": "exited", "Running": False}, "something else", "conflict"),
])
def test_a_container_refused_is_gone_when_another_actor_removes_it(state, refusal, reason):
    remove = apply.container_remover(t.cast(t.Any, Inspecting(state, refusal)), keep_volumes=True)
    assert remove(Decision("c0", ("name0",), REMOVE, STOPPED)) == reason


# --------------------------------------------------------------------------- the module's failure


class Failing:
    """Stands in for the AnsibleModule under ``TidyDockerModule.fail_with``: records what fail_json got."""

    def __init__(self) -> None:
        self.failed_with: dict[str, t.Any] = {}

    def fail_json(self, **kwargs: t.Any) -> None:
        self.failed_with = kwargs


def test_fail_with_returns_the_partial_result_next_to_the_sentence():
    from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule

    failure = PartialFailure("Lost; by then 1 of 2 planned removals were done.",
                             {"changed": True, "removed": [{"id": "c0"}], "msg": "not this", "failed": False},
                             docker_host="unix:///x.sock")
    module = Failing()
    with pytest.raises(AssertionError, match="unreachable"):
        TidyDockerModule.fail_with(t.cast(t.Any, module), failure)
    assert module.failed_with == {"msg": "Lost; by then 1 of 2 planned removals were done.", "changed": True,
                                  "removed": [{"id": "c0"}], "docker_host": "unix:///x.sock"}
