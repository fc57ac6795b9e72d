# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine operations on one image: find, ask the registry, pull, see who uses it.

Shared by every module that needs an image present (image, container) or gone.
``option`` names the module option the reference came from, so that each
failure sentence points at what the user wrote.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._engine.failures import translate_error
from ansible_collections.tidy.docker.plugins.module_utils._errors import EngineError, InvalidInput, NotFound
from ansible_collections.tidy.docker.plugins.module_utils._podman import PODMAN, docker_state, full_image_id
from ansible_collections.tidy.docker.plugins.module_utils._records import (
    Record,
    container_name,
    repo_digests,
    repo_tags,
)
from ansible_collections.tidy.docker.plugins.module_utils._references import is_reference, split_reference
from ansible_collections.tidy.docker.plugins.module_utils._units import format_time, parse_engine_time

_ENGINE_PREFIX_RE = re.compile(r"^The (?:Docker |Podman )?engine at \S+ answered \d+: ")


def find_image(client: EngineClient, reference: str, option: str = "name") -> dict[str, t.Any] | None:
    """Inspect data of the image, or None when the engine has none by that reference."""
    try:
        if not is_reference(reference):  # the grammar first: the engine would answer a raw 400
            raise EngineError("invalid reference format")
        return dict(client.call(client.api.inspect_image, reference))
    except NotFound:
        return None
    except EngineError as exc:
        if "invalid reference format" in exc.message:
            raise InvalidInput(f"{option}: {reference!r} is not a valid image reference; use repository[:tag] or "
                               "repository@sha256:digest, in lower case (for example busybox:1.36).",
                               option=option, value=reference) from None
        raise


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


def pull_failed(reference: str, detail: str, option: str) -> InvalidInput:
    detail = _ENGINE_PREFIX_RE.sub("", detail.strip())
    return InvalidInput(f"{option}: {reference!r} could not be pulled ({detail}); check the name and tag, "
                        "that the engine can reach the registry, and docker login on the engine host for private "
                        "images.", option=option, value=reference)


def registry_digest(client: EngineClient, reference: str, option: str = "name") -> str | None:
    """The digest the registry serves for ``reference`` now, without pulling (what check mode compares).

    A registry that does not know the reference, or cannot be asked, fails as a pull would. None
    on Podman, whose compatible API has no ``/distribution`` endpoint (404 for every name): check
    mode then predicts the pull it cannot verify (docs/podman.md).
    """
    if client.engine == PODMAN:
        return None
    try:
        answer = client.call(client.api.inspect_distribution, reference)
    except (NotFound, EngineError) as exc:
        raise pull_failed(reference, exc.message, option) from None
    return str(answer["Descriptor"]["digest"])


def is_current(inspected: t.Mapping[str, t.Any] | None, digest: str | None) -> bool:
    """Whether the local image already is what the registry serves (one of its digests is ``digest``)."""
    return inspected is not None and digest is not None and any(d.endswith(f"@{digest}") for d in repo_digests(inspected))


def pull_image(client: EngineClient, reference: str, option: str = "name") -> dict[str, t.Any]:
    """Pull and return the image's inspect data; a failure, also one in the progress stream, is one sentence."""
    repository, tag = split_reference(reference)
    try:
        for chunk in client.call(client.api.pull, repository, tag=tag, stream=True, decode=True):
            # A failure after the pull began arrives as a message in the progress stream.
            if isinstance(chunk, dict) and ("error" in chunk or "errorDetail" in chunk):
                detail = chunk.get("error") or (chunk.get("errorDetail") or {}).get("message", "")
                raise pull_failed(reference, str(detail), option)
    except (NotFound, EngineError) as exc:
        raise pull_failed(reference, exc.message, option) from None
    except InvalidInput:
        raise
    except Exception as exc:
        raise translate_error(exc, client.settings, client.engine) from exc
    pulled = find_image(client, reference, option)
    if pulled is None:  # pragma: no cover - the engine just pulled it
        raise EngineError(f"{option}: {reference!r} was pulled but the engine does not know it; pull it by hand "
                          "to see what the registry serves.", option=option)
    return pulled


def containers_using(client: EngineClient, image_id: str) -> list[Record]:
    """Containers (any state) created from the image, as ``{id, name, state}``."""
    listed = client.call(client.api.containers, all=True)
    return [{"id": raw["Id"], "name": container_name(raw), "state": docker_state(raw.get("State"))}
            for raw in listed if full_image_id(raw.get("ImageID")) == image_id]


def describe_users(users: t.Iterable[Record]) -> str:
    return ", ".join(f"{user['name']} ({user['state']})" for user in users)


def check_reference(reference: str, option: str = "name") -> str:
    text = reference.strip()
    if not text or any(c.isspace() for c in text):
        raise InvalidInput(f"{option}: {reference!r} is not an image reference; use repo:tag, repo@sha256:digest or an id.",
                           option=option, value=reference)
    return text
