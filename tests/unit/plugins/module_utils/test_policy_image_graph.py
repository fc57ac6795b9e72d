# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image plan against a simulated engine that refuses what the real one refuses (issue 12, item 1).

A random host holds image chains as builds and commits leave them: tagged images,
dangling ones, and the untagged intermediates between a parent and its child that
the engine's list hides. Containers use images anywhere in a chain. The simulated
engine deletes an image as Docker does: it refuses (409) while the image has a child
or a container uses it, and with the image it deletes each untagged parent left
without children or containers. Applying the plan wave by wave (each wave in a
random order, as concurrent requests land) must succeed for every planned removal,
keep every kept image, and an image kept as ``parent_of_kept`` must really still
have a child.
"""

from __future__ import annotations

import random
import typing as t
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    Container,
    ContainerPolicy,
    Image,
    ImagePolicy,
    LabelSelector,
    PrunePlan,
    Watermark,
    plan_container_removals,
    plan_image_removals,
)
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.policy_factories import (
    NOW,
    container,
    image,
    image_id,
    long_id,
    removals,
)

PROTECT = LabelSelector("protect")


class Refused(Exception):
    """The engine's 409 (or 404): the plan asked for something the engine would not do."""


@dataclass
class SimulatedEngine:
    parents: dict[str, str | None]            # every image, hidden ones too -> its parent
    tags: dict[str, tuple[str, ...]]
    users: dict[str, set[str]] = field(default_factory=dict)  # image -> containers using it

    def children(self, image_id: str) -> list[str]:
        return [child for child, parent in self.parents.items() if parent == image_id]

    def remove_container(self, container_id: str) -> None:
        for users in self.users.values():
            users.discard(container_id)

    def remove_image(self, image_id: str) -> None:
        if image_id not in self.parents:
            raise Refused(f"{image_id}: no such image")
        if self.children(image_id):
            raise Refused(f"{image_id}: image has dependent child images")
        if self.users.get(image_id):
            raise Refused(f"{image_id}: image is being used by a container")
        parent = self.parents.pop(image_id)
        # Like the engine: the untagged parents left without a child or a user go with it.
        while parent is not None and not self.tags.get(parent) and not self.children(parent) \
                and not self.users.get(parent):
            parent = self.parents.pop(parent)

    def listed(self) -> set[str]:
        """What the engine's list shows: tagged images and images without children."""
        return {i for i in self.parents if self.tags.get(i) or not self.children(i)}


class Host(t.NamedTuple):
    images: list[Image]               # the listed ones, as the planner sees them
    parents: dict[str, str]           # every image with a parent, hidden ones too
    containers: list[Container]
    removed_containers: frozenset[str]
    engine: SimulatedEngine


@st.composite
def hosts(draw: st.DrawFn) -> Host:
    count = draw(st.integers(1, 12))
    ids = [image_id(f"graph-{n}") for n in range(count)]
    parents: dict[str, str | None] = {}
    created: dict[str, int] = {}
    tags: dict[str, tuple[str, ...]] = {}
    for n, iid in enumerate(ids):
        parent = draw(st.sampled_from([None, None, *ids[:n]])) if n else None
        parents[iid] = parent
        # A child is built after its parent; equal seconds happen (the cap must still be exact).
        created[iid] = (created[parent] if parent else 0) + draw(st.integers(0, 3))
        tags[iid] = tuple(f"repo{n}:{v}" for v in range(draw(st.sampled_from([0, 1, 1, 1, 2]))))
    labels = {iid: {"protect": ""} for iid in ids if draw(st.integers(0, 5)) == 0}
    engine = SimulatedEngine(parents=dict(parents), tags=tags)
    listed = engine.listed()
    images = [image(iid, *tags[iid], created=-created[iid], size=draw(st.integers(1, 9)), labels=labels.get(iid),
                    parent=parents[iid]) for iid in ids if iid in listed]
    containers, removed = [], set()
    for n in range(draw(st.integers(0, 4))):
        cid = long_id(f"graph-container-{n}")
        used = draw(st.sampled_from(ids))  # a hidden intermediate can be run too
        containers.append(container(cid, image=used))
        engine.users.setdefault(used, set()).add(cid)
        if draw(st.booleans()):
            removed.add(cid)
    return Host(images, {i: p for i, p in parents.items() if p}, containers, frozenset(removed), engine)


@st.composite
def policies(draw: st.DrawFn) -> ImagePolicy:
    watermark = None
    if draw(st.integers(0, 3)) == 0:
        high = draw(st.integers(0, 40))
        watermark = Watermark(usage=draw(st.integers(0, 60)), high=high, low=draw(st.integers(0, high)))
    return ImagePolicy(
        scope=draw(st.sampled_from(["unused", "unused", "dangling"])),
        keep_unpullable=False,
        exclude_labels=(PROTECT,),
        keep_last=draw(st.sampled_from([None, None, None, 0, 1])),
        max_removals=draw(st.sampled_from([0, 0, 1, 2, 3])),
        watermark=watermark,
    )


def apply_like_the_engine(host: Host, plan: PrunePlan, seed: int) -> None:
    for container_id in host.removed_containers:
        host.engine.remove_container(container_id)
    shuffler = random.Random(seed)
    for wave in plan.waves:
        order = sorted(wave)
        shuffler.shuffle(order)  # concurrent requests land in any order
        for image_id_ in order:
            host.engine.remove_image(image_id_)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(hosts(), policies(), st.integers(0, 2**32 - 1))
def test_the_engine_carries_out_the_plan_exactly(host, policy, seed):
    plan = plan_image_removals(host.images, host.containers, policy, NOW, removed_containers=host.removed_containers,
                               parents=host.parents)
    # Waves cover exactly the removals, each once.
    assert sorted(i for wave in plan.waves for i in wave) == sorted(plan.removal_ids)
    apply_like_the_engine(host, plan, seed)  # raises Refused where the engine would refuse
    remaining = host.engine.parents
    assert not plan.removal_ids & remaining.keys()
    for decision in plan.kept:
        assert decision.id in remaining, f"kept as {decision.reason} but the engine deleted it"
        if decision.reason == "parent_of_kept":
            assert host.engine.children(decision.id), f"{decision.id} kept as parent_of_kept has no child left"


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(hosts())
def test_a_cap_takes_the_oldest_that_can_go_first(host):
    """Raising the cap by one adds the oldest image (then smallest id) whose planned descendants are all in."""
    def capped(cap: int) -> PrunePlan:
        return plan_image_removals(host.images, host.containers,
                                   ImagePolicy(scope="unused", keep_unpullable=False, max_removals=cap), NOW,
                                   removed_containers=host.removed_containers, parents=host.parents)

    by_id = {i.id: i for i in host.images}
    planned = capped(0).removal_ids
    chosen: set[str] = set()
    for cap in range(1, len(planned) + 1):
        plan = capped(cap)
        added = plan.removal_ids - chosen
        assert len(added) == 1 and chosen <= plan.removal_ids
        ready = [i for i in planned - chosen if planned_descendants(i, host.parents, planned) <= chosen]
        assert added == {min(ready, key=lambda i: (by_id[i].created, i))}
        # Listed as removed: every image after all of its descendants.
        order = [d.id for d in plan.removals]
        for position, image_id_ in enumerate(order):
            assert planned_descendants(image_id_, host.parents, plan.removal_ids) <= set(order[:position])
        chosen = plan.removal_ids


def planned_descendants(image_id_: str, parents: t.Mapping[str, str], planned: t.AbstractSet[str]) -> set[str]:
    found, frontier = set(), {image_id_}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found & planned


def chain(*links: str) -> dict[str, str]:
    """``chain(a, b, c)``: c's parent is b, b's is a."""
    return {child: parent for parent, child in zip(links, links[1:], strict=False)}


BASE, MIDDLE, CHILD, OTHER = (image_id(name) for name in ("base", "middle", "child", "other"))


def test_a_parent_whose_child_is_in_use_is_kept_with_its_own_reason():
    """The reproduction of issue 12: base/p:1, child/c:1 FROM it, a container of the child."""
    images = [image(BASE, "base/p:1", created=100), image(CHILD, "child/c:1", created=50, parent=BASE)]
    plan = plan_image_removals(images, [container("c1", image=CHILD)], ImagePolicy(scope="unused",
                               keep_unpullable=False), NOW, parents=chain(BASE, CHILD))
    assert {d.id: d.reason for d in plan.kept} == {BASE: "parent_of_kept", CHILD: "in_use"}
    assert not plan.removals


def test_the_relation_is_seen_through_a_hidden_intermediate():
    # child -> middle (untagged, not listed) -> base: the child is excluded, so neither can go.
    images = [image(BASE, "base/p:1", created=100), image(CHILD, "child/c:1", created=50,
                                                          labels={"protect": ""}, parent=MIDDLE)]
    policy = ImagePolicy(scope="unused", keep_unpullable=False, exclude_labels=(PROTECT,))
    plan = plan_image_removals(images, [], policy, NOW, parents=chain(BASE, MIDDLE, CHILD))
    assert {d.id: d.reason for d in plan.kept} == {BASE: "parent_of_kept", CHILD: "excluded_label"}


def test_a_hidden_intermediate_a_container_runs_keeps_its_ancestors():
    images = [image(BASE, "base/p:1", created=100), image(CHILD, "child/c:1", created=50, parent=MIDDLE)]
    plan = plan_image_removals(images, [container("c1", image=MIDDLE)], ImagePolicy(scope="unused",
                               keep_unpullable=False), NOW, parents=chain(BASE, MIDDLE, CHILD))
    assert removals(plan) == [(CHILD, "unused")]
    assert {d.id: d.reason for d in plan.kept} == {BASE: "parent_of_kept"}


def test_a_whole_chain_goes_children_first_in_waves():
    images = [image(BASE, "base/p:1", created=100), image(MIDDLE, "mid/m:1", created=90, parent=BASE),
              image(CHILD, "child/c:1", created=80, parent=MIDDLE), image(OTHER, "other/o:1", created=95)]
    plan = plan_image_removals(images, [], ImagePolicy(scope="unused", keep_unpullable=False), NOW,
                               parents=chain(BASE, MIDDLE, CHILD))
    # Oldest first where nothing holds an image back: OTHER (95) before CHILD (80) though both are ready.
    assert [d.id for d in plan.removals] == [OTHER, CHILD, MIDDLE, BASE]
    assert plan.waves == (frozenset({OTHER, CHILD}), frozenset({MIDDLE}), frozenset({BASE}))


def test_same_second_images_go_oldest_first_by_full_time():
    # Issue 12 item 5: two images created in the same second, ordered by the full time, not by id.
    first, second = sorted((image_id("first"), image_id("second")), reverse=True)  # the older has the greater id
    images = [image(first, "app:1", created=10.4), image(second, "app:2", created=10.1)]
    plan = plan_image_removals(images, [], ImagePolicy(scope="unused", keep_unpullable=False, max_removals=1), NOW)
    assert removals(plan) == [(first, "unused")]
    assert [(d.id, d.reason) for d in plan.kept] == [(second, "max_removals")]


def test_a_container_being_removed_by_someone_else_is_gone_not_running():
    plan = plan_container_removals([container("c1", state="removing")], ContainerPolicy(), NOW)
    assert [(d.id, d.reason) for d in plan.kept] == [("c1", "gone")]


def test_without_a_graph_the_listed_parents_are_used():
    images = [image(BASE, "base/p:1", created=100), image(CHILD, "child/c:1", created=50, parent=BASE)]
    plan = plan_image_removals(images, [container("c1", image=CHILD)], ImagePolicy(scope="unused",
                               keep_unpullable=False), NOW)
    assert {d.id: d.reason for d in plan.kept} == {BASE: "parent_of_kept", CHILD: "in_use"}


# ------------------------------------------------------------------ named objects (a decommissioned service)


def test_named_containers_go_even_running_unless_protected():
    containers = [container("web-id-0000000", name="web", state="running", restart_policy="always"),
                  container("db-id-00000000", name="db", labels={"protect": ""}),
                  container("job-id-0000000", name="job")]
    policy = ContainerPolicy(remove=("web", "db", "absent"), exclude_labels=(PROTECT,), max_removals=1, older_than=0)
    plan = plan_container_removals(containers, policy, NOW)
    assert removals(plan) == [("web-id-0000000", "named"), ("job-id-0000000", "older_than")]  # the cap is the policy's
    assert [(d.id, d.reason) for d in plan.kept] == [("db-id-00000000", "excluded_label")]


def test_a_container_is_named_by_id_prefix_of_twelve():
    cid = long_id("by-id")
    plan = plan_container_removals([container(cid, name="x", state="running")], ContainerPolicy(remove=(cid[:12],)), NOW)
    assert removals(plan) == [(cid, "named")]
    assert not plan_container_removals([container(cid, name="x", state="running")],
                                       ContainerPolicy(remove=(cid[:11],)), NOW).removals


def test_named_images_deleted_untagged_or_kept():
    images = [image(BASE, "shop/web:1", "shop/web:stable", created=100), image(CHILD, "shop/api:1", created=90),
              image(OTHER, "shop/db:1", created=80, labels={"protect": ""}), image(MIDDLE, "shop/old:1", created=70)]
    users = [container("c1", image=CHILD), container("c2", image=MIDDLE)]
    policy = ImagePolicy(remove=("shop/web:1", "shop/api:1", "shop/db:1", "shop/old:1", "shop/new"),
                         exclude_labels=(PROTECT,))  # shop/new means shop/new:latest: no such image
    plan = plan_image_removals(images, users, policy, NOW, removed_containers={"c2"})
    # one of two tags: untagged, even though nothing else would remove it; the user of shop/old goes in this run
    assert removals(plan) == [(BASE, "untagged"), (MIDDLE, "named")]
    assert plan.removals[0].names == ("shop/web:1",) and plan.removals[0].size == 0
    assert {d.id: d.reason for d in plan.kept} == {CHILD: "in_use", OTHER: "excluded_label"}


def test_a_named_parent_waits_for_its_children_or_stays():
    images = [image(BASE, "base/p:1", created=100), image(CHILD, "child/c:1", created=50, parent=BASE)]
    alone = plan_image_removals(images, [], ImagePolicy(remove=("base/p:1",)), NOW, parents=chain(BASE, CHILD))
    assert {d.id: d.reason for d in alone.kept} == {BASE: "parent_of_kept", CHILD: "not_dangling"}
    both = plan_image_removals(images, [], ImagePolicy(remove=("base/p:1", CHILD)), NOW, parents=chain(BASE, CHILD))
    assert removals(both) == [(CHILD, "named"), (BASE, "named")]
    assert both.waves == (frozenset({CHILD}), frozenset({BASE}))


def test_a_named_parent_of_a_capped_child_stays():
    images = [image(BASE, "base/p:1", created=100), image(CHILD, "child/c:1", created=50, parent=BASE),
              image(OTHER, "other/o:1", created=60)]
    policy = ImagePolicy(scope="unused", keep_unpullable=False, max_removals=1, remove=("base/p:1",))
    plan = plan_image_removals(images, [], policy, NOW, parents=chain(BASE, CHILD))
    # The cap takes OTHER (oldest ready); CHILD stays, so the named BASE cannot go.
    assert removals(plan) == [(OTHER, "unused")]
    assert {d.id: d.reason for d in plan.kept} == {BASE: "parent_of_kept", CHILD: "max_removals"}


def test_with_policy_pruning_off_only_the_named_are_decided():
    containers = [container("web-id-0000000", name="web"), container("job-id-0000000", name="job")]
    plan = plan_container_removals(containers, ContainerPolicy(remove=("web",), only_named=True), NOW)
    assert removals(plan) == [("web-id-0000000", "named")] and not plan.kept
    images = [image(BASE, "base/p:1"), image(OTHER)]
    plan = plan_image_removals(images, [], ImagePolicy(remove=("base/p:1",), only_named=True), NOW)
    assert removals(plan) == [(BASE, "named")] and not plan.kept


def test_an_image_named_by_some_tags_is_still_judged_by_the_policy():
    """If the policy removes the image anyway, the removal covers the named tags: a rerun has nothing left to do."""
    images = [image(BASE, "x/y:1", "x/y:2", created=100)]
    unused = plan_image_removals(images, [], ImagePolicy(scope="unused", keep_unpullable=False, remove=("x/y:1",)), NOW)
    assert removals(unused) == [(BASE, "unused")] and unused.removals[0].names == ("x/y:1", "x/y:2")
    assert unused.removals[0].named
    kept_by_policy = plan_image_removals(images, [], ImagePolicy(scope="dangling", remove=("x/y:1",)), NOW)
    assert removals(kept_by_policy) == [(BASE, "untagged")] and kept_by_policy.removals[0].names == ("x/y:1",)
    protected = [image(BASE, "x/y:1", "x/y:2", labels={"protect": ""})]
    plan = plan_image_removals(protected, [], ImagePolicy(remove=("x/y:1",), exclude_labels=(PROTECT,)), NOW)
    assert [(d.reason, d.named) for d in plan.kept] == [("excluded_label", True)] and not plan.removals
