# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared connection options: names, aliases, defaults and DOCKER_* fallbacks."""

from __future__ import annotations

import copy

import pytest
import yaml
from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.tidy.docker.plugins.doc_fragments._connection import ModuleDocFragment
from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import (
    CONNECTION_OPTION_NAMES,
    DOCKER_CONNECTION_SPEC,
    ConnectionSettings,
    docker_argument_spec,
)

DOCKER_ENVIRONMENT = ("DOCKER_HOST", "DOCKER_API_VERSION", "DOCKER_TIMEOUT", "DOCKER_TLS", "DOCKER_TLS_VERIFY",
                      "DOCKER_TLS_HOSTNAME", "DOCKER_CERT_PATH")
MODULE_SPEC = {
    "name": {"type": "list", "elements": "str", "default": []},
    "timeout_stop": {"type": "int"},
}


@pytest.fixture
def clean_environment(monkeypatch):
    for name in DOCKER_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def validated(spec, params):
    result = ArgumentSpecValidator(spec).validate(params)
    assert result.error_messages == []
    return result.validated_parameters


def test_the_documented_option_set():
    assert CONNECTION_OPTION_NAMES == {"docker_host", "api_version", "timeout", "tls", "validate_certs", "ca_path",
                                       "client_cert", "client_key", "tls_hostname", "use_ssh_client"}


@pytest.mark.parametrize(("option", "variable"), [
    ("docker_host", "DOCKER_HOST"),
    ("api_version", "DOCKER_API_VERSION"),
    ("timeout", "DOCKER_TIMEOUT"),
    ("tls", "DOCKER_TLS"),
    ("validate_certs", "DOCKER_TLS_VERIFY"),
    ("tls_hostname", "DOCKER_TLS_HOSTNAME"),
])
def test_environment_fallbacks(option, variable):
    assert DOCKER_CONNECTION_SPEC[option]["fallback"] == (env_fallback, [variable])


@pytest.mark.parametrize(("option", "default"), [
    ("docker_host", "unix:///var/run/docker.sock"),
    ("api_version", "auto"),
    ("timeout", 60),
    ("tls", False),
    ("validate_certs", False),
    ("use_ssh_client", False),
])
def test_defaults(option, default):
    assert DOCKER_CONNECTION_SPEC[option]["default"] == default


@pytest.mark.parametrize(("alias", "option"), [
    ("tls_verify", "validate_certs"),
    ("docker_url", "docker_host"),
    ("docker_api_version", "api_version"),
    ("ca_cert", "ca_path"),
    ("tls_ca_cert", "ca_path"),
    ("cacert_path", "ca_path"),
    ("tls_client_cert", "client_cert"),
    ("cert_path", "client_cert"),
    ("tls_client_key", "client_key"),
    ("key_path", "client_key"),
])
def test_ecosystem_aliases(clean_environment, alias, option):
    value = {"validate_certs": True, "docker_host": "tcp://engine.example:2376", "api_version": "1.43"}.get(
        option, "/etc/docker/tls/file.pem")
    assert validated(docker_argument_spec({}), {alias: value})[option] == value


def test_merge_keeps_module_options_and_adds_every_connection_option():
    merged = docker_argument_spec(MODULE_SPEC)
    assert set(merged) == CONNECTION_OPTION_NAMES | {"name", "timeout_stop"}
    assert merged["name"] == {"type": "list", "elements": "str", "default": []}
    assert merged["timeout_stop"] == {"type": "int"}
    assert {name: merged[name] for name in CONNECTION_OPTION_NAMES} == DOCKER_CONNECTION_SPEC


def test_merge_leaves_the_shared_spec_untouched():
    before = copy.deepcopy(DOCKER_CONNECTION_SPEC)
    merged = docker_argument_spec(MODULE_SPEC)
    merged["timeout"]["default"] = 5
    merged["docker_host"]["required"] = True
    assert DOCKER_CONNECTION_SPEC == before
    assert docker_argument_spec({})["timeout"]["default"] == 60


@pytest.mark.parametrize(("module_spec", "clashes"), [
    ({"timeout": {"type": "int"}}, "['timeout']"),
    ({"tls": {"type": "bool"}, "docker_host": {"type": "str"}, "name": {"type": "str"}}, "['docker_host', 'tls']"),
])
def test_merge_refuses_to_shadow_connection_options(module_spec, clashes):
    with pytest.raises(ValueError) as caught:
        docker_argument_spec(module_spec)
    assert str(caught.value) == f"module options shadow connection options: {clashes}"


def test_without_environment_the_defaults_apply(clean_environment):
    params = validated(docker_argument_spec(MODULE_SPEC), {})
    assert ConnectionSettings.from_params(params) == ConnectionSettings(
        docker_host="unix:///var/run/docker.sock", api_version="auto", timeout=60, tls=False, validate_certs=False,
        ca_path=None, client_cert=None, client_key=None, tls_hostname=None, use_ssh_client=False)


def test_environment_reaches_the_connection_settings(clean_environment, tmp_path):
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("-----BEGIN PEM-----\n")
    clean_environment.setenv("DOCKER_HOST", "tcp://engine.example:2376")
    clean_environment.setenv("DOCKER_API_VERSION", "1.43")
    clean_environment.setenv("DOCKER_TIMEOUT", "15")
    clean_environment.setenv("DOCKER_TLS_VERIFY", "1")
    clean_environment.setenv("DOCKER_TLS_HOSTNAME", "engine.internal")
    clean_environment.setenv("DOCKER_CERT_PATH", str(tmp_path))
    params = validated(docker_argument_spec(MODULE_SPEC), {})
    assert ConnectionSettings.from_params(params) == ConnectionSettings(
        docker_host="tcp://engine.example:2376", api_version="1.43", timeout=15, tls=False, validate_certs=True,
        ca_path=str(tmp_path / "ca.pem"), client_cert=str(tmp_path / "cert.pem"),
        client_key=str(tmp_path / "key.pem"), tls_hostname="engine.internal", use_ssh_client=False)


def test_task_options_beat_the_environment(clean_environment):
    clean_environment.setenv("DOCKER_HOST", "tcp://from-env:2376")
    clean_environment.setenv("DOCKER_TIMEOUT", "15")
    params = validated(docker_argument_spec(MODULE_SPEC), {"docker_host": "ssh://deploy@from-task", "timeout": 5})
    assert (params["docker_host"], params["timeout"]) == ("ssh://deploy@from-task", 5)


def test_doc_fragment_documents_the_spec_exactly():
    """Sanity's validate-modules compares them too; this fails earlier and says which option drifted."""
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert set(documented) == CONNECTION_OPTION_NAMES
    for name, spec in DOCKER_CONNECTION_SPEC.items():
        doc = documented[name]
        assert (name, doc["type"]) == (name, spec["type"])
        assert (name, doc.get("default")) == (name, spec.get("default"))
        assert (name, sorted(doc.get("aliases", []))) == (name, sorted(spec.get("aliases", [])))
        variables = spec.get("fallback", (None, []))[1]
        for variable in variables:
            assert f"E({variable})" in " ".join(doc["description"]), (name, variable)
