# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's json-file log files on this node: find them, size them, truncate them in place.

No engine here: the engine only says where the current file is (``LogPath``). Rotated files
sit beside it as ``<LogPath>.1``, ``.2`` ... (``.N.gz`` when compressed).
"""

from __future__ import annotations

import gzip
import os
import re
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._logs.policy import (
    JSON_FILE,
    NOT_ON_THIS_NODE,
    NOT_READABLE,
    ContainerLog,
    LogFile,
    rotation_of,
)
from ansible_collections.tidy.docker.plugins.module_utils._podman import DOCKER, docker_state
from ansible_collections.tidy.docker.plugins.module_utils._records import container_name

# What dockerd's gzip reader needs to read a compressed rotated file as empty: an empty file
# makes `docker logs` fail ("error making gzip reader ...: EOF"), an empty gzip member does not.
EMPTY_GZIP = gzip.compress(b"", mtime=0)


def log_files(log_path: str) -> tuple[tuple[LogFile, ...], str | None]:
    """The current and rotated files of the log at ``log_path``, and why they could not be read (a reason).

    The container's own directory missing means the engine keeps it on another machine (the
    ids are unique, so another engine's directory is never mistaken for this one's).
    """
    if not log_path:
        return (), None  # never started: the engine has not made a log yet
    directory, current = os.path.split(log_path)
    rotated = re.compile(re.escape(current) + r"\.\d+(\.gz)?$")
    try:
        names = [name for name in os.listdir(directory) if name == current or rotated.match(name)]
        files = []
        for name in sorted(names, key=lambda name: (name != current, len(name), name)):
            path = os.path.join(directory, name)
            try:
                files.append(LogFile(path, os.stat(path).st_size, compressed=name.endswith(".gz")))
            except FileNotFoundError:
                continue  # rotated away between the listing and the stat
    except FileNotFoundError:
        return (), NOT_ON_THIS_NODE
    except PermissionError:
        return (), NOT_READABLE
    if not os.access(directory, os.W_OK):
        return tuple(files), NOT_READABLE
    return tuple(files), None


def truncate(files: t.Iterable[LogFile]) -> int:
    """Empty each file in place and return the bytes freed, measured on the files themselves.

    In place, never unlinked: dockerd holds the current file open and appends to it (O_APPEND),
    so its next line lands at offset 0 of the emptied file, and ``docker logs -f`` readers
    keep following it. A file rotated away meanwhile is skipped.
    """
    freed = 0
    for log_file in files:
        try:
            descriptor = os.open(log_file.path, os.O_WRONLY)
        except FileNotFoundError:
            continue
        try:
            before = os.fstat(descriptor).st_size
            os.ftruncate(descriptor, 0)
            if log_file.compressed:
                os.write(descriptor, EMPTY_GZIP)
            after = os.fstat(descriptor).st_size
        finally:
            os.close(descriptor)
        freed += max(before - after, 0)
    return freed


def container_log(inspected: t.Mapping[str, t.Any], engine: str = DOCKER) -> ContainerLog:
    """A container's log as its inspect data (of ``engine``) and this node's files show it."""
    log_path = str(inspected.get("LogPath") or "")
    files, unreadable = log_files(log_path)
    return ContainerLog(id=str(inspected["Id"]), name=container_name(inspected),
                        state=docker_state((inspected.get("State") or {}).get("Status")),
                        labels=dict((inspected.get("Config") or {}).get("Labels") or {}),
                        rotation=rotation_of((inspected.get("HostConfig") or {}).get("LogConfig"), engine),
                        log_path=log_path, files=files, unreadable=unreadable)


def container_log_record(inspected: t.Mapping[str, t.Any], engine: str = DOCKER) -> dict[str, t.Any]:
    """A container's logging as container_info returns it: driver, rotation, and the bytes on this node."""
    log = container_log(inspected, engine)
    return dict(log.rotation.as_record(), path=log.log_path or None, files=len(log.files),
                size=None if log.unreadable else log.size, unreadable=log.unreadable)


def logs_summary(logs: t.Sequence[ContainerLog]) -> dict[str, t.Any]:
    """What host_info says of all container logs: the bytes they hold here, and who rotates none."""
    unbounded = sorted(log.name for log in logs if log.rotation.unbounded)
    return {
        "bytes": sum(log.size for log in logs),
        "containers": len(logs),
        "json_file": sum(1 for log in logs if log.rotation.driver == JSON_FILE),
        "unbounded": len(unbounded),
        "unbounded_containers": unbounded,
        "not_on_this_node": sum(1 for log in logs if log.unreadable == NOT_ON_THIS_NODE),
        "not_readable": sum(1 for log in logs if log.unreadable == NOT_READABLE),
    }
