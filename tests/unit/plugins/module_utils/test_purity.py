# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner and the other deciding code stay pure: nothing they import, however indirectly, reaches the engine.

Each module is imported in a fresh interpreter whose import system refuses the engine side
(the Docker SDK, requests, urllib3, paramiko, and the collection's ``_engine`` package, which
holds the client). A module that pulls any of them in, directly or through another module,
fails to import there, and the test names the chain. The control case imports the engine side
of pruning under the same guard and must fail, so a guard that stopped working cannot pass quietly.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

MODULE_UTILS = "ansible_collections.tidy.docker.plugins.module_utils"
ENGINE_SIDE = ("docker", "requests", "urllib3", "paramiko", f"{MODULE_UTILS}._engine")

# What decides, as opposed to what talks to the engine: the planner first.
PURE = (
    "_prune.policy",
    "_prune.policy_volumes_networks_cache",
    "_prune.policy_host",
    "_prune.host_options",
    "_prune.options",
    "_prune.report",
    "_prune.usage_state",
    "_logs.policy",
    "_logs.files",
    "_logs.options",
    "_logs.report",
    "_records",
    "_podman",
    "_units",
    "_references",
    "_errors",
    "_concurrency",
    "_lifecycle.container_options",
    "_lifecycle.container_isolation",
    "_lifecycle.container_observed",
    "_lifecycle.container_plan",
    "_lifecycle.container_create",
    "_lifecycle.attached_output",
    "_lifecycle.container_logging",
    "_lifecycle.container_secrets",
)

GUARDED_IMPORT = """
import importlib, sys

BLOCKED = {blocked!r}

class RefuseEngineSide:
    def find_spec(self, name, path=None, target=None):
        if any(name == blocked or name.startswith(blocked + ".") for blocked in BLOCKED):
            importer = sys._getframe(1)
            while importer is not None and importer.f_globals.get("__name__", "").startswith("importlib"):
                importer = importer.f_back
            raise ImportError(f"{{name}} (imported by {{importer.f_globals.get('__name__') if importer else '?'}})")
        return None

sys.meta_path.insert(0, RefuseEngineSide())
importlib.import_module({module!r})
"""


def import_without_engine(module: str) -> subprocess.CompletedProcess[str]:
    """Import ``module`` in a new interpreter that refuses ENGINE_SIDE; this interpreter's path finds the collection."""
    code = GUARDED_IMPORT.format(blocked=ENGINE_SIDE, module=module)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.parametrize("name", PURE)
def test_imports_nothing_of_the_engine(name):
    done = import_without_engine(f"{MODULE_UTILS}.{name}")
    assert done.returncode == 0, f"{name} reaches the engine side: {done.stderr.strip().splitlines()[-1]}"


@pytest.mark.parametrize("name", ["_prune.apply", "_prune.volumes_networks_cache"])  # both remove through the client
def test_the_guard_refuses_the_engine_side(name):
    done = import_without_engine(f"{MODULE_UTILS}.{name}")
    assert done.returncode != 0
    assert f"ImportError: {MODULE_UTILS}._engine" in done.stderr, done.stderr
