# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counts, per host, the tasks of the role clean_host that Ansible ran or skipped in one playbook run.

A test aid of the Molecule scenarios, not part of the collection: each scenario that enables it
(ANSIBLE_CALLBACKS_ENABLED=tidy_task_count, ANSIBLE_CALLBACK_PLUGINS pointing here) gets one JSON
line per ansible-playbook run in the file named by TIDY_TASK_COUNTS:
{"playbook": "converge.yml", "check_mode": true, "tasks": {HOST: [TASK NAME, ...]}}.
Every task result counts once, whatever its outcome (ok, changed, skipped, failed, unreachable); a
loop is one task, as Ansible reports it. The verify playbooks hold the role to its budget.
"""

from __future__ import annotations

import json
import os
import typing as t

from ansible import context
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: tidy_task_count
type: aggregate
short_description: Count the tasks of the role clean_host per host (Molecule test aid)
description:
  - Appends one JSON line per playbook run to the file named by the environment variable TIDY_TASK_COUNTS.
requirements:
  - enabled in callbacks_enabled
"""

ROLE = "clean_host"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "tidy_task_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._playbook = ""
        self._tasks: dict[str, list[str]] = {}

    def v2_playbook_on_start(self, playbook: t.Any) -> None:
        self._playbook = os.path.basename(playbook._file_name)

    def _count(self, result: t.Any) -> None:
        task = result._task
        role = task._role.get_name() if task._role is not None else ""
        if role == ROLE or role.endswith("." + ROLE):
            self._tasks.setdefault(result._host.get_name(), []).append(task.get_name())

    def v2_runner_on_ok(self, result: t.Any) -> None:
        self._count(result)

    def v2_runner_on_failed(self, result: t.Any, ignore_errors: bool = False) -> None:
        self._count(result)

    def v2_runner_on_skipped(self, result: t.Any) -> None:
        self._count(result)

    def v2_runner_on_unreachable(self, result: t.Any) -> None:
        self._count(result)

    def v2_playbook_on_stats(self, stats: t.Any) -> None:
        path = os.environ.get("TIDY_TASK_COUNTS")
        if not path or not self._tasks:
            return
        line = {"playbook": self._playbook, "check_mode": bool(context.CLIARGS.get("check")), "tasks": self._tasks}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, sort_keys=True) + "\n")
