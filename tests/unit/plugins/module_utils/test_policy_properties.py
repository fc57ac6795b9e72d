# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Invariants of the pruning policy over random inventories and policies (issue 4, "Policy core").

One scenario is a random host (containers in every state, images with shared,
multiple or no tags, digests or not, labels, parent links, containers using
them), a random container policy, a random image policy (every option,
watermark and cap included) and "now". The container plan runs first and its
removals are handed to the image plan, as the modules do. The main property
checks every promise on 10,000 such scenarios.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import functools
import itertools
import math
import random
import typing as t
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    KEEP,
    KEEP_REASONS,
    REMOVE,
    REMOVE_REASONS,
    Container,
    ContainerPolicy,
    Image,
    ImagePolicy,
    LabelSelector,
    PrunePlan,
    Watermark,
    plan_container_removals,
    plan_image_removals,
    repository_of,
)
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.policy_factories import (
    HOUR,
    NOW,
    image_id,
    long_id,
    selectors,
)

LIVE = frozenset({"running", "paused", "restarting"})
RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")
REPOSITORIES = ("app", "tidy/base", "registry:5000/team/app", "registry:5000/other", "postgres")
TAGS = tuple(f"{repo}:{version}" for repo in REPOSITORIES for version in ("1", "2", "latest"))
IMAGE_IDS = tuple(image_id(f"image-{n}") for n in range(8))
MISSING_IMAGE = image_id("not-on-this-host")
CONTAINER_IDS = tuple(long_id(f"container-{n}") for n in range(8))
NAMES = ("web", "db", "job-1", "job-2", "job-10", "build_x", "keep-me", "worker")
NAME_GLOBS = ("job-*", "web", "*", "db*", "keep-*", "?b", CONTAINER_IDS[0], CONTAINER_IDS[1])
IMAGE_GLOBS = ("app:*", "*/base:*", "registry:5000/*", "postgres:1", "*:latest", "*",
               IMAGE_IDS[0], IMAGE_IDS[1].split(":")[1], IMAGE_IDS[2].split(":")[1][:12], "sha256:*")
SELECTOR_TEXTS = ("protect", "team", "team=a", "team=b", "tier=a", "tier=")
DURATIONS = (None, 0, HOUR, 6 * HOUR, 24 * HOUR, 48 * HOUR)
HOURS = tuple(range(73))
# Those only come from applying a plan.
PLANNED_REASONS = frozenset(KEEP_REASONS) - {"conflict", "gone", "failed", "not_attempted"}


def subsets(options: t.Sequence[t.Any], most: int) -> list[tuple[t.Any, ...]]:
    """Every choice of at most ``most`` distinct options, smallest first (so examples shrink to "none")."""
    return [combo for size in range(most + 1) for combo in itertools.combinations(options, size)]


# Choices are weighted by repeating options, so that most scenarios remove something and
# every rule still fires often: the neutral option comes first and most often.
LABEL_SETS: tuple[dict[str, str], ...] = ({},) * 64 + tuple(sorted(
    ({key: value for key, value in zip(("protect", "team", "tier"), values, strict=False) if value is not None}
     for values in itertools.product((None, "", "a", "b"), repeat=3)), key=len))
STATES = ("exited",) * 10 + ("created",) * 2 + ("dead", "running", "paused", "restarting")
EXCLUDE_SELECTOR_SETS = ((),) * 63 + tuple(selectors(*texts) for texts in subsets(SELECTOR_TEXTS, 2))
SELECTOR_SETS = ((),) * 84 + EXCLUDE_SELECTOR_SETS
STATUS_SETS = ((frozenset({"exited", "dead"}),) * 24
               + tuple(frozenset(s) for s in subsets(("exited", "created", "dead"), 3)))
RESTART_POLICY_SETS = ((frozenset({"always", "unless-stopped"}),) * 8 + (frozenset(),) * 8
                       + tuple(frozenset(s) for s in subsets(RESTART_POLICIES, 4)))
EXCLUDE_NAME_GLOB_SETS = ((),) * 108 + tuple(subsets(NAME_GLOBS, 2))
NAME_GLOB_SETS = ((),) * 144 + EXCLUDE_NAME_GLOB_SETS
IMAGE_GLOB_SETS = ((),) * 168 + tuple(subsets(IMAGE_GLOBS, 2))
FIRST_TAGS = (None,) * 6 + TAGS        # about a third of the images dangling
SECOND_TAGS = (None,) * 24 + TAGS      # about a third of the tagged ones tagged twice
MAYBE_HOURS = (None,) * 36 + HOURS     # a LastTagTime or a recorded use, or not
CAPS = (0, 0, 0, 1, 2, 3)
SIZES = tuple(range(0, 61, 5))  # multiples of 5, like the watermarks: the estimated usage often lands on a mark


class Scenario(t.NamedTuple):
    containers: list[Container]
    images: list[Image]
    container_policy: ContainerPolicy
    image_policy: ImagePolicy
    usage_state: dict[str, dt.datetime]
    now: dt.datetime


def hours_ago(hours: int) -> dt.datetime:
    return NOW - dt.timedelta(hours=hours)


def maybe_hours_ago(hours: int | None) -> dt.datetime | None:
    return None if hours is None else hours_ago(hours)


@functools.cache
def below(bound: int) -> st.SearchStrategy[int]:
    return st.integers(0, bound - 1)


SCRAMBLE = 2**61 - 1  # a prime greater than any number of options: multiplying by it permutes [0, n)


def picks(draw: st.DrawFn, *choices: t.Sequence[t.Any]) -> list[t.Any]:
    """One element of each of ``choices``, all from one draw: the digits of one integer in a mixed radix.

    Hypothesis spends far more time per draw than the planner spends per plan, so a
    whole object is one draw. Hypothesis favours small numbers in a wide range, which
    would leave the last choices at their first option; scrambling the number spreads
    them evenly, and 0 still picks the first of every choice (what a failure shrinks to).
    """
    bound = math.prod(len(options) for options in choices)
    number = draw(below(bound)) * SCRAMBLE % bound
    chosen = []
    for options in choices:
        number, digit = divmod(number, len(options))
        chosen.append(options[digit])
    return chosen


def rotated(pool: t.Sequence[t.Any], start: int, count: int) -> tuple[t.Any, ...]:
    return tuple((tuple(pool) * 2)[start:start + count])


def draw_images(draw: st.DrawFn) -> tuple[list[Image], dict[str, dt.datetime]]:
    """Images and their recorded last use (the usage-state file)."""
    count, start = picks(draw, range(len(IMAGE_IDS) + 1), range(len(IMAGE_IDS)))
    ids = rotated(IMAGE_IDS, start, count)
    claimed: set[str] = set()
    images, usage_state = [], {}
    for index, iid in enumerate(ids):
        first, second, pulled, created, size, labels, tagged, used, parent = picks(
            draw, FIRST_TAGS, SECOND_TAGS, (False, True, True), HOURS, SIZES, LABEL_SETS, MAYBE_HOURS, MAYBE_HOURS,
            (None, None, None, MISSING_IMAGE) + ids[:index] + ids[index - 1:index] * 3)  # earlier ones: no cycles
        tags = tuple(sorted({tag for tag in (first, second) if tag is not None and tag not in claimed}))
        claimed.update(tags)  # a tag names one image; an image can lose its tags to an earlier one (dangling)
        images.append(Image(
            id=iid,
            tags=tags,
            digests=(f"{repository_of(tags[0]) if tags else 'app'}@sha256:{iid[-8:]}",) if pulled else (),
            created=hours_ago(created),
            unique_size=size,
            labels=labels,
            last_tag_time=maybe_hours_ago(tagged),
            parent_id=parent,
        ))
        if used is not None:
            usage_state[iid] = hours_ago(used)
    return images, usage_state


def draw_containers(draw: st.DrawFn, image_ids: t.Sequence[str]) -> list[Container]:
    count, start, names_start = picks(draw, range(len(CONTAINER_IDS) + 1), range(len(CONTAINER_IDS)),
                                      range(len(NAMES)))
    containers = []
    for cid, name in zip(rotated(CONTAINER_IDS, start, count), rotated(NAMES, names_start, count), strict=False):
        state, created, finished, never_started, image, labels, restart_policy, size = picks(
            draw, STATES, HOURS, HOURS, (False, False, False, True), tuple(image_ids) + (MISSING_IMAGE,) * 8,
            LABEL_SETS, ("no",) * 4 + RESTART_POLICIES, range(21))
        containers.append(Container(
            id=cid,
            name=name,
            state=state,
            image_id=image,
            created=hours_ago(created),
            finished_at=None if never_started or state == "created" else hours_ago(finished % (created + 1)),
            labels=labels,
            restart_policy=restart_policy,
            size_rw=size,
        ))
    return containers


def draw_container_policy(draw: st.DrawFn) -> ContainerPolicy:
    statuses, older_than, names, exclude_names, labels, exclude_labels, restart_policies, cap = picks(
        draw, STATUS_SETS, DURATIONS, NAME_GLOB_SETS, EXCLUDE_NAME_GLOB_SETS, SELECTOR_SETS, EXCLUDE_SELECTOR_SETS,
        RESTART_POLICY_SETS, CAPS)
    return ContainerPolicy(statuses=statuses, older_than=older_than, names=names, exclude_names=exclude_names,
                           labels=labels, exclude_labels=exclude_labels, exclude_restart_policies=restart_policies,
                           max_removals=cap)


def draw_image_policy(draw: st.DrawFn) -> ImagePolicy:
    (scope, older_than, keep_last, exclude, labels, exclude_labels, keep_unpullable, cap,
     watermarked, usage, high, low) = picks(
        draw, ("dangling", "unused", "unused"), DURATIONS, (None, None, 0, 1, 2, 3), IMAGE_GLOB_SETS, SELECTOR_SETS,
        EXCLUDE_SELECTOR_SETS, (True, False), CAPS, (False, True), range(81), range(61), range(61))
    watermark = Watermark(usage=5 * usage, high=5 * high, low=5 * (low % (high + 1)))
    return ImagePolicy(scope=scope, older_than=older_than, keep_last=keep_last, exclude=exclude, labels=labels,
                       exclude_labels=exclude_labels, keep_unpullable=keep_unpullable, max_removals=cap,
                       watermark=watermark if watermarked else None)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    images, usage_state = draw_images(draw)
    return Scenario(
        containers=draw_containers(draw, [i.id for i in images]),
        images=images,
        container_policy=draw_container_policy(draw),
        image_policy=draw_image_policy(draw),
        usage_state=usage_state,
        now=NOW + dt.timedelta(hours=draw(below(25))),
    )


# ------------------------------------------------------------------ planning as the modules do


def plan_both(scenario: Scenario) -> tuple[PrunePlan, PrunePlan]:
    containers = plan_container_removals(scenario.containers, scenario.container_policy, scenario.now)
    images = plan_image_removals(scenario.images, scenario.containers, scenario.image_policy, scenario.now,
                                 usage_state=scenario.usage_state, removed_containers=containers.removal_ids)
    return containers, images


def after(scenario: Scenario, container_plan: PrunePlan, image_plan: PrunePlan) -> Scenario:
    """The inventory once both plans are applied; in watermark mode the usage drops by what was reclaimed."""
    watermark = scenario.image_policy.watermark
    if watermark is not None:
        watermark = Watermark(watermark.usage - image_plan.reclaimable, watermark.high, watermark.low)
    return scenario._replace(
        containers=[c for c in scenario.containers if c.id not in container_plan.removal_ids],
        images=[i for i in scenario.images if i.id not in image_plan.removal_ids],
        image_policy=dataclasses.replace(scenario.image_policy, watermark=watermark),
    )


# ------------------------------------------------------------------ oracles, written from the modules' documentation


def globbed(patterns: t.Iterable[str], names: t.Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)


def labelled(selector: LabelSelector, labels: t.Mapping[str, str]) -> bool:
    return selector.key in labels and selector.value in (None, labels[selector.key])


def old_enough(moment: dt.datetime, older_than: int | None, now: dt.datetime) -> bool:
    return older_than is None or moment <= now - dt.timedelta(seconds=older_than)


def image_references(image: Image) -> tuple[str, ...]:
    hex_id = image.id.split(":", 1)[-1]
    return image.tags + (image.id, hex_id, hex_id[:12])


def protected_newest(images: t.Sequence[Image], keep_last: int) -> set[str]:
    """Per repository, its ``keep_last`` newest tagged images by creation time (a tie goes to the greater id)."""
    protected: set[str] = set()
    for repository in {repository_of(tag) for i in images for tag in i.tags}:
        members = [i for i in images if repository in {repository_of(tag) for tag in i.tags}]
        members.sort(key=lambda i: (i.created, i.id), reverse=True)
        protected.update(i.id for i in members[:keep_last])
    return protected


def least_recently_used(images: t.Iterable[Image], usage_state: t.Mapping[str, dt.datetime]) -> list[Image]:
    """Least recently used first, except that an image waits for its descendants among ``images``
    (the engine refuses a parent that still has a child)."""
    def recency(i: Image) -> tuple[dt.datetime, dt.datetime, str]:
        return usage_state.get(i.id) or i.last_tag_time or i.created, i.created, i.id

    pending, ordered = {i.id: i for i in images}, []
    while pending:
        waiting = set()
        for image in pending.values():  # every ancestor of a pending image waits
            parent = image.parent_id
            while parent is not None:
                waiting.add(parent)
                parent = next((i.parent_id for i in pending.values() if i.id == parent), None)
        chosen = min((i for i in pending.values() if i.id not in waiting), key=recency)
        ordered.append(pending.pop(chosen.id))
    return ordered


def check_shape(plan: PrunePlan, inputs: t.Sequence[t.Any], removal_reasons: t.AbstractSet[str],
                kept_reasons: t.AbstractSet[str]) -> None:
    """Every input once, valid actions and reasons, removals listed first, sizes summed."""
    assert Counter(d.id for d in plan.decisions) == Counter(o.id for o in inputs)
    assert plan.decisions == plan.removals + plan.kept
    for decision in plan.decisions:
        assert decision.action in (REMOVE, KEEP)
        if decision.removed:
            assert decision.reason in REMOVE_REASONS and decision.reason in removal_reasons, decision
        else:
            assert decision.reason in KEEP_REASONS and decision.reason in kept_reasons, decision
    assert plan.reclaimable == sum(d.size for d in plan.removals)


def check_cap(plan: PrunePlan, max_removals: int) -> None:
    capped = [d for d in plan.kept if d.reason == "max_removals"]
    if max_removals:
        assert len(plan.removals) <= max_removals
        assert not capped or len(plan.removals) == max_removals
    else:
        assert not capped


def check_removed_container(container: Container, policy: ContainerPolicy, now: dt.datetime) -> None:
    """A removed container passes every rule of the policy."""
    assert container.state not in LIVE and container.state in policy.statuses, container
    assert not policy.names or globbed(policy.names, [container.name]), container
    assert all(labelled(s, container.labels) for s in policy.labels), container
    assert not globbed(policy.exclude_names, [container.name, container.id]), container
    assert not any(labelled(s, container.labels) for s in policy.exclude_labels), container
    assert container.restart_policy not in policy.exclude_restart_policies, container
    assert old_enough(container.finished_at or container.created, policy.older_than, now), container


def check_container_plan(scenario: Scenario, plan: PrunePlan) -> None:
    policy, now = scenario.container_policy, scenario.now
    check_shape(plan, scenario.containers, {"older_than" if policy.older_than is not None else "stopped"},
                PLANNED_REASONS - {"in_use", "not_dangling", "unpullable", "within_keep_last", "below_watermark"})
    check_cap(plan, policy.max_removals)
    by_id = {c.id: c for c in scenario.containers}
    for decision in plan.decisions:
        container = by_id[decision.id]
        assert decision.names == (container.name,) and decision.size == container.size_rw
        if container.state in LIVE:
            assert decision.reason == "running", decision
    removed = [by_id[d.id] for d in plan.removals]
    for container in removed:
        check_removed_container(container, policy, now)
    # Oldest first, and a cap spares the newest.
    ages = [c.finished_at or c.created for c in removed]
    assert ages == sorted(ages)
    for decision in plan.kept:
        if decision.reason == "max_removals":
            assert all((by_id[decision.id].finished_at or by_id[decision.id].created) >= age for age in ages)


def check_removed_image(image: Image, policy: ImagePolicy, now: dt.datetime, users: t.AbstractSet[str],
                        newest: t.AbstractSet[str]) -> None:
    """A removed image passes every rule of the policy."""
    assert image.id not in users, image
    assert not globbed(policy.exclude, image_references(image)), image
    assert not any(labelled(s, image.labels) for s in policy.exclude_labels), image
    assert all(labelled(s, image.labels) for s in policy.labels), image
    assert old_enough(image.created, policy.older_than, now), image
    assert image.id not in newest, image
    if policy.scope == "dangling":
        assert not image.tags, image
    if policy.keep_unpullable and image.tags:
        assert image.digests, image


def expected_removal_reason(image: Image, policy: ImagePolicy) -> str:
    """Outside watermark mode: the reason a removed image carries."""
    if not image.tags:
        return "dangling"
    if policy.keep_last is not None:
        return "beyond_keep_last"
    return "older_than" if policy.older_than is not None else "unused"


def check_image_plan(scenario: Scenario, plan: PrunePlan, removed_containers: frozenset[str]) -> None:
    policy, now = scenario.image_policy, scenario.now
    removal_reasons = {"over_watermark"} if policy.watermark else {"dangling", "unused", "older_than",
                                                                   "beyond_keep_last"}
    check_shape(plan, scenario.images, removal_reasons, PLANNED_REASONS - {"running", "restart_policy"})
    check_cap(plan, policy.max_removals)
    by_id = {i.id: i for i in scenario.images}
    users = {c.image_id for c in scenario.containers if c.id not in removed_containers}
    newest = protected_newest(scenario.images, policy.keep_last) if policy.keep_last is not None else set()
    for decision in plan.decisions:
        assert decision.names == by_id[decision.id].tags and decision.size == by_id[decision.id].unique_size
    for decision in plan.removals:
        image = by_id[decision.id]
        check_removed_image(image, policy, now, users, newest)
        if policy.watermark is None:
            assert decision.reason == expected_removal_reason(image, policy), (decision, image)
    check_parents_last(plan, by_id)
    if policy.watermark is not None:
        check_watermark(scenario, plan, by_id)


def check_parents_last(plan: PrunePlan, by_id: t.Mapping[str, Image]) -> None:
    position = {d.id: n for n, d in enumerate(plan.removals)}
    capped = {d.id for d in plan.kept if d.reason == "max_removals"}
    for child in by_id.values():
        if child.parent_id in position:
            if child.id in position:
                assert position[child.id] < position[child.parent_id], ([d.id for d in plan.removals], child)
            assert child.id not in capped, f"parent {child.parent_id} removed while the cap keeps its child {child.id}"


def check_watermark(scenario: Scenario, plan: PrunePlan, by_id: t.Mapping[str, Image]) -> None:
    watermark = scenario.image_policy.watermark
    assert watermark is not None
    if watermark.usage <= watermark.high:
        assert not plan.removals
        return
    if scenario.image_policy.max_removals:
        return
    # Least recently used first, stopping as soon as the estimated usage is at or under the low mark.
    eligible = [by_id[d.id] for d in plan.decisions if d.removed or d.reason == "below_watermark"]
    usage, expected = watermark.usage, set()
    for image in least_recently_used(eligible, scenario.usage_state):
        if usage <= watermark.low:
            break
        expected.add(image.id)
        usage -= image.unique_size
    assert plan.removal_ids == expected


def check_removed_containers_count_as_gone(scenario: Scenario, removed_containers: frozenset[str],
                                           image_plan: PrunePlan) -> None:
    """Containers the same run removes first weigh exactly as much as containers that are not there."""
    without = [c for c in scenario.containers if c.id not in removed_containers]
    assert plan_image_removals(scenario.images, without, scenario.image_policy, scenario.now,
                               usage_state=scenario.usage_state) == image_plan


def check_same_plan_whatever_the_order(scenario: Scenario, seed: int, plans: tuple[PrunePlan, PrunePlan]) -> None:
    shuffler = random.Random(seed)
    containers, images = list(scenario.containers), list(scenario.images)
    shuffler.shuffle(containers)
    shuffler.shuffle(images)
    assert plan_both(scenario._replace(containers=containers, images=images)) == plans


def check_nothing_more_to_do(scenario: Scenario, first: tuple[PrunePlan, PrunePlan]) -> None:
    """Planning again on the inventory the plans leave behind removes nothing, except what the cap held back."""
    remaining = after(scenario, *first)
    second = (plan_container_removals(remaining.containers, remaining.container_policy, remaining.now),
              plan_image_removals(remaining.images, remaining.containers, remaining.image_policy, remaining.now,
                                  usage_state=remaining.usage_state))
    for plan, again in zip(first, second, strict=False):
        capped = {d.id for d in plan.kept if d.reason == "max_removals"}
        assert again.removal_ids <= capped, (again.removal_ids, capped)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_plans_keep_every_promise(scenario, seed):
    container_plan, image_plan = plans = plan_both(scenario)
    check_container_plan(scenario, container_plan)
    check_image_plan(scenario, image_plan, container_plan.removal_ids)
    check_removed_containers_count_as_gone(scenario, container_plan.removal_ids, image_plan)
    check_same_plan_whatever_the_order(scenario, seed, plans)
    check_nothing_more_to_do(scenario, plans)


# ------------------------------------------------------------------ keep_last, exactly

KEEP_LAST_TAGS = tuple(f"{repo}:{n}" for repo in ("app", "registry:5000/team/app", "registry:5000/app")
                       for n in range(4))


@st.composite
def repositories_with_history(draw: st.DrawFn) -> tuple[list[Image], int]:
    """Up to 8 images over three repositories (two behind one registry port), often tagged twice; few creation times."""
    count, keep_last = picks(draw, range(len(IMAGE_IDS) + 1), range(5))
    claimed: set[str] = set()
    images = []
    for iid in IMAGE_IDS[:count]:
        first, second, created = picks(draw, KEEP_LAST_TAGS, (None,) + KEEP_LAST_TAGS, range(4))
        tags = tuple(sorted({tag for tag in (first, second) if tag is not None and tag not in claimed}))
        claimed.update(tags)
        images.append(Image(id=iid, tags=tags, digests=("pulled",), created=hours_ago(created), unique_size=1))
    return images, keep_last


@given(repositories_with_history(), st.integers(0, 2**32 - 1))
def test_keep_last_keeps_exactly_the_newest_per_repository(history, seed):
    """With nothing else protecting an image, the N newest of each repository stay and all the others go."""
    images, keep_last = history
    random.Random(seed).shuffle(images)
    plan = plan_image_removals(images, [], ImagePolicy(scope="unused", keep_last=keep_last), NOW)
    kept = {d.id for d in plan.kept}
    for repository in {repository_of(tag) for i in images for tag in i.tags}:
        members = sorted((i for i in images if repository in {repository_of(tag) for tag in i.tags}),
                         key=lambda i: (i.created, i.id), reverse=True)
        assert {i.id for i in members[:keep_last]} <= kept, repository
    newest = protected_newest(images, keep_last)
    assert {d.id: d.reason for d in plan.kept} == dict.fromkeys(newest, "within_keep_last")
    assert {d.id: d.reason for d in plan.removals} == {
        i.id: "beyond_keep_last" if i.tags else "dangling" for i in images if i.id not in newest}


# ------------------------------------------------------------------ what the container list alone can decide


def decided(plan: PrunePlan) -> set[tuple[str, str, str]]:
    return {(d.id, d.action, d.reason) for d in (*plan.removals, *plan.kept)}


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_a_policy_that_needs_no_details_decides_the_same_from_the_list_alone(scenario):
    # container_prune skips the per-container inspects when needs_details is false: the
    # list lacks the finish time and the restart policy, so they must not change any decision.
    # The drawn policy, minus what needs_details names (the rest of it, selectors and all, stays random).
    policy = dataclasses.replace(scenario.container_policy, exclude_restart_policies=frozenset(), older_than=None,
                                 max_removals=0)
    assert not policy.needs_details
    listed_only = [dataclasses.replace(c, finished_at=None, restart_policy="no") for c in scenario.containers]
    full = plan_container_removals(scenario.containers, policy, scenario.now)
    assert decided(plan_container_removals(listed_only, policy, scenario.now)) == decided(full)


@pytest.mark.parametrize(("policy", "needs"), [
    (ContainerPolicy(), True),  # the default spares always/unless-stopped: needs the restart policy
    (ContainerPolicy(exclude_restart_policies=frozenset()), False),
    (ContainerPolicy(exclude_restart_policies=frozenset(), older_than=0), True),
    (ContainerPolicy(exclude_restart_policies=frozenset(), max_removals=10), True),
    (ContainerPolicy(exclude_restart_policies=frozenset(), names=("job-*",), labels=selectors("team"),
                     exclude_names=("keep-*",), exclude_labels=selectors("protect")), False),
])
def test_which_policies_need_the_inspects(policy, needs):
    assert policy.needs_details is needs
