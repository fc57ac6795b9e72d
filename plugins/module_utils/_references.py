# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references (``registry:5000/team/app:1.2``, ``app@sha256:...``, ids): pure string rules."""

from __future__ import annotations

import re

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput


def repository_of(tag: str) -> str:
    """``registry:5000/team/app:1.2`` -> ``registry:5000/team/app`` (the colon of a port is not a tag)."""
    name, colon, tail = tag.rpartition(":")
    return name if colon and name and "/" not in tail else tag


def split_reference(reference: str) -> tuple[str, str]:
    """``repo[:tag|@digest]`` -> (repository, tag or digest); the tag defaults to ``latest``."""
    if "@" in reference:
        repository, _at, digest = reference.partition("@")
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


# The engine's reference grammar (distribution/reference): an optional registry (it has a dot or a
# port, or is localhost), lower-case path components, then a tag or a digest.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?)"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE_RE = re.compile(rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::{_TAG})?(?:@{_DIGEST})?$")
_ID_RE = re.compile(r"^(?:sha256:)?[0-9a-f]{1,64}$")
# Glob characters of a reference pattern (fnmatch), and what stands in for them when the rest is checked.
_GLOB_RE = re.compile(r"\*|\?|\[[^\]]*\]")
_REFERENCE_FIX = "use repository[:tag] or repository@sha256:digest, in lower case (for example busybox:1.36)"


def _reference_problem(text: str) -> str | None:
    """Why ``text`` cannot be an image reference or id; None when it can."""
    if not text.strip():
        return "is empty"
    if any(c.isspace() for c in text):
        return "contains a space"
    first, slash, _rest = text.partition("/")
    registry = bool(slash) and ("." in first or ":" in first or first == "localhost")
    path = text[len(first) + 1:] if registry else text
    if _ID_RE.match(text) or _REFERENCE_RE.match(text) and (registry or first == first.lower()):
        return None
    repository = path.split("@", 1)[0].rsplit(":", 1)[0] if ":" in path.split("@", 1)[0] else path.split("@", 1)[0]
    if repository != repository.lower():
        return "has upper-case letters, and repository names are in lower case"
    return "is not a valid image reference"


def is_reference(text: str) -> bool:
    return _reference_problem(text) is None


def check_reference(text: str, option: str) -> str:
    """``text`` when it is an image reference or id the engine accepts; InvalidInput naming ``option`` otherwise.

    Checked before any engine call, so that the engine's raw 400 ("invalid reference format") is never
    what the user reads, and a pattern that could never match is refused rather than ignored.
    """
    problem = _reference_problem(text)
    if problem is not None:
        raise InvalidInput(f"{option}: {text!r} {problem}; {_REFERENCE_FIX}.", option=option, value=text)
    return text


def check_reference_pattern(text: str, option: str) -> str:
    """``text`` when it is a reference glob (``postgres:*``, ``*/base:*``, ``registry.local/*``) that can match a
    reference; each glob stands for one letter for the check, so ``UPPER:*`` or ``a::b`` are refused."""
    problem = _reference_problem(_GLOB_RE.sub("a", text)) if text.strip() else "is empty"
    if problem is not None and not (_GLOB_RE.search(text) and "@" in text and problem == "is not a valid image reference"):
        raise InvalidInput(f"{option}: {text!r} {problem}, so it can never match an image; {_REFERENCE_FIX}, "
                           "with * and ? as wildcards.", option=option, value=text)
    return text


_CONTAINER_NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_CONTAINER_NAME_FIX = "use a name (letters, digits and _ . - starting with a letter or digit) or an id"


def check_container_ref(text: str, option: str) -> str:
    """A container name or id as the engine spells them; InvalidInput (empty, spaces, ``a::b``) otherwise."""
    if not _CONTAINER_NAME_RE.match(text):
        raise InvalidInput(f"{option}: {text!r} is not a container name or id; {_CONTAINER_NAME_FIX}.",
                           option=option, value=text)
    return text


def check_name_pattern(text: str, option: str) -> str:
    """A container-name glob (``web-*``): non-empty, no spaces, and a name once its wildcards are letters."""
    if not _CONTAINER_NAME_RE.match(_GLOB_RE.sub("a", text)):
        raise InvalidInput(f"{option}: {text!r} can never match a container name; {_CONTAINER_NAME_FIX}, "
                           "with * and ? as wildcards.", option=option, value=text)
    return text
