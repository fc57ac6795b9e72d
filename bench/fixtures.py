#!/usr/bin/env python
"""Benchmark fixture: a crowded host, built offline and concurrently, restorable in seconds.

    .venv/bin/python bench/fixtures.py -n 500 -m 150            # private engine, build, time it, stop it
    .venv/bin/python bench/fixtures.py -n 500 -m 150 --docker-host unix:///tmp/e/docker.sock

What the fixture holds (N exited containers, M images, R=10 repositories ``bench/app0..9``):

- the base ``tidy-test/busybox:latest`` (scripts/seed.py ``build_base``), run by one of the
  running containers;
- M distinct images: those containers run are built ``FROM`` the base plus one unique small
  file (seed.py ``build_image``), the others imported from a one-file rootfs (one engine call
  each); every 10th is dangling (no tag), every 5th has a second tag, every 15th a third tag in
  the next repository;
- 5 running containers (``sleep``, with an init so they stop at once): one on the base, four
  on fixture images in four repositories; these 4 images and the base are the only images in use;
- N exited containers (``true``, every 7th ``false``) on M/6 of the images (dangling ones
  among them), so those images become unused once the containers are pruned.

After a full cleanup (all exited containers, all unused images) exactly the 5 running
containers and 5 images (base + 4) remain: ``check_clean`` verifies that, object by object.

Snapshots. Starting containers is the slow part of a build (a runtime shim and runc per
container: about 6 per second on the 2-core bench machine). ``EngineControl`` therefore
builds once per size, stops the engine, copies its data root, and before every measured
repetition restores that copy and restarts the engine: every repetition then starts from
the very same objects (same ids), and only the cleanup is timed.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENGINE_SH = REPO / "scripts" / "engine.sh"
sys.path.insert(0, str(REPO / "scripts"))
import seed  # noqa: E402  (scripts/seed.py: build_base, build_image, tag_image, connect)

REPOSITORIES = 10
RUNNING = 5
DEFAULT_WORKERS = 4   # container starts are CPU-bound on 2 cores; 4 measured best (2: slower, 6-8: no gain)
LABEL = "tidy.bench"


@dataclasses.dataclass
class Fixture:
    """What was built, and what a full cleanup must leave."""

    docker_host: str
    containers: int
    images: int
    exited: list[str]
    running: list[str]
    kept_images: list[str]          # base + the images of running containers
    removable_images: list[str]     # every other top-level image
    exited_images: list[str]        # images only exited containers use (removable once they are pruned)
    hidden_images: list[str]        # untagged parents of the base (its build steps): stay, as the base does
    build_seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Fixture:
        return cls(**json.loads(text))

    @property
    def label(self) -> str:
        return f"N={self.containers}/M={self.images}"


# --------------------------------------------------------------------------- build


class _Clients(threading.local):
    """One SDK client per thread (seed.py's build helpers are thread-safe that way)."""

    def __init__(self, docker_host: str) -> None:
        super().__init__()
        self.client = seed.connect(docker_host)


def _image_plan(images: int) -> list[tuple[int, list[str]]]:
    """(index, tags) of every fixture image; no tags = dangling."""
    plan = []
    for k in range(images):
        repo = k % REPOSITORIES
        if k % 10 == 0:
            plan.append((k, []))
            continue
        tags = [f"bench/app{repo}:{k}"]
        if k % 5 == 1:
            tags.append(f"bench/app{repo}:alias{k}")
        if k % 15 == 1:
            tags.append(f"bench/app{(repo + 1) % REPOSITORIES}:x{k}")
        plan.append((k, tags))
    return plan


def _tiny_rootfs(content: bytes) -> bytes:
    """A tar holding one file: the rootfs of an imported, not runnable image."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("bench-id")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def build(docker_host: str, containers: int, images: int, workers: int = DEFAULT_WORKERS,
          log: t.Callable[[str], None] = print) -> Fixture:
    """Build the fixture on an empty engine; returns what was built."""
    start = time.monotonic()
    clients = _Clients(docker_host)
    base = seed.build_base(clients.client)
    plan = _image_plan(images)
    # Images containers run are built FROM the base (runnable); the others are imported from a
    # one-file rootfs, one engine call each and about 2.5 times cheaper than a build here.
    tagged = [k for k, tags in plan if tags]
    running_idx = tagged[:RUNNING - 1]
    exited_idx = [k for k, _tags in plan if k not in running_idx][:max(images // 6, 1)]
    runnable = set(running_idx) | set(exited_idx)

    def build_one(item: tuple[int, list[str]]) -> str:
        k, tags = item
        client = clients.client
        content = f"bench image {k}".encode()
        if k in runnable:
            # tag None: the classic builder leaves the image untagged (dangling).
            image_id = seed.build_image(client, tags[0] if tags else None, content)  # type: ignore[arg-type]
        else:
            repository, tag = tags[0].rsplit(":", 1) if tags else (None, None)
            answer = client.import_image_from_data(_tiny_rootfs(content), repository=repository, tag=tag)
            image_id = json.loads(answer.strip().splitlines()[-1])["status"]
        if len(tags) > 1:
            seed.tag_image(client, image_id, *tags[1:])
        return str(image_id)

    with ThreadPoolExecutor(workers) as pool:
        image_ids = list(pool.map(build_one, plan))
    images_done = time.monotonic()
    log(f"fixture: {images} images ({len(runnable)} built, {images - len(runnable)} imported) "
        f"in {images_done - start:.1f}s")

    # Four running containers on tagged images in four repositories, one on the base.
    running_images = [image_ids[k] for k in running_idx]
    used_by_exited = [image_ids[k] for k in exited_idx]

    def run(spec: tuple[str, str, list[str], bool]) -> str:
        name, image, command, init = spec
        client = clients.client
        # Host network: no network namespace to create and tear down per container, which made
        # starts about 1.5-2 times faster here than network_mode none (nothing listens anyway).
        host_config = client.create_host_config(network_mode="host", init=init)
        cid = client.create_container(image, command=command, name=name, host_config=host_config,
                                      labels={LABEL: "container"})["Id"]
        client.start(cid)
        return str(cid)

    specs = [(f"bench-running-{i}", image, ["sleep", "86400"], True)
             for i, image in enumerate([base] + running_images)]
    specs += [(f"bench-exited-{i:05d}", used_by_exited[i % len(used_by_exited)], ["false" if i % 7 == 0 else "true"], False)
              for i in range(containers)]
    with ThreadPoolExecutor(workers) as pool:
        ids = list(pool.map(run, specs))
    running, exited = ids[:RUNNING], ids[RUNNING:]
    client = seed.connect(docker_host)
    deadline = time.monotonic() + 120
    while len(client.containers(filters={"status": "running"})) > RUNNING:
        if time.monotonic() > deadline:
            raise RuntimeError("fixture: exited containers still running after 120 s")
        time.sleep(0.2)
    seconds = time.monotonic() - start
    log(f"fixture: {containers} exited + {RUNNING} running containers in {time.monotonic() - images_done:.1f}s "
        f"(total {seconds:.1f}s)")
    kept = [base] + running_images
    top, every = _state(client)[1:]
    fixture = Fixture(docker_host=docker_host, containers=containers, images=images, exited=exited, running=running,
                      kept_images=kept, removable_images=[i for i in dict.fromkeys(image_ids) if i not in kept],
                      exited_images=used_by_exited, hidden_images=sorted(every - top), build_seconds=round(seconds, 2))
    problems = check_intact(client, fixture)
    if problems:
        raise RuntimeError("fixture: built, but " + "; ".join(problems))
    return fixture


# --------------------------------------------------------------------------- checks


def _state(client: t.Any) -> tuple[dict[str, str], set[str], set[str]]:
    containers = {c["Id"]: c["State"] for c in client.containers(all=True)}
    top = {i["Id"] for i in client.images()}
    every = {i["Id"] for i in client.images(all=True)}
    return containers, top, every


def check_intact(client: t.Any, fixture: Fixture) -> list[str]:
    """Problems with a fixture that should be complete (before a measured run)."""
    containers, top = _state(client)[:2]
    problems = []
    exited = [c for c in fixture.exited if containers.get(c) != "exited"]
    running = [c for c in fixture.running if containers.get(c) != "running"]
    if exited:
        problems.append(f"{len(exited)} of the {len(fixture.exited)} exited containers are missing or not exited")
    if running:
        problems.append(f"{len(running)} of the {RUNNING} running containers are missing or not running")
    if len(containers) != len(fixture.exited) + len(fixture.running):
        problems.append(f"{len(containers)} containers on the engine, expected {len(fixture.exited) + len(fixture.running)}")
    wanted = set(fixture.kept_images) | set(fixture.removable_images)
    if top != wanted:
        problems.append(f"images: {len(wanted - top)} missing, {len(top - wanted)} unexpected")
    return problems


def check_clean(client: t.Any, fixture: Fixture) -> list[str]:
    """Problems after a cleanup: anything but the running containers and their images left, or more removed."""
    containers, top, every = _state(client)
    problems = []
    left = [c for c in fixture.exited if c in containers]
    if left:
        problems.append(f"{len(left)} exited containers left")
    if set(containers) != set(fixture.running):
        problems.append(f"containers now {len(containers)}, expected exactly the {RUNNING} running ones")
    left_images = top - set(fixture.kept_images)
    if left_images:
        problems.append(f"{len(left_images)} unused images left")
    missing = set(fixture.kept_images) - top
    if missing:
        problems.append(f"{len(missing)} images in use were removed")
    hidden = every - top - set(fixture.hidden_images)
    if hidden:
        problems.append(f"{len(hidden)} untagged parent images left behind")
    if set(fixture.hidden_images) - every:
        problems.append("parents of the base image were removed")
    return problems


# --------------------------------------------------------------------------- engine and snapshots


class EngineControl:
    """A private engine (scripts/engine.sh) whose data root can be saved and restored."""

    def __init__(self, directory: str | None = None, log: t.Callable[[str], None] = print,
                 snapshots: str | None = None) -> None:
        # Short path: unix socket paths are limited to 107 characters.
        self.dir = Path(directory or tempfile.mkdtemp(prefix="tb.", dir="/tmp"))
        self.snapshots = Path(snapshots or tempfile.mkdtemp(prefix="tbsnap.", dir="/tmp"))
        self.snapshots.mkdir(parents=True, exist_ok=True)
        self.host = f"unix://{self.dir}/docker.sock"
        self.log = log

    def start(self) -> None:
        subprocess.run(["bash", str(ENGINE_SH), "start", str(self.dir)], check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        """Stop the engine and delete its directory and the snapshots."""
        subprocess.run(["bash", str(ENGINE_SH), "stop", str(self.dir)], check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(self.snapshots, ignore_errors=True)

    def pid(self) -> int | None:
        try:
            pid = int((self.dir / "docker.pid").read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            return None
        return pid if "dockerd" in cmdline and str(self.dir / "docker.pid") in cmdline else None

    def leftover_pids(self) -> list[int]:
        needle = f"{self.dir}/exec/"
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if needle in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    pids.append(int(entry.name))
            except OSError:
                continue
        return pids

    def halt(self) -> None:
        """Stop dockerd cleanly (its containers stop with it), keeping the data root."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 60
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            if Path(f"/proc/{pid}").exists():
                raise RuntimeError(f"dockerd {pid} did not stop within 60 s")
        deadline = time.monotonic() + 20
        while self.leftover_pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        for leftover in self.leftover_pids():  # containerd or shims that outlived dockerd: only ours
            os.kill(leftover, signal.SIGKILL)
        mounts = []
        with open("/proc/self/mountinfo", encoding="utf-8") as handle:
            for line in handle:
                point = line.split()[4].encode().decode("unicode_escape")
                if point == str(self.dir) or point.startswith(f"{self.dir}/"):
                    mounts.append(point)
        for point in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", point], check=False, stderr=subprocess.DEVNULL)

    def _snapshot(self, name: str) -> Path:
        return self.snapshots / "".join(c if c.isalnum() else "_" for c in name)

    def save(self, name: str) -> None:
        """Halt, copy the data root to snapshot ``name``, leave the engine stopped."""
        self.halt()
        target = self._snapshot(name)
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(["cp", "-a", str(self.dir / "data"), str(target)], check=True)

    def restore(self, name: str, fixture: Fixture) -> float:
        """Halt, put snapshot ``name`` back, start the engine and the fixture's running containers.

        Returns the seconds it took. The fixture is checked: a restore that is incomplete raises.
        """
        start = time.monotonic()
        self.halt()
        subprocess.run(["rm", "-rf", "--one-file-system", str(self.dir / "data")], check=True)
        subprocess.run(["cp", "-a", str(self._snapshot(name)), str(self.dir / "data")], check=True)
        self.start()
        client = seed.connect(self.host)
        for cid in fixture.running:
            client.start(cid)
        problems = check_intact(client, fixture)
        client.close()
        if problems:
            raise RuntimeError(f"restore of {name}: " + "; ".join(problems))
        return time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("-n", "--containers", type=int, default=500, help="exited containers (default 500)")
    parser.add_argument("-m", "--images", type=int, default=150, help="images (default 150)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="concurrent engine calls while building")
    parser.add_argument("--docker-host", help="build on this (empty, private) engine instead of starting one")
    parser.add_argument("--manifest", help="write what was built (ids, expectations) to this JSON file")
    args = parser.parse_args(argv)
    engine = None if args.docker_host else EngineControl()
    try:
        if engine is not None:
            engine.start()
        fixture = build(args.docker_host or engine.host, args.containers, args.images, args.workers)  # type: ignore[union-attr]
        if args.manifest:
            Path(args.manifest).write_text(fixture.to_json(), encoding="utf-8")
        print(f"fixture {fixture.label}: built in {fixture.build_seconds:.1f}s "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    finally:
        if engine is not None:
            engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
