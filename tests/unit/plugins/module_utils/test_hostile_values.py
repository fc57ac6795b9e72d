# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 13's hostile values, checked where they are refused (pure code, no engine).

tests/engine/test_hostile_input.py runs the same kind of values through the modules against a
real engine; these pin each sentence and the values that must still be accepted.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import ConnectionSettings
from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._info_reads import (
    CONTAINER_FILTERS,
    IMAGE_FILTERS,
    check_count,
    check_filters,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.host_options import PRUNE_SPEC, host_policy_from_params
from ansible_collections.tidy.docker.plugins.module_utils._prune.options import (
    CONTAINER_POLICY_SPEC,
    IMAGE_POLICY_SPEC,
    PROTECT_SPEC,
    RUN_SPEC,
    container_policy_from_params,
    image_policy_from_params,
    protect_selectors,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import LabelSelector
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_volumes_networks_cache import (
    engine_prune_policies,
)
from ansible_collections.tidy.docker.plugins.module_utils._references import (
    check_container_ref,
    check_name_pattern,
    check_reference,
    check_reference_pattern,
)
from ansible_collections.tidy.docker.plugins.module_utils._units import parse_duration, parse_point_in_time, parse_size

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def defaults(spec: t.Mapping[str, t.Mapping[str, t.Any]], **overrides: t.Any) -> dict[str, t.Any]:
    return {**{name: option.get("default") for name, option in spec.items()}, **overrides}


# ---------------------------------------------------------------- docker_host, timeout, TLS


@pytest.mark.parametrize(("host", "says"), [
    ("tcp://", "'tcp://' has no valid host name"),
    ("https://", "'https://' has no valid host name"),
    ("ssh://", "'ssh://' has no valid host name"),
    ("tcp://:2375", "has no valid host name"),
    ("tcp://host name:2375", "has no valid host name"),
    ("tcp://127.0.0.1:99999", "has a port that is not a number from 1 to 65535"),
    ("tcp://127.0.0.1:0", "has a port that is not a number from 1 to 65535"),
    ("tcp://127.0.0.1:-1", "has a port that is not a number from 1 to 65535"),
    ("tcp://127.0.0.1:abc", "has a port that is not a number from 1 to 65535"),
    ("tcp://127.0.0.1:", "has a port that is not a number from 1 to 65535"),
    ("ssh://host:70000", "has a port that is not a number from 1 to 65535"),
    ("http://x", "'http://x' has no port; give the engine's port, such as http://x:2376 (TLS) or 2375."),
    ("tcp://user@127.0.0.1:2375", "has a user name, which only an ssh:// address uses"),
    ("ssh://user@host/path", "has a path, which an ssh:// address cannot have"),
    ("unix://", "has no absolute path"),
    ("unix://relative/docker.sock", "has no absolute path"),
    ("npipe://", "has no absolute path"),
])
def test_bad_addresses_are_one_sentence_before_any_call(make_params: t.Any, host: str, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ConnectionSettings.from_params(make_params(docker_host=host), environ={})
    assert str(caught.value).startswith(f"docker_host: {host!r} ")
    assert says in str(caught.value)
    assert caught.value.context == {"option": "docker_host", "value": host}


@pytest.mark.parametrize("host", [
    "unix:///var/run/docker.sock", "tcp://127.0.0.1:2375", "tcp://[::1]:2376", "tcp://engine.example:2376",
    "https://engine.example:2376", "http://10.0.0.1:2375", "ssh://user@host", "ssh://host:2222",
    "tcp://engine.example:2376/prefix", "npipe:////./pipe/docker_engine",
])
def test_good_addresses_pass(make_params: t.Any, host: str) -> None:
    assert ConnectionSettings.from_params(make_params(docker_host=host), environ={}).docker_host == host


@pytest.mark.parametrize("timeout", [86401, 10**30])
def test_timeout_is_bounded(make_params: t.Any, timeout: int) -> None:
    with pytest.raises(InvalidInput, match=rf"^timeout: {timeout} is out of range; .* 1 to 86400\.$"):
        ConnectionSettings.from_params(make_params(timeout=timeout), environ={})


@pytest.mark.parametrize("host", ["unix:///var/run/docker.sock", "ssh://user@host", "npipe:////./pipe/docker_engine"])
@pytest.mark.parametrize("option", ["tls", "validate_certs"])
def test_tls_on_an_address_without_tls_is_refused(make_params: t.Any, host: str, option: str) -> None:
    params = make_params(docker_host=host, client_key="/junk/key.pem", client_cert="/junk/cert.pem", **{option: True})
    with pytest.raises(InvalidInput) as caught:
        ConnectionSettings.from_params(params, environ={})
    assert str(caught.value).startswith(f"{option}: true does not apply to {host!r}")
    assert "/junk" not in str(caught.value)


def test_api_version_parts_are_bounded(make_params: t.Any) -> None:
    with pytest.raises(InvalidInput, match=r"^api_version: '1\.99999999999999999999' is not an API version"):
        ConnectionSettings.from_params(make_params(api_version="1.99999999999999999999"), environ={})


# ---------------------------------------------------------------- references and names


@pytest.mark.parametrize("text", [
    "busybox", "busybox:1.36", "registry:5000/team/app:1.2", "Registry.Local:5000/app", "localhost/app",
    "tidy-test/app:1", "abc123", "sha256:" + "a" * 64, "app@sha256:" + "b" * 64, "docker.io/library/busybox:latest",
])
def test_references_the_engine_takes_pass(text: str) -> None:
    assert check_reference(text, "name") == text


@pytest.mark.parametrize(("text", "problem"), [
    ("", "is empty"), ("   ", "is empty"), ("a::b", "is not a valid image reference"),
    ("UPPER/case:1", "has upper-case letters"), ("UPPER:case", "has upper-case letters"),
    ("repo@sha256:123", "is not a valid image reference"), ("repo:", "is not a valid image reference"),
    (":tag", "is not a valid image reference"), ("repo:tag with space", "contains a space"),
])
def test_references_the_engine_refuses_are_one_sentence(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_reference(text, "name")
    assert str(caught.value).startswith(f"name: {text!r} {problem}")
    assert str(caught.value).endswith("in lower case (for example busybox:1.36).")


@pytest.mark.parametrize("pattern", ["postgres:*", "*/base:*", "registry.local/*", "*", "repo@sha256:*", "app:1.?"])
def test_reference_patterns_that_can_match_pass(pattern: str) -> None:
    assert check_reference_pattern(pattern, "exclude") == pattern


@pytest.mark.parametrize("pattern", ["UPPER:case", "a::b", "", "a b", "repo:"])
def test_reference_patterns_that_never_match_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidInput, match=r"so it can never match an image"):
        check_reference_pattern(pattern, "exclude")


@pytest.mark.parametrize("text", ["", " ", "a b", "a::b", "-leading"])
def test_container_refs_and_name_patterns(text: str) -> None:
    with pytest.raises(InvalidInput):
        check_container_ref(text, "name")
    with pytest.raises(InvalidInput, match="can never match a container name"):
        check_name_pattern(text, "names")
    assert check_container_ref("/web-1", "name") == "/web-1"
    assert check_name_pattern("web-*", "names") == "web-*"


# ---------------------------------------------------------------- numbers, durations, sizes, times


def test_durations_take_ascii_digits_only() -> None:
    with pytest.raises(InvalidInput, match="is not a duration"):
        parse_duration("\u0661\u0662d", "older_than")


def test_sizes_are_bounded() -> None:
    with pytest.raises(InvalidInput, match="is more than a zebibyte"):
        parse_size("99999999999999999999999999PB", "max_image_usage")
    assert parse_size("1000000PiB", "max_image_usage") == 10**6 * 2**50


@pytest.mark.parametrize(("value", "says"), [
    ("99999999999999999999w", "is longer than 100 years"),
    ("99999999999999999999", "is an epoch time after the year 9999"),
    ("", "is empty"),
])
def test_points_in_time_out_of_range(value: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=f"^since: {value!r} {says}"):
        parse_point_in_time(value, NOW, "since")


@pytest.mark.parametrize(("value", "minimum"), [(0, 1), (-1, 0), (10**20, 1)])
def test_counts_are_bounded(value: int, minimum: int) -> None:
    with pytest.raises(InvalidInput, match=f"^last: {value} is out of range; .*, {minimum} to 1,000,000\\.$"):
        check_count(value, "last", "give how many", minimum=minimum)


@pytest.mark.parametrize(("filters", "says"), [
    ({"colour": ["red"]}, "'colour' is not a filter the engine knows"),
    ({"status": ["sleepy"]}, "status='sleepy' is not a value of that filter"),
    ({"label": ["=x"]}, "label='=x' has no label key"),
    ({"name": [""]}, "name='' has no value"),
])
def test_container_filters(filters: dict[str, t.Any], says: str) -> None:
    with pytest.raises(InvalidInput, match=f"^filters: {says}"):
        check_filters(filters, "filters", CONTAINER_FILTERS)


def test_good_filters_pass() -> None:
    check_filters({"status": "exited", "label": ["a=b"]}, "filters", CONTAINER_FILTERS)
    check_filters({"dangling": True, "reference": "busybox:*"}, "filters", IMAGE_FILTERS)


@pytest.mark.parametrize(("option", "value", "says"), [
    ("max_removals", 10**20, "is above 1,000,000"),
    ("names", [""], "can never match a container name"),
    ("exclude_names", ["a b"], "can never match a container name"),
    ("statuses", [], "selects no container"),
])
def test_container_policy_refusals(option: str, value: t.Any, says: str) -> None:
    params = defaults(CONTAINER_POLICY_SPEC, **defaults(RUN_SPEC), **{option: value})
    with pytest.raises(InvalidInput, match=says):
        container_policy_from_params(params)


@pytest.mark.parametrize(("option", "value", "says"), [
    ("keep_last", 10**20, "is above 1,000,000"),
    ("exclude", ["UPPER:case"], "has upper-case letters"),
    ("removed_containers", [""], "is not a container name or id"),
    ("usage_state_path", "", "usage_state_path: '' is empty"),
])
def test_image_policy_refusals(option: str, value: t.Any, says: str) -> None:
    params = defaults(IMAGE_POLICY_SPEC, **defaults(RUN_SPEC), **{option: value})
    with pytest.raises(InvalidInput, match=says):
        image_policy_from_params(params, watermark=None)


# ---------------------------------------------------------------- protect_label


def test_protect_label_is_one_more_exclude_label_of_each_pruning_module() -> None:
    keep = LabelSelector.parse("tidy.docker.keep=true")
    containers = container_policy_from_params(defaults(CONTAINER_POLICY_SPEC, **defaults(RUN_SPEC), **defaults(PROTECT_SPEC)))
    images = image_policy_from_params(defaults(IMAGE_POLICY_SPEC, **defaults(RUN_SPEC), **defaults(PROTECT_SPEC)),
                                      watermark=None)
    engine = engine_prune_policies({"volumes": True, "networks": True, "exclude_labels": [], "parallel": 8,
                                    **defaults(PROTECT_SPEC)})
    host = host_policy_from_params(defaults(PRUNE_SPEC, **defaults(RUN_SPEC), usage_state_path="/state.json",
                                            containers=defaults(PRUNE_SPEC["containers"]["options"]), images=None))
    assert containers.exclude_labels == (keep,) and images.exclude_labels == (keep,)
    assert engine.volumes is not None and engine.volumes.exclude_labels == (keep,)
    assert host.containers is not None and host.containers.exclude_labels == (keep,)


def test_protect_label_key_alone_and_empty() -> None:
    assert protect_selectors("team.keep") == (LabelSelector.parse("team.keep"),)
    assert protect_selectors("") == ()
    assert protect_selectors(None) == ()


@pytest.mark.parametrize(("text", "says"), [
    ("=x", "has no label key"), (" ", "has no label key"), ("a b=c", "has a space in its key"),
])
def test_protect_label_that_protects_nothing_by_mistake_is_refused(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=f"^protect_label: {text!r} {says}"):
        protect_selectors(text)
