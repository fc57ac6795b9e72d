# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Shared documentation: connection options and attribute presets.

    Mirrors ``plugins/module_utils/common.py``; validate-modules compares the two.
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
      - CA certificate (PEM) used to verify the engine when O(validate_certs=true).
      - If not set and E(DOCKER_CERT_PATH) is, C(ca.pem) in that directory is used.
    type: path
    aliases: [ca_cert, tls_ca_cert, cacert_path]
  client_cert:
    description:
      - Client certificate (PEM) presented to the engine. Requires O(client_key).
      - If not set and E(DOCKER_CERT_PATH) is, C(cert.pem) in that directory is used.
    type: path
    aliases: [tls_client_cert, cert_path]
  client_key:
    description:
      - Private key (PEM) of O(client_cert).
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

    # Attributes every module of the collection has.
    ACTIONGROUP_DOCKER = r"""
attributes:
  action_group:
    description: Use C(group/tidy.docker.docker) in C(module_defaults) to set options for all modules of the collection.
    support: full
    membership:
      - tidy.docker.docker
"""

    # Read-only modules: they change nothing, so check mode and idempotence are trivial.
    INFO_MODULE = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the same data as a real run.
    support: full
    details:
      - This module only reads from the engine; it never changes anything.
  diff_mode:
    description: Would return details on what has changed in diff mode.
    support: N/A
    details:
      - This module never changes anything.
  idempotent:
    description: Running it twice in a row gives the same result, unless something else changed the engine meanwhile.
    support: full
"""

    # Modules that change the engine.
    ACTIONS = r"""
attributes:
  check_mode:
    description: Can run in check mode and return what a real run would change, without changing anything.
    support: full
  diff_mode:
    description: Returns before and after states of what changed (or would change) in diff mode.
    support: full
  idempotent:
    description: A second run with the same options reports no change.
    support: full
"""

    # Options every prune module shares (plugins/module_utils/prune_options.py COMMON_PRUNE_SPEC).
    PRUNE = r"""
options:
  max_removals:
    description:
      - Safety cap on how many objects one run removes. The first ones in removal order go (oldest first, or least
        recently used first in watermark mode); the rest are kept with reason V(max_removals). V(0) means no cap.
    type: int
    default: 0
  parallel:
    description:
      - How many removals run concurrently against the engine (1 to 64).
    type: int
    default: 8
  report_kept:
    description:
      - Return the full RV(kept) list. On hosts with thousands of objects set V(false) and read RV(kept_counts).
    type: bool
    default: true
"""
