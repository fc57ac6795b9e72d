# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""log_truncate's options -> a validated ``LogPolicy`` (pure; InvalidInput on bad input)."""

from __future__ import annotations

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._errors import invalid_option
from ansible_collections.tidy.docker.plugins.module_utils._logs.policy import LogPolicy
from ansible_collections.tidy.docker.plugins.module_utils._prune.options import (
    PROTECT_SPEC,
    label_selectors,
    protect_selectors,
)
from ansible_collections.tidy.docker.plugins.module_utils._references import check_name_pattern
from ansible_collections.tidy.docker.plugins.module_utils._units import parse_size

LOG_TRUNCATE_SPEC: dict[str, dict[str, t.Any]] = {
    "larger_than": {"type": "str", "required": True},
    "include_running": {"type": "bool", "default": False},
    "names": {"type": "list", "elements": "str", "default": []},
    "exclude_names": {"type": "list", "elements": "str", "default": []},
    "labels": {"type": "list", "elements": "str", "default": []},
    "exclude_labels": {"type": "list", "elements": "str", "default": []},
    **PROTECT_SPEC,
    "rotated": {"type": "bool", "default": True},
    "report_kept": {"type": "bool", "default": True},
}


def log_policy_from_params(params: t.Mapping[str, t.Any]) -> LogPolicy:
    larger_than = parse_size(params["larger_than"], "larger_than")
    if larger_than < 0:
        raise invalid_option("larger_than", params["larger_than"], "is negative",
                             "give a size such as 100MB, or 0 for every non-empty log")
    names = tuple(params["names"])
    for option in ("names", "exclude_names"):
        for pattern in params[option]:
            check_name_pattern(pattern, option)
    protect = protect_selectors(params["protect_label"])
    return LogPolicy(larger_than=larger_than, include_running=params["include_running"], names=names,
                     exclude_names=tuple(params["exclude_names"]),
                     labels=label_selectors(params["labels"], "labels"),
                     exclude_labels=label_selectors(params["exclude_labels"], "exclude_labels") + protect,
                     rotated=params["rotated"])
