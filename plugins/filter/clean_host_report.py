# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: clean_host_report
short_description: The report of the clean_host role, from the results of its prune and log tasks
version_added: 0.2.0
description:
  - Builds the role's C(clean_host_report) (documented in the role's C(docs/role-clean_host.md)) from the registered
    result of M(tidy.docker.prune) and of M(tidy.docker.log_truncate).
  - The role calls it; a playbook that runs the two modules itself gets the same report with it.
  - Each section is built in one pass over the prune's C(removed) and C(kept) lists, which matters on hosts where a
    pass removes thousands of objects.
options:
  _input:
    description:
      - The registered result of M(tidy.docker.prune), or of a task that was skipped (then O(facts) gives the engine
        and its disk usage).
    type: dict
    required: true
  logs:
    description: The registered result of M(tidy.docker.log_truncate), run after the prune.
    type: dict
    required: true
  facts:
    description: The registered result of M(tidy.docker.host_info), used only when the prune task was skipped.
    type: dict
  host:
    description: The host the report is about (C(inventory_hostname)).
    type: str
    required: true
  check_mode:
    description: Whether the pass ran in check mode; then the sizes are the modules' estimates.
    type: bool
    default: false
  report_kept:
    description: Whether to copy the prune's C(kept) list into the report.
    type: bool
    default: false
  logs_step:
    description:
      - Whether the log step was on. Off, the log task ran in check mode only to read the logs, and its bytes do
        not count in C(space_reclaimed).
    type: bool
    default: false
seealso:
  - module: tidy.docker.prune
  - module: tidy.docker.log_truncate
  - plugin: tidy.docker.clean_host_summary
    plugin_type: filter
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
- name: Prune and read the logs as the role does
  tidy.docker.prune:
    containers: {}
    images: {scope: unused}
  register: pruned

- name: Logs
  tidy.docker.log_truncate:
    larger_than: 100MB
  check_mode: true
  register: logs

- name: The role's report for this host
  ansible.builtin.set_fact:
    report: "{{ pruned | tidy.docker.clean_host_report(logs=logs, host=inventory_hostname, check_mode=ansible_check_mode) }}"
"""

RETURN = r"""
_value:
  description: The report; its keys are those of the role's C(clean_host_report).
  type: dict
"""

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.tidy.docker.plugins.plugin_utils._clean_host_report import build_report


def clean_host_report(prune: t.Any, logs: t.Any, host: str, facts: t.Any = None, check_mode: bool = False,
                      report_kept: bool = False, logs_step: bool = False) -> dict[str, t.Any]:
    """The role's report from its task results."""
    for name, value in (("the input", prune), ("logs", logs)):
        if not isinstance(value, t.Mapping):
            raise AnsibleFilterError(f"clean_host_report: {name} must be a registered task result (a dict), "
                                     f"not {type(value).__name__}.")
    return build_report(prune, logs, facts if isinstance(facts, t.Mapping) else None, str(host), bool(check_mode),
                        bool(report_kept), bool(logs_step))


class FilterModule:
    """tidy.docker's filters."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"clean_host_report": clean_host_report}
