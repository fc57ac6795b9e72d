# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options the prune modules share: ``DOCUMENTATION`` the cap of container_prune and image_prune, ``RUN`` how
    a run goes, for every prune module (``tidy.docker._prune_options.run``), ``PROTECT`` the protect label
    every pruning module honours (``tidy.docker._prune_options.protect``).

    Mirrors ``RUN_SPEC``, ``PROTECT_SPEC`` and ``max_removals`` in ``plugins/module_utils/_prune/options.py``;
    validate-modules compares them.
    """

    DOCUMENTATION = r"""
options:
  max_removals:
    description:
      - Safety cap on how many objects one run removes. The first ones in removal order go (oldest first, or least
        recently used first in watermark mode); the rest are kept with reason V(max_removals). V(0) means no cap.
    type: int
    default: 0
"""

    PROTECT = r"""
options:
  protect_label:
    description:
      - Objects carrying this label are never removed, whatever the other options say; reason V(excluded_label).
        V(key=value) protects that value, V(key) alone any value.
      - An empty string protects nothing; then only the exclude options spare objects.
    type: str
    default: tidy.docker.keep=true
"""

    RUN = r"""
options:
  parallel:
    description:
      - How many removals run concurrently against the engine (1 to 64).
    type: int
    default: 8
  report_kept:
    description:
      - Return the full RV(kept) list. On hosts with thousands of objects set V(false) and read RV(kept_counts).
    type: bool
    default: true
"""
