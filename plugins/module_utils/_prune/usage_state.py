# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The usage-state file: when each image was last seen in use, per engine.

Least-recently-used order needs to know when an image was last used, which the
engine does not record. Each prune run stamps every image a container uses
with "now", so that one-shot runs (cron, a playbook) build the history a
resident garbage collector would keep in memory. The file is a cache: a
missing or corrupt file, or valid JSON of any other shape, is tolerated and
rewritten, never fatal.

Entries are keyed by ``usage_state_key``: the engine ID alone is not unique, since
engines cloned from one disk image share ``/etc/docker/key.json`` and so one ID.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._units import format_time, parse_engine_time

FORMAT_VERSION = 1
DEFAULT_USAGE_STATE_PATH = "~/.cache/tidy.docker/image-usage.json"

UsageState = dict[str, dt.datetime]

# Joins the parts of a key; neither an engine ID nor a host name can hold it.
_KEY_SEPARATOR = "|"


def usage_state_key(info: t.Mapping[str, t.Any], docker_host: str, engine: str = "docker") -> str:
    """The key of one engine's entry, from the engine's ``/info``: ``ID|Name|DockerRootDir``.

    The ID tells engines apart that were installed separately; the host name tells
    apart VMs cloned from one image (same ID, same root directory, hostnames set per
    clone); the root directory tells apart engines side by side on one host (same ID
    and host name, but two daemons cannot share a root). All three survive a restart
    or an upgrade of the engine. An engine that reports no ID is keyed by its address.
    Podman's ``/info`` answers a new random ID on every call, so on Podman (``engine``)
    the ID is ``podman``: its host name and storage root tell its engines apart.
    """
    engine_id = "podman" if engine == "podman" else str(info.get("ID") or "").strip()
    if not engine_id:
        return docker_host
    return _KEY_SEPARATOR.join((engine_id, str(info.get("Name") or ""), str(info.get("DockerRootDir") or "")))


def _legacy_key(key: str) -> str | None:
    """The bare engine ID that keyed this engine's entry before 0.2, if ``key`` is a composite key."""
    engine_id, separator, _rest = key.partition(_KEY_SEPARATOR)
    return engine_id if separator else None


def _engine_entry(engines: t.Mapping[str, t.Any], engine_id: str) -> tuple[t.Any, bool]:
    """This engine's raw entry, falling back to one under its bare ID (migrated on the next save)."""
    if engine_id in engines:
        return engines[engine_id], False
    legacy = _legacy_key(engine_id)
    if legacy is not None and legacy in engines:
        return engines[legacy], True
    return None, False


def _read_json(full_path: str) -> t.Any:
    with open(full_path, encoding="utf-8") as handle:
        return json.load(handle)


def load_usage_state(path: str, engine_id: str) -> tuple[UsageState, str | None]:
    """The recorded last uses for one engine, and a warning when the file could not be read."""
    try:
        data = _read_json(os.path.expanduser(path))
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deeply to parse
        return {}, f"usage_state_path {path!r} could not be read ({exc}); it will be rewritten."
    engines = data.get("engines") if isinstance(data, dict) else None
    if not isinstance(engines, dict):
        return {}, f"usage_state_path {path!r} has an unknown layout; it will be rewritten."
    entry, _migrated = _engine_entry(engines, engine_id)
    if entry is None:
        return {}, None
    if not isinstance(entry, dict):
        return {}, (f"usage_state_path {path!r} holds a {type(entry).__name__} where this engine's image times "
                    "belong; its entry will be rewritten.")
    state: UsageState = {}
    for image_id, stamp in entry.items():
        moment = parse_engine_time(stamp) if isinstance(stamp, str) else None
        if moment is not None:
            state[str(image_id)] = moment
    return state, None


def record_usage(state: t.Mapping[str, dt.datetime], in_use: t.Iterable[str], present: t.Iterable[str],
                 now: dt.datetime) -> UsageState:
    """Stamp images in use with ``now``; forget images the engine no longer has."""
    present_ids = set(present)
    updated = {image_id: moment for image_id, moment in state.items() if image_id in present_ids}
    updated.update({image_id: now for image_id in in_use if image_id in present_ids})
    return updated


def save_usage_state(path: str, engine_id: str, state: t.Mapping[str, dt.datetime]) -> str | None:
    """Write atomically (other engines' entries kept); a warning instead of an error on failure."""
    full_path = os.path.expanduser(path)
    engines: dict[str, t.Any] = {}
    try:
        data = _read_json(full_path)
        if isinstance(data, dict) and isinstance(data.get("engines"), dict):
            engines = data["engines"]
    except (OSError, ValueError, RecursionError):
        pass
    _entry, migrated = _engine_entry(engines, engine_id)
    if migrated:
        # The bare-ID entry now lives under the composite key; a clone sharing that ID starts afresh.
        engines.pop(str(_legacy_key(engine_id)), None)
    engines[engine_id] = {image_id: format_time(moment) for image_id, moment in sorted(state.items())}
    try:
        _write_atomically(full_path, {"version": FORMAT_VERSION, "engines": engines})
    except OSError as exc:
        return (f"usage_state_path {path!r} could not be written ({exc}); "
                "least-recently-used order falls back to tag and creation times.")
    return None


def _write_atomically(full_path: str, data: t.Any) -> None:
    """Write a temporary file beside ``full_path`` and rename it over; never leave the temporary behind."""
    directory = os.path.dirname(full_path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".image-usage.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(temporary, full_path)
    except BaseException:
        # e.g. full_path is a directory: os.replace refuses, and the temporary must not pile up run after run.
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def refresh_usage_state(path: str, engine_id: str, in_use: t.Iterable[str], present: t.Iterable[str],
                        now: dt.datetime, check_mode: bool) -> tuple[UsageState, list[str]]:
    """Load, stamp the images in use, and (not in check mode) save: the state and any warnings."""
    if os.path.isdir(os.path.expanduser(path)):
        return record_usage({}, in_use, present, now), [
            f"usage_state_path {path!r} is a directory; set it to a file path such as "
            f"{os.path.join(path, 'image-usage.json')!r}. Least-recently-used order falls back to tag and creation "
            "times."]
    state, warning = load_usage_state(path, engine_id)
    state = record_usage(state, in_use, present, now)
    warnings = [warning] if warning else []
    if not check_mode:
        warnings.append(save_usage_state(path, engine_id, state) or "")
    return state, [text for text in warnings if text]
