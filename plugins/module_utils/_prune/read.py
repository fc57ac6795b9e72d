# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what pruning decides on from the engine, in the planner's types (``policy.Container``, ``policy.Image``).

As few engine calls as the policy allows: one listing, and concurrent inspects only
for the fields a policy reads and the listing lacks. Also the fresh figures the apply
step needs: containers per image just before removing, and the disk usage before and after.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass, replace

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient, disk_usage
from ansible_collections.tidy.docker.plugins.module_utils._engine.inspection import inspect_many
from ansible_collections.tidy.docker.plugins.module_utils._podman import (
    PODMAN,
    ImageListing,
    build_steps_below,
    docker_state,
    full_image_id,
    pull_evidence,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import NOT_STOPPED_STATES, Container, Image
from ansible_collections.tidy.docker.plugins.module_utils._records import container_name, repo_digests, repo_tags
from ansible_collections.tidy.docker.plugins.module_utils._units import epoch_to_datetime, parse_engine_time


def containers_from_engine(client: EngineClient, details: bool = True, sizes: bool | None = None,
                           listed: t.Sequence[t.Mapping[str, t.Any]] | None = None) -> list[Container]:
    """Every container, from one listing. With ``details``, stopped ones are also inspected for finish
    time and restart policy, which the list lacks (``ContainerPolicy.needs_details`` tells when a policy
    reads them); ``sizes`` (default: as ``details``) asks the engine for writable-layer sizes.
    Image pruning needs neither: only the image ids. ``listed``: a listing already read (system df
    carries one, with sizes)."""
    if listed is None:
        listed = client.call(client.api.containers, all=True, size=details if sizes is None else sizes)

    def what_the_list_lacks(data: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        state = data.get("State") or {}
        return {"created": parse_engine_time(data.get("Created")), "finished_at": parse_engine_time(state.get("FinishedAt")),
                "restart_policy": ((data.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or "no",
                "state": docker_state(state.get("Status"))}

    stopped = [raw["Id"] for raw in listed if details and docker_state(raw.get("State")) not in NOT_STOPPED_STATES]
    inspected = dict(zip(stopped, inspect_many(client, "containers", stopped, what_the_list_lacks)))
    containers = []
    for raw in listed:
        base = Container(id=raw["Id"], name=container_name(raw), state=docker_state(raw.get("State")),
                         image_id=full_image_id(raw.get("ImageID")), created=epoch_to_datetime(raw.get("Created") or 0),
                         labels=dict(raw.get("Labels") or {}), size_rw=int(raw.get("SizeRw") or 0))
        if raw["Id"] not in inspected:
            containers.append(base)
            continue
        data = inspected[raw["Id"]]
        if data is None:
            continue  # removed by someone else since the listing
        containers.append(replace(base, created=data["created"] or base.created, finished_at=data["finished_at"],
                                  restart_policy=data["restart_policy"], state=data["state"] or base.state))
    return containers


@dataclass(frozen=True)
class ImageInventory:
    images: list[Image]
    layers_size: int  # bytes of image layers on disk, shared layers once (system df)


def images_from_engine(client: EngineClient, precise: bool = False,
                       df: t.Mapping[str, t.Any] | None = None) -> ImageInventory:
    """Top-level images with unique sizes from system df (``df``: an answer already read).

    ``precise`` inspects each image for sub-second creation and last-tag times,
    which keep_last ordering, least-recently-used order and a cap need.
    """
    if df is None:
        df = disk_usage(client)
    raw_images = df.get("Images") or []

    def times(data: t.Mapping[str, t.Any]) -> tuple[dt.datetime | None, dt.datetime | None]:
        return parse_engine_time(data.get("Created")), parse_engine_time((data.get("Metadata") or {}).get("LastTagTime"))

    ids = [raw["Id"] for raw in raw_images] if precise else []
    inspected = dict(zip(ids, inspect_many(client, "images", ids, times)))
    images = []
    for raw in raw_images:
        shared = raw.get("SharedSize")
        size = int(raw.get("Size") or 0)
        image = Image(id=raw["Id"], tags=tuple(repo_tags(raw)), digests=pull_evidence(repo_digests(raw), client.engine),
                      created=epoch_to_datetime(raw.get("Created") or 0),
                      unique_size=size - int(shared) if shared is not None and shared >= 0 else size,
                      labels=dict(raw.get("Labels") or {}), parent_id=raw.get("ParentId") or None)
        if precise:
            if inspected[raw["Id"]] is None:
                continue  # removed by someone else since the listing
            created, last_tag_time = inspected[raw["Id"]]
            image = replace(image, created=created or image.created, last_tag_time=last_tag_time)
        images.append(image)
    return ImageInventory(images=images, layers_size=int(df.get("LayersSize") or 0))


def image_parents(client: EngineClient) -> dict[str, str]:
    """Image id -> parent id for every image the engine holds, the hidden build intermediates too.

    The disk-usage listing leaves out untagged images that have children, so an image's
    descendants can only be found through this listing of them all (one call).
    """
    return image_graph(client, hidden=False)[0]


def image_graph(client: EngineClient, hidden: bool) -> tuple[dict[str, str], tuple[Image, ...]]:
    """``image_parents``, and with ``hidden`` also the hidden build intermediates as records, from one listing.

    Their size is their own layers: the image's size less its parent's (a child holds all its
    parent's layers), as Podman's layers' bytes are counted (``_podman.layers_size``); 0 for the
    steps of one image's own build, whose bytes that image's unique size already counts
    (``_podman.build_steps_below``), so that a plan's estimate counts each byte once.
    """
    listed = client.call(client.api.images, all=True)
    listing = ImageListing(listed)
    if not hidden:
        return dict(listing.parent_of), ()
    _own_steps, counted = build_steps_below(listing)
    records = []
    for raw in listed:
        image_id = full_image_id(raw["Id"])
        if image_id in listing.top:
            continue
        records.append(Image(id=image_id, tags=(), digests=(), created=epoch_to_datetime(raw.get("Created") or 0),
                             unique_size=0 if image_id in counted else listing.own_bytes(image_id),
                             labels=dict(raw.get("Labels") or {}), parent_id=listing.parent_of.get(image_id)))
    return dict(listing.parent_of), tuple(records)


def image_graph_for(client: EngineClient, needs_graph: bool) -> tuple[dict[str, str] | None, tuple[Image, ...]]:
    """What an image plan needs of the graph: the parents when the policy meets chains (``needs_graph``), and
    on Podman always, with its hidden intermediates: Podman does not reliably delete an image's untagged
    parents with it (two removals at once leave them behind), so the plan removes them itself
    (``policy.hidden_parents_going``); Docker always does, so there nothing more is read."""
    if client.engine == PODMAN:
        return image_graph(client, hidden=True)
    return (image_parents(client) if needs_graph else None), ()


def users_per_image(client: EngineClient) -> dict[str, int]:
    """Image id -> number of containers using it, from one fresh listing."""
    counts: dict[str, int] = {}
    for raw in client.call(client.api.containers, all=True):
        image_id = full_image_id(raw.get("ImageID"))
        counts[image_id] = counts.get(image_id, 0) + 1
    return counts


def disk_usage_of(client: EngineClient, kind: str) -> int:
    """Bytes the engine's system df attributes to ``images`` or ``containers``."""
    if kind == "images":
        return int(disk_usage(client).get("LayersSize") or 0)
    # The same figure as system df's containers (the engine sizes them with this very listing),
    # without sizing every image, volume and the build cache too.
    return sum(int(c.get("SizeRw") or 0) for c in client.call(client.api.containers, all=True, size=True))
