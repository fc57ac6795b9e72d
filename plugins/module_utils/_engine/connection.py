# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How to reach the engine: the connection options every module shares, validated.

Names, aliases and environment fallbacks follow the wider Docker-on-Ansible
ecosystem so that existing ``module_defaults`` carry over. The same options are
documented once in ``plugins/doc_fragments/_connection.py``; validate-modules keeps
the two in step. ``ConnectionSettings`` is what the options mean, checked without
importing the Docker SDK, so that the rules are unit-testable.
"""

from __future__ import annotations

import os
import re
import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput, TlsError

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT = 60

DOCKER_CONNECTION_SPEC: dict[str, dict[str, t.Any]] = {
    "docker_host": {"type": "str", "default": DEFAULT_DOCKER_HOST, "aliases": ["docker_url"],
                    "fallback": (env_fallback, ["DOCKER_HOST"])},
    "api_version": {"type": "str", "default": "auto", "aliases": ["docker_api_version"],
                    "fallback": (env_fallback, ["DOCKER_API_VERSION"])},
    "timeout": {"type": "int", "default": DEFAULT_TIMEOUT, "fallback": (env_fallback, ["DOCKER_TIMEOUT"])},
    "tls": {"type": "bool", "default": False, "fallback": (env_fallback, ["DOCKER_TLS"])},
    "validate_certs": {"type": "bool", "default": False, "aliases": ["tls_verify"],
                       "fallback": (env_fallback, ["DOCKER_TLS_VERIFY"])},
    # Certificates are public, and their paths help in messages; a private key's path is
    # no_log so that a key pasted as text is masked wherever it appears, -vvv's
    # invocation included (ansible-test's validate-modules wants the choice explicit).
    "ca_path": {"type": "path", "no_log": False, "aliases": ["ca_cert", "tls_ca_cert", "cacert_path"]},
    "client_cert": {"type": "path", "no_log": False, "aliases": ["tls_client_cert", "cert_path"]},
    "client_key": {"type": "path", "no_log": True, "aliases": ["tls_client_key", "key_path"]},
    "tls_hostname": {"type": "str", "fallback": (env_fallback, ["DOCKER_TLS_HOSTNAME"])},
    "use_ssh_client": {"type": "bool", "default": False},
}

# Argument-spec keys that only describe the connection; modules never read them directly.
CONNECTION_OPTION_NAMES: frozenset[str] = frozenset(DOCKER_CONNECTION_SPEC)


def docker_argument_spec(module_spec: dict[str, dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    """Return the module's own spec merged with the shared connection options."""
    clashes = CONNECTION_OPTION_NAMES & set(module_spec)
    if clashes:  # a programming error, caught by the unit tests
        raise ValueError(f"module options shadow connection options: {sorted(clashes)}")
    merged = {name: dict(spec) for name, spec in DOCKER_CONNECTION_SPEC.items()}
    merged.update(module_spec)
    return merged


# Docker 20.10; older engines lack the data the policies read (e.g. df SharedSize).
MIN_API_VERSION = "1.41"
SUPPORTED_SCHEMES = ("unix", "tcp", "ssh", "http", "https", "npipe")
_VERSION_RE = re.compile(r"^\d{1,2}\.\d{1,3}$")


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


# A day: the longest any one engine answer (a pull's next chunk, a removal) is worth waiting for.
MAX_TIMEOUT = 86400
_ADDRESS_HINT = "use unix:///path/to/docker.sock, tcp://host:2376 or ssh://user@host"
# A host name or IPv4 address; an IPv6 address comes in brackets and urlsplit strips them.
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|[0-9A-Fa-f:.%]+)$")
# Schemes whose address is a path on the managed node, not a host and port.
_PATH_SCHEMES = ("unix", "npipe")


def _bad_host(host: str, problem: str, fix: str = _ADDRESS_HINT) -> InvalidInput:
    return InvalidInput(f"docker_host: {host!r} {problem}; {fix}.", option="docker_host", value=host)


def check_docker_host(host: str) -> str:
    """``host`` when it is an engine address the SDK can use, else one sentence saying what is wrong.

    The SDK's own checks come later (at the first engine call) and say "Invalid bind address
    format" or let a ValueError through; here every part is checked before any call.
    """
    scheme = host.split("://", 1)[0] if "://" in host else ""
    if scheme not in SUPPORTED_SCHEMES:
        raise _bad_host(host, "is not an engine address")
    if scheme in _PATH_SCHEMES:
        _check_path_address(host, scheme)
    else:
        _check_network_address(host, scheme)
    return host


def _check_path_address(host: str, scheme: str) -> None:
    rest = host[len(scheme) + 3:]
    if not rest.startswith("/") or rest.strip("/") == "":
        raise _bad_host(host, "has no absolute path", f"give the socket's full path, such as {scheme}:///var/run/docker.sock"
                        if scheme == "unix" else "give the pipe's path, such as npipe:////./pipe/docker_engine")


_BAD_PORT = ("has a port that is not a number from 1 to 65535", "give the engine's port, such as 2376 (TLS) or 2375")


def _check_network_address(host: str, scheme: str) -> None:
    """tcp://, http://, https:// (a host and a port) and ssh:// (a host, optionally a user and a port)."""
    try:
        parts = urlsplit(host)
        port = parts.port
    except ValueError:  # urllib's words for a port that is no number or out of range
        raise _bad_host(host, *_BAD_PORT) from None
    hostname = parts.hostname or ""
    if not hostname or not _HOST_RE.match(hostname):
        raise _bad_host(host, "has no valid host name", "give the engine's host, such as tcp://docker.example.com:2376")
    # "host:" (a colon, no digits) leaves port None; 0 is no port either.
    if port == 0 or port is None and ":" in parts.netloc.rsplit("]", 1)[-1]:
        raise _bad_host(host, *_BAD_PORT)
    if scheme == "ssh":
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise _bad_host(host, "has a path, which an ssh:// address cannot have", f"use ssh://user@{hostname}")
        return
    if port is None:
        raise _bad_host(host, "has no port", f"give the engine's port, such as {scheme}://{hostname}:2376 (TLS) or 2375")
    if parts.username is not None:
        raise _bad_host(host, "has a user name, which only an ssh:// address uses", f"drop it, or use ssh://user@{hostname}")


def check_api_version(api_version: str) -> str:
    """``auto`` or a version from MIN_API_VERSION on with parts of at most three digits."""
    if api_version.lower() == "auto":
        return "auto"
    if not _VERSION_RE.match(api_version):
        raise InvalidInput(f"api_version: {api_version!r} is not an API version; use auto or a version such as 1.41.",
                           option="api_version", value=api_version)
    if version_tuple(api_version) < version_tuple(MIN_API_VERSION):
        raise InvalidInput(f"api_version: {api_version} is older than the {MIN_API_VERSION} (Docker 20.10) tidy.docker "
                           "needs; set api_version to auto or to 1.41 or newer.", option="api_version", value=api_version)
    return api_version


def check_tls_applies(host: str, params: t.Mapping[str, t.Any]) -> None:
    """Refuse TLS on an address that cannot carry it (a socket, a pipe, ssh), rather than ignore it.

    The SDK would connect without TLS and leave the user believing the keys were used; the
    certificate files themselves only matter with tls or validate_certs, where they are checked.
    """
    scheme = host.split("://", 1)[0]
    if scheme in ("unix", "npipe", "ssh"):
        for option in ("tls", "validate_certs"):
            if params.get(option):
                raise InvalidInput(f"{option}: true does not apply to {host!r}, a {scheme}:// address that never uses "
                                   "TLS; set tls and validate_certs to false, or point docker_host at the engine's "
                                   "tcp:// TLS port.", option=option, value=True)


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
        host = check_docker_host(str(params["docker_host"]).strip())
        api_version = check_api_version(str(params["api_version"]).strip())
        timeout = int(params["timeout"])
        if not 0 < timeout <= MAX_TIMEOUT:
            raise InvalidInput(f"timeout: {timeout!r} is out of range; give the seconds to wait for the engine's "
                               f"answer, 1 to {MAX_TIMEOUT}.", option="timeout", value=timeout)
        # Pasted key material first: it is the mistake to fix whatever else is wrong with the TLS options.
        refuse_pem_text((option, params.get(option)) for option in ("ca_path", "client_cert", "client_key"))
        check_tls_applies(host, params)
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
        """Name the missing or unusable file before the SDK reports it less clearly.

        Never echoes PEM text given where a path belongs: that text may be the private
        key itself (client_key is also ``no_log``, so Ansible masks its value anywhere).
        """
        tls_files = (("ca_path", self.ca_path), ("client_cert", self.client_cert), ("client_key", self.client_key))
        refuse_pem_text(tls_files)
        if not self.use_tls:
            return
        if bool(self.client_cert) != bool(self.client_key):
            raise TlsError("client_cert and client_key must be given together; set both or neither.",
                           docker_host=self.docker_host)
        for option, path in tls_files:
            if path and (option != "ca_path" or self.validate_certs):
                _check_pem_file(option, path)


def refuse_pem_text(values: t.Iterable[tuple[str, t.Any]]) -> None:
    """One sentence, without the value, for PEM text given where the path of a TLS file belongs."""
    for option, value in values:
        if value and _looks_like_pem_text(str(value)):
            raise TlsError(f"{option}: the value is PEM text, not a path; save it to a file on the managed node "
                           f"and set {option} to that file's path.", option=option)


def _looks_like_pem_text(value: str) -> bool:
    # A path has neither; a pasted certificate or key has both.
    return "-----BEGIN" in value or "\n" in value


def _check_pem_file(option: str, path: str) -> None:
    """One sentence when ``path`` is missing, unreadable or not PEM.

    The path is shown even for client_key: one from DOCKER_CERT_PATH helps, and one given
    as the (no_log) option comes out masked by Ansible. Never the file's contents.
    """
    shown = f"TLS file {path!r}"
    if not os.path.isfile(path):
        raise TlsError(f"{option}: {shown} does not exist; point {option} (or DOCKER_CERT_PATH) at a readable PEM "
                       "file.", option=option, value=path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(64 * 1024)
    except OSError as exc:
        raise TlsError(f"{option}: {shown} cannot be read ({exc.strerror}); make it readable by the user running the "
                       "module.", option=option) from None
    if b"-----BEGIN" not in head:
        # Only the marker is looked for: the contents are never put in a message.
        raise TlsError(f"{option}: {shown} is not a PEM file (no -----BEGIN line); point {option} at the PEM "
                       "certificate or key.", option=option)
