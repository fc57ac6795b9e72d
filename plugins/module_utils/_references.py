# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references (``registry:5000/team/app:1.2``, ``app@sha256:...``, ids): pure string rules."""

from __future__ import annotations


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
