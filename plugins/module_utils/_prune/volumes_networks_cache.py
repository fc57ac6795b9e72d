# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Volumes, networks and build cache: plan from listings, then apply.

Volumes and networks are removed one by one from the plan (so check mode shows
exactly what goes, and a volume a new container mounts meanwhile is refused by
the engine and reported, not lost). Build cache has no per-record delete in the
API, so it goes through the engine's prune with the same filters the plan used.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass, field

from ansible_collections.tidy.docker.plugins.module_utils._concurrency import concurrently
from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._errors import Conflict, NotFound
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    CONFLICT,
    GONE,
    IN_USE,
    LabelSelector,
    any_label,
)
from ansible_collections.tidy.docker.plugins.module_utils._units import now_utc, parse_engine_time

# Networks the engine creates itself; never removable.
BUILTIN_NETWORKS = frozenset({"bridge", "host", "none"})


@dataclass
class EnginePrunePlan:
    volumes: list[str] = field(default_factory=list)
    networks: list[dict[str, str]] = field(default_factory=list)
    build_cache: list[dict[str, t.Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.volumes or self.networks or self.build_cache)


def plan_volumes(client: EngineClient, exclude: t.Sequence[LabelSelector]) -> list[str]:
    """Volumes no container references (the engine's ``dangling``), minus protected ones."""
    listed = client.call(client.api.volumes, filters={"dangling": True}).get("Volumes") or []
    return sorted(v["Name"] for v in listed if not any_label(exclude, v.get("Labels") or {}))


def plan_networks(client: EngineClient, exclude: t.Sequence[LabelSelector]) -> list[dict[str, str]]:
    """Custom networks without containers, minus protected ones."""
    custom = [n for n in client.call(client.api.networks) if n.get("Name") not in BUILTIN_NETWORKS]

    def unused(network: t.Mapping[str, t.Any]) -> dict[str, str] | None:
        try:
            inspected = client.call(client.api.inspect_network, network["Id"])
        except NotFound:
            return None
        if inspected.get("Containers") or any_label(exclude, inspected.get("Labels") or {}):
            return None
        return {"id": inspected["Id"], "name": inspected["Name"]}

    return sorted((n for n in concurrently(unused, custom) if n), key=lambda n: n["name"])


def plan_build_cache(client: EngineClient, older_than: int | None, now: dt.datetime) -> list[dict[str, t.Any]]:
    """Cache records not in use (and, with ``older_than``, unused for that long), as the engine's prune selects."""
    records = client.call(client.api.df).get("BuildCache") or []
    chosen = []
    for record in records:
        if record.get("InUse"):
            continue
        last_used = parse_engine_time(record.get("LastUsedAt")) or parse_engine_time(record.get("CreatedAt"))
        if older_than is not None and last_used is not None and now - last_used < dt.timedelta(seconds=older_than):
            continue
        chosen.append({"id": record.get("ID"), "size": int(record.get("Size") or 0)})
    return chosen


def remove_one(client: EngineClient, remove: t.Callable[[str], t.Any], ref: str, refused: str) -> str | None:
    """Remove one planned object; None when done, else why it was spared (``refused`` for a 409)."""
    try:
        client.call(remove, ref)
    except NotFound:
        return GONE
    except Conflict:
        return refused
    return None


def prune_build_cache(client: EngineClient, older_than: int | None) -> tuple[list[str], int]:
    filters = {"until": f"{older_than}s"} if older_than is not None else None
    answer = client.call(client.api.prune_builds, filters=filters)
    return list(answer.get("CachesDeleted") or []), int(answer.get("SpaceReclaimed") or 0)


def plan_engine_prune(client: EngineClient, volumes: bool, networks: bool, build_cache: bool,
                      older_than: int | None, exclude: t.Sequence[LabelSelector]) -> EnginePrunePlan:
    return EnginePrunePlan(
        volumes=plan_volumes(client, exclude) if volumes else [],
        networks=plan_networks(client, exclude) if networks else [],
        build_cache=plan_build_cache(client, older_than, now_utc()) if build_cache else [],
    )


def plan_result(plan: EnginePrunePlan) -> dict[str, t.Any]:
    """The module's return for a plan not (yet) applied: check mode, or nothing to do."""
    return {"changed": not plan.empty, "kept": [], "volumes_removed": plan.volumes,
            "networks_removed": plan.networks, "build_cache_removed": [record["id"] for record in plan.build_cache]}


def apply_engine_prune(client: EngineClient, plan: EnginePrunePlan, older_than: int | None) -> dict[str, t.Any]:
    """Remove the planned volumes and networks one by one, then the build cache; races end up in ``kept``."""
    # A volume refused is mounted by a container created since the plan; a network, in use or built in.
    volume_outcomes = concurrently(lambda name: remove_one(client, client.api.remove_volume, name, IN_USE), plan.volumes)
    network_outcomes = concurrently(lambda network: remove_one(client, client.api.remove_network, network["id"], CONFLICT),
                                    plan.networks)
    caches, reclaimed = prune_build_cache(client, older_than) if plan.build_cache else ([], 0)
    volumes = [name for name, why in zip(plan.volumes, volume_outcomes) if why is None]
    networks = [network for network, why in zip(plan.networks, network_outcomes) if why is None]
    kept = ([{"kind": "volume", "name": name, "reason": why} for name, why in zip(plan.volumes, volume_outcomes) if why]
            + [{"kind": "network", "name": network["name"], "reason": why}
               for network, why in zip(plan.networks, network_outcomes) if why])
    return {"changed": bool(volumes or networks or caches), "kept": kept, "volumes_removed": volumes,
            "networks_removed": networks, "build_cache_removed": caches, "space_reclaimed": reclaimed}
