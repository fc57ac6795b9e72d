#!/usr/bin/env python
"""Benchmark: tidy.docker's prune path against the engine's own prune, on the same work.

    .venv/bin/python bench/run.py                                   # both sizes, main, noop and check: ~15 min on 2 cores
    .venv/bin/python bench/run.py --sizes 500x150 --reps 3 --phases main
    .venv/bin/python bench/run.py --phases sweep --sweep 1,2,4,8,16 --sizes 1000x300

Self-contained: starts its own private engine (scripts/engine.sh, never the system one),
builds each fixture once (bench/fixtures.py) and snapshots it, makes its own collection path,
inventory and module-interpreter wrapper in a temporary directory, and removes everything it
started at the end. Results go to ``bench/results/<timestamp>.json``; ``bench/report.py``
turns them into the tables and the plot of docs/performance.md.

Phases (``--phases``, comma-separated; default all but the sweep):

main    for each size, ``--reps`` rounds of the tools interleaved (engine modules role sdk
        engine modules role sdk ...), the fixture restored before every measured run, only the
        cleanup timed; after each run the engine is checked object by object (fixtures.check_clean)
        and a run that did less (or more) than the full cleanup stops the benchmark.
noop    on the cleaned host: ``ansible -m ping`` and the two modules again, interleaved.
check   the largest fixture, check mode: ping, container_prune --check, image_prune --check.
sweep   the modules with ``parallel`` set to each value of ``--sweep``, interleaved.

Tools:
engine   docker container prune -f && docker image prune -a -f   (the reference)
prune    ansible -m tidy.docker.prune: containers and images in one plan, one task
modules  ansible -m tidy.docker.container_prune, then -m tidy.docker.image_prune (timed together)
role     ansible-playbook tidy.docker.clean_host with the equivalent policy
sdk      bench/naive_sdk.py: list, then remove one object at a time
baseline (with --baseline REV) tool "modules" with the collection as committed at REV: before/after
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
import fixtures  # noqa: E402
import seed  # noqa: E402  (scripts/seed.py, put on sys.path by fixtures)

TOOLS = ("engine", "prune", "modules", "role", "sdk")
BASELINE = "baseline"  # tool 2 with the collection of --baseline REV
SETTLE_SECONDS = 5.0
# ad-hoc output of the default (minimal) callback: "localhost | CHANGED => {...}"
_ADHOC_RESULT = re.compile(r"^localhost \| (?:CHANGED|SUCCESS) => (\{.*\})\s*$", re.DOTALL)
_MODULE_LINE = re.compile(r"^(?P<elapsed>[\d.]+) (?P<rss>\d+) .*AnsiballZ_(?P<module>\w+)\.py")


def log(text: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {text}", flush=True)


def load() -> float:
    return round(os.getloadavg()[0], 2)


# --------------------------------------------------------------------------- ansible


class Ansible:
    """ansible / ansible-playbook against localhost, as users run them, with module-process accounting.

    The inventory points ``ansible_python_interpreter`` at a wrapper that runs the venv's Python
    under ``/usr/bin/time``: each module process (and only it: the controller and its workers are
    not) appends its own wall time and peak RSS (``ru_maxrss`` of that process) to a log.
    """

    def __init__(self, workdir: Path, docker_host: str, baseline: str | None = None) -> None:
        self.workdir = workdir
        self.docker_host = docker_host
        root = workdir / "collections"
        (root / "ansible_collections" / "tidy").mkdir(parents=True)
        (root / "ansible_collections" / "tidy" / "docker").symlink_to(REPO)
        self.baseline_root: Path | None = None
        if baseline:
            # The collection as committed at git revision ``baseline``, for before/after comparisons.
            self.baseline_root = workdir / "baseline"
            target = self.baseline_root / "ansible_collections" / "tidy" / "docker"
            target.mkdir(parents=True)
            archive = subprocess.run(["git", "-C", str(REPO), "archive", baseline, "plugins", "meta", "galaxy.yml"],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        self.module_log = workdir / "module-processes.log"
        self.module_log.touch()
        wrapper = workdir / "python-timed"
        wrapper.write_text(f"#!/bin/sh\nexec /usr/bin/time -a -o {self.module_log} -f '%e %M %C' {sys.executable} \"$@\"\n")
        wrapper.chmod(0o755)
        self.inventory = workdir / "inventory.ini"
        self.inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={wrapper}\n")
        self.usage_state = workdir / "image-usage.json"
        bindir = Path(sys.executable).parent
        self.ansible = str(bindir / "ansible") if (bindir / "ansible").exists() else "ansible"
        self.playbook = str(bindir / "ansible-playbook") if (bindir / "ansible-playbook").exists() else "ansible-playbook"
        self.env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(root),
            ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-local"),
            ANSIBLE_REMOTE_TEMP=str(workdir / "ansible-remote"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_RETRY_FILES_ENABLED="0",
        )
        for name in ("DOCKER_HOST", "ANSIBLE_CONFIG", "ANSIBLE_PIPELINING"):
            self.env.pop(name, None)

    def _run(self, command: list[str], baseline: bool = False) -> tuple[str, float, list[dict[str, t.Any]]]:
        offset = self.module_log.stat().st_size
        env = dict(self.env, ANSIBLE_COLLECTIONS_PATH=str(self.baseline_root)) if baseline else self.env
        start = time.monotonic()
        done = subprocess.run(command, env=env, cwd=self.workdir, capture_output=True, text=True, timeout=900,
                              check=False)
        seconds = time.monotonic() - start
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:6])} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                               f"{done.stderr[-3000:]}")
        with open(self.module_log, encoding="utf-8") as handle:
            handle.seek(offset)
            processes = [{"module": m["module"], "seconds": float(m["elapsed"]), "max_rss_kb": int(m["rss"])}
                         for m in map(_MODULE_LINE.match, handle) if m]
        return done.stdout, seconds, processes

    def adhoc(self, module: str, args: dict[str, t.Any] | None = None, check: bool = False,
              baseline: bool = False) -> tuple[dict[str, t.Any], float, list[dict[str, t.Any]]]:
        command = [self.ansible, "localhost", "-i", str(self.inventory), "-m", module]
        if args:
            command += ["-a", json.dumps(args)]
        if check:
            command.append("--check")
        output, seconds, processes = self._run(command, baseline)
        match = _ADHOC_RESULT.match(output.strip())
        if not match:
            raise RuntimeError(f"{module}: unexpected output:\n{output[-3000:]}")
        return json.loads(match.group(1)), seconds, processes

    def role(self, extra_vars: dict[str, t.Any]) -> tuple[str, float, list[dict[str, t.Any]]]:
        vars_file = self.workdir / "role-vars.json"
        vars_file.write_text(json.dumps(extra_vars))
        output, seconds, processes = self._run([self.playbook, "-i", str(self.inventory), "tidy.docker.clean_host",
                                                "-e", f"@{vars_file}"])
        recap = re.search(r"^localhost\s*:.*failed=0\b.*$", output, re.MULTILINE)
        if not recap or "unreachable=0" not in recap.group(0):
            raise RuntimeError(f"role failed:\n{output[-3000:]}")
        return output, seconds, processes

    # The arguments of tool "modules": the same set as the engine's prune removes.
    def container_args(self, **extra: t.Any) -> dict[str, t.Any]:
        return {"docker_host": self.docker_host, "exclude_restart_policies": [], **extra}

    def prune_args(self, **extra: t.Any) -> dict[str, t.Any]:
        """tidy.docker.prune with the policies of container_args and image_args, in one plan."""
        return {"docker_host": self.docker_host, "containers": {"exclude_restart_policies": []},
                "images": {"scope": "unused", "keep_unpullable": False}, "usage_state_path": str(self.usage_state),
                **extra}

    def image_args(self, **extra: t.Any) -> dict[str, t.Any]:
        return {"docker_host": self.docker_host, "scope": "unused", "keep_unpullable": False,
                "usage_state_path": str(self.usage_state), **extra}


# --------------------------------------------------------------------------- tools


def run_tool(tool: str, ansible: Ansible, fixture: fixtures.Fixture, parallel: int | None = None) -> dict[str, t.Any]:
    """Run one tool on the restored fixture; returns the timing record (object checks done by the caller)."""
    host = ansible.docker_host
    record: dict[str, t.Any] = {"tool": tool, "load": load()}
    if tool == "engine":
        docker = shutil.which("docker") or "docker"
        start = time.monotonic()
        subprocess.run(f"{docker} -H {host} container prune -f >/dev/null && {docker} -H {host} image prune -a -f >/dev/null",
                       shell=True, check=True)
        record["seconds"] = time.monotonic() - start
    elif tool in ("modules", "baseline"):
        extra = {"parallel": parallel} if parallel else {}
        old = tool == "baseline"
        start = time.monotonic()
        pruned, _seconds, first = ansible.adhoc("tidy.docker.container_prune", ansible.container_args(**extra), baseline=old)
        imaged, _seconds, second = ansible.adhoc("tidy.docker.image_prune", ansible.image_args(**extra), baseline=old)
        record["seconds"] = time.monotonic() - start
        record["processes"] = first + second
        record["removed"] = [pruned["removed_count"], imaged["removed_count"]]
        wanted = [len(fixture.exited), len(fixture.removable_images)]
        if record["removed"] != wanted:
            raise RuntimeError(f"modules reported {record['removed']} removed, expected {wanted}")
    elif tool == "prune":
        start = time.monotonic()
        pruned, _seconds, processes = ansible.adhoc("tidy.docker.prune", ansible.prune_args(
            **({"parallel": parallel} if parallel else {})))
        record["seconds"] = time.monotonic() - start
        record["processes"] = processes
        record["removed"] = [pruned["by_kind"]["container"]["removed_count"], pruned["by_kind"]["image"]["removed_count"]]
        wanted = [len(fixture.exited), len(fixture.removable_images)]
        if record["removed"] != wanted:
            raise RuntimeError(f"prune reported {record['removed']} removed, expected {wanted}")
    elif tool == "role":
        extra_vars = {
            "clean_host_docker_host": host,
            "clean_host_container_policy": {"statuses": ["exited", "dead"], "exclude_restart_policies": []},
            "clean_host_image_policy": {"scope": "unused", "keep_unpullable": False},
            "clean_host_usage_state_path": str(ansible.usage_state),
        }
        record["seconds"], record["processes"] = ansible.role(extra_vars)[1:]
    elif tool == "sdk":
        start = time.monotonic()
        done = subprocess.run([sys.executable, str(BENCH / "naive_sdk.py"), host], capture_output=True, text=True,
                              check=True)
        record["seconds"] = time.monotonic() - start
        record["output"] = done.stdout.strip()
    else:
        raise ValueError(tool)
    record["seconds"] = round(record["seconds"], 3)
    return record


def verified(record: dict[str, t.Any], fixture: fixtures.Fixture) -> dict[str, t.Any]:
    client = seed.connect(fixture.docker_host)
    problems = fixtures.check_clean(client, fixture)
    client.close()
    if problems:
        raise RuntimeError(f"{record['tool']} on {fixture.label} did not do the full cleanup: {'; '.join(problems)}")
    return record


def restore(engine: fixtures.EngineControl, fixture: fixtures.Fixture, restores: list[float]) -> None:
    restores.append(round(engine.restore(fixture.label, fixture), 2))
    subprocess.run(["sync"], check=False)  # the copy's dirty pages are not the next run's business
    time.sleep(SETTLE_SECONDS)


# --------------------------------------------------------------------------- phases


def phase_main(engine: fixtures.EngineControl, ansible: Ansible, fixture: fixtures.Fixture, reps: int, tools: list[str],
               results: dict[str, t.Any]) -> None:
    restores = results["fixtures"][fixture.label]["restore_seconds"]
    for rep in range(reps):
        for tool in tools:
            restore(engine, fixture, restores)
            record = verified(run_tool(tool, ansible, fixture), fixture)
            record.update(size=fixture.label, containers=fixture.containers, images=fixture.images, rep=rep)
            results["runs"].append(record)
            log(f"{fixture.label} rep {rep + 1}/{reps} {tool:8s} {record['seconds']:7.2f}s  (load {record['load']})")


def phase_noop(ansible: Ansible, fixture: fixtures.Fixture, reps: int, results: dict[str, t.Any]) -> None:
    """On the cleaned host: nothing left to remove. Interleaved with ansible -m ping."""
    client = seed.connect(fixture.docker_host)
    problems = fixtures.check_clean(client, fixture)
    client.close()
    if problems:
        raise RuntimeError(f"noop phase needs a clean host: {'; '.join(problems)}")
    for rep in range(reps):
        row: dict[str, t.Any] = {"rep": rep, "load": load()}
        row["ping"], row["ping_processes"] = ansible.adhoc("ansible.builtin.ping")[1:]
        result, row["container_prune"], first = ansible.adhoc("tidy.docker.container_prune", ansible.container_args())
        imaged, row["image_prune"], second = ansible.adhoc("tidy.docker.image_prune", ansible.image_args())
        if result["changed"] or imaged["changed"]:
            raise RuntimeError("noop phase: a module changed something on a clean host")
        row["processes"] = first + second
        results["noop"].append(row)
        log(f"noop rep {rep + 1}/{reps}: ping {row['ping']:.2f}s container_prune {row['container_prune']:.2f}s "
            f"image_prune {row['image_prune']:.2f}s (load {row['load']})")


def by_id(records: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    return sorted(records, key=lambda record: record["id"])


def phase_check(engine: fixtures.EngineControl, ansible: Ansible, fixture: fixtures.Fixture, reps: int,
                results: dict[str, t.Any]) -> None:
    """Check mode on the full fixture (nothing changes, so one restore serves every repetition)."""
    restore(engine, fixture, results["fixtures"][fixture.label]["restore_seconds"])
    # Images only exited containers use are still in use in check mode (no removed_containers given).
    wanted = [len(fixture.exited), len(fixture.removable_images) - len(fixture.exited_images)]
    for rep in range(reps):
        row: dict[str, t.Any] = {"rep": rep, "size": fixture.label, "load": load()}
        row["ping"], row["ping_processes"] = ansible.adhoc("ansible.builtin.ping")[1:]
        planned, row["container_prune"], first = ansible.adhoc("tidy.docker.container_prune", ansible.container_args(),
                                                               check=True)
        imaged, row["image_prune"], second = ansible.adhoc("tidy.docker.image_prune", ansible.image_args(), check=True)
        got = [planned["removed_count"], imaged["removed_count"]]
        if got != wanted:
            raise RuntimeError(f"check mode planned {got}, expected {wanted}")
        row["processes"] = first + second
        if ansible.baseline_root is not None:
            old_planned, row["baseline_container_prune"], first = ansible.adhoc(
                "tidy.docker.container_prune", ansible.container_args(), check=True, baseline=True)
            old_imaged, row["baseline_image_prune"], second = ansible.adhoc(
                "tidy.docker.image_prune", ansible.image_args(), check=True, baseline=True)
            # The same removals; their order may differ (without a cap it carries no meaning).
            if [by_id(old_planned["removed"]), by_id(old_imaged["removed"])] != [by_id(planned["removed"]),
                                                                                 by_id(imaged["removed"])]:
                raise RuntimeError("check mode: the baseline revision planned differently")
            row["baseline_processes"] = first + second
        results["check"].append(row)
        log(f"check {fixture.label} rep {rep + 1}/{reps}: ping {row['ping']:.2f}s container_prune {row['container_prune']:.2f}s "
            f"image_prune {row['image_prune']:.2f}s (load {row['load']})")
    client = seed.connect(fixture.docker_host)
    problems = fixtures.check_intact(client, fixture)
    client.close()
    if problems:
        raise RuntimeError(f"check mode changed the engine: {'; '.join(problems)}")


def phase_sweep(engine: fixtures.EngineControl, ansible: Ansible, fixture: fixtures.Fixture, reps: int,
                values: list[int], results: dict[str, t.Any]) -> None:
    restores = results["fixtures"][fixture.label]["restore_seconds"]
    for rep in range(reps):
        for parallel in values:
            restore(engine, fixture, restores)
            record = verified(run_tool("modules", ansible, fixture, parallel=parallel), fixture)
            record.update(size=fixture.label, parallel=parallel, rep=rep)
            results["sweep"].append(record)
            log(f"sweep {fixture.label} rep {rep + 1}/{reps} parallel {parallel:2d}: {record['seconds']:.2f}s "
                f"(load {record['load']})")


# --------------------------------------------------------------------------- machine and summary


def _version(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=30).stdout.strip()
    except OSError:
        return "?"


def machine_facts(docker_host: str) -> dict[str, t.Any]:
    import ansible.release
    import docker

    client = seed.connect(docker_host)
    version = client.version()
    client.close()
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), "0")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": _version(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "engine": version.get("Version"),
        "engine_api": version.get("ApiVersion"),
        "containerd": next((c.get("Version") for c in version.get("Components") or [] if c.get("Name") == "containerd"), "?"),
        "runc": next((c.get("Version") for c in version.get("Components") or [] if c.get("Name") == "runc"), "?"),
        "docker_cli": _version([shutil.which("docker") or "docker", "--version"]),
        "storage_driver": "overlay2",
        "python": platform.python_version(),
        "ansible_core": ansible.release.__version__,
        "docker_sdk": docker.__version__,
    }


def summarise(results: dict[str, t.Any]) -> str:
    lines = []
    by_size: dict[str, dict[str, list[float]]] = {}
    for run in results["runs"]:
        by_size.setdefault(run["size"], {}).setdefault(run["tool"], []).append(run["seconds"])
    for size, tools in by_size.items():
        reference = statistics.median(tools["engine"]) if "engine" in tools else None
        for tool, seconds in tools.items():
            median = statistics.median(seconds)
            ratio = f"{median / reference:.2f}x engine" if reference else ""
            lines.append(f"{size:16s} {tool:8s} median {median:6.2f}s of {len(seconds)}  {ratio}")
    if results["noop"]:
        ping = statistics.median(r["ping"] for r in results["noop"])
        for module in ("container_prune", "image_prune"):
            median = statistics.median(r[module] for r in results["noop"])
            lines.append(f"noop {module:16s} {median:.2f}s = {median / ping:.2f}x ping ({ping:.2f}s)")
    if results["check"]:
        ping = statistics.median(r["ping"] for r in results["check"])
        for module in ("container_prune", "image_prune"):
            median = statistics.median(r[module] for r in results["check"])
            lines.append(f"check {module:15s} {median:.2f}s, minus ping: {median - ping:.2f}s")
    if results["sweep"]:
        per: dict[int, list[float]] = {}
        for run in results["sweep"]:
            per.setdefault(run["parallel"], []).append(run["seconds"])
        for parallel, seconds in sorted(per.items()):
            lines.append(f"sweep parallel {parallel:2d}: median {statistics.median(seconds):.2f}s of {len(seconds)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="500x150,1000x300", help="NxM fixtures, comma-separated (default 500x150,1000x300)")
    parser.add_argument("--reps", type=int, default=3, help="rounds of the interleaved tools per size (default 3)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"subset of {','.join(TOOLS)}")
    parser.add_argument("--phases", default="main,noop,check", help="main,noop,check,sweep (default main,noop,check)")
    parser.add_argument("--noop-reps", type=int, default=5)
    parser.add_argument("--check-reps", type=int, default=5)
    parser.add_argument("--sweep", default="1,2,4,8,16", help="parallel values of the sweep phase")
    parser.add_argument("--sweep-reps", type=int, default=3, help="rounds of the sweep (default 3)")
    parser.add_argument("--sweep-size", help="NxM fixture of the sweep (default: the largest)")
    parser.add_argument("--baseline", metavar="REV",
                        help="add tool 'baseline': tool 2 with the collection as committed at this git revision")
    parser.add_argument("--workers", type=int, default=fixtures.DEFAULT_WORKERS, help="concurrency of fixture builds")
    parser.add_argument("--out", help="results file (default bench/results/<timestamp>.json)")
    args = parser.parse_args(argv)
    sizes = [tuple(int(x) for x in size.split("x")) for size in args.sizes.split(",")]
    tools = [tool for tool in args.tools.split(",") if tool]
    if args.baseline and BASELINE not in tools:
        tools.insert(tools.index("modules") + 1 if "modules" in tools else len(tools), BASELINE)
    phases = set(args.phases.split(","))
    unknown = (set(tools) - set(TOOLS) - ({BASELINE} if args.baseline else set())) | (phases - {"main", "noop", "check", "sweep"})
    if unknown:
        parser.error(f"unknown tools or phases: {', '.join(sorted(unknown))}")
    out = Path(args.out) if args.out else BENCH / "results" / f"{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    workdir = Path(tempfile.mkdtemp(prefix="tidy-bench."))
    engine = fixtures.EngineControl(log=log)
    results: dict[str, t.Any] = {"started": dt.datetime.now().isoformat(timespec="seconds"), "args": vars(args),
                                 "fixtures": {}, "runs": [], "noop": [], "check": [], "sweep": []}
    built: dict[str, fixtures.Fixture] = {}
    try:
        engine.start()
        results["machine"] = machine_facts(engine.host)
        ansible = Ansible(workdir, engine.host, args.baseline)
        log(f"engine {results['machine']['engine']} at {engine.host}; work directory {workdir}")
        for containers, images in sizes:
            # Every fixture starts from an empty engine: the previous size's snapshot is put aside.
            if built:
                engine.halt()
                subprocess.run(["rm", "-rf", "--one-file-system", str(engine.dir / "data")], check=True)
                engine.start()
            log(f"building N={containers}/M={images} (load {load()})")
            fixture = fixtures.build(engine.host, containers, images, args.workers, log=log)
            engine.save(fixture.label)
            built[fixture.label] = fixture
            results["fixtures"][fixture.label] = {"build_seconds": fixture.build_seconds, "build_load": load(),
                                                  "restore_seconds": []}
        for label, fixture in built.items():
            if "main" in phases:
                phase_main(engine, ansible, fixture, args.reps, tools, results)
            if "noop" in phases and label == next(iter(built)):
                if "main" not in phases:  # else the last measured run left it clean
                    restore(engine, fixture, results["fixtures"][label]["restore_seconds"])
                    run_tool("engine", ansible, fixture)
                phase_noop(ansible, fixture, args.noop_reps, results)
        largest = list(built.values())[-1]
        if "check" in phases:
            phase_check(engine, ansible, largest, args.check_reps, results)
        if "sweep" in phases:
            target = largest
            if args.sweep_size:
                containers, images = (int(x) for x in args.sweep_size.split("x"))
                target = built[f"N={containers}/M={images}"]
            phase_sweep(engine, ansible, target, args.sweep_reps, [int(v) for v in args.sweep.split(",")], results)
    finally:
        results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
        out.write_text(json.dumps(results, indent=1))
        engine.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"results: {out}")
    print(summarise(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
