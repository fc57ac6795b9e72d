# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine reads of the info modules: containers, images, logs and host facts as records.

Each function makes as few engine calls as the data allows (one list call, then
concurrent inspects only where the list lacks a field) and hands raw answers to
``_records`` to shape.
"""

from __future__ import annotations

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._concurrency import concurrently
from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._engine.client import disk_usage as engine_disk_usage
from ansible_collections.tidy.docker.plugins.module_utils._engine.inspection import inspect_container_or_none
from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput, NotFound
from ansible_collections.tidy.docker.plugins.module_utils._local_disk import local_filesystem
from ansible_collections.tidy.docker.plugins.module_utils._logs.engine import container_logs
from ansible_collections.tidy.docker.plugins.module_utils._logs.files import container_log_record, logs_summary
from ansible_collections.tidy.docker.plugins.module_utils._records import (
    Record,
    normalise_container,
    normalise_image,
    summarise_disk_usage,
    users_by_image,
)

# The largest count an info option may name (containers to list, log lines to return): beyond it the
# engine answers a raw 500 ("value out of range"), and no host has that many anyway.
COUNT_LIMIT = 1_000_000
# The filters the engine knows, each with the values it accepts where they are a closed set (None: any).
_TRUE_FALSE = ("true", "false", "1", "0")
CONTAINER_FILTERS: dict[str, tuple[str, ...] | None] = {
    "ancestor": None, "before": None, "expose": None, "exited": None, "id": None, "isolation": None,
    "is-task": _TRUE_FALSE, "label": None, "name": None, "network": None, "publish": None, "since": None,
    "volume": None, "health": ("starting", "healthy", "unhealthy", "none"),
    "status": ("created", "restarting", "running", "removing", "paused", "exited", "dead"),
}
IMAGE_FILTERS: dict[str, tuple[str, ...] | None] = {
    "before": None, "dangling": _TRUE_FALSE, "label": None, "reference": None, "since": None, "until": None,
}


def check_count(value: int | None, option: str, fix: str, minimum: int) -> None:
    """An optional count from ``minimum`` to COUNT_LIMIT; InvalidInput naming the option otherwise."""
    if value is not None and not minimum <= value <= COUNT_LIMIT:
        raise InvalidInput(f"{option}: {value} is out of range; {fix}, {minimum} to {COUNT_LIMIT:,}.",
                           option=option, value=value)


def check_filters(filters: t.Mapping[str, t.Any], option: str, known: t.Mapping[str, tuple[str, ...] | None]) -> None:
    """Filter names and closed-set values the engine accepts, checked before the call it would answer with a raw 400."""
    for name, values in filters.items():
        if name not in known:
            raise InvalidInput(f"{option}: {name!r} is not a filter the engine knows; use one of "
                               f"{', '.join(sorted(known))}.", option=option, value=name)
        texts = [str(v).lower() if isinstance(v, bool) else str(v)
                 for v in (values if isinstance(values, list) else [values])]
        allowed = known[name]
        for text in texts:
            if allowed is not None and text not in allowed:
                raise InvalidInput(f"{option}: {name}={text!r} is not a value of that filter; use one of "
                                   f"{', '.join(allowed)}.", option=option, value=text)
            if not text.strip() or name == "label" and text.startswith("="):
                raise InvalidInput(f"{option}: {name}={text!r} has no {'label key' if name == 'label' else 'value'}; "
                                   f"give {'key or key=value' if name == 'label' else 'a value'}.",
                                   option=option, value=text)


def read_logs(client: EngineClient, container_id: str, tail: int,
              since: int | None = None, until: int | None = None) -> list[str]:
    """The last ``tail`` lines of stdout and stderr, decoded leniently."""
    raw = client.call(client.api.logs, container_id, stdout=True, stderr=True, tail=tail, since=since, until=until)
    return raw.decode("utf-8", errors="replace").splitlines()


def list_containers(client: EngineClient, names: t.Sequence[str] = (), include_stopped: bool = True,
                    last: int | None = None, filters: t.Mapping[str, t.Any] | None = None,
                    size: bool = False) -> list[Record]:
    """Containers as ``docker ps`` selects them, newest first, each fully inspected.

    ``names`` (names or ids) narrow the listing; ``include_stopped``, ``last``
    and ``filters`` apply to them too, as ``docker ps`` filters would.
    """
    raw = client.call(client.api.containers, all=include_stopped, limit=last if last else -1,
                      filters=dict(filters or {}), size=size)
    listed = {item["Id"]: item for item in raw}
    # Inspecting a name resolves it exactly (a name filter would match substrings).
    refs = list(dict.fromkeys(names)) if names else list(listed)
    records: dict[str, Record] = {}
    for data in concurrently(lambda ref: inspect_container_or_none(client, ref), refs):
        # None: gone since listed, or a name that does not exist.
        if data is not None and data["Id"] in listed:
            records[data["Id"]] = dict(normalise_container(data, listed[data["Id"]], with_size=size, engine=client.engine),
                                       log=container_log_record(data, client.engine))
    return sorted(records.values(), key=lambda record: record["created"] or "", reverse=True)


def resolve_image_ids(client: EngineClient, refs: t.Iterable[str]) -> dict[str, str | None]:
    """Reference or id -> full image id, None where the engine has no such image."""
    def resolve(ref: str) -> str | None:
        try:
            return str(client.call(client.api.inspect_image, ref)["Id"])
        except NotFound:
            return None
    unique = list(dict.fromkeys(refs))
    return dict(zip(unique, concurrently(resolve, unique)))


def list_images(client: EngineClient, image_ids: t.Collection[str] | None = None,
                filters: t.Mapping[str, t.Any] | None = None, with_usage: bool = True) -> list[Record]:
    """Top-level images like ``docker images``, with usage from ``system df`` and ``ps -a``.

    ``image_ids`` (full ids, see ``resolve_image_ids``) narrows the list; None lists all.
    """
    raw_images = client.call(client.api.images, all=False, filters=dict(filters or {}))
    users: dict[str, list[Record]] | None = None
    if with_usage:
        # /system/df carries SharedSize per image, which the plain list leaves at -1.
        df_images = {image["Id"]: image for image in engine_disk_usage(client).get("Images") or []}
        raw_images = [dict(image, SharedSize=df_images.get(image["Id"], image).get("SharedSize", -1))
                      for image in raw_images]
        users = users_by_image(client.call(client.api.containers, all=True))
    if image_ids is not None:
        raw_images = [image for image in raw_images if image["Id"] in image_ids]
    records = [normalise_image(image, users) for image in raw_images]
    return sorted(records, key=lambda record: (record["created"], record["id"]), reverse=True)


def host_facts(client: EngineClient, disk_usage: bool = True, logs: bool = True) -> Record:
    info = client.call(client.api.info)
    version = client.engine_version
    engine = {
        "product": client.engine,
        "version": version.get("Version"),
        "api_version": version.get("ApiVersion"),
        "negotiated_api_version": client.api_version,
        "min_api_version": version.get("MinAPIVersion"),
        "os": info.get("OperatingSystem"),
        "os_type": info.get("OSType"),
        "kernel_version": info.get("KernelVersion"),
        "architecture": info.get("Architecture"),
        "name": info.get("Name"),
        "storage_driver": info.get("Driver"),
        "docker_root_dir": info.get("DockerRootDir"),
        "containers": info.get("Containers"),
        "containers_running": info.get("ContainersRunning"),
        "containers_paused": info.get("ContainersPaused"),
        "containers_stopped": info.get("ContainersStopped"),
        "images": info.get("Images"),
    }
    return {
        "engine": engine,
        "disk_usage": summarise_disk_usage(engine_disk_usage(client)) if disk_usage else None,
        "filesystem": local_filesystem(str(info.get("DockerRootDir") or ""), client.settings.docker_host),
        # system df leaves these bytes out; they are read from the files on this node.
        "logs": logs_summary(container_logs(client)) if logs else None,
    }
