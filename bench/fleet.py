#!/usr/bin/env python
"""Fleet speed: ``ansible-playbook tidy.docker.clean_host`` over SSH to real Debian hosts.

    .venv/bin/python bench/fleet.py                          # 5 rounds, ~15 min on 2 cores
    .venv/bin/python bench/fleet.py --reps 2 --arms one-on,eight-on --many 'healthy:!deb11-*'
    .venv/bin/python bench/fleet.py --report bench/results/fleet-<timestamp>.json   # tables only

Brings up its own fleet with the playbooks of the Molecule scenario extensions/molecule/ssh_fleet
(create.yml, prepare.yml; run with ansible-playbook, not molecule), from a copy of its
inventory/hosts.yml whose every ``ansible_port`` is shifted by ``--port-offset`` (default 1000, so
23201-23210: the scenario itself can run at the same time), with TMPDIR and MOLECULE_* pointing
into the benchmark's own temporary directory (its private engine, registry, host data, key and
records live there) and a collection path of its own. Only the healthy hosts are created.
At the end, also after a failure or Ctrl-C, destroy.yml removes the hosts, the engine, the
registry and the directory.

What is timed (each figure: wall time of the command, start to exit, as a user sees it),
``--reps`` rounds with the arms interleaved in this order, each on a fresh SSH control
directory (no connection master to reuse: a user's first run) unless said otherwise:

ping-on/off   ``ansible -i INV deb12-a -m ping``, ANSIBLE_PIPELINING on / off (the reference)
one-on/off    ``ansible-playbook -i INV tidy.docker.clean_host --limit deb12-a``: one clean host
              (the clutter of prepare.yml already cleaned: nothing to remove), pipelining on / off
eight-on/off  the same with ``--limit healthy`` (the 8 healthy hosts), forks 8
one-warm      one-on with the SSH connection master already open (an untimed ping just before)
one-interp    one-on with ``-e ansible_python_interpreter=/usr/bin/python3`` (no interpreter discovery)
clutter-on    one-on on a host with prepare.yml's clutter made again just before (untimed:
              every container and image of the host removed, clutter.sh run, 3 s to age)

Every playbook run has the callback bench/callback_plugins/task_times.py enabled: each run's
record holds every task's wall time (overall and per host), from which the per-task
breakdown is taken. Each clean pass must end with rc 0 and "removed 0 containers and 0
images" on every host; the clutter pass must remove something; else the benchmark stops.
Results: bench/results/fleet-<timestamp>.json (``--out``), then a summary is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SCENARIO = REPO / "extensions" / "molecule" / "ssh_fleet"
CALLBACKS = BENCH / "callback_plugins"

ARMS = ("ping-on", "ping-off", "one-on", "one-off", "eight-on", "eight-off", "one-warm", "one-interp", "clutter-on")
VARIANT_ARMS = ("one-variant", "eight-variant")  # with --variant DIR
ONE = "deb12-a"
MANY = "healthy"
_SUMMARY = re.compile(r"(?P<host>[\w-]+): (?:would remove|removed) (?P<containers>\d+) containers and (?P<images>\d+) images")
_RECAP = re.compile(r"^(?P<host>[\w.-]+)\s*:\s*ok=\d+\s+changed=\d+\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
                    re.MULTILINE)


def log(text: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {text}", flush=True)


def load() -> float:
    return round(os.getloadavg()[0], 2)


class Interrupted(Exception):
    """SIGTERM, turned into an exception so that the fleet is still destroyed."""


def _on_term(signum: int, frame: t.Any) -> None:
    raise Interrupted(f"signal {signum}")


# --------------------------------------------------------------------------- the fleet


def collection_tree(root: Path, checkout: Path) -> Path:
    """``root`` made a collections path holding ``checkout`` as tidy.docker (a symlink); returns ``root``."""
    (root / "ansible_collections" / "tidy").mkdir(parents=True)
    (root / "ansible_collections" / "tidy" / "docker").symlink_to(checkout)
    return root


class Fleet:
    """The scenario's fleet, brought up in ``workdir`` on shifted ports; commands against it."""

    def __init__(self, workdir: Path, port_offset: int, forks: int, variant: Path | None = None) -> None:
        self.workdir = workdir
        self.fleet_dir = workdir / "tidy-molecule" / "ssh_fleet"  # = tidy_fleet_dir of group_vars/all.yml
        self.ephemeral = workdir / "ephemeral"
        self.ephemeral.mkdir()
        collections = collection_tree(workdir / "collections", REPO)
        # Another checkout of the collection (a change to the role, say), for the *-variant arms.
        self.variant_path = collection_tree(workdir / "variant", variant.resolve()) if variant else None
        # The inventory: the scenario's, ports shifted, its group_vars beside it.
        inventory_dir = workdir / "inventory"
        inventory_dir.mkdir()
        data = yaml.safe_load((SCENARIO / "inventory" / "hosts.yml").read_text())
        self.ports = self._shift_ports(data, port_offset)
        self.inventory = inventory_dir / "inventory.yml"
        self.inventory.write_text(yaml.safe_dump(data, sort_keys=False))
        (inventory_dir / "group_vars").symlink_to(SCENARIO / "inventory" / "group_vars")
        config = workdir / "ansible.cfg"
        config.write_text("# empty: Ansible's defaults, as a user without a configuration file has\n")
        bindir = Path(sys.executable).parent
        self.ansible = str(bindir / "ansible") if (bindir / "ansible").exists() else "ansible"
        self.playbook = str(bindir / "ansible-playbook") if (bindir / "ansible-playbook").exists() else "ansible-playbook"
        self.env = dict(
            os.environ,
            ANSIBLE_CONFIG=str(config),
            ANSIBLE_COLLECTIONS_PATH=str(collections),
            ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-local"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_FORKS=str(forks),
            ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
            ANSIBLE_CALLBACKS_ENABLED="task_times",
            TMPDIR=str(workdir),
            MOLECULE_PROJECT_DIRECTORY=str(REPO),
            MOLECULE_EPHEMERAL_DIRECTORY=str(self.ephemeral),
            MOLECULE_SCENARIO_DIRECTORY=str(inventory_dir),
        )
        for name in ("DOCKER_HOST", "ANSIBLE_PIPELINING", "ANSIBLE_SSH_CONTROL_PATH_DIR", "ANSIBLE_INVENTORY",
                     "ANSIBLE_PYTHON_INTERPRETER", "ANSIBLE_STDOUT_CALLBACK"):
            self.env.pop(name, None)
        self._runs = 0
        self.docker_host = f"unix://{self.fleet_dir}/engine/docker.sock"  # = tidy_docker_host
        self.cgroups: dict[str, Path] = {}

    def find_cgroups(self) -> None:
        """The CPU accounting file of each host container (cgroup v1 cpuacct, or v2 cpu.stat)."""
        listing = subprocess.run(["docker", "-H", self.docker_host, "ps", "--format", "{{.Names}}"],
                                 capture_output=True, text=True, check=True).stdout.split()
        for name in listing:
            pid = subprocess.run(["docker", "-H", self.docker_host, "inspect", "--format", "{{.State.Pid}}", name],
                                 capture_output=True, text=True, check=True).stdout.strip()
            for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
                _hierarchy, controllers, path = line.split(":", 2)
                if "cpuacct" in controllers.split(","):
                    self.cgroups[name] = Path(f"/sys/fs/cgroup/{controllers}{path}/cpuacct.usage")
                elif controllers == "" and name not in self.cgroups:
                    self.cgroups[name] = Path(f"/sys/fs/cgroup{path}/cpu.stat")

    def hosts_cpu(self) -> float:
        """CPU seconds used so far by every process of every host container (sshd, modules, dockerd)."""
        total = 0.0
        for path in self.cgroups.values():
            try:
                text = path.read_text()
            except OSError:
                continue
            if path.name == "cpuacct.usage":
                total += int(text) / 1e9
            else:
                total += int(next(line.split()[1] for line in text.splitlines() if line.startswith("usage_usec"))) / 1e6
        return total

    @staticmethod
    def _shift_ports(node: t.Any, offset: int) -> list[int]:
        ports: list[int] = []
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "ansible_port":
                    node[key] = int(value) + offset
                    ports.append(node[key])
                else:
                    ports += Fleet._shift_ports(value, offset)
        return ports

    def control_dir(self) -> Path:
        """A new SSH control directory: no connection master from an earlier command to reuse."""
        self._runs += 1
        path = self.workdir / "cp" / str(self._runs)
        path.mkdir(parents=True)
        return path

    def run(self, command: list[str], pipelining: bool = True, control: Path | None = None, times: bool = False,
            timeout: float = 900, new_session: bool = False, variant: bool = False) -> dict[str, t.Any]:
        times_file = self.workdir / f"times-{self._runs}-{time.monotonic_ns()}.json"
        env = dict(self.env, ANSIBLE_PIPELINING="1" if pipelining else "0",
                   ANSIBLE_SSH_CONTROL_PATH_DIR=str(control or self.control_dir()))
        if variant:
            assert self.variant_path is not None
            env["ANSIBLE_COLLECTIONS_PATH"] = str(self.variant_path)
        if times:
            env["TIDY_TASK_TIMES"] = str(times_file)
        record: dict[str, t.Any] = {"load": load()}
        hosts_before = self.hosts_cpu()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        env["TIDY_BENCH_T0"] = repr(time.time())
        start = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=self.workdir, capture_output=True, text=True, timeout=timeout,
                              check=False, start_new_session=new_session)
        record["seconds"] = round(time.perf_counter() - start, 3)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU: the controller (ansible and its workers, the ssh clients) and the hosts (sshd, the modules).
        record["cpu_controller"] = round(children.ru_utime + children.ru_stime
                                         - children_before.ru_utime - children_before.ru_stime, 3)
        record["cpu_hosts"] = round(self.hosts_cpu() - hosts_before, 3)
        record["rc"] = done.returncode
        record["stdout"] = done.stdout
        record["stderr"] = done.stderr
        if times and times_file.exists():
            record["tasks"] = json.loads(times_file.read_text())
            times_file.unlink()
        return record

    def scenario(self, playbook: str, *extra: str, new_session: bool = False) -> dict[str, t.Any]:
        record = self.run([self.playbook, "-i", str(self.inventory), str(SCENARIO / playbook), *extra],
                          new_session=new_session, timeout=1800)
        if record["rc"] != 0:
            raise RuntimeError(f"{playbook} failed ({record['rc']}):\n{record['stdout'][-4000:]}\n{record['stderr'][-2000:]}")
        return record

    def create(self) -> float:
        # Only the healthy hosts: the broken ones (a stopped engine, no SDK) are not measured.
        return self.scenario("create.yml", "--limit", "localhost,healthy")["seconds"]

    def prepare(self, limit: str | None = None) -> float:
        return self.scenario("prepare.yml", *(["--limit", limit] if limit else []))["seconds"]

    def destroy(self) -> dict[str, t.Any]:
        return self.run([self.playbook, "-i", str(self.inventory), str(SCENARIO / "destroy.yml")],
                        new_session=True, timeout=600)

    def adhoc(self, pattern: str, module: str, args: str | None = None, pipelining: bool = True,
              control: Path | None = None) -> dict[str, t.Any]:
        command = [self.ansible, "-i", str(self.inventory), pattern, "-m", module] + (["-a", args] if args else [])
        record = self.run(command, pipelining=pipelining, control=control)
        if record["rc"] != 0:
            raise RuntimeError(f"ansible {pattern} -m {module} failed ({record['rc']}):\n{record['stdout'][-3000:]}\n"
                               f"{record['stderr'][-2000:]}")
        return record

    def clean_host(self, limit: str, pipelining: bool, control: Path | None = None,
                   extra: list[str] | None = None, variant: bool = False) -> dict[str, t.Any]:
        command = [self.playbook, "-i", str(self.inventory), "tidy.docker.clean_host", "--limit", limit] + (extra or [])
        record = self.run(command, pipelining=pipelining, control=control, times=True, variant=variant)
        recap = {m["host"]: m for m in _RECAP.finditer(record["stdout"])}
        bad = [h for h, m in recap.items() if m["failed"] != "0" or m["unreachable"] != "0"]
        if record["rc"] != 0 or bad or not recap:
            raise RuntimeError(f"clean_host --limit {limit} failed (rc {record['rc']}, hosts {bad}):\n"
                               f"{record['stdout'][-5000:]}\n{record['stderr'][-2000:]}")
        record["hosts"] = sorted(recap)
        record["removed"] = {m["host"]: [int(m["containers"]), int(m["images"])] for m in _SUMMARY.finditer(record["stdout"])}
        return record

    def reclutter(self, host: str) -> None:
        """Make prepare.yml's clutter on ``host`` again, from an empty engine (not timed)."""
        self.adhoc(host, "ansible.builtin.shell",
                   # (image prune, not rmi: it removes child images before their parents)
                   "docker ps -aq | xargs -r docker rm -f >/dev/null && docker image prune -a -f >/dev/null "
                   "&& test -z \"$(docker images -q)\"")
        self.prepare(limit=host)  # its localhost plays (push the images, wait) do not match the limit
        time.sleep(3)  # the policy's older_than: 2s


# --------------------------------------------------------------------------- the arms


def run_arm(fleet: Fleet, arm: str, one: str, many: str) -> dict[str, t.Any]:
    if arm in ("ping-on", "ping-off"):
        record = fleet.adhoc(one, "ansible.builtin.ping", pipelining=arm.endswith("on"))
    elif arm in ("one-on", "one-off", "eight-on", "eight-off"):
        record = fleet.clean_host(one if arm.startswith("one") else many, pipelining=arm.endswith("on"))
    elif arm in VARIANT_ARMS:
        record = fleet.clean_host(one if arm.startswith("one") else many, pipelining=True, variant=True)
    elif arm == "one-warm":
        control = fleet.control_dir()
        fleet.adhoc(one, "ansible.builtin.ping", control=control)  # opens the master; it persists 60 s
        record = fleet.clean_host(one, pipelining=True, control=control)
    elif arm == "one-interp":
        record = fleet.clean_host(one, pipelining=True, extra=["-e", "ansible_python_interpreter=/usr/bin/python3"])
    elif arm == "clutter-on":
        fleet.reclutter(one)
        record = fleet.clean_host(one, pipelining=True)
        removed = record["removed"].get(one, [0, 0])
        if sum(removed) == 0:
            raise RuntimeError(f"the clutter pass removed nothing:\n{record['stdout'][-3000:]}")
    else:
        raise ValueError(arm)
    if arm.startswith(("one", "eight")):
        busy = {h: r for h, r in record["removed"].items() if sum(r) != 0}
        if busy or len(record["removed"]) != len(record["hosts"]):
            raise RuntimeError(f"{arm}: a host was not clean ({record['removed']}):\n{record['stdout'][-3000:]}")
    record["arm"] = arm
    record["output_tail"] = record.pop("stdout")[-1500:]
    record.pop("stderr")
    return record


def host_versions(fleet: Fleet, hosts: str) -> dict[str, str]:
    script = ("python3 -c 'import docker, sys; print(sys.version.split()[0], docker.__version__)'; "
              "dockerd --version | cut -d' ' -f3 | tr -d ,")
    record = fleet.adhoc(hosts, "ansible.builtin.shell", script)
    versions = {}
    for match in re.finditer(r"^([\w-]+) \| CHANGED \| rc=0 >>\n(.*)\n(.*)$", record["stdout"], re.MULTILINE):
        python, sdk = match.group(2).split()
        versions[match.group(1)] = f"Python {python}, Docker SDK {sdk}, engine {match.group(3)}"
    return versions


def import_costs(fleet: Fleet, host: str) -> dict[str, float]:
    """On ``host``: seconds for python3 to start and exit, and to import the Docker SDK (median of 5 each)."""
    script = ("for i in 1 2 3 4 5; do python3 -c 'import time; t = time.perf_counter(); import docker; "
              "print(\"import\", time.perf_counter() - t)'; "
              "s=$(date +%s.%N); python3 -c pass; e=$(date +%s.%N); echo start $(echo \"$e - $s\" | bc 2>/dev/null || "
              "python3 -c \"print($e - $s)\"); done")
    record = fleet.adhoc(host, "ansible.builtin.shell", script)
    values: dict[str, list[float]] = {}
    for kind, value in re.findall(r"^(import|start) ([\d.]+)$", record["stdout"], re.MULTILINE):
        values.setdefault(kind, []).append(float(value))
    return {f"python3_{kind}_seconds": round(statistics.median(v), 3) for kind, v in values.items()}


def machine_facts() -> dict[str, t.Any]:
    import ansible.release

    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), "0")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    ssh = subprocess.run(["ssh", "-V"], capture_output=True, text=True, check=False).stderr.strip()
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(int(memory) / 1024 / 1024, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "ansible_core": ansible.release.__version__, "openssh": ssh,
            "commit": subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True, check=False).stdout.strip()}


# --------------------------------------------------------------------------- the report


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f} s"


def task_breakdown(runs: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Median span of each task (by position) over the runs of one arm, with start-up and shut-down."""
    if not runs:
        return []
    names = [task["name"] for task in runs[0]["tasks"]["tasks"]]
    rows = [{"task": "(ansible-playbook start-up, to the first task)", "action": "",
             "median": statistics.median(r["tasks"]["first_task"] for r in runs), "status": ""}]
    for index, name in enumerate(names):
        spans = [r["tasks"]["tasks"][index]["seconds"] for r in runs if len(r["tasks"]["tasks"]) > index]
        task = runs[0]["tasks"]["tasks"][index]
        statuses = sorted({h["status"] for h in task["hosts"].values()})
        rows.append({"task": name, "action": task["action"], "median": statistics.median(spans), "status": "/".join(statuses)})
    rows.append({"task": "(after the last task, to exit)", "action": "",
                 "median": statistics.median(r["seconds"] - r["tasks"]["tasks"][-1]["end"] for r in runs), "status": ""})
    return rows


def report(results: dict[str, t.Any]) -> str:
    by_arm: dict[str, list[dict[str, t.Any]]] = {}
    for run in results["runs"]:
        by_arm.setdefault(run["arm"], []).append(run)
    medians = {arm: statistics.median(r["seconds"] for r in runs) for arm, runs in by_arm.items()}
    labels = {
        "ping-on": f"ansible {results['one']} -m ping, pipelining on",
        "ping-off": f"ansible {results['one']} -m ping, pipelining off",
        "one-on": f"clean_host, 1 clean host ({results['one']}), pipelining on",
        "one-off": f"clean_host, 1 clean host ({results['one']}), pipelining off",
        "eight-on": f"clean_host, {results.get('many_count', 8)} clean hosts ({results['many']}), pipelining on",
        "eight-off": f"clean_host, {results.get('many_count', 8)} clean hosts ({results['many']}), pipelining off",
        "one-warm": "clean_host, 1 clean host, pipelining on, SSH master already open",
        "one-interp": "clean_host, 1 clean host, pipelining on, ansible_python_interpreter set",
        "clutter-on": "clean_host, 1 host with prepare.yml's clutter, pipelining on",
        "one-variant": f"clean_host of --variant ({results['args'].get('variant')}), 1 clean host, pipelining on",
        "eight-variant": f"clean_host of --variant, {results.get('many_count', 8)} clean hosts, pipelining on",
    }
    lines = ["| Run | Median | Min-max | Runs | CPU: controller + hosts (median) | Load (1 min) |",
             "|---|---:|---:|---:|---:|---:|"]
    for arm in ARMS + VARIANT_ARMS:
        if arm in by_arm:
            runs = by_arm[arm]
            loads = [r["load"] for r in runs]
            controller = statistics.median(r.get("cpu_controller", 0) for r in runs)
            hosts = statistics.median(r.get("cpu_hosts", 0) for r in runs)
            lines.append(f"| {labels[arm]} | {medians[arm]:.2f} s | {_spread([r['seconds'] for r in runs])} | "
                         f"{len(runs)} | {controller:.2f} + {hosts:.2f} s | {min(loads):.1f}-{max(loads):.1f} |")
    lines.append("")
    for mode in ("on", "off"):
        one, eight = medians.get(f"one-{mode}"), medians.get(f"eight-{mode}")
        if one:
            lines.append(f"- pipelining {mode}: one clean host {one:.2f} s (target <= 8 s: "
                         f"{'met' if one <= 8 else 'NOT met'})" + (
                             f"; {results.get('many_count', 8)} hosts {eight:.2f} s = {eight / one:.2f}x one host "
                             f"(target <= 3x: {'met' if eight / one <= 3 else 'NOT met'})" if eight else ""))
    if "clutter-on" in by_arm:
        removed = by_arm["clutter-on"][0]["removed"].get(results["one"])
        lines.append(f"- the clutter pass removed {removed[0]} containers and {removed[1]} images each time")
    for mode in ("variant",):
        one, eight = medians.get(f"one-{mode}"), medians.get(f"eight-{mode}")
        if one and eight and "one-on" in medians and "eight-on" in medians:
            lines.append(f"- --variant: one clean host {one:.2f} s against {medians['one-on']:.2f} s "
                         f"({one - medians['one-on']:+.2f} s); {results.get('many_count', 8)} hosts {eight:.2f} s against "
                         f"{medians['eight-on']:.2f} s ({eight - medians['eight-on']:+.2f} s)")
    for arm in ("one-on", "eight-on", "one-off", "one-variant", "eight-variant"):
        rows = task_breakdown([r for r in by_arm.get(arm, []) if "tasks" in r])
        if not rows:
            continue
        total = medians[arm]
        ran = [r for r in rows[1:-1] if r["action"].startswith("tidy.docker.") and r["status"] != "skipped"]
        modules = sum(r["median"] for r in ran)
        edges = rows[0]["median"] + rows[-1]["median"]
        lines += ["", f"{labels[arm]}: the {len(ran)} module calls {modules:.2f} s ({100 * modules / total:.0f}%), "
                  f"the {len(rows) - 2 - len(ran)} other tasks {sum(r['median'] for r in rows[1:-1]) - modules:.2f} s "
                  f"({100 * (sum(r['median'] for r in rows[1:-1]) - modules) / total:.0f}%), "
                  f"start-up and exit {edges:.2f} s ({100 * edges / total:.0f}%)"]
        lines += ["", f"Per-task wall time, {labels[arm]} (median of {len(by_arm[arm])}; whole run {total:.2f} s):", "",
                  "| # | Task | Module/action | Median | Share | Status |", "|---:|---|---|---:|---:|---|"]
        for index, row in enumerate(rows):
            lines.append(f"| {index} | {row['task']} | {row['action']} | {row['median']:.3f} s | "
                         f"{100 * row['median'] / total:.0f}% | {row['status']} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--arms", default=",".join(ARMS), help=f"subset of {','.join(ARMS)}")
    parser.add_argument("--port-offset", type=int, default=1000,
                        help="added to every ansible_port of the scenario's inventory (default 1000: 23201-23210)")
    parser.add_argument("--one", default=ONE, help=f"the single host (default {ONE})")
    parser.add_argument("--many", default=MANY, help=f"the --limit of the fleet pass (default {MANY}: 8 hosts)")
    parser.add_argument("--forks", type=int, default=8, help="ANSIBLE_FORKS (default 8)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds of rest before each timed run (default 2)")
    parser.add_argument("--max-load", type=float, default=None,
                        help="before each round, wait (up to --max-wait seconds) until the 1-minute load is below this")
    parser.add_argument("--max-wait", type=float, default=600, help="longest wait for --max-load, per round (default 600)")
    parser.add_argument("--variant", metavar="DIR", type=Path,
                        help="another checkout of the collection (e.g. a change to the role): adds the arms "
                             f"{', '.join(VARIANT_ARMS)}, measured interleaved with the others")
    parser.add_argument("--out", help="results file (default bench/results/fleet-<timestamp>.json)")
    parser.add_argument("--report", metavar="RESULTS", help="print the tables of a results file and exit")
    args = parser.parse_args(argv)
    if args.report:
        print(report(json.loads(Path(args.report).read_text())))
        return 0
    arms = [arm for arm in args.arms.split(",") if arm]
    if args.variant:
        arms += [arm for arm in VARIANT_ARMS if arm not in arms]
    unknown = set(arms) - set(ARMS) - (set(VARIANT_ARMS) if args.variant else set())
    if unknown:
        parser.error(f"unknown arms: {', '.join(sorted(unknown))}")
    out = Path(args.out) if args.out else BENCH / "results" / f"fleet-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    signal.signal(signal.SIGTERM, _on_term)
    workdir = Path(tempfile.mkdtemp(prefix="tidy-fleetbench."))
    results: dict[str, t.Any] = {"started": dt.datetime.now().isoformat(timespec="seconds"),
                                 "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                                 "one": args.one, "many": args.many, "machine": machine_facts(), "runs": [],
                                 "load_at_start": list(os.getloadavg())}
    fleet: Fleet | None = None
    status = 1
    try:
        fleet = Fleet(workdir, args.port_offset, args.forks, args.variant)
        results["ports"] = fleet.ports
        log(f"work directory {workdir}; ports {min(fleet.ports)}-{max(fleet.ports)}; load {load()}")
        results["create_seconds"] = fleet.create()
        fleet.find_cgroups()
        log(f"fleet created in {results['create_seconds']:.1f}s; CPU accounting of {len(fleet.cgroups)} hosts")
        results["prepare_seconds"] = fleet.prepare()
        log(f"clutter made in {results['prepare_seconds']:.1f}s")
        # The first converge: the clutter of every host removed, the reference state of the clean runs.
        first = fleet.clean_host(args.many, pipelining=True)
        first.pop("stderr")
        results["first_converge"] = {"seconds": first["seconds"], "load": first["load"], "removed": first["removed"],
                                     "hosts": first["hosts"], "tasks": first.get("tasks")}
        results["many_count"] = len(first["hosts"])
        log(f"first converge over {len(first['hosts'])} hosts: {first['seconds']:.2f}s, removed {first['removed']}")
        results["host_versions"] = host_versions(fleet, args.many)
        results["import_costs"] = import_costs(fleet, args.one)
        log(f"on {args.one}: {results['import_costs']}")
        for rep in range(args.reps):
            if args.max_load is not None:
                waited = 0
                while load() > args.max_load and waited < args.max_wait:
                    time.sleep(15)
                    waited += 15
                if waited:
                    log(f"waited {waited}s for the load to fall below {args.max_load} (now {load()})")
            for arm in arms:
                time.sleep(args.settle)
                record = run_arm(fleet, arm, args.one, args.many)
                record["rep"] = rep
                results["runs"].append(record)
                log(f"rep {rep + 1}/{args.reps} {arm:10s} {record['seconds']:6.2f}s (load {record['load']})")
        status = 0
    except (KeyboardInterrupt, Interrupted) as error:
        log(f"interrupted ({error or 'Ctrl-C'}); destroying the fleet")
        status = 130
    finally:
        # No second Ctrl-C may stop the teardown half-way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
        results["load_at_end"] = list(os.getloadavg())
        out.write_text(json.dumps(results, indent=1))
        teardown(fleet, workdir)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    log(f"results: {out}")
    if results["runs"]:
        print(report(results))
    return status


def teardown(fleet: Fleet | None, workdir: Path) -> None:
    """destroy.yml; if it fails, the scripts it calls directly; then the work directory."""
    if fleet is not None:
        # The SSH connection masters (ControlPersist) of the timed runs.
        for socket in (workdir / "cp").glob("*/*"):
            subprocess.run(["ssh", "-O", "exit", "-o", f"ControlPath={socket}", "fleet"], capture_output=True, check=False)
        record = fleet.destroy()
        if record["rc"] != 0:
            log(f"destroy.yml failed ({record['rc']}); stopping the engine and registry directly\n{record['stdout'][-2000:]}")
            subprocess.run(["bash", str(REPO / "scripts" / "engine.sh"), "stop", str(fleet.fleet_dir / "engine")], check=False)
            subprocess.run(["bash", str(REPO / "scripts" / "registry.sh"), "stop", str(fleet.fleet_dir / "registry")],
                           check=False)
    subprocess.run(["rm", "-rf", "--one-file-system", str(workdir)], check=False)
    left = [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline_has(p, str(workdir))]
    if left or workdir.exists():
        log(f"left behind: processes {left}, directory {'yes' if workdir.exists() else 'no'} ({workdir})")
    else:
        log(f"fleet destroyed: no process or file left under {workdir}")


def _cmdline_has(proc: Path, needle: str) -> bool:
    try:
        return needle in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
