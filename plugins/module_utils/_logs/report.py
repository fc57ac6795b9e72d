# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What log_truncate returns: ``truncated``, ``kept``, ``kept_counts``, the space figures, the diff (pure)."""

from __future__ import annotations

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._logs.policy import (
    LIVE_STATES,
    NOT_JSON_FILE,
    NOT_ON_THIS_NODE,
    NOT_READABLE,
    ContainerLog,
    LogDecision,
)
from ansible_collections.tidy.docker.plugins.module_utils._units import format_size


def _record(decision: LogDecision) -> dict[str, t.Any]:
    return {"id": decision.id, "names": [decision.name], "reason": decision.reason, "size": decision.size,
            "driver": decision.rotation.driver, "unbounded": decision.rotation.unbounded}


def log_result(truncated: t.Sequence[LogDecision], kept: t.Sequence[LogDecision], logs: t.Sequence[ContainerLog],
               check_mode: bool, report_kept: bool, freed: int) -> dict[str, t.Any]:
    kept_counts: dict[str, int] = {}
    for decision in kept:
        kept_counts[decision.reason] = kept_counts.get(decision.reason, 0) + 1
    result: dict[str, t.Any] = {
        "changed": bool(truncated),
        "truncated": [_record(d) for d in truncated],
        "truncated_count": len(truncated),
        "kept_counts": dict(sorted(kept_counts.items())),
        # Every container, whatever the filters: what the operator should fix at the source.
        "unbounded": sorted(log.name for log in logs if log.rotation.unbounded),
        "log_bytes": sum(log.size for log in logs),
    }
    if report_kept:
        result["kept"] = [_record(d) for d in sorted(kept, key=lambda d: (d.reason, d.name, d.id))]
    if check_mode:
        estimate = sum(d.size for d in truncated)
        result.update(space_reclaimable=estimate, space_reclaimable_human=format_size(estimate))
    else:
        result.update(space_reclaimed=freed, space_reclaimed_human=format_size(freed))
    return result


def log_warnings(truncated: t.Sequence[LogDecision], kept: t.Sequence[LogDecision], docker_host: str,
                 engine: str, stalls: bool, podman: bool = False) -> list[str]:
    """One sentence per kind of log this node could not reach, instead of a guess at a path; one for the
    running containers whose readers this engine stalls (``stalls``; ``engine``: its product and version);
    one on Podman (``podman``), whose logs are never Docker's json-file."""
    running = [d.name for d in truncated if d.state in LIVE_STATES]
    away = sum(1 for d in kept if d.reason == NOT_ON_THIS_NODE)
    unreadable = sum(1 for d in kept if d.reason == NOT_READABLE)
    other_format = sum(1 for d in kept if d.reason == NOT_JSON_FILE)
    warnings = []
    if podman and other_format:
        warnings.append(f"{engine} writes container logs in its own format (k8s-file, also where a container asked for "
                        f"json-file) or to journald, which log_truncate does not rewrite: the logs of {other_format} "
                        "container(s) are kept as not_json_file and no file was touched; bound them with Podman's own "
                        "rotation (log_size_max in containers.conf, or --log-opt max-size).")
    if away:
        warnings.append(f"The logs of {away} container(s) of the engine at {docker_host} are not on this node: the engine "
                        "keeps them on its own host; run tidy.docker.log_truncate there (a play on that host, or "
                        "delegate_to).")
    if unreadable:
        warnings.append(f"The logs of {unreadable} container(s) could not be read or emptied as this user; run the "
                        "task as root (become: true).")
    if stalls and running:
        warnings.append(f"{engine} stops following a log truncated under a running container: `docker logs -f` shows no "
                        "new line and `docker logs --tail` shows nothing until the container restarts (moby/moby#45728); "
                        f"restart {', '.join(sorted(running))} when convenient.")
    return warnings


def _diff_line(decision: LogDecision) -> str:
    return f"{decision.id[:12]} {decision.name} {format_size(decision.size)} ({decision.reason})\n"


def log_diff(truncated: t.Sequence[LogDecision], kept: t.Sequence[LogDecision]) -> dict[str, str]:
    """Before: each container's log as it was; after: truncated ones at 0 B, kept ones unchanged."""
    unchanged = "".join(_diff_line(d) for d in sorted(kept, key=lambda d: (d.name, d.id)))
    before = "".join(_diff_line(d) for d in truncated) + unchanged
    after = "".join(f"{d.id[:12]} {d.name} 0 B (truncated)\n" for d in truncated) + unchanged
    return {"before": before, "after": after, "before_header": "container logs before",
            "after_header": "container logs after"}


def interrupted_message(cause: str, truncated: int, planned: int) -> str:
    """One sentence: the engine's failure, then how much of the plan was done."""
    return (f"{cause.rstrip('. ')}; by then {truncated} of {planned} planned logs were emptied (listed in truncated), "
            f"{planned - truncated} not attempted (kept as not_attempted); rerun to finish once the engine answers.")
