# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_info over tcp + TLS and over ssh:// (paramiko and the ssh binary), against a real dockerd."""

from __future__ import annotations

import pytest


def tls_args(endpoints, **overrides):
    args = {"docker_host": f"tcp://127.0.0.1:{endpoints.tls_port}", "validate_certs": True,
            "ca_path": str(endpoints.certs / "ca.pem"), "client_cert": str(endpoints.certs / "client.pem"),
            "client_key": str(endpoints.certs / "client-key.pem"), "timeout": 20}
    args.update(overrides)
    return {key: value for key, value in args.items() if value is not None}


def assert_private_engine(run, endpoints):
    assert not run.failed, run.output
    assert run.result["engine"]["docker_root_dir"] == endpoints.data_root


def assert_one_sentence(run):
    assert run.failed, run.output
    assert "\n" not in run.msg and "Traceback" not in run.output, run.output
    return run.msg


# ---------------------------------------------------------------- tcp + TLS


@pytest.mark.parametrize("hostname", [None, "localhost", "server_name"], ids=["ip", "localhost", "other-name"])
def test_tls_with_ca_client_certificate_and_hostname(module, endpoints, hostname):
    if hostname == "server_name":
        hostname = endpoints.server_name  # in the certificate, but no name of this address
    assert_private_engine(module("host_info", tls_args(endpoints, tls_hostname=hostname)), endpoints)


def test_docker_cert_path_supplies_the_files(module, endpoints):
    certs = endpoints.certs
    cert_dir = endpoints.dir / "cert-path"
    cert_dir.mkdir(exist_ok=True)
    for source, target in (("ca.pem", "ca.pem"), ("client.pem", "cert.pem"), ("client-key.pem", "key.pem")):
        (cert_dir / target).write_bytes((certs / source).read_bytes())
    run = module("host_info", {"docker_host": f"tcp://127.0.0.1:{endpoints.tls_port}", "validate_certs": True},
                 {"DOCKER_CERT_PATH": str(cert_dir)})
    assert_private_engine(run, endpoints)


def test_wrong_tls_hostname_is_refused(module, endpoints):
    msg = assert_one_sentence(module("host_info", tls_args(endpoints, tls_hostname="wrong.tidy.test")))
    assert msg.startswith(f"TLS with the engine at tcp://127.0.0.1:{endpoints.tls_port} failed"), msg
    assert "wrong.tidy.test" in msg and "tls_hostname" in msg, msg


def test_engine_refuses_a_client_without_certificate(module, endpoints):
    msg = assert_one_sentence(module("host_info", tls_args(endpoints, client_cert=None, client_key=None)))
    assert f"tcp://127.0.0.1:{endpoints.tls_port}" in msg, msg
    assert "client certificate" in msg and "client_cert" in msg, msg


def test_engine_certificate_from_another_ca_is_refused(module, endpoints):
    msg = assert_one_sentence(module("host_info", tls_args(endpoints, ca_path=str(endpoints.certs / "other-ca.pem"))))
    assert msg.startswith(f"TLS with the engine at tcp://127.0.0.1:{endpoints.tls_port} failed"), msg
    assert "ca_path" in msg, msg


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_ca_bundle_variables_do_not_override_ca_path(module, endpoints, variable):
    wrong = str(endpoints.certs / "other-ca.pem")
    assert_private_engine(module("host_info", tls_args(endpoints), {variable: wrong}), endpoints)


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_ca_bundle_variables_do_not_rescue_a_wrong_ca_path(module, endpoints, variable):
    right = str(endpoints.certs / "ca.pem")
    run = module("host_info", tls_args(endpoints, ca_path=str(endpoints.certs / "other-ca.pem")), {variable: right})
    assert "TLS with the engine at" in assert_one_sentence(run)


# ---------------------------------------------------------------- ssh://

SSH_CLIENT_REFUSAL = "use_ssh_client=true needs the Docker SDK for Python 4.4.0 or newer on the managed node"


def expect_ssh_reached(run, sdk_version, use_ssh_client):
    """False when this SDK cannot use the ssh binary: then the refusal sentence is asserted instead."""
    if use_ssh_client and sdk_version < (4, 4, 0):
        assert assert_one_sentence(run).startswith(SSH_CLIENT_REFUSAL), run.msg
        return False
    return True


@pytest.mark.parametrize("use_ssh_client", [False, True], ids=["paramiko", "ssh-binary"])
def test_ssh_reaches_the_private_engine(module, endpoints, sdk_version, use_ssh_client):
    run = module("host_info", {"docker_host": f"ssh://root@127.0.0.1:{endpoints.ssh_port}",
                               "use_ssh_client": use_ssh_client, "timeout": 30})
    if expect_ssh_reached(run, sdk_version, use_ssh_client):
        assert_private_engine(run, endpoints)


@pytest.mark.parametrize("use_ssh_client", [False, True], ids=["paramiko", "ssh-binary"])
def test_ssh_lists_containers(module, endpoints, sdk_version, use_ssh_client):
    """More than /version: a listing goes through the same tunnel, several requests on one connection."""
    run = module("container_info", {"docker_host": f"ssh://root@127.0.0.1:{endpoints.ssh_port}",
                                    "use_ssh_client": use_ssh_client, "timeout": 30})
    if expect_ssh_reached(run, sdk_version, use_ssh_client):
        assert not run.failed, run.output
        assert run.result["count"] == len(run.result["containers"])


@pytest.mark.parametrize("use_ssh_client", [False, True], ids=["paramiko", "ssh-binary"])
def test_ssh_to_a_host_nobody_trusts_fails_in_one_sentence(module, endpoints, sdk_version, use_ssh_client):
    """A user the sshd does not know: refused, and said so in one sentence naming the address."""
    run = module("host_info", {"docker_host": f"ssh://nobody-here@127.0.0.1:{endpoints.ssh_port}",
                               "use_ssh_client": use_ssh_client, "timeout": 20})
    if expect_ssh_reached(run, sdk_version, use_ssh_client):
        msg = assert_one_sentence(run)
        assert msg.startswith(f"Cannot reach the engine at ssh://nobody-here@127.0.0.1:{endpoints.ssh_port}: "
                              + ("the ssh command closed the connection. Run 'ssh -p "
                                 f"{endpoints.ssh_port} nobody-here@127.0.0.1 docker system dial-stdio'"
                                 if use_ssh_client else "the ssh server refused the login.")), msg
