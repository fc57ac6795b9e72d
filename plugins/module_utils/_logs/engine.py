# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine side of log truncation: which containers there are and where their logs live; the apply step."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, replace

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._engine.inspection import inspect_many, inspect_or_none
from ansible_collections.tidy.docker.plugins.module_utils._errors import TidyDockerError
from ansible_collections.tidy.docker.plugins.module_utils._logs.files import container_log, log_files, truncate
from ansible_collections.tidy.docker.plugins.module_utils._logs.policy import (
    GONE,
    KEEP,
    LIVE_STATES,
    REMOVING,
    RUNNING,
    ContainerLog,
    LogDecision,
    LogPolicy,
    files_to_truncate,
)
from ansible_collections.tidy.docker.plugins.module_utils._podman import docker_state
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import NOT_ATTEMPTED


def container_logs(client: EngineClient) -> list[ContainerLog]:
    """Every container with its log files on this node: one listing, then concurrent inspects
    (the listing has neither the log's path nor its driver options)."""
    ids = [str(raw["Id"]) for raw in client.call(client.api.containers, all=True)]
    return [log for log in inspect_many(client, "containers", ids, lambda data: container_log(data, client.engine))
            if log is not None]


@dataclass
class Truncation:
    truncated: list[LogDecision]
    kept: list[LogDecision]
    freed: int


class TruncationInterrupted(Exception):
    """The engine failed (``cause``) after some logs were emptied: ``outcome`` holds them, the rest kept
    as ``not_attempted``, so that the module can say what it did before failing."""

    def __init__(self, cause: TidyDockerError, outcome: Truncation, planned: int) -> None:
        super().__init__(cause.message)
        self.cause, self.outcome, self.planned = cause, outcome, planned


def apply_truncations(client: EngineClient, decisions: t.Sequence[LogDecision], logs: t.Sequence[ContainerLog],
                      policy: LogPolicy) -> Truncation:
    """Truncate exactly the planned logs, each re-checked just before: one removed meanwhile is
    kept as ``gone``, one started meanwhile (when running ones are not asked for) as ``running``.
    An engine failure after the first truncation raises ``TruncationInterrupted``."""
    planned = [d for d in decisions if d.truncated]
    by_id = {log.id: log for log in logs}
    outcome = Truncation(truncated=[], kept=[d for d in decisions if not d.truncated], freed=0)
    for done, decision in enumerate(planned):
        try:
            _truncate_one(client, decision, by_id, policy, outcome)
        except TidyDockerError as exc:
            if not outcome.truncated:
                raise
            outcome.kept.extend(replace(d, action=KEEP, reason=NOT_ATTEMPTED) for d in planned[done:])
            raise TruncationInterrupted(exc, outcome, len(planned)) from None
    return outcome


def _truncate_one(client: EngineClient, decision: LogDecision, by_id: t.Mapping[str, ContainerLog], policy: LogPolicy,
                  outcome: Truncation) -> None:
    """Re-check one planned container, then empty its files; the decision lands in ``outcome``."""
    current = inspect_or_none(client, "containers", decision.id)
    state = docker_state(((current or {}).get("State") or {}).get("Status"))
    if current is None or state == REMOVING:
        outcome.kept.append(replace(decision, action=KEEP, reason=GONE))
        return
    if state in LIVE_STATES and not policy.include_running:
        outcome.kept.append(replace(decision, action=KEEP, reason=RUNNING))
        return
    # The files as they are now: the engine may have rotated since they were read.
    fresh = replace(by_id[decision.id], files=log_files(by_id[decision.id].log_path)[0])
    outcome.freed += truncate(files_to_truncate(fresh, policy))
    outcome.truncated.append(decision)
