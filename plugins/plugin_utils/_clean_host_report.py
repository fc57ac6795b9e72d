# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The clean_host role's report and summary lines, built from its task results.

Pure: dicts and lists in, dicts and lists out. The role used to build both in Jinja, which
re-filtered the prune's removed list once per reference; on a host where a pass removes 1,300
objects that took longer than the prune's own reads and plan (docs/performance.md). Here each
list is walked once. The filters ``clean_host_report`` and ``clean_host_summary`` are the
public faces.
"""

from __future__ import annotations

import json
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._units import format_size

Record = t.Mapping[str, t.Any]

# The kinds whose 0.1 shape was engine_prune's result (step 5 of the role).
ENGINE_KINDS = ("volume", "network", "build_cache")


def _space_key(check_mode: bool) -> str:
    """What a kind's bytes are called: estimated in check mode, measured in a real run."""
    return "space_reclaimable" if check_mode else "space_reclaimed"


def _names(records: t.Iterable[Record]) -> list[str]:
    return [name for record in records for name in record.get("names") or []]


def _ids(records: t.Iterable[Record]) -> list[str]:
    return [record["id"] for record in records]


def _by_kind(records: t.Iterable[Record]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = {}
    for record in records:
        grouped.setdefault(str(record.get("kind")), []).append(record)
    return grouped


def _kind_summary(by_kind: Record, kind: str) -> Record:
    summary = by_kind.get(kind)
    return summary if isinstance(summary, t.Mapping) else {}


def _common_section(kind: str, removed: list[Record], by_kind: Record, space_key: str | None) -> dict[str, t.Any]:
    section: dict[str, t.Any] = {
        "removed": len(removed),
        "kept_counts": dict(_kind_summary(by_kind, kind).get("kept_counts") or {}),
        "removed_list": removed,
        "removed_ids": _ids(removed),
    }
    if space_key is not None:
        section["space_reclaimed"] = _kind_summary(by_kind, kind).get(space_key, 0)
    return section


def _named_section(kind: str, removed: list[Record], kept: list[Record], by_kind: Record,
                   space_key: str) -> dict[str, t.Any]:
    """Containers and images: also what was named to go, and the named ones that stayed."""
    named_kept = [record for record in kept if "named" in record]
    section = _common_section(kind, removed, by_kind, space_key)
    section.update(
        removed_by_name=sum(1 for record in removed if record.get("reason") == "named"),
        protected_by_name=_names(record for record in named_kept if record.get("reason") == "excluded_label"),
        kept_by_name=named_kept,
    )
    return section


def _engine_prune_section(by_kind: Record, removed: list[Record], space_key: str) -> dict[str, t.Any]:
    """The shape of 0.1's step 5 (engine_prune's result), for the playbooks that read it."""
    kinds = [kind for kind in by_kind if kind in ENGINE_KINDS]
    if not kinds:
        return {}
    engine_removed = [record for record in removed if record.get("kind") in ENGINE_KINDS]
    kept_counts: dict[str, int] = {}
    for kind in kinds:
        for reason, count in (_kind_summary(by_kind, kind).get("kept_counts") or {}).items():
            kept_counts[reason] = kept_counts.get(reason, 0) + int(count)
    return {
        "changed": bool(engine_removed),
        "removed": engine_removed,
        "removed_count": len(engine_removed),
        "kept_counts": dict(sorted(kept_counts.items())),
        space_key: sum(int(_kind_summary(by_kind, kind).get(space_key, 0)) for kind in kinds),
    }


def _logs_section(logs: Record, logs_step: bool, removed_containers: list[Record], space_key: str) -> dict[str, t.Any]:
    """Step 6: the logs emptied (when on) and, always, the containers without log rotation.

    Its bytes count in space_reclaimed only when the step is on. In check mode the containers the
    prune plans to remove are still there: they are left out of ``unbounded``, as a real run never
    sees them.
    """
    gone = set(_names(removed_containers))
    return {
        "truncated": logs.get("truncated_count", 0) if logs_step else 0,
        "truncated_list": logs.get("truncated", []) if logs_step else [],
        "space_reclaimed": int(logs.get(space_key, 0)) if logs_step else 0,
        "would_reclaim_if_on": 0 if logs_step else int(logs.get("space_reclaimable", 0)),
        "log_bytes": int(logs.get("log_bytes", 0)),
        "unbounded": [name for name in logs.get("unbounded", []) if name not in gone],
    }


def build_report(prune: Record, logs: Record, facts: Record | None, host: str, check_mode: bool,
                 report_kept: bool, logs_step: bool) -> dict[str, t.Any]:
    """``clean_host_report``: every section from the one prune result, the logs result and,
    when the prune task was skipped (every step off), host_info's result ``facts``."""
    space_key = _space_key(check_mode)
    prune_ran = not prune.get("skipped")
    source = prune if prune_ran or facts is None else facts
    disk_usage = source.get("disk_usage") or {}
    disk_before = disk_usage.get("before", disk_usage)
    removed = list(prune.get("removed") or []) if prune_ran else []
    kept = list(prune.get("kept") or []) if prune_ran else []
    by_kind = (prune.get("by_kind") or {}) if prune_ran else {}
    removed_by_kind = _by_kind(removed)
    kept_by_kind = _by_kind(kept)
    containers = removed_by_kind.get("container", [])
    image_records = removed_by_kind.get("image", [])
    images = [record for record in image_records if record.get("reason") != "untagged"]
    images_section = _named_section("image", images, kept_by_kind.get("image", []), by_kind, space_key)
    images_section["untagged_by_name"] = _names(record for record in image_records if record.get("reason") == "untagged")
    logs_section = _logs_section(logs, logs_step, containers, space_key)
    reclaimed = int(prune.get(space_key, 0)) if prune_ran else 0
    return {
        "host": host,
        "check_mode": check_mode,
        "engine": (source.get("engine") or {}).get("version"),
        "disk_before": disk_before,
        "disk_after": disk_usage.get("after", disk_before),
        "containers": _named_section("container", containers, kept_by_kind.get("container", []), by_kind, space_key),
        "images": images_section,
        "volumes": _common_section("volume", removed_by_kind.get("volume", []), by_kind, space_key),
        "networks": _common_section("network", removed_by_kind.get("network", []), by_kind, None),
        "build_cache": _common_section("build_cache", removed_by_kind.get("build_cache", []), by_kind, space_key),
        "engine_prune": _engine_prune_section(by_kind, removed, space_key),
        "logs": logs_section,
        "kept": kept if report_kept else [],
        "space_reclaimed": reclaimed + logs_section["space_reclaimed"],
        "space_reclaimed_human": format_size(reclaimed + logs_section["space_reclaimed"]),
    }


def _counts(counts: t.Any) -> str:
    # As Ansible's to_json writes a dict: insertion order, ", " and ": ".
    return json.dumps(counts)


def _label(record: Record) -> str:
    """Its names, or its short id when it has none (a dangling image)."""
    names = ",".join(record.get("names") or [])
    if names:
        return names
    ident = str(record.get("id", ""))
    # Jinja's truncate(19, killwords=True, end='') with its default leeway of 5.
    return ident if len(ident) <= 24 else ident[:19]


def summary_lines(report: Record, removed: t.Iterable[Record], check_mode: bool, engine_kinds: t.Iterable[str],
                  logs_larger_than: str) -> list[str]:
    """One headline per host, then one line per object the plan removes, in the order the real run
    removes them, the named objects that stay, and the logs."""
    host = report["host"]
    verb = "would remove" if check_mode else "removed"
    after = report.get("disk_after") or {}
    lines = [
        f"{host}: {verb} {report['containers']['removed']} containers and {report['images']['removed']} images, "
        f"{'would reclaim' if check_mode else 'reclaimed'} {report['space_reclaimed_human']}; "
        f"kept containers {_counts(report['containers']['kept_counts'])}, images {_counts(report['images']['kept_counts'])}; "
        f"images now {after.get('images', {}).get('size_human')}, containers {after.get('containers', {}).get('size_human')}"
    ]
    kinds = set(engine_kinds)
    parts = [f"{int(report[section]['removed'])} {noun} (kept {_counts(report[section]['kept_counts'])})"
             for kind, section, noun in (("volume", "volumes", "volumes"), ("network", "networks", "networks"),
                                         ("build_cache", "build_cache", "build cache records"))
             if kind in kinds]
    if parts:
        lines.append(f"{host}: {verb} {', '.join(parts)}")
    records = list(removed)
    for record in records:
        if record.get("kind") == "build_cache":
            continue
        if record.get("kind") == "image" and record.get("reason") == "untagged":
            lines.append(f"{'would untag' if check_mode else 'untagged'} image {_label(record)}")
        else:
            lines.append(f"{verb} {record.get('kind')} {_label(record)} ({record.get('reason')})")
    # A build cache record's name is its description (a build step): its id says which one.
    lines += [f"{verb} build cache record {record.get('id')} ({record.get('reason')})"
              for record in records if record.get("kind") == "build_cache"]
    lines += [f"kept named {record.get('kind')} {','.join(record.get('names') or [])} ({record.get('reason')})"
              for record in list(report["containers"]["kept_by_name"]) + list(report["images"]["kept_by_name"])]
    logs = report["logs"]
    if logs["truncated"]:
        lines.append(f"{host}: {'would empty' if check_mode else 'emptied'} the logs of {logs['truncated']} containers "
                     f"({format_size(int(logs['space_reclaimed']))}): {', '.join(_names(logs['truncated_list']))}")
    if logs["would_reclaim_if_on"]:
        lines.append(f"{host}: container logs hold {format_size(int(logs['log_bytes']))}; "
                     f"{format_size(int(logs['would_reclaim_if_on']))} of it over {logs_larger_than} "
                     "(clean_host_truncate_logs would empty it)")
    if logs["unbounded"]:
        lines.append(f"{host}: no log rotation (json-file without max-size): {', '.join(logs['unbounded'])}")
    return lines
