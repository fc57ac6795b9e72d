# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module shares.

Names, aliases and environment fallbacks follow the wider Docker-on-Ansible
ecosystem so that existing ``module_defaults`` carry over. The same options are
documented once in ``plugins/doc_fragments/docker.py``; validate-modules keeps
the two in step.
"""

from __future__ import annotations

import typing as t

from ansible.module_utils.basic import env_fallback

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
    "ca_path": {"type": "path", "aliases": ["ca_cert", "tls_ca_cert", "cacert_path"]},
    "client_cert": {"type": "path", "aliases": ["tls_client_cert", "cert_path"]},
    "client_key": {"type": "path", "aliases": ["tls_client_key", "key_path"]},
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
