# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The usage-state file: when each image was last seen in use, per engine.

Least-recently-used order needs to know when an image was last used, which the
engine does not record. Each prune run stamps every image a container uses
with "now", so that one-shot runs (cron, a playbook) build the history a
resident garbage collector would keep in memory. The file is a cache: a
missing or corrupt file is tolerated and rewritten, never fatal.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._units import format_time, parse_engine_time

FORMAT_VERSION = 1
DEFAULT_USAGE_STATE_PATH = "~/.cache/tidy.docker/image-usage.json"

UsageState = dict[str, dt.datetime]


def load_usage_state(path: str, engine_id: str) -> tuple[UsageState, str | None]:
    """The recorded last uses for one engine, and a warning when the file could not be read."""
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as exc:
        return {}, f"usage_state_path {path!r} could not be read ({exc}); it will be rewritten."
    engines = data.get("engines") if isinstance(data, dict) else None
    if not isinstance(engines, dict):
        return {}, f"usage_state_path {path!r} has an unknown layout; it will be rewritten."
    state: UsageState = {}
    for image_id, stamp in (engines.get(engine_id) or {}).items():
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
        with open(full_path, encoding="utf-8") as handle:
            data = json.load(handle)
        if isinstance(data, dict) and isinstance(data.get("engines"), dict):
            engines = data["engines"]
    except (OSError, ValueError):
        pass
    engines[engine_id] = {image_id: format_time(moment) for image_id, moment in sorted(state.items())}
    try:
        os.makedirs(os.path.dirname(full_path) or ".", exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=os.path.dirname(full_path) or ".", prefix=".image-usage.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"version": FORMAT_VERSION, "engines": engines}, handle, indent=1, sort_keys=True)
        os.replace(temporary, full_path)
    except OSError as exc:
        return (f"usage_state_path {path!r} could not be written ({exc}); least-recently-used order falls back to "
                "tag and creation times.")
    return None


def refresh_usage_state(path: str, engine_id: str, in_use: t.Iterable[str], present: t.Iterable[str],
                        now: dt.datetime, check_mode: bool) -> tuple[UsageState, list[str]]:
    """Load, stamp the images in use, and (not in check mode) save: the state and any warnings."""
    state, warning = load_usage_state(path, engine_id)
    state = record_usage(state, in_use, present, now)
    warnings = [warning] if warning else []
    if not check_mode:
        warnings.append(save_usage_state(path, engine_id, state) or "")
    return state, [text for text in warnings if text]
