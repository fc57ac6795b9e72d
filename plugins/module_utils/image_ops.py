# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine operations on one image: find, pull, ask the registry, remove.

Shared by every module that needs an image present (image, container) or gone.
"""

from __future__ import annotations

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils.errors import EngineError, InvalidInput, NotFound
from ansible_collections.tidy.docker.plugins.module_utils.inventory import Record, container_name, repo_digests, repo_tags
from ansible_collections.tidy.docker.plugins.module_utils.policy import repository_of
from ansible_collections.tidy.docker.plugins.module_utils.units import format_time, parse_engine_time


def split_reference(reference: str) -> tuple[str, str]:
    """``repo[:tag|@digest]`` -> (repository, tag or digest); the tag defaults to ``latest``."""
    if "@" in reference:
        repository, digest = reference.split("@", 1)
        return repository, digest
    repository = repository_of(reference)
    return repository, reference[len(repository) + 1:] or "latest"


def normalise_reference(reference: str) -> str:
    """Add ``:latest`` where no tag or digest is given, as the engine does."""
    repository, tag = split_reference(reference)
    return f"{repository}@{tag}" if tag.startswith("sha256:") else f"{repository}:{tag}"


def looks_like_id(reference: str) -> bool:
    text = reference.split(":", 1)[1] if reference.startswith("sha256:") else reference
    return 12 <= len(text) <= 64 and all(c in "0123456789abcdef" for c in text)


def find_image(client: EngineClient, reference: str) -> dict[str, t.Any] | None:
    """Inspect data of the image, or None when the engine has none by that reference."""
    try:
        return dict(client.call(client.api.inspect_image, reference))
    except NotFound:
        return None


def image_record(inspected: t.Mapping[str, t.Any] | None) -> Record:
    """The ``image`` return value: id, repo_tags, repo_digests, created, size; ``{}`` when absent."""
    if not inspected:
        return {}
    return {
        "id": inspected["Id"],
        "repo_tags": repo_tags(inspected),
        "repo_digests": repo_digests(inspected),
        "created": format_time(parse_engine_time(inspected.get("Created"))),
        "size": int(inspected.get("Size") or 0),
    }


def _not_in_registry(reference: str, exc: NotFound) -> NotFound:
    return NotFound(f"Image {reference} was not found in its registry ({exc.message}); check the name and tag, "
                    "or build or load it on the host.", reference=reference)


def registry_digest(client: EngineClient, reference: str) -> str | None:
    """The digest the registry serves for ``reference`` now, without pulling.

    Raises NotFound when the registry does not know the reference; None when
    the registry cannot be asked (no distribution endpoint, auth needed).
    """
    try:
        answer = client.call(client.api.inspect_distribution, normalise_reference(reference))
    except NotFound as exc:
        raise _not_in_registry(reference, exc) from None
    except EngineError:
        return None
    return str((answer.get("Descriptor") or {}).get("digest") or "") or None


def is_current(inspected: t.Mapping[str, t.Any], reference: str, digest: str | None) -> bool:
    """Whether the local image already is what the registry serves under ``reference``."""
    if digest is None:
        return False
    return f"{split_reference(reference)[0]}@{digest}" in repo_digests(inspected)


def pull_image(client: EngineClient, reference: str) -> dict[str, t.Any]:
    """Pull and return the image's inspect data; an error in the progress stream becomes one sentence."""
    repository, tag = split_reference(reference)
    try:
        events = client.call(client.api.pull, repository, tag=tag, stream=True, decode=True)
        for event in events:
            if isinstance(event, dict) and event.get("error"):
                raise EngineError(f"Pulling {reference} failed: {event['error']}", reference=reference)
    except NotFound as exc:
        raise _not_in_registry(reference, exc) from None
    pulled = find_image(client, normalise_reference(reference))
    if pulled is None:  # pragma: no cover - the engine reported success
        raise EngineError(f"Pulling {reference} reported success but the image is not there.", reference=reference)
    return pulled


def containers_using(client: EngineClient, image_id: str) -> list[Record]:
    """Containers (any state) created from the image, as ``{id, name, state}``."""
    listed = client.call(client.api.containers, all=True)
    return [{"id": raw["Id"], "name": container_name(raw), "state": raw.get("State")}
            for raw in listed if raw.get("ImageID") == image_id]


def describe_users(users: t.Iterable[Record]) -> str:
    return ", ".join(f"{user['name']} ({user['state']})" for user in users)


def check_reference(reference: str, option: str = "name") -> str:
    text = reference.strip()
    if not text or any(c.isspace() for c in text):
        raise InvalidInput(f"{option}: {reference!r} is not an image reference; use repo:tag, repo@sha256:digest or an id.",
                           option=option, value=reference)
    return text
