# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module options of the prune modules -> validated policies (pure; InvalidInput on bad input)."""

from __future__ import annotations

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    CONTAINER_STATUSES,
    ContainerPolicy,
    ImagePolicy,
    LabelSelector,
    Watermark,
)
from ansible_collections.tidy.docker.plugins.module_utils._records import Record
from ansible_collections.tidy.docker.plugins.module_utils._references import (
    check_container_ref,
    check_name_pattern,
    check_reference_pattern,
)
from ansible_collections.tidy.docker.plugins.module_utils._units import Percent, parse_duration, parse_size_or_percent

PARALLEL_LIMIT = 64
# The largest count a cap or keep_last may name: far above any engine's objects, far below where
# a number stops being one (an int the engine or a slice cannot take). Beyond it a value is a typo.
COUNT_LIMIT = 1_000_000
# What the pruning modules never remove unless told otherwise (DESIGN 0.2: safe by default).
DEFAULT_PROTECT_LABEL = "tidy.docker.keep=true"
# The one option of every pruning module that protects labelled objects; documented once in
# plugins/doc_fragments/_prune_options.py (PROTECT).
PROTECT_SPEC: dict[str, dict[str, t.Any]] = {"protect_label": {"type": "str", "default": DEFAULT_PROTECT_LABEL}}
# Removals in flight. bench/run.py --phases sweep (2 cores, Docker 20.10, 1,000 exited containers
# and 300 images, ad-hoc container_prune then image_prune, median of 3 interleaved runs):
# parallel 1: 7.82 s, 2: 6.55 s, 4: 5.81 s, 8: 5.57 s, 16: 5.72 s (docs/performance.md). The engine
# removes containers one at a time internally whoever asks; a few requests in flight keep it busy.
DEFAULT_PARALLEL = 8

# The options of a container or image policy that both kinds have (container_prune, image_prune,
# and prune's containers and images dicts).
POLICY_COMMON_SPEC: dict[str, dict[str, t.Any]] = {
    "older_than": {"type": "str"},
    "exclude_labels": {"type": "list", "elements": "str", "default": []},
    "labels": {"type": "list", "elements": "str", "default": []},
    "max_removals": {"type": "int", "default": 0},
}
# What one run of a prune module does with its plan, whatever it prunes.
RUN_SPEC: dict[str, dict[str, t.Any]] = {
    "parallel": {"type": "int", "default": DEFAULT_PARALLEL},
    "report_kept": {"type": "bool", "default": True},
}
CONTAINER_POLICY_SPEC: dict[str, dict[str, t.Any]] = dict(
    POLICY_COMMON_SPEC,
    statuses={"type": "list", "elements": "str", "choices": list(CONTAINER_STATUSES), "default": ["exited", "dead"]},
    names={"type": "list", "elements": "str", "default": []},
    exclude_names={"type": "list", "elements": "str", "default": []},
    exclude_restart_policies={"type": "list", "elements": "str", "default": ["always", "unless-stopped"],
                              "choices": ["no", "always", "on-failure", "unless-stopped"]},
)
IMAGE_POLICY_SPEC: dict[str, dict[str, t.Any]] = dict(
    POLICY_COMMON_SPEC,
    scope={"type": "str", "choices": ["dangling", "unused"], "default": "dangling"},
    keep_last={"type": "int"},
    exclude={"type": "list", "elements": "str", "default": []},
    keep_unpullable={"type": "bool", "default": True},
    max_image_usage={"type": "str"},
    target_image_usage={"type": "str"},
    force={"type": "bool", "default": False},
)


def _selectors(params: t.Mapping[str, t.Any], option: str) -> tuple[LabelSelector, ...]:
    selectors = tuple(LabelSelector.parse(text) for text in params[option] or [])
    for text, selector in zip(params[option] or [], selectors):
        if not selector.key:
            raise InvalidInput(f"{option}: {text!r} has no label key; use key or key=value.", option=option, value=text)
    return selectors


def label_selectors(texts: t.Iterable[str] | None, option: str) -> tuple[LabelSelector, ...]:
    """``key`` / ``key=value`` texts of ``option`` as selectors; InvalidInput for one without a key (``=x``, empty).

    For modules outside COMMON_PRUNE_SPEC (engine_prune): the same check and sentence as ``labels``.
    """
    return _selectors({option: list(texts or [])}, option)


def protect_selectors(text: str | None) -> tuple[LabelSelector, ...]:
    """``protect_label`` as the selectors it adds to every kind's exclude_labels.

    ``key=value`` or ``key`` (any value); an empty string protects nothing (the option turned off);
    ``=x`` or a key with spaces is refused, since it could never match and would protect nothing silently.
    """
    if text is None or text == "":
        return ()
    selector = label_selectors([text], "protect_label")[0]
    if any(c.isspace() for c in selector.key):
        raise InvalidInput(f"protect_label: {text!r} has a space in its key; use key or key=value, such as "
                           f"{DEFAULT_PROTECT_LABEL}, or an empty string to protect nothing.",
                           option="protect_label", value=text)
    return (selector,)


def check_state_path(params: t.Mapping[str, t.Any]) -> None:
    """An empty usage_state_path would make the state file's temp file and rename fail on every run."""
    path = params.get("usage_state_path")
    if path is not None and not str(path).strip():
        raise InvalidInput(f"usage_state_path: {path!r} is empty; give a file path such as "
                           "~/.cache/tidy.docker/image-usage.json, or leave it unset.", option="usage_state_path",
                           value=path)


def _count(params: t.Mapping[str, t.Any], option: str, fix: str) -> None:
    value = params[option]
    if value is not None and not 0 <= value <= COUNT_LIMIT:
        problem = "is negative" if value < 0 else f"is above {COUNT_LIMIT:,}"
        raise InvalidInput(f"{option}: {value} {problem}; {fix}.", option=option, value=value)


def _common(params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    _count(params, "max_removals", f"use 0 for no cap or a cap up to {COUNT_LIMIT:,}")
    if not 1 <= params["parallel"] <= PARALLEL_LIMIT:
        raise InvalidInput(f"parallel: {params['parallel']} is out of range; use 1 to {PARALLEL_LIMIT} concurrent engine calls.",
                           option="parallel", value=params["parallel"])
    return {
        "older_than": parse_duration(params["older_than"], "older_than") if params["older_than"] is not None else None,
        "labels": _selectors(params, "labels"),
        # The protect label is one more exclude label (reason excluded_label); prune's kinds get it from
        # host_options, so their dicts have no protect_label of their own.
        "exclude_labels": _selectors(params, "exclude_labels") + protect_selectors(params.get("protect_label")),
        "max_removals": params["max_removals"],
    }


def container_policy_from_params(params: t.Mapping[str, t.Any]) -> ContainerPolicy:
    unknown = sorted(set(params["statuses"]) - set(CONTAINER_STATUSES))
    if unknown:
        raise InvalidInput(f"statuses: {unknown[0]!r} is not a stopped state; use exited, created or dead "
                           "(running containers are never pruned).", option="statuses", value=unknown[0])
    if not params["statuses"]:
        raise InvalidInput("statuses: [] selects no container; list one or more of exited, created and dead.",
                           option="statuses", value=[])
    for option in ("names", "exclude_names"):
        for pattern in params[option]:
            check_name_pattern(pattern, option)
    return ContainerPolicy(
        statuses=frozenset(params["statuses"]),
        names=tuple(params["names"]),
        exclude_names=tuple(params["exclude_names"]),
        exclude_restart_policies=frozenset(params["exclude_restart_policies"]),
        **_common(params),
    )


def watermark_from_params(params: t.Mapping[str, t.Any], layers_size: int,
                          filesystem: Record | None) -> Watermark | None:
    """Resolve ``max_image_usage``/``target_image_usage`` to bytes against the right usage figure.

    Sizes compare with the images' own disk usage; percentages with the
    filesystem that holds the engine's data root, which must be local.
    """
    high_text, low_text = params["max_image_usage"], params["target_image_usage"]
    if high_text is None:
        if low_text is not None:
            raise InvalidInput("target_image_usage needs max_image_usage: set the high mark that starts removals too.",
                               option="target_image_usage", value=low_text)
        return None
    high = parse_size_or_percent(high_text, "max_image_usage")
    low = parse_size_or_percent(low_text, "target_image_usage") if low_text is not None else high
    if isinstance(high, Percent) != isinstance(low, Percent):
        raise InvalidInput(f"max_image_usage {high_text!r} and target_image_usage {low_text!r} mix a size and a "
                           "percentage; give both as sizes (20GB) or both as percentages (85%).",
                           option="target_image_usage", value=low_text)
    if isinstance(high, Percent):
        if filesystem is None:
            raise InvalidInput(f"max_image_usage {high_text!r} is a share of the engine's filesystem, which is only "
                               "known when the module runs on the engine's host; give a size such as 20GB instead.",
                               option="max_image_usage", value=high_text)
        # Like df's Use%: a share of what is usable (used + available to non-root), so that
        # 85% here is 85% in df and in host_info's used_percent.
        used = int(filesystem["used"])
        usable = used + int(filesystem["free"])
        watermark = Watermark(usage=used, high=int(usable * high / 100), low=int(usable * low / 100))
    else:
        watermark = Watermark(usage=layers_size, high=int(high), low=int(low))
    if watermark.low > watermark.high:
        raise InvalidInput(f"target_image_usage {low_text!r} is above max_image_usage {high_text!r}; the target must "
                           "be at or below the high mark.", option="target_image_usage", value=low_text)
    return watermark


def image_policy_from_params(params: t.Mapping[str, t.Any], watermark: Watermark | None) -> ImagePolicy:
    _count(params, "keep_last", f"give how many newest images per repository to keep, 0 to {COUNT_LIMIT:,}")
    for pattern in params["exclude"]:
        check_reference_pattern(pattern, "exclude")
    check_state_path(params)
    # The marks are resolved against the engine's figures later; their text is checked now, before any call.
    for option in ("max_image_usage", "target_image_usage"):
        if params[option] is not None:
            parse_size_or_percent(params[option], option)
    for container in params.get("removed_containers") or ():
        check_container_ref(container, "removed_containers")
    return ImagePolicy(
        scope=params["scope"],
        keep_last=params["keep_last"],
        exclude=tuple(params["exclude"]),
        keep_unpullable=params["keep_unpullable"],
        watermark=watermark,
        **_common(params),
    )
