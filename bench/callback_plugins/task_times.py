"""Callback for bench/fleet.py: the wall time of each task, overall and per host, as JSON.

Enabled by the benchmark only:
    ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins ANSIBLE_CALLBACKS_ENABLED=task_times
    TIDY_TASK_TIMES=/path/out.json     where to write (nothing is written without it)
    TIDY_BENCH_T0=<time.time()>        when the caller started ansible-playbook (optional)

For each task, in order: its name and action, when it started (seconds after TIDY_BENCH_T0, or
after the playbook started), its span (until the next task started, or the last result came
in for the last task) and, per host, the time from the worker's start to its result with the
status (ok, changed, skipped, failed, unreachable). The file also holds when the first task
started and when the stats were printed, so start-up and shut-down can be told apart.
"""

from __future__ import annotations

import json
import os
import time
import typing as t

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_times
type: aggregate
short_description: wall time of each task, for bench/fleet.py
description: Writes each task's wall time, overall and per host, to the JSON file named by TIDY_TASK_TIMES.
requirements: [enabled in ANSIBLE_CALLBACKS_ENABLED]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._out = os.environ.get("TIDY_TASK_TIMES")
        t0 = os.environ.get("TIDY_BENCH_T0")
        self._t0 = float(t0) if t0 else time.time()
        self._loaded = self._now()
        self._tasks: list[dict[str, t.Any]] = []
        self._host_start: dict[tuple[str, str], float] = {}
        self._last_result = self._loaded

    def _now(self) -> float:
        return round(time.time() - self._t0, 4)

    def _close_previous(self, now: float) -> None:
        if self._tasks and self._tasks[-1]["end"] is None:
            self._tasks[-1]["end"] = now

    def v2_playbook_on_task_start(self, task: t.Any, is_conditional: bool) -> None:
        now = self._now()
        self._close_previous(now)
        self._tasks.append({"name": task.get_name(), "action": task.action, "uuid": task._uuid,
                            "start": now, "end": None, "hosts": {}})

    def v2_playbook_on_handler_task_start(self, task: t.Any) -> None:
        self.v2_playbook_on_task_start(task, False)

    def v2_runner_on_start(self, host: t.Any, task: t.Any) -> None:
        self._host_start[(task._uuid, host.get_name())] = self._now()

    def _result(self, result: t.Any, status: str) -> None:
        now = self._now()
        self._last_result = now
        host = result._host.get_name()
        uuid = result._task._uuid
        start = self._host_start.pop((uuid, host), None)
        for task in reversed(self._tasks):
            if task["uuid"] == uuid:
                entry = task["hosts"].setdefault(host, {"seconds": 0.0, "status": status, "results": 0})
                if start is not None:
                    entry["seconds"] = round(entry["seconds"] + now - start, 4)
                entry["results"] += 1
                if status != "skipped" or entry["status"] == "skipped":
                    entry["status"] = status
                break

    def v2_runner_on_ok(self, result: t.Any) -> None:
        self._result(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result: t.Any, ignore_errors: bool = False) -> None:
        self._result(result, "failed")

    def v2_runner_on_skipped(self, result: t.Any) -> None:
        self._result(result, "skipped")

    def v2_runner_on_unreachable(self, result: t.Any) -> None:
        self._result(result, "unreachable")

    def v2_playbook_on_stats(self, stats: t.Any) -> None:
        now = self._now()
        self._close_previous(self._last_result)
        if not self._out:
            return
        for task in self._tasks:
            del task["uuid"]
            task["seconds"] = round(task["end"] - task["start"], 4)
        data = {"loaded": self._loaded, "first_task": self._tasks[0]["start"] if self._tasks else None,
                "stats": now, "tasks": self._tasks}
        with open(self._out, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
