# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine detection and Podman's compatible answers read as Docker means them (answers of Podman 4.3.1)."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._podman import (
    DOCKER,
    PODMAN,
    build_steps_below,
    docker_binds,
    docker_disk_usage,
    docker_state,
    engine_added_env,
    engine_product,
    familiar_name,
    full_image_id,
    layers_size,
    podman_output_cut,
    tag_named,
    top_level_images,
)
from ansible_collections.tidy.docker.plugins.module_utils._records import repo_tags

BASE = "23e9b19378e3ede2ab6741aa4984d0eec163bad2e8b27e73b96efe48f917ba2c"
BUSYBOX = "773d4f699a34ec2f2fa0f177a6b6bee071f76d911ac7488cc16cbc3e17680217"
DANGLING = "d4b094c1531fabf1c4d3a6373521429f1bc6b50512c4cc27a6aa6a185a03b101"
TWO_TAGS = "a34fe576e013e66d3107a2579ec6efdd28a66a99e9b462aa0f85e8ca4204b35b"

PODMAN_VERSION = {"Version": "4.3.1", "ApiVersion": "1.41", "Components": [
    {"Name": "Podman Engine", "Version": "4.3.1"}, {"Name": "Conmon", "Version": "2.1.6"},
    {"Name": "OCI Runtime (runc)", "Version": "1.1.5"}]}
DOCKER_VERSION = {"Version": "20.10.24", "ApiVersion": "1.41", "Components": [
    {"Name": "Engine", "Version": "20.10.24"}, {"Name": "containerd", "Version": "1.6.20"}]}


def listed(image_id: str, parent: str, tags: list[str] | None, size: int, containers: int = 0) -> dict[str, t.Any]:
    """GET /images/json?all=true on Podman: full ids, bare parent ids, qualified tags, null for none."""
    return {"Id": f"sha256:{image_id}", "ParentId": parent, "RepoTags": tags, "RepoDigests": [], "Created": 1796197119,
            "Size": size, "SharedSize": 0, "Labels": {}, "Containers": containers}


# A base layer (a build intermediate), busybox on it (used by one container), and two builds on busybox:
# the first lost its tag to the second, which has two tags.
IMAGES = [
    listed(BASE, "", None, 1986012),
    listed(BUSYBOX, BASE, ["localhost/tidy-test/busybox:latest"], 2129530, containers=1),
    listed(DANGLING, BUSYBOX, None, 2132604),
    listed(TWO_TAGS, BUSYBOX, ["docker.io/tidy-test/a:1", "docker.io/tidy-test/a:2"], 2132604),
]


def df_image(image_id: str, tag: str, size: int, shared: int) -> dict[str, t.Any]:
    """GET /system/df on Podman: bare ids, the tag alone, one entry per tag."""
    return {"Id": image_id, "RepoTags": [tag], "ParentId": "", "Size": size, "SharedSize": shared, "Containers": 0}


PODMAN_DF = {
    "LayersSize": 0,
    "Images": [df_image(BASE, "<none>", 1986012, 1986012), df_image(BUSYBOX, "latest", 2129530, 2129530),
               df_image(DANGLING, "<none>", 2132604, 2129530), df_image(TWO_TAGS, "1", 2132604, 2129530),
               df_image(TWO_TAGS, "2", 2132604, 2129530)],
    "Containers": [{"Id": "c1", "ImageID": BUSYBOX, "State": "created"}],
    "Volumes": [{"Name": "v1", "UsageData": {"RefCount": 0, "Size": 0}}],
    "BuildCache": [],
}
LISTED_VOLUMES = [
    {"Name": "v1", "Driver": "local", "Labels": {"tidy.docker.keep": "true"}, "CreatedAt": "2026-12-02T08:00:31Z",
     "Mountpoint": "/p/volumes/v1/_data", "Options": {}, "Scope": "local"},
    {"Name": "v2", "Driver": "local", "Labels": {}, "CreatedAt": "2026-12-02T08:00:32Z", "Mountpoint": "/p/volumes/v2/_data",
     "Options": {}, "Scope": "local"},
]
LISTED_CONTAINERS = [{"Id": "c1", "ImageID": f"sha256:{BUSYBOX}", "State": "created", "Names": ["/c1"]}]


@pytest.mark.parametrize(("version", "product"), [
    (PODMAN_VERSION, PODMAN),
    (DOCKER_VERSION, DOCKER),
    ({"Version": "20.10.24"}, DOCKER),  # no components at all: an old Docker
    ({"Components": [{"Name": "podman"}]}, PODMAN),  # another wording of Podman's component
    ({"Components": ["junk", None]}, DOCKER),
])
def test_engine_product_reads_the_components_of_the_version_answer(version, product):
    assert engine_product(version) == product


@pytest.mark.parametrize(("raw", "full"), [
    (BUSYBOX, f"sha256:{BUSYBOX}"),
    (f"sha256:{BUSYBOX}", f"sha256:{BUSYBOX}"),
    ("", ""),
    (None, ""),
    ("abc123", "abc123"),  # not an id: left alone
])
def test_full_image_id(raw, full):
    assert full_image_id(raw) == full


@pytest.mark.parametrize(("name", "familiar"), [
    ("docker.io/library/busybox:1.36", "busybox:1.36"),
    ("docker.io/team/app:1", "team/app:1"),
    ("localhost/tidy-test/busybox:latest", "localhost/tidy-test/busybox:latest"),
    ("registry.example:5000/app:1", "registry.example:5000/app:1"),
    ("busybox:1.36", "busybox:1.36"),
    ("docker.io/library/busybox@sha256:" + "a" * 64, "busybox@sha256:" + "a" * 64),
])
def test_familiar_name_is_dockers_spelling(name, familiar):
    assert familiar_name(name) == familiar


def test_repo_tags_are_read_in_dockers_spelling():
    assert repo_tags({"RepoTags": ["docker.io/tidy-test/a:1", "<none>:<none>"]}) == ["tidy-test/a:1"]


def test_top_level_images_leave_out_untagged_parents():
    assert [raw["Id"] for raw in top_level_images(IMAGES)] == [f"sha256:{i}" for i in (BUSYBOX, DANGLING, TWO_TAGS)]


def test_layers_size_counts_each_layer_once():
    # base 1986012, busybox's own 143518, and 3074 for each of the two builds on it
    assert layers_size(IMAGES) == 1986012 + 143518 + 3074 + 3074


def test_layers_size_counts_an_image_without_a_known_parent_whole():
    assert layers_size([listed(BUSYBOX, "gone" * 16, ["b:1"], 100)]) == 100


def test_disk_usage_in_dockers_terms():
    df = docker_disk_usage(PODMAN_DF, IMAGES, LISTED_CONTAINERS, LISTED_VOLUMES)
    images = {image["Id"]: image for image in df["Images"]}
    assert len(df["Images"]) == 3  # one entry per image, not per tag, and no build intermediate
    assert images[f"sha256:{TWO_TAGS}"]["RepoTags"] == ["tidy-test/a:1", "tidy-test/a:2"]
    assert images[f"sha256:{TWO_TAGS}"]["ParentId"] == f"sha256:{BUSYBOX}"
    assert images[f"sha256:{TWO_TAGS}"]["Size"] - images[f"sha256:{TWO_TAGS}"]["SharedSize"] == 3074
    assert images[f"sha256:{DANGLING}"]["RepoTags"] == []
    assert images[f"sha256:{BUSYBOX}"]["Containers"] == 1
    assert df["LayersSize"] == 1986012 + 143518 + 3074 + 3074
    assert df["Containers"] == [dict(LISTED_CONTAINERS[0])]
    # the listing's labels (the df has none) with the df's usage; a volume the df missed has no known size
    assert df["Volumes"] == [dict(LISTED_VOLUMES[0], UsageData={"RefCount": 0, "Size": 0}),
                             dict(LISTED_VOLUMES[1], UsageData={"RefCount": -1, "Size": -1})]


# A build through the compatible API: busybox <- RUN step (hidden, 266 kB) <- LABEL step (hidden) <- the image,
# and a sibling build sharing the RUN step; Podman's df counts all an image shares with its parent as shared.
RUN_STEP, LABEL_STEP, LEAF, SIBLING, SIBLING_STEP = ("1" * 64, "2" * 64, "3" * 64, "4" * 64, "5" * 64)
BUILT = IMAGES[:2] + [
    listed(RUN_STEP, BUSYBOX, None, 2129530 + 266000),
    listed(LABEL_STEP, RUN_STEP, None, 2129530 + 266160),
    listed(LEAF, LABEL_STEP, ["docker.io/tidy-test/water:1"], 2129530 + 266320),
    listed(SIBLING_STEP, BUSYBOX, None, 2129530 + 1000),
    listed(SIBLING, SIBLING_STEP, ["docker.io/tidy-test/water:2"], 2129530 + 1100),
]


def test_the_own_build_steps_of_an_image_are_its_own_bytes():
    extra, steps = build_steps_below(BUILT)
    assert extra[f"sha256:{LEAF}"] == 266160 and extra[f"sha256:{SIBLING}"] == 1000
    assert extra[f"sha256:{BUSYBOX}"] == 0  # its children hold all it holds
    assert steps == {f"sha256:{i}" for i in (RUN_STEP, LABEL_STEP, SIBLING_STEP)}


def test_a_build_step_two_images_share_is_nobodys_own():
    shared_step = IMAGES[:2] + [listed(RUN_STEP, BUSYBOX, None, 2129530 + 266000),
                                listed(LEAF, RUN_STEP, ["w:1"], 2129530 + 266100),
                                listed(SIBLING, RUN_STEP, ["w:2"], 2129530 + 266200)]
    extra, steps = build_steps_below(shared_step)
    assert extra[f"sha256:{LEAF}"] == 0 and extra[f"sha256:{SIBLING}"] == 0 and steps == frozenset()


def test_disk_usage_counts_an_images_own_build_steps_as_unique():
    df = {"Images": [df_image(LEAF, "1", 2129530 + 266320, 2129530 + 266160), df_image(BUSYBOX, "latest", 2129530, 2129530)]}
    images = {image["Id"]: image for image in docker_disk_usage(df, BUILT, [])["Images"]}
    assert images[f"sha256:{LEAF}"]["Size"] - images[f"sha256:{LEAF}"]["SharedSize"] == 266320
    assert images[f"sha256:{BUSYBOX}"]["SharedSize"] == 2129530
    assert images[f"sha256:{SIBLING}"]["SharedSize"] == -1  # not in the df: unknown stays unknown


def test_disk_usage_of_an_image_the_df_missed_has_no_shared_size():
    df = docker_disk_usage({"Images": []}, [listed(BUSYBOX, "", ["b:1"], 100)], [])
    assert df["Images"][0]["SharedSize"] == -1


def test_disk_usage_containers_get_full_image_ids():
    df = docker_disk_usage(PODMAN_DF, IMAGES, [{"Id": "c1", "ImageID": BUSYBOX}])
    assert df["Containers"][0]["ImageID"] == f"sha256:{BUSYBOX}"


@pytest.mark.parametrize(("engine", "observed", "image_env", "added"), [
    (PODMAN, ["PATH=/bin", "TERM=xterm", "container=podman", "HOSTNAME=abc", "A=1"], ["PATH=/bin"],
     {"TERM", "container", "HOSTNAME"}),
    (PODMAN, ["PATH=/bin", "TERM=dumb"], ["PATH=/bin", "TERM=dumb"], set()),  # the image's own TERM
    (DOCKER, ["PATH=/bin", "TERM=xterm", "container=podman"], ["PATH=/bin"], set()),
])
def test_engine_added_env(engine, observed, image_env, added):
    assert engine_added_env(engine, observed, image_env) == added


@pytest.mark.parametrize(("reference", "engine", "tag"), [
    ("tidy-test/a:1", PODMAN, "tidy-test/a:1"),
    ("tidy-test/busybox:latest", PODMAN, "localhost/tidy-test/busybox:latest"),  # Podman's name of a local build
    ("tidy-test/busybox:latest", DOCKER, None),  # Docker would look for it on Docker Hub
    ("localhost/tidy-test/busybox:latest", DOCKER, "localhost/tidy-test/busybox:latest"),
    ("tidy-test/a:9", PODMAN, None),
])
def test_tag_named(reference, engine, tag):
    assert tag_named(reference, ["tidy-test/a:1", "localhost/tidy-test/busybox:latest"], engine) == tag


@pytest.mark.parametrize(("status", "state"), [
    ("stopped", "exited"), ("stopping", "running"), ("configured", "created"), ("initialized", "created"),
    ("exited", "exited"), ("running", "running"), ("paused", "paused"), ("removing", "removing"), (None, ""),
])
def test_docker_state(status, state):
    assert docker_state(status) == state


def test_podman_output_cut_keeps_the_lines_of_the_run_second():
    started = 1_796_198_668_202_066_995  # 08:04:28.202066995
    cut = podman_output_cut(started, 50_000_000)
    assert cut < 1_796_198_668_000_000_000 < started  # a line stamped 08:04:28Z is this run's
    assert cut >= 1_796_198_667_000_000_000  # one stamped 08:04:27Z is not


def test_docker_binds():
    anon = "b40576681104a1ae1325311556a6853316b2b5db3c62a545085df52b9bb13645"
    assert docker_binds([f"{anon}:/cache:nodev,nosuid,rbind,rprivate", "data:/data:nodev,nosuid,rbind,rprivate",
                         "/etc:/host:rbind,ro,rprivate", f"{anon}:/var/lib/app:exec,nodev,nosuid,rbind,rprivate",
                         "odd"]) == ["/cache", "data:/data", "/etc:/host:ro", "/var/lib/app", "odd"]


def test_tmpfs_reads_without_the_options_podman_adds():
    from ansible_collections.tidy.docker.plugins.module_utils._podman import docker_tmpfs

    reported = {"/run": "nodev,nosuid,rprivate,tmpcopyup", "/scratch": "mode=1777,nodev,nosuid,rprivate,size=8m,tmpcopyup"}
    assert docker_tmpfs(reported, "podman") == {"/run": "", "/scratch": "mode=1777,size=8m"}
    assert docker_tmpfs(reported, "docker") == reported
    assert docker_tmpfs(None, "podman") is None


def test_device_rules_podman_leaves_out_are_not_compared():
    from ansible_collections.tidy.docker.plugins.module_utils._podman import reported_device_rules

    assert reported_device_rules({}, "podman") is None
    assert reported_device_rules({"DeviceCgroupRules": None}, "podman") is None
    assert reported_device_rules({"DeviceCgroupRules": ["c 1:3 rm"]}, "podman") == ["c 1:3 rm"]
    assert reported_device_rules({}, "docker") == []


def test_podman_digests_are_no_evidence_of_a_registry():
    from ansible_collections.tidy.docker.plugins.module_utils._podman import pull_evidence

    digests = ["docker.io/local/only@sha256:" + "c" * 64]
    assert pull_evidence(digests, "podman") == ()
    assert pull_evidence(digests, "docker") == tuple(digests)
