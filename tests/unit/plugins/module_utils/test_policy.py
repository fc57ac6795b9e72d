# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pruning policy, rule by rule and reason by reason (as container_prune and image_prune document them).

Each case lists every decision of the plan: which ids are removed and which are
kept, each with its exact reason. Times are seconds before ``NOW``.
"""

from __future__ import annotations

import random

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    KEEP,
    KEEP_REASONS,
    REMOVE,
    REMOVE_REASONS,
    ContainerPolicy,
    Decision,
    ImagePolicy,
    LabelSelector,
    PrunePlan,
    Watermark,
    plan_container_removals,
    plan_image_removals,
    repository_of,
)
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.policy_factories import (
    DAY,
    HOUR,
    NOW,
    ago,
    assert_plan,
    container,
    image,
    image_id,
    long_id,
    removals,
    selectors,
)

EVERY_STATUS = frozenset({"exited", "created", "dead"})

# ====================================================================== containers

CONTAINER_CASES = [
    pytest.param(
        [container("old"), container("dead", state="dead")],
        ContainerPolicy(),
        {"old": "stopped", "dead": "stopped"}, {},
        id="exited-and-dead-removed-by-default"),
    pytest.param(
        [container("fresh", state="created", finished=None), container("old")],
        ContainerPolicy(),
        {"old": "stopped"}, {"fresh": "not_selected"},
        id="created-not-selected-by-default"),
    pytest.param(
        [container("fresh", state="created", finished=None), container("old")],
        ContainerPolicy(statuses=EVERY_STATUS),
        {"old": "stopped", "fresh": "stopped"}, {},
        id="created-removed-when-asked"),
    pytest.param(
        [container("old"), container("dead", state="dead")],
        ContainerPolicy(statuses=frozenset({"exited"})),
        {"old": "stopped"}, {"dead": "not_selected"},
        id="statuses-narrowed-to-exited"),
    pytest.param(
        [container("c1", name="job-1"), container("c2", name="job-22"), container("c3", name="web"),
         container("c4", name="myjob-1")],
        ContainerPolicy(names=("job-*",)),
        {"c1": "stopped", "c2": "stopped"}, {"c3": "not_selected", "c4": "not_selected"},
        id="names-glob-selects"),
    pytest.param(
        [container("c1", name="job-1"), container("c2", name="web"), container("c3", name="db")],
        ContainerPolicy(names=("job-?", "db")),
        {"c1": "stopped", "c3": "stopped"}, {"c2": "not_selected"},
        id="names-any-glob-selects"),
    pytest.param(
        [container("c1", name="keep-me"), container("c2", name="keep-too"), container("c3", name="web")],
        ContainerPolicy(exclude_names=("keep-*",)),
        {"c3": "stopped"}, {"c1": "excluded_name", "c2": "excluded_name"},
        id="exclude-names-glob"),
    pytest.param(
        [container(long_id("a"), name="a"), container(long_id("b"), name="b")],
        ContainerPolicy(exclude_names=(long_id("a"),)),
        {long_id("b"): "stopped"}, {long_id("a"): "excluded_name"},
        id="exclude-names-full-id"),
    pytest.param(
        [container("c1", labels={"team": "a"}), container("c2", labels={"team": "b"}), container("c3")],
        ContainerPolicy(labels=selectors("team")),
        {"c1": "stopped", "c2": "stopped"}, {"c3": "not_selected"},
        id="labels-key-selects-any-value"),
    pytest.param(
        [container("c1", labels={"team": "a"}), container("c2", labels={"team": "b"}), container("c3")],
        ContainerPolicy(labels=selectors("team=a")),
        {"c1": "stopped"}, {"c2": "not_selected", "c3": "not_selected"},
        id="labels-key-value-selects"),
    pytest.param(
        [container("both", labels={"team": "a", "tier": "x"}), container("team", labels={"team": "a"}),
         container("tier", labels={"tier": "x"})],
        ContainerPolicy(labels=selectors("team=a", "tier")),
        {"both": "stopped"}, {"team": "not_selected", "tier": "not_selected"},
        id="labels-all-must-match"),
    pytest.param(
        [container("c1", labels={"protect": ""}), container("c2", labels={"team": "a"}), container("c3")],
        ContainerPolicy(exclude_labels=selectors("protect")),
        {"c2": "stopped", "c3": "stopped"}, {"c1": "excluded_label"},
        id="exclude-labels-key"),
    pytest.param(
        [container("c1", labels={"team": "a"}), container("c2", labels={"team": "b"}),
         container("c3", labels={"tier": "x"})],
        ContainerPolicy(exclude_labels=selectors("team=a", "tier")),
        {"c2": "stopped"}, {"c1": "excluded_label", "c3": "excluded_label"},
        id="exclude-labels-any-matches"),
    pytest.param(
        [container("always", restart_policy="always"), container("unless", restart_policy="unless-stopped"),
         container("failure", restart_policy="on-failure"), container("no", restart_policy="no")],
        ContainerPolicy(),
        {"failure": "stopped", "no": "stopped"}, {"always": "restart_policy", "unless": "restart_policy"},
        id="restart-policies-spared-by-default"),
    pytest.param(
        [container("always", restart_policy="always"), container("unless", restart_policy="unless-stopped")],
        ContainerPolicy(exclude_restart_policies=frozenset()),
        {"always": "stopped", "unless": "stopped"}, {},
        id="restart-policies-emptied-list"),
    pytest.param(
        [container("always", restart_policy="always"), container("failure", restart_policy="on-failure")],
        ContainerPolicy(exclude_restart_policies=frozenset({"on-failure"})),
        {"always": "stopped"}, {"failure": "restart_policy"},
        id="restart-policies-own-list"),
    pytest.param(
        [container("recent", created=30 * DAY, finished=2 * HOUR), container("old", created=3 * DAY, finished=2 * DAY)],
        ContainerPolicy(older_than=DAY),
        {"old": "older_than"}, {"recent": "too_young"},
        id="older-than-from-finished-at"),
    pytest.param(
        [container("new", state="created", created=HOUR, finished=None),
         container("old", state="created", created=2 * DAY, finished=None)],
        ContainerPolicy(statuses=EVERY_STATUS, older_than=DAY),
        {"old": "older_than"}, {"new": "too_young"},
        id="older-than-from-created-when-never-started"),
    pytest.param(
        [container("edge-young", finished=DAY - 1), container("edge-old", finished=DAY + 1)],
        ContainerPolicy(older_than=DAY),
        {"edge-old": "older_than"}, {"edge-young": "too_young"},
        id="older-than-one-second-either-side"),
]


@pytest.mark.parametrize(("containers", "policy", "removed", "kept"), CONTAINER_CASES)
def test_container_rules(containers, policy, removed, kept):
    assert_plan(plan_container_removals(containers, policy, NOW), removed, kept)


@pytest.mark.parametrize("state", ["running", "paused", "restarting"])
def test_live_container_is_never_removed_whatever_the_policy(state):
    # Every other rule says "remove": all statuses, every name, its labels, no exclusions, old enough.
    live = container("live", name="job-1", state=state, finished=None, created=90 * DAY, labels={"team": "a"})
    stopped = container("stopped", name="job-2", labels={"team": "a"})
    policy = ContainerPolicy(statuses=EVERY_STATUS | {state}, older_than=0, names=("*",), labels=selectors("team=a"),
                             exclude_restart_policies=frozenset())
    assert_plan(plan_container_removals([live, stopped], policy, NOW), {"stopped": "older_than"}, {"live": "running"})


def test_container_max_removals_removes_the_oldest_and_keeps_the_newest():
    containers = [container("mid", finished=5 * DAY), container("newest", finished=DAY),
                  container("oldest", finished=9 * DAY), container("spared", restart_policy="always")]
    plan = plan_container_removals(containers, ContainerPolicy(max_removals=2), NOW)
    assert removals(plan) == [("oldest", "stopped"), ("mid", "stopped")]
    assert_plan(plan, {"oldest": "stopped", "mid": "stopped"}, {"newest": "max_removals", "spared": "restart_policy"})


def test_container_max_removals_not_reached_keeps_nothing_back():
    plan = plan_container_removals([container("a"), container("b")], ContainerPolicy(max_removals=2), NOW)
    assert_plan(plan, {"a": "stopped", "b": "stopped"}, {})


def test_container_removal_order_is_oldest_first_by_finish_or_creation_time():
    containers = [
        # Created first but finished last: it ages from its finish time.
        container("finished-last", created=50 * DAY, finished=DAY),
        container("never-started", state="created", created=4 * DAY, finished=None),
        container("finished-first", created=10 * DAY, finished=8 * DAY),
        container("finished-mid", created=10 * DAY, finished=3 * DAY),
    ]
    random.Random(4).shuffle(containers)
    plan = plan_container_removals(containers, ContainerPolicy(statuses=EVERY_STATUS), NOW)
    assert [d.id for d in plan.removals] == ["finished-first", "never-started", "finished-mid", "finished-last"]


def test_container_decision_carries_name_and_size():
    plan = plan_container_removals(
        [container("c1", name="job-1", size=4096), container("c2", name="web", size=512, restart_policy="always")],
        ContainerPolicy(), NOW)
    assert plan.decisions == (
        Decision("c1", ("job-1",), REMOVE, "stopped", 4096),
        Decision("c2", ("web",), KEEP, "restart_policy", 512),
    )
    assert plan.reclaimable == 4096
    assert plan.removal_ids == frozenset({"c1"})


def test_container_plan_of_nothing_is_empty():
    assert plan_container_removals([], ContainerPolicy(), NOW) == PrunePlan(())


# ====================================================================== images

APP = [image_id(f"app{n}") for n in range(5)]
RUNNING = container("running", state="running", finished=None, image=image_id("used-by-running"))
STOPPED = container("stopped", image=image_id("used-by-stopped"))
UNUSED_SCOPE = ImagePolicy(scope="unused")

IMAGE_CASES = [
    pytest.param(
        [image("tagged", "app:1", pulled=True), image("local", "app:2"), image("dangling"),
         image("dangling-pulled", pulled=True)],
        [], ImagePolicy(),
        {"dangling": "dangling", "dangling-pulled": "dangling"}, {"tagged": "not_dangling", "local": "not_dangling"},
        id="scope-dangling"),
    pytest.param(
        [image("tagged", "app:1", pulled=True), image("local", "app:2"), image("dangling"),
         image("dangling-pulled", pulled=True)],
        [], UNUSED_SCOPE,
        {"tagged": "unused", "dangling": "dangling", "dangling-pulled": "dangling"}, {"local": "unpullable"},
        id="scope-unused-keeps-unpullable"),
    pytest.param(
        [image("tagged", "app:1", pulled=True), image("local", "app:2"), image("dangling")],
        [], ImagePolicy(scope="unused", keep_unpullable=False),
        {"tagged": "unused", "local": "unused", "dangling": "dangling"}, {},
        id="scope-unused-without-keep-unpullable"),
    pytest.param(
        [image(image_id("used-by-running"), "app:1", pulled=True), image(image_id("used-by-stopped"), pulled=True),
         image("free", "app:2", pulled=True)],
        [RUNNING, STOPPED], UNUSED_SCOPE,
        {"free": "unused"}, {image_id("used-by-running"): "in_use", image_id("used-by-stopped"): "in_use"},
        id="in-use-by-running-and-stopped"),
    pytest.param(
        [image(image_id("used-by-running")), image(image_id("used-by-stopped")), image("free")],
        [RUNNING, STOPPED], ImagePolicy(),
        {"free": "dangling"}, {image_id("used-by-running"): "in_use", image_id("used-by-stopped"): "in_use"},
        id="in-use-dangling"),
    pytest.param(
        [image("postgres", "postgres:16", pulled=True), image("base", "tidy/base:1", pulled=True),
         image("deep-base", "registry.local/team/base:2", pulled=True), image("plain-base", "base:1", pulled=True),
         image("local", "registry.local/app:1", pulled=True), image("pg-client", "postgres-client:1", pulled=True)],
        [], ImagePolicy(scope="unused", exclude=("postgres:*", "*/base:*", "registry.local/*")),
        {"plain-base": "unused", "pg-client": "unused"},
        {"postgres": "excluded_name", "base": "excluded_name", "deep-base": "excluded_name",
         "local": "excluded_name"},
        id="exclude-globs"),
    pytest.param(
        [image("multi", "app:1", "postgres:16", pulled=True), image("other", "app:2", pulled=True)],
        [], ImagePolicy(scope="unused", exclude=("postgres:*",)),
        {"other": "unused"}, {"multi": "excluded_name"},
        id="exclude-one-tag-of-multi-tagged"),
    pytest.param(
        [image(APP[0]), image(APP[1]), image(APP[2]), image(APP[3])],
        [], ImagePolicy(exclude=(APP[0], APP[1].split(":")[1], APP[2].split(":")[1][:12])),
        {APP[3]: "dangling"}, {APP[0]: "excluded_name", APP[1]: "excluded_name", APP[2]: "excluded_name"},
        id="exclude-ids-full-hex-short"),
    pytest.param(
        [image("protected", "app:1", pulled=True, labels={"protect": "yes"}),
         image("team-a", "app:2", pulled=True, labels={"team": "a"}),
         image("team-b", "app:3", pulled=True, labels={"team": "b"})],
        [], ImagePolicy(scope="unused", exclude_labels=selectors("protect", "team=a")),
        {"team-b": "unused"}, {"protected": "excluded_label", "team-a": "excluded_label"},
        id="exclude-labels"),
    pytest.param(
        [image("both", "app:1", pulled=True, labels={"team": "a", "tier": "x"}),
         image("team", "app:2", pulled=True, labels={"team": "a"}),
         image("other", "app:3", pulled=True, labels={"team": "b", "tier": "x"}), image("none")],
        [], ImagePolicy(scope="unused", labels=selectors("team=a", "tier")),
        {"both": "unused"}, {"team": "not_selected", "other": "not_selected", "none": "not_selected"},
        id="labels-selector"),
    pytest.param(
        [image("young", "app:1", pulled=True, created=2 * HOUR),
         image("old", "app:2", pulled=True, created=2 * DAY, last_tagged=HOUR),
         image("old-dangling", created=2 * DAY), image("young-dangling", created=HOUR)],
        [], ImagePolicy(scope="unused", older_than=DAY),
        {"old": "older_than", "old-dangling": "dangling"}, {"young": "too_young", "young-dangling": "too_young"},
        id="older-than-by-creation"),
    pytest.param(
        [image("edge-young", "app:1", pulled=True, created=DAY - 1),
         image("edge-old", "app:2", pulled=True, created=DAY + 1)],
        [], ImagePolicy(scope="unused", older_than=DAY),
        {"edge-old": "older_than"}, {"edge-young": "too_young"},
        id="older-than-one-second-either-side"),
    pytest.param(
        [image(APP[0], "app:0", pulled=True, created=5 * DAY), image(APP[1], "app:1", pulled=True, created=4 * DAY),
         image(APP[2], "app:2", pulled=True, created=3 * DAY), image(APP[3], "app:3", pulled=True, created=2 * DAY)],
        [container("user", image=APP[3])], ImagePolicy(scope="unused", keep_last=2),
        {APP[0]: "beyond_keep_last", APP[1]: "beyond_keep_last"},
        {APP[3]: "in_use", APP[2]: "within_keep_last"},
        id="keep-last-counts-the-image-in-use"),
    pytest.param(
        [image(APP[0], "app:0", pulled=True, created=5 * DAY), image(APP[1], "app:1", pulled=True, created=4 * DAY),
         image(APP[2], "app:2", pulled=True, created=3 * DAY), image("dangling", created=DAY)],
        [container("user", image=APP[0])], ImagePolicy(scope="unused", keep_last=2),
        {"dangling": "dangling"},
        {APP[0]: "in_use", APP[1]: "within_keep_last", APP[2]: "within_keep_last"},
        id="keep-last-an-old-image-in-use-does-not-take-a-slot"),
    pytest.param(
        [image(APP[0], "app:0", pulled=True, created=5 * DAY), image(APP[1], "app:1", pulled=True, created=4 * DAY),
         image(APP[2], "app:2", "app:stable", pulled=True, created=3 * DAY)],
        [], ImagePolicy(scope="unused", keep_last=2),
        {APP[0]: "beyond_keep_last"}, {APP[1]: "within_keep_last", APP[2]: "within_keep_last"},
        id="keep-last-two-tags-of-one-repository-count-once"),
    pytest.param(
        [image("a-old", "a:0", pulled=True, created=9 * DAY),
         image("multi", "a:1", "b:1", pulled=True, created=5 * DAY),
         image("a-new", "a:2", pulled=True, created=DAY), image("b-old", "b:0", pulled=True, created=8 * DAY)],
        [], ImagePolicy(scope="unused", keep_last=1),
        {"a-old": "beyond_keep_last", "b-old": "beyond_keep_last"},
        {"multi": "within_keep_last", "a-new": "within_keep_last"},
        id="keep-last-multi-tagged-kept-by-its-other-repository"),
    pytest.param(
        [image("multi", "a:1", "b:1", pulled=True, created=9 * DAY), image("a-new", "a:2", pulled=True, created=DAY),
         image("b-new", "b:2", pulled=True, created=2 * DAY)],
        [], ImagePolicy(scope="unused", keep_last=1),
        {"multi": "beyond_keep_last"}, {"a-new": "within_keep_last", "b-new": "within_keep_last"},
        id="keep-last-multi-tagged-beyond-in-both-repositories"),
    pytest.param(
        [image("r1", "registry:5000/team/app:1", pulled=True, created=3 * DAY),
         image("r2", "registry:5000/team/app:2", pulled=True, created=2 * DAY),
         image("r3", "registry:5000/team/app:3", pulled=True, created=DAY),
         image("other", "registry:5000/team/other:1", pulled=True, created=9 * DAY),
         image("short", "registry:1", pulled=True, created=9 * DAY)],
        [], ImagePolicy(scope="unused", keep_last=1),
        {"r1": "beyond_keep_last", "r2": "beyond_keep_last"},
        {"r3": "within_keep_last", "other": "within_keep_last", "short": "within_keep_last"},
        id="keep-last-repository-with-registry-port"),
    pytest.param(
        [image("old", "app:1", pulled=True, created=3 * DAY), image("new", "app:2", pulled=True, created=DAY)],
        [], ImagePolicy(scope="unused", keep_last=1, older_than=2 * DAY),
        {"old": "beyond_keep_last"}, {"new": "within_keep_last"},
        id="keep-last-and-older-than"),
    pytest.param(
        [image("local-old", "app:1", created=3 * DAY), image("pulled-new", "app:2", pulled=True, created=DAY),
         image("pulled-old", "app:0", pulled=True, created=5 * DAY)],
        [], ImagePolicy(scope="unused", keep_last=1),
        {"pulled-old": "beyond_keep_last"}, {"local-old": "unpullable", "pulled-new": "within_keep_last"},
        id="keep-last-and-unpullable"),
    pytest.param(
        [image("tagged", "app:1", pulled=True, created=3 * DAY), image("dangling", created=3 * DAY),
         image("old", "app:0", pulled=True, created=5 * DAY)],
        [], ImagePolicy(scope="dangling", keep_last=1),
        {"dangling": "dangling"}, {"tagged": "not_dangling", "old": "not_dangling"},
        id="keep-last-in-dangling-scope"),
]


@pytest.mark.parametrize(("images", "containers", "policy", "removed", "kept"), IMAGE_CASES)
def test_image_rules(images, containers, policy, removed, kept):
    assert_plan(plan_image_removals(images, containers, policy, NOW), removed, kept)


def test_in_use_lifted_only_when_every_user_is_removed_first():
    images = [image("both-gone", "app:1", pulled=True), image("one-stays", "app:2", pulled=True),
              image("unused", "app:3", pulled=True)]
    containers = [container("c1", image="both-gone"), container("c2", image="both-gone"),
                  container("c3", image="one-stays"), container("c4", image="one-stays")]
    plan = plan_image_removals(images, containers, UNUSED_SCOPE, NOW, removed_containers=["c1", "c2", "c3"])
    assert_plan(plan, {"both-gone": "unused", "unused": "unused"}, {"one-stays": "in_use"})


def test_in_use_not_lifted_without_removed_containers():
    images = [image("used", "app:1", pulled=True)]
    containers = [container("c1", image="used")]
    assert_plan(plan_image_removals(images, containers, UNUSED_SCOPE, NOW), {}, {"used": "in_use"})


@pytest.mark.parametrize("first", [0, 1])
def test_keep_last_breaks_ties_in_creation_time_deterministically(first):
    twins = [image(APP[0], "app:a", pulled=True, created=DAY), image(APP[1], "app:b", pulled=True, created=DAY)]
    older = image(APP[2], "app:c", pulled=True, created=2 * DAY)
    plan = plan_image_removals([twins[first], older, twins[1 - first]], [], ImagePolicy(scope="unused", keep_last=1),
                               NOW)
    reference = plan_image_removals([older, *twins], [], ImagePolicy(scope="unused", keep_last=1), NOW)
    assert plan == reference
    kept = {d.id: d.reason for d in plan.kept}
    assert list(kept.values()) == ["within_keep_last"] and set(kept) < set(APP[:2])
    assert plan.removal_ids == {APP[2]} | (set(APP[:2]) - set(kept))


# ---------------------------------------------------------------------- watermark

def lru_images() -> list:
    """Least recently used first: a (recorded use 10d), c (created 9d), b (tagged 8d), d (recorded use 1d)."""
    return [
        image("a", "app:a", pulled=True, created=40 * DAY, last_tagged=2 * DAY, size=10),
        image("b", "app:b", pulled=True, created=20 * DAY, last_tagged=8 * DAY, size=10),
        image("c", "app:c", pulled=True, created=9 * DAY, size=10),
        image("d", "app:d", pulled=True, created=30 * DAY, size=10),
    ]


LRU_USAGE = {"a": ago(10 * DAY), "d": ago(DAY)}


@pytest.mark.parametrize(("usage", "high", "low", "removed_in_order"), [
    pytest.param(100, 90, 75, ["a", "c", "b"], id="stops-once-at-or-below-low"),
    pytest.param(100, 90, 80, ["a", "c"], id="stops-exactly-at-low"),
    pytest.param(91, 90, 90, ["a"], id="one-step-is-enough"),
    pytest.param(100, 90, 0, ["a", "c", "b", "d"], id="runs-out-of-candidates"),
    pytest.param(90, 90, 0, [], id="at-high-mark-nothing"),
    pytest.param(50, 90, 10, [], id="below-high-mark-nothing"),
])
def test_watermark_removes_least_recently_used_down_to_low(usage, high, low, removed_in_order):
    policy = ImagePolicy(scope="unused", watermark=Watermark(usage=usage, high=high, low=low))
    images = lru_images()
    random.Random(usage + low).shuffle(images)
    plan = plan_image_removals(images, [], policy, NOW, usage_state=LRU_USAGE)
    assert removals(plan) == [(i, "over_watermark") for i in removed_in_order]
    assert_plan(plan, dict.fromkeys(removed_in_order, "over_watermark"),
                {i: "below_watermark" for i in "abcd" if i not in removed_in_order})
    assert plan.reclaimable == 10 * len(removed_in_order)


def test_watermark_considers_only_eligible_images():
    images = [*lru_images(), image("used", "app:u", pulled=True, created=90 * DAY, size=50),
              image("local", "app:l", created=90 * DAY, size=50), image("dangling", created=DAY, size=10)]
    policy = ImagePolicy(scope="unused", watermark=Watermark(usage=100, high=90, low=75))
    plan = plan_image_removals(images, [container("c", image="used")], policy, NOW, usage_state=LRU_USAGE)
    # The dangling image is eligible too, but used (created) more recently than a, c and b.
    assert removals(plan) == [("a", "over_watermark"), ("c", "over_watermark"), ("b", "over_watermark")]
    assert_plan(plan, {"a": "over_watermark", "c": "over_watermark", "b": "over_watermark"},
                {"d": "below_watermark", "dangling": "below_watermark", "used": "in_use", "local": "unpullable"})


def test_watermark_below_high_mark_keeps_other_reasons():
    images = [image("dangling", size=10), image("tagged", "app:1", size=10)]
    policy = ImagePolicy(watermark=Watermark(usage=10, high=90, low=50))
    assert_plan(plan_image_removals(images, [], policy, NOW), {}, {"dangling": "below_watermark",
                                                                   "tagged": "not_dangling"})


def test_watermark_ties_in_last_use_fall_back_to_creation_time():
    images = [image("new", "app:1", pulled=True, created=DAY, size=10),
              image("old", "app:2", pulled=True, created=5 * DAY, size=10)]
    same_use = {"new": ago(HOUR), "old": ago(HOUR)}
    policy = ImagePolicy(scope="unused", watermark=Watermark(usage=100, high=95, low=90))
    plan = plan_image_removals(images, [], policy, NOW, usage_state=same_use)
    assert_plan(plan, {"old": "over_watermark"}, {"new": "below_watermark"})


# ---------------------------------------------------------------------- cap, order, sizes

def test_image_max_removals_caps_and_keeps_the_rest():
    images = [image("i1", created=3 * DAY), image("i2", created=2 * DAY), image("i3", created=DAY),
              image("tagged", "app:1")]
    plan = plan_image_removals(images, [], ImagePolicy(max_removals=2), NOW)
    assert removals(plan) == [("i1", "dangling"), ("i2", "dangling")]
    assert_plan(plan, {"i1": "dangling", "i2": "dangling"}, {"i3": "max_removals", "tagged": "not_dangling"})


def test_image_max_removals_in_watermark_mode_keeps_the_most_recently_used():
    policy = ImagePolicy(scope="unused", watermark=Watermark(usage=100, high=90, low=0), max_removals=2)
    plan = plan_image_removals(lru_images(), [], policy, NOW, usage_state=LRU_USAGE)
    assert removals(plan) == [("a", "over_watermark"), ("c", "over_watermark")]
    assert_plan(plan, {"a": "over_watermark", "c": "over_watermark"}, {"b": "max_removals", "d": "max_removals"})


def test_image_max_removals_never_removes_a_parent_before_its_child():
    images = [image("parent", created=3 * DAY), image("child", created=2 * DAY, parent="parent"),
              image("lone", created=DAY)]
    plan = plan_image_removals(images, [], ImagePolicy(max_removals=1), NOW)
    assert removals(plan) == [("child", "dangling")]
    assert_plan(plan, {"child": "dangling"}, {"parent": "max_removals", "lone": "max_removals"})


@pytest.mark.parametrize(("images", "before"), [
    pytest.param([image("parent", created=3 * DAY), image("child", created=2 * DAY, parent="parent")],
                 [("child", "parent")], id="parent-and-child"),
    pytest.param([image("base", created=3 * DAY), image("left", created=2 * DAY, parent="base"),
                  image("right", created=DAY, parent="base")],
                 [("left", "base"), ("right", "base")], id="two-children"),
    pytest.param([image("base", created=4 * DAY), image("mid", created=3 * DAY, parent="base"),
                  image("leaf", created=2 * DAY, parent="mid")],
                 [("leaf", "mid"), ("mid", "base")], id="chain-of-three"),
    pytest.param([image("l0", created=9 * DAY), image("l1", created=8 * DAY, parent="l0"),
                  image("l2", created=7 * DAY, parent="l1"), image("l3", created=6 * DAY, parent="l2"),
                  image("other", created=5 * DAY, parent="l1")],
                 [("l3", "l2"), ("l2", "l1"), ("l1", "l0"), ("other", "l1")], id="chain-of-four-and-a-branch"),
    pytest.param([image("leaf", created=9 * DAY, parent="mid"), image("mid", created=3 * DAY, parent="base"),
                  image("base", created=DAY)],
                 [("leaf", "mid"), ("mid", "base")], id="chain-with-creation-times-reversed"),
])
def test_image_removal_order_is_children_before_parents(images, before):
    for policy in (ImagePolicy(), ImagePolicy(watermark=Watermark(usage=100, high=0, low=0))):
        plan = plan_image_removals(images, [], policy, NOW)
        order = [d.id for d in plan.removals]
        assert sorted(order) == sorted(i.id for i in images)
        for child, parent in before:
            assert order.index(child) < order.index(parent), order


def test_image_removal_order_without_parents_is_oldest_first():
    images = [image("mid", created=2 * DAY), image("new", created=DAY), image("old", created=3 * DAY)]
    assert [d.id for d in plan_image_removals(images, [], ImagePolicy(), NOW).removals] == ["old", "mid", "new"]


def test_reclaimable_is_the_sum_of_unique_sizes_of_removals():
    images = [image("a", size=100), image("b", size=250), image("kept", "app:1", size=1000),
              image("used", size=4000)]
    plan = plan_image_removals(images, [container("c", image="used")], ImagePolicy(), NOW)
    assert plan.reclaimable == 350
    assert {d.id: d.size for d in plan.decisions} == {"a": 100, "b": 250, "kept": 1000, "used": 4000}


def test_kept_counts_per_reason():
    images = [image("d1"), image("t1", "app:1"), image("t2", "app:2"), image("used"),
              image("x", "x:1", labels={"protect": ""})]
    policy = ImagePolicy(exclude_labels=selectors("protect"))
    plan = plan_image_removals(images, [container("c", image="used")], policy, NOW)
    assert plan.kept_counts() == {"excluded_label": 1, "in_use": 1, "not_dangling": 2}
    assert list(plan.kept_counts()) == sorted(plan.kept_counts())


def test_image_decision_carries_every_tag():
    plan = plan_image_removals([image("multi", "app:1", "app:stable", "other:2", pulled=True, size=7)], [],
                               UNUSED_SCOPE, NOW)
    assert plan.decisions == (Decision("multi", ("app:1", "app:stable", "other:2"), REMOVE, "unused", 7),)


def test_plan_lists_removals_first():
    images = [image("t1", "app:1", created=3 * DAY), image("d1", created=2 * DAY), image("d2", created=DAY)]
    plan = plan_image_removals(images, [], ImagePolicy(), NOW)
    assert [d.action for d in plan.decisions] == [REMOVE, REMOVE, KEEP]
    assert plan.removals + plan.kept == plan.decisions


def test_reason_lists_are_disjoint_and_complete():
    assert not set(KEEP_REASONS) & set(REMOVE_REASONS)
    assert set(REMOVE_REASONS) == {"stopped", "dangling", "unused", "older_than", "beyond_keep_last", "over_watermark",
                                   "named", "untagged", "parent_of_removed"}
    assert set(KEEP_REASONS) == {
        "running", "in_use", "excluded_name", "excluded_label", "too_young", "within_keep_last", "not_dangling",
        "below_watermark", "max_removals", "restart_policy", "unpullable", "not_selected", "parent_of_kept",
        "conflict", "gone", "failed", "not_attempted",
    }


# ====================================================================== helpers

@pytest.mark.parametrize(("text", "key", "value"), [
    ("team", "team", None),
    ("team=a", "team", "a"),
    ("team=", "team", ""),
    ("com.example.role=web=1", "com.example.role", "web=1"),
    (" team=a", "team", "a"),
])
def test_label_selector_parse(text, key, value):
    assert LabelSelector.parse(text) == LabelSelector(key, value)


@pytest.mark.parametrize(("text", "labels", "matches"), [
    ("team", {"team": "a"}, True),
    ("team", {"team": ""}, True),
    ("team", {"tier": "a"}, False),
    ("team", {}, False),
    ("team=a", {"team": "a"}, True),
    ("team=a", {"team": "b"}, False),
    ("team=a", {"tier": "a"}, False),
    ("team=", {"team": ""}, True),
    ("team=", {"team": "a"}, False),
])
def test_label_selector_matches(text, labels, matches):
    assert LabelSelector.parse(text).matches(labels) is matches


@pytest.mark.parametrize(("tag", "repository"), [
    ("app:1", "app"),
    ("app", "app"),
    ("tidy/app:1.2", "tidy/app"),
    ("registry:5000/team/app:1", "registry:5000/team/app"),
    ("registry:5000/team/app", "registry:5000/team/app"),
    ("localhost:5000/app:latest", "localhost:5000/app"),
    ("registry.local/team/base:2", "registry.local/team/base"),
])
def test_repository_of(tag, repository):
    assert repository_of(tag) == repository
