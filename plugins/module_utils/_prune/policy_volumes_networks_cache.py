# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Volumes, networks and build cache: what to remove, what to keep, and why (pure).

The counterpart of ``policy.py`` for the objects ``engine_prune`` cleans. Each planner takes
what the engine holds and a policy, and returns a ``policy.PrunePlan``: every object looked at
with one decision and one reason, removals first. Nothing here talks to the engine, so check
mode shows the very plan a real run applies, and the rules are unit- and property-tested.

``removed_containers`` (volumes, networks) is the cascade of a whole-host run: the ids of the
containers that the same run removes first. An object whose only users are among them is a
candidate; ``engine_prune`` itself removes no container and passes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t
from dataclasses import dataclass, field

from ansible_collections.tidy.docker.plugins.module_utils._errors import invalid_option
from ansible_collections.tidy.docker.plugins.module_utils._prune.options import (
    PARALLEL_LIMIT,
    label_selectors,
    protect_selectors,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    EXCLUDED_LABEL,
    IN_USE,
    KEEP,
    NOT_SELECTED,
    OLDER_THAN,
    PARENT_OF_KEPT,
    REMOVE,
    TOO_YOUNG,
    UNUSED,
    Decision,
    LabelSelector,
    PrunePlan,
    any_label,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import Outcome
from ansible_collections.tidy.docker.plugins.module_utils._units import parse_duration

# The ``kind`` of each object in the returns.
VOLUME = "volume"
NETWORK = "network"
BUILD_CACHE = "build_cache"
KINDS: tuple[str, ...] = (VOLUME, NETWORK, BUILD_CACHE)

# Docker 23 and newer label the volumes they create for a container's unnamed mounts with this.
ANONYMOUS_VOLUME_LABEL = "com.docker.volume.anonymous"
# Older engines (and Podman) only give such a volume a generated name: 64 lowercase hex digits.
_GENERATED_VOLUME_NAME = re.compile(r"^[0-9a-f]{64}$")

# Networks the engine makes itself and refuses to remove: Docker's three, and Podman's default.
PREDEFINED_NETWORKS = frozenset({"bridge", "host", "none", "podman"})
# Drivers that only predefined networks use: the host's own stack, and no network at all.
_PREDEFINED_DRIVERS = frozenset({"host", "null"})


# --------------------------------------------------------------------------- what the engine holds


@dataclass(frozen=True)
class Volume:
    """What the policy needs to know about one volume."""

    name: str
    labels: t.Mapping[str, str] = field(default_factory=dict)
    created: dt.datetime | None = None
    size: int | None = None                # bytes on disk (system df); None when the engine does not know
    users: frozenset[str] = frozenset()    # ids of the containers, in any state, that mount it
    anonymous: bool = False

    @property
    def known_size(self) -> int:
        return max(self.size or 0, 0)


@dataclass(frozen=True)
class Network:
    """What the policy needs to know about one network (predefined ones are never planned)."""

    id: str
    name: str
    labels: t.Mapping[str, str] = field(default_factory=dict)
    users: frozenset[str] = frozenset()    # ids of the containers, in any state, configured on it


@dataclass(frozen=True)
class CacheRecord:
    """One build cache record as system df lists it."""

    id: str
    size: int
    in_use: bool
    last_used: dt.datetime | None
    created: dt.datetime | None = None
    parents: tuple[str, ...] = ()          # records it was built on
    shared: bool = False                   # its data is also an image's layer
    record_type: str = "regular"
    description: str = ""

    @property
    def aged_since(self) -> dt.datetime | None:
        return self.last_used or self.created

    @property
    def reclaimable(self) -> int:
        """Bytes its removal frees: none when an image holds the same layer (as docker system df counts)."""
        return 0 if self.shared else max(self.size, 0)


def is_anonymous_volume(name: str, labels: t.Mapping[str, str]) -> bool:
    """Made by the engine for a container's unnamed mount: the label (Docker 23+), else a generated name."""
    return ANONYMOUS_VOLUME_LABEL in labels or bool(_GENERATED_VOLUME_NAME.match(name))


def is_predefined_network(name: str, driver: str = "", ingress: bool = False) -> bool:
    """A network the engine made itself (and refuses to remove): never a candidate, never listed."""
    return name in PREDEFINED_NETWORKS or driver in _PREDEFINED_DRIVERS or ingress


# --------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class VolumePolicy:
    anonymous: bool = True
    named: bool = True
    exclude_labels: tuple[LabelSelector, ...] = ()


@dataclass(frozen=True)
class NetworkPolicy:
    exclude_labels: tuple[LabelSelector, ...] = ()


@dataclass(frozen=True)
class BuildCachePolicy:
    older_than: int | None = None  # seconds since last use (or creation, if never used)


@dataclass(frozen=True)
class EnginePrunePolicies:
    """What to prune; a kind left None is neither read nor planned."""

    volumes: VolumePolicy | None = None
    networks: NetworkPolicy | None = None
    build_cache: BuildCachePolicy | None = None


# --------------------------------------------------------------------------- the planners


def _frozen_plan(removals: t.Sequence[Decision], kept: t.Iterable[Decision]) -> PrunePlan:
    """Removals in removal order, then kept in the order the other prune plans use."""
    return PrunePlan(tuple(removals) + tuple(sorted(kept, key=lambda d: (d.reason, d.names, d.id))))


def _volume_keep_reason(volume: Volume, policy: VolumePolicy, removed_containers: frozenset[str]) -> str | None:
    if volume.users - removed_containers:
        return IN_USE
    if any_label(policy.exclude_labels, volume.labels):
        return EXCLUDED_LABEL
    if not (policy.anonymous if volume.anonymous else policy.named):
        return NOT_SELECTED
    return None


def plan_volume_removals(volumes: t.Iterable[Volume], policy: VolumePolicy,
                         removed_containers: t.Iterable[str] = frozenset()) -> PrunePlan:
    """Decide for every volume: kept while a container (running or stopped) mounts it, when it carries an
    ``exclude_labels`` label, or when its kind (anonymous, named) is not selected; else removed as ``unused``."""
    removed = frozenset(removed_containers)
    removals: list[Decision] = []
    kept: list[Decision] = []
    for volume in sorted(volumes, key=lambda v: v.name):
        reason = _volume_keep_reason(volume, policy, removed)
        if reason is None:
            removals.append(Decision(volume.name, (volume.name,), REMOVE, UNUSED, volume.known_size))
        else:
            kept.append(Decision(volume.name, (volume.name,), KEEP, reason, volume.known_size))
    return _frozen_plan(removals, kept)


def plan_network_removals(networks: t.Iterable[Network], policy: NetworkPolicy,
                          removed_containers: t.Iterable[str] = frozenset()) -> PrunePlan:
    """Decide for every custom network: kept while any container is configured on it, running or stopped
    (the engine would let a stopped one lose its network and fail at its next start), or when it carries an
    ``exclude_labels`` label; else removed as ``unused``. Predefined networks get no decision at all."""
    removed = frozenset(removed_containers)
    removals: list[Decision] = []
    kept: list[Decision] = []
    for network in sorted(networks, key=lambda n: (n.name, n.id)):
        if network.name in PREDEFINED_NETWORKS:
            continue
        if network.users - removed:
            kept.append(Decision(network.id, (network.name,), KEEP, IN_USE))
        elif any_label(policy.exclude_labels, network.labels):
            kept.append(Decision(network.id, (network.name,), KEEP, EXCLUDED_LABEL))
        else:
            removals.append(Decision(network.id, (network.name,), REMOVE, UNUSED))
    return _frozen_plan(removals, kept)


def _too_young(record: CacheRecord, policy: BuildCachePolicy, now: dt.datetime) -> bool:
    # A record without any time is old enough, as the engine's own until filter sees it.
    since = record.aged_since
    return policy.older_than is not None and since is not None and now - since < dt.timedelta(seconds=policy.older_than)


def _children_first(records: t.Sequence[CacheRecord]) -> list[CacheRecord]:
    """A record before the records it was built on, so that each chunk of removals can go in one request."""
    ordered: list[CacheRecord] = []
    remaining = list(records)
    while remaining:
        parents = {parent for record in remaining for parent in record.parents}
        layer = [r for r in remaining if r.id not in parents] or remaining  # a cycle cannot happen; never loop
        ordered.extend(layer)
        done = {r.id for r in layer}
        remaining = [r for r in remaining if r.id not in done]
    return ordered


def _cache_names(record: CacheRecord) -> tuple[str, ...]:
    return (record.description,) if record.description else ()


def plan_build_cache_removals(records: t.Iterable[CacheRecord], policy: BuildCachePolicy,
                              now: dt.datetime) -> PrunePlan:
    """Decide for every build cache record: kept when in use, when used (or, never used, created) more
    recently than ``older_than``, or when a kept record was built on it; else removed, children first.

    A record's size counts only when no image shares its data (``CacheRecord.reclaimable``).
    """
    records = sorted(records, key=lambda r: r.id)
    reasons: dict[str, str] = {}
    for record in records:
        if record.in_use:
            reasons[record.id] = IN_USE
        elif _too_young(record, policy, now):
            reasons[record.id] = TOO_YOUNG
    by_id = {record.id: record for record in records}
    pending = list(reasons)
    while pending:
        for parent in by_id[pending.pop()].parents:
            if parent in by_id and parent not in reasons:
                reasons[parent] = PARENT_OF_KEPT
                pending.append(parent)
    removal_reason = OLDER_THAN if policy.older_than is not None else UNUSED
    removals = [Decision(r.id, _cache_names(r), REMOVE, removal_reason, r.reclaimable)
                for r in _children_first([r for r in records if r.id not in reasons])]
    kept = [Decision(r.id, _cache_names(r), KEEP, reasons[r.id], r.reclaimable) for r in records if r.id in reasons]
    return _frozen_plan(removals, kept)


# --------------------------------------------------------------------------- one inventory, one plan per kind


@dataclass(frozen=True)
class EngineInventory:
    """What was read for each kind; None for a kind that was not asked for."""

    volumes: tuple[Volume, ...] | None = None
    networks: tuple[Network, ...] | None = None
    build_cache: tuple[CacheRecord, ...] | None = None

    def disk_bytes(self) -> dict[str, int]:
        """Bytes per kind read that holds disk space: volumes, and build cache no image shares."""
        figures: dict[str, int] = {}
        if self.volumes is not None:
            figures[VOLUME] = sum(v.known_size for v in self.volumes)
        if self.build_cache is not None:
            figures[BUILD_CACHE] = sum(r.reclaimable for r in self.build_cache)
        return figures


def plan_engine_prune(inventory: EngineInventory, policies: EnginePrunePolicies, now: dt.datetime,
                      removed_containers: t.Iterable[str] = frozenset()) -> list[tuple[str, PrunePlan]]:
    """(kind, plan) for each kind that is pruned, in the order volume, network, build_cache."""
    removed = frozenset(removed_containers)
    plans: list[tuple[str, PrunePlan]] = []
    if policies.volumes is not None:
        plans.append((VOLUME, plan_volume_removals(inventory.volumes or (), policies.volumes, removed)))
    if policies.networks is not None:
        plans.append((NETWORK, plan_network_removals(inventory.networks or (), policies.networks, removed)))
    if policies.build_cache is not None:
        plans.append((BUILD_CACHE, plan_build_cache_removals(inventory.build_cache or (), policies.build_cache, now)))
    return plans


def legacy_returns(outcomes: t.Iterable[tuple[str, Outcome]]) -> dict[str, t.Any]:
    """The return keys of engine_prune 0.1, kept for its users: what was removed, per kind."""
    removed = {kind: outcome.removed for kind, outcome in outcomes}
    return {
        "volumes_removed": [d.id for d in removed.get(VOLUME, [])],
        "networks_removed": [{"id": d.id, "name": d.names[0] if d.names else ""} for d in removed.get(NETWORK, [])],
        "build_cache_removed": [d.id for d in removed.get(BUILD_CACHE, [])],
    }


# --------------------------------------------------------------------------- engine_prune's options


def _refuse_alone(params: t.Mapping[str, t.Any], option: str, needs: str) -> None:
    if params.get(option) is not None and not params.get(needs):
        raise invalid_option(option, params[option], f"only applies with {needs}: true",
                             f"set {needs}: true too, or leave {option} out")


def build_cache_age(text: str | None, option: str) -> int | None:
    """A build cache age option in seconds (None: any age); InvalidInput for 0, which the engine reads as no limit."""
    if text is None:
        return None
    seconds = parse_duration(text, option)
    if seconds == 0:
        # The engine reads 0 as "no age limit": the same as leaving it out, but easily meant otherwise.
        raise invalid_option(option, text, "is no duration",
                             f"give a positive duration such as 7d, or leave {option} out to remove unused build "
                             "cache of any age")
    return seconds


def engine_prune_policies(params: t.Mapping[str, t.Any]) -> EnginePrunePolicies:
    """engine_prune's options as policies; InvalidInput, one sentence, on anything it cannot use.

    Runs before any engine call, so that bad input never removes anything.
    """
    _refuse_alone(params, "build_cache_older_than", "build_cache")
    _refuse_alone(params, "named_volumes", "volumes")
    # The protect label (shared with the other pruning modules) is one more exclude label.
    exclude = label_selectors(params.get("exclude_labels"), "exclude_labels") + protect_selectors(params.get("protect_label"))
    parallel = params.get("parallel", 1)
    if not 1 <= parallel <= PARALLEL_LIMIT:
        raise invalid_option("parallel", parallel, "is out of range", f"use 1 to {PARALLEL_LIMIT} concurrent engine calls")
    older_than = build_cache_age(params.get("build_cache_older_than"), "build_cache_older_than")
    named = params.get("named_volumes")
    return EnginePrunePolicies(
        volumes=VolumePolicy(anonymous=True, named=named is not False, exclude_labels=exclude)
        if params.get("volumes") else None,
        networks=NetworkPolicy(exclude_labels=exclude) if params.get("networks") else None,
        build_cache=BuildCachePolicy(older_than=older_than) if params.get("build_cache") else None,
    )
