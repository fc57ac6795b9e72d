# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the engine's raw answers into the records modules return.

Pure functions: the container, image and disk-usage shapes documented in the
info modules are built here and nowhere else, so that later policies read
exactly what users see.
"""

from __future__ import annotations

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._podman import (
    DOCKER,
    PODMAN,
    docker_network_mode,
    docker_state,
    familiar_name,
    full_image_id,
)
from ansible_collections.tidy.docker.plugins.module_utils._units import (
    epoch_to_datetime,
    format_size,
    format_time,
    parse_engine_time,
)

Record = dict[str, t.Any]
_NONE_TAG = "<none>:<none>"
_NONE_DIGEST = "<none>@<none>"


def container_name(raw: t.Mapping[str, t.Any]) -> str:
    """The name without the engine's leading slash, from inspect (Name) or list (Names) data."""
    name = raw.get("Name") or next(iter(raw.get("Names") or []), "")
    return str(name).lstrip("/")


def normalise_container(inspected: t.Mapping[str, t.Any], listed: t.Mapping[str, t.Any] | None = None,
                        with_size: bool = False, engine: str = DOCKER) -> Record:
    """One container as ``docker inspect`` knows it, plus the ``ps`` status text (and size) when listed."""
    state = inspected.get("State") or {}
    config = inspected.get("Config") or {}
    host_config = inspected.get("HostConfig") or {}
    record: Record = {
        "id": inspected["Id"],
        "name": container_name(inspected),
        "image": familiar_name(str(config["Image"])) if config.get("Image") else config.get("Image"),
        "image_id": inspected.get("Image"),
        "command": _command(inspected, engine),
        "created": format_time(parse_engine_time(inspected.get("Created"))),
        "state": docker_state(state.get("Status")) if state.get("Status") else state.get("Status"),
        "status": (listed or {}).get("Status") or state.get("Status"),
        "running": bool(state.get("Running")) and not state.get("Paused"),
        "paused": bool(state.get("Paused")),
        "restarting": bool(state.get("Restarting")),
        "exit_code": state.get("ExitCode"),
        "started_at": format_time(parse_engine_time(state.get("StartedAt"))),
        "finished_at": format_time(parse_engine_time(state.get("FinishedAt"))),
        "labels": dict(config.get("Labels") or {}),
        "restart_count": inspected.get("RestartCount", 0),
        "restart_policy": (host_config.get("RestartPolicy") or {}).get("Name") or "no",
        "network_mode": docker_network_mode(host_config.get("NetworkMode"), engine),
    }
    if with_size:
        # The engine leaves SizeRw out of its answer when it is zero.
        record["size_rw"] = int((listed or {}).get("SizeRw") or 0)
    return record


def _command(inspected: t.Mapping[str, t.Any], engine: str) -> list[str]:
    """What the container runs: ``Path`` and its ``Args``. Podman repeats a lone ``Path`` as ``Args``
    (``cal`` is Path ``cal``, Args ``['cal']``), where Docker's Args hold only what follows."""
    path = inspected.get("Path")
    if not path:
        return []
    args = list(inspected.get("Args") or [])
    return [path] if engine == PODMAN and args == [path] else [path] + args


def repo_tags(raw: t.Mapping[str, t.Any]) -> list[str]:
    """The tags as Docker names them (Podman qualifies Docker Hub's: ``docker.io/library/...``)."""
    return [familiar_name(str(tag)) for tag in raw.get("RepoTags") or [] if tag != _NONE_TAG]


def repo_digests(raw: t.Mapping[str, t.Any]) -> list[str]:
    return [familiar_name(str(digest)) for digest in raw.get("RepoDigests") or [] if digest != _NONE_DIGEST]


def users_by_image(containers: t.Iterable[t.Mapping[str, t.Any]]) -> dict[str, list[Record]]:
    """Image id -> the containers (any state) created from it, from ``ps -a`` list data."""
    users: dict[str, list[Record]] = {}
    for raw in containers:
        users.setdefault(full_image_id(raw.get("ImageID")), []).append(
            {"id": raw["Id"], "name": container_name(raw), "state": docker_state(raw.get("State"))})
    return users


def normalise_image(raw: t.Mapping[str, t.Any], users: t.Mapping[str, list[Record]] | None) -> Record:
    """One image as ``docker images`` / ``system df`` list it.

    ``users`` is None when usage was not gathered; then usage keys are None
    rather than a misleading "not in use".
    """
    tags = repo_tags(raw)
    size = int(raw.get("Size") or 0)
    shared = raw.get("SharedSize")
    shared_size = int(shared) if users is not None and shared is not None and shared >= 0 else None
    containers = list(users.get(raw["Id"], [])) if users is not None else None
    return {
        "id": raw["Id"],
        "short_id": raw["Id"].split(":", 1)[-1][:12],
        "repo_tags": tags,
        "repo_digests": repo_digests(raw),
        "created": format_time(epoch_to_datetime(raw.get("Created") or 0)),
        "size": size,
        "size_human": format_size(size),
        "shared_size": shared_size,
        "unique_size": size - shared_size if shared_size is not None else None,
        "dangling": not tags,
        "labels": dict(raw.get("Labels") or {}),
        "parent_id": raw.get("ParentId") or None,
        "containers": containers,
        "in_use": bool(containers) if containers is not None else None,
    }


def _usage(count: int, size: int, reclaimable: int, active: int) -> Record:
    return {
        "count": count,
        "active": active,
        "size": size,
        "size_human": format_size(size),
        "reclaimable": reclaimable,
        "reclaimable_human": format_size(reclaimable),
    }


def _int(value: t.Any) -> int:
    return int(value or 0)


def _image_usage(images: t.Sequence[t.Mapping[str, t.Any]], layers_size: int) -> Record:
    """Size: the layers on disk (shared once); reclaimable: that minus the unique part of images in use."""
    used = [i for i in images if (i.get("Containers") or 0) > 0]
    used_by_containers = sum(_int(i.get("Size")) - _int(i.get("SharedSize"))
                             for i in used if (i.get("SharedSize") or 0) >= 0)
    return _usage(len(images), layers_size, max(layers_size - used_by_containers, 0), len(used))


def _container_active(container: t.Mapping[str, t.Any]) -> bool:
    # Like the CLI: running, paused and restarting containers are in use, not reclaimable.
    return container.get("State") in ("running", "paused", "restarting")


def _container_usage(containers: t.Sequence[t.Mapping[str, t.Any]]) -> Record:
    """Writable layers; reclaimable are those of stopped containers."""
    stopped = [c for c in containers if not _container_active(c)]
    return _usage(len(containers), sum(_int(c.get("SizeRw")) for c in containers),
                  sum(_int(c.get("SizeRw")) for c in stopped), len(containers) - len(stopped))


def _volume_size(volume: t.Mapping[str, t.Any]) -> int:
    return max(_int((volume.get("UsageData") or {}).get("Size")), 0)


def _volume_unused(volume: t.Mapping[str, t.Any]) -> bool:
    return _int((volume.get("UsageData") or {}).get("RefCount")) == 0


def _volume_usage(volumes: t.Sequence[t.Mapping[str, t.Any]]) -> Record:
    """Reclaimable when no container references them."""
    unused = [v for v in volumes if _volume_unused(v)]
    return _usage(len(volumes), sum(_volume_size(v) for v in volumes), sum(_volume_size(v) for v in unused),
                  len(volumes) - len(unused))


def _build_cache_usage(cache: t.Sequence[t.Mapping[str, t.Any]]) -> Record:
    """Reclaimable when neither in use nor shared."""
    return _usage(len(cache), sum(_int(b.get("Size")) for b in cache),
                  sum(_int(b.get("Size")) for b in cache if not b.get("InUse") and not b.get("Shared")),
                  sum(1 for b in cache if b.get("InUse")))


def summarise_disk_usage(df: t.Mapping[str, t.Any]) -> Record:
    """``docker system df`` from the engine's /system/df answer, with the CLI's arithmetic (see each part)."""
    return {
        "images": _image_usage(df.get("Images") or [], _int(df.get("LayersSize"))),
        "containers": _container_usage(df.get("Containers") or []),
        "volumes": _volume_usage(df.get("Volumes") or []),
        "build_cache": _build_cache_usage(df.get("BuildCache") or []),
    }


def filesystem_usage(total: int, free: int, available: int) -> Record:
    """Figures of the filesystem holding the data root, as ``df`` prints them."""
    used = total - free
    # Like df(1): the share of what non-root users may use, so 100% means "full" for them.
    usable = used + available
    return {
        "size": total,
        "size_human": format_size(total),
        "used": used,
        "used_human": format_size(used),
        "free": available,
        "free_human": format_size(available),
        "used_percent": round(100.0 * used / usable, 1) if usable else 0.0,
    }
