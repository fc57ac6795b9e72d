# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS options: key material given where a path belongs is named, never echoed; client_key is no_log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._engine import connection
from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import (
    DOCKER_CONNECTION_SPEC,
    ConnectionSettings,
)
from ansible_collections.tidy.docker.plugins.module_utils._errors import TlsError

TCP = "tcp://engine.example:2376"
KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7secretkeymaterial"
PEM_KEY = f"-----BEGIN PRIVATE KEY-----\n{KEY_BODY}\n-----END PRIVATE KEY-----\n"
PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUcertificatebody\n-----END CERTIFICATE-----\n"


@pytest.fixture
def pem_files(tmp_path: t.Any) -> dict[str, str]:
    paths = {"ca_path": tmp_path / "ca.pem", "client_cert": tmp_path / "cert.pem", "client_key": tmp_path / "key.pem"}
    for option, path in paths.items():
        path.write_text(PEM_KEY if option == "client_key" else PEM_CERT)
    return {option: str(path) for option, path in paths.items()}


@pytest.mark.parametrize("option", ["ca_path", "client_cert", "client_key"])
@pytest.mark.parametrize("text", [PEM_KEY, PEM_CERT, KEY_BODY[:20] + "\n" + KEY_BODY[20:]])
def test_pem_text_instead_of_a_path_is_named_without_its_value(make_params: t.Any, pem_files: dict[str, str],
                                                               option: str, text: str) -> None:
    params = make_params(docker_host=TCP, validate_certs=True, **dict(pem_files, **{option: text}))
    with pytest.raises(TlsError) as caught:
        ConnectionSettings.from_params(params, environ={})
    assert str(caught.value) == (f"{option}: the value is PEM text, not a path; save it to a file on the managed node "
                                 f"and set {option} to that file's path.")
    assert caught.value.context == {"option": option}  # no value: fail_json returns the context next to msg


def test_pem_text_is_refused_even_without_tls(make_params: t.Any) -> None:
    with pytest.raises(TlsError, match=r"^client_key: the value is PEM text, not a path;"):
        ConnectionSettings.from_params(make_params(client_key=PEM_KEY), environ={})


@pytest.mark.parametrize("option", ["ca_path", "client_cert", "client_key"])
def test_a_file_that_is_not_pem_is_named_without_its_contents(make_params: t.Any, pem_files: dict[str, str],
                                                              option: str) -> None:
    with open(pem_files[option], "w", encoding="utf-8") as handle:
        handle.write("junk " + KEY_BODY)
    with pytest.raises(TlsError) as caught:
        ConnectionSettings.from_params(make_params(docker_host=TCP, validate_certs=True, **pem_files), environ={})
    assert str(caught.value) == (f"{option}: TLS file {pem_files[option]!r} is not a PEM file (no -----BEGIN line); "
                                 f"point {option} at the PEM certificate or key.")
    assert KEY_BODY not in repr(caught.value.context)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_named(make_params: t.Any, pem_files: dict[str, str]) -> None:
    os.chmod(pem_files["client_key"], 0)
    with pytest.raises(TlsError, match=r"^client_key: TLS file '.*key\.pem' cannot be read \(Permission denied\); "):
        ConnectionSettings.from_params(make_params(docker_host=TCP, tls=True, **pem_files), environ={})


def test_pem_files_are_accepted(make_params: t.Any, pem_files: dict[str, str]) -> None:
    settings = ConnectionSettings.from_params(make_params(docker_host=TCP, validate_certs=True, **pem_files),
                                              environ={})
    assert settings.client_key == pem_files["client_key"]


def test_no_log_is_explicit_where_it_matters() -> None:
    """client_key is key material; certificates are public and their paths help in messages."""
    assert DOCKER_CONNECTION_SPEC["client_key"]["no_log"] is True
    assert DOCKER_CONNECTION_SPEC["ca_path"]["no_log"] is False
    assert DOCKER_CONNECTION_SPEC["client_cert"]["no_log"] is False


@pytest.mark.parametrize("module", ["host_info", "container", "prune"])
def test_a_module_run_never_prints_a_pasted_key(tmp_path: t.Any, module: str) -> None:
    """What the controller gets back (msg, context, invocation.module_args shown at -vvv) holds no key material."""
    args = {"docker_host": "unix:///nonexistent/docker.sock", "tls": True, "client_cert": PEM_CERT,
            "client_key": PEM_KEY, "name": "x"} if module == "container" else \
           {"docker_host": "unix:///nonexistent/docker.sock", "tls": True, "client_key": PEM_KEY}
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    root = connection.__file__[:connection.__file__.rindex(f"{os.sep}ansible_collections{os.sep}")]
    run = subprocess.run([sys.executable, "-m", f"ansible_collections.tidy.docker.plugins.modules.{module}",
                          str(args_file)], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=root), check=False)
    assert KEY_BODY not in run.stdout + run.stderr
    result = json.loads(run.stdout)
    assert result["failed"] is True
    assert result["msg"].startswith(f"{'client_cert' if module == 'container' else 'client_key'}: the value is PEM "
                                    "text, not a path;"), result["msg"]
    assert result["invocation"]["module_args"]["client_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
