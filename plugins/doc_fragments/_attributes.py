# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Attribute presets: ``actiongroup_docker`` for every module, ``info_module`` or ``actions`` by kind."""

    # Attributes every module of the collection has.
    ACTIONGROUP_DOCKER = r"""
attributes:
  action_group:
    description: Use C(group/tidy.docker.docker) in C(module_defaults) to set options for all modules of the collection.
    support: full
    membership:
      - tidy.docker.docker
"""

    # Read-only modules: they change nothing, so check mode and idempotence are trivial.
    INFO_MODULE = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the same data as a real run.
    support: full
    details:
      - This module only reads from the engine; it never changes anything.
  diff_mode:
    description: Would return details on what has changed in diff mode.
    support: N/A
    details:
      - This module never changes anything.
  idempotent:
    description: Running it twice in a row gives the same result, unless something else changed the engine meanwhile.
    support: full
"""

    # Modules that change the engine.
    ACTIONS = r"""
attributes:
  check_mode:
    description: Can run in check mode and return what a real run would change, without changing anything.
    support: full
  diff_mode:
    description: Returns before and after states of what changed (or would change) in diff mode.
    support: full
  idempotent:
    description: A second run with the same options reports no change.
    support: full
"""
