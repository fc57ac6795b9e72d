# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The disk under the engine's data root, read on the node when the engine runs there.

Apart from _info_reads: the prune modules need only this, and each module_utils file a module
imports is parsed on the controller and compiled on the node at every run (docs/performance.md).
"""

from __future__ import annotations

import os

from ansible_collections.tidy.docker.plugins.module_utils._records import Record, filesystem_usage


def local_filesystem(path: str, docker_host: str) -> Record | None:
    """Usage of the filesystem holding ``path``, only when the engine runs on this host.

    A local unix socket that exists here is the sign; for remote engines the
    path would describe the wrong machine, so nothing is returned.
    """
    if not docker_host.startswith("unix://") or not os.path.exists(docker_host[len("unix://"):]):
        return None
    if not path or not os.path.isdir(path):
        return None
    stats = os.statvfs(path)
    return filesystem_usage(stats.f_blocks * stats.f_frsize, stats.f_bfree * stats.f_frsize,
                            stats.f_bavail * stats.f_frsize)
