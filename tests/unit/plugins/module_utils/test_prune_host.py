# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tidy.docker.prune's pure half: its options become one policy, and the plan cascades (issue 12, item 2)."""

from __future__ import annotations

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._prune.host_options import PRUNE_SPEC, host_policy_from_params
from ansible_collections.tidy.docker.plugins.module_utils._prune.options import RUN_SPEC
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import LabelSelector
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_host import HostInventory, plan_host
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_volumes_networks_cache import (
    EngineInventory,
    Network,
    Volume,
)
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.policy_factories import (
    NOW,
    container,
    image,
    image_id,
)

PROTECT = LabelSelector("tidy.docker.keep", "true")


def defaults(spec: dict) -> dict:
    """What Ansible gives a module for options left out (suboptions of a given dict filled in likewise)."""
    values = {}
    for name, option in spec.items():
        default = option.get("default")
        if option.get("type") == "dict" and default is not None:
            default = dict(defaults(option["options"]), **default)
        values[name] = default
    return values


def params(**given: dict) -> dict:
    values = defaults(dict(PRUNE_SPEC, **RUN_SPEC))
    for kind, options in given.items():
        spec = PRUNE_SPEC[kind]
        values[kind] = dict(defaults(spec["options"]), **options) if spec.get("type") == "dict" else options
    return values


def test_by_default_containers_and_images_with_the_protect_label_and_nothing_else():
    policy = host_policy_from_params(params())
    assert policy.containers is not None and PROTECT in policy.containers.exclude_labels
    assert policy.images is not None and policy.images.scope == "dangling" and PROTECT in policy.images.exclude_labels
    assert policy.engine.volumes is None and policy.engine.networks is None and policy.engine.build_cache is None


def test_a_kind_given_as_a_dict_is_pruned_and_enabled_false_turns_it_off():
    policy = host_policy_from_params(params(volumes={}, networks={"enabled": False}, build_cache={"older_than": "7d"},
                                            images={"enabled": False}))
    assert policy.engine.volumes is not None and policy.engine.volumes.anonymous and not policy.engine.volumes.named
    assert PROTECT in policy.engine.volumes.exclude_labels
    assert policy.engine.networks is None and policy.images is None
    assert policy.engine.build_cache is not None and policy.engine.build_cache.older_than == 7 * 86400


@pytest.mark.parametrize(("given", "sentence"), [
    ({"containers": {"older_than": "7x"}}, "containers.older_than: '7x' is not a duration"),
    ({"images": {"keep_last": -1}}, "images.keep_last: -1 is negative"),
    ({"images": {"labels": ["=x"]}}, "images.labels: '=x' has no label key"),
    ({"volumes": {"exclude_labels": [""]}}, "volumes.exclude_labels: '' has no label key"),
    ({"build_cache": {"older_than": "0s"}}, "build_cache.older_than: '0s' is no duration"),
    ({"containers": {"remove": ["web app"]}}, "containers.remove: 'web app' is not a name, id or reference"),
    ({"containers": {"stop_timeout": -1}}, "containers.stop_timeout: -1 is out of range"),
    ({"protect_label": "=true"}, "protect_label: '=true' has no label key"),
    ({"parallel": 0}, "parallel: 0 is out of range"),
])
def test_bad_values_name_the_kind_and_the_option(given, sentence):
    values = params(**{k: v for k, v in given.items() if k in PRUNE_SPEC and isinstance(v, dict)})
    values.update({k: v for k, v in given.items() if not isinstance(v, dict)})
    with pytest.raises(InvalidInput) as raised:
        host_policy_from_params(values)
    assert raised.value.message.startswith(sentence), raised.value.message
    assert raised.value.message.endswith(".") and "\n" not in raised.value.message


def test_the_plan_cascades_through_the_containers_it_removes():
    old, app = image_id("app"), image_id("kept-app")
    containers = (container("old-0000000000", name="old", image=old),
                  container("svc-0000000000", name="svc", image=app, state="running"))
    inventory = HostInventory(
        containers=containers, images=(image(old, "app:1"), image(app, "app:2")),
        engine=EngineInventory(
            volumes=(Volume("a" * 64, users=frozenset({"old-0000000000"}), anonymous=True, size=10),
                     Volume("b" * 64, users=frozenset({"svc-0000000000"}), anonymous=True)),
            networks=(Network("n1", "old-net", users=frozenset({"old-0000000000"})),
                      Network("n2", "svc-net", users=frozenset({"svc-0000000000"})))))
    policy = host_policy_from_params(params(images={"scope": "unused", "keep_unpullable": False}, volumes={},
                                            networks={}))
    plans = dict(plan_host(inventory, policy, NOW))
    assert list(plans) == ["container", "image", "volume", "network"]
    assert {d.id: d.reason for d in plans["container"].removals} == {"old-0000000000": "stopped"}
    assert {d.id: d.reason for d in plans["image"].removals} == {old: "unused"}
    assert {d.id: d.reason for d in plans["image"].kept} == {app: "in_use"}
    assert [d.id for d in plans["volume"].removals] == ["a" * 64]
    assert [d.id for d in plans["network"].removals] == ["n1"]
    assert {d.id: d.reason for d in plans["network"].kept} == {"n2": "in_use"}
