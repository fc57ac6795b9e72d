# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sdk_compat.py: which APIClient arguments each Docker SDK release takes, and the sentences when it cannot."""

from __future__ import annotations

import pytest

from ansible_collections.tidy.docker.plugins.module_utils.errors import SdkError
from ansible_collections.tidy.docker.plugins.module_utils.sdk_compat import (
    MIN_SDK_VERSION,
    api_client_kwargs,
    check_sdk_version,
    check_ssh_transport,
    sdk_version_tuple,
)

# docker.APIClient.__init__ parameters, read from each release with inspect.signature.
SDK_4_1_0 = ("self", "base_url", "version", "timeout", "tls", "user_agent", "num_pools", "credstore_env")
SDK_5_0_3 = SDK_4_1_0 + ("use_ssh_client", "max_pool_size")
SDK_7_2_0 = SDK_5_0_3


@pytest.mark.parametrize(("text", "parsed"), [
    ("4.1.0", (4, 1, 0)), ("5.0.3", (5, 0, 3)), ("7.2.0", (7, 2, 0)), ("4.1.0+dfsg", (4, 1, 0)),
    ("7.2.0rc1", (7, 2, 0)), ("10.0", (10, 0)), ("4.1.0.post1", (4, 1, 0)), ("unknown", ()), ("", ()),
])
def test_sdk_version_tuple(text, parsed):
    assert sdk_version_tuple(text) == parsed


@pytest.mark.parametrize("version", [MIN_SDK_VERSION, "4.1.1", "4.4.0", "5.0.3", "7.2.0", "10.0.0"])
def test_supported_sdks_pass(version):
    check_sdk_version(version)


@pytest.mark.parametrize("version", ["4.0.2", "3.4.1", "2.7.0", "1.10.6", "unknown"])
def test_older_sdks_are_refused_with_the_install_hint(version):
    with pytest.raises(SdkError) as caught:
        check_sdk_version(version)
    assert str(caught.value) == (
        f"The Docker SDK for Python on the managed node is {version}, older than the 4.1.0 tidy.docker needs; "
        "install python3-docker from Debian 11 / Ubuntu 20.04 or newer, or run pip install 'docker>=4.1.0' with the "
        "Python that runs the modules.")
    assert caught.value.context == {"sdk_version": version}


WANTED = {"use_ssh_client": False, "max_pool_size": 16}


@pytest.mark.parametrize(("accepted", "version", "expected"), [
    (SDK_4_1_0, "4.1.0", {}),
    (SDK_5_0_3, "5.0.3", WANTED),
    (SDK_7_2_0, "7.2.0", WANTED),
    # A distribution that backported only one of them: each argument is judged on its own.
    (SDK_4_1_0 + ("max_pool_size",), "4.1.0", {"max_pool_size": 16}),
], ids=["4.1.0", "5.0.3", "7.2.0", "backport"])
def test_only_the_arguments_the_sdk_takes_are_passed(accepted, version, expected):
    assert api_client_kwargs(WANTED, accepted, version) == expected


@pytest.mark.parametrize(("accepted", "version"), [(SDK_5_0_3, "5.0.3"), (SDK_7_2_0, "7.2.0")])
def test_ssh_client_is_passed_on_when_the_sdk_has_it(accepted, version):
    assert api_client_kwargs({"use_ssh_client": True}, accepted, version) == {"use_ssh_client": True}


def test_ssh_client_on_an_sdk_without_it_is_refused():
    with pytest.raises(SdkError) as caught:
        api_client_kwargs({"use_ssh_client": True, "max_pool_size": 10}, SDK_4_1_0, "4.1.0")
    assert str(caught.value) == (
        "use_ssh_client=true needs the Docker SDK for Python 4.4.0 or newer on the managed node, which has 4.1.0; "
        "install python3-docker from Debian 12 / Ubuntu 22.04 or newer, or run pip install 'docker>=4.4.0' there, "
        "or set use_ssh_client=false to connect through paramiko.")
    assert caught.value.context == {"option": "use_ssh_client", "sdk_version": "4.1.0"}


def test_an_argument_nobody_declared_newer_is_a_programming_error():
    with pytest.raises(ValueError, match="does not take 'credstore_path'"):
        api_client_kwargs({"credstore_path": "/x"}, SDK_4_1_0, "4.1.0")


@pytest.mark.parametrize("host", ["unix:///var/run/docker.sock", "tcp://engine.example:2376", "ssh://deploy@engine"])
def test_ssh_transport_present_or_not_needed(host):
    check_ssh_transport(host, transport_loaded=True, sdk_version="7.2.0")
    if not host.startswith("ssh://"):
        check_ssh_transport(host, transport_loaded=False, sdk_version="7.2.0")


def test_ssh_without_paramiko_says_use_ssh_client_does_not_help():
    with pytest.raises(SdkError) as caught:
        check_ssh_transport("ssh://deploy@engine.example", transport_loaded=False, sdk_version="5.0.3")
    assert str(caught.value) == (
        "docker_host ssh://deploy@engine.example needs the paramiko package on the managed node, also with "
        "use_ssh_client=true (the Docker SDK for Python 5.0.3 loads its ssh transport only with paramiko); install it "
        "there: apt-get install python3-paramiko, or pip install paramiko.")
    assert caught.value.context == {"docker_host": "ssh://deploy@engine.example", "sdk_version": "5.0.3"}
