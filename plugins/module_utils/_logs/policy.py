# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container logs: how each one is rotated, and whose to truncate (pure).

The engine neither counts nor reclaims the bytes its json-file logging driver writes
(``system df`` leaves them out, and there is no API to truncate a log), so they are read
from the node's file system (``_logs/files.py``) and decided on here. Truncation happens
in place: dockerd keeps the current file open and appends to it, so deleting it would
free nothing until the container stops and would lose every later line.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

from ansible_collections.tidy.docker.plugins.module_utils._podman import DOCKER, PODMAN
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    EXCLUDED_LABEL,
    EXCLUDED_NAME,
    GONE,
    LIVE_STATES,
    NOT_SELECTED,
    REMOVING,
    RUNNING,
    LabelSelector,
    all_labels,
    any_label,
    matches_glob,
)

JSON_FILE = "json-file"
# What Podman writes where its compatible API says json-file: one line per chunk, "<time> <stream> <F|P> <text>".
PODMAN_FILE_DRIVER = "k8s-file"
# The "local" driver rotates by default (20 MB x 5 files) and journald, syslog and the like
# keep nothing under the engine's data root: only json-file can grow without bound there.
FILE_DRIVERS = (JSON_FILE, "local")

TRUNCATE = "truncate"
KEEP = "keep"

# Reasons. Truncated:
OVER_SIZE = "over_size"
# Kept (besides RUNNING, EXCLUDED_LABEL, NOT_SELECTED, GONE and NOT_ATTEMPTED, which mean what they mean
# for pruning):
UNDER_SIZE = "under_size"
NOT_JSON_FILE = "not_json_file"
NOT_ON_THIS_NODE = "not_on_this_node"
NOT_READABLE = "not_readable"

# Docker reads max-size with its RAMInBytes rules: binary units, an optional "i" and "b".
_DOCKER_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$", re.IGNORECASE)
_BINARY = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4, "p": 1024 ** 5}


def docker_size(text: str | None) -> int | None:
    """Bytes of a logging ``max-size`` as dockerd reads it; None for unset, ``-1`` or unreadable."""
    match = _DOCKER_SIZE_RE.match(str(text or "").strip())
    if match is None:
        return None
    return int(float(match.group(1)) * _BINARY[(match.group(2) or "").lower()])


@dataclass(frozen=True)
class Rotation:
    """A container's logging driver and how its log files are rotated."""

    driver: str
    max_size: int | None = None  # bytes; None: never rotated
    max_file: int = 1
    compress: bool = False

    @property
    def unbounded(self) -> bool:
        """True when the log grows until the disk is full: json-file without max-size."""
        return self.driver == JSON_FILE and self.max_size is None

    def as_record(self) -> dict[str, t.Any]:
        return {"driver": self.driver, "max_size": self.max_size, "max_file": self.max_file,
                "compress": self.compress, "unbounded": self.unbounded}


def rotation_of(log_config: t.Mapping[str, t.Any] | None, engine: str = DOCKER) -> Rotation:
    """The rotation of a container from its inspect data's ``HostConfig.LogConfig``.

    The daemon's own log-opts (daemon.json) are merged into each container's config when it
    is created, so this is the whole truth for that container. On Podman (``engine``) the
    compatible API names its k8s-file driver ``json-file``, and a container asked for
    ``json-file`` gets k8s-file too: its files are not Docker's json-file, whatever the name.
    """
    config = dict((log_config or {}).get("Config") or {})
    driver = str((log_config or {}).get("Type") or JSON_FILE)
    if engine == PODMAN and driver == JSON_FILE:
        driver = PODMAN_FILE_DRIVER
    # The local driver rotates unless told not to: 20 MB x 5 files, compressed, by default.
    defaults = ("20m", "5", "true") if driver == "local" else ("", "1", "false")
    max_file = str(config.get("max-file") or defaults[1])
    return Rotation(driver, docker_size(config.get("max-size") or defaults[0]),
                    max(int(max_file), 1) if max_file.isdigit() else 1,
                    str(config.get("compress") or defaults[2]).lower() == "true")


@dataclass(frozen=True)
class LogFile:
    path: str
    size: int
    compressed: bool = False


@dataclass(frozen=True)
class ContainerLog:
    """One container with its log files as this node sees them."""

    id: str
    name: str
    state: str
    labels: t.Mapping[str, str]
    rotation: Rotation
    log_path: str = ""
    files: tuple[LogFile, ...] = ()
    # None when the files were read; else NOT_ON_THIS_NODE or NOT_READABLE.
    unreadable: str | None = None

    @property
    def size(self) -> int:
        """Bytes of the current file and the rotated ones."""
        return sum(log_file.size for log_file in self.files)


@dataclass(frozen=True)
class LogPolicy:
    larger_than: int
    include_running: bool = False
    names: tuple[str, ...] = ()
    exclude_names: tuple[str, ...] = ()
    labels: tuple[LabelSelector, ...] = ()
    exclude_labels: tuple[LabelSelector, ...] = ()
    rotated: bool = True


@dataclass(frozen=True)
class LogDecision:
    id: str
    name: str
    action: str
    reason: str
    size: int
    rotation: Rotation
    state: str = ""

    @property
    def truncated(self) -> bool:
        return self.action == TRUNCATE


def _kept_reason(log: ContainerLog, policy: LogPolicy) -> str | None:
    """Why ``log`` is kept, in the order a reader asks: is it there, is it mine to touch, is it big enough."""
    if log.state == REMOVING:
        return GONE
    if matches_glob(policy.exclude_names, (log.name, log.id, log.id[:12])):
        return EXCLUDED_NAME
    if any_label(policy.exclude_labels, log.labels):
        return EXCLUDED_LABEL
    if policy.names and not matches_glob(policy.names, [log.name]):
        return NOT_SELECTED
    if policy.labels and not all_labels(policy.labels, log.labels):
        return NOT_SELECTED
    if log.rotation.driver != JSON_FILE:
        return NOT_JSON_FILE
    if log.state in LIVE_STATES and not policy.include_running:
        return RUNNING
    if log.unreadable:
        return log.unreadable
    return UNDER_SIZE if planned_size(log, policy) <= policy.larger_than else None


def plan_log_truncations(logs: t.Iterable[ContainerLog], policy: LogPolicy) -> list[LogDecision]:
    """One decision per container: truncations first, largest first (a reader sees the big ones), then kept.

    ``size`` is what truncating would free: the files the policy truncates, compared with ``larger_than``.
    """
    decisions = []
    for log in logs:
        reason = _kept_reason(log, policy)
        decisions.append(LogDecision(log.id, log.name, KEEP if reason else TRUNCATE, reason or OVER_SIZE,
                                     planned_size(log, policy), log.rotation, log.state))
    return sorted(decisions, key=lambda d: (not d.truncated, -d.size if d.truncated else 0, d.reason, d.name, d.id))


def files_to_truncate(log: ContainerLog, policy: LogPolicy) -> tuple[LogFile, ...]:
    """The current file always; rotated ones unless the policy leaves them."""
    return tuple(f for f in log.files if policy.rotated or f.path == log.log_path)


# moby/moby#45728: the log-following code rewritten for Docker 23.0 loses track of a file
# truncated under it. Measured here: 26.1.5 (Debian 13) stalls `docker logs -f` followers and
# answers `docker logs --tail N` with nothing until the container restarts; 20.10.5 and 20.10.24
# (Debian 11, 12) keep both working.
READERS_STALL_FROM = 23


def stalls_readers(product: str, version: str | None) -> bool:
    """Whether truncating a running container's log breaks `docker logs -f` and `--tail` on this engine."""
    major = str(version or "").split(".", 1)[0]
    return product == "docker" and major.isdigit() and int(major) >= READERS_STALL_FROM


def planned_size(log: ContainerLog, policy: LogPolicy) -> int:
    return sum(log_file.size for log_file in files_to_truncate(log, policy))
