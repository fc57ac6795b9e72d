# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_engine/ without an engine: option validation, error translation, API-version rules."""

from __future__ import annotations

import typing as t

import docker.errors
import pytest
import requests
import requests.exceptions

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import MIN_API_VERSION, ConnectionSettings
from ansible_collections.tidy.docker.plugins.module_utils._engine.failures import translate_error
from ansible_collections.tidy.docker.plugins.module_utils._errors import (
    ApiVersionError,
    Conflict,
    EngineError,
    EngineTimeout,
    EngineUnreachable,
    InvalidInput,
    NotFound,
    TidyDockerError,
    TlsError,
)

SOCKET = "unix:///var/run/docker.sock"
TCP = "tcp://engine.example:2376"
UNREACHABLE_FIX = "Start the engine, or point docker_host (or DOCKER_HOST) at a running one."

# Probed from Docker 20.10.24 (GET /version).
ENGINE_20_10 = {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41", "MinAPIVersion": "1.12", "Os": "linux"}


def settings_for(make_params: t.Callable[..., dict[str, t.Any]], **overrides: t.Any) -> ConnectionSettings:
    return ConnectionSettings.from_params(make_params(**overrides), environ={})


# ---------------------------------------------------------------- ConnectionSettings.from_params


def test_defaults_connect_to_the_local_socket_without_tls(default_settings):
    assert default_settings == ConnectionSettings(
        docker_host=SOCKET, api_version="auto", timeout=60, tls=False, validate_certs=False, ca_path=None,
        client_cert=None, client_key=None, tls_hostname=None, use_ssh_client=False)
    assert default_settings.use_tls is False


@pytest.mark.parametrize(("given", "kept"), [
    (SOCKET, SOCKET),
    ("unix:///run/user/1000/docker.sock", "unix:///run/user/1000/docker.sock"),
    (TCP, TCP),
    ("ssh://deploy@engine.example", "ssh://deploy@engine.example"),
    ("ssh://deploy@engine.example:2222", "ssh://deploy@engine.example:2222"),
    ("http://engine.example:2375", "http://engine.example:2375"),
    ("https://engine.example:2376", "https://engine.example:2376"),
    ("npipe:////./pipe/docker_engine", "npipe:////./pipe/docker_engine"),
    (f"  {TCP} ", TCP),
])
def test_supported_schemes(make_params, given, kept):
    assert settings_for(make_params, docker_host=given).docker_host == kept


@pytest.mark.parametrize("host", [
    "/var/run/docker.sock",
    "unix:/var/run/docker.sock",
    "engine.example:2376",
    "ftp://engine.example",
    "docker://engine.example",
    "",
])
def test_unsupported_addresses_are_refused(make_params, host):
    with pytest.raises(InvalidInput) as caught:
        settings_for(make_params, docker_host=host)
    assert str(caught.value) == (f"docker_host: {host!r} is not an engine address; use unix:///path/to/docker.sock, "
                                 "tcp://host:2376 or ssh://user@host.")
    assert caught.value.context == {"option": "docker_host", "value": host}


@pytest.mark.parametrize(("given", "kept"), [
    ("auto", "auto"), ("AUTO", "auto"), ("Auto", "auto"), ("1.41", "1.41"), (" 1.45 ", "1.45"), ("1.100", "1.100"),
])
def test_api_version_is_auto_or_major_dot_minor(make_params, given, kept):
    assert settings_for(make_params, api_version=given).api_version == kept


@pytest.mark.parametrize("version", ["1.41.0", "v1.41", "1", "latest", "", "1.x", "1.41-rc"])
def test_malformed_api_version_is_refused(make_params, version):
    with pytest.raises(InvalidInput) as caught:
        settings_for(make_params, api_version=version)
    assert str(caught.value) == f"api_version: {version!r} is not an API version; use auto or a version such as 1.41."
    assert caught.value.context == {"option": "api_version", "value": version}


@pytest.mark.parametrize(("given", "kept"), [(1, 1), (60, 60), ("30", 30)])
def test_timeout_is_a_positive_int(make_params, given, kept):
    assert settings_for(make_params, timeout=given).timeout == kept


@pytest.mark.parametrize("timeout", [0, -5])
def test_non_positive_timeout_is_refused(make_params, timeout):
    with pytest.raises(InvalidInput) as caught:
        settings_for(make_params, timeout=timeout)
    assert str(caught.value) == (f"timeout: {timeout!r} is out of range; give the seconds to wait for the engine's answer, "
                                 "1 to 86400.")


@pytest.mark.parametrize(("tls", "validate_certs", "use_tls"), [
    (False, False, False), (True, False, True), (False, True, True), (True, True, True),
])
def test_validate_certs_alone_turns_tls_on(make_params, tls, validate_certs, use_tls):
    assert settings_for(make_params, docker_host=TCP, tls=tls, validate_certs=validate_certs).use_tls is use_tls


@pytest.mark.parametrize(("given", "kept"), [(None, None), ("", None), ("engine.example", "engine.example")])
def test_tls_hostname(make_params, given, kept):
    assert settings_for(make_params, tls_hostname=given).tls_hostname == kept


# ---------------------------------------------------------------- DOCKER_CERT_PATH and TLS files


@pytest.fixture
def cert_dir(tmp_path):
    """What ``docker-machine env`` or a CI setup leaves in DOCKER_CERT_PATH."""
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text(f"-----BEGIN {name}-----\n")
    return tmp_path


def test_cert_path_supplies_the_three_files(make_params, cert_dir):
    settings = ConnectionSettings.from_params(make_params(docker_host=TCP, validate_certs=True),
                                              environ={"DOCKER_CERT_PATH": str(cert_dir)})
    assert (settings.ca_path, settings.client_cert, settings.client_key) == (
        str(cert_dir / "ca.pem"), str(cert_dir / "cert.pem"), str(cert_dir / "key.pem"))


def test_cert_path_is_read_from_the_process_environment_by_default(make_params, cert_dir, monkeypatch):
    monkeypatch.setenv("DOCKER_CERT_PATH", str(cert_dir))
    settings = ConnectionSettings.from_params(make_params(docker_host=TCP, tls=True))
    assert settings.client_cert == str(cert_dir / "cert.pem")


def test_explicit_options_beat_cert_path(make_params, cert_dir, tmp_path_factory):
    own = tmp_path_factory.mktemp("own")
    (own / "my-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    settings = ConnectionSettings.from_params(
        make_params(docker_host=TCP, validate_certs=True, ca_path=str(own / "my-ca.pem")),
        environ={"DOCKER_CERT_PATH": str(cert_dir)})
    assert settings.ca_path == str(own / "my-ca.pem")
    assert settings.client_cert == str(cert_dir / "cert.pem")


def test_cert_path_files_are_not_checked_without_tls(make_params, tmp_path):
    empty = tmp_path / "nothing-here"
    settings = ConnectionSettings.from_params(make_params(), environ={"DOCKER_CERT_PATH": str(empty)})
    assert settings.ca_path == str(empty / "ca.pem")
    assert settings.use_tls is False


def test_empty_cert_path_is_ignored(make_params):
    settings = ConnectionSettings.from_params(make_params(docker_host=TCP, tls=True), environ={"DOCKER_CERT_PATH": ""})
    assert (settings.ca_path, settings.client_cert, settings.client_key) == (None, None, None)


@pytest.mark.parametrize(("missing", "option", "tls_options"), [
    ("cert.pem", "client_cert", {"tls": True}),
    ("key.pem", "client_key", {"tls": True}),
    ("ca.pem", "ca_path", {"validate_certs": True}),
    ("key.pem", "client_key", {"validate_certs": True}),
])
def test_missing_tls_file_names_the_option_and_the_path(make_params, cert_dir, missing, option, tls_options):
    (cert_dir / missing).unlink()
    with pytest.raises(TlsError) as caught:
        ConnectionSettings.from_params(make_params(docker_host=TCP, **tls_options),
                                       environ={"DOCKER_CERT_PATH": str(cert_dir)})
    path = str(cert_dir / missing)
    assert str(caught.value) == (f"{option}: TLS file {path!r} does not exist; point {option} (or DOCKER_CERT_PATH) "
                                 "at a readable PEM file.")
    assert caught.value.context == {"option": option, "value": path}


def test_ca_is_not_needed_without_verification(make_params, cert_dir):
    (cert_dir / "ca.pem").unlink()
    settings = ConnectionSettings.from_params(make_params(docker_host=TCP, tls=True),
                                              environ={"DOCKER_CERT_PATH": str(cert_dir)})
    assert settings.ca_path == str(cert_dir / "ca.pem")


def test_missing_explicit_file_is_named(make_params, tmp_path):
    with pytest.raises(TlsError, match=r"^ca_path: TLS file '.*/absent\.pem' does not exist; "):
        settings_for(make_params, docker_host=TCP, validate_certs=True, ca_path=str(tmp_path / "absent.pem"))


@pytest.mark.parametrize("given", ["client_cert", "client_key"])
def test_cert_and_key_go_together(make_params, cert_dir, given):
    path = str(cert_dir / ("cert.pem" if given == "client_cert" else "key.pem"))
    with pytest.raises(TlsError) as caught:
        settings_for(make_params, docker_host=TCP, tls=True, **{given: path})
    assert str(caught.value) == "client_cert and client_key must be given together; set both or neither."
    assert caught.value.context == {"docker_host": TCP}


def test_verification_with_the_system_ca_pool_needs_no_files(make_params):
    settings = settings_for(make_params, docker_host=TCP, validate_certs=True)
    assert (settings.ca_path, settings.client_cert, settings.client_key) == (None, None, None)


# ---------------------------------------------------------------- translate_error


def api_error(status: int, explanation: str | None, url: str = "http+docker://localhost/v1.41/images/x") -> Exception:
    response = requests.Response()
    response.status_code = status
    response.url = url
    response.reason = {404: "Not Found", 409: "Conflict", 400: "Bad Request", 500: "Internal Server Error"}[status]
    return docker.errors.APIError(f"{status} error", response=response, explanation=explanation)


NO_SOCKET = "('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))"
REFUSED = ("HTTPConnectionPool(host='engine.example', port=2375): Max retries exceeded with url: /version (Caused by "
           "NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3a>: Failed to establish a new "
           "connection: [Errno 111] Connection refused'))")
DENIED = "('Connection aborted.', PermissionError(13, 'Permission denied'))"
NO_DNS = ("HTTPConnectionPool(host='engine.invalid', port=2375): Max retries exceeded with url: /version (Caused by "
          "NameResolutionError(\"<urllib3.connection.HTTPConnection object at 0x7f3a>: Failed to resolve "
          "'engine.invalid' ([Errno -2] Name or service not known)\"))")


@pytest.mark.parametrize(("exc", "reason"), [
    (requests.exceptions.ConnectionError(NO_SOCKET), "there is no socket at that path"),
    (requests.exceptions.ConnectionError(REFUSED), "the connection was refused"),
    (requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected('Remote end closed'))"),
     "no engine answered"),
    (docker.errors.DockerException(f"Error while fetching server API version: {NO_SOCKET}"),
     "there is no socket at that path"),
    (docker.errors.DockerException(f"Error while fetching server API version: {REFUSED}"),
     "the connection was refused"),
    (FileNotFoundError(2, "No such file or directory"), "there is no socket at that path"),
    (ConnectionRefusedError(111, "Connection refused"), "the connection was refused"),
], ids=["socket", "refused", "other", "sdk-socket", "sdk-refused", "oserror-socket", "oserror-refused"])
def test_unreachable_engine(default_settings, exc, reason):
    error = translate_error(exc, default_settings)
    assert error.__class__ is EngineUnreachable
    assert str(error) == f"Cannot reach the engine at {SOCKET}: {reason}. {UNREACHABLE_FIX}"
    assert error.context == {"docker_host": SOCKET, "error": str(exc)}


@pytest.mark.parametrize(("exc", "cause", "fix"), [
    (requests.exceptions.ConnectionError(DENIED), "permission was denied", "docker group"),
    (docker.errors.DockerException(f"Error while fetching server API version: {DENIED}"), "permission was denied",
     "docker group"),
    (requests.exceptions.ConnectionError(NO_DNS), "the host name does not resolve", "docker_host"),
], ids=["denied", "sdk-denied", "dns"])
def test_unreachable_for_a_reason_a_restart_does_not_fix(default_settings, exc, cause, fix):
    """The engine may well be running: the message names the fix for this cause, and does not send the user
    off to start the engine."""
    error = translate_error(exc, default_settings)
    assert error.__class__ is EngineUnreachable
    assert str(error).startswith(f"Cannot reach the engine at {SOCKET}: {cause}")
    assert fix in str(error)
    assert "Start the engine" not in str(error)
    assert error.context == {"docker_host": SOCKET, "error": str(exc)}


@pytest.mark.parametrize("exc", [
    requests.exceptions.ReadTimeout("UnixHTTPConnectionPool(host='localhost', port=None): Read timed out. "
                                    "(read timeout=60)"),
    requests.exceptions.ConnectTimeout("connect timed out"),
    requests.exceptions.Timeout("timed out"),
], ids=["read", "connect", "plain"])
def test_timeout(default_settings, exc):
    error = translate_error(exc, default_settings)
    assert error.__class__ is EngineTimeout
    assert str(error) == (f"The engine at {SOCKET} did not answer within 60 seconds; "
                          "raise timeout (or DOCKER_TIMEOUT), or check the engine's health.")
    assert error.context == {"docker_host": SOCKET}


def test_timeout_quotes_the_configured_timeout(make_params):
    settings = settings_for(make_params, docker_host=TCP, timeout=5)
    assert "did not answer within 5 seconds" in str(translate_error(requests.exceptions.ReadTimeout("x"), settings))


VERIFY_FAILED = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
TLS_CHECKS = "check ca_path, client_cert, client_key (or DOCKER_CERT_PATH), validate_certs and tls_hostname"


@pytest.mark.parametrize(("options", "text", "cause", "fix"), [
    ({}, VERIFY_FAILED + "Hostname mismatch, certificate is not valid for 'engine.example'. (_ssl.c:1006)",
     "the engine's certificate is not valid for the name engine.example",
     "set tls_hostname to a name the certificate holds, or use that name in docker_host"),
    ({"tls_hostname": "docker.internal"}, "hostname 'docker.internal' doesn't match either of '127.0.0.1', 'localhost'",
     "the engine's certificate is not valid for the name docker.internal",
     "set tls_hostname to a name the certificate holds, or use that name in docker_host"),
    ({"ca_path": "ca.pem"}, VERIFY_FAILED + "unable to get local issuer certificate (_ssl.c:1006)",
     "the engine's certificate is not signed by a CA in {ca.pem}",
     "point ca_path (or DOCKER_CERT_PATH) at the CA that signed the engine's certificate"),
    ({}, VERIFY_FAILED + "self-signed certificate (_ssl.c:1006)",
     "the engine's certificate is not signed by a CA in the system's CA store",
     "point ca_path (or DOCKER_CERT_PATH) at the CA that signed the engine's certificate"),
    ({}, "[SSL: SSLV3_ALERT_BAD_CERTIFICATE] sslv3 alert bad certificate (_ssl.c:2580)",
     "the engine refused the connection: it requires a client certificate and none was given",
     "set client_cert and client_key (or DOCKER_CERT_PATH) to a certificate signed by the CA the engine trusts"),
    ({"client_cert": "cert.pem", "client_key": "key.pem"},
     "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required (_ssl.c:2580)",
     "the engine refused the client certificate {cert.pem}",
     "set client_cert and client_key (or DOCKER_CERT_PATH) to a certificate signed by the CA the engine trusts"),
    ({}, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
     "the engine does not speak TLS at that address", "use the engine's TLS port, or set tls and validate_certs to false"),
    ({}, "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:1006)",
     "the TLS handshake failed", TLS_CHECKS),
], ids=["hostname", "hostname-urllib3-1", "other-ca", "system-ca", "no-client-cert", "client-cert-refused",
        "plain-http", "other"])
def test_ssl_errors_name_cause_and_fix(make_params, cert_dir, options, text, cause, fix):
    # File options name files of cert_dir, which must exist.
    options = {key: str(cert_dir / value) if key != "tls_hostname" else value for key, value in options.items()}
    settings = settings_for(make_params, docker_host=TCP, validate_certs=True, **options)
    cause = cause.replace("{ca.pem}", str(cert_dir / "ca.pem")).replace("{cert.pem}", str(cert_dir / "cert.pem"))
    exc = requests.exceptions.SSLError(f"HTTPSConnectionPool(host='engine.example', port=2376): Max retries exceeded "
                                       f"with url: /version (Caused by SSLError(SSLError(1, '{text}')))")
    error = translate_error(exc, settings)
    assert error.__class__ is TlsError
    assert str(error) == f"TLS with the engine at {TCP} failed: {cause}; {fix}."
    assert error.context == {"docker_host": TCP, "error": str(exc)}


SSH = "ssh://deploy@engine.example:2222"
SSH_COMMAND = "'ssh -p 2222 deploy@engine.example docker system dial-stdio'"


def paramiko_error(name: str, text: str) -> Exception:
    """An exception shaped like paramiko's (the tests need no paramiko)."""
    kind = type(name, (Exception,), {"__module__": "paramiko.ssh_exception"})
    return kind(text)


@pytest.mark.parametrize(("exc", "cause", "fix"), [
    (paramiko_error("AuthenticationException", "Authentication failed."), "the ssh server refused the login",
     "Give the user running the module a key the server accepts"),
    (paramiko_error("BadHostKeyException", "Host key for server 'engine.example' does not match"),
     "the ssh server's host key differs from the one in known_hosts", "Check the host, then update"),
    (paramiko_error("PasswordRequiredException", "private key file is encrypted"), "the ssh key needs a passphrase",
     "Load the key into ssh-agent"),
    (paramiko_error("SSHException", "Server '[engine.example]:2222' not found in known_hosts"),
     "the ssh server's host key is not in known_hosts", "Add it to ~/.ssh/known_hosts"),
    (paramiko_error("SSHException", "Error reading SSH protocol banner"), "the ssh connection failed",
     f"Run {SSH_COMMAND} as the user running the module"),
], ids=["auth", "bad-host-key", "passphrase", "unknown-host", "other"])
def test_paramiko_failures(make_params, exc, cause, fix):
    error = translate_error(exc, settings_for(make_params, docker_host=SSH))
    assert error.__class__ is EngineUnreachable
    assert str(error).startswith(f"Cannot reach the engine at {SSH}: {cause}. {fix}"), str(error)
    assert error.context == {"docker_host": SSH, "error": str(exc)}


@pytest.mark.parametrize("exc", [
    requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected('Remote end closed connection "
                                        "without response'))"),
    BrokenPipeError(32, "Broken pipe"),
    docker.errors.DockerException("Error while fetching server API version: ('Connection aborted.', "
                                  "RemoteDisconnected('Remote end closed connection without response'))"),
], ids=["requests", "oserror", "sdk"])
def test_ssh_command_failure_says_how_to_see_why(make_params, exc):
    error = translate_error(exc, settings_for(make_params, docker_host=SSH, use_ssh_client=True))
    assert str(error) == (f"Cannot reach the engine at {SSH}: the ssh command closed the connection. Run "
                          f"{SSH_COMMAND} as the user running the module to see why (login refused, unknown host key, "
                          "or no docker CLI on that host).")


def test_ssh_without_user_or_port_in_the_command(make_params):
    error = translate_error(BrokenPipeError(32, "Broken pipe"),
                            settings_for(make_params, docker_host="ssh://engine.example", use_ssh_client=True))
    assert "Run 'ssh engine.example docker system dial-stdio' as" in str(error)


def test_paramiko_connection_error_is_translated_as_usual(make_params):
    """Through paramiko, a refused TCP connection is an ordinary unreachable engine."""
    error = translate_error(requests.exceptions.ConnectionError(REFUSED), settings_for(make_params, docker_host=SSH))
    assert str(error) == f"Cannot reach the engine at {SSH}: the connection was refused. {UNREACHABLE_FIX}"


def test_ssl_failure_surfacing_as_a_connection_error(make_params):
    settings = settings_for(make_params, docker_host=TCP, tls=True)
    exc = requests.exceptions.ConnectionError("('Connection aborted.', SSLError(1, '[SSL: TLSV13_ALERT_CERTIFICATE_"
                                              "REQUIRED] tlsv13 alert certificate required (_ssl.c:2580)'))")
    assert str(translate_error(exc, settings)).startswith(
        f"TLS with the engine at {TCP} failed: the engine refused the connection: it requires a client "
        "certificate and none was given;")


def test_connection_error_without_tls_is_not_a_tls_error(default_settings):
    exc = requests.exceptions.ConnectionError("('Connection aborted.', OSError('SSL-looking text'))")
    assert translate_error(exc, default_settings).__class__ is EngineUnreachable


def test_tls_parameter_error(make_params):
    settings = settings_for(make_params, docker_host=TCP)
    exc = docker.errors.TLSParameterError("Invalid CA certificate provided for `ca_cert`.")
    error = translate_error(exc, settings)
    assert error.__class__ is TlsError
    assert str(error) == f"Bad TLS settings for {TCP}: Invalid CA certificate provided for `ca_cert`."
    assert error.context == {"docker_host": TCP}


@pytest.mark.parametrize(("status", "explanation", "kind"), [
    (404, "No such image: tidy/gone:1", NotFound),
    (404, "No such container: stopped1", NotFound),
    (409, "conflict: unable to delete 271faf872694 (must be forced) - image is referenced in multiple repositories",
     Conflict),
    (409, "conflict: unable to remove repository reference \"tidy/app:1\" (must force) - container 813c249508bb "
          "is using its referenced image 271faf872694", Conflict),
    # Podman, for an image a concurrent removal pruned while it was being read
    (500, "failed to convert ImageData to ImageInspect 'sha256:6505': reading image \"143f\": locating image with ID "
          "\"143f\": image not known", NotFound),
])
def test_missing_and_conflicting_objects_keep_the_engine_explanation(default_settings, status, explanation, kind):
    """Prune modules turn these into ``gone`` / ``conflict`` reasons; the engine's text says what happened."""
    error = translate_error(api_error(status, explanation), default_settings)
    assert error.__class__ is kind
    assert str(error) == explanation
    assert error.context == {"docker_host": SOCKET, "status_code": status}


def test_refused_api_version(default_settings):
    explanation = "client version 1.50 is too new. Maximum supported API version is 1.41"
    error = translate_error(api_error(400, explanation), default_settings)
    assert error.__class__ is ApiVersionError
    assert str(error) == (f"The engine at {SOCKET} refused the API version: {explanation}; "
                          "set api_version to auto or to a version the engine supports.")
    assert error.context == {"docker_host": SOCKET, "status_code": 400}


@pytest.mark.parametrize(("status", "explanation"), [
    (400, "invalid reference format"),
    (500, "driver overlay2 failed to remove root filesystem: device or resource busy"),
])
def test_other_engine_answers(default_settings, status, explanation):
    error = translate_error(api_error(status, explanation), default_settings)
    assert error.__class__ is EngineError
    assert str(error) == f"The engine at {SOCKET} answered {status}: {explanation}"
    assert error.context == {"docker_host": SOCKET, "status_code": status}


def test_engine_answer_without_explanation_uses_the_sdk_text(default_settings):
    error = translate_error(api_error(500, None, url="http+docker://localhost/v1.41/system/df"), default_settings)
    assert error.__class__ is EngineError
    assert str(error) == (f"The engine at {SOCKET} answered 500: "
                          "500 Server Error for http+docker://localhost/v1.41/system/df: Internal Server Error")


def test_other_sdk_error(default_settings):
    error = translate_error(docker.errors.DockerException("Credentials store error: StoreError('not found')"),
                            default_settings)
    assert error.__class__ is EngineError
    assert str(error) == (f"Docker SDK error talking to {SOCKET}: Credentials store error: StoreError('not found')")


def test_arbitrary_exception(default_settings):
    error = translate_error(ValueError("boom"), default_settings)
    assert error.__class__ is EngineError
    assert str(error) == f"Unexpected error talking to the engine at {SOCKET}: ValueError('boom')"
    assert error.context == {"docker_host": SOCKET}


def test_domain_errors_pass_through_unchanged(default_settings):
    original = NotFound("No such image: x", docker_host=SOCKET)
    assert translate_error(original, default_settings) is original


# ---------------------------------------------------------------- EngineClient without an engine


def client_with(settings: ConnectionSettings, engine: str = "docker") -> EngineClient:
    client = EngineClient.__new__(EngineClient)
    client.settings = settings
    client.engine = engine  # as /version told
    return client


@pytest.mark.parametrize(("wanted", "engine", "agreed"), [
    ("auto", ENGINE_20_10, "1.41"),
    ("auto", {"Version": "27.3.1", "ApiVersion": "1.47", "MinAPIVersion": "1.24"}, "1.47"),
    ("auto", {}, MIN_API_VERSION),
    ("1.41", ENGINE_20_10, "1.41"),
    ("1.41", {"Version": "27.3.1", "ApiVersion": "1.47", "MinAPIVersion": "1.24"}, "1.41"),
    ("1.45", {"Version": "27.3.1", "ApiVersion": "1.47", "MinAPIVersion": "1.24"}, "1.45"),
    ("1.47", {"Version": "27.3.1", "ApiVersion": "1.47", "MinAPIVersion": "1.24"}, "1.47"),
])
def test_negotiation_agrees(make_params, wanted, engine, agreed):
    assert client_with(settings_for(make_params, api_version=wanted))._negotiate(engine) == agreed


@pytest.mark.parametrize("wanted", ["auto", "1.41"])
def test_engine_older_than_20_10_is_refused(make_params, wanted):
    with pytest.raises(ApiVersionError) as caught:
        client_with(settings_for(make_params, api_version=wanted))._negotiate(
            {"Version": "19.03.15", "ApiVersion": "1.40", "MinAPIVersion": "1.12"})
    assert str(caught.value) == (f"The Docker engine at {SOCKET} speaks API 1.40 (Docker 19.03.15); tidy.docker "
                                 "needs API 1.41 (Docker 20.10) or newer: upgrade the engine.")
    assert caught.value.context == {"docker_host": SOCKET, "engine_api_version": "1.40"}


@pytest.mark.parametrize(("wanted", "engine", "span"), [
    ("1.42", ENGINE_20_10, "1.12 to 1.41"),
    ("1.50", ENGINE_20_10, "1.12 to 1.41"),
    ("1.48", {"Version": "27.3.1", "ApiVersion": "1.47", "MinAPIVersion": "1.24"}, "1.24 to 1.47"),
    ("1.41", {"Version": "29.0.0", "ApiVersion": "1.52", "MinAPIVersion": "1.44"}, "1.44 to 1.52"),
])
def test_api_version_outside_the_engine_range(make_params, wanted, engine, span):
    with pytest.raises(ApiVersionError) as caught:
        client_with(settings_for(make_params, api_version=wanted))._negotiate(engine)
    assert str(caught.value) == (f"api_version {wanted} is outside what the Docker engine at {SOCKET} supports "
                                 f"({span}); set api_version to auto or to a version in that range.")


@pytest.mark.parametrize("version", ["1.40", "1.9", "1.12", "0.99"])
def test_api_version_older_than_tidy_docker_needs_is_refused_before_connecting(make_params, version):
    with pytest.raises(InvalidInput) as caught:
        settings_for(make_params, api_version=version)
    assert str(caught.value) == (f"api_version: {version} is older than the 1.41 (Docker 20.10) tidy.docker needs; "
                                 "set api_version to auto or to 1.41 or newer.")
    assert caught.value.context == {"option": "api_version", "value": version}


def test_call_translates_sdk_errors(default_settings):
    client = client_with(default_settings)
    cause = api_error(404, "No such container: ghost")

    def inspect(name: str) -> t.NoReturn:
        raise cause

    with pytest.raises(NotFound, match=r"^No such container: ghost$") as caught:
        client.call(inspect, "ghost")
    assert caught.value.__cause__ is cause


@pytest.mark.parametrize(("engine", "name"), [("docker", "The Docker engine"), ("podman", "The Podman engine"),
                                              (None, "The engine")])
def test_messages_name_the_engine_that_answered(default_settings, engine, name):
    """Once /version told which engine answers, a failure names it; before that (no connection yet) neither."""
    error = translate_error(api_error(500, "boom"), default_settings, engine)
    assert str(error) == f"{name} at {SOCKET} answered 500: boom"
    lost = translate_error(requests.exceptions.ConnectionError(REFUSED), default_settings, engine)
    assert str(lost) == f"Cannot reach {name[0].lower()}{name[1:]} at {SOCKET}: the connection was refused. {UNREACHABLE_FIX}"
    client = client_with(default_settings, engine or "docker")

    def answers_500() -> t.NoReturn:
        raise api_error(500, "boom")

    with pytest.raises(EngineError) as caught:
        client.call(answers_500)
    assert str(caught.value).startswith("The Podman engine at " if engine == "podman" else "The Docker engine at ")


def test_podman_older_api_names_podman(make_params):
    podman = {"Version": "3.0.1", "ApiVersion": "1.40", "MinAPIVersion": "1.24",
              "Components": [{"Name": "Podman Engine", "Version": "3.0.1"}]}
    with pytest.raises(ApiVersionError) as caught:
        client_with(settings_for(make_params), "podman")._negotiate(podman)
    assert str(caught.value) == (f"The Podman engine at {SOCKET} speaks API 1.40 (Podman 3.0.1); tidy.docker "
                                 "needs API 1.41 (Docker 20.10) or newer: upgrade the engine.")


def test_call_returns_the_answer(default_settings):
    assert client_with(default_settings).call(lambda *args, **kwargs: (args, kwargs), 1, all=True) == ((1,), {"all": True})


def test_no_tls_config_without_tls(default_settings):
    assert client_with(default_settings)._tls_config() is False


def test_tls_config_with_verification(make_params, cert_dir):
    settings = ConnectionSettings.from_params(make_params(docker_host=TCP, validate_certs=True),
                                              environ={"DOCKER_CERT_PATH": str(cert_dir)})
    config = client_with(settings)._tls_config()
    assert config.verify is True
    assert config.ca_cert == str(cert_dir / "ca.pem")
    assert config.cert == (str(cert_dir / "cert.pem"), str(cert_dir / "key.pem"))


def test_tls_config_without_verification_ignores_the_ca(make_params, cert_dir):
    settings = ConnectionSettings.from_params(make_params(docker_host=TCP, tls=True),
                                              environ={"DOCKER_CERT_PATH": str(cert_dir)})
    config = client_with(settings)._tls_config()
    assert (config.verify, config.ca_cert) == (False, None)
    assert config.cert == (str(cert_dir / "cert.pem"), str(cert_dir / "key.pem"))


def test_every_domain_error_is_a_tidy_docker_error():
    for kind in (ApiVersionError, Conflict, EngineError, EngineTimeout, EngineUnreachable, InvalidInput, NotFound,
                 TlsError):
        error = kind("one sentence.", docker_host=SOCKET)
        assert isinstance(error, TidyDockerError)
        assert (str(error), error.message, error.context) == ("one sentence.", "one sentence.", {"docker_host": SOCKET})
