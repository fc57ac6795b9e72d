# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durations, sizes and timestamps: what users write in options, and what returns carry.

Pure functions, no engine and no Ansible imports: every module parses user
input through here so that one bad value always yields the same sentence.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
import typing as t
from decimal import Decimal

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput

_DURATION_UNITS: dict[str, int] = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
# One or more <number><unit> parts in falling order of unit, e.g. "1d12h" or "2w".
# ASCII digits only: \d alone would take "١٢d" (Arabic-Indic digits) as 12 days.
_DURATION_RE = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$", re.ASCII)
_DURATION_HINT = "use a whole number of seconds or units s, m, h, d, w such as 30s, 15m, 12h, 7d, 2w or 1d12h"
# 100 years (36,525 days). No retention anyone means is longer: beyond it a value is a typo, and
# "now minus it" would leave the range of datetime and fail with a traceback instead of a sentence.
MAX_DURATION = 36525 * 86400

_SIZE_UNITS: dict[str, int] = {
    "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50,
}
_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$", re.ASCII)
# A zebibyte (2**70 bytes): no disk, and no image store, comes near; beyond it a size is a typo.
MAX_SIZE = 2**70
_SIZE_HINT = ("use plain bytes or a number with B, KB, MB, GB, TB (decimal) or KiB, MiB, GiB, TiB (binary), "
              "such as 512MB or 1.5GiB")
_PERCENT_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*%$", re.ASCII)

# The engine writes this for "never" (a container that was never started).
_ENGINE_ZERO_TIME = "0001-01-01T00:00:00Z"


def _given_as_number(value: t.Any, option: str, kind: str, hint: str) -> int | None:
    """``value`` when the task gave a whole number (refused if negative); None for text to parse.

    A boolean is an int to Python but never a duration or a size.
    """
    if isinstance(value, bool):
        raise InvalidInput(f"{option}: {value!r} is not a {kind}; {hint}.", option=option, value=value)
    if isinstance(value, int):
        if value < 0:
            raise InvalidInput(f"{option}: {value!r} is negative; {hint}.", option=option, value=value)
        return value
    return None


def parse_duration(value: t.Any, option: str = "duration") -> int:
    """Return a duration in seconds, at most MAX_DURATION; raise InvalidInput quoting the bad value."""
    seconds = _duration_seconds(value, option)
    if seconds > MAX_DURATION:
        raise InvalidInput(f"{option}: {value!r} is longer than 100 years; use a duration of at most 100 years, "
                           "such as 7d or 52w.", option=option, value=value)
    return seconds


def _duration_seconds(value: t.Any, option: str) -> int:
    number = _given_as_number(value, option, "duration", _DURATION_HINT)
    if number is not None:
        return number
    text = str(value).strip().lower()
    if text.isascii() and text.isdigit():
        return int(text)
    match = _DURATION_RE.match(text)
    if not text or match is None or not any(match.groups()):
        raise InvalidInput(f"{option}: {value!r} is not a duration; {_DURATION_HINT}.", option=option, value=value)
    return sum(int(amount) * seconds
               for amount, seconds in zip(match.groups(), _DURATION_UNITS.values())
               if amount is not None)


def parse_size(value: t.Any, option: str = "size") -> int:
    """Return a size in bytes (rounded down), at most MAX_SIZE; raise InvalidInput quoting the bad value."""
    size = _size_bytes(value, option)
    if size > MAX_SIZE:
        raise InvalidInput(f"{option}: {value!r} is more than a zebibyte; give a size such as 20GB or 1.5TiB.",
                           option=option, value=value)
    return size


def _size_bytes(value: t.Any, option: str) -> int:
    number = _given_as_number(value, option, "size", _SIZE_HINT)
    if number is not None:
        return number
    match = _SIZE_RE.match(str(value).strip())
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _SIZE_UNITS and unit != "":
        raise InvalidInput(f"{option}: {value!r} is not a size; {_SIZE_HINT}.", option=option, value=value)
    return int(Decimal(match.group(1)) * _SIZE_UNITS.get(unit, 1))


class Percent(float):
    """A share of a filesystem, 0 < value <= 100, as given by ``85%``."""


def parse_size_or_percent(value: t.Any, option: str = "size") -> int | Percent:
    """Return bytes, or a Percent when the value ends with ``%``."""
    match = _PERCENT_RE.match(str(value).strip())
    if match is None:
        return parse_size(value, option)
    share = float(match.group(1))
    if not 0 < share <= 100:
        raise InvalidInput(f"{option}: {value!r} is not a share between 0% and 100%; use a value such as 85%.",
                           option=option, value=value)
    return Percent(share)


_HUMAN_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def format_size(size: int) -> str:
    """Human form with decimal units and three significant digits (like ``docker images``)."""
    amount = float(size)
    for index, unit in enumerate(_HUMAN_UNITS):
        last = index == len(_HUMAN_UNITS) - 1
        if abs(amount) < 1000 or last:
            if unit == "B":
                return f"{int(amount)} B"
            text = f"{amount:.3g}"
            if abs(float(text)) < 1000 or last:
                return f"{text} {unit}"
            return f"1 {_HUMAN_UNITS[index + 1]}"  # 999.5 kB reads as 1 MB, never "1e+03 kB"
        amount /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


# The engine's RFC 3339 times: seconds, an optional fraction (up to nanoseconds), Z or an offset.
_ENGINE_TIME_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def _split_engine_time(value: str | None) -> tuple[_dt.datetime, str] | None:
    """The engine's time as (aware UTC datetime to the second, fraction digits); None for "never" or no time."""
    if not value or value == _ENGINE_ZERO_TIME or value.startswith("0001-01-01"):
        return None
    match = _ENGINE_TIME_RE.match(value)
    if match is None:
        return None
    offset = "+00:00" if match.group(3) == "Z" else match.group(3)
    seconds = _dt.datetime.fromisoformat(f"{match.group(1)}{offset}").astimezone(_dt.timezone.utc)
    return seconds, match.group(2) or ""


def parse_engine_time(value: str | None) -> _dt.datetime | None:
    """Parse the engine's RFC 3339 time (nanoseconds, any offset) into an aware UTC datetime."""
    parts = _split_engine_time(value)
    if parts is None:
        return None
    seconds, fraction = parts
    return seconds.replace(microsecond=int(fraction[:6].ljust(6, "0")))


def engine_time_ns(value: str | None) -> int | None:
    """The same time as integer nanoseconds since the epoch: log stamps need more than microseconds."""
    parts = _split_engine_time(value)
    if parts is None:
        return None
    seconds, fraction = parts
    return calendar.timegm(seconds.utctimetuple()) * 1_000_000_000 + int(fraction[:9].ljust(9, "0"))


def epoch_to_datetime(seconds: int | float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)


def format_time(moment: _dt.datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``: what every return value carries."""
    if moment is None:
        return None
    utc = moment.astimezone(_dt.timezone.utc)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


def parse_point_in_time(value: t.Any, now: _dt.datetime, option: str = "time") -> _dt.datetime:
    """A moment given as a duration ago (``10m``), an ISO 8601 time or epoch seconds, like ``docker logs --since``."""
    text = str(value).strip()
    if not text:
        raise InvalidInput(f"{option}: {value!r} is empty; give a duration (such as 10m or 2h) or an ISO 8601 time "
                           "(such as 2026-11-27T08:00:00Z), or leave it unset.", option=option, value=value)
    if re.match(r"^\d+(?:\.\d+)?$", text, re.ASCII) and len(text.split(".", maxsplit=1)[0]) >= 9:
        # Nine or more digits: an epoch timestamp, as docker logs reads it; at most year 9999.
        if float(text) > _MAX_EPOCH:
            raise InvalidInput(f"{option}: {value!r} is an epoch time after the year 9999; give epoch seconds such as "
                               "1796000000, a duration or an ISO 8601 time.", option=option, value=value)
        return epoch_to_datetime(float(text))
    try:
        return now - _dt.timedelta(seconds=parse_duration(text, option))
    except InvalidInput as exc:
        if "100 years" in exc.message:  # a duration, only too long: that is the sentence to give
            raise
    try:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{option}: {value!r} is neither a duration (such as 10m or 2h) nor an ISO 8601 time "
                           "(such as 2026-11-27T08:00:00Z); use one of those.", option=option, value=value) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)


_MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z


def now_utc() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)
