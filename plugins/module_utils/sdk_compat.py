# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Docker SDK on the managed node can do, decided without importing it.

Modules run with whatever SDK the node's distribution ships: 4.1.0 on Debian 11 and
Ubuntu 20.04, 5.0.3 on Debian 12 and Ubuntu 22.04/24.04, 7.x from PyPI. The keyword
arguments ``docker.APIClient`` accepts differ between them, so the client is built from
the arguments the installed SDK declares, and an option the SDK cannot honour fails
with one sentence instead of a ``TypeError``. Pure functions of (version, accepted
arguments), so every branch is unit-testable without installing each SDK.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils.errors import SdkError

MIN_SDK_VERSION = "4.1.0"

# APIClient keyword arguments that arrived after MIN_SDK_VERSION, with the release that brought them.
NEWER_CLIENT_ARGUMENTS: dict[str, str] = {"use_ssh_client": "4.4.0", "max_pool_size": "4.4.0"}

_PIP_HINT = "pip install 'docker>={version}'"
_INSTALL_HINT = ("install python3-docker from Debian 11 / Ubuntu 20.04 or newer, or run "
                 f"{_PIP_HINT.format(version=MIN_SDK_VERSION)} with the Python that runs the modules")


def sdk_version_tuple(version: str) -> tuple[int, ...]:
    """``(4, 1, 0)`` from ``4.1.0``; suffixes such as ``rc1`` or ``+dfsg`` are ignored."""
    numbers = []
    for part in str(version).split(".")[:3]:
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        numbers.append(int(digits.group()))
    return tuple(numbers)


def check_sdk_version(version: str) -> None:
    """Refuse an SDK older than the oldest one the collection is tested with."""
    found = sdk_version_tuple(version)
    if not found or found < sdk_version_tuple(MIN_SDK_VERSION):
        raise SdkError(f"The Docker SDK for Python on the managed node is {version}, older than the "
                       f"{MIN_SDK_VERSION} tidy.docker needs; {_INSTALL_HINT}.", sdk_version=version)


def api_client_kwargs(wanted: t.Mapping[str, t.Any], accepted: t.Collection[str],
                      sdk_version: str) -> dict[str, t.Any]:
    """The subset of ``wanted`` APIClient arguments the installed SDK takes.

    An argument the SDK lacks is left out when its value is only a tuning (``max_pool_size``,
    which the client's own adapters apply anyway), and refused when the user asked for a
    behaviour the SDK cannot give (``use_ssh_client=true``).
    """
    kwargs = {}
    for name, value in wanted.items():
        if name in accepted:
            kwargs[name] = value
        elif name not in NEWER_CLIENT_ARGUMENTS:
            # A programming error: every argument newer than MIN_SDK_VERSION must be listed above.
            raise ValueError(f"docker.APIClient of SDK {sdk_version} does not take {name!r}")
        elif name == "use_ssh_client" and value:
            needed = NEWER_CLIENT_ARGUMENTS[name]
            raise SdkError(
                f"use_ssh_client=true needs the Docker SDK for Python {needed} or newer on the managed node, "
                f"which has {sdk_version}; install python3-docker from Debian 12 / Ubuntu 22.04 or newer, or run "
                f"{_PIP_HINT.format(version=needed)} there, or set use_ssh_client=false to connect through paramiko.",
                option="use_ssh_client", sdk_version=sdk_version)
    return kwargs


def check_ssh_transport(docker_host: str, transport_loaded: bool, sdk_version: str) -> None:
    """Explain a missing ssh transport before the SDK does, with advice that works.

    Every SDK release (4.1.0 to 7.x) imports paramiko at the top of its ssh transport, so
    without paramiko neither way of connecting over ssh exists, ``use_ssh_client=true``
    included, although that way never calls paramiko.
    """
    if docker_host.startswith("ssh://") and not transport_loaded:
        raise SdkError(
            f"docker_host {docker_host} needs the paramiko package on the managed node, also with "
            f"use_ssh_client=true (the Docker SDK for Python {sdk_version} loads its ssh transport only with "
            "paramiko); install it there: apt-get install python3-paramiko, or pip install paramiko.",
            docker_host=docker_host, sdk_version=sdk_version)
