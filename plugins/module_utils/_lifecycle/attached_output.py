# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The output of an attached run (``detach: false``): the lines of this run only, and a tail for failures.

Pure: the engine side (``container_run``) reads ``docker logs --timestamps`` and hands
the text here.
"""

from __future__ import annotations

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._units import engine_time_ns


def output_tail(lines: t.Sequence[str], count: int = 10) -> str:
    """The last lines of an output for a failure message, or a note that there was none."""
    tail = [line for line in lines if line.strip()][-count:]
    return " | ".join(tail) if tail else "(no output)"


# Output lines can carry a timestamp a few milliseconds older than the StartedAt the engine records
# for their run; a previous run ends long before (at least one engine round trip).
START_SLACK_NS = 50_000_000


def split_output(raw: bytes | str, tty: bool, after_ns: int | None = None) -> list[str]:
    """Lines of ``docker logs --timestamps`` output, without the stamps, keeping those later than ``after_ns``."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if tty:
        text = text.replace("\r\n", "\n")
    lines = []
    for line in text.splitlines():
        stamp, _space, content = line.partition(" ")
        moment = engine_time_ns(stamp)
        if moment is None:
            lines.append(line)  # not stamped: keep it whole
        elif after_ns is None or moment > after_ns:
            lines.append(content)
    return lines
