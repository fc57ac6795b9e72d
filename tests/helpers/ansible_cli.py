# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's modules the way users do: ``ansible`` and ``ansible-playbook`` subprocesses.

Shared by tests/compat and tests/connections. The modules run with whichever Python
``ansible_python_interpreter`` names, so a test can put any Docker SDK on the "managed node"
(a venv on this machine) while the controller stays the test venv.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

REPO = Path(__file__).absolute().parents[2]  # tests/helpers/ansible_cli.py -> repository root
# The minimal callback prints "localhost | FAILED! => {...}", the result as JSON (over several lines).
_RESULT_START = re.compile(r"^localhost \| (?P<status>[A-Z]+)!? => ", re.MULTILINE)
# The Docker client's own settings on this machine must not leak into a module run.
_DOCKER_ENV = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
               "DOCKER_TLS_HOSTNAME", "DOCKER_API_VERSION", "DOCKER_TIMEOUT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def controller_bin(name: str) -> str:
    """An Ansible entry point of the venv running the tests."""
    return str(Path(sys.executable).parent / name)


def collections_path(scratch: Path) -> str:
    """A directory ``<root>`` where ``<root>/ansible_collections/tidy/docker`` is this checkout.

    The checkout itself when it already sits at such a path (scripts/test.sh's copy), else a
    symlink made under ``scratch``.
    """
    for candidate in (REPO, REPO.resolve()):
        if candidate.parts[-3:] == ("ansible_collections", "tidy", "docker"):
            return str(candidate.parents[2])
    link = scratch / "collections" / "ansible_collections" / "tidy" / "docker"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(REPO.resolve(), target_is_directory=True)
    return str(scratch / "collections")


def ansible_env(scratch: Path, extra: t.Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an ansible run: this collection, temp files under ``scratch``, no DOCKER_*."""
    env = {key: value for key, value in os.environ.items() if key not in _DOCKER_ENV}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path(scratch),
        "ANSIBLE_LOCAL_TEMP": str(scratch / "ansible-local"),
        "ANSIBLE_REMOTE_TEMP": str(scratch / "ansible-remote"),
        "ANSIBLE_HOME": str(scratch / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    })
    env.update(extra or {})
    return env


class ModuleRun(t.NamedTuple):
    status: str          # SUCCESS, CHANGED, FAILED, UNREACHABLE
    result: dict[str, t.Any]
    output: str          # everything ansible printed, for assertion messages

    @property
    def failed(self) -> bool:
        return self.status in ("FAILED", "UNREACHABLE") or bool(self.result.get("failed"))

    @property
    def msg(self) -> str:
        return str(self.result.get("msg", ""))


def run_module(module: str, args: t.Mapping[str, t.Any], env: t.Mapping[str, str],
               interpreter: str | None = None, check: bool = False, timeout: int = 120) -> ModuleRun:
    """``ansible localhost -m tidy.docker.MODULE -a JSON``: the module's result as one dict."""
    command = [controller_bin("ansible"), "localhost", "-m", f"tidy.docker.{module}",
               "-a", json.dumps(dict(args)), "-e", f"ansible_python_interpreter={interpreter or sys.executable}"]
    if check:
        command.append("--check")
    env = {**env, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    output = done.stdout + done.stderr
    found = _RESULT_START.search(done.stdout)
    if found is None:
        raise AssertionError(f"ansible printed no result for tidy.docker.{module} (rc {done.returncode}):\n{output}")
    result, _end = json.JSONDecoder().raw_decode(done.stdout, found.end())
    return ModuleRun(found.group("status"), result, output)


def scratch_dir(prefix: str) -> Path:
    """A short temp directory (unix socket paths must stay below 108 bytes)."""
    base = os.environ.get("TMPDIR") or "/tmp"
    if len(base) > 40:
        base = "/tmp"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))
