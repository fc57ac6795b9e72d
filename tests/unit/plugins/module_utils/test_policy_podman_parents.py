# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image plans where the engine cannot be relied on to delete untagged parents with their child (Podman).

Docker deletes an image's hidden untagged parents with it when nothing else needs them; Podman 4.3
does so for one removal at a time but leaves them behind when removals run at once (docs/podman.md).
Given the hidden intermediates (``hidden``), the plan lists the ones that go as removals of their own
(``parent_of_removed``), after their children, so that one run leaves the host as Docker's would and
check mode shows it. The random hosts and the Docker-like engine are the image-graph tests' own.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    PARENT_OF_REMOVED,
    Image,
    ImagePolicy,
    LabelSelector,
    PrunePlan,
    plan_image_removals,
)
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.policy_factories import (
    NOW,
    container,
    image,
    image_id,
    removals,
)
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.test_policy_image_graph import (
    Host,
    Refused,
    SimulatedEngine,
    chain,
    hosts,
    policies,
)


def hidden_of(host: Host) -> list[Image]:
    """The hidden intermediates as the read gives them: untagged, with their parent and a size."""
    listed = {i.id for i in host.images}
    return [image(iid, created=1000, size=3, parent=parent)
            for iid, parent in host.engine.parents.items() if iid not in listed]


def plan_for(host: Host, policy: ImagePolicy, hidden: list[Image] | None) -> PrunePlan:
    return plan_image_removals(host.images, host.containers, policy, NOW, removed_containers=host.removed_containers,
                               parents=host.parents, hidden=hidden or ())


def copy_engine(engine: SimulatedEngine) -> SimulatedEngine:
    return SimulatedEngine(parents=dict(engine.parents), tags=dict(engine.tags),
                           users={i: set(users) for i, users in engine.users.items()})


def apply_like_podman(host: Host, engine: SimulatedEngine, plan: PrunePlan, seed: int) -> None:
    """Wave by wave; each deletion prunes the untagged parents or not (Podman's race), and a planned
    parent the engine already deleted with its child counts as done, as the remover takes it."""
    for container_id in host.removed_containers:
        engine.remove_container(container_id)
    shuffler = random.Random(seed)
    reasons = {d.id: d.reason for d in plan.removals}
    for wave in plan.waves:
        order = sorted(wave)
        shuffler.shuffle(order)
        for image_id_ in order:
            if reasons[image_id_] == PARENT_OF_REMOVED and image_id_ not in engine.parents:
                continue
            if shuffler.random() < 0.5:
                engine.remove_image(image_id_)  # pruned its parents, as one removal alone does
                continue
            if image_id_ not in engine.parents:
                raise Refused(f"{image_id_}: no such image")
            if engine.children(image_id_) or engine.users.get(image_id_):
                raise Refused(f"{image_id_}: refused")
            del engine.parents[image_id_]  # left its parents behind, as removals at once do


def check_same_decisions_plus_parents(host: Host, plan: PrunePlan, docker_plan: PrunePlan,
                                      hidden: list[Image]) -> None:
    """The same decisions as on Docker, plus the build parents: untagged, each in a wave after its children."""
    assert plan.kept == docker_plan.kept
    # The same removals; their order may differ, since a planned parent below a listed image puts that
    # image in a later wave than on Docker (the waves are checked below).
    assert sorted((d for d in plan.removals if d.reason != PARENT_OF_REMOVED), key=lambda d: d.id) == \
        sorted(docker_plan.removals, key=lambda d: d.id)
    parents_planned = {d.id for d in plan.removals if d.reason == PARENT_OF_REMOVED}
    assert parents_planned <= {i.id for i in hidden}
    assert all(not d.names for d in plan.removals if d.reason == PARENT_OF_REMOVED)
    assert sorted(i for wave in plan.waves for i in wave) == sorted(plan.removal_ids)
    wave_of = {i: n for n, wave in enumerate(plan.waves) for i in wave}
    for child, parent in host.parents.items():
        if parent in parents_planned:
            assert child in wave_of and wave_of[child] < wave_of[parent], (child, parent)
        elif child in wave_of and parent in wave_of:
            assert wave_of[child] < wave_of[parent], (child, parent)


def apply_like_docker(host: Host, engine: SimulatedEngine, plan: PrunePlan) -> None:
    for container_id in host.removed_containers:
        engine.remove_container(container_id)
    for wave in plan.waves:
        for image_id_ in sorted(wave):
            engine.remove_image(image_id_)


def check_next_plan_finds_nothing(host: Host, policy: ImagePolicy, plan: PrunePlan) -> None:
    """Planning again on what is left removes nothing, except what the cap or the watermark held back."""
    listed = host.engine.listed()
    left = Host([i for i in host.images if i.id in listed], {i: p for i, p in host.engine.parents.items() if p},
                [c for c in host.containers if c.id not in host.removed_containers], frozenset(), host.engine)
    again = plan_for(left, policy, hidden_of(left))
    held_back = {d.id for d in plan.kept if d.reason in ("max_removals", "below_watermark")}
    assert {d.id for d in again.removals if d.reason != PARENT_OF_REMOVED} <= held_back


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(hosts(), policies(), st.integers(0, 2**32 - 1))
def test_one_run_leaves_what_docker_leaves_and_a_second_plans_nothing(host, policy, seed):
    docker_engine = copy_engine(host.engine)
    docker_plan = plan_for(host, policy, None)
    hidden = hidden_of(host)
    plan = plan_for(host, policy, hidden)
    check_same_decisions_plus_parents(host, plan, docker_plan, hidden)
    # Carried out on an engine that may leave parents behind, the host ends as Docker's does.
    apply_like_podman(host, host.engine, plan, seed)
    apply_like_docker(host, docker_engine, docker_plan)
    assert host.engine.parents.keys() == docker_engine.parents.keys()
    check_next_plan_finds_nothing(host, policy, plan)


NAMES = ("base", "middle", "lower", "child", "sibling", "other")
BASE, MIDDLE, LOWER, CHILD, SIBLING, OTHER = (image_id(name) for name in NAMES)
PROTECT_KEEP = LabelSelector("keep")


def test_the_hidden_parents_of_a_removed_image_go_after_it():
    """base/p:1 <- lower <- middle <- child/c:1 (lower and middle hidden): both go, child first."""
    images = [image(BASE, "base/p:1", created=100), image(CHILD, "child/c:1", created=50, size=5, parent=MIDDLE)]
    hidden = [image(LOWER, created=60, size=2, parent=BASE), image(MIDDLE, created=55, size=3, parent=LOWER)]
    plan = plan_image_removals(images, [], ImagePolicy(scope="unused", keep_unpullable=False, exclude=("base/*",)),
                               NOW, parents=chain(BASE, LOWER, MIDDLE, CHILD), hidden=hidden)
    assert removals(plan) == [(CHILD, "unused"), (MIDDLE, "parent_of_removed"), (LOWER, "parent_of_removed")]
    assert plan.waves == (frozenset({CHILD}), frozenset({MIDDLE}), frozenset({LOWER}))
    assert plan.reclaimable == 10
    assert {d.id: d.reason for d in plan.kept} == {BASE: "excluded_name"}


def test_a_hidden_parent_another_image_still_needs_stays_unlisted():
    """middle is the parent of child (removed) and sibling (kept): it stays, and is not reported."""
    images = [image(CHILD, "child/c:1", created=50, parent=MIDDLE),
              image(SIBLING, "sib/s:1", created=40, parent=MIDDLE, labels={"keep": ""})]
    hidden = [image(MIDDLE, created=60, parent=None)]
    policy = ImagePolicy(scope="unused", keep_unpullable=False, exclude_labels=(PROTECT_KEEP,))
    plan = plan_image_removals(images, [], policy, NOW, parents={CHILD: MIDDLE, SIBLING: MIDDLE}, hidden=hidden)
    assert removals(plan) == [(CHILD, "unused")]
    assert {d.id for d in plan.decisions} == {CHILD, SIBLING}


def test_a_hidden_parent_a_container_runs_stays():
    images = [image(CHILD, "child/c:1", created=50, parent=MIDDLE)]
    hidden = [image(MIDDLE, created=60, parent=LOWER), image(LOWER, created=70)]
    plan = plan_image_removals(images, [container("c1", image=MIDDLE)], ImagePolicy(scope="unused",
                               keep_unpullable=False), NOW, parents=chain(LOWER, MIDDLE, CHILD), hidden=hidden)
    assert removals(plan) == [(CHILD, "unused")]


def test_the_dangling_scope_takes_the_parents_of_a_dangling_image_too():
    """A rebuilt tag leaves its first build dangling, with the build's own hidden intermediate below it."""
    images = [image(BASE, "base/p:1", created=100), image(CHILD, created=50, parent=MIDDLE)]
    hidden = [image(MIDDLE, created=55, size=4, parent=BASE)]
    plan = plan_image_removals(images, [], ImagePolicy(), NOW, parents=chain(BASE, MIDDLE, CHILD), hidden=hidden)
    assert removals(plan) == [(CHILD, "dangling"), (MIDDLE, "parent_of_removed")]


def test_without_hidden_records_nothing_changes():
    """Docker: the engine deletes them itself, the plan does not list them."""
    images = [image(BASE, "base/p:1", created=100), image(CHILD, "child/c:1", created=50, parent=MIDDLE)]
    plan = plan_image_removals(images, [], ImagePolicy(scope="unused", keep_unpullable=False), NOW,
                               parents=chain(BASE, MIDDLE, CHILD))
    assert removals(plan) == [(CHILD, "unused"), (BASE, "unused")]


def test_the_cap_holds_back_the_parents_of_what_it_holds_back():
    images = [image(CHILD, "child/c:1", created=50, parent=MIDDLE), image(OTHER, "other/o:1", created=90)]
    hidden = [image(MIDDLE, created=60)]
    plan = plan_image_removals(images, [], ImagePolicy(scope="unused", keep_unpullable=False, max_removals=1), NOW,
                               parents={CHILD: MIDDLE}, hidden=hidden)
    assert removals(plan) == [(OTHER, "unused")]
    assert {d.id: d.reason for d in plan.kept} == {CHILD: "max_removals"}
