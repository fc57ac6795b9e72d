# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Docker client of the collection.

It owns the guarded ``import docker`` (``import_sdk``), connecting with the module's
``ConnectionSettings``, API-version negotiation, and the calls: every SDK call
and raw API request goes through ``EngineClient.call`` or ``EngineClient.request``,
where failures become domain errors (``failures.py``).
"""

from __future__ import annotations

import http.client
import inspect
import json
import socket
import sys
import threading
import time
import traceback
import typing as t
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import (
    MIN_API_VERSION,
    ConnectionSettings,
    version_tuple,
)
from ansible_collections.tidy.docker.plugins.module_utils._engine.failures import (
    api_error,
    the_engine,
    timed_out,
    translate_error,
    unreachable,
)
from ansible_collections.tidy.docker.plugins.module_utils._engine.sdk_compat import (
    api_client_kwargs,
    check_ssh_transport,
)
from ansible_collections.tidy.docker.plugins.module_utils._errors import ApiVersionError, SdkError
from ansible_collections.tidy.docker.plugins.module_utils._podman import PODMAN, docker_disk_usage, engine_product

# The SDK, imported by import_sdk() once the module knows its docker_host rather than with this
# file: the SDK's ssh transport imports paramiko, and with it cryptography (and invoke where it is
# installed), about 0.1 s of every module start on a node that has them (docs/performance.md),
# for a transport that only ssh:// addresses use.
docker: t.Any = None
requests: t.Any = None
_TlsAdapter: t.Any = None


@dataclass(frozen=True)
class SdkImport:
    """How importing the SDK went: ``missing`` is the traceback when it is not installed, ``broken``
    why it did not load although it is installed (e.g. SDK < 6.0 on Python 3.12+, which removed the
    distutils it imports); both None when it loaded."""

    missing: str | None = None
    broken: str | None = None


_SDK_IMPORT: SdkImport | None = None


def import_sdk(docker_host: str) -> SdkImport:
    """Import the SDK once per process, without its ssh transport unless ``docker_host`` is ssh://.

    The SDK itself loads the ssh transport only if ``import paramiko`` succeeds (every release from
    4.1.0 on); while the SDK is imported for another address, paramiko is made unimportable, and
    afterwards importable again. A process whose SDK is already imported keeps it as it is.
    """
    global _SDK_IMPORT, docker, requests, _TlsAdapter
    if _SDK_IMPORT is not None:
        return _SDK_IMPORT
    blocked = [] if docker_host.strip().lower().startswith("ssh://") or "paramiko" in sys.modules else ["paramiko"]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import docker as sdk
        import docker.errors
        import docker.tls
        import docker.transport
        import requests as http
        import requests.adapters
        import requests.exceptions
    except ImportError as exc:  # pragma: no cover - exercised by the sanity import test
        missing = isinstance(exc, ModuleNotFoundError) and exc.name in ("docker", "requests")
        _SDK_IMPORT = SdkImport(missing=traceback.format_exc(),
                                broken=None if missing else f"{type(exc).__name__}: {exc}")
        return _SDK_IMPORT
    finally:
        for name in blocked:
            sys.modules.pop(name, None)
    docker, requests = sdk, http
    _TlsAdapter = _tls_adapter_class(http.adapters.HTTPAdapter)
    _SDK_IMPORT = SdkImport()
    return _SDK_IMPORT


def _tls_adapter_class(base: type) -> type:
    class TlsAdapter(base):
        """HTTPS adapter that verifies with the module's TLS options and nothing else.

        Mounted over the SDK's own adapter on every SDK release, for three reasons:
        requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE replace the session's CA file on
        each request (``merge_environment_settings``), so here the per-request ``verify`` and
        ``cert`` are ignored in favour of ``ca_path``, ``client_cert`` and ``client_key``;
        ``tls_hostname`` must reach urllib3 as ``assert_hostname``, which SDK 7.0 no longer
        passes on; and SDK 4.x/5.x pin TLS 1.2 (``ssl_version``), which this adapter does not.
        """

        def __init__(self, verify: bool | str, cert: tuple[str, str] | None, hostname: str | None,
                     **kwargs: t.Any) -> None:
            self._verify = verify
            self._cert = cert
            self._tls_hostname = hostname
            super().__init__(**kwargs)

        def init_poolmanager(self, *args: t.Any, **kwargs: t.Any) -> None:
            if self._tls_hostname:
                kwargs["assert_hostname"] = self._tls_hostname
            super().init_poolmanager(*args, **kwargs)

        def send(self, request: t.Any, stream: bool = False, timeout: t.Any = None, verify: t.Any = True,
                 cert: t.Any = None, proxies: t.Any = None) -> t.Any:
            return super().send(request, stream=stream, timeout=timeout, verify=self._verify, cert=self._cert,
                                proxies=proxies)

    return TlsAdapter


def object_path(kind: str, ref: str, action: str = "") -> str:
    """``/containers/<ref>`` or ``/images/<ref>``, plus ``/action``, for ``EngineClient.request``.

    Quoted as the SDK does (``/`` and ``:`` stay: image references contain both).
    """
    return f"/{kind}/{quote(ref, safe='/:')}" + (f"/{action}" if action else "")


class _UnixConnection(http.client.HTTPConnection):
    """HTTP/1.1 over the engine's unix socket, kept alive between requests."""

    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


# Docker 20.10's answer (HTTP 500) to /system/df while another disk-usage request is running.
_DISK_USAGE_BUSY = "a disk usage operation is already running"

# A kept-alive connection the engine closed while idle fails like this on its next request,
# before the engine saw the request: then it is safe to send it again on a new connection.
_STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class EngineClient:
    """A connected low-level SDK client plus the settings it was made from.

    ``call`` runs any SDK call with errors translated; the low-level API is
    used on purpose: it returns the engine's raw data (Untagged/Deleted lists,
    SpaceReclaimed) that the high-level objects hide.
    """

    def __init__(self, settings: ConnectionSettings, max_pool_size: int = 10) -> None:
        self.settings = settings
        sdk = import_sdk(settings.docker_host)
        if sdk.missing is not None or sdk.broken is not None:  # TidyDockerModule said so already
            raise SdkError(f"The Docker SDK for Python did not import: {sdk.broken or sdk.missing}")
        check_ssh_transport(settings.docker_host, hasattr(docker.transport, "SSHHTTPAdapter"), sdk_version())
        kwargs = api_client_kwargs({"use_ssh_client": settings.use_ssh_client, "max_pool_size": max_pool_size},
                                   inspect.signature(docker.APIClient.__init__).parameters, sdk_version())
        try:
            tls_config = self._tls_config()
            # A fixed version here: negotiation happens below, where its errors can be explained.
            self.api = docker.APIClient(base_url=settings.docker_host, version=MIN_API_VERSION,
                                        timeout=settings.timeout, tls=tls_config, **kwargs)
            if tls_config:
                self.api.mount("https://", self._tls_adapter(max_pool_size))
            self.engine_version: dict[str, t.Any] = self.api.version(api_version=False)
        except Exception as exc:
            raise translate_error(exc, settings) from exc  # which engine is not known yet: "the engine"
        # ``docker`` or ``podman``, from the version answer already read: where Podman's compatible
        # API means something else, the reads turn its answers into Docker's meaning (_podman.py),
        # and messages name the engine that answered.
        self.engine = engine_product(self.engine_version)
        self.api_version = self._negotiate(self.engine_version)
        # The SDK has no public setter; this is what its own "auto" mode does internally.
        self.api._version = self.api_version
        host = settings.docker_host
        self._socket_path = host[len("unix://"):] if host.startswith("unix://") else None
        self._idle: list[_UnixConnection] = []
        self._connections_lock = threading.Lock()

    def _client_cert(self) -> tuple[str, str] | None:
        settings = self.settings
        return (settings.client_cert, settings.client_key) if settings.client_cert and settings.client_key else None

    def _tls_config(self) -> t.Any:
        """The SDK's TLS settings: they check the files and turn tcp:// into https://."""
        settings = self.settings
        if not settings.use_tls:
            return False
        return docker.tls.TLSConfig(client_cert=self._client_cert(),
                                    ca_cert=settings.ca_path if settings.validate_certs else None,
                                    verify=settings.validate_certs)

    def _tls_adapter(self, max_pool_size: int) -> t.Any:
        settings = self.settings
        # A CA file, True for the system's CA pool (validate_certs without ca_path), or False (tls alone).
        verify: bool | str = (settings.ca_path or True) if settings.validate_certs else False
        return _TlsAdapter(verify, self._client_cert(), settings.tls_hostname if settings.validate_certs else None,
                           pool_maxsize=max_pool_size)

    def _negotiate(self, version: t.Mapping[str, t.Any]) -> str:
        host = self.settings.docker_host
        server_max = str(version.get("ApiVersion") or MIN_API_VERSION)
        server_min = str(version.get("MinAPIVersion") or MIN_API_VERSION)
        engine = engine_product(version)
        product = "Podman" if engine == PODMAN else "Docker"
        if version_tuple(server_max) < version_tuple(MIN_API_VERSION):
            raise ApiVersionError(
                f"{the_engine(engine, start=True)} at {host} speaks API {server_max} ({product} "
                f"{version.get('Version', '?')}); tidy.docker needs API {MIN_API_VERSION} (Docker 20.10) or newer: "
                "upgrade the engine.",
                docker_host=host, engine_api_version=server_max)
        wanted = self.settings.api_version
        if wanted == "auto":
            return server_max
        if not version_tuple(server_min) <= version_tuple(wanted) <= version_tuple(server_max):
            raise ApiVersionError(
                f"api_version {wanted} is outside what {the_engine(engine)} at {host} supports ({server_min} to "
                f"{server_max}); set api_version to auto or to a version in that range.",
                docker_host=host, engine_api_version=server_max)
        return wanted

    def call(self, method: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Run one SDK call; any failure leaves as a domain error.

        Docker 20.10 refuses a disk-usage request while another one (of any client) is running,
        where newer engines share the answer; such a call is repeated until the other one is
        done, within ``timeout``. Only the read-only ``/system/df`` is refused that way.
        """
        deadline = time.monotonic() + self.settings.timeout
        delay = 0.1
        while True:
            try:
                return method(*args, **kwargs)
            except Exception as exc:
                error = translate_error(exc, self.settings, self.engine)
                if _DISK_USAGE_BUSY not in str(error) or time.monotonic() + delay > deadline:
                    raise error from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def request(self, verb: str, path: str, query: t.Mapping[str, t.Any] | None = None) -> t.Any:
        """One Engine API request (``path`` below the version prefix); its JSON answer, None if empty.

        For the many small requests of pruning (inspect, remove, untag). Through the SDK each one
        costs about 1 ms of CPU in requests and urllib3, which on a 2-core engine host is CPU the
        engine needs for the removals themselves (bench/). On a local unix socket they go over
        kept-alive connections instead, as many as requests in flight; other addresses (TLS,
        ssh) use the SDK's session. Failures leave as the same domain errors as ``call``'s.
        """
        target = f"/v{self.api_version}{path}"
        if query:
            target += "?" + urlencode({key: str(value).lower() if isinstance(value, bool) else value
                                       for key, value in query.items()})
        if self._socket_path is None:
            return self.call(self._through_sdk, verb, target)
        status, body = self._through_socket(verb, target)
        if status >= 400:
            try:
                explanation = str(json.loads(body).get("message") or "")
            except (ValueError, AttributeError):
                explanation = body.decode("utf-8", errors="replace")
            raise api_error(status, explanation.strip(), self.settings.docker_host, self.engine)
        return json.loads(body) if body.strip() else None

    def _through_sdk(self, verb: str, target: str) -> t.Any:
        response = self.api.request(verb, self.api.base_url + target, timeout=self.settings.timeout)
        self.api._raise_for_status(response)  # the SDK's APIError, which call() translates
        return response.json() if response.content.strip() else None

    def _through_socket(self, verb: str, target: str) -> tuple[int, bytes]:
        # Idle connections are shared by whichever thread asks next: as many stay open as
        # requests were ever in flight at once, across the thread pools of one module run.
        with self._connections_lock:
            connection = self._idle.pop() if self._idle else None
        fresh = connection is None
        if connection is None:
            connection = _UnixConnection(str(self._socket_path), self.settings.timeout)
        try:
            try:
                connection.request(verb, target)
                response = connection.getresponse()
            except _STALE_CONNECTION:
                if fresh:
                    raise
                connection.close()  # reconnects on the next request
                connection.request(verb, target)
                response = connection.getresponse()
            answer = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise (timed_out(self.settings, self.engine) if isinstance(exc, socket.timeout)
                   else unreachable(exc, self.settings, self.engine)) from exc
        with self._connections_lock:
            self._idle.append(connection)
        return answer

    def close(self) -> None:
        with self._connections_lock:
            for connection in self._idle:
                connection.close()
            self._idle.clear()
        self.api.close()


def disk_usage(client: EngineClient) -> dict[str, t.Any]:
    """The engine's ``/system/df`` answer, as Docker means it on either engine.

    On Podman the images, containers and volumes come from their listings instead (three more
    calls), whose ids, tags, parents and labels are right where Podman's df answer is not
    (``docker_disk_usage``).
    """
    df = dict(client.call(client.api.df))
    if client.engine != PODMAN:
        return df
    return docker_disk_usage(df, client.call(client.api.images, all=True),
                             client.call(client.api.containers, all=True, size=True),
                             (client.call(client.api.volumes) or {}).get("Volumes") or [])


def sdk_version() -> str:
    """The installed SDK's release, as its own package states it."""
    return str(getattr(docker, "__version__", "unknown"))


def broken_sdk_error(reason: str) -> SdkError:
    """The SDK is installed but does not import with this Python."""
    python = ".".join(str(part) for part in sys.version_info[:3])
    return SdkError(f"The Docker SDK for Python on the managed node is installed but does not import with Python "
                    f"{python} ({reason}); install a release that supports this Python with pip install --upgrade docker "
                    "(releases before 6.0 import distutils, which Python 3.12 removed, unless setuptools is installed).",
                    python_version=python)
