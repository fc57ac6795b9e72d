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
        """Name the missing or unusable file before the SDK reports it less clearly.

        Never echoes PEM text given where a path belongs: that text may be the private
        key itself (client_key is also ``no_log``, so Ansible masks its value anywhere).
        """
        tls_files = (("ca_path", self.ca_path), ("client_cert", self.client_cert), ("client_key", self.client_key))
        for option, value in tls_files:
            if value and _looks_like_pem_text(value):
                raise TlsError(f"{option}: the value is PEM text, not a path; save it to a file on the managed node "
                               f"and set {option} to that file's path.", option=option)
        if not self.use_tls:
            return
        if bool(self.client_cert) != bool(self.client_key):
            raise TlsError("client_cert and client_key must be given together; set both or neither.",
                           docker_host=self.docker_host)
        for option, path in tls_files:
            if path and (option != "ca_path" or self.validate_certs):
                _check_pem_file(option, path)


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
