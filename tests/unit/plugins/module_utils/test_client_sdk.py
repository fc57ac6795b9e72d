# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EngineClient with each SDK's APIClient signature, its TLS adapter, and the module's SDK checks."""

from __future__ import annotations

import json
import typing as t

import docker
import docker.errors
import docker.transport
import pytest
import requests
import requests.adapters

from ansible_collections.tidy.docker.plugins.module_utils._engine import client as client_module
from ansible_collections.tidy.docker.plugins.module_utils._engine import module as module_module
from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient, broken_sdk_error
from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import ConnectionSettings
from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._errors import EngineError, SdkError
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.conftest import connection_params

ENGINE = {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41", "MinAPIVersion": "1.12"}
DF_BUSY = "a disk usage operation is already running"


class RecordingClient:
    """Stands in for docker.APIClient: records what it was built with and what was mounted."""

    built: dict[str, t.Any] = {}

    def __init__(self, **kwargs: t.Any) -> None:
        RecordingClient.built = kwargs
        self.mounted: dict[str, t.Any] = {}

    def mount(self, prefix: str, adapter: t.Any) -> None:
        self.mounted[prefix] = adapter

    def version(self, api_version: bool = True) -> dict[str, str]:
        return ENGINE


# The parameters of docker.APIClient.__init__ in 4.1.0 and in 4.4.0 to 7.2.0.
class Sdk410Client(RecordingClient):
    def __init__(self, base_url=None, version=None, timeout=60, tls=False,
                 user_agent="docker-sdk-python/4.1.0", num_pools=None, credstore_env=None) -> None:
        super().__init__(base_url=base_url, version=version, timeout=timeout, tls=tls)


class Sdk720Client(RecordingClient):
    def __init__(self, base_url=None, version=None, timeout=60, tls=False,
                 user_agent="docker-sdk-python/7.2.0", num_pools=None, credstore_env=None,
                 use_ssh_client=False, max_pool_size=10) -> None:
        super().__init__(base_url=base_url, version=version, timeout=timeout, tls=tls,
                         use_ssh_client=use_ssh_client, max_pool_size=max_pool_size)


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> t.Callable[..., None]:
    """Pretend SDK ``version`` with ``api_class`` is installed, with or without its ssh transport."""

    def install(version: str, api_class: type, ssh_transport: bool = True) -> None:
        monkeypatch.setattr(docker, "__version__", version)
        monkeypatch.setattr(docker, "APIClient", api_class)
        if ssh_transport:
            monkeypatch.setattr(docker.transport, "SSHHTTPAdapter", object, raising=False)
        else:
            monkeypatch.delattr(docker.transport, "SSHHTTPAdapter", raising=False)

    return install


def settings(**overrides: t.Any) -> ConnectionSettings:
    return ConnectionSettings.from_params(connection_params(**overrides), environ={})


# ---------------------------------------------------------------- APIClient arguments per SDK


def test_sdk_4_1_0_gets_only_the_arguments_it_has(sdk):
    sdk("4.1.0", Sdk410Client)
    client = EngineClient(settings(), max_pool_size=32)
    assert RecordingClient.built == {"base_url": "unix:///var/run/docker.sock", "version": "1.41", "timeout": 60,
                                     "tls": False}
    assert client.api_version == "1.41"


def test_newer_sdks_get_ssh_client_and_pool_size(sdk):
    sdk("7.2.0", Sdk720Client)
    EngineClient(settings(docker_host="ssh://deploy@engine.example", use_ssh_client=True), max_pool_size=32)
    assert RecordingClient.built["use_ssh_client"] is True
    assert RecordingClient.built["max_pool_size"] == 32


def test_ssh_client_on_sdk_4_1_0_fails_before_connecting(sdk):
    sdk("4.1.0", Sdk410Client)
    RecordingClient.built = {}
    with pytest.raises(SdkError, match=r"^use_ssh_client=true needs the Docker SDK for Python 4\.4\.0 or newer on the "
                                       r"managed node, which has 4\.1\.0;"):
        EngineClient(settings(docker_host="ssh://deploy@engine.example", use_ssh_client=True))
    assert RecordingClient.built == {}


@pytest.mark.parametrize("use_ssh_client", [False, True])
def test_ssh_without_the_sdk_transport_names_paramiko(sdk, use_ssh_client):
    sdk("7.2.0", Sdk720Client, ssh_transport=False)
    with pytest.raises(SdkError, match=r"^docker_host ssh://deploy@engine\.example needs the paramiko package on the "
                                       r"managed node, also with use_ssh_client=true"):
        EngineClient(settings(docker_host="ssh://deploy@engine.example", use_ssh_client=use_ssh_client))


def test_local_socket_needs_no_ssh_transport(sdk):
    sdk("7.2.0", Sdk720Client, ssh_transport=False)
    assert EngineClient(settings()).api_version == "1.41"


# ---------------------------------------------------------------- TLS: the module's options, never the environment


@pytest.fixture
def cert_dir(tmp_path):
    for name in ("ca.pem", "cert.pem", "key.pem", "other-ca.pem"):
        (tmp_path / name).write_text(f"-----BEGIN {name}-----\n")
    return tmp_path


def tls_settings(cert_dir, **overrides: t.Any) -> ConnectionSettings:
    options = {"docker_host": "tcp://127.0.0.1:2376", "validate_certs": True, "ca_path": str(cert_dir / "ca.pem"),
               "client_cert": str(cert_dir / "cert.pem"), "client_key": str(cert_dir / "key.pem")}
    options.update(overrides)
    return settings(**options)


@pytest.mark.parametrize(("api_class", "version"), [(Sdk410Client, "4.1.0"), (Sdk720Client, "7.2.0")])
def test_tls_adapter_is_mounted_on_every_sdk(sdk, cert_dir, api_class, version):
    sdk(version, api_class)
    client = EngineClient(tls_settings(cert_dir, tls_hostname="engine.example"), max_pool_size=4)
    adapter = client.api.mounted["https://"]
    assert isinstance(adapter, client_module._TlsAdapter)
    assert (adapter._verify, adapter._cert, adapter._tls_hostname) == (
        str(cert_dir / "ca.pem"), (str(cert_dir / "cert.pem"), str(cert_dir / "key.pem")), "engine.example")
    assert adapter._pool_maxsize == 4


def test_no_tls_adapter_without_tls(sdk):
    sdk("7.2.0", Sdk720Client)
    assert EngineClient(settings()).api.mounted == {}


@pytest.mark.parametrize(("overrides", "verify", "hostname"), [
    ({}, "ca.pem", "engine.example"),
    ({"ca_path": None}, True, "engine.example"),                 # the system's CA pool
    ({"validate_certs": False, "tls": True}, False, None),        # encrypted, not verified: no name to check
], ids=["ca_path", "system-ca", "tls-only"])
def test_tls_adapter_settings(sdk, cert_dir, overrides, verify, hostname):
    sdk("7.2.0", Sdk720Client)
    adapter = EngineClient(tls_settings(cert_dir, tls_hostname="engine.example", **overrides)).api.mounted["https://"]
    expected = str(cert_dir / verify) if isinstance(verify, str) else verify
    assert (adapter._verify, adapter._tls_hostname) == (expected, hostname)


def test_ca_bundle_variables_do_not_replace_ca_path(cert_dir, monkeypatch):
    """requests would hand REQUESTS_CA_BUNDLE to the adapter as ``verify``; the adapter keeps ca_path."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_dir / "other-ca.pem"))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(cert_dir / "other-ca.pem"))
    sent: dict[str, t.Any] = {}

    def fake_send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        sent.update(verify=verify, cert=cert)
        response = requests.Response()
        response.status_code = 200
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", fake_send)
    session = requests.Session()
    session.verify = str(cert_dir / "ca.pem")
    session.mount("https://", client_module._TlsAdapter(str(cert_dir / "ca.pem"), ("c.pem", "k.pem"), None))
    session.get("https://127.0.0.1:2376/version")
    assert sent == {"verify": str(cert_dir / "ca.pem"), "cert": ("c.pem", "k.pem")}
    # Without the adapter, requests really does let the variable win: the reason for it.
    plain = requests.Session()
    plain.verify = str(cert_dir / "ca.pem")
    plain.get("https://127.0.0.1:2376/version")
    assert sent["verify"] == str(cert_dir / "other-ca.pem")


@pytest.mark.parametrize(("hostname", "expected"), [("engine.example", "engine.example"), (None, "absent")])
def test_tls_hostname_reaches_urllib3(hostname, expected):
    adapter = client_module._TlsAdapter(True, None, hostname)
    assert adapter.poolmanager.connection_pool_kw.get("assert_hostname", "absent") == expected


# ---------------------------------------------------------------- Docker 20.10's busy disk-usage answer


def busy() -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = 500
    return docker.errors.APIError("500 Server Error", response=response, explanation=DF_BUSY)


def bare_client(timeout: int = 60) -> EngineClient:
    client = EngineClient.__new__(EngineClient)
    client.settings = settings(timeout=timeout)
    client.engine = "docker"  # as /version told
    return client


def test_busy_disk_usage_is_asked_again(monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    answers: list[t.Any] = [busy(), busy(), busy(), {"LayersSize": 1}]

    def df() -> t.Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert bare_client().call(df) == {"LayersSize": 1}
    assert sleeps == [0.1, 0.2, 0.4]


def test_busy_disk_usage_gives_up_at_the_timeout(monkeypatch):
    clock = iter([100.0, 100.5, 101.5])  # start, after the first refusal, after the second
    monkeypatch.setattr(client_module.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(client_module.time, "sleep", lambda seconds: None)
    calls = []

    def df() -> t.NoReturn:
        calls.append(1)
        raise busy()

    with pytest.raises(EngineError, match=f"answered 500: {DF_BUSY}$"):
        bare_client(timeout=1).call(df)
    assert len(calls) == 2


def test_other_server_errors_are_not_repeated(monkeypatch):
    monkeypatch.setattr(client_module.time, "sleep", lambda seconds: pytest.fail("slept"))
    response = requests.Response()
    response.status_code = 500
    calls = []

    def remove() -> t.NoReturn:
        calls.append(1)
        raise docker.errors.APIError("500", response=response, explanation="driver failed")

    with pytest.raises(EngineError, match="answered 500: driver failed$"):
        bare_client().call(remove)
    assert calls == [1]


# ---------------------------------------------------------------- the module's SDK checks


def test_broken_sdk_names_the_python_and_the_fix(monkeypatch):
    monkeypatch.setattr(client_module.sys, "version_info", (3, 12, 3, "final", 0))
    error = broken_sdk_error("ModuleNotFoundError: No module named 'distutils'")
    assert str(error) == (
        "The Docker SDK for Python on the managed node is installed but does not import with Python 3.12.3 "
        "(ModuleNotFoundError: No module named 'distutils'); install a release that supports this Python with "
        "pip install --upgrade docker (releases before 6.0 import distutils, which Python 3.12 removed, unless "
        "setuptools is installed).")


def module_failure(capsys: pytest.CaptureFixture[str]) -> dict[str, t.Any]:
    with pytest.raises(SystemExit):
        TidyDockerModule({})
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def module_args() -> t.Iterator[None]:
    """No module options: every connection option at its default."""
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19
        import unittest.mock

        from ansible.module_utils import basic
        patched = unittest.mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": {}}).encode())
    else:
        patched = patch_module_args({})
    with patched:
        yield


def test_module_refuses_an_sdk_older_than_4_1_0(module_args, monkeypatch, capsys):
    monkeypatch.setattr(docker, "__version__", "3.7.3")
    result = module_failure(capsys)
    assert result["failed"] is True
    assert result["msg"].startswith("The Docker SDK for Python on the managed node is 3.7.3, older than the 4.1.0 "
                                    "tidy.docker needs;")
    assert result["sdk_version"] == "3.7.3"


def test_module_explains_an_sdk_that_does_not_import(module_args, monkeypatch, capsys):
    monkeypatch.setattr(module_module, "import_sdk",
                        lambda host: client_module.SdkImport(missing="Traceback ...",
                                                             broken="ModuleNotFoundError: No module named 'distutils'"))
    result = module_failure(capsys)
    assert "installed but does not import" in result["msg"]
    assert "No module named 'distutils'" in result["msg"]
    assert "exception" not in result


# In a fresh interpreter (this one imported the SDK whole): a module whose docker_host is not ssh://
# imports the SDK without paramiko, and leaves paramiko importable afterwards.
_FRESH_IMPORT = """
import json, sys
from ansible_collections.tidy.docker.plugins.module_utils._engine import client
outcome = client.import_sdk(sys.argv[1])
loaded = "paramiko" in sys.modules
ssh = hasattr(client.docker.transport, "SSHHTTPAdapter")
import paramiko
print(json.dumps([outcome.missing, outcome.broken, loaded, ssh, client.import_sdk("ssh://other") is outcome]))
"""


@pytest.mark.parametrize(
    ("host", "with_ssh"),
    [("unix:///run/docker.sock", False), ("tcp://engine:2376", False), ("ssh://deploy@engine", True),
     ("SSH://deploy@engine", True)],
)
def test_the_sdk_loads_its_ssh_transport_only_for_ssh_addresses(host, with_ssh):
    pytest.importorskip("paramiko")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FRESH_IMPORT, host], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": ":".join(sys.path)})
    assert json.loads(done.stdout) == [None, None, with_ssh, with_ssh, True]
