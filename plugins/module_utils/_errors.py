# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Domain errors of the collection.

Everything below the modules raises one of these; the module wrapper in
``_engine/module.py`` turns them into a single ``fail_json`` sentence. They carry no
SDK types so that pure code (units, policy) can raise them without importing
``docker``.
"""

from __future__ import annotations

import typing as t


class TidyDockerError(Exception):
    """Base class: ``str(error)`` is the one sentence shown to the user."""

    def __init__(self, message: str, **context: t.Any) -> None:
        super().__init__(message)
        self.message = message
        # Structured facts (address, status code, ids) returned next to ``msg``.
        self.context = context


class InvalidInput(TidyDockerError):
    """An option value the module cannot use; nothing was changed."""


def invalid_option(option: str, value: t.Any, problem: str, fix: str) -> InvalidInput:
    """The one sentence for a bad option value: ``option: 'value' problem; fix.``"""
    return InvalidInput(f"{option}: {value!r} {problem}; {fix}.", option=option, value=value)


class EngineUnreachable(TidyDockerError):
    """No engine answered at the configured address."""


class EngineTimeout(TidyDockerError):
    """The engine accepted the connection but did not answer in time."""


class ApiVersionError(TidyDockerError):
    """Client and engine do not agree on an API version."""


class TlsError(TidyDockerError):
    """TLS material is missing, unreadable or rejected."""


class NotFound(TidyDockerError):
    """The engine answered 404: the object does not exist (any more)."""


class Conflict(TidyDockerError):
    """The engine answered 409: the object is in use or in the wrong state."""


class EngineError(TidyDockerError):
    """Any other error reported by the engine."""


class SdkError(TidyDockerError):
    """The Docker SDK on the managed node is missing, too old, or lacks what an option needs."""


class PartialFailure(TidyDockerError):
    """The engine failed after some removals were done: ``result`` is the module's normal result for what
    was done (``changed``, ``removed``, ``kept`` with why the rest was not), returned next to ``msg``."""

    def __init__(self, message: str, result: t.Mapping[str, t.Any], **context: t.Any) -> None:
        super().__init__(message, **context)
        self.result = dict(result)
