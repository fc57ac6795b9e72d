# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Docker client of the collection.

It owns the guarded ``import docker``, the connection settings (with the
DOCKER_* environment fallbacks), API-version negotiation, and the single place
where SDK and HTTP errors become domain errors (``errors.py``) and those become
one ``fail_json`` sentence.
"""

from __future__ import annotations

import http.client
import inspect
import json
import os
import re
import socket
import sys
import threading
import time
import traceback
import typing as t
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.tidy.docker.plugins.module_utils.common import docker_argument_spec
from ansible_collections.tidy.docker.plugins.module_utils.errors import (
    ApiVersionError,
    Conflict,
    EngineError,
    EngineTimeout,
    EngineUnreachable,
    InvalidInput,
    NotFound,
    SdkError,
    TidyDockerError,
    TlsError,
)
from ansible_collections.tidy.docker.plugins.module_utils.sdk_compat import (
    api_client_kwargs,
    check_sdk_version,
    check_ssh_transport,
)

DOCKER_IMPORT_ERROR: str | None
# Why the import failed when the SDK is installed but cannot load (e.g. SDK < 6.0 on Python 3.12+,
# which removed the distutils it imports); None when it loaded or is simply not installed.
DOCKER_BROKEN_IMPORT: str | None = None
try:
    import docker
    import docker.errors
    import docker.tls
    import docker.transport
    import requests.adapters
    import requests.exceptions
except ImportError as exc:  # pragma: no cover - exercised by the sanity import test
    DOCKER_IMPORT_ERROR = traceback.format_exc()
    if not (isinstance(exc, ModuleNotFoundError) and exc.name in ("docker", "requests")):
        DOCKER_BROKEN_IMPORT = f"{type(exc).__name__}: {exc}"
else:
    DOCKER_IMPORT_ERROR = None

# Docker 20.10; older engines lack the data the policies read (e.g. df SharedSize).
MIN_API_VERSION = "1.41"
SUPPORTED_SCHEMES = ("unix", "tcp", "ssh", "http", "https", "npipe")
_VERSION_RE = re.compile(r"^\d+\.\d+$")


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True)
class ConnectionSettings:
    """Validated connection options; pure, so the rules are unit-testable."""

    docker_host: str
    api_version: str
    timeout: int
    tls: bool
    validate_certs: bool
    ca_path: str | None
    client_cert: str | None
    client_key: str | None
    tls_hostname: str | None
    use_ssh_client: bool

    @property
    def use_tls(self) -> bool:
        return self.tls or self.validate_certs

    @classmethod
    def from_params(cls, params: t.Mapping[str, t.Any],
                    environ: t.Mapping[str, str] | None = None) -> ConnectionSettings:
        environ = os.environ if environ is None else environ
        host = str(params["docker_host"]).strip()
        scheme = host.split("://", 1)[0] if "://" in host else ""
        if scheme not in SUPPORTED_SCHEMES:
            raise InvalidInput(
                f"docker_host: {host!r} is not an engine address; use unix:///path/to/docker.sock, "
                "tcp://host:2376 or ssh://user@host.", option="docker_host", value=host)
        api_version = str(params["api_version"]).strip()
        if api_version.lower() != "auto" and not _VERSION_RE.match(api_version):
            raise InvalidInput(f"api_version: {api_version!r} is not an API version; use auto or a version such as 1.41.",
                               option="api_version", value=api_version)
        if api_version.lower() != "auto" and version_tuple(api_version) < version_tuple(MIN_API_VERSION):
            raise InvalidInput(f"api_version: {api_version} is older than the {MIN_API_VERSION} (Docker 20.10) tidy.docker "
                               "needs; set api_version to auto or to 1.41 or newer.", option="api_version", value=api_version)
        timeout = int(params["timeout"])
        if timeout <= 0:
            raise InvalidInput(f"timeout: {timeout!r} must be a positive number of seconds.", option="timeout", value=timeout)
        # DOCKER_CERT_PATH supplies the three files the docker CLI expects there.
        cert_dir = environ.get("DOCKER_CERT_PATH")

        def from_cert_dir(option: str, filename: str) -> str | None:
            if params.get(option):
                return str(params[option])
            return os.path.join(cert_dir, filename) if cert_dir else None

        settings = cls(
            docker_host=host,
            api_version="auto" if api_version.lower() == "auto" else api_version,
            timeout=timeout,
            tls=bool(params["tls"]),
            validate_certs=bool(params["validate_certs"]),
            ca_path=from_cert_dir("ca_path", "ca.pem"),
            client_cert=from_cert_dir("client_cert", "cert.pem"),
            client_key=from_cert_dir("client_key", "key.pem"),
            tls_hostname=params.get("tls_hostname") or None,
            use_ssh_client=bool(params["use_ssh_client"]),
        )
        settings.check_tls_files()
        return settings

    def check_tls_files(self) -> None:
        """Name the missing file before the SDK reports it less clearly."""
        if not self.use_tls:
            return
        if bool(self.client_cert) != bool(self.client_key):
            raise TlsError("client_cert and client_key must be given together; set both or neither.",
                           docker_host=self.docker_host)
        wanted = [("client_cert", self.client_cert), ("client_key", self.client_key)]
        if self.validate_certs:
            wanted.append(("ca_path", self.ca_path))
        for option, path in wanted:
            if path and not os.path.isfile(path):
                raise TlsError(f"{option}: TLS file {path!r} does not exist; point {option} (or DOCKER_CERT_PATH) "
                               "at a readable PEM file.", option=option, value=path)


_START_ENGINE = "Start the engine, or point docker_host (or DOCKER_HOST) at a running one."
# marker in the error text -> (cause, fix)
_UNREACHABLE_REASONS: tuple[tuple[str, str, str], ...] = (
    ("No such file or directory", "there is no socket at that path", _START_ENGINE),
    ("Connection refused", "the connection was refused", _START_ENGINE),
    ("Permission denied", "permission was denied",
     "Run the task as root (become: true) or as a member of the docker group."),
    ("Name or service not known", "the host name does not resolve", "Fix the host name in docker_host (or DOCKER_HOST)."),
)


def _unreachable(exc: BaseException, settings: ConnectionSettings) -> EngineUnreachable:
    text = str(exc)
    reason, fix = next(((why, fix) for marker, why, fix in _UNREACHABLE_REASONS if marker in text),
                       ("no engine answered", _START_ENGINE))
    return EngineUnreachable(f"Cannot reach the Docker engine at {settings.docker_host}: {reason}. {fix}",
                             docker_host=settings.docker_host, error=text)


# marker in the SSL error text -> (cause, fix); {name}, {ca} and {cert} are filled in from the settings.
_TLS_REASONS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("Hostname mismatch", "doesn't match"), "the engine's certificate is not valid for the name {name}",
     "set tls_hostname to a name the certificate holds, or use that name in docker_host"),
    (("CERTIFICATE_VERIFY_FAILED",), "the engine's certificate is not signed by a CA in {ca}",
     "point ca_path (or DOCKER_CERT_PATH) at the CA that signed the engine's certificate"),
    (("ALERT_BAD_CERTIFICATE", "ALERT_CERTIFICATE_REQUIRED", "ALERT_UNKNOWN_CA", "certificate required"),
     "the engine refused {cert}",
     "set client_cert and client_key (or DOCKER_CERT_PATH) to a certificate signed by the CA the engine trusts"),
    (("WRONG_VERSION_NUMBER", "record layer failure"), "the engine does not speak TLS at that address",
     "use the engine's TLS port, or set tls and validate_certs to false"),
)


def _tls_failure(exc: BaseException, settings: ConnectionSettings) -> TlsError:
    text = str(exc)
    name = settings.tls_hostname or urlsplit(settings.docker_host.replace("tcp://", "https://", 1)).hostname
    fill = {"name": name,
            "ca": settings.ca_path or "the system's CA store",
            "cert": f"the client certificate {settings.client_cert}" if settings.client_cert
            else "the connection: it requires a client certificate and none was given"}
    cause, fix = next(((why.format(**fill), fix) for markers, why, fix in _TLS_REASONS
                       if any(marker in text for marker in markers)),
                      ("the TLS handshake failed", "check ca_path, client_cert, client_key (or DOCKER_CERT_PATH), "
                       "validate_certs and tls_hostname"))
    return TlsError(f"TLS with the Docker engine at {settings.docker_host} failed: {cause}; {fix}.",
                    docker_host=settings.docker_host, error=text)


# paramiko's exception class name (matched by name: paramiko is the SDK's import, not ours) -> (cause, fix).
_PARAMIKO_REASONS: dict[str, tuple[str, str]] = {
    "AuthenticationException": (
        "the ssh server refused the login",
        "give the user running the module a key the server accepts (IdentityFile in ~/.ssh/config, or ssh-agent), "
        "or fix the user in docker_host"),
    "BadHostKeyException": (
        "the ssh server's host key differs from the one in known_hosts",
        "check the host, then update ~/.ssh/known_hosts of the user running the module"),
    "PasswordRequiredException": (
        "the ssh key needs a passphrase", "load the key into ssh-agent, or set use_ssh_client=true"),
}
_SSH_TRY = ("run '{command}' as the user running the module to see why (login refused, unknown host key, or no "
            "docker CLI on that host)")
_UNKNOWN_HOST_KEY = ("the ssh server's host key is not in known_hosts",
                     "add it to ~/.ssh/known_hosts of the user running the module (ssh-keyscan), or connect once with ssh")


def _ssh_failure(exc: BaseException, settings: ConnectionSettings) -> EngineUnreachable | None:
    """Why an ssh:// connection failed, when the exception tells; None to translate it otherwise."""
    text = str(exc)
    if type(exc).__module__.split(".")[0] == "paramiko":
        reason = _PARAMIKO_REASONS.get(type(exc).__name__) or (
            _UNKNOWN_HOST_KEY if "not found in known_hosts" in text else ("the ssh connection failed", _SSH_TRY))
    elif settings.use_ssh_client and (isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError))
                                      or "Error while fetching server API version" in text):
        # The ssh command's own explanation went to its stderr, which the SDK does not capture.
        reason = ("the ssh command closed the connection", _SSH_TRY)
    else:
        return None
    cause, fix = reason
    address = urlsplit(settings.docker_host)
    fix = fix.format(command=" ".join(
        ["ssh"] + (["-p", str(address.port)] if address.port else [])
        + [f"{address.username + '@' if address.username else ''}{address.hostname}", "docker", "system", "dial-stdio"]))
    return EngineUnreachable(f"Cannot reach the Docker engine at {settings.docker_host}: {cause}. "
                             f"{fix[0].upper()}{fix[1:]}.", docker_host=settings.docker_host, error=text)


def _timed_out(settings: ConnectionSettings) -> EngineTimeout:
    return EngineTimeout(f"The Docker engine at {settings.docker_host} did not answer within {settings.timeout} "
                         "seconds; raise timeout (or DOCKER_TIMEOUT), or check the engine's health.",
                         docker_host=settings.docker_host)


def translate_error(exc: BaseException, settings: ConnectionSettings) -> TidyDockerError:
    """Map an SDK/HTTP exception to the domain error users see. Never raises."""
    if isinstance(exc, TidyDockerError):
        return exc
    host = settings.docker_host
    ssh_failure = _ssh_failure(exc, settings) if host.startswith("ssh://") else None
    if ssh_failure is not None:
        return ssh_failure
    if isinstance(exc, requests.exceptions.SSLError) or (
            settings.use_tls and isinstance(exc, requests.exceptions.ConnectionError) and "SSL" in str(exc)):
        return _tls_failure(exc, settings)
    if isinstance(exc, docker.errors.TLSParameterError):
        return TlsError(f"Bad TLS settings for {host}: {exc.msg}", docker_host=host)
    if isinstance(exc, (requests.exceptions.ReadTimeout, requests.exceptions.Timeout)):
        return _timed_out(settings)
    if isinstance(exc, docker.errors.APIError):
        return _translate_api_error(exc, host)
    if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError)):
        return _unreachable(exc, settings)
    if isinstance(exc, docker.errors.DockerException):
        # The SDK wraps connection failures during construction in a bare DockerException.
        if "Error while fetching server API version" in str(exc):
            return _unreachable(exc, settings)
        return EngineError(f"Docker SDK error talking to {host}: {exc}", docker_host=host)
    return EngineError(f"Unexpected error talking to the Docker engine at {host}: {exc!r}", docker_host=host)


def _translate_api_error(exc: t.Any, host: str) -> TidyDockerError:
    explanation = str(getattr(exc, "explanation", None) or exc).strip()
    return api_error(getattr(getattr(exc, "response", None), "status_code", None), explanation, host)


def api_error(status: int | None, explanation: str, host: str) -> TidyDockerError:
    """The domain error of an engine answer ``status`` with the engine's ``explanation``."""
    context = {"docker_host": host, "status_code": status}
    if status == 404:
        return NotFound(explanation, **context)
    if status == 409:
        return Conflict(explanation, **context)
    if status == 400 and "client version" in explanation:
        return ApiVersionError(f"The Docker engine at {host} refused the API version: {explanation}; "
                               "set api_version to auto or to a version the engine supports.", **context)
    return EngineError(f"The Docker engine at {host} answered {status}: {explanation}", **context)


class _TlsAdapter(requests.adapters.HTTPAdapter if DOCKER_IMPORT_ERROR is None else object):  # type: ignore[misc]
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
        except Exception as exc:  # noqa: BLE001 - everything becomes one sentence
            raise translate_error(exc, settings) from exc
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

    def _tls_adapter(self, max_pool_size: int) -> _TlsAdapter:
        settings = self.settings
        # A CA file, True for the system's CA pool (validate_certs without ca_path), or False (tls alone).
        verify: bool | str = (settings.ca_path or True) if settings.validate_certs else False
        return _TlsAdapter(verify, self._client_cert(), settings.tls_hostname if settings.validate_certs else None,
                           pool_maxsize=max_pool_size)

    def _negotiate(self, version: t.Mapping[str, t.Any]) -> str:
        host = self.settings.docker_host
        server_max = str(version.get("ApiVersion") or MIN_API_VERSION)
        server_min = str(version.get("MinAPIVersion") or MIN_API_VERSION)
        if version_tuple(server_max) < version_tuple(MIN_API_VERSION):
            raise ApiVersionError(
                f"The Docker engine at {host} speaks API {server_max} (Docker {version.get('Version', '?')}); "
                f"tidy.docker needs API {MIN_API_VERSION} (Docker 20.10) or newer: upgrade the engine.",
                docker_host=host, engine_api_version=server_max)
        wanted = self.settings.api_version
        if wanted == "auto":
            return server_max
        if not version_tuple(server_min) <= version_tuple(wanted) <= version_tuple(server_max):
            raise ApiVersionError(
                f"api_version {wanted} is outside what the Docker engine at {host} supports ({server_min} to "
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
            except Exception as exc:  # noqa: BLE001
                error = translate_error(exc, self.settings)
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
            raise api_error(status, explanation.strip(), self.settings.docker_host)
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
            raise (_timed_out(self.settings) if isinstance(exc, socket.timeout)
                   else _unreachable(exc, self.settings)) from exc
        with self._connections_lock:
            self._idle.append(connection)
        return answer

    def close(self) -> None:
        with self._connections_lock:
            for connection in self._idle:
                connection.close()
            self._idle.clear()
        self.api.close()


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


class TidyDockerModule(AnsibleModule):
    """AnsibleModule with the shared connection options and one failure path.

    ``main()`` of every module is: build the spec, make this, ``run`` a handler
    that returns the result dict. Domain errors become ``fail_json`` here only.
    """

    def __init__(self, argument_spec: dict[str, dict[str, t.Any]], **kwargs: t.Any) -> None:
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(argument_spec=docker_argument_spec(argument_spec), **kwargs)
        if DOCKER_BROKEN_IMPORT is not None:
            self.fail_with(broken_sdk_error(DOCKER_BROKEN_IMPORT))
        if DOCKER_IMPORT_ERROR is not None:
            self.fail_json(msg=missing_required_lib("docker (Docker SDK for Python)",
                                                    url="https://pypi.org/project/docker/"),
                           exception=DOCKER_IMPORT_ERROR)
        try:
            check_sdk_version(sdk_version())
        except SdkError as exc:
            self.fail_with(exc)
        self._client: EngineClient | None = None

    @property
    def client(self) -> EngineClient:
        if self._client is None:
            self._client = EngineClient(ConnectionSettings.from_params(self.params))
        return self._client

    def fail_with(self, error: TidyDockerError) -> t.NoReturn:
        context = {key: value for key, value in error.context.items() if value is not None}
        self.fail_json(msg=error.message, **context)

    def run(self, handler: t.Callable[[TidyDockerModule], dict[str, t.Any]]) -> t.NoReturn:
        error: TidyDockerError | None = None
        try:
            result = handler(self)
        except TidyDockerError as exc:
            error = exc
        finally:
            if self._client is not None:
                self._client.close()
        if error is not None:
            # Outside the except block: ansible-core would otherwise attach the
            # traceback of the exception being handled to the failure.
            self.fail_with(error)
        self.exit_json(**result)
