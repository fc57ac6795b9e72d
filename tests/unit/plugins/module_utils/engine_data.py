# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine answers captured from Docker 20.10.24 (API 1.41), trimmed to the keys we read.

The host held four images built FROM one another (tidy/base:1 <- tidy/app:1,
tidy/app:stable, tidy/app:2 and one untagged build) and two containers:
``running1`` (tidy/base:1, ``sleep 1000``) and ``stopped1`` (tidy/app:1, ``true``,
exited 0). For that state ``docker system df`` printed::

    TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
    Images          4         2         1.985MB   1.985MB (99%)
    Containers      2         1         0B        0B
    Local Volumes   0         0         0B        0B
    Build Cache     0         0         0B        0B

Every function builds fresh dicts, so a test may mutate what it gets. ``conftest.py``
offers them as fixtures; property tests (hypothesis) call them directly.
"""

from __future__ import annotations

import typing as t

BASE_ID = "sha256:08e6998506ac36489e434ce1447a315122d58569ea35ddf2e4fdefbb61252216"
APP1_ID = "sha256:271faf8726941d2696abd2e4388f1fe86bef1fff680d5b01531d6be023468998"
APP2_ID = "sha256:e8ba93198d9839fb7bc8ff34e761038866cee2c999a567064fd9beffb866c46b"
UNTAGGED_ID = "sha256:9f15426d744316803b8924cb4ef319d208eb767f035601422adde138738e7f1a"
RUNNING_ID = "9b2800f361b18116d2349636c28990b6da03b39ad3138c98a7ecf4bd0b68cce4"
STOPPED_ID = "813c249508bbcfc00dded2f065b63b59e2fe25066b19b528e30882ee9c5d7321"
ENGINE_ZERO_TIME = "0001-01-01T00:00:00Z"


def _image(image_id: str, tags: list[str] | None, digests: list[str] | None, size: int, containers: int,
           shared: int, created: int = 1795817000, parent: str = BASE_ID) -> dict[str, t.Any]:
    return {
        "Containers": containers,
        "Created": created,
        "Id": image_id,
        "Labels": {"org.test": "base"},
        "ParentId": parent,
        "RepoDigests": digests,
        "RepoTags": tags,
        "SharedSize": shared,
        "Size": size,
        "VirtualSize": size,
    }


def _listed_container(container_id: str, name: str, image: str, image_id: str, command: str, state: str,
                      status: str) -> dict[str, t.Any]:
    return {
        "Id": container_id,
        "Names": [f"/{name}"],
        "Image": image,
        "ImageID": image_id,
        "Command": command,
        "Created": 1795817000,
        "Labels": {"org.test": "base"},
        "State": state,
        "Status": status,
        "HostConfig": {"NetworkMode": "default"},
        "Mounts": [],
    }


def listed_containers() -> list[dict[str, t.Any]]:
    """GET /containers/json?all=1"""
    return [
        _listed_container(RUNNING_ID, "running1", "tidy/base:1", BASE_ID, "sleep 1000", "running",
                          "Up Less than a second"),
        _listed_container(STOPPED_ID, "stopped1", "tidy/app:1", APP1_ID, "true", "exited",
                          "Exited (0) Less than a second ago"),
    ]


def listed_images() -> list[dict[str, t.Any]]:
    """GET /images/json: no usage figures there (Containers and SharedSize are -1)."""
    return [
        _image(APP2_ID, ["tidy/app:2"], None, 1985477, -1, -1),
        _image(APP1_ID, ["tidy/app:1", "tidy/app:stable"], None, 1985475, -1, -1),
        _image(UNTAGGED_ID, ["<none>:<none>"], ["<none>@<none>"], 1985475, -1, -1),
        _image(BASE_ID, ["tidy/base:1"], None, 1985472, -1, -1, created=1795816999,
               parent="sha256:74a9a3d1b451a7793ec290eddf44a7c8db97e45f24b7a6462f773c52c8d847ab"),
    ]


def df_answer() -> dict[str, t.Any]:
    """GET /system/df: images with usage, containers (SizeRw left out by the engine when 0)."""
    containers = []
    for raw, root_fs in zip(listed_containers(), (1985472, 1985475), strict=False):
        containers.append(dict(raw, SizeRootFs=root_fs))
    return {
        "LayersSize": 1985483,
        "Images": [
            _image(APP1_ID, ["tidy/app:1", "tidy/app:stable"], None, 1985475, 1, 1985472),
            _image(UNTAGGED_ID, ["<none>:<none>"], ["<none>@<none>"], 1985475, 0, 1985472),
            _image(APP2_ID, ["tidy/app:2"], None, 1985477, 0, 1985472),
            _image(BASE_ID, ["tidy/base:1"], None, 1985472, 1, 1985472, created=1795816999,
                   parent="sha256:74a9a3d1b451a7793ec290eddf44a7c8db97e45f24b7a6462f773c52c8d847ab"),
        ],
        "Containers": containers,
        "Volumes": [],
        "BuildCache": None,
        "BuilderSize": 0,
    }


def inspected_exited() -> dict[str, t.Any]:
    """GET /containers/stopped1/json (docker run --name stopped1 tidy/app:1 true)."""
    return {
        "Id": STOPPED_ID,
        "Created": "2026-11-27T22:03:20.548625735Z",
        "Path": "true",
        "Args": [],
        "State": {
            "Status": "exited", "Running": False, "Paused": False, "Restarting": False, "OOMKilled": False,
            "Dead": False, "Pid": 0, "ExitCode": 0, "Error": "",
            "StartedAt": "2026-11-27T22:03:20.678084912Z",
            "FinishedAt": "2026-11-27T22:03:20.679109105Z",
        },
        "Image": APP1_ID,
        "Name": "/stopped1",
        "RestartCount": 0,
        "HostConfig": {"NetworkMode": "default", "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}},
        "Config": {"Image": "tidy/app:1", "Cmd": ["true"], "Entrypoint": None, "Labels": {"org.test": "base"}},
    }


def inspected_running() -> dict[str, t.Any]:
    """GET /containers/running1/json (docker run -d --restart unless-stopped ... sleep 1000)."""
    return {
        "Id": RUNNING_ID,
        "Created": "2026-11-27T22:03:20.112233445Z",
        "Path": "sleep",
        "Args": ["1000"],
        "State": {
            "Status": "running", "Running": True, "Paused": False, "Restarting": False, "OOMKilled": False,
            "Dead": False, "Pid": 4242, "ExitCode": 0, "Error": "",
            "StartedAt": "2026-11-27T22:03:20.401000000Z",
            "FinishedAt": ENGINE_ZERO_TIME,
        },
        "Image": BASE_ID,
        "Name": "/running1",
        "RestartCount": 2,
        "HostConfig": {"NetworkMode": "default", "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0}},
        "Config": {"Image": "tidy/base:1", "Cmd": ["sleep", "1000"], "Entrypoint": None,
                   "Labels": {"org.test": "base", "tidy.docker.keep": "true"}},
    }


def inspected_created() -> dict[str, t.Any]:
    """GET /containers/fresh/json after ``docker create`` through the API without a restart policy."""
    return {
        "Id": "5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5",
        "Created": "2026-11-27T22:05:00Z",
        "Path": "",
        "Args": [],
        "State": {
            "Status": "created", "Running": False, "Paused": False, "Restarting": False, "OOMKilled": False,
            "Dead": False, "Pid": 0, "ExitCode": 0, "Error": "",
            "StartedAt": ENGINE_ZERO_TIME,
            "FinishedAt": ENGINE_ZERO_TIME,
        },
        "Image": APP2_ID,
        "Name": "/fresh",
        "RestartCount": 0,
        "HostConfig": {"NetworkMode": "bridge", "RestartPolicy": {"Name": "", "MaximumRetryCount": 0}},
        "Config": {"Image": "tidy/app:2", "Cmd": None, "Entrypoint": None, "Labels": None},
    }
