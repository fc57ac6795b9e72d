# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Volumes, networks and build cache: read them from the engine, then carry out a plan.

``policy_volumes_networks_cache.py`` decides; this file reads and removes. Reading takes at most
three calls whatever the host holds: system df (volumes with their sizes, build cache), one
container listing (who mounts which volume, who is configured on which network, stopped
containers included) and one network listing. A caller that already has the container listing
or the df answer passes it in and saves the call.

Volumes and networks are removed one by one, exactly as planned. Build cache has no delete
per record in the API; its prune takes an ``id`` filter (a regular expression), so the planned
records, and only those, go in one request per chunk. Races (404, 409) are recorded as kept
reasons, never fatal; an engine failure after the removals began raises ``report.Interrupted`` with
what was done so far.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from dataclasses import dataclass, field

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient, object_path
from ansible_collections.tidy.docker.plugins.module_utils._engine.client import disk_usage as engine_disk_usage
from ansible_collections.tidy.docker.plugins.module_utils._errors import (
    Conflict,
    EngineError,
    NotFound,
    TidyDockerError,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.apply import apply_plan
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    CONFLICT,
    FAILED,
    GONE,
    IN_USE,
    NOT_ATTEMPTED,
    TOO_YOUNG,
    Decision,
    PrunePlan,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_volumes_networks_cache import (
    BUILD_CACHE,
    NETWORK,
    VOLUME,
    BuildCachePolicy,
    CacheRecord,
    EngineInventory,
    EnginePrunePolicies,
    Network,
    Volume,
    is_anonymous_volume,
    is_predefined_network,
    plan_engine_prune,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import (
    Interrupted,
    Outcome,
    not_attempted,
    spared,
)
from ansible_collections.tidy.docker.plugins.module_utils._units import parse_engine_time

Answer = t.Mapping[str, t.Any]

# Planned build cache records per prune request. The ids travel in the query string as one
# regular expression; a few thousand characters keep well inside any server's URL limits.
CACHE_PRUNE_CHUNK = 200

# NetworkMode values that name no network of their own.
_NO_NETWORK_MODES = frozenset({"", "default", "host", "none", "bridge"})


# --------------------------------------------------------------------------- reading


def list_containers(client: EngineClient) -> list[dict[str, t.Any]]:
    """Every container, any state: its Mounts and NetworkSettings name the volumes and networks it uses."""
    return list(client.call(client.api.containers, all=True))


def disk_usage(client: EngineClient) -> dict[str, t.Any]:
    """The engine's system df: volumes with their sizes, and the build cache records (as Docker means them)."""
    return engine_disk_usage(client)


def list_networks(client: EngineClient) -> list[dict[str, t.Any]]:
    return list(client.call(client.api.networks))


def volume_users(listed_containers: t.Iterable[Answer]) -> dict[str, frozenset[str]]:
    """Volume name -> ids of the containers that mount it."""
    users: dict[str, set[str]] = {}
    for container in listed_containers:
        for mount in container.get("Mounts") or []:
            if mount.get("Type") == "volume" and mount.get("Name"):
                users.setdefault(str(mount["Name"]), set()).add(str(container["Id"]))
    return {name: frozenset(ids) for name, ids in users.items()}


def network_users(listed_containers: t.Iterable[Answer]) -> dict[str, frozenset[str]]:
    """Network name or id -> ids of the containers configured on it.

    A stopped container keeps its networks under their names (the id is often empty until it
    runs again); NetworkMode names the one it was created with.
    """
    users: dict[str, set[str]] = {}
    for container in listed_containers:
        networks = (container.get("NetworkSettings") or {}).get("Networks") or {}
        refs = set(networks) | {str(n.get("NetworkID")) for n in networks.values() if n and n.get("NetworkID")}
        mode = str((container.get("HostConfig") or {}).get("NetworkMode") or "")
        if mode not in _NO_NETWORK_MODES and not mode.startswith("container:"):
            refs.add(mode)
        for ref in refs:
            users.setdefault(ref, set()).add(str(container["Id"]))
    return {ref: frozenset(ids) for ref, ids in users.items()}


def volumes_from(df: Answer, listed_containers: t.Iterable[Answer]) -> list[Volume]:
    """The volumes of a system df answer, with their users from a container listing."""
    users = volume_users(listed_containers)
    volumes = []
    for raw in df.get("Volumes") or []:
        name = str(raw["Name"])
        labels = dict(raw.get("Labels") or {})
        size = (raw.get("UsageData") or {}).get("Size")
        volumes.append(Volume(name=name, labels=labels, created=parse_engine_time(raw.get("CreatedAt")),
                              size=int(size) if size is not None and int(size) >= 0 else None,
                              users=users.get(name, frozenset()), anonymous=is_anonymous_volume(name, labels)))
    return volumes


def networks_from(listed_networks: t.Iterable[Answer], listed_containers: t.Iterable[Answer]) -> list[Network]:
    """The custom networks of a network listing (predefined ones left out), with their users."""
    users = network_users(listed_containers)
    return [Network(id=str(raw["Id"]), name=str(raw.get("Name") or ""), labels=dict(raw.get("Labels") or {}),
                    users=users.get(str(raw["Id"]), frozenset()) | users.get(str(raw.get("Name") or ""), frozenset()))
            for raw in listed_networks
            if not is_predefined_network(str(raw.get("Name") or ""), str(raw.get("Driver") or ""),
                                         bool(raw.get("Ingress")))]


def cache_records_from(df: Answer) -> list[CacheRecord]:
    """The build cache records of a system df answer."""
    records = []
    for raw in df.get("BuildCache") or []:
        # API 1.42 lists every parent in Parents; 1.41 has only Parent.
        parents = tuple(raw.get("Parents") or ([raw["Parent"]] if raw.get("Parent") else []))
        records.append(CacheRecord(id=str(raw["ID"]), size=int(raw.get("Size") or 0), in_use=bool(raw.get("InUse")),
                                   last_used=parse_engine_time(raw.get("LastUsedAt")),
                                   created=parse_engine_time(raw.get("CreatedAt")), parents=parents,
                                   shared=bool(raw.get("Shared")), record_type=str(raw.get("Type") or "regular"),
                                   description=str(raw.get("Description") or "").strip()))
    return records


def read_volumes(client: EngineClient, listed_containers: t.Sequence[Answer] | None = None,
                 df: Answer | None = None) -> list[Volume]:
    return volumes_from(disk_usage(client) if df is None else df,
                        list_containers(client) if listed_containers is None else listed_containers)


def read_networks(client: EngineClient, listed_containers: t.Sequence[Answer] | None = None,
                  listed_networks: t.Sequence[Answer] | None = None) -> list[Network]:
    return networks_from(list_networks(client) if listed_networks is None else listed_networks,
                         list_containers(client) if listed_containers is None else listed_containers)


def read_build_cache(client: EngineClient, df: Answer | None = None) -> list[CacheRecord]:
    return cache_records_from(disk_usage(client) if df is None else df)


def read_engine_inventory(client: EngineClient, policies: EnginePrunePolicies,
                          listed_containers: t.Sequence[Answer] | None = None,
                          df: Answer | None = None) -> EngineInventory:
    """What ``policies`` need, each engine answer read at most once (and not at all when passed in)."""
    volumes, networks, build_cache = (p is not None for p in (policies.volumes, policies.networks, policies.build_cache))
    if listed_containers is None and (volumes or networks):
        listed_containers = list_containers(client)
    if df is None and (volumes or build_cache):
        df = disk_usage(client)
    return EngineInventory(
        volumes=tuple(read_volumes(client, listed_containers, df)) if volumes else None,
        networks=tuple(read_networks(client, listed_containers)) if networks else None,
        build_cache=tuple(read_build_cache(client, df)) if build_cache else None,
    )


# --------------------------------------------------------------------------- removing


def volume_remover(client: EngineClient, users_now: t.Mapping[str, frozenset[str]],
                   removed_containers: frozenset[str] = frozenset()) -> t.Callable[[Decision], str | None]:
    """Remove one planned volume; None when done, else why it stays.

    ``users_now`` comes from a container listing taken right before the removals: a volume a
    container mounted since the plan is spared without asking; the engine refuses (409) one
    mounted in the very moment after.
    """
    def remove(decision: Decision) -> str | None:
        if users_now.get(decision.id, frozenset()) - removed_containers:
            return IN_USE
        try:
            client.request("DELETE", object_path("volumes", decision.id))
        except NotFound:
            return GONE
        except Conflict:
            return IN_USE
        return None
    return remove


def network_remover(client: EngineClient, users_now: t.Mapping[str, frozenset[str]],
                    removed_containers: frozenset[str] = frozenset()) -> t.Callable[[Decision], str | None]:
    """Remove one planned network; None when done, else why it stays.

    The engine removes a network that only stopped containers are configured on, so the fresh
    ``users_now`` is what protects them; it refuses (403) one a running container joined meanwhile.
    """
    def remove(decision: Decision) -> str | None:
        refs = (decision.id, *decision.names)
        if any(users_now.get(ref, frozenset()) - removed_containers for ref in refs):
            return IN_USE
        try:
            client.request("DELETE", object_path("networks", decision.id))
        except NotFound:
            return GONE
        except Conflict:
            return CONFLICT
        except EngineError as exc:
            if exc.context.get("status_code") != 403:
                raise
            return IN_USE if "active endpoints" in exc.message else CONFLICT
        return None
    return remove


def _id_pattern(ids: t.Iterable[str]) -> str:
    """One anchored regular expression matching exactly ``ids``.

    The engine hands the value to a filter parser that ends a value at a comma or a blank and
    reads a leading quote as quoting; anything but letters, digits, ``_`` and ``-`` is written as
    a ``\\x{..}`` escape, so that neither can occur (record ids are letters and digits anyway).
    """
    def escaped(text: str) -> str:
        return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_-") else f"\\x{{{ord(ch):x}}}" for ch in text)
    return "^(" + "|".join(escaped(i) for i in ids) + ")$"


def cache_prune_filters(ids: t.Sequence[str], older_than: int | None) -> dict[str, list[str]]:
    """The build cache prune's filters for exactly ``ids``; ``until`` as well, so that a record used
    since the plan is still spared by the engine itself."""
    filters = {"id": [_id_pattern(ids)]}
    if older_than is not None:
        filters["until"] = [f"{older_than}s"]
    return filters


def _why_cache_record_stayed(record: CacheRecord | None, policy: BuildCachePolicy, now: dt.datetime) -> str:
    if record is None:
        return GONE
    if record.in_use:
        return IN_USE
    since = record.aged_since
    if policy.older_than is not None and since is not None and now - since < dt.timedelta(seconds=policy.older_than):
        return TOO_YOUNG
    return CONFLICT


def apply_build_cache_removals(client: EngineClient, plan: PrunePlan, policy: BuildCachePolicy,
                               now: dt.datetime) -> Outcome:
    """Prune exactly the planned records (children first, chunk by chunk); a record that stayed is kept
    with the reason a fresh df gives: ``gone``, ``in_use``, ``too_young`` (used since the plan) or ``conflict``.

    An engine failure stops at that chunk: its records are ``failed``, later chunks ``not_attempted``."""
    planned = list(plan.removals)
    deleted = _prune_cache_chunks(client, plan, policy)
    outcome = Outcome(removed=[d for d in planned if d.id in deleted], kept=list(plan.kept))
    stayed = [d for d in planned if d.id not in deleted]
    if stayed:
        try:
            now_listed = {record.id: record for record in read_build_cache(client)}
        except TidyDockerError as exc:
            cut = Outcome(removed=outcome.removed, kept=outcome.kept + [spared(d, FAILED) for d in stayed])
            raise Interrupted([(BUILD_CACHE, cut)], exc, len(planned)) from None
        outcome.kept.extend(spared(d, _why_cache_record_stayed(now_listed.get(d.id), policy, now)) for d in stayed)
    return outcome


def _prune_cache_chunks(client: EngineClient, plan: PrunePlan, policy: BuildCachePolicy) -> set[str]:
    """The ids the engine deleted, chunk by chunk; ``Interrupted`` if it failed at a chunk."""
    planned = list(plan.removals)
    deleted: set[str] = set()
    for start in range(0, len(planned), CACHE_PRUNE_CHUNK):
        chunk = [d.id for d in planned[start:start + CACHE_PRUNE_CHUNK]]
        try:
            # all: also records an image shares or the engine made for itself (frontends, contexts),
            # which the engine's default prune leaves; the id filter alone decides which go.
            answer = client.request("POST", "/build/prune",
                                    {"all": True, "filters": json.dumps(cache_prune_filters(chunk, policy.older_than))})
        except TidyDockerError as exc:
            asked = set(chunk)
            cut = Outcome(removed=[d for d in planned if d.id in deleted], kept=list(plan.kept) + [
                spared(d, FAILED if d.id in asked else NOT_ATTEMPTED) for d in planned if d.id not in deleted])
            raise Interrupted([(BUILD_CACHE, cut)], exc, len(planned)) from None
        deleted.update(str(i) for i in (answer or {}).get("CachesDeleted") or [])
    return deleted


# --------------------------------------------------------------------------- one run


@dataclass
class EnginePruneRun:
    """(kind, outcome) per pruned kind, and the bytes freed (None in check mode), in all and per kind."""

    outcomes: list[tuple[str, Outcome]]
    reclaimed: int | None
    reclaimed_by_kind: dict[str, int] = field(default_factory=dict)
    # Set when the engine failed after the removals began: the module fails with it, after its result.
    interrupted: Interrupted | None = None


def apply_engine_plans(client: EngineClient, plans: t.Sequence[tuple[str, PrunePlan]],
                       policies: EnginePrunePolicies, parallel: int, now: dt.datetime,
                       removed_containers: frozenset[str] = frozenset()) -> list[tuple[str, Outcome]]:
    """Carry out each kind's plan; volumes and networks re-checked against one fresh container listing.

    An engine failure in one kind raises ``Interrupted`` with every kind: those done, that one as
    far as it got, the later ones ``not_attempted``.
    """
    removing = {kind for kind, plan in plans if plan.removals}
    listed = list_containers(client) if removing & {VOLUME, NETWORK} else []
    outcomes: list[tuple[str, Outcome]] = []
    for position, (kind, plan) in enumerate(plans):
        try:
            outcomes.append((kind, _apply_kind(client, kind, plan, policies, listed, parallel, now, removed_containers)))
        except Interrupted as stop:
            later = [(k, not_attempted(p)) for k, p in plans[position + 1:]]
            raise stop.with_more(outcomes + [(kind, stop.outcome)] + later,
                                 sum(len(p.removals) for _k, p in plans) - stop.planned) from None
    return outcomes


def _apply_kind(client: EngineClient, kind: str, plan: PrunePlan, policies: EnginePrunePolicies,
                listed: t.Sequence[Answer], parallel: int, now: dt.datetime,
                removed_containers: frozenset[str]) -> Outcome:
    if not plan.removals:
        return Outcome(removed=[], kept=list(plan.kept))
    if kind == VOLUME:
        return apply_plan(plan, volume_remover(client, volume_users(listed), removed_containers), parallel, kind)
    if kind == NETWORK:
        return apply_plan(plan, network_remover(client, network_users(listed), removed_containers), parallel, kind)
    return apply_build_cache_removals(client, plan, policies.build_cache or BuildCachePolicy(), now)


def run_engine_prune(client: EngineClient, policies: EnginePrunePolicies, check_mode: bool, parallel: int,
                     now: dt.datetime) -> EnginePruneRun:
    """Read, plan, and (unless ``check_mode``) apply; the space freed is measured from system df."""
    inventory = read_engine_inventory(client, policies)
    plans = plan_engine_prune(inventory, policies, now)
    if check_mode or not any(plan.removals for _kind, plan in plans):
        return EnginePruneRun([(kind, Outcome(list(p.removals), list(p.kept))) for kind, p in plans],
                              None if check_mode else 0)
    try:
        outcomes = apply_engine_plans(client, plans, policies, parallel, now)
    except Interrupted as stop:
        estimate = stop.estimated_reclaimed()
        return EnginePruneRun(stop.outcomes, sum(estimate.values()), estimate, interrupted=stop)
    by_kind: dict[str, int] = {}
    if any(outcome.removed for kind, outcome in outcomes if kind in (VOLUME, BUILD_CACHE)):
        try:
            after = disk_usage(client)
        except TidyDockerError as exc:  # all done, but the engine stopped answering before the count
            cut = Interrupted(outcomes, exc, sum(len(p.removals) for _k, p in plans))
            estimate = cut.estimated_reclaimed()
            return EnginePruneRun(outcomes, sum(estimate.values()), estimate, interrupted=cut)
        measured = EngineInventory(
            volumes=tuple(volumes_from(after, [])) if inventory.volumes is not None else None,
            build_cache=tuple(cache_records_from(after)) if inventory.build_cache is not None else None).disk_bytes()
        # Per kind, so that what another actor added meanwhile to one kind does not hide what another freed.
        by_kind = {kind: max(before - measured.get(kind, 0), 0) for kind, before in inventory.disk_bytes().items()}
    return EnginePruneRun(outcomes, sum(by_kind.values()), by_kind)
