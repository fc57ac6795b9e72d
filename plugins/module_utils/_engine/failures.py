# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SDK and HTTP failures turned into the one domain error (``_errors``) users see.

Every exception the Docker SDK, requests or paramiko raise passes through
``translate_error``: the sentence names the cause (no socket, refused login, a
certificate for another name, an API version the engine refuses) and the option
that fixes it.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import ConnectionSettings
from ansible_collections.tidy.docker.plugins.module_utils._errors import (
    ApiVersionError,
    Conflict,
    EngineError,
    EngineTimeout,
    EngineUnreachable,
    NotFound,
    TidyDockerError,
    TlsError,
)
from ansible_collections.tidy.docker.plugins.module_utils._podman import DOCKER, PODMAN


def the_engine(engine: str | None, start: bool = False) -> str:
    """How a message names the engine: as /version told (``docker`` or ``podman``), or, before that
    answer (cannot connect, TLS, the version request itself), neither: a Podman user must not read
    that Docker failed. ``start``: it begins the sentence."""
    name = {DOCKER: "the Docker engine", PODMAN: "the Podman engine"}.get(engine or "", "the engine")
    return name[:1].upper() + name[1:] if start else name


_START_ENGINE = "Start the engine, or point docker_host (or DOCKER_HOST) at a running one."
# marker in the error text -> (cause, fix)
_UNREACHABLE_REASONS: tuple[tuple[str, str, str], ...] = (
    ("No such file or directory", "there is no socket at that path", _START_ENGINE),
    ("Connection refused", "the connection was refused", _START_ENGINE),
    ("Permission denied", "permission was denied",
     "Run the task as root (become: true) or as a member of the docker group."),
    ("Name or service not known", "the host name does not resolve", "Fix the host name in docker_host (or DOCKER_HOST)."),
)


def unreachable(exc: BaseException, settings: ConnectionSettings, engine: str | None = None) -> EngineUnreachable:
    text = str(exc)
    reason, fix = next(((why, fix) for marker, why, fix in _UNREACHABLE_REASONS if marker in text),
                       ("no engine answered", _START_ENGINE))
    return EngineUnreachable(f"Cannot reach {the_engine(engine)} at {settings.docker_host}: {reason}. {fix}",
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


def _tls_failure(exc: BaseException, settings: ConnectionSettings, engine: str | None) -> TlsError:
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
    return TlsError(f"TLS with {the_engine(engine)} at {settings.docker_host} failed: {cause}; {fix}.",
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


def _ssh_failure(exc: BaseException, settings: ConnectionSettings, engine: str | None) -> EngineUnreachable | None:
    """Why an ssh:// connection failed, when the exception tells; None to translate it otherwise."""
    import requests.exceptions  # loaded with the SDK that raised exc (see translate_error)

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
    return EngineUnreachable(f"Cannot reach {the_engine(engine)} at {settings.docker_host}: {cause}. "
                             f"{fix[0].upper()}{fix[1:]}.", docker_host=settings.docker_host, error=text)


def timed_out(settings: ConnectionSettings, engine: str | None = None) -> EngineTimeout:
    return EngineTimeout(f"{the_engine(engine, start=True)} at {settings.docker_host} did not answer within "
                         f"{settings.timeout} seconds; raise timeout (or DOCKER_TIMEOUT), or check the engine's health.",
                         docker_host=settings.docker_host)


def translate_error(exc: BaseException, settings: ConnectionSettings, engine: str | None = None) -> TidyDockerError:
    """Map an SDK/HTTP exception to the domain error users see. Never raises.

    ``engine``: ``docker`` or ``podman`` once the engine's /version answer told, for the wording."""
    if isinstance(exc, TidyDockerError):
        return exc
    host = settings.docker_host
    try:
        # Imported here, not with this file: _engine.client imports the SDK once it knows the
        # address (import_sdk), and every exception that reaches this point came from the SDK.
        import docker.errors
        import requests.exceptions
    except ImportError:  # pragma: no cover - _engine.client reports a missing or broken SDK before any call
        return EngineError(f"Unexpected error talking to {the_engine(engine)} at {host}: {exc!r}", docker_host=host)
    ssh_failure = _ssh_failure(exc, settings, engine) if host.startswith("ssh://") else None
    if ssh_failure is not None:
        return ssh_failure
    if isinstance(exc, requests.exceptions.SSLError) or (
            settings.use_tls and isinstance(exc, requests.exceptions.ConnectionError) and "SSL" in str(exc)):
        return _tls_failure(exc, settings, engine)
    if isinstance(exc, docker.errors.TLSParameterError):
        return TlsError(f"Bad TLS settings for {host}: {exc.msg}", docker_host=host)
    if isinstance(exc, (requests.exceptions.ReadTimeout, requests.exceptions.Timeout)):
        return timed_out(settings, engine)
    if isinstance(exc, docker.errors.APIError):
        return _translate_api_error(exc, host, engine)
    if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError)):
        return unreachable(exc, settings, engine)
    if isinstance(exc, docker.errors.DockerException):
        # The SDK wraps connection failures during construction in a bare DockerException.
        if "Error while fetching server API version" in str(exc):
            return unreachable(exc, settings, engine)
        return EngineError(f"Docker SDK error talking to {host}: {exc}", docker_host=host)
    return EngineError(f"Unexpected error talking to {the_engine(engine)} at {host}: {exc!r}", docker_host=host)


def _translate_api_error(exc: t.Any, host: str, engine: str | None) -> TidyDockerError:
    explanation = str(getattr(exc, "explanation", None) or exc).strip()
    return api_error(getattr(getattr(exc, "response", None), "status_code", None), explanation, host, engine)


# Podman's 500 for an image removed while it was being read (a concurrent removal pruned it as a
# parent): "failed to convert ImageData to ImageInspect ...: image not known". It means 404.
_PODMAN_GONE = "image not known"


def api_error(status: int | None, explanation: str, host: str, engine: str | None = None) -> TidyDockerError:
    """The domain error of an engine answer ``status`` with the engine's ``explanation``."""
    context = {"docker_host": host, "status_code": status}
    if status == 404 or status == 500 and _PODMAN_GONE in explanation:
        return NotFound(explanation, **context)
    if status == 409:
        return Conflict(explanation, **context)
    if status == 400 and "client version" in explanation:
        return ApiVersionError(f"{the_engine(engine, start=True)} at {host} refused the API version: {explanation}; "
                               "set api_version to auto or to a version the engine supports.", **context)
    return EngineError(f"{the_engine(engine, start=True)} at {host} answered {status}: {explanation}", **context)
