# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""engine_prune's engine side against a scripted engine: what is read (and how often), what is removed,
how races end up in ``kept``, and the returns over several kinds."""

from __future__ import annotations

import copy
import json
import re
import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._errors import Conflict, EngineError, NotFound
from ansible_collections.tidy.docker.plugins.module_utils._prune import volumes_networks_cache as vnc
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import Decision
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_volumes_networks_cache import (
    BuildCachePolicy,
    CacheRecord,
    EnginePrunePolicies,
    NetworkPolicy,
    VolumePolicy,
    plan_build_cache_removals,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import Outcome, kinds_diff, kinds_result
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.policy_factories import DAY, NOW, long_id

ANON = long_id("anonymous")
NET_ID = long_id("net-app")
STOPPED = long_id("stopped container")
RUNNING = long_id("running container")
CREATED = long_id("created container")

# GET /containers/json?all=1 as Docker 20.10 answers for a stopped, a running and a never-started container.
CONTAINERS: list[dict[str, t.Any]] = [
    {"Id": STOPPED, "State": "exited", "HostConfig": {"NetworkMode": "app"},
     "NetworkSettings": {"Networks": {"app": {"NetworkID": ""}, "extra": {"NetworkID": ""}}},
     "Mounts": [{"Type": "volume", "Name": "pgdata"}, {"Type": "bind", "Source": "/srv"}]},
    {"Id": RUNNING, "State": "running", "HostConfig": {"NetworkMode": "default"},
     "NetworkSettings": {"Networks": {"bridge": {"NetworkID": long_id("bridge")}}},
     "Mounts": [{"Type": "volume", "Name": ANON}]},
    {"Id": CREATED, "State": "created", "HostConfig": {"NetworkMode": f"container:{RUNNING}"},
     "NetworkSettings": {"Networks": {}}, "Mounts": []},
]
NETWORKS: list[dict[str, t.Any]] = [
    {"Id": long_id("bridge"), "Name": "bridge", "Driver": "bridge", "Labels": {}},
    {"Id": long_id("host"), "Name": "host", "Driver": "host", "Labels": {}},
    {"Id": long_id("none"), "Name": "none", "Driver": "null", "Labels": {}},
    {"Id": long_id("ingress"), "Name": "ingress", "Driver": "overlay", "Ingress": True, "Labels": {}},
    {"Id": NET_ID, "Name": "app", "Driver": "bridge", "Labels": None},
    {"Id": long_id("net-extra"), "Name": "extra", "Driver": "bridge", "Labels": {}},
    {"Id": long_id("net-free"), "Name": "free", "Driver": "bridge", "Labels": {}},
    {"Id": long_id("net-keep"), "Name": "keep", "Driver": "bridge", "Labels": {"tidy.docker.keep": "true"}},
]


def df_answer(volumes: t.Sequence[tuple[str, int]] = (("pgdata", 100), (ANON, 20), ("old", 5000), ("remote", -1)),
              cache: t.Sequence[dict[str, t.Any]] | None = None) -> dict[str, t.Any]:
    """GET /system/df: volumes as (name, size) and build cache records."""
    return {
        "Volumes": [{"Name": name, "CreatedAt": "2026-05-01T10:00:00Z", "Labels": None, "Driver": "local",
                     "UsageData": {"Size": size, "RefCount": 0}} for name, size in volumes],
        "BuildCache": list(cache if cache is not None else [
            {"ID": "leafrecord0000000000000001", "Parent": "baserecord0000000000000001", "Type": "regular",
             "Description": "mount / from exec /bin/sh -c make ", "InUse": False, "Shared": False, "Size": 300,
             "CreatedAt": "2026-05-20T10:00:00.5Z", "LastUsedAt": "2026-05-25T10:00:00.123456789Z"},
            {"ID": "baserecord0000000000000001", "Parent": "", "Type": "regular", "Description": "",
             "InUse": False, "Shared": True, "Size": 900, "CreatedAt": "2026-05-20T10:00:00Z", "LastUsedAt": None},
            {"ID": "busyrecord0000000000000001", "Parents": ["x", "y"], "Type": "exec.cachemount",
             "Description": "cache mount", "InUse": True, "Shared": False, "Size": 50,
             "CreatedAt": "2026-05-20T10:00:00Z", "LastUsedAt": "2026-06-01T11:59:00Z"},
        ]),
    }


class FakeApi:
    """The SDK calls the readers make, answered from scripted data, counted."""

    def __init__(self, df: t.Sequence[dict[str, t.Any]], containers: t.Sequence[t.Sequence[dict[str, t.Any]]]) -> None:
        self.dfs = list(df)          # one answer per call; the last one repeats
        self.listings = list(containers)
        self.calls: list[str] = []

    def df(self) -> dict[str, t.Any]:
        self.calls.append("df")
        return copy.deepcopy(self.dfs.pop(0) if len(self.dfs) > 1 else self.dfs[0])

    def containers(self, all: bool = False) -> list[dict[str, t.Any]]:  # noqa: A002 - the SDK's keyword
        assert all
        self.calls.append("containers")
        return copy.deepcopy(list(self.listings.pop(0) if len(self.listings) > 1 else self.listings[0]))

    def networks(self) -> list[dict[str, t.Any]]:
        self.calls.append("networks")
        return copy.deepcopy(NETWORKS)


class FakeClient:
    """The part of EngineClient the engine side uses: ``api`` through ``call``, and ``request``."""

    def __init__(self, api: FakeApi, answer: t.Callable[[str, str, t.Mapping[str, t.Any] | None], t.Any] | None = None):
        self.api = api
        self.engine = "docker"
        self.requests: list[tuple[str, str, dict[str, t.Any]]] = []
        self.answer = answer or (lambda verb, path, query: None)

    def call(self, method: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
        return method(*args, **kwargs)

    def request(self, verb: str, path: str, query: t.Mapping[str, t.Any] | None = None) -> t.Any:
        self.requests.append((verb, path, dict(query or {})))
        return self.answer(verb, path, query)


def engine(df: t.Sequence[dict[str, t.Any]] = (), containers: t.Sequence[t.Sequence[dict[str, t.Any]]] = (),
           answer: t.Callable[[str, str, t.Mapping[str, t.Any] | None], t.Any] | None = None) -> tuple[EngineClient, FakeClient]:
    fake = FakeClient(FakeApi(list(df) or [df_answer()], list(containers) or [CONTAINERS]), answer)
    return t.cast(EngineClient, fake), fake


# --------------------------------------------------------------------------- reading


def test_users_come_from_the_listing_stopped_containers_included():
    assert vnc.volume_users(CONTAINERS) == {"pgdata": frozenset({STOPPED}), ANON: frozenset({RUNNING})}
    users = vnc.network_users(CONTAINERS)
    assert users["app"] == users["extra"] == frozenset({STOPPED})     # by name: a stopped one has no NetworkID
    assert users[long_id("bridge")] == frozenset({RUNNING})
    assert not any(ref.startswith("container:") or ref == "default" for ref in users)


def test_volumes_from_df_with_sizes_users_and_kind():
    volumes = {v.name: v for v in vnc.volumes_from(df_answer(), CONTAINERS)}
    assert {name: (v.size, v.users, v.anonymous) for name, v in volumes.items()} == {
        "pgdata": (100, frozenset({STOPPED}), False), ANON: (20, frozenset({RUNNING}), True),
        "old": (5000, frozenset(), False), "remote": (None, frozenset(), False)}
    assert volumes["old"].created is not None and volumes["old"].created.isoformat() == "2026-05-01T10:00:00+00:00"


def test_networks_from_listing_leave_out_predefined_ones():
    networks = {n.name: n for n in vnc.networks_from(NETWORKS, CONTAINERS)}
    assert sorted(networks) == ["app", "extra", "free", "keep"]
    assert networks["app"].id == NET_ID and networks["app"].users == frozenset({STOPPED}) and networks["app"].labels == {}
    assert networks["free"].users == frozenset()
    assert networks["keep"].labels == {"tidy.docker.keep": "true"}


def test_cache_records_from_df_either_api_version():
    records = {r.id: r for r in vnc.cache_records_from(df_answer())}
    leaf, base, busy = (records[f"{kind}record0000000000000001"] for kind in ("leaf", "base", "busy"))
    assert leaf.parents == ("baserecord0000000000000001",) and base.parents == () and busy.parents == ("x", "y")
    assert leaf.description == "mount / from exec /bin/sh -c make"
    assert leaf.last_used is not None and leaf.last_used.microsecond == 123456
    assert base.last_used is None and base.shared and base.reclaimable == 0
    assert busy.in_use and busy.record_type == "exec.cachemount"


def test_inventory_reads_each_answer_once_and_only_what_is_needed():
    client, fake = engine()
    every = EnginePrunePolicies(volumes=VolumePolicy(), networks=NetworkPolicy(), build_cache=BuildCachePolicy())
    inventory = vnc.read_engine_inventory(client, every)
    assert sorted(fake.api.calls) == ["containers", "df", "networks"]
    assert inventory.volumes is not None and inventory.networks is not None and inventory.build_cache is not None
    client, fake = engine()
    vnc.read_engine_inventory(client, EnginePrunePolicies(networks=NetworkPolicy()))
    assert sorted(fake.api.calls) == ["containers", "networks"]
    client, fake = engine()
    vnc.read_engine_inventory(client, EnginePrunePolicies(build_cache=BuildCachePolicy()))
    assert fake.api.calls == ["df"]


def test_inventory_takes_the_answers_a_caller_already_has():
    client, fake = engine()
    policies = EnginePrunePolicies(volumes=VolumePolicy(), build_cache=BuildCachePolicy())
    inventory = vnc.read_engine_inventory(client, policies, listed_containers=CONTAINERS, df=df_answer())
    assert fake.api.calls == []
    assert inventory.volumes is not None and len(inventory.volumes) == 4


# --------------------------------------------------------------------------- build cache filters


def test_the_id_filter_matches_exactly_the_planned_ids():
    ids = ["leafrecord0000000000000001", "baserecord0000000000000001"]
    pattern = vnc.cache_prune_filters(ids, None)["id"][0]
    assert vnc.cache_prune_filters(ids, None) == {"id": [pattern]}
    for candidate, wanted in [(ids[0], True), (ids[1], True), (ids[0] + "x", False), ("x" + ids[1], False),
                              (ids[0][:-1], False), ("otherrecord", False)]:
        assert bool(re.fullmatch(pattern, candidate)) is wanted, candidate
    assert vnc.cache_prune_filters(ids, 7 * DAY)["until"] == ["604800s"]


def test_the_id_filter_has_nothing_the_engine_filter_parser_would_split_on():
    pattern = vnc.cache_prune_filters(["a,b", "c d", '"q"', "é.x"], None)["id"][0]
    assert not re.search(r'[,\s"]', pattern)
    assert pattern == r'^(a\x{2c}b|c\x{20}d|\x{22}q\x{22}|\x{e9}\x{2e}x)$'


# --------------------------------------------------------------------------- removing, and races


def decision(ref: str, name: str | None = None) -> Decision:
    return Decision(ref, (name or ref,), "remove", "unused", 10)


def raising(error: Exception | None) -> t.Callable[[str, str, t.Mapping[str, t.Any] | None], t.Any]:
    def answer(verb: str, path: str, query: t.Mapping[str, t.Any] | None) -> t.Any:
        if error is not None:
            raise error
    return answer


@pytest.mark.parametrize(("error", "reason"), [
    (None, None),
    (NotFound("no such volume"), "gone"),
    (Conflict("volume is in use"), "in_use"),
])
def test_volume_removal_races(error, reason):
    client, fake = engine(answer=raising(error))
    assert vnc.volume_remover(client, {})(decision("old")) == reason
    assert fake.requests == [("DELETE", "/volumes/old", {})]


def test_volume_mounted_since_the_plan_is_not_even_tried():
    client, fake = engine()
    remove = vnc.volume_remover(client, {"old": frozenset({"new-container"})})
    assert remove(decision("old")) == "in_use"
    assert fake.requests == []
    assert vnc.volume_remover(client, {"old": frozenset({"c"})}, removed_containers=frozenset({"c"}))(decision("old")) is None


@pytest.mark.parametrize(("error", "reason"), [
    (None, None),
    (NotFound("network not found"), "gone"),
    (Conflict("conflict"), "conflict"),
    (EngineError("error while removing network: network app id 1 has active endpoints", status_code=403), "in_use"),
    (EngineError("app is a pre-defined network and cannot be removed", status_code=403), "conflict"),
])
def test_network_removal_races(error, reason):
    client, fake = engine(answer=raising(error))
    assert vnc.network_remover(client, {})(decision(NET_ID, "app")) == reason
    assert fake.requests == [("DELETE", f"/networks/{NET_ID}", {})]


def test_network_removal_other_engine_errors_stay_errors():
    client, _fake = engine(answer=raising(EngineError("disk on fire", status_code=500)))
    with pytest.raises(EngineError):
        vnc.network_remover(client, {})(decision(NET_ID, "app"))


def test_network_a_stopped_container_joined_since_the_plan_is_spared():
    client, fake = engine()
    assert vnc.network_remover(client, {"app": frozenset({STOPPED})})(decision(NET_ID, "app")) == "in_use"
    assert vnc.network_remover(client, {NET_ID: frozenset({STOPPED})})(decision(NET_ID, "app")) == "in_use"
    assert fake.requests == []


def cache_record(rid: str, *, parents: t.Sequence[str] = (), used: str = "2026-05-25T10:00:00Z",
                 in_use: bool = False) -> dict[str, t.Any]:
    return {"ID": rid, "Parent": parents[0] if parents else "", "Type": "regular", "Description": rid, "InUse": in_use,
            "Shared": False, "Size": 10, "CreatedAt": "2026-05-20T10:00:00Z", "LastUsedAt": used}


def prune_answer(deleted: t.Callable[[str], bool]) -> t.Callable[[str, str, t.Mapping[str, t.Any] | None], t.Any]:
    """POST /build/prune: deletes the listed ids the filter matches and ``deleted`` lets go."""
    listed = [f"r{n}" for n in range(6)]

    def answer(verb: str, path: str, query: t.Mapping[str, t.Any] | None) -> t.Any:
        assert (verb, path) == ("POST", "/build/prune") and query is not None and query["all"] is True
        pattern = json.loads(query["filters"])["id"][0]
        gone = [rid for rid in listed if re.fullmatch(pattern, rid) and deleted(rid)]
        return {"CachesDeleted": gone or None, "SpaceReclaimed": 10 * len(gone)}
    return answer


def test_build_cache_goes_by_id_chunk_by_chunk_children_first(monkeypatch):
    monkeypatch.setattr(vnc, "CACHE_PRUNE_CHUNK", 2)
    records = [cache_record("r0"), cache_record("r1", parents=["r0"]), cache_record("r2", parents=["r1"]),
               cache_record("r3"), cache_record("r4")]
    plan = plan_build_cache_removals(vnc.cache_records_from({"BuildCache": records}), BuildCachePolicy(), NOW)
    client, fake = engine(answer=prune_answer(lambda rid: True))
    outcome = vnc.apply_build_cache_removals(client, plan, BuildCachePolicy(), NOW)
    assert sorted(d.id for d in outcome.removed) == ["r0", "r1", "r2", "r3", "r4"] and outcome.kept == []
    chunks = [re.findall(r"r\d", json.loads(query["filters"])["id"][0]) for _verb, _path, query in fake.requests]
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    position = {rid: index for index, chunk in enumerate(chunks) for rid in chunk}
    assert position["r2"] <= position["r1"] <= position["r0"]
    assert "until" not in json.loads(fake.requests[0][2]["filters"])


def test_build_cache_records_that_stayed_are_kept_with_what_a_fresh_df_says():
    listed = [cache_record(f"r{n}") for n in range(4)]
    plan = plan_build_cache_removals(vnc.cache_records_from({"BuildCache": listed}), BuildCachePolicy(older_than=DAY), NOW)
    assert len(plan.removals) == 4
    # After the prune: r0 went, r1 vanished otherwise, r2 is in use, r3 was used a minute ago.
    after = {"BuildCache": [cache_record("r2", in_use=True), cache_record("r3", used="2026-06-01T11:59:00Z")]}
    client, fake = engine(df=[after], answer=prune_answer(lambda rid: rid == "r0"))
    outcome = vnc.apply_build_cache_removals(client, plan, BuildCachePolicy(older_than=DAY), NOW)
    assert [d.id for d in outcome.removed] == ["r0"]
    assert {d.id: d.reason for d in outcome.kept} == {"r1": "gone", "r2": "in_use", "r3": "too_young"}
    assert json.loads(fake.requests[0][2]["filters"])["until"] == [f"{DAY}s"]
    assert fake.api.calls == ["df"]


def test_build_cache_record_the_engine_kept_for_no_reason_it_tells_is_a_conflict():
    plan = plan_build_cache_removals(vnc.cache_records_from({"BuildCache": [cache_record("r0")]}), BuildCachePolicy(), NOW)
    client, _fake = engine(df=[{"BuildCache": [cache_record("r0")]}], answer=prune_answer(lambda rid: False))
    assert [(d.id, d.reason) for d in vnc.apply_build_cache_removals(client, plan, BuildCachePolicy(), NOW).kept] == [
        ("r0", "conflict")]


# --------------------------------------------------------------------------- one run


EVERY_KIND = EnginePrunePolicies(volumes=VolumePolicy(), networks=NetworkPolicy(), build_cache=BuildCachePolicy())


def test_check_mode_reads_and_touches_nothing():
    client, fake = engine()
    run = vnc.run_engine_prune(client, EVERY_KIND, check_mode=True, parallel=4, now=NOW)
    assert fake.requests == [] and run.reclaimed is None
    assert sorted(fake.api.calls) == ["containers", "df", "networks"]
    removed = {(kind, d.id): d.reason for kind, outcome in run.outcomes for d in outcome.removed}
    assert removed == {("volume", "old"): "unused", ("volume", "remote"): "unused",
                       ("network", long_id("net-free")): "unused", ("network", long_id("net-keep")): "unused",
                       ("build_cache", "leafrecord0000000000000001"): "unused",
                       ("build_cache", "baserecord0000000000000001"): "unused"}


def test_real_run_removes_the_plan_and_measures_the_space_freed():
    after = df_answer(volumes=(("pgdata", 100), (ANON, 20)),
                      cache=[df_answer()["BuildCache"][2]])

    def answer(verb: str, path: str, query: t.Mapping[str, t.Any] | None) -> t.Any:
        if path == "/build/prune":
            return {"CachesDeleted": ["leafrecord0000000000000001", "baserecord0000000000000001"], "SpaceReclaimed": 1200}
        return None
    client, fake = engine(df=[df_answer(), after], answer=answer)
    run = vnc.run_engine_prune(client, EVERY_KIND, check_mode=False, parallel=4, now=NOW)
    assert sorted((verb, path) for verb, path, _query in fake.requests) == sorted([
        ("DELETE", f"/networks/{long_id('net-free')}"), ("DELETE", f"/networks/{long_id('net-keep')}"),
        ("DELETE", "/volumes/old"), ("DELETE", "/volumes/remote"), ("POST", "/build/prune")])
    # Before: volumes 100 + 20 + 5000 (+ unknown), cache 300 + 50 (900 is an image's); after: 120 and 50.
    assert run.reclaimed == 5300 and run.reclaimed_by_kind == {"volume": 5000, "build_cache": 300}
    # One listing to plan, one fresh listing right before the removals; df before and after.
    assert fake.api.calls.count("containers") == 2 and fake.api.calls.count("df") == 2
    assert all(outcome.kept == [] or all(d.reason == "in_use" for d in outcome.kept) for _kind, outcome in run.outcomes)


def test_real_run_with_nothing_to_remove_asks_no_more():
    client, fake = engine(df=[df_answer(volumes=(("pgdata", 1),), cache=[])])
    run = vnc.run_engine_prune(client, EnginePrunePolicies(volumes=VolumePolicy()), check_mode=False, parallel=4, now=NOW)
    assert run.reclaimed == 0 and run.reclaimed_by_kind == {}
    assert fake.requests == [] and fake.api.calls == ["containers", "df"]


# --------------------------------------------------------------------------- returns over several kinds


def test_kinds_result_and_diff():
    vol = Decision("old", ("old",), "remove", "unused", 5000)
    net_kept = Decision(NET_ID, ("app",), "keep", "in_use", 0)
    vol_kept = Decision("pgdata", ("pgdata",), "keep", "in_use", 100)
    cache = Decision("leafrecord0000000000000001", (), "remove", "older_than", 300)
    outcomes = [("volume", Outcome([vol], [vol_kept])), ("network", Outcome([], [net_kept])),
                ("build_cache", Outcome([cache], []))]
    result = kinds_result(outcomes, check_mode=True, report_kept=True, reclaimed=None)
    assert result == {
        "changed": True,
        "removed": [{"kind": "volume", "id": "old", "names": ["old"], "reason": "unused", "size": 5000},
                    {"kind": "build_cache", "id": "leafrecord0000000000000001", "names": [], "reason": "older_than",
                     "size": 300}],
        "removed_count": 2,
        "kept_counts": {"in_use": 2},
        "kept": [{"kind": "network", "id": NET_ID, "names": ["app"], "reason": "in_use"},
                 {"kind": "volume", "id": "pgdata", "names": ["pgdata"], "reason": "in_use"}],
        "space_reclaimable": 5300, "space_reclaimable_human": "5.3 kB",
        "by_kind": {"volume": {"removed_count": 1, "kept_counts": {"in_use": 1}, "space_reclaimable": 5000},
                    "network": {"removed_count": 0, "kept_counts": {"in_use": 1}, "space_reclaimable": 0},
                    "build_cache": {"removed_count": 1, "kept_counts": {}, "space_reclaimable": 300}},
    }
    real = kinds_result(outcomes, check_mode=False, report_kept=False, reclaimed=4000,
                        reclaimed_by_kind={"volume": 3700, "build_cache": 300})
    assert "kept" not in real and real["space_reclaimed"] == 4000 and real["space_reclaimed_human"] == "4 kB"
    assert real["by_kind"]["volume"] == {"removed_count": 1, "kept_counts": {"in_use": 1}, "space_reclaimed": 3700}
    assert real["by_kind"]["network"]["space_reclaimed"] == 0
    diff = kinds_diff(outcomes, "volumes, networks and build cache")
    assert diff["before"].splitlines() == ["volume old (unused)", "build_cache leafrecord00 <none> (older_than)",
                                           f"network {NET_ID[:12]} app (in_use)", "volume pgdata (in_use)"]
    assert diff["after"].splitlines() == diff["before"].splitlines()[2:]
    assert diff["before_header"] == "volumes, networks and build cache before"


def test_cache_record_reclaimable_never_negative():
    assert CacheRecord("r", -1, False, None).reclaimable == 0
