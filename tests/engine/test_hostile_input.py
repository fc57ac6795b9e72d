# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile input on the real engine: every row of hostile_cases.yml fails with one sentence, removes nothing.

Module rows run the module the way Ansible's AnsiballZ wrapper does on the managed node, minus the
zip: ``{"ANSIBLE_MODULE_ARGS": ...}`` in a file named on the command line, the module's ``main`` in a
process of its own (forked from this one, where the Docker SDK and ansible-core are imported once),
its JSON on stdout; an uncaught exception is caught as Ansible would report it (a traceback). That
makes a row cost a fork, not an Ansible start-up (about 1.5 s each on 2 cores, 5 minutes for the
table). The role rows run for real in one ``ansible-playbook`` process: one block per row
(``include_role`` with the row's variables, the failure caught by ``rescue``), dealt to WORKERS
aliases of localhost that go side by side (strategy free); the test-only callback
``hostile_callback/hostile_record.py`` writes each role case's result with a snapshot of the engine
taken right after it (module rows get theirs here). Each row's test then checks, for that row:

- the run failed (an invalid value accepted is a defect even when it removed nothing);
- ``msg`` is one line, without a traceback, an exception's class or text, or a raw engine answer;
- ``msg`` contains the row's words (the option, the value, the fix), case-insensitively;
- the engine's containers (and states), images (and tags), volumes and networks are those of before.

Trap objects give "nothing removed" teeth: exited containers named ``tidy-hostile-trap-*`` (what the
rows' ``names: ['tidy-hostile-*']`` select), a dangling image, an unused volume and network.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import runpy
import subprocess
import sys
import traceback
import typing as t
from pathlib import Path

import pytest
import yaml

# Imported once here, so that each forked module finds ansible-core's module code loaded.
importlib.import_module("ansible.module_utils.basic")
HERE = Path(__file__).absolute().parent
CASES: list[dict[str, t.Any]] = yaml.safe_load((HERE / "hostile_cases.yml").read_text(encoding="utf-8"))["cases"]
TRAP = "tidy-hostile-trap"
RUN_LABEL = "tidy.test.run"  # as conftest labels test objects
ROLE_VALIDATION = "Validation of arguments failed:"
# What a clear sentence never carries: Python's and the SDK's own words, a raw HTTP answer.
_UNCLEAR = re.compile(
    r"Traceback|Python int|\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\bexception\b|MODULE FAILURE|"
    r"\b[45]\d\d (?:Client|Server) Error|answered [45]\d\d|object has no attribute|invalid literal|"
    r"Resource ID was not provided|unhashable|NoneType")


def case_id(index: int, row: t.Mapping[str, t.Any]) -> str:
    return f"{index:03d}-{row['module']}"


IDS = [case_id(index, row) for index, row in enumerate(CASES)]


# Cases are dealt round-robin to this many inventory aliases of localhost, each going at its own pace
# (strategy free): module start-up, not the engine, is what a case costs, and that runs side by side.
WORKERS = 4


def _worker(index: int) -> str:
    return f"hostile{index % WORKERS}"


def _role_block(index: int, row: t.Mapping[str, t.Any], docker_host: str, scratch: Path) -> dict[str, t.Any]:
    variables = {"clean_host_docker_host": docker_host, "clean_host_usage_state_path": str(scratch / f"usage{index}.json"),
                 "clean_host_report_kept": False, **row["args"]}
    name = f"hostile-case-{case_id(index, row)}"
    return {"when": f"inventory_hostname == '{_worker(index)}'",
            "block": [{"ansible.builtin.include_role": {"name": "tidy.docker.clean_host"}, "vars": variables},
                      {"name": name, "ansible.builtin.set_fact": {"hostile_outcome": {"accepted": True}}}],
            "rescue": [{"name": name, "ansible.builtin.set_fact": {"hostile_outcome": "{{ ansible_failed_result }}"}}]}


def _playbook(docker_host: str, scratch: Path) -> list[dict[str, t.Any]]:
    roles = [_role_block(i, row, docker_host, scratch) for i, row in enumerate(CASES) if row["module"] == "role"]
    return [{"hosts": "all", "gather_facts": False, "strategy": "free", "name": "hostile role cases", "tasks": roles}]


def run_module(module: str, args: t.Mapping[str, t.Any], scratch: Path) -> dict[str, t.Any]:
    """The module's result as Ansible would get it: its JSON, or a failure carrying the traceback."""
    args_file = scratch / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args)}), encoding="utf-8")
    out_file, err_file = scratch / "stdout", scratch / "stderr"
    pid = os.fork()
    if pid == 0:  # the child: the module's process
        code = 0
        try:
            # pytest captures sys.stdout in Python: the module's print() must reach the files itself.
            sys.stdout = open(out_file, "w", encoding="utf-8")  # closed when the child exits
            sys.stderr = open(err_file, "w", encoding="utf-8")
            os.dup2(sys.stdout.fileno(), 1)
            os.dup2(sys.stderr.fileno(), 2)
            os.environ["HOME"] = str(scratch)  # usage-state files stay in scratch
            sys.argv = [module, str(args_file)]
            runpy.run_module(f"ansible_collections.tidy.docker.plugins.modules.{module}", run_name="__main__")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:  # noqa: BLE001 - what Ansible reports as MODULE FAILURE
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.waitpid(pid, 0)
    stdout, stderr = out_file.read_text(encoding="utf-8"), err_file.read_text(encoding="utf-8")
    try:
        return dict(json.loads(stdout))
    except ValueError:
        return {"failed": True, "msg": "MODULE FAILURE", "module_stdout": stdout, "module_stderr": stderr,
                "exception": stderr}


def _inventory() -> str:
    hosts = "\n".join(f"hostile{n} ansible_connection=local ansible_python_interpreter={sys.executable}"
                      for n in range(WORKERS))
    return f"[all]\n{hosts}\n"


def _traps(sdk: t.Any) -> None:
    """Objects a wrongly accepted prune would remove (seed: a dangling image is there already)."""
    import seed  # scripts/seed.py, on sys.path through conftest

    _clear_traps(sdk)
    for number in (1, 2, 3):
        seed.make_container(sdk, f"{TRAP}-{number}", seed.BASE_TAG, ["true"], state="exited")
    sdk.create_volume(f"{TRAP}-volume")
    sdk.create_network(f"{TRAP}-network")
    seed.make_dangling(sdk, f"{TRAP}/dangling", labels={RUN_LABEL: TRAP})


def _clear_traps(sdk: t.Any) -> None:
    for container in sdk.containers(all=True, filters={"name": "tidy-hostile-"}):
        sdk.remove_container(container["Id"], force=True, v=True)
    for volume in sdk.volumes().get("Volumes") or []:
        if volume["Name"].startswith(TRAP):
            sdk.remove_volume(volume["Name"])
    for network in sdk.networks(names=[f"{TRAP}-network"]):
        sdk.remove_network(network["Id"])
    for image in sdk.images(all=False, filters={"label": f"{RUN_LABEL}={TRAP}"}):
        sdk.remove_image(image["Id"], force=True)


@pytest.fixture(scope="module")
def hostile_run(docker_host: str, sdk: t.Any, collection_root: Path,
                tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[dict[str, t.Any]]:
    """Run every case once; the baseline snapshot and each case's record by id."""
    # The callback's own snapshot, so that both sides compare alike.
    from ansible_collections.tidy.docker.tests.engine.hostile_callback.hostile_record import snapshot

    scratch = tmp_path_factory.mktemp("hostile")
    _traps(sdk)
    try:
        baseline = snapshot(sdk)
        playbook = scratch / "hostile.yml"
        playbook.write_text(json.dumps(_playbook(docker_host, scratch)), encoding="utf-8")
        inventory = scratch / "inventory.ini"
        inventory.write_text(_inventory(), encoding="utf-8")
        records = {}
        for index, row in enumerate(CASES):
            if row["module"] != "role":
                args = dict(row["args"])
                args.setdefault("docker_host", docker_host)
                records[case_id(index, row)] = {"result": run_module(row["module"], args, scratch),
                                                "snapshot": snapshot(sdk)}
        record = scratch / "record.jsonl"
        env = {key: value for key, value in os.environ.items() if not key.startswith("DOCKER_")}
        env.update(ANSIBLE_COLLECTIONS_PATH=str(collection_root), ANSIBLE_LOCAL_TEMP=str(scratch / "local"),
                   ANSIBLE_REMOTE_TEMP=str(scratch / "remote"), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_CALLBACK_PLUGINS=str(HERE / "hostile_callback"),
                   ANSIBLE_CALLBACKS_ENABLED="hostile_record", TIDY_HOSTILE_RECORD=str(record),
                   TIDY_HOSTILE_ENGINE=docker_host, HOME=str(scratch), ANSIBLE_PIPELINING="1")
        playbook_bin = Path(sys.executable).with_name("ansible-playbook")
        done = subprocess.run([str(playbook_bin), "-i", str(inventory), "-f", str(WORKERS), str(playbook)], env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        if record.exists():
            for line in record.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                records[entry["case"]] = entry
        _write_figures(records, baseline)
        yield {"baseline": baseline, "records": records, "output": done.stdout[-4000:] + done.stderr[-4000:]}
    finally:
        _clear_traps(sdk)


def verdict(row: t.Mapping[str, t.Any], result: t.Mapping[str, t.Any]) -> str:
    """What the run made of the row: clear, accepted (although invalid), exception, or unclear."""
    if not result.get("failed"):
        return "accepted"
    if "Traceback" in str(result.get("exception", "")) or "module_stderr" in result:
        return "exception"
    msg = str(result.get("msg", "")).replace(f"{ROLE_VALIDATION}\n", f"{ROLE_VALIDATION} ", 1)
    if "\n" in msg.strip() or _UNCLEAR.search(msg) or any(str(w).lower() not in msg.lower() for w in row["words"]):
        return "unclear"
    return "clear"


def _write_figures(records: t.Mapping[str, t.Mapping[str, t.Any]], baseline: t.Any) -> None:
    """The figures docs/testing.md quotes, to tests/output/hostile-input.json (the test stages copy it out).

    ``removed``: rows after which the engine's objects differed from those after the row before
    (in the order the rows ran), so one removal is counted once, not again for every later row.
    """
    counts = {"tried": len(CASES), "clear": 0, "accepted": 0, "exception": 0, "unclear": 0, "removed": 0,
              "no_result": 0}
    before = baseline
    for index, row in enumerate(CASES):
        entry = records.get(case_id(index, row))
        if entry is None:
            counts["no_result"] += 1
            continue
        counts[verdict(row, entry["result"])] += 1
        counts["removed"] += entry["snapshot"] != before
        before = entry["snapshot"]
    out = HERE.parents[1] / "tests" / "output"
    out.mkdir(parents=True, exist_ok=True)
    (out / "hostile-input.json").write_text(json.dumps(counts, indent=1) + "\n", encoding="utf-8")


def test_enough_cases() -> None:
    """The issue asks for at least 150 rows over every module and the role."""
    modules = {path.stem for path in (HERE.parents[1] / "plugins" / "modules").glob("*.py") if path.stem != "__init__"}
    assert len(CASES) >= 150
    assert modules | {"role"} <= {row["module"] for row in CASES}


@pytest.mark.parametrize("index", range(len(CASES)), ids=IDS)
def test_hostile_input(index: int, hostile_run: dict[str, t.Any]) -> None:
    row = CASES[index]
    entry = hostile_run["records"].get(case_id(index, row))
    assert entry is not None, f"no result recorded for {case_id(index, row)}:\n{hostile_run['output']}"
    result, msg = entry["result"], str(entry["result"].get("msg", ""))
    assert result.get("failed") is True, f"accepted although invalid: {row['args']} -> {json.dumps(result)[:600]}"
    # ansible-core 2.19 puts "(traceback unavailable)" under exception on every failure; a real one has a traceback.
    assert "Traceback" not in str(result.get("exception", "")) and "module_stderr" not in result, \
        f"an exception: {json.dumps(result)[:1500]}"
    if row["module"] == "role":
        # ansible-core's own role validation puts its sentence on a second line after this heading.
        msg = msg.replace(f"{ROLE_VALIDATION}\n", f"{ROLE_VALIDATION} ", 1)
    assert msg and "\n" not in msg.strip(), f"not one line: {msg!r}"
    unclear = _UNCLEAR.search(msg)
    assert unclear is None, f"unclear ({unclear.group(0) if unclear else ''}): {msg!r}"
    missing = [word for word in row["words"] if str(word).lower() not in msg.lower()]
    assert not missing, f"the message lacks {missing}: {msg!r}"
    assert not result.get("changed"), f"reported a change: {msg!r}"
    assert entry["snapshot"] == hostile_run["baseline"], f"the engine's objects changed: {msg!r}"


# One row of each way a module refuses input: Ansible's own argument checks, the connection
# options, a module option, a value checked against the engine's grammar.
FAITHFUL_ROWS = ("host_info", "container_prune", "image_info", "prune")


@pytest.mark.parametrize("module", FAITHFUL_ROWS)
def test_forked_run_is_what_ansible_reports(module: str, hostile_run: dict[str, t.Any], docker_host: str,
                                            tmp_path: Path) -> None:
    """The forked runner is only a shortcut: for a row of each module kind, ``ansible -m`` says the same sentence."""
    sys.path.insert(0, str(HERE.parent / "helpers"))
    from ansible_cli import ansible_env
    from ansible_cli import run_module as run_with_ansible

    index, row = next((i, r) for i, r in enumerate(CASES) if r["module"] == module and i % 3 == 0)
    args = dict(row["args"])
    args.setdefault("docker_host", docker_host)
    through_ansible = run_with_ansible(module, args, ansible_env(tmp_path))
    forked = hostile_run["records"][case_id(index, row)]["result"]
    assert through_ansible.failed and forked.get("failed")
    assert through_ansible.msg == forked["msg"]
