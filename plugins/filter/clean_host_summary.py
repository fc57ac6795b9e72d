# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: clean_host_summary
short_description: The summary lines of the clean_host role, from its report
version_added: 0.2.0
description:
  - One headline per host, a line for the volumes, networks and build cache when they were pruned, then one line per
    object the plan removes, in the order the real run removes them (C(removed container NAME (REASON)),
    C(untagged image REF)), the named objects that stayed, and the logs; C(would ...) in check mode.
  - The lines the role prints in its C(Summary) task.
options:
  _input:
    description: The report, as the P(tidy.docker.clean_host_report#filter) filter builds it.
    type: dict
    required: true
  removed:
    description: The C(removed) list of the M(tidy.docker.prune) result, in its order.
    type: list
    elements: dict
    required: true
  check_mode:
    description: Whether the pass ran in check mode.
    type: bool
    default: false
  engine_kinds:
    description: The kinds among V(volume), V(network), V(build_cache) that the pass pruned; each gets a count.
    type: list
    elements: str
    default: []
  logs_larger_than:
    description: The log size threshold, as the line about logs over it says it.
    type: str
    default: ''
seealso:
  - plugin: tidy.docker.clean_host_report
    plugin_type: filter
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
- name: Print what the pass did
  ansible.builtin.debug:
    msg: "{{ report | tidy.docker.clean_host_summary(removed=pruned.removed, check_mode=ansible_check_mode) }}"
"""

RETURN = r"""
_value:
  description: The lines.
  type: list
  elements: str
  sample:
    - "web1: removed 2 containers and 1 images, reclaimed 12.3 MB; kept containers {\"running\": 3}, images {}; ..."
    - removed container old-job (exited)
"""

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.tidy.docker.plugins.plugin_utils._clean_host_report import summary_lines


def clean_host_summary(report: t.Any, removed: t.Any, check_mode: bool = False, engine_kinds: t.Any = (),
                       logs_larger_than: str = "") -> list[str]:
    """The role's summary lines from its report."""
    if not isinstance(report, t.Mapping) or "containers" not in report:
        raise AnsibleFilterError("clean_host_summary: the input must be the report of tidy.docker.clean_host_report.")
    if not isinstance(removed, (list, tuple)):
        raise AnsibleFilterError(f"clean_host_summary: removed must be the prune's removed list, not {type(removed).__name__}.")
    return summary_lines(report, removed, bool(check_mode), [str(kind) for kind in engine_kinds or ()], str(logs_larger_than))


class FilterModule:
    """tidy.docker's filters."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"clean_host_summary": clean_host_summary}
