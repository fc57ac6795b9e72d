# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The units of options and returns: durations, sizes, percentages and the engine's timestamps."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._units import (
    MAX_DURATION,
    Percent,
    epoch_to_datetime,
    format_size,
    format_time,
    parse_duration,
    parse_engine_time,
    parse_point_in_time,
    parse_size,
    parse_size_or_percent,
)

UTC = dt.UTC
DURATION_HINT = "use a whole number of seconds or units s, m, h, d, w such as 30s, 15m, 12h, 7d, 2w or 1d12h"
SIZE_HINT = ("use plain bytes or a number with B, KB, MB, GB, TB (decimal) or KiB, MiB, GiB, TiB (binary), "
             "such as 512MB or 1.5GiB")
# What the integration test of host_info accepts for a ``_human`` value.
HUMAN_SIZE_RE = re.compile(r"^[0-9.]+ (B|kB|MB|GB|TB)$")

# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(("value", "seconds"), [
    ("30s", 30),
    ("15m", 900),
    ("12h", 43200),
    ("7d", 604800),
    ("2w", 1209600),
    ("1d12h", 129600),
    ("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5),
    ("90m", 5400),
    ("0s", 0),
    ("12H", 43200),
    (" 7d ", 604800),
    (3600, 3600),
    (0, 0),
    ("86400", 86400),
    ("007", 7),
], ids=repr)
def test_parse_duration_accepts_every_documented_form(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(("value", "problem"), [
    ("", "is not a duration"),
    ("   ", "is not a duration"),
    ("7x", "is not a duration"),
    ("1h1d", "is not a duration"),   # units must fall: d before h
    ("1d1d", "is not a duration"),
    ("-5", "is not a duration"),
    ("-5m", "is not a duration"),
    (-5, "is negative"),
    (-1, "is negative"),
    (True, "is not a duration"),
    (False, "is not a duration"),
    ("1.5h", "is not a duration"),
    (1.5, "is not a duration"),
    ("1 d", "is not a duration"),
    ("d", "is not a duration"),
    ("7 days", "is not a duration"),
    (None, "is not a duration"),
    ("²", "is not a duration"),      # str.isdigit() is true for superscripts, int() is not
], ids=repr)
def test_parse_duration_rejects_with_a_message_quoting_the_value(value, problem):
    with pytest.raises(InvalidInput) as caught:
        parse_duration(value, "older_than")
    assert str(caught.value) == f"older_than: {value!r} {problem}; {DURATION_HINT}."
    assert caught.value.context == {"option": "older_than", "value": value}


def test_parse_duration_names_the_default_option():
    with pytest.raises(InvalidInput, match=r"^duration: '7x' is not a duration; "):
        parse_duration("7x")


DURATION_PARTS = st.tuples(*(st.one_of(st.none(), st.integers(0, 10**6)) for _unit in "wdhms")).filter(
    lambda parts: any(part is not None for part in parts))


@given(DURATION_PARTS, st.booleans())
def test_composed_durations_add_up(parts, upper):
    text = "".join(f"{amount}{unit}" for amount, unit in zip(parts, "wdhms", strict=False) if amount is not None)
    expected = sum(amount * factor for amount, factor in zip(parts, (604800, 86400, 3600, 60, 1), strict=False)
                   if amount is not None)
    if expected > MAX_DURATION:
        with pytest.raises(InvalidInput, match="is longer than 100 years"):
            parse_duration(text.upper() if upper else text)
    else:
        assert parse_duration(text.upper() if upper else text) == expected


@given(st.integers(0, MAX_DURATION))
def test_whole_seconds_parse_as_themselves(seconds):
    assert parse_duration(seconds) == seconds
    assert parse_duration(str(seconds)) == seconds


@pytest.mark.parametrize("value", ["99999999999999999999w", "5219w", "36526d", str(MAX_DURATION + 1), MAX_DURATION + 1,
                                   10**30, "1000000000000000000000000000000s"])
def test_parse_duration_refuses_more_than_100_years(value):
    with pytest.raises(InvalidInput) as caught:
        parse_duration(value, "older_than")
    assert str(caught.value) == (f"older_than: {value!r} is longer than 100 years; use a duration of at most "
                                 "100 years, such as 7d or 52w.")
    assert caught.value.context == {"option": "older_than", "value": value}


@pytest.mark.parametrize("value", ["5217w", "36525d", MAX_DURATION, str(MAX_DURATION)])
def test_parse_duration_takes_up_to_100_years(value):
    assert parse_duration(value) <= MAX_DURATION


def test_a_point_in_time_100_years_ago_is_a_date_not_a_traceback():
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert parse_point_in_time("5217w", now, "since").year == 1926
    with pytest.raises(InvalidInput, match="^since: '99999999999w' is longer than 100 years"):
        parse_point_in_time("99999999999w", now, "since")


@given(st.text(max_size=12))
def test_parse_duration_fails_only_with_invalid_input(text):
    try:
        seconds = parse_duration(text)
    except InvalidInput as error:
        assert repr(text) in str(error)
    else:
        assert isinstance(seconds, int) and seconds >= 0


# ---------------------------------------------------------------- sizes


@pytest.mark.parametrize(("value", "size"), [
    ("512MB", 512_000_000),
    ("20GB", 20_000_000_000),
    ("1.5GiB", 1_610_612_736),
    ("1KB", 1000),
    ("1KiB", 1024),
    ("2MiB", 2_097_152),
    ("1TB", 10**12),
    ("1TiB", 2**40),
    ("1PB", 10**15),
    ("1PiB", 2**50),
    ("512mb", 512_000_000),
    ("512 MB", 512_000_000),
    ("100B", 100),
    ("100", 100),
    (100, 100),
    (0, 0),
    ("0.5KB", 500),
    ("1.9999B", 1),              # rounded down to whole bytes
    ("4.1MB", 4_100_000),        # exact, not 4099999 from 4.1 * 10**6 in binary floating point
    ("8.2GB", 8_200_000_000),
    ("1.001KB", 1001),
], ids=repr)
def test_parse_size_accepts_decimal_binary_and_plain(value, size):
    assert parse_size(value) == size


@pytest.mark.parametrize(("value", "problem"), [
    ("12 parsecs", "is not a size"),
    ("M", "is not a size"),
    ("MB", "is not a size"),
    ("-1", "is not a size"),
    (-1, "is negative"),
    ("", "is not a size"),
    ("1e6", "is not a size"),
    ("1,5GB", "is not a size"),
    (".5GB", "is not a size"),
    (True, "is not a size"),
    ("85%", "is not a size"),
], ids=repr)
def test_parse_size_rejects_with_a_message_quoting_the_value(value, problem):
    with pytest.raises(InvalidInput) as caught:
        parse_size(value, "max_image_usage")
    assert str(caught.value) == f"max_image_usage: {value!r} {problem}; {SIZE_HINT}."
    assert caught.value.context == {"option": "max_image_usage", "value": value}


SIZE_UNITS = [("B", 1), ("KB", 10**3), ("MB", 10**6), ("GB", 10**9), ("TB", 10**12),
              ("KiB", 2**10), ("MiB", 2**20), ("GiB", 2**30), ("TiB", 2**40)]


@given(st.integers(0, 10**6), st.sampled_from(SIZE_UNITS))
def test_whole_amounts_of_any_unit_are_exact(amount, unit):
    name, factor = unit
    assert parse_size(f"{amount}{name}") == amount * factor


@given(st.decimals(min_value=0, max_value=10**4, places=3, allow_nan=False, allow_infinity=False),
       st.sampled_from(SIZE_UNITS))
def test_fractional_amounts_round_down_exactly(amount, unit):
    name, factor = unit
    assert parse_size(f"{amount}{name}") == int(Decimal(amount) * factor)


# ---------------------------------------------------------------- percentages


@pytest.mark.parametrize(("value", "share"), [
    ("85%", 85.0),
    ("100%", 100.0),
    ("0.5%", 0.5),
    ("85 %", 85.0),
    (" 85% ", 85.0),
], ids=repr)
def test_percent_gives_a_share(value, share):
    parsed = parse_size_or_percent(value, "max_image_usage")
    assert isinstance(parsed, Percent)
    assert parsed == share


@pytest.mark.parametrize(("value", "size"), [("20GB", 20 * 10**9), ("1.5GiB", 1_610_612_736), (4096, 4096)])
def test_size_or_percent_passes_sizes_through(value, size):
    parsed = parse_size_or_percent(value, "max_image_usage")
    assert not isinstance(parsed, Percent)
    assert parsed == size


@pytest.mark.parametrize("value", ["0%", "101%", "100.5%", "0.0%"])
def test_percent_outside_the_filesystem_is_refused(value):
    with pytest.raises(InvalidInput) as caught:
        parse_size_or_percent(value, "max_image_usage")
    assert str(caught.value) == (f"max_image_usage: {value!r} is not a share between 0% and 100%; "
                                 "use a value such as 85%.")


@pytest.mark.parametrize("value", ["-5%", "%", "85%%", "eighty%"])
def test_malformed_percent_is_refused_as_a_size(value):
    with pytest.raises(InvalidInput, match=re.escape(f"max_image_usage: {value!r} is not a size;")):
        parse_size_or_percent(value, "max_image_usage")


# ---------------------------------------------------------------- format_size


@pytest.mark.parametrize(("size", "human"), [
    (0, "0 B"),
    (1, "1 B"),
    (999, "999 B"),
    (1000, "1 kB"),
    (1024, "1.02 kB"),
    (1500, "1.5 kB"),
    (999_499, "999 kB"),
    (999_500, "1 MB"),            # rounds up to the next unit, never "1e+03 kB"
    (999_999, "1 MB"),
    (1_000_000, "1 MB"),
    (1_985_483, "1.99 MB"),       # the df fixture's LayersSize; the CLI prints 4 digits: 1.985MB
    (512_000_000, "512 MB"),
    (20 * 10**9, "20 GB"),
    (269_490_393_088, "269 GB"),
    (10**12, "1 TB"),
    (999 * 10**12, "999 TB"),
], ids=repr)
def test_format_size_boundaries(size, human):
    assert format_size(size) == human


SIZES = st.one_of(
    st.integers(0, 10**17),
    # the neighbourhood of every unit boundary, where rounding crosses into the next unit
    st.builds(lambda power, offset: max(10**power - offset, 0), st.integers(3, 17), st.integers(0, 10**6)),
)


@given(st.integers(0, 999 * 10**12))
def test_format_size_reads_like_host_info_promises(size):
    assert HUMAN_SIZE_RE.match(format_size(size)), format_size(size)


@given(SIZES)
def test_format_size_never_uses_exponents_and_stays_below_1000_per_unit(size):
    human = format_size(size)
    assert re.match(r"^[0-9]+(\.[0-9]+)? (B|kB|MB|GB|TB|PB)$", human), human
    assert float(human.split()[0]) < 1000, human


@given(SIZES)
def test_format_size_parses_back_within_rounding(size):
    back = parse_size(format_size(size))
    # three significant digits: off by at most half a unit in the third digit
    assert abs(back - size) <= size * 0.005 + 1


@given(SIZES, SIZES)
def test_format_size_is_monotonic(a, b):
    low, high = sorted((a, b))
    assert parse_size(format_size(low)) <= parse_size(format_size(high))


# ---------------------------------------------------------------- engine time


@pytest.mark.parametrize(("text", "moment"), [
    ("2026-11-27T22:03:20.678084912Z", dt.datetime(2026, 11, 27, 22, 3, 20, 678084, tzinfo=UTC)),
    ("2026-11-27T22:03:20.5Z", dt.datetime(2026, 11, 27, 22, 3, 20, 500000, tzinfo=UTC)),
    ("2026-11-27T22:03:20Z", dt.datetime(2026, 11, 27, 22, 3, 20, tzinfo=UTC)),
    ("2026-11-27T23:03:20.678084912+01:00", dt.datetime(2026, 11, 27, 22, 3, 20, 678084, tzinfo=UTC)),
    ("2026-11-27T17:33:20-04:30", dt.datetime(2026, 11, 27, 22, 3, 20, tzinfo=UTC)),
    ("2026-11-28T00:03:20.000000001+02:00", dt.datetime(2026, 11, 27, 22, 3, 20, tzinfo=UTC)),
    ("2026-05-07T21:09:36.000000000+00:00", dt.datetime(2026, 5, 7, 21, 9, 36, tzinfo=UTC)),
], ids=repr)
def test_parse_engine_time(text, moment):
    parsed = parse_engine_time(text)
    assert parsed == moment
    assert parsed.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("text", [
    "0001-01-01T00:00:00Z",   # the engine's "never"
    "0001-01-01T00:00:00.000000000Z",
    "",
    None,
    "yesterday",
    "2026-11-27 22:03:20",
], ids=repr)
def test_parse_engine_time_gives_none_for_never_and_nonsense(text):
    assert parse_engine_time(text) is None


@pytest.mark.parametrize(("moment", "text"), [
    (dt.datetime(2026, 11, 27, 22, 3, 20, tzinfo=UTC), "2026-11-27T22:03:20Z"),
    (dt.datetime(2026, 11, 27, 22, 3, 20, 678084, tzinfo=UTC), "2026-11-27T22:03:20.678084Z"),
    (dt.datetime(2026, 11, 27, 22, 3, 20, 500000, tzinfo=UTC), "2026-11-27T22:03:20.500000Z"),
    (dt.datetime(2026, 11, 27, 23, 3, 20, tzinfo=dt.timezone(dt.timedelta(hours=1))), "2026-11-27T22:03:20Z"),
    (None, None),
], ids=repr)
def test_format_time_is_iso8601_utc_with_z(moment, text):
    assert format_time(moment) == text


def test_engine_time_round_trips_to_microseconds():
    assert format_time(parse_engine_time("2026-11-27T22:03:20.678084912Z")) == "2026-11-27T22:03:20.678084Z"


def test_epoch_to_datetime_is_utc():
    assert epoch_to_datetime(1795817000) == dt.datetime(2026, 11, 27, 22, 3, 20, tzinfo=UTC)
    assert format_time(epoch_to_datetime(0)) == "1970-01-01T00:00:00Z"


MOMENTS = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2200, 1, 1),
                       timezones=st.just(UTC))
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)))


@given(MOMENTS)
def test_format_then_parse_is_identity(moment):
    assert parse_engine_time(format_time(moment)) == moment


@given(MOMENTS, OFFSETS, st.integers(0, 999))
def test_any_offset_and_nanoseconds_read_as_the_same_utc_moment(moment, offset, nanos):
    local = moment.astimezone(offset)
    offset_text = local.strftime("%z")
    text = f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond:06d}{nanos:03d}{offset_text[:3]}:{offset_text[3:]}"
    assert parse_engine_time(text) == moment


# ---------------------------------------------------------------- points in time (logs since/until)

NOW = dt.datetime(2026, 11, 27, 22, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "moment"), [
    ("10m", NOW - dt.timedelta(minutes=10)),
    ("1d12h", NOW - dt.timedelta(hours=36)),
    ("0", NOW),
    ("2026-11-27T08:00:00Z", dt.datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC)),
    ("2026-11-27T09:00:00+01:00", dt.datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC)),
    ("2026-11-27T08:00:00", dt.datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC)),
    ("1795817000", dt.datetime(2026, 11, 27, 22, 3, 20, tzinfo=UTC)),
    ("1795817000.5", dt.datetime(2026, 11, 27, 22, 3, 20, 500000, tzinfo=UTC)),
], ids=repr)
def test_parse_point_in_time(value, moment):
    assert parse_point_in_time(value, NOW, "since") == moment


def test_parse_point_in_time_refuses_nonsense():
    with pytest.raises(InvalidInput) as caught:
        parse_point_in_time("yesterday", NOW, "since")
    assert str(caught.value) == ("since: 'yesterday' is neither a duration (such as 10m or 2h) nor an ISO 8601 time "
                                 "(such as 2026-11-27T08:00:00Z); use one of those.")
