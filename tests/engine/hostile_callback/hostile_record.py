# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback of the hostile-input suite: each case's result and the engine's objects right after it.

Loaded by tests/engine/test_hostile_input.py only (ANSIBLE_CALLBACK_PLUGINS). A task named
``hostile-case-<id>`` is one case; its result and a snapshot of the engine taken the moment it
ended go, one JSON line each, to ``$TIDY_HOSTILE_RECORD``. The snapshot is taken here, between
one task and the next, so that a case that removed something is the case that is blamed.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: hostile_record
short_description: Record the hostile-input suite's cases (test-only)
description: [Writes each hostile-case task's result and an engine snapshot as a JSON line.]
type: aggregate
"""

import json  # noqa: E402 - DOCUMENTATION first, as ansible-doc reads plugins
import os  # noqa: E402
import typing as t  # noqa: E402

import docker  # noqa: E402
from ansible.plugins.callback import CallbackBase  # noqa: E402

PREFIX = "hostile-case-"


def snapshot(client: t.Any) -> dict[str, t.Any]:
    """What a wrongly accepted option could remove or change: every container (with its state), every
    image with its tags, every volume and network."""
    return {
        "containers": sorted(f"{c['Id']} {c['Names']} {c['State']}" for c in client.containers(all=True)),
        "images": sorted(f"{i['Id']} {sorted(i.get('RepoTags') or [])}" for i in client.images(all=True)),
        "volumes": sorted(v["Name"] for v in client.volumes().get("Volumes") or []),
        "networks": sorted(n["Id"] for n in client.networks()),
    }


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "hostile_record"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self) -> None:
        super().__init__()
        self._path = os.environ["TIDY_HOSTILE_RECORD"]
        self._client = docker.APIClient(base_url=os.environ["TIDY_HOSTILE_ENGINE"], version="auto", timeout=60)

    def _record(self, result: t.Any, failed: bool) -> None:
        name = result._task.get_name()
        if not name.startswith(PREFIX):
            return
        outcome = dict(result._result, failed=failed)
        # A role case records ansible_failed_result (rescue) or {"accepted": true} as a fact.
        facts = outcome.get("ansible_facts") or {}
        if "hostile_outcome" in facts:
            outcome = dict(facts["hostile_outcome"])
            outcome["failed"] = not outcome.get("accepted")
        line = {"case": name[len(PREFIX):], "result": outcome, "snapshot": snapshot(self._client)}
        with open(self._path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, default=str) + "\n")

    def v2_runner_on_ok(self, result: t.Any) -> None:
        self._record(result, failed=False)

    def v2_runner_on_failed(self, result: t.Any, ignore_errors: bool = False) -> None:
        self._record(result, failed=True)
