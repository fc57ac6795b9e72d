# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A private engine reachable three ways: unix socket, tcp + TLS, and ssh:// through a private sshd.

Everything lives in one short temp directory and is stopped and removed at the end of the
session, also when a test or a fixture fails:

- certificates made with openssl: a CA, a server certificate for IP 127.0.0.1, localhost and
  ``engine.tidy.test`` (a name only tls_hostname can ask for), a client certificate, and a
  second CA that signed nothing of this engine;
- one dockerd (scripts/engine.sh, with DOCKERD pointing at a wrapper that adds the TLS
  listener) on ``unix://DIR/engine/docker.sock`` and ``tcp://127.0.0.1:PORT`` with
  ``--tlsverify``;
- an sshd on 127.0.0.1:PORT with its own host key and config, whose sessions get
  ``DOCKER_HOST`` of the private engine (``SetEnv``), so ``docker system dial-stdio`` on the
  "remote" side never reaches /var/run/docker.sock;
- a HOME with ``.ssh/config``, the client key and known_hosts, which paramiko reads; for the
  ssh binary (which ignores HOME for its config) a wrapper ``ssh`` first on PATH adds ``-F``.

Modules run as ``ansible localhost -m tidy.docker.MODULE`` with the interpreter of
``TIDY_TEST_VENV`` (default: the venv running pytest); it needs the docker SDK and paramiko.
Needs openssl, openssh-server (/usr/sbin/sshd), openssh-client and docker.io.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).absolute().parents[1] / "helpers"))
from ansible_cli import REPO, ModuleRun, ansible_env, run_module, scratch_dir  # noqa: E402

SERVER_NAME = "engine.tidy.test"
SSHD = "/usr/sbin/sshd"


class Endpoints(t.NamedTuple):
    dir: Path
    unix: str
    tls_port: int
    ssh_port: int
    certs: Path
    home: Path        # HOME of module runs: .ssh/config, key, known_hosts
    bin: Path         # first on PATH of module runs: the ssh wrapper
    data_root: str    # the engine's data root, as host_info reports docker_root_dir
    server_name: str  # a name in the engine's certificate that only tls_hostname can ask for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(*argv: str, **kwargs: t.Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), check=True, capture_output=True, text=True, **kwargs)


def make_certificates(certs: Path) -> None:
    certs.mkdir()

    def openssl(*args: str) -> None:
        run("openssl", *args, cwd=certs)

    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=tidy test {ca}",
                "-keyout", f"{ca}-key.pem", "-out", f"{ca}.pem")
    (certs / "server.ext").write_text(f"subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:{SERVER_NAME}\n"
                                      "extendedKeyUsage=serverAuth\n")
    (certs / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name in ("server", "client"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=tidy test {name}",
                "-keyout", f"{name}-key.pem", "-out", f"{name}.csr")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem")


def start_engine(base: Path, certs: Path, tls_port: int) -> Path:
    """scripts/engine.sh with a dockerd wrapper that adds the TLS listener (engine.sh owns the cleanup)."""
    wrapper = base / "dockerd-tls"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'exec dockerd "$@" -H tcp://127.0.0.1:{tls_port} --tlsverify --tlscacert {certs}/ca.pem '
        f"--tlscert {certs}/server.pem --tlskey {certs}/server-key.pem\n")
    wrapper.chmod(0o755)
    engine = base / "engine"
    run("bash", str(REPO / "scripts" / "engine.sh"), "start", str(engine), env={**os.environ, "DOCKERD": str(wrapper)})
    return engine


def start_sshd(base: Path, engine: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    """A private sshd; returns it and the HOME whose .ssh reaches it."""
    ssh = base / "sshd"
    home = base / "home"
    (home / ".ssh").mkdir(parents=True)
    ssh.mkdir()
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ssh / "host_key"))
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / ".ssh" / "id_ed25519"))
    shutil.copy(home / ".ssh" / "id_ed25519.pub", ssh / "authorized_keys")
    config = ssh / "sshd_config"
    config.write_text("\n".join([
        "ListenAddress 127.0.0.1", f"Port {port}", f"HostKey {ssh / 'host_key'}", f"PidFile {ssh / 'sshd.pid'}",
        f"AuthorizedKeysFile {ssh / 'authorized_keys'}", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password", "UsePAM no",
        # The temp directory is below /tmp (world-writable): sshd's ownership check of the key path would refuse it.
        "StrictModes no",
        # What the remote `docker system dial-stdio` connects to: the private engine, never the system's.
        f"SetEnv DOCKER_HOST=unix://{engine}/docker.sock",
        "",
    ]))
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    run(SSHD, "-t", "-f", str(config))
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                               stderr=(ssh / "sshd.log").open("wb"), start_new_session=True)
    host_key = (ssh / "host_key.pub").read_text().split()
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    (home / ".ssh" / "config").write_text("\n".join([
        "Host 127.0.0.1", f"  Port {port}", "  User root", f"  IdentityFile {home / '.ssh' / 'id_ed25519'}",
        "  IdentitiesOnly yes", f"  UserKnownHostsFile {home / '.ssh' / 'known_hosts'}", "  StrictHostKeyChecking yes",
        "  BatchMode yes", "",
    ]))
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start: {(ssh / 'sshd.log').read_text()}") from None
            time.sleep(0.1)
    return process, home


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def endpoints() -> t.Iterator[Endpoints]:
    for tool in ("openssl", "ssh", "ssh-keygen", "dockerd", "docker", SSHD):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: the connection tests need openssl, openssh-client, openssh-server "
                        "and docker.io (apt-get install -y openssl openssh-client openssh-server docker.io).")
    base = scratch_dir("tdc.")
    engine: Path | None = None
    sshd: subprocess.Popen[bytes] | None = None
    try:
        certs = base / "certs"
        make_certificates(certs)
        tls_port, ssh_port = free_port(), free_port()
        engine = start_engine(base, certs, tls_port)
        sshd, home = start_sshd(base, engine, ssh_port)
        wrapper_bin = base / "bin"
        wrapper_bin.mkdir()
        # The ssh binary reads ~/.ssh/config of the passwd entry, not of HOME: point it at ours.
        (wrapper_bin / "ssh").write_text(f'#!/bin/sh\nexec {shutil.which("ssh")} -F {home}/.ssh/config "$@"\n')
        (wrapper_bin / "ssh").chmod(0o755)
        yield Endpoints(base, f"unix://{engine}/docker.sock", tls_port, ssh_port, certs, home, wrapper_bin,
                        str(engine / "data"), SERVER_NAME)
    finally:
        if sshd is not None:
            stop_process(sshd)
        if engine is not None:
            subprocess.run(["bash", str(REPO / "scripts" / "engine.sh"), "stop", str(engine)], check=False,
                           capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def interpreter() -> str:
    venv = os.environ.get("TIDY_TEST_VENV")
    return str(Path(venv) / "bin" / "python") if venv else sys.executable


@pytest.fixture(scope="session")
def sdk_version(interpreter: str) -> tuple[int, ...]:
    """The Docker SDK release of the module's interpreter: use_ssh_client needs 4.4.0."""
    done = run(interpreter, "-c", "import docker; print(docker.__version__)")
    return tuple(int(part) for part in done.stdout.strip().split(".")[:3])


@pytest.fixture
def module(endpoints: Endpoints, interpreter: str, tmp_path: Path) -> t.Callable[..., ModuleRun]:
    """Run a module with HOME and PATH of the ssh set-up, plus any extra environment."""

    def run_it(name: str, args: t.Mapping[str, t.Any], environment: t.Mapping[str, str] | None = None) -> ModuleRun:
        env = ansible_env(tmp_path, {"HOME": str(endpoints.home),
                                     "PATH": f"{endpoints.bin}{os.pathsep}{os.environ.get('PATH', '')}",
                                     **(environment or {})})
        return run_module(name, args, env, interpreter=interpreter)

    return run_it
