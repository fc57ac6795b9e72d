# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner of volumes, networks and build cache: every rule as a table, the promises as properties,
and engine_prune's option checks."""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import KEEP, REMOVE, PrunePlan
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_volumes_networks_cache import (
    ANONYMOUS_VOLUME_LABEL,
    BUILD_CACHE,
    NETWORK,
    VOLUME,
    BuildCachePolicy,
    CacheRecord,
    EngineInventory,
    EnginePrunePolicies,
    Network,
    NetworkPolicy,
    Volume,
    VolumePolicy,
    engine_prune_policies,
    is_anonymous_volume,
    is_predefined_network,
    legacy_returns,
    plan_build_cache_removals,
    plan_engine_prune,
    plan_network_removals,
    plan_volume_removals,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import Outcome
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.policy_factories import (
    DAY,
    HOUR,
    NOW,
    ago,
    assert_plan,
    long_id,
    removals,
    selectors,
)

ANON = long_id("anonymous volume")


def volume(name: str, *, users: t.Iterable[str] = (), labels: t.Mapping[str, str] | None = None,
           size: int | None = 0) -> Volume:
    labels = dict(labels or {})
    return Volume(name, labels, ago(DAY), size, frozenset(users), is_anonymous_volume(name, labels))


def network(name: str, *, users: t.Iterable[str] = (), labels: t.Mapping[str, str] | None = None) -> Network:
    return Network(long_id(name), name, dict(labels or {}), frozenset(users))


def record(rid: str, *, size: int = 10, in_use: bool = False, used: float | None = 2 * DAY,
           created: float | None = 3 * DAY, parents: t.Iterable[str] = (), shared: bool = False) -> CacheRecord:
    """A build cache record; ``used`` and ``created`` are seconds before NOW (None: never)."""
    return CacheRecord(rid, size, in_use, None if used is None else ago(used), None if created is None else ago(created),
                       tuple(parents), shared, "regular", f"step {rid}")


# --------------------------------------------------------------------------- anonymous volumes, predefined networks


@pytest.mark.parametrize(("name", "labels", "anonymous"), [
    (ANON, {}, True),                                    # before Docker 23, and Podman: a generated name
    ("data", {ANONYMOUS_VOLUME_LABEL: ""}, True),        # Docker 23 and newer: the label
    (ANON, {ANONYMOUS_VOLUME_LABEL: ""}, True),
    ("data", {}, False),
    (ANON.upper(), {}, False),                           # the engine writes lowercase hex
    (ANON[:63], {}, False),
    (ANON + "0", {}, False),
    ("g" * 64, {}, False),
])
def test_anonymous_volume_is_the_label_or_a_generated_name(name, labels, anonymous):
    assert is_anonymous_volume(name, labels) is anonymous


@pytest.mark.parametrize(("name", "driver", "ingress", "predefined"), [
    ("bridge", "bridge", False, True),
    ("host", "host", False, True),
    ("none", "null", False, True),
    ("podman", "bridge", False, True),
    ("ingress", "overlay", True, True),
    ("my-host-net", "host", False, True),
    ("shop", "bridge", False, False),
    ("shop", "overlay", False, False),
])
def test_predefined_networks(name, driver, ingress, predefined):
    assert is_predefined_network(name, driver, ingress) is predefined


# --------------------------------------------------------------------------- volumes

VOLUME_CASES = [
    pytest.param([volume("free"), volume("used", users=["c1"])], VolumePolicy(),
                 {"free": "unused"}, {"used": "in_use"}, id="in-use-by-any-container"),
    pytest.param([volume("free"), volume("keep", labels={"tidy.docker.keep": "true"}),
                  volume("other", labels={"tidy.docker.keep": "false"})],
                 VolumePolicy(exclude_labels=selectors("tidy.docker.keep=true")),
                 {"free": "unused", "other": "unused"}, {"keep": "excluded_label"}, id="exclude-labels-key-value"),
    pytest.param([volume("keep", labels={"protect": ""}), volume("free")], VolumePolicy(exclude_labels=selectors("protect")),
                 {"free": "unused"}, {"keep": "excluded_label"}, id="exclude-labels-key"),
    pytest.param([volume("named"), volume(ANON), volume("labelled-anon", labels={ANONYMOUS_VOLUME_LABEL: ""})],
                 VolumePolicy(named=False),
                 {ANON: "unused", "labelled-anon": "unused"}, {"named": "not_selected"}, id="anonymous-only"),
    pytest.param([volume("named"), volume(ANON)], VolumePolicy(anonymous=False),
                 {"named": "unused"}, {ANON: "not_selected"}, id="named-only"),
    pytest.param([volume("used-and-labelled", users=["c1"], labels={"protect": ""})],
                 VolumePolicy(exclude_labels=selectors("protect")),
                 {}, {"used-and-labelled": "in_use"}, id="in-use-comes-first"),
    pytest.param([volume("labelled-named", labels={"protect": ""})],
                 VolumePolicy(named=False, exclude_labels=selectors("protect")),
                 {}, {"labelled-named": "excluded_label"}, id="excluded-label-before-not-selected"),
    pytest.param([], VolumePolicy(), {}, {}, id="nothing"),
]


@pytest.mark.parametrize(("volumes", "policy", "removed", "kept"), VOLUME_CASES)
def test_volume_rules(volumes, policy, removed, kept):
    assert_plan(plan_volume_removals(volumes, policy), removed, kept)


def test_volume_decisions_carry_name_and_known_size():
    plan = plan_volume_removals([volume("big", size=5000), volume("unknown", size=None), volume("driver", size=-1),
                                 volume("used", users=["c1"], size=70)], VolumePolicy())
    assert [(d.id, d.names, d.size) for d in plan.removals] == [
        ("big", ("big",), 5000), ("driver", ("driver",), 0), ("unknown", ("unknown",), 0)]
    assert [(d.id, d.size) for d in plan.kept] == [("used", 70)]
    assert plan.reclaimable == 5000


def test_volume_of_removed_containers_only_is_a_candidate():
    volumes = [volume(ANON, users=["gone-1", "gone-2"]), volume("shared", users=["gone-1", "stays"]),
               volume("named", users=["gone-1"])]
    plan = plan_volume_removals(volumes, VolumePolicy(named=False), removed_containers=frozenset({"gone-1", "gone-2"}))
    assert_plan(plan, {ANON: "unused"}, {"shared": "in_use", "named": "not_selected"})
    assert_plan(plan_volume_removals(volumes, VolumePolicy(named=False)), {},
                {ANON: "in_use", "shared": "in_use", "named": "in_use"})


# --------------------------------------------------------------------------- networks

NETWORK_CASES = [
    pytest.param([network("free"), network("used", users=["stopped-or-running"])], NetworkPolicy(),
                 {"free": "unused"}, {"used": "in_use"}, id="in-use-by-any-container"),
    pytest.param([network("keep", labels={"tidy.docker.keep": "true"}), network("free")],
                 NetworkPolicy(exclude_labels=selectors("tidy.docker.keep=true")),
                 {"free": "unused"}, {"keep": "excluded_label"}, id="exclude-labels"),
    pytest.param([network("bridge"), network("host"), network("none"), network("podman"), network("free")],
                 NetworkPolicy(), {"free": "unused"}, {}, id="predefined-not-listed"),
    pytest.param([network("both", users=["c"], labels={"protect": ""})], NetworkPolicy(exclude_labels=selectors("protect")),
                 {}, {"both": "in_use"}, id="in-use-comes-first"),
]


@pytest.mark.parametrize(("networks", "policy", "removed", "kept"), NETWORK_CASES)
def test_network_rules(networks, policy, removed, kept):
    plan = plan_network_removals(networks, policy)
    by_name = {d.names[0]: d.id for d in plan.decisions}
    assert_plan(plan, {by_name[n]: r for n, r in removed.items()}, {by_name[n]: r for n, r in kept.items()})
    assert all(d.size == 0 for d in plan.decisions)


def test_network_of_removed_containers_only_is_a_candidate():
    networks = [network("app", users=["c1"]), network("shared", users=["c1", "c2"])]
    plan = plan_network_removals(networks, NetworkPolicy(), removed_containers=frozenset({"c1"}))
    assert [(d.names, d.reason) for d in plan.decisions] == [(("app",), "unused"), (("shared",), "in_use")]


# --------------------------------------------------------------------------- build cache

CACHE_CASES = [
    pytest.param([record("free"), record("busy", in_use=True)], BuildCachePolicy(),
                 {"free": "unused"}, {"busy": "in_use"}, id="in-use"),
    pytest.param([record("old", used=2 * DAY), record("new", used=HOUR)], BuildCachePolicy(older_than=DAY),
                 {"old": "older_than"}, {"new": "too_young"}, id="older-than-from-last-use"),
    pytest.param([record("never-used-old", used=None, created=2 * DAY), record("never-used-new", used=None, created=HOUR)],
                 BuildCachePolicy(older_than=DAY),
                 {"never-used-old": "older_than"}, {"never-used-new": "too_young"}, id="older-than-from-creation"),
    pytest.param([record("timeless", used=None, created=None)], BuildCachePolicy(older_than=DAY),
                 {"timeless": "older_than"}, {}, id="no-time-is-old-enough"),
    pytest.param([record("edge-young", used=DAY - 1), record("edge-old", used=DAY + 1)], BuildCachePolicy(older_than=DAY),
                 {"edge-old": "older_than"}, {"edge-young": "too_young"}, id="one-second-either-side"),
    pytest.param([record("base", used=2 * DAY), record("mid", used=2 * DAY, parents=["base"]),
                  record("top", used=HOUR, parents=["mid"]), record("alone", used=2 * DAY)],
                 BuildCachePolicy(older_than=DAY),
                 {"alone": "older_than"}, {"top": "too_young", "mid": "parent_of_kept", "base": "parent_of_kept"},
                 id="ancestors-of-kept-stay"),
    pytest.param([record("base"), record("leaf", parents=["base", "missing-parent"])], BuildCachePolicy(),
                 {"base": "unused", "leaf": "unused"}, {}, id="parents-not-listed-ignored"),
    pytest.param([record("base", in_use=True), record("leaf", parents=["base"])], BuildCachePolicy(),
                 {"leaf": "unused"}, {"base": "in_use"}, id="child-of-kept-can-go"),
]


@pytest.mark.parametrize(("records", "policy", "removed", "kept"), CACHE_CASES)
def test_build_cache_rules(records, policy, removed, kept):
    assert_plan(plan_build_cache_removals(records, policy, NOW), removed, kept)


def test_build_cache_removal_order_is_children_first():
    records = [record("a"), record("b", parents=["a"]), record("c", parents=["b"]), record("d", parents=["a"]),
               record("e")]
    order = [rid for rid, _reason in removals(plan_build_cache_removals(records, BuildCachePolicy(), NOW))]
    assert sorted(order) == ["a", "b", "c", "d", "e"]
    for rec in records:
        for parent in rec.parents:
            assert order.index(rec.id) < order.index(parent)


def test_build_cache_size_counts_what_no_image_shares():
    plan = plan_build_cache_removals([record("own", size=100), record("shared", size=900, shared=True)],
                                     BuildCachePolicy(), NOW)
    assert {d.id: d.size for d in plan.decisions} == {"own": 100, "shared": 0}
    assert [d.names for d in plan.decisions] == [("step own",), ("step shared",)]


# --------------------------------------------------------------------------- one plan per kind


def test_only_the_kinds_asked_for_are_planned():
    inventory = EngineInventory(volumes=(volume("v"),), networks=(network("n"),), build_cache=(record("r"),))
    assert [kind for kind, _plan in plan_engine_prune(inventory, EnginePrunePolicies(), NOW)] == []
    plans = plan_engine_prune(inventory, EnginePrunePolicies(volumes=VolumePolicy(), networks=NetworkPolicy(),
                                                             build_cache=BuildCachePolicy()), NOW)
    assert [(kind, [d.reason for d in plan.decisions]) for kind, plan in plans] == [
        (VOLUME, ["unused"]), (NETWORK, ["unused"]), (BUILD_CACHE, ["unused"])]
    only_networks = plan_engine_prune(inventory, EnginePrunePolicies(networks=NetworkPolicy()), NOW)
    assert [kind for kind, _plan in only_networks] == [NETWORK]


def test_disk_bytes_counts_volumes_and_unshared_cache():
    inventory = EngineInventory(volumes=(volume("a", size=10), volume("b", size=None)),
                                build_cache=(record("r", size=5), record("s", size=7, shared=True)))
    assert inventory.disk_bytes() == {VOLUME: 10, BUILD_CACHE: 5}
    assert EngineInventory().disk_bytes() == {}
    assert EngineInventory(networks=(network("n"),), build_cache=()).disk_bytes() == {BUILD_CACHE: 0}


def test_legacy_returns_list_what_was_removed_per_kind():
    plans = plan_engine_prune(
        EngineInventory(volumes=(volume("v"),), networks=(network("n"), network("u", users=["c"])),
                        build_cache=(record("r"),)),
        EnginePrunePolicies(volumes=VolumePolicy(), networks=NetworkPolicy(), build_cache=BuildCachePolicy()), NOW)
    outcomes = [(kind, Outcome(list(plan.removals), list(plan.kept))) for kind, plan in plans]
    assert legacy_returns(outcomes) == {"volumes_removed": ["v"], "networks_removed": [{"id": long_id("n"), "name": "n"}],
                                        "build_cache_removed": ["r"]}
    assert legacy_returns([]) == {"volumes_removed": [], "networks_removed": [], "build_cache_removed": []}


# --------------------------------------------------------------------------- properties

# Few, precomputed values per field: drawing from short lists keeps 10,000 examples quick.
LABEL_SETS: tuple[dict[str, str], ...] = (
    {}, {"protect": ""}, {"team": "a"}, {"team": "b", "protect": "a"}, {ANONYMOUS_VOLUME_LABEL: ""})
USER_SETS: tuple[frozenset[str], ...] = (
    frozenset(), frozenset({"c1"}), frozenset({"c2"}), frozenset({"c1", "c2"}), frozenset({"c3", "c4"}))
CONTAINERS = st.sampled_from(USER_SETS + (frozenset({"c1", "c3"}),))
VOLUME_NAMES = ("data", "logs", "cache", ANON, long_id("other"))
NETWORK_NAMES = ("front", "back", "bridge", "podman", "ci")


@st.composite
def volume_sets(draw: st.DrawFn) -> list[Volume]:
    return [volume(name, users=draw(st.sampled_from(USER_SETS)), labels=draw(st.sampled_from(LABEL_SETS)),
                   size=draw(st.sampled_from((None, -1, 0, 1, 10**9))))
            for name in draw(st.lists(st.sampled_from(VOLUME_NAMES), unique=True))]


@st.composite
def network_sets(draw: st.DrawFn) -> list[Network]:
    return [network(name, users=draw(st.sampled_from(USER_SETS)), labels=draw(st.sampled_from(LABEL_SETS)))
            for name in draw(st.lists(st.sampled_from(NETWORK_NAMES), unique=True))]


EXCLUDE = st.lists(st.sampled_from(["protect", "team=a", "team=b"]), max_size=2).map(lambda texts: selectors(*texts))


def assert_one_decision_each(plan: PrunePlan, ids: t.Iterable[str]) -> None:
    decided = [d.id for d in plan.decisions]
    assert sorted(decided) == sorted(ids)
    assert all((d.action == REMOVE) == d.removed and d.action in (REMOVE, KEEP) and d.reason for d in plan.decisions)
    assert list(plan.decisions) == list(plan.removals) + list(plan.kept)


@given(volume_sets(), st.booleans(), st.booleans(), EXCLUDE, CONTAINERS)
def test_volume_plan_promises(volumes, anonymous, named, exclude, removed_containers):
    policy = VolumePolicy(anonymous=anonymous, named=named, exclude_labels=exclude)
    plan = plan_volume_removals(volumes, policy, removed_containers)
    assert_one_decision_each(plan, [v.name for v in volumes])
    by_name = {v.name: v for v in volumes}
    for decision in plan.removals:
        chosen = by_name[decision.id]
        assert chosen.users <= removed_containers                      # in use by a container that stays: never
        assert not any(s.matches(chosen.labels) for s in exclude)     # labelled: never
        assert (anonymous if chosen.anonymous else named)              # not selected: never
        assert decision.reason == "unused"
    # Without the cascade, a used volume is always kept as in_use.
    for decision in plan_volume_removals(volumes, policy).decisions:
        assert (decision.reason == "in_use") == bool(by_name[decision.id].users)


@given(network_sets(), EXCLUDE, CONTAINERS)
def test_network_plan_promises(networks, exclude, removed_containers):
    plan = plan_network_removals(networks, NetworkPolicy(exclude_labels=exclude), removed_containers)
    custom = [n for n in networks if not is_predefined_network(n.name)]
    assert_one_decision_each(plan, [n.id for n in custom])
    by_id = {n.id: n for n in custom}
    for decision in plan.removals:
        assert by_id[decision.id].users <= removed_containers
        assert not any(s.matches(by_id[decision.id].labels) for s in exclude)
    for decision in plan.kept:
        net = by_id[decision.id]
        assert decision.reason == ("in_use" if net.users - removed_containers else "excluded_label")


@st.composite
def cache_forests(draw: st.DrawFn) -> list[CacheRecord]:
    """Records where each may be built on an earlier one (a forest, as the engine keeps them)."""
    count = draw(st.integers(0, 8))
    records: list[CacheRecord] = []
    for index in range(count):
        parents = [records[draw(st.integers(0, index - 1))].id] if index and draw(st.booleans()) else []
        records.append(record(f"r{index}", size=draw(st.sampled_from((0, 1, 1000))), in_use=draw(st.booleans()),
                              used=draw(st.sampled_from(AGES)), created=draw(st.sampled_from(AGES)),
                              parents=parents, shared=draw(st.booleans())))
    return records


# Ages around the thresholds drawn below (seconds before NOW; None: never).
AGES = (None, 0, HOUR, DAY - 1, DAY, DAY + 1, 3 * DAY)


@given(cache_forests(), st.sampled_from((None, 1, HOUR, DAY, 2 * DAY)))
def test_build_cache_plan_promises(records, older_than):
    plan = plan_build_cache_removals(records, BuildCachePolicy(older_than=older_than), NOW)
    assert_one_decision_each(plan, [r.id for r in records])
    by_id = {r.id: r for r in records}
    removed = plan.removal_ids
    order = [d.id for d in plan.removals]
    for decision in plan.removals:
        rec = by_id[decision.id]
        assert not rec.in_use
        assert older_than is None or rec.aged_since is None or (NOW - rec.aged_since).total_seconds() >= older_than
        assert decision.size == (0 if rec.shared else rec.size)
    # What the engine lets happen: a record goes only when every record built on it goes before it.
    for rec in records:
        for parent in rec.parents:
            if parent in removed:
                assert rec.id in removed and order.index(rec.id) < order.index(parent)


# --------------------------------------------------------------------------- engine_prune's options


def params(**given_options: t.Any) -> dict[str, t.Any]:
    """engine_prune's params as Ansible hands them over when only ``given_options`` were set."""
    defaults: dict[str, t.Any] = {"volumes": False, "named_volumes": None, "networks": False, "build_cache": False,
                                  "build_cache_older_than": None, "exclude_labels": [], "parallel": 8,
                                  "report_kept": True}
    return {**defaults, **given_options}


def test_policies_from_options():
    policies = engine_prune_policies(params(volumes=True, networks=True, build_cache=True, build_cache_older_than="7d",
                                            exclude_labels=["tidy.docker.keep=true", "protect"]))
    exclude = selectors("tidy.docker.keep=true", "protect")
    assert policies == EnginePrunePolicies(volumes=VolumePolicy(True, True, exclude), networks=NetworkPolicy(exclude),
                                           build_cache=BuildCachePolicy(7 * DAY))
    assert engine_prune_policies(params()) == EnginePrunePolicies()
    assert engine_prune_policies(params(volumes=True, named_volumes=False)).volumes == VolumePolicy(named=False)
    assert engine_prune_policies(params(volumes=True, named_volumes=True)).volumes == VolumePolicy()


@pytest.mark.parametrize(("options", "message"), [
    ({"build_cache_older_than": "7d"},
     "build_cache_older_than: '7d' only applies with build_cache: true; set build_cache: true too, or leave "
     "build_cache_older_than out."),
    ({"named_volumes": False, "networks": True},
     "named_volumes: False only applies with volumes: true; set volumes: true too, or leave named_volumes out."),
    ({"networks": True, "exclude_labels": ["=x"]},
     "exclude_labels: '=x' has no label key; use key or key=value."),
    ({"volumes": True, "exclude_labels": ["keep", ""]},
     "exclude_labels: '' has no label key; use key or key=value."),
    ({"build_cache": True, "build_cache_older_than": "99999999999999999999w"},
     "build_cache_older_than: '99999999999999999999w' is longer than 100 years; use a duration of at most 100 years, "
     "such as 7d or 52w."),
    ({"build_cache": True, "build_cache_older_than": "0"},
     "build_cache_older_than: '0' is no duration; give a positive duration such as 7d, or leave build_cache_older_than "
     "out to remove unused build cache of any age."),
    ({"build_cache": True, "build_cache_older_than": "0s"},
     "build_cache_older_than: '0s' is no duration; give a positive duration such as 7d, or leave "
     "build_cache_older_than out to remove unused build cache of any age."),
    ({"build_cache": True, "build_cache_older_than": "-1d"},
     "build_cache_older_than: '-1d' is not a duration; use a whole number of seconds or units s, m, h, d, w such as "
     "30s, 15m, 12h, 7d, 2w or 1d12h."),
    ({"networks": True, "parallel": 0}, "parallel: 0 is out of range; use 1 to 64 concurrent engine calls."),
    ({"networks": True, "parallel": 65}, "parallel: 65 is out of range; use 1 to 64 concurrent engine calls."),
])
def test_bad_options_fail_with_one_sentence(options, message):
    with pytest.raises(InvalidInput) as caught:
        engine_prune_policies(params(**options))
    assert str(caught.value) == message
    assert caught.value.context["option"] in options
