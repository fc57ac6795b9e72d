# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring one image to ``present`` or ``absent``; check mode predicts from the same decisions."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._errors import Conflict, InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.image_operations import (
    containers_using,
    describe_users,
    find_image,
    image_record,
    is_current,
    pull_image,
    registry_digest,
)
from ansible_collections.tidy.docker.plugins.module_utils._podman import PODMAN, familiar_name, full_image_id, tag_named
from ansible_collections.tidy.docker.plugins.module_utils._records import repo_tags
from ansible_collections.tidy.docker.plugins.module_utils._references import looks_like_id, normalise_reference


@dataclass
class ImageChange:
    before: dict[str, t.Any]
    after: dict[str, t.Any]
    actions: list[str] = field(default_factory=list)
    untagged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.actions)


def ensure_present(client: EngineClient, reference: str, pull: str, check_mode: bool) -> ImageChange:
    existing = find_image(client, reference)
    before = image_record(existing)
    if existing is not None and pull == "missing":
        return ImageChange(before, before)
    if existing is None and looks_like_id(reference):
        raise InvalidInput(f"name: no image has id {reference!r}, and an id cannot be pulled; use a repo:tag reference.",
                           option="name", value=reference)
    if check_mode:
        # The registry's digest tells, without pulling, whether a pull would change anything (or fail).
        if is_current(existing, registry_digest(client, reference)):
            return ImageChange(before, before)
        return ImageChange(before, before or {"id": None, "repo_tags": [normalise_reference(reference)]},
                           actions=["pulled"])
    after = image_record(pull_image(client, reference))
    changed = not before or after["id"] != before["id"]
    return ImageChange(before, after, actions=["pulled"] if changed else [])


def ensure_absent(client: EngineClient, reference: str, force: bool, prune_parents: bool,
                  check_mode: bool) -> ImageChange:
    existing = find_image(client, reference)
    if existing is None:
        return ImageChange({}, {})
    before = image_record(existing)
    tags = repo_tags(existing)
    tag = tag_named(normalise_reference(reference), tags, client.engine)
    _check_removable(client, reference, existing, tag, tags, force, prune_parents)
    if check_mode:
        return _predict_removal(before, tag, tags)
    answer = client.call(client.api.remove_image, reference, force=force, noprune=not prune_parents)
    untagged = [familiar_name(str(item["Untagged"])) for item in answer or [] if item.get("Untagged")]
    deleted = [full_image_id(item["Deleted"]) for item in answer or [] if item.get("Deleted")]
    after = image_record(find_image(client, existing["Id"]))
    actions = (["untagged"] if untagged else []) + (["deleted"] if deleted else [])
    return ImageChange(before, after, actions, untagged, deleted)


def _check_removable(client: EngineClient, reference: str, existing: t.Mapping[str, t.Any], tag: str | None,
                     tags: list[str], force: bool, prune_parents: bool) -> None:
    """Refuse, in one sentence, a removal the engine would refuse or that would do more than asked."""
    only_untag = tag is not None and len(tags) > 1
    # Untagging one of several tags leaves the image for its containers; only a delete must spare them.
    users = [] if only_untag else containers_using(client, existing["Id"])
    if users and not force:
        raise Conflict(f"Image {reference} ({existing['Id'][:19]}) is used by {describe_users(users)}; remove those "
                       "containers first, or set force: true.", image_id=existing["Id"],
                       containers=[user["name"] for user in users])
    if not prune_parents and not only_untag and client.engine == PODMAN:
        # Podman deletes an image's untagged parents whatever the request says (it ignores noprune).
        raise InvalidInput(f"prune_parents: false is not supported on Podman, which always deletes the untagged parents "
                           f"of an image it deletes; {reference} was left as it is: leave prune_parents at true, or "
                           "tag the parents to keep first.", option="prune_parents", value=False)
    if tag is None and len(tags) > 1 and not force:
        raise Conflict(f"Image {reference} has several tags ({', '.join(tags)}); removing it by id removes them all: "
                       "set force: true, or remove it by tag.", image_id=existing["Id"], repo_tags=tags)


def _predict_removal(before: dict[str, t.Any], tag: str | None, tags: list[str]) -> ImageChange:
    """What the engine will answer: untag only ``tag`` when others remain, else untag all and delete."""
    if tag is not None and len(tags) > 1:
        after = dict(before, repo_tags=[other for other in tags if other != tag])
        return ImageChange(before, after, ["untagged"], untagged=[tag])
    actions = (["untagged"] if tags else []) + ["deleted"]
    return ImageChange(before, {}, actions, untagged=list(tags), deleted=[before["id"]])
