# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's logging driver and its options, checked before the engine sees them (pure).

The engine refuses an unknown option or a bad size only when creating, and for a drifted
container that is after the old one was removed; so the file drivers' options are checked
here. Other drivers (journald, syslog, fluentd, plugins) take options this collection does
not know, and are passed as given.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._errors import invalid_option
from ansible_collections.tidy.docker.plugins.module_utils._logs.policy import docker_size

_DRIVER_RE = re.compile(r"^[a-z0-9][a-z0-9_.:/-]*$")
# The options each file driver reads (Docker 20.10 to 26).
FILE_DRIVER_OPTIONS: dict[str, frozenset[str]] = {
    "json-file": frozenset(("max-size", "max-file", "compress", "labels", "labels-regex", "env", "env-regex", "tag")),
    "local": frozenset(("max-size", "max-file", "compress")),
}
_FIX_SIZE = "give a size as the engine reads it, such as 10m, 500k or 1g"


def parse_log_driver(value: t.Any) -> str | None:
    if value is None:
        return None
    driver = str(value).strip()
    if not _DRIVER_RE.match(driver):
        raise invalid_option("log_driver", value, "is not a logging driver name",
                             "use json-file, local, journald, syslog, none or a plugin's name")
    return driver


def _option_text(key: str, value: t.Any) -> str:
    # The engine stores every option as text; YAML's true and 3 mean "true" and "3".
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, (dict, list)):
        raise invalid_option("log_options", {key: value}, "is not a text value", f"give {key} as a string such as \"3\"")
    return str(value)


def parse_log_options(value: t.Any, driver: str | None) -> dict[str, str] | None:
    """The options as text, sorted; a file driver's unknown key or bad size, count or switch refused."""
    if value is None:
        return None
    options = {str(key): _option_text(str(key), item) for key, item in dict(value).items()}
    known = FILE_DRIVER_OPTIONS.get(driver or "")
    for key, text in options.items():
        if known is not None and key not in known:
            raise invalid_option("log_options", key, f"is not an option of the {driver} logging driver",
                                 f"use {', '.join(sorted(known))}")
        if key == "max-size" and docker_size(text) is None and text != "-1":
            raise invalid_option("log_options", {key: text}, "is not a size", _FIX_SIZE)
        if key == "max-file" and not (text.isdigit() and int(text) >= 1):
            raise invalid_option("log_options", {key: text}, "is not a count of files", "give 1 or more, such as 3")
        if key == "compress" and text not in ("true", "false"):
            raise invalid_option("log_options", {key: text}, "is not true or false", "give true or false")
    return dict(sorted(options.items()))


def log_config_request(driver: str | None, options: t.Mapping[str, str] | None) -> dict[str, t.Any] | None:
    """HostConfig.LogConfig: an empty Type keeps the engine's default driver, as ``--log-opt`` alone does."""
    if driver is None and options is None:
        return None
    return {"Type": driver or "", "Config": dict(options or {})}


def relevant_log_options(actual: t.Mapping[str, str], wanted: t.Mapping[str, str]) -> dict[str, str]:
    """The options a task answers for: the engine copies its daemon-wide log-opts into every container
    it creates, so options the task does not set are not compared."""
    return {key: value for key, value in sorted(actual.items()) if key in wanted}
