# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: human_size
short_description: A size in bytes as people read it, the way the modules' C(_human) returns say it
version_added: 0.1.0
description:
  - Formats a number of bytes with decimal units and three significant digits, like C(docker images) does,
    for example V(999 B), V(1.31 MB), V(2.5 TB).
  - It is the formatter behind every C(_human) return value of the collection's modules (such as
    RV(tidy.docker.image_prune#module:space_reclaimed_human)), so a role's or a playbook's own sums read the same.
  - Sizes that round up to the next unit say so (V(1 MB), never V(1e+03 kB)).
options:
  _input:
    description:
      - A size in bytes; an integer, or a string of one (as templated facts often are). A float (from Jinja's
        V(/)) is cut to whole bytes.
      - A negative size (a difference) keeps its sign.
    type: int
    required: true
seealso:
  - module: tidy.docker.host_info
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
- name: Say how much the images take
  ansible.builtin.debug:
    msg: "images use {{ host.disk_usage.images.size | tidy.docker.human_size }}"
  # images use 1.31 GB

- name: Sums of several hosts read like the modules' own figures
  ansible.builtin.debug:
    msg: "{{ reports | map(attribute='space_reclaimed') | map('int') | sum | tidy.docker.human_size }} reclaimed"

- name: Plain values
  ansible.builtin.assert:
    that:
      - 999 | tidy.docker.human_size == '999 B'
      - 999500 | tidy.docker.human_size == '1 MB'
      - "'2500000000000' | tidy.docker.human_size == '2.5 TB'"
"""

RETURN = r"""
_value:
  description: The size with a decimal unit (V(B), V(kB), V(MB), V(GB), V(TB), V(PB), V(EB)), three significant digits.
  type: str
  sample: 1.31 MB
"""

import math
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.tidy.docker.plugins.module_utils._units import format_size


def _not_a_size(value: t.Any) -> AnsibleFilterError:
    return AnsibleFilterError(f"human_size: {value!r} is not a size in bytes; give a whole number such as 1310000.")


def human_size(size: t.Any) -> str:
    """``1310000`` -> ``'1.31 MB'``; refuse what is not a number of bytes."""
    if isinstance(size, bool) or not isinstance(size, (int, float, str)):
        raise _not_a_size(size)
    if isinstance(size, str):
        try:
            size = int(size.strip())
        except ValueError:
            raise _not_a_size(size) from None
    if isinstance(size, float):
        if not math.isfinite(size):
            raise _not_a_size(size)
        size = int(size)
    return format_size(size)


class FilterModule:
    """tidy.docker's filters."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"human_size": human_size}
