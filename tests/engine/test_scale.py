# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both prune modules on a crowded host: 500 exited containers, 150 images.

The modules run as users run them (``ansible localhost -m tidy.docker.<module>``), in
check mode first and then for real. The check must plan exactly what the real run removes,
the counts and reasons must be exact, a second real run must find nothing, and nothing
outside the test's own objects may be touched. Wall times are printed at the end of the run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ansible_collections.tidy.docker.plugins.module_utils._units import parse_engine_time

CONTAINERS = 500
USERS = 10                      # of those, exited containers that use an image and are excluded from pruning
REPOSITORIES, TAGS = 30, 5      # 150 images
KEEP_LAST = 2
WORKERS = 8
RUN_LABEL = "tidy.test.run"   # as conftest labels every test object
_RESULT = re.compile(r"^localhost \| (?:CHANGED|SUCCESS) => (\{.*\})\s*$", re.DOTALL)


def run_module(module: str, args: dict[str, t.Any], check: bool, collection_root: Path,
               tmp_path: Path) -> tuple[dict[str, t.Any], float]:
    """``ansible localhost -m tidy.docker.<module>``: its result and the command's wall time."""
    venv_ansible = Path(sys.executable).with_name("ansible")
    ansible = str(venv_ansible) if venv_ansible.exists() else shutil.which("ansible") or "ansible"
    command = [ansible, "localhost", "-m", f"tidy.docker.{module}", "-a", json.dumps(args),
               "-e", f"ansible_python_interpreter={sys.executable}"] + (["--check"] if check else [])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collection_root), ANSIBLE_LOCAL_TEMP=str(tmp_path / "local"),
               ANSIBLE_REMOTE_TEMP=str(tmp_path / "remote"), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    start = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    seconds = time.monotonic() - start
    match = _RESULT.match(done.stdout.strip())
    assert done.returncode == 0 and match, f"{' '.join(command[:4])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return json.loads(match.group(1)), seconds


def make_images(objects: t.Any) -> dict[str, list[str]]:
    """REPOSITORIES x TAGS distinct images, committed concurrently from one never-started container.

    A commit makes a distinct image (its own labels and creation time, an empty layer) in one
    engine call, about four times cheaper than a build here; its parent is the seeded base,
    so the images are independent of each other, like pulled ones.
    """
    source = objects.container("image-source", state="created")

    def commit(repo_and_tag: tuple[int, int]) -> str:
        repo, tag = repo_and_tag
        answer = objects.client().commit(source, repository=f"{objects.prefix}/repo{repo}", tag=str(tag),
                                         changes=[f"LABEL {RUN_LABEL}={objects.prefix} tidy.test.image=repo{repo}-{tag}"])
        return str(answer["Id"])

    wanted = [(repo, tag) for tag in range(1, TAGS + 1) for repo in range(REPOSITORIES)]
    with ThreadPoolExecutor(WORKERS) as pool:
        ids = list(pool.map(commit, wanted))
    by_repository: dict[str, list[str]] = {}
    for (repo, _tag), image_id in zip(wanted, ids, strict=False):
        by_repository.setdefault(f"repo{repo}", []).append(image_id)
    return by_repository


def newest_first(sdk: t.Any, image_ids: list[str]) -> list[str]:
    created = {image_id: parse_engine_time(sdk.inspect_image(image_id)["Created"]) for image_id in image_ids}
    return sorted(image_ids, key=lambda image_id: (created[image_id], image_id), reverse=True)


def make_exited_containers(objects: t.Any, users_of: list[str]) -> tuple[list[str], list[str]]:
    """CONTAINERS exited containers: USERS named <prefix>-keep-N from ``users_of``, the rest from the base."""
    def make(n: int) -> str:
        if n < USERS:
            return objects.container(f"keep-{n}", image=users_of[n])
        return objects.container(f"c-{n}")

    with ThreadPoolExecutor(WORKERS) as pool:
        ids = list(pool.map(make, range(CONTAINERS)))
    return ids[:USERS], ids[USERS:]


def layers_size(sdk: t.Any) -> int:
    """What the engine's system df counts for image layers: the figure image_prune's space_reclaimed measures."""
    return int(sdk.df().get("LayersSize") or 0)


def check_container_prune(planned: dict[str, t.Any], pruned: dict[str, t.Any], again: dict[str, t.Any],
                          states: dict[str, str], users: list[str], stopped: list[str], prefix: str) -> None:
    """Check plans exactly what the real run removes: every stopped one but the excluded users; again: nothing."""
    assert planned["changed"] and pruned["changed"] and not again["changed"]
    assert planned["removed"] == pruned["removed"]
    assert {r["id"] for r in pruned["removed"]} == set(stopped)
    assert pruned["removed_count"] == len(stopped) == CONTAINERS - USERS
    assert {r["reason"] for r in pruned["removed"]} == {"stopped"}
    mine_kept = {k["id"]: k["reason"] for k in pruned["kept"] if k["names"][0].startswith(prefix)}
    never_started = set(states) - set(users) - set(stopped)  # the image source: not in the default statuses
    assert mine_kept == {**dict.fromkeys(users, "excluded_name"), **dict.fromkeys(never_started, "not_selected")}
    assert again["removed"] == [] and again["kept_counts"] == pruned["kept_counts"]


def check_image_prune(planned: dict[str, t.Any], pruned: dict[str, t.Any], again: dict[str, t.Any],
                      images: dict[str, list[str]], ordered: dict[str, list[str]], in_use: set[str]) -> set[str]:
    """Per repository the KEEP_LAST newest stay, and those in use; the rest go. Returns the removed ids."""
    within = {image_id for ids in ordered.values() for image_id in ids[:KEEP_LAST]}
    beyond = {image_id for ids in ordered.values() for image_id in ids[KEEP_LAST:]} - in_use
    assert planned["changed"] and pruned["changed"] and not again["changed"]
    assert planned["removed"] == pruned["removed"]
    assert {r["id"] for r in pruned["removed"]} == beyond
    assert pruned["removed_count"] == len(beyond) == REPOSITORIES * (TAGS - KEEP_LAST) - USERS
    assert {r["reason"] for r in pruned["removed"]} == {"beyond_keep_last"}
    mine = set().union(*map(set, images.values()))
    mine_kept = {k["id"]: k["reason"] for k in pruned["kept"] if k["id"] in mine}
    assert mine_kept == {**dict.fromkeys(within, "within_keep_last"), **dict.fromkeys(in_use, "in_use")}
    assert planned["space_reclaimable"] == sum(r["size"] for r in planned["removed"])
    assert again["removed"] == [] and again["kept_counts"] == pruned["kept_counts"]
    return beyond


def test_prune_modules_on_500_containers_and_150_images(docker_host, sdk, objects, prefix, snapshot, tmp_path,
                                                        collection_root, timings):
    start = time.monotonic()
    images = make_images(objects)
    timings(f"commit {REPOSITORIES * TAGS} images", time.monotonic() - start)
    ordered = {repo: newest_first(sdk, ids) for repo, ids in images.items()}
    oldest_of = [ordered[f"repo{n}"][-1] for n in range(USERS)]

    start = time.monotonic()
    users, stopped = make_exited_containers(objects, oldest_of)
    timings(f"create and run {CONTAINERS} containers to exit", time.monotonic() - start)
    states = {c["Id"]: c["State"] for c in sdk.containers(all=True, filters={"name": prefix})}
    assert len(states) == CONTAINERS + 1 and list(states.values()).count("exited") == CONTAINERS
    containers_before, images_before = snapshot()

    # ------------------------------------------------------------ container_prune
    container_args = {"docker_host": docker_host, "names": [f"{prefix}-*"], "exclude_names": [f"{prefix}-keep-*"]}
    planned, check_seconds = run_module("container_prune", container_args, True, collection_root, tmp_path)
    pruned, real_seconds = run_module("container_prune", container_args, False, collection_root, tmp_path)
    again, again_seconds = run_module("container_prune", container_args, False, collection_root, tmp_path)
    timings(f"container_prune --check ({len(states)} of mine)", check_seconds)
    timings(f"container_prune, removing {len(stopped)}", real_seconds)
    timings("container_prune again, nothing to do", again_seconds)
    check_container_prune(planned, pruned, again, states, users, stopped, prefix)
    assert snapshot() == (containers_before - set(stopped), images_before)

    # ------------------------------------------------------------ image_prune
    image_args = {"docker_host": docker_host, "scope": "unused", "keep_last": KEEP_LAST, "keep_unpullable": False,
                  "labels": [f"{RUN_LABEL}={prefix}"], "usage_state_path": str(tmp_path / "usage.json")}
    planned, check_seconds = run_module("image_prune", image_args, True, collection_root, tmp_path)
    layers_before = layers_size(sdk)
    pruned, real_seconds = run_module("image_prune", image_args, False, collection_root, tmp_path)
    layers_after = layers_size(sdk)
    again, again_seconds = run_module("image_prune", image_args, False, collection_root, tmp_path)
    timings(f"image_prune --check ({REPOSITORIES * TAGS} of mine)", check_seconds)
    timings(f"image_prune, removing {len(pruned['removed'])}", real_seconds)
    timings("image_prune again, nothing to do", again_seconds)
    beyond = check_image_prune(planned, pruned, again, images, ordered, in_use=set(oldest_of))
    # Nothing else runs on this engine meanwhile: the module measures the same drop in disk usage.
    assert pruned["space_reclaimed"] == max(layers_before - layers_after, 0)
    assert snapshot() == (containers_before - set(stopped), images_before - beyond)
