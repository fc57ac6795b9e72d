# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module against a real engine, with each Docker SDK a managed node may have.

DESIGN "Where it runs": modules work with the Docker SDK 4.1.0 (Debian 11, Ubuntu 20.04),
5.0.3 (Debian 12, Ubuntu 22.04/24.04) and the newest, on Python 3.9 and newer. Each SDK gets
a venv (cached, keyed by SDK and Python version) that plays the managed node's interpreter;
tests/compat/smoke.yml runs every module on all of them at once, one inventory host per venv,
and each host is one test here.

Environment:
  TIDY_TEST_DOCKER_HOST   unix:// address of a private engine seeded by scripts/seed.py (required)
  TIDY_COMPAT_CACHE       where the venvs are kept between runs (default: <checkout>/.tmp/compat)
  TIDY_COMPAT_MATRIX      space-separated SDK[@PYTHON] entries (default: "4.1.0 5.0.3 7.2.0" on the
                          Python running the tests), e.g. "4.1.0@/usr/bin/python3.9 7.2.0@python3.13"
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).absolute().parents[1] / "helpers"))
from ansible_cli import REPO, ansible_env, controller_bin, scratch_dir  # noqa: E402

NEWEST_SDK = "7.2.0"  # bump with each SDK release; the oldest two are what the distributions ship
DEFAULT_MATRIX = f"4.1.0 5.0.3 {NEWEST_SDK}"
# What the distribution shipping that SDK pairs it with: old SDKs break with newer requests/urllib3
# (SDK < 7.1 and requests 2.32, SDK < 6.1 and urllib3 2), so those are pinned as Debian has them.
DISTRIBUTION_PINS: dict[str, list[str]] = {
    "4.1.0": ["requests==2.25.1", "urllib3==1.26.5"],    # Debian 11
    "5.0.3": ["requests==2.28.1", "urllib3==1.26.12"],   # Debian 12
}
SMOKE = Path(__file__).with_name("smoke.yml")
_RECAP = re.compile(r"^(?P<host>\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=(?P<unreachable>\d+)\s+"
                    r"failed=(?P<failed>\d+)", re.MULTILINE)
_FATAL = re.compile(r"^fatal: \[(?P<host>[^\]]+)\]: .*$", re.MULTILINE)


@functools.lru_cache(maxsize=None)
def python_version(python: str) -> str:
    return subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True, check=True).stdout.strip()


class Node(t.NamedTuple):
    sdk: str
    python: str  # interpreter the venv is made from

    @property
    def python_version(self) -> str:
        return python_version(self.python)

    @property
    def name(self) -> str:
        return f"sdk{self.sdk}-py{self.python_version}"


def matrix() -> list[Node]:
    nodes = []
    for entry in os.environ.get("TIDY_COMPAT_MATRIX", DEFAULT_MATRIX).split():
        sdk, _at, python = entry.partition("@")
        nodes.append(Node(sdk, shutil.which(python) or python if python else sys.executable))
    return nodes


def requirements(node: Node) -> list[str]:
    wanted = [f"docker=={node.sdk}", *DISTRIBUTION_PINS.get(node.sdk, [])]
    if tuple(int(part) for part in node.python_version.split(".")) >= (3, 12) and int(node.sdk.split(".")[0]) < 6:
        wanted.append("setuptools")  # SDK < 6 imports distutils, which Python 3.12 removed; setuptools supplies it
    return wanted


def venv_for(node: Node, cache: Path) -> Path:
    """The venv of ``node``, made once: a ``ready`` file marks one that finished installing."""
    venv = cache / node.name
    if (venv / "ready").is_file():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([node.python, "-m", "venv", str(venv)], check=True, capture_output=True)
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           *requirements(node)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pip install {' '.join(requirements(node))} into {venv} failed:\n{done.stdout}{done.stderr}")
    (venv / "ready").write_text(" ".join(requirements(node)) + "\n")
    return venv


@pytest.fixture(scope="session")
def docker_host() -> str:
    host = os.environ.get("TIDY_TEST_DOCKER_HOST", "").strip()
    if not host:
        pytest.fail("TIDY_TEST_DOCKER_HOST is not set: the compat tests need the unix:// address of a private Docker "
                    "engine seeded with scripts/seed.py (scripts/test.sh sets it).")
    return host


@pytest.fixture(scope="session")
def smoke_run(docker_host: str) -> dict[str, str]:
    """Run smoke.yml on every node at once; per node, why it failed ('' when it passed)."""
    nodes = matrix()
    cache = Path(os.environ.get("TIDY_COMPAT_CACHE") or REPO / ".tmp" / "compat")
    cache.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        venvs = dict(zip(nodes, pool.map(lambda node: venv_for(node, cache), nodes)))
    scratch = scratch_dir("tidy-compat.")
    try:
        inventory = {"all": {"hosts": {
            node.name: {"ansible_connection": "local", "ansible_python_interpreter": str(venvs[node] / "bin" / "python")}
            for node in nodes}}}
        (scratch / "inventory.json").write_text(json.dumps(inventory))
        env = ansible_env(scratch, {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_CALLBACK_FORMAT_PRETTY": "false",
                                    "ANSIBLE_FORKS": str(len(nodes))})
        done = subprocess.run([controller_bin("ansible-playbook"), "-i", str(scratch / "inventory.json"), str(SMOKE),
                               "-e", f"docker_host={docker_host}"],
                              env=env, capture_output=True, text=True, timeout=600, check=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    output = done.stdout + done.stderr
    recap = {found.group("host"): found for found in _RECAP.finditer(done.stdout)}
    verdicts = {}
    for node in nodes:
        fatal = [line.group(0) for line in _FATAL.finditer(done.stdout) if line.group("host") == node.name]
        found = recap.get(node.name)
        if found is None:
            verdicts[node.name] = f"no PLAY RECAP line for {node.name} (rc {done.returncode}):\n{output[-4000:]}"
        elif fatal or found.group("failed") != "0" or found.group("unreachable") != "0":
            verdicts[node.name] = "\n".join(fatal) or output[-4000:]
        else:
            verdicts[node.name] = ""
    return verdicts


@pytest.mark.parametrize("node", matrix(), ids=lambda node: node.name)
def test_every_module_works_with_this_sdk(smoke_run: dict[str, str], node: Node) -> None:
    assert smoke_run[node.name] == "", smoke_run[node.name]
