# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults in the middle of a real prune, on a private engine of this file's own.

The engine is paused past the module's ``timeout`` (SIGSTOP), stopped and started again on the
same data root, or reached through a connection that hangs on deletes. Each run goes through
``ansible`` as users run it. What must hold every time: the task fails with ``changed: true``,
``removed`` lists only what the engine no longer has, everything else planned is kept as
``failed`` (asked, not confirmed) or ``not_attempted``, the message says so in one sentence, and a
rerun once the engine answers removes the rest.

The cut is made by ``fault_proxy.DeleteGate`` at a count of deletes, never by a sleep; the shared
engine of the engine stage is never paused: these tests start, fault and stop their own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import seed  # scripts/seed.py, on sys.path through conftest

from ansible_collections.tidy.docker.tests.engine.fault_proxy import DeleteGate

sys.path.insert(0, str(Path(__file__).absolute().parents[1] / "helpers"))
from ansible_cli import REPO, ModuleRun, ansible_env, run_module, scratch_dir

ENGINE_SH = str(REPO / "scripts" / "engine.sh")
TIMEOUT = 3          # the modules' timeout: the pause must outlast it
CONTAINERS = 60
LET_THROUGH = 20     # deletes the proxy lets through before the fault


class PrivateEngine:
    """A dockerd of the test's own (scripts/engine.sh), which the test may pause, stop and start."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = str(directory / "docker.sock")
        self.docker_host = f"unix://{self.socket}"
        self.paused: int | None = None

    def start(self) -> None:
        done = subprocess.run(["bash", ENGINE_SH, "start", str(self.directory)], capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, f"engine.sh start failed:\n{done.stdout}{done.stderr}"

    def pid(self) -> int:
        return int((self.directory / "docker.pid").read_text().strip())

    def pause(self) -> None:
        self.paused = self.pid()
        os.kill(self.paused, signal.SIGSTOP)

    def resume(self) -> None:
        if self.paused is not None:
            os.kill(self.paused, signal.SIGCONT)
            self.paused = None

    def stop_process(self) -> None:
        """Stop dockerd (and the containerd it runs) but keep the data root: ``start`` brings it back."""
        pid = self.pid()
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists(), "dockerd did not stop within 60 s"

    def remove(self) -> None:
        self.resume()
        subprocess.run(["bash", ENGINE_SH, "stop", str(self.directory)], capture_output=True, timeout=180,
                       check=False)


@pytest.fixture(scope="module")
def private_engine() -> t.Iterator[PrivateEngine]:
    engine = PrivateEngine(scratch_dir("tf."))
    try:
        engine.start()
        seed.ensure_base(seed.connect(engine.docker_host))
        yield engine
    finally:  # also when start failed half way, or a test left it paused
        engine.remove()


@pytest.fixture
def scratch() -> t.Iterator[Path]:
    path = scratch_dir("tfs.")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def gates(scratch: Path) -> t.Iterator[list[DeleteGate]]:
    made: list[DeleteGate] = []
    try:
        yield made
    finally:
        for gate in made:
            gate.close()


def make_containers(engine: PrivateEngine, prefix: str, count: int) -> list[str]:
    client = seed.connect(engine.docker_host)
    with ThreadPoolExecutor(6) as pool:
        return list(pool.map(lambda n: seed.make_container(client, f"{prefix}-{n}", seed.BASE_TAG, ["true"],
                                                           state="created"), range(count)))


def container_ids(engine: PrivateEngine, prefix: str) -> set[str]:
    return {c["Id"] for c in seed.connect(engine.docker_host).containers(all=True, filters={"name": prefix})}


def ids_by_reason(run: ModuleRun) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for record in run.result.get("kept") or []:
        found.setdefault(record["reason"], set()).add(record["id"])
    return found


def check_partial(run: ModuleRun, planned: set[str], left: set[str], words: t.Sequence[str],
                  planned_in_all: int | None = None) -> None:
    """The failed run's report against what the engine holds now (it answers again)."""
    assert run.failed, run.output
    result = run.result
    assert result["changed"] is True, run.output
    removed = {r["id"] for r in result["removed"]}
    kept = ids_by_reason(run)
    unfinished = kept.get("failed", set()) | kept.get("not_attempted", set())
    assert removed, run.output
    assert removed | unfinished == planned and not removed & unfinished, run.output
    assert result["removed_count"] == len(removed)
    assert result["kept_counts"].get("not_attempted", 0) == len(kept.get("not_attempted", ()))
    assert not removed & left, "reported removed, yet the engine still has it"
    # Only a removal that was asked but not confirmed may have been done by the engine after all.
    assert planned - left - removed <= kept.get("failed", set()), run.output
    assert kept.get("not_attempted", set()) <= left, "a removal reported not attempted was done"
    message = run.msg
    assert "Traceback" not in run.output
    assert f"{len(removed)} of {planned_in_all or len(planned)} planned removals were done" in message, message
    for word in words:
        assert word in message, message


def converges(module: str, args: dict[str, t.Any], env: dict[str, str], engine: PrivateEngine, prefix: str) -> None:
    rerun = run_module(module, args, env)
    assert not rerun.failed and rerun.result["changed"] is True, rerun.output
    assert not container_ids(engine, prefix), "the rerun left planned containers"
    again = run_module(module, args, env)
    assert not again.failed and again.result["changed"] is False, again.output


def test_engine_paused_past_the_timeout(private_engine, scratch, gates, prefix, timings):
    engine = private_engine
    planned = set(make_containers(engine, prefix, CONTAINERS))
    gate = DeleteGate(str(scratch / "p.sock"), engine.socket, LET_THROUGH, hold=False, on_cut=engine.pause)
    gates.append(gate)
    env = ansible_env(scratch)
    args = {"statuses": ["created"], "names": [f"{prefix}-*"], "parallel": 4, "timeout": TIMEOUT}

    start = time.monotonic()
    try:
        run = run_module("container_prune", {**args, "docker_host": gate.docker_host}, env)
    finally:
        engine.resume()
    timings("paused run", time.monotonic() - start)

    assert gate.cut.is_set()
    check_partial(run, planned, container_ids(engine, prefix), [f"did not answer within {TIMEOUT} seconds"])
    converges("container_prune", {**args, "docker_host": engine.docker_host}, env, engine, prefix)


def test_engine_restarted_mid_run(private_engine, scratch, gates, prefix, timings):
    """tidy.docker.prune over containers and volumes: the engine goes away during the containers."""
    engine = private_engine
    planned = set(make_containers(engine, prefix, CONTAINERS))
    client = seed.connect(engine.docker_host)
    volumes = {client.create_volume(f"{prefix}-v{n}")["Name"] for n in range(5)}
    gate = DeleteGate(str(scratch / "p.sock"), engine.socket, LET_THROUGH, hold=False, on_cut=engine.stop_process)
    gates.append(gate)
    env = ansible_env(scratch)
    args = {"containers": {"statuses": ["created"], "names": [f"{prefix}-*"]},
            "images": {"enabled": False}, "volumes": {"named": True}, "parallel": 4, "timeout": TIMEOUT}

    start = time.monotonic()
    run = run_module("prune", {**args, "docker_host": gate.docker_host}, env)
    engine.start()  # the same data root
    timings("run cut by the restart", time.monotonic() - start)

    assert gate.cut.is_set()
    volume_records = [r for r in run.result.get("kept") or [] if r.get("kind") == "volume"]
    assert {r["id"] for r in volume_records if r["reason"] == "not_attempted"} == volumes, run.output
    containers_only = {**run.result, "kept": [r for r in run.result.get("kept") or [] if r.get("kind") == "container"],
                       "kept_counts": run.result["by_kind"]["container"]["kept_counts"],
                       "removed_count": run.result["by_kind"]["container"]["removed_count"]}
    container_run = ModuleRun(run.status, containers_only, run.output)
    check_partial(container_run, planned, container_ids(engine, prefix), ["Cannot reach the Docker engine"],
                  len(planned) + len(volumes))
    assert run.result["kept_counts"]["not_attempted"] >= len(volumes)
    converges("prune", {**args, "docker_host": engine.docker_host}, env, engine, prefix)
    assert not volumes & {v["Name"] for v in client.volumes().get("Volumes") or []}


@pytest.mark.parametrize("module", ["engine_prune", "image_prune"])
def test_connection_that_hangs_on_deletes(private_engine, scratch, gates, prefix, timings, module):
    engine = private_engine
    client = seed.connect(engine.docker_host)
    if module == "engine_prune":
        planned = {client.create_volume(f"{prefix}-v{n}")["Name"] for n in range(12)}
        args: dict[str, t.Any] = {"volumes": True, "named_volumes": True}
    else:
        with ThreadPoolExecutor(4) as pool:
            planned = set(pool.map(lambda n: seed.build_image(client, f"{prefix}/i{n}:1", f"{prefix}-{n}"), range(8)))
        args = {"scope": "unused", "exclude": ["tidy-test/*"], "keep_unpullable": False,
                "usage_state_path": str(scratch / "usage.json")}

    def left() -> set[str]:
        """The planned objects the engine still holds."""
        if module == "engine_prune":
            return {v["Name"] for v in client.volumes().get("Volumes") or [] if v["Name"] in planned}
        return {i["Id"] for i in client.images() if i["Id"] in planned}

    gate = DeleteGate(str(scratch / "p.sock"), engine.socket, 4, hold=True)
    gates.append(gate)
    env = ansible_env(scratch)
    args.update(parallel=2, timeout=TIMEOUT)

    start = time.monotonic()
    run = run_module(module, {**args, "docker_host": gate.docker_host}, env)
    gate.release()
    timings("hung run", time.monotonic() - start)

    assert run.failed and run.result["changed"] is True, run.output
    removed = {r["id"] for r in run.result["removed"]}
    kept = ids_by_reason(run)
    assert len(removed) == 4 and removed.isdisjoint(left()), run.output
    assert kept.get("failed") and removed | kept["failed"] | kept.get("not_attempted", set()) == planned, run.output
    assert kept["failed"] | kept.get("not_attempted", set()) == left(), "a held delete reached the engine"
    assert f"4 of {len(planned)} planned removals were done" in run.msg, run.msg
    rerun = run_module(module, {**args, "docker_host": engine.docker_host}, env)
    assert not rerun.failed and rerun.result["changed"] is True and not left(), rerun.output
