# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tidy.docker.prune's options -> one validated ``HostPolicy`` (pure; InvalidInput on bad input).

Each kind is a dict of the options its own module has (containers: container_prune's,
images: image_prune's, volumes/networks/build_cache: engine_prune's), checked by the same
code, so a value means the same everywhere; a sentence about one names the dict it is in.
"""

from __future__ import annotations

import typing as t
from dataclasses import replace

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput, invalid_option
from ansible_collections.tidy.docker.plugins.module_utils._prune.options import (
    CONTAINER_POLICY_SPEC,
    IMAGE_POLICY_SPEC,
    PARALLEL_LIMIT,
    PROTECT_SPEC,
    check_state_path,
    container_policy_from_params,
    image_policy_from_params,
    label_selectors,
    protect_selectors,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import LabelSelector
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_host import HostPolicy
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_volumes_networks_cache import (
    BuildCachePolicy,
    EnginePrunePolicies,
    NetworkPolicy,
    VolumePolicy,
    build_cache_age,
)
from ansible_collections.tidy.docker.plugins.module_utils._references import check_container_ref, check_reference

_ENABLED = {"enabled": {"type": "bool"}}
VOLUMES_SPEC: dict[str, dict[str, t.Any]] = dict(
    _ENABLED,
    anonymous={"type": "bool", "default": True},
    named={"type": "bool", "default": False},
    exclude_labels={"type": "list", "elements": "str", "default": []},
)
NETWORKS_SPEC: dict[str, dict[str, t.Any]] = dict(_ENABLED, exclude_labels={"type": "list", "elements": "str", "default": []})
BUILD_CACHE_SPEC: dict[str, dict[str, t.Any]] = dict(_ENABLED, older_than={"type": "str"})


def _kind(spec: t.Mapping[str, t.Any], default: dict[str, t.Any] | None) -> dict[str, t.Any]:
    return {"type": "dict", "options": dict(spec), "default": default}


_REMOVE = {"remove": {"type": "list", "elements": "str", "default": []}}
STOP_TIMEOUT_LIMIT = 3600
PRUNE_SPEC: dict[str, dict[str, t.Any]] = {
    # Containers and images are pruned unless turned off; the others only when their dict is given.
    "containers": _kind(dict(CONTAINER_POLICY_SPEC, **_ENABLED, **_REMOVE, stop_timeout={"type": "int", "default": 10},
                             keep_volumes={"type": "bool", "default": True},
                             remove_keep_volumes={"type": "bool"}), {}),
    "images": _kind(dict(IMAGE_POLICY_SPEC, **_ENABLED, **_REMOVE), {}),
    "volumes": _kind(VOLUMES_SPEC, None),
    "networks": _kind(NETWORKS_SPEC, None),
    "build_cache": _kind(BUILD_CACHE_SPEC, None),
    **PROTECT_SPEC,
}


def _on(options: t.Mapping[str, t.Any] | None) -> bool:
    """A kind is pruned when its dict is there and not ``enabled: false``."""
    return options is not None and options.get("enabled") is not False


def _planned(options: t.Mapping[str, t.Any] | None) -> bool:
    """Containers and images are planned when pruned, or when some are named to go (policy off)."""
    return _on(options) or bool((options or {}).get("remove"))


def within_kind(kind: str, parse: t.Callable[[], t.Any]) -> t.Any:
    """Run ``parse``; a sentence about an option of this kind names its dict (``images.older_than: ...``)."""
    try:
        return parse()
    except InvalidInput as exc:
        option = exc.context.get("option")
        raise InvalidInput(f"{kind}.{exc.message}", **dict(exc.context, option=f"{kind}.{option}" if option else kind)) \
            from None


def host_policy_from_params(params: t.Mapping[str, t.Any]) -> HostPolicy:
    """Every kind's policy, with the protect label among each kind's exclude_labels; the watermark is
    resolved later (it needs the engine's figures)."""
    if not 1 <= params["parallel"] <= PARALLEL_LIMIT:
        raise invalid_option("parallel", params["parallel"], "is out of range",
                             f"use 1 to {PARALLEL_LIMIT} concurrent engine calls")
    check_state_path(params)
    protect = protect_selectors(params["protect_label"])
    containers, images = params["containers"], params["images"]
    container_policy = image_policy = None
    if _planned(containers):
        container_policy = within_kind("containers", lambda: container_policy_from_params(dict(containers, parallel=1)))
        container_policy = replace(container_policy, exclude_labels=container_policy.exclude_labels + protect,
                                   remove=within_kind("containers",
                                                      lambda: _references(containers["remove"], check_container_ref)),
                                   only_named=not _on(containers))
        if not 0 <= containers["stop_timeout"] <= STOP_TIMEOUT_LIMIT:
            raise invalid_option("containers.stop_timeout", containers["stop_timeout"], "is out of range",
                                 f"give the seconds a named container has to stop, 0 to {STOP_TIMEOUT_LIMIT}")
    if _planned(images):
        image_policy = within_kind("images", lambda: image_policy_from_params(dict(images, parallel=1), watermark=None))
        image_policy = replace(image_policy, exclude_labels=image_policy.exclude_labels + protect,
                               remove=within_kind("images", lambda: _references(images["remove"], check_reference)),
                               only_named=not _on(images))
    return HostPolicy(containers=container_policy, images=image_policy, engine=_engine_policies(params, protect),
                      keep_volumes=bool((containers or {}).get("keep_volumes", True)),
                      named_keep_volumes=(containers or {}).get("remove_keep_volumes"),
                      stop_timeout=int((containers or {}).get("stop_timeout") or 0))


def _engine_policies(params: t.Mapping[str, t.Any], protect: tuple[LabelSelector, ...]) -> EnginePrunePolicies:
    volumes, networks, cache = params["volumes"], params["networks"], params["build_cache"]
    volume_policy = network_policy = cache_policy = None
    if _on(volumes):
        exclude = within_kind("volumes", lambda: label_selectors(volumes["exclude_labels"], "exclude_labels"))
        volume_policy = VolumePolicy(anonymous=volumes["anonymous"], named=volumes["named"],
                                     exclude_labels=exclude + protect)
    if _on(networks):
        exclude = within_kind("networks", lambda: label_selectors(networks["exclude_labels"], "exclude_labels"))
        network_policy = NetworkPolicy(exclude_labels=exclude + protect)
    if _on(cache):
        cache_policy = BuildCachePolicy(older_than=within_kind(
            "build_cache", lambda: build_cache_age(cache["older_than"], "older_than")))
    return EnginePrunePolicies(volumes=volume_policy, networks=network_policy, build_cache=cache_policy)


def _references(texts: t.Iterable[str], check: t.Callable[[str, str], str]) -> tuple[str, ...]:
    """Names, ids or image references to remove: each one word, then one the engine could know."""
    for text in texts:
        if not text.strip() or any(c.isspace() for c in text):
            raise invalid_option("remove", text, "is not a name, id or reference",
                                 "give one per list item, without spaces")
        check(text.strip(), "remove")
    return tuple(text.strip() for text in texts)
