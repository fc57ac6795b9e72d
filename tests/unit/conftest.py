# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.tidy.docker`` importable as *this* checkout.

The code imports itself as ``ansible_collections.tidy.docker.plugins...``, so
the repository must sit at ``<root>/ansible_collections/tidy/docker`` with
``<root>`` on ``sys.path``. Two ways are supported:

- the repository already lives at such a path (``scripts/test.sh`` copies it
  there): ``<root>`` is put on ``sys.path`` here;
- ``PYTHONPATH`` names a ``<root>`` whose ``ansible_collections/tidy/docker``
  is a symlink to this checkout.

Anything else stops the run with one message saying how to run the tests,
rather than hundreds of ImportErrors or, worse, tests of another installed copy.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

COLLECTION_PACKAGE = "ansible_collections.tidy.docker"
REPO = Path(__file__).absolute().parents[2]  # tests/unit/conftest.py -> repository root
HOW_TO_RUN = (
    "run the unit tests from a copy of the repository at <root>/ansible_collections/tidy/docker "
    "(scripts/test.sh does this), or make <root>/ansible_collections/tidy/docker a symlink to this "
    "checkout and run: PYTHONPATH=<root> python -m pytest tests/unit"
)


def _collection_root(path: Path) -> Path | None:
    """``<root>`` when ``path`` is ``<root>/ansible_collections/tidy/docker``."""
    if path.parts[-3:] == ("ansible_collections", "tidy", "docker"):
        return path.parents[2]
    return None


def _make_importable() -> None:
    for candidate in (REPO, REPO.resolve()):
        root = _collection_root(candidate)
        if root is not None and str(root) not in sys.path:
            sys.path.insert(0, str(root))
            break
    try:
        module_utils = importlib.import_module(f"{COLLECTION_PACKAGE}.plugins.module_utils._units")
    except ImportError as exc:
        pytest.exit(f"Cannot import {COLLECTION_PACKAGE} ({exc}) from {REPO}: {HOW_TO_RUN}.", returncode=4)
    imported_from = Path(str(module_utils.__file__)).resolve()
    if REPO.resolve() not in imported_from.parents:
        pytest.exit(f"{COLLECTION_PACKAGE} is imported from {imported_from}, not from this checkout {REPO}: "
                    f"{HOW_TO_RUN}.", returncode=4)


_make_importable()

# The profile decides how many examples each property test draws: "fast" for local runs, "ci"
# (10,000) where CI=true, as .ci/run sets it; TIDY_HYPOTHESIS_PROFILE names one explicitly.
# No deadline: a slow CI machine must not turn into a flaky test.
settings.register_profile("fast", deadline=None, max_examples=100)
settings.register_profile("ci", deadline=None, max_examples=10_000)
settings.load_profile(os.environ.get("TIDY_HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() == "true" else "fast"))
