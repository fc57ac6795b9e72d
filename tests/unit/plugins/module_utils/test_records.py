# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_records.py: the records the info modules return, built from real Docker 20.10 answers (see conftest)."""

from __future__ import annotations

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._records import (
    container_name,
    filesystem_usage,
    normalise_container,
    normalise_image,
    summarise_disk_usage,
    users_by_image,
)
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.engine_data import (
    APP1_ID,
    APP2_ID,
    BASE_ID,
    RUNNING_ID,
    STOPPED_ID,
    UNTAGGED_ID,
)

RUNNING_USER = {"id": RUNNING_ID, "name": "running1", "state": "running"}
STOPPED_USER = {"id": STOPPED_ID, "name": "stopped1", "state": "exited"}


def by_id(records):
    return {record["id"]: record for record in records}


# ---------------------------------------------------------------- containers


@pytest.mark.parametrize(("raw", "name"), [
    ({"Name": "/stopped1"}, "stopped1"),
    ({"Names": ["/running1"]}, "running1"),
    ({"Names": ["/web", "/app/web"]}, "web"),
    ({"Names": None}, ""),
    ({}, ""),
])
def test_container_name(raw, name):
    assert container_name(raw) == name


def test_exited_container(inspected_exited, listed_containers):
    record = normalise_container(inspected_exited, listed_containers[1])
    assert record == {
        "id": STOPPED_ID,
        "name": "stopped1",
        "image": "tidy/app:1",
        "image_id": APP1_ID,
        "command": ["true"],
        "created": "2026-11-27T22:03:20.548625Z",
        "state": "exited",
        "status": "Exited (0) Less than a second ago",
        "running": False,
        "paused": False,
        "restarting": False,
        "exit_code": 0,
        "started_at": "2026-11-27T22:03:20.678084Z",
        "finished_at": "2026-11-27T22:03:20.679109Z",
        "labels": {"org.test": "base"},
        "restart_count": 0,
        "restart_policy": "no",
        "network_mode": "default",
    }


def test_running_container(inspected_running, listed_containers):
    record = normalise_container(inspected_running, listed_containers[0])
    assert record["command"] == ["sleep", "1000"]
    assert (record["state"], record["status"]) == ("running", "Up Less than a second")
    assert (record["running"], record["paused"], record["restarting"]) == (True, False, False)
    assert record["started_at"] == "2026-11-27T22:03:20.401000Z"
    assert record["finished_at"] is None          # the engine's zero time: never finished
    assert record["restart_policy"] == "unless-stopped"
    assert record["restart_count"] == 2
    assert record["labels"] == {"org.test": "base", "tidy.docker.keep": "true"}


def test_created_never_started_container(inspected_created):
    record = normalise_container(inspected_created)
    assert (record["state"], record["status"]) == ("created", "created")   # no list data: the state stands in
    assert (record["started_at"], record["finished_at"]) == (None, None)
    assert record["created"] == "2026-11-27T22:05:00Z"
    assert record["restart_policy"] == "no"        # the API leaves the name empty when none was asked for
    assert record["command"] == []
    assert record["labels"] == {}
    assert record["network_mode"] == "bridge"
    assert "size_rw" not in record


@pytest.mark.parametrize("host_config", [{}, {"RestartPolicy": None}, {"RestartPolicy": {}},
                                         {"RestartPolicy": {"Name": ""}}])
def test_restart_policy_defaults_to_no(inspected_exited, host_config):
    inspected_exited["HostConfig"] = host_config
    assert normalise_container(inspected_exited)["restart_policy"] == "no"


def test_paused_container_is_not_running(inspected_running):
    inspected_running["State"].update(Status="paused", Paused=True)
    record = normalise_container(inspected_running)
    assert (record["state"], record["running"], record["paused"]) == ("paused", False, True)


def test_restarting_container(inspected_running):
    inspected_running["State"].update(Status="restarting", Restarting=True)
    assert normalise_container(inspected_running)["restarting"] is True


@pytest.mark.parametrize(("listed", "size_rw"), [({"SizeRw": 4096}, 4096), ({}, 0), (None, 0)])
def test_size_rw_when_asked(inspected_exited, listed, size_rw):
    """The engine leaves SizeRw out when it is zero."""
    assert normalise_container(inspected_exited, listed, with_size=True)["size_rw"] == size_rw


def test_users_by_image(listed_containers):
    assert users_by_image(listed_containers) == {BASE_ID: [RUNNING_USER], APP1_ID: [STOPPED_USER]}


def test_users_by_image_groups_several_containers(listed_containers):
    second = dict(listed_containers[1], Id="a" * 64, Names=["/stopped2"], State="created")
    assert users_by_image(listed_containers + [second])[APP1_ID] == [
        STOPPED_USER, {"id": "a" * 64, "name": "stopped2", "state": "created"}]


def test_users_by_image_of_an_empty_host():
    assert users_by_image([]) == {}


# ---------------------------------------------------------------- images


def test_images_from_system_df_with_usage(df_answer, listed_containers):
    images = by_id(normalise_image(raw, users_by_image(listed_containers)) for raw in df_answer["Images"])
    assert images[APP1_ID] == {
        "id": APP1_ID,
        "short_id": "271faf872694",
        "repo_tags": ["tidy/app:1", "tidy/app:stable"],
        "repo_digests": [],
        "created": "2026-11-27T22:03:20Z",
        "size": 1985475,
        "size_human": "1.99 MB",
        "shared_size": 1985472,
        "unique_size": 3,
        "dangling": False,
        "labels": {"org.test": "base"},
        "parent_id": BASE_ID,
        "containers": [STOPPED_USER],
        "in_use": True,
    }
    assert (images[BASE_ID]["containers"], images[BASE_ID]["in_use"], images[BASE_ID]["unique_size"]) == (
        [RUNNING_USER], True, 0)
    assert images[BASE_ID]["created"] == "2026-11-27T22:03:19Z"
    assert (images[APP2_ID]["containers"], images[APP2_ID]["in_use"], images[APP2_ID]["unique_size"]) == ([], False, 5)


def test_dangling_image(df_answer):
    image = normalise_image(df_answer["Images"][1], {})
    assert image["id"] == UNTAGGED_ID
    assert (image["repo_tags"], image["repo_digests"], image["dangling"]) == ([], [], True)


@pytest.mark.parametrize(("tags", "digests", "dangling"), [
    (["<none>:<none>"], ["<none>@<none>"], True),
    (None, None, True),
    ([], [], True),
    ([], ["tidy/app@sha256:" + "ab" * 32], True),   # pulled by digest only: untagged, so dangling like the engine says
    (["tidy/app:1"], None, False),
    (["tidy/app:1"], ["tidy/app@sha256:" + "ab" * 32], False),
])
def test_dangling_means_no_tag(df_answer, tags, digests, dangling):
    raw = dict(df_answer["Images"][0], RepoTags=tags, RepoDigests=digests)
    image = normalise_image(raw, {})
    assert image["dangling"] is dangling
    assert image["repo_digests"] == [d for d in (digests or []) if d != "<none>@<none>"]


def test_usage_is_unknown_when_not_gathered(df_answer):
    image = normalise_image(df_answer["Images"][0], None)
    assert (image["containers"], image["in_use"], image["shared_size"], image["unique_size"]) == (None, None, None, None)
    assert image["size"] == 1985475


def test_images_list_has_no_shared_size(listed_images, listed_containers):
    """GET /images/json says SharedSize -1: unknown, not a negative size."""
    images = by_id(normalise_image(raw, users_by_image(listed_containers)) for raw in listed_images)
    assert (images[APP1_ID]["shared_size"], images[APP1_ID]["unique_size"]) == (None, None)
    assert (images[APP1_ID]["containers"], images[APP1_ID]["in_use"]) == ([STOPPED_USER], True)
    assert images[UNTAGGED_ID]["dangling"] is True
    assert images[UNTAGGED_ID]["in_use"] is False


def test_image_without_parent_or_labels(df_answer):
    raw = dict(df_answer["Images"][0], ParentId="", Labels=None)
    image = normalise_image(raw, None)
    assert (image["parent_id"], image["labels"]) == (None, {})


def test_image_records_do_not_share_the_users_lists(df_answer, listed_containers):
    users = users_by_image(listed_containers)
    image = normalise_image(df_answer["Images"][0], users)
    image["containers"].append({"id": "x"})
    assert users[APP1_ID] == [STOPPED_USER]


# ---------------------------------------------------------------- system df


def test_disk_usage_matches_the_docker_cli(df_answer):
    """docker system df printed: Images 4 2 1.985MB 1.985MB (99%); Containers 2 1 0B 0B; nothing else."""
    usage = summarise_disk_usage(df_answer)
    images = usage["images"]
    # The CLI renders these byte counts as 1.985MB and 1.985MB (99%): go-units, 4 significant digits.
    assert (images["count"], images["active"], images["size"], images["reclaimable"]) == (4, 2, 1985483, 1985480)
    assert (images["size_human"], images["reclaimable_human"]) == ("1.99 MB", "1.99 MB")
    empty = {"count": 0, "active": 0, "size": 0, "size_human": "0 B", "reclaimable": 0, "reclaimable_human": "0 B"}
    assert usage["containers"] == dict(empty, count=2, active=1)
    assert usage["volumes"] == empty
    assert usage["build_cache"] == empty


def test_in_use_image_without_shared_size_counts_as_reclaimable(df_answer):
    """Like the CLI: an in-use image whose SharedSize is unknown (-1) is skipped, not subtracted."""
    df_answer["Images"][0]["SharedSize"] = -1
    assert summarise_disk_usage(df_answer)["images"]["reclaimable"] == 1985483


def test_reclaimable_never_negative():
    df = {"LayersSize": 10, "Images": [{"Containers": 1, "Size": 100, "SharedSize": 0}]}
    assert summarise_disk_usage(df)["images"]["reclaimable"] == 0


def test_container_writable_layers(df_answer):
    running, stopped = df_answer["Containers"]
    running["SizeRw"] = 4096
    stopped["SizeRw"] = 1_000_000
    containers = summarise_disk_usage(df_answer)["containers"]
    assert containers == {"count": 2, "active": 1, "size": 1_004_096, "size_human": "1 MB",
                          "reclaimable": 1_000_000, "reclaimable_human": "1 MB"}


@pytest.mark.parametrize("state", ["paused", "restarting"])
def test_paused_and_restarting_containers_are_active_not_reclaimable(df_answer, state):
    """The CLI counts running, paused and restarting as active; container_prune never removes them."""
    running, stopped = df_answer["Containers"]
    running.update(State=state, SizeRw=4096)
    stopped["SizeRw"] = 1000
    containers = summarise_disk_usage(df_answer)["containers"]
    assert (containers["active"], containers["reclaimable"]) == (1, 1000)


def test_volumes():
    df = {"Volumes": [
        {"Name": "pgdata", "UsageData": {"RefCount": 1, "Size": 50_000_000}},
        {"Name": "orphan", "UsageData": {"RefCount": 0, "Size": 2_000_000}},
        {"Name": "unsized", "UsageData": {"RefCount": 0, "Size": -1}},
    ]}
    assert summarise_disk_usage(df)["volumes"] == {
        "count": 3, "active": 1, "size": 52_000_000, "size_human": "52 MB",
        "reclaimable": 2_000_000, "reclaimable_human": "2 MB"}


def test_build_cache():
    df = {"BuildCache": [
        {"ID": "a", "Size": 100_000, "InUse": True, "Shared": False},
        {"ID": "b", "Size": 20_000, "InUse": False, "Shared": True},
        {"ID": "c", "Size": 3_000, "InUse": False, "Shared": False},
    ]}
    assert summarise_disk_usage(df)["build_cache"] == {
        "count": 3, "active": 1, "size": 123_000, "size_human": "123 kB",
        "reclaimable": 3_000, "reclaimable_human": "3 kB"}


def test_empty_engine():
    empty = {"count": 0, "active": 0, "size": 0, "size_human": "0 B", "reclaimable": 0, "reclaimable_human": "0 B"}
    assert summarise_disk_usage({"LayersSize": 0, "Images": [], "Containers": [], "Volumes": [],
                                 "BuildCache": None}) == {
        "images": empty, "containers": empty, "volumes": empty, "build_cache": empty}


# ---------------------------------------------------------------- filesystem


def test_filesystem_usage_like_df():
    """100 GB ext4 with 5% reserved: 40 GB free, 35 GB available to non-root. df says 60G used, 35G avail, 64%."""
    assert filesystem_usage(total=100 * 10**9, free=40 * 10**9, available=35 * 10**9) == {
        "size": 100 * 10**9, "size_human": "100 GB",
        "used": 60 * 10**9, "used_human": "60 GB",
        "free": 35 * 10**9, "free_human": "35 GB",
        "used_percent": 63.2,    # 60 / (60 + 35): the share of what non-root users can fill
    }


@pytest.mark.parametrize(("total", "free", "available", "percent"), [
    (269_490_393_088, 245_868_072_960, 85_899_345_920, 21.6),   # host_info's documented sample
    (10**9, 10**9, 10**9, 0.0),
    (10**9, 0, 0, 100.0),
    (10**9, 5 * 10**7, 0, 100.0),     # only root's reserve left: full for everyone else
    (0, 0, 0, 0.0),
])
def test_filesystem_used_percent(total, free, available, percent):
    assert filesystem_usage(total, free, available)["used_percent"] == percent
