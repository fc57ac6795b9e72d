# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The connection options every module shares, documented once.

    Mirrors ``DOCKER_CONNECTION_SPEC`` in ``plugins/module_utils/_engine/connection.py``;
    validate-modules compares the two.
    """

    # The connection options of every module.
    DOCUMENTATION = r"""
options:
  docker_host:
    description:
      - Address of the Docker engine API.
      - V(unix:///path/to/docker.sock) for a local socket, V(tcp://host:2376) for TCP (with O(tls) or O(validate_certs)),
        V(ssh://user@host) to tunnel through SSH.
      - If not set, the value of the E(DOCKER_HOST) environment variable is used.
    type: str
    default: unix:///var/run/docker.sock
    aliases: [docker_url]
  api_version:
    description:
      - Engine API version to speak. V(auto) negotiates the newest version the engine supports.
      - The engine must support API 1.41 (Docker 20.10) or newer.
      - If not set, the value of the E(DOCKER_API_VERSION) environment variable is used.
    type: str
    default: auto
    aliases: [docker_api_version]
  timeout:
    description:
      - Seconds to wait for an answer from the engine.
      - If not set, the value of the E(DOCKER_TIMEOUT) environment variable is used.
    type: int
    default: 60
  tls:
    description:
      - Connect with TLS without verifying the engine's certificate. O(validate_certs=true) takes precedence.
      - If not set, the value of the E(DOCKER_TLS) environment variable is used.
    type: bool
    default: false
  validate_certs:
    description:
      - Connect with TLS and verify the engine's certificate against O(ca_path), or against the system's CA store
        when O(ca_path) is not set. E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) are ignored.
      - If not set, the value of the E(DOCKER_TLS_VERIFY) environment variable is used.
    type: bool
    default: false
    aliases: [tls_verify]
  ca_path:
    description:
      - Path to the CA certificate (PEM) used to verify the engine when O(validate_certs=true); a path on the
        managed node, not the certificate's text.
      - If not set and E(DOCKER_CERT_PATH) is, C(ca.pem) in that directory is used.
    type: path
    aliases: [ca_cert, tls_ca_cert, cacert_path]
  client_cert:
    description:
      - Path to the client certificate (PEM) presented to the engine, not the certificate's text. Requires
        O(client_key).
      - If not set and E(DOCKER_CERT_PATH) is, C(cert.pem) in that directory is used.
    type: path
    aliases: [tls_client_cert, cert_path]
  client_key:
    description:
      - Path to the private key (PEM) of O(client_cert), not the key's text. PEM text given instead of a path fails
        with a sentence naming the option, never its value.
      - Its value is C(no_log), so Ansible masks it in every result and in the module arguments shown at C(-vvv).
      - If not set and E(DOCKER_CERT_PATH) is, C(key.pem) in that directory is used.
    type: path
    aliases: [tls_client_key, key_path]
  tls_hostname:
    description:
      - Host name expected in the engine's certificate, when it differs from the host of O(docker_host).
      - Only checked with O(validate_certs=true).
      - If not set, the value of the E(DOCKER_TLS_HOSTNAME) environment variable is used.
    type: str
  use_ssh_client:
    description:
      - For V(ssh://) addresses, use the system C(ssh) client instead of the Python C(paramiko) library.
      - Needs the Docker SDK for Python 4.4.0 or newer. The SDK still needs C(paramiko) installed to load its ssh
        support, even though it does not use it in this mode.
    type: bool
    default: false
notes:
  - Connection options can be set once for all modules of the collection with
    C(module_defaults) and the action group C(group/tidy.docker.docker).
  - Errors such as an unreachable engine, an unsupported API version or unreadable TLS files fail the task
    with one sentence naming the cause and the fix.
requirements:
  - Docker SDK for Python (C(docker)) 4.1.0 or newer on the managed node (4.4.0 or newer for O(use_ssh_client=true));
    C(paramiko) there for V(ssh://) addresses. Python 3.9 or newer.
  - Docker Engine API 1.41 (Docker 20.10) or newer.
"""
