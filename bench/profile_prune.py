#!/usr/bin/env python
"""Where the prune modules' time goes: their code path called directly, phase by phase.

    .venv/bin/python bench/profile_prune.py -n 1000 -m 300                 # build, profile, stop
    .venv/bin/python bench/profile_prune.py -n 1000 -m 300 --keep /tmp/tbp  # keep engine + snapshot
    .venv/bin/python bench/profile_prune.py --keep /tmp/tbp --cprofile     # reuse them, with cProfile

Runs what ``container_prune`` and then ``image_prune`` do (same functions of
plugins/module_utils/_prune/ (read, apply, report), in the same order, with the benchmark's policy: all
stopped containers, every unused image), on a freshly restored fixture, and prints the wall
time and the CPU time of this Python process (all threads) for each step: the inventory reads, planning, the removals and the disk-usage reads.
Without Ansible, so this is the module's own work, without interpreter start-up and AnsiballZ.
``--cprofile`` adds the top functions by cumulative time (Python side only: time spent
waiting for the engine shows up in socket reads).

Inside the engine (``--engine-profile FILE``): dockerd's own CPU profile (Go's pprof, which dockerd
serves on its API socket under /debug/pprof) over the run is saved to FILE; read it with
``go tool pprof -top FILE`` (Debian: golang-go; not needed for anything else). It names the engine
functions the removals spend their time in, which the client can only see as waiting.

Timed engine calls (``--calls``): each SDK call made through ``EngineClient.call`` is
counted and timed per method, so "48 inspect_container calls, 2.1 s in total" shows up.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import threading
import time
import typing as t
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import fixtures  # noqa: E402

COLLECTIONS = Path("/tmp") / "tidy-bench-profile-collections"


def import_collection() -> None:
    """Make ``ansible_collections.tidy.docker`` importable from this checkout."""
    link = COLLECTIONS / "ansible_collections" / "tidy" / "docker"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(fixtures.REPO)
    sys.path.insert(0, str(COLLECTIONS))


class CallStats:
    """Per-SDK-method count and total seconds of the calls made through EngineClient.call."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: dict[str, list[float]] = {}

    def install(self, client: t.Any) -> None:
        original = client.call

        def call(method: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
            start = time.monotonic()
            try:
                return original(method, *args, **kwargs)
            finally:
                with self.lock:
                    self.calls.setdefault(getattr(method, "__name__", str(method)), []).append(time.monotonic() - start)
        client.call = call

    def report(self) -> str:
        rows = sorted(self.calls.items(), key=lambda item: -sum(item[1]))
        return "\n".join(f"    {name:20s} {len(times):5d} calls  {sum(times):7.2f}s summed  "
                         f"{1000 * sum(times) / len(times):6.1f} ms each" for name, times in rows)


def engine_cpu(engine: fixtures.EngineControl) -> float:
    """CPU seconds (user + system) the engine has used so far: dockerd and the containerd it started."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in [engine.pid(), *engine.leftover_pids()]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError, TypeError):
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


class MachineBusy:
    """The share of the machine's CPU time that was busy, and waiting on the disk, between two points.

    On 2 cores, a run at 70% busy and 15% iowait is bound by neither the CPU nor the disk alone.
    """

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> list[int]:
        # The first line of /proc/stat: user nice system idle iowait irq softirq steal (clock ticks).
        return [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]

    def report(self) -> str:
        delta = [after - before for before, after in zip(self.start, self._sample(), strict=True)]
        total = sum(delta) or 1
        busy = total - delta[3] - delta[4]
        return f"machine: {100 * busy / total:.0f}% busy, {100 * delta[4] / total:.0f}% waiting on the disk (all cores)"


class EngineProfile:
    """dockerd's CPU profile for ``seconds``, fetched from its API socket in the background."""

    def __init__(self, host: str, seconds: int, path: Path) -> None:
        self.path = path
        self.error: str | None = None
        self.thread = threading.Thread(target=self._fetch, args=(host[len("unix://"):], seconds), daemon=True)
        self.thread.start()
        time.sleep(0.2)  # the profile starts when dockerd has the request, not when it was sent

    def _fetch(self, socket_path: str, seconds: int) -> None:
        # The collection's own connection over the engine's unix socket (bench/ imports the collection).
        from ansible_collections.tidy.docker.plugins.module_utils._engine.client import _UnixConnection

        connection = _UnixConnection(socket_path, timeout=seconds + 30)
        try:
            connection.request("GET", f"/debug/pprof/profile?seconds={seconds}")
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                self.error = f"engine answered {response.status}: {body[:200]!r}"
            else:
                self.path.write_bytes(body)
        except OSError as exc:
            self.error = str(exc)
        finally:
            connection.close()

    def wait(self) -> str:
        self.thread.join()
        if self.error:
            return f"engine CPU profile: {self.error}"
        return f"engine CPU profile: {self.path} (go tool pprof -top {self.path})"


def profile(host: str, parallel: int, use_cprofile: bool, calls: bool, engine: fixtures.EngineControl) -> None:
    from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import ConnectionSettings
    from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
    from ansible_collections.tidy.docker.plugins.module_utils._prune import apply, read, report
    from ansible_collections.tidy.docker.plugins.module_utils._units import now_utc
    from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import ContainerPolicy, ImagePolicy, plan_container_removals, plan_image_removals

    params = {"docker_host": host, "api_version": "auto", "timeout": 120, "tls": False, "validate_certs": False,
              "ca_path": None, "client_cert": None, "client_key": None, "tls_hostname": None, "use_ssh_client": False}
    steps: list[tuple[str, float, float, float]] = []
    stats = CallStats()

    def step(name: str, function: t.Callable[[], t.Any]) -> t.Any:
        start, cpu, engine_start = time.monotonic(), time.process_time(), engine_cpu(engine)
        value = function()
        steps.append((name, time.monotonic() - start, time.process_time() - cpu, engine_cpu(engine) - engine_start))
        return value

    profiler = cProfile.Profile() if use_cprofile else None
    if profiler:
        profiler.enable()
    total, total_cpu, total_engine = time.monotonic(), time.process_time(), engine_cpu(engine)
    # ---- container_prune
    client = step("connect", lambda: EngineClient(ConnectionSettings.from_params(params)))
    if calls:
        stats.install(client)
    containers = step("containers_from_engine", lambda: read.containers_from_engine(client))
    plan = step("plan_container_removals", lambda: plan_container_removals(
        containers, ContainerPolicy(exclude_restart_policies=frozenset()), now_utc()))
    before = sum(c.size_rw for c in containers)
    outcome = step(f"apply_plan containers (parallel {parallel})",
                   lambda: apply.apply_plan(plan, apply.container_remover(client, True), parallel))
    step("container disk usage after", lambda: max(before - read.disk_usage_of(client, "containers"), 0))
    step("prune_result", lambda: report.prune_result(outcome, "names", False, True, 0))
    client.close()
    # ---- image_prune
    client = step("connect", lambda: EngineClient(ConnectionSettings.from_params(params)))
    if calls:
        stats.install(client)
    containers = step("containers_from_engine(details=False)", lambda: read.containers_from_engine(client, details=False))
    inventory = step("images_from_engine", lambda: read.images_from_engine(client))
    step("info", lambda: client.call(client.api.info))
    plan = step("plan_image_removals", lambda: plan_image_removals(
        inventory.images, containers, ImagePolicy(scope="unused", keep_unpullable=False), now_utc(), {},
        parents=read.image_parents(client)))
    users = step("users_per_image", lambda: read.users_per_image(client))
    image_outcome = step(f"apply_plan images (parallel {parallel})", lambda: apply.apply_plan(
        plan, apply.image_remover(client, users, False), parallel))
    step("image disk usage after", lambda: read.disk_usage_of(client, "images"))
    step("prune_result", lambda: report.prune_result(image_outcome, "tags", False, True, 0))
    client.close()
    total, total_cpu, total_engine = (time.monotonic() - total, time.process_time() - total_cpu,
                                      engine_cpu(engine) - total_engine)
    if profiler:
        profiler.disable()
    print(f"removed {len(outcome.removed)} containers (kept {len(outcome.kept)}), "
          f"{len(image_outcome.removed)} images (kept {len(image_outcome.kept)})")
    print_steps(steps, (total, total_cpu, total_engine))
    if calls:
        print("  engine calls:")
        print(stats.report())
    if profiler:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(40)
        print(buffer.getvalue())


def profile_host(host: str, parallel: int, use_cprofile: bool, calls: bool, engine: fixtures.EngineControl) -> None:
    """tidy.docker.prune's path (one read, one plan, containers and images in one pool), step by step."""
    from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
    from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import ConnectionSettings
    from ansible_collections.tidy.docker.plugins.module_utils._prune import host as host_prune
    from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import ContainerPolicy, ImagePolicy
    from ansible_collections.tidy.docker.plugins.module_utils._prune.policy_host import HostPolicy, plan_host
    from ansible_collections.tidy.docker.plugins.module_utils._prune.volumes_networks_cache import disk_usage
    from ansible_collections.tidy.docker.plugins.module_utils._units import now_utc

    params = {"docker_host": host, "api_version": "auto", "timeout": 120, "tls": False, "validate_certs": False,
              "ca_path": None, "client_cert": None, "client_key": None, "tls_hostname": None, "use_ssh_client": False}
    policy = HostPolicy(containers=ContainerPolicy(exclude_restart_policies=frozenset()),
                        images=ImagePolicy(scope="unused", keep_unpullable=False))
    steps: list[tuple[str, float, float, float]] = []
    stats = CallStats()

    def step(name: str, function: t.Callable[[], t.Any]) -> t.Any:
        start, cpu, engine_start = time.monotonic(), time.process_time(), engine_cpu(engine)
        value = function()
        steps.append((name, time.monotonic() - start, time.process_time() - cpu, engine_cpu(engine) - engine_start))
        return value

    profiler = cProfile.Profile() if use_cprofile else None
    if profiler:
        profiler.enable()
    total, total_cpu, total_engine = time.monotonic(), time.process_time(), engine_cpu(engine)
    client = step("connect", lambda: EngineClient(ConnectionSettings.from_params(params)))
    if calls:
        stats.install(client)
    now = now_utc()
    step("info", lambda: client.call(client.api.info))
    df = step("system df", lambda: disk_usage(client))
    inventory, _warnings = step("read_host", lambda: host_prune.read_host(client, policy, df, now, None, False))
    plans = step("plan_host", lambda: plan_host(inventory, policy, now))
    outcomes = step(f"apply_host_plans (parallel {parallel})", lambda: host_prune.apply_host_plans(
        client, plans, policy, inventory, parallel, False, now))
    step("system df after", lambda: disk_usage(client))
    client.close()
    total, total_cpu, total_engine = (time.monotonic() - total, time.process_time() - total_cpu,
                                      engine_cpu(engine) - total_engine)
    if profiler:
        profiler.disable()
    print(", ".join(f"{kind}: removed {len(o.removed)}, kept {len(o.kept)}" for kind, o in outcomes))
    print_steps(steps, (total, total_cpu, total_engine))
    if calls:
        print("  engine calls:")
        print(stats.report())
    if profiler:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(40)
        print(buffer.getvalue())


def print_steps(steps: list[tuple[str, float, float, float]], total: tuple[float, float, float]) -> None:
    print(f"  {'step':45s} {'wall':>8s} {'CPU: this process':>18s} {'the engine':>11s}")
    for name, seconds, cpu, engine in [*steps, ("total", *total)]:
        print(f"  {name:45s} {seconds:7.3f}s {cpu:17.3f}s {engine:10.3f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("-n", "--containers", type=int, default=1000)
    parser.add_argument("-m", "--images", type=int, default=300)
    parser.add_argument("--parallel", type=int, default=None, help="removals in flight (default: the modules' default)")
    parser.add_argument("--reps", type=int, default=1, help="profile runs, each on a freshly restored fixture")
    parser.add_argument("--cprofile", action="store_true", help="also print the top functions (cProfile)")
    parser.add_argument("--calls", action="store_true", help="also count and time engine calls per method")
    parser.add_argument("--keep", metavar="DIR", help="engine directory to keep (with its snapshot) and reuse next time")
    parser.add_argument("--prune", action="store_true", help="profile tidy.docker.prune's path instead of the two modules'")
    parser.add_argument("--engine-profile", metavar="FILE", help="save dockerd's CPU profile (pprof) of each run to FILE")
    parser.add_argument("--engine-profile-seconds", type=int, default=8,
                        help="how long dockerd profiles, from just before the run (default 8: the whole run at 1000/300)")
    args = parser.parse_args(argv)
    import_collection()
    from ansible_collections.tidy.docker.plugins.module_utils._prune import options as prune_options

    parallel = args.parallel or prune_options.DEFAULT_PARALLEL
    directory = Path(args.keep) if args.keep else None
    engine = fixtures.EngineControl(str(directory) if directory else None,
                                    snapshots=str(directory.with_name(directory.name + "-snap")) if directory else None)
    manifest = directory.with_name(directory.name + "-fixture.json") if directory else None
    try:
        if manifest is not None and manifest.exists():
            fixture = fixtures.Fixture.from_json(manifest.read_text())
        else:
            engine.start()
            fixture = fixtures.build(engine.host, args.containers, args.images)
            engine.save(fixture.label)
            if manifest is not None:
                manifest.write_text(fixture.to_json())
        for rep in range(args.reps):
            engine.restore(fixture.label, fixture)
            time.sleep(fixtures_settle())
            print(f"--- {fixture.label}, rep {rep + 1}")
            engine_profile = (EngineProfile(engine.host, args.engine_profile_seconds, Path(args.engine_profile))
                              if args.engine_profile else None)
            busy = MachineBusy()
            (profile_host if args.prune else profile)(engine.host, parallel, args.cprofile, args.calls, engine)
            print("  " + busy.report())
            if engine_profile is not None:
                print("  " + engine_profile.wait())
            import seed
            client = seed.connect(engine.host)
            problems = fixtures.check_clean(client, fixture)
            client.close()
            if problems:
                print("NOT CLEAN: " + "; ".join(problems))
    finally:
        if directory is None:
            engine.stop()
        else:
            engine.halt()
    return 0


def fixtures_settle() -> float:
    import subprocess
    subprocess.run(["sync"], check=False)
    return 2.0


if __name__ == "__main__":
    sys.exit(main())
