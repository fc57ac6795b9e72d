# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Races between planning and applying a prune, on a real engine.

A playbook cannot act between a module's plan and its removals; these tests can. Each
one reads the inventory and plans as the modules do, then acts as another actor (removes,
starts, uses or re-tags a planned object with the plain SDK), then applies the plan with
the modules' own removers. The planned object must be spared with the exact reason, the
rest of the plan carried out, nothing else touched, and nothing must raise.
"""

from __future__ import annotations

import sys
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import seed  # scripts/seed.py, on sys.path through conftest

from ansible_collections.tidy.docker.plugins.module_utils._prune import policy
from ansible_collections.tidy.docker.plugins.module_utils._prune.apply import (
    apply_plan,
    container_remover,
    image_remover,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import (
    ContainerPolicy,
    ImagePolicy,
    LabelSelector,
    plan_container_removals,
    plan_image_removals,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.read import (
    containers_from_engine,
    image_parents,
    images_from_engine,
    users_per_image,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import Outcome
from ansible_collections.tidy.docker.plugins.module_utils._units import now_utc

PARALLEL = 8


def reasons(outcome: Outcome, ids: t.Iterable[str]) -> dict[str, str]:
    """Kept reason of each of ``ids`` that was kept."""
    wanted = set(ids)
    return {d.id: d.reason for d in outcome.kept if d.id in wanted}


def removed_ids(outcome: Outcome) -> set[str]:
    return {d.id for d in outcome.removed}


# --------------------------------------------------------------------------- containers


def plan_my_containers(engine: t.Any, prefix: str, statuses: t.Iterable[str] = ("exited", "created")) -> policy.PrunePlan:
    containers = containers_from_engine(engine)
    return plan_container_removals(containers, ContainerPolicy(statuses=frozenset(statuses), names=(f"{prefix}-*",)),
                                   now_utc())


def test_container_removed_by_another_actor_is_gone(engine, sdk, objects, prefix, snapshot):
    ids = [objects.container(f"c{n}") for n in range(3)]
    plan = plan_my_containers(engine, prefix)
    assert plan.removal_ids == set(ids)
    containers_before, images_before = snapshot()

    sdk.remove_container(ids[0])  # the other actor
    outcome = apply_plan(plan, container_remover(engine, keep_volumes=True), PARALLEL)

    assert removed_ids(outcome) == set(ids[1:])
    assert reasons(outcome, ids) == {ids[0]: policy.GONE}
    assert snapshot() == (containers_before - set(ids), images_before)


@pytest.mark.parametrize("planned_state", ["exited", "created"])
def test_container_started_meanwhile_is_spared_as_running(engine, sdk, objects, prefix, snapshot, planned_state):
    # "stopped": ran a long command and was stopped, so that starting it again keeps it running
    started = objects.container("started", command=["sleep", "300"],
                                state="stopped" if planned_state == "exited" else "created")
    other = objects.container("other")
    plan = plan_my_containers(engine, prefix)
    assert plan.removal_ids == {started, other}
    containers_before, images_before = snapshot()

    sdk.start(started)  # the other actor
    outcome = apply_plan(plan, container_remover(engine, keep_volumes=True), PARALLEL)

    assert removed_ids(outcome) == {other}
    assert reasons(outcome, [started, other]) == {started: policy.RUNNING}
    assert sdk.inspect_container(started)["State"]["Running"]
    assert snapshot() == (containers_before - {other}, images_before)


# --------------------------------------------------------------------------- images


def plan_my_images(engine: t.Any, prefix: str, scope: str = "unused") -> tuple[policy.PrunePlan, dict[str, policy.Image]]:
    containers = containers_from_engine(engine, details=False)
    inventory = images_from_engine(engine)
    selection = ImagePolicy(scope=scope, keep_unpullable=False, labels=(LabelSelector("tidy.test.run", prefix),))
    plan = plan_image_removals(inventory.images, containers, selection, now_utc(), parents=image_parents(engine))
    return plan, {image.id: image for image in inventory.images}


def apply_image_plan(engine: t.Any, plan: policy.PrunePlan, images: dict[str, policy.Image], force: bool = False,
                     users_now: t.Mapping[str, int] | None = None) -> Outcome:
    """Apply as image_prune does: a fresh listing of users, then removals child first."""
    users = users_per_image(engine) if users_now is None else users_now
    return apply_plan(plan, image_remover(engine, users, force), PARALLEL)


@pytest.mark.parametrize("force", [False, True])
def test_image_removed_by_another_actor_is_gone(engine, sdk, objects, prefix, snapshot, force):
    ids = objects.images(["gone:1", "stays:1", "stays:2"])
    plan, images = plan_my_images(engine, prefix)
    assert plan.removal_ids == set(ids)
    containers_before, images_before = snapshot()

    sdk.remove_image(ids[0], force=True)  # the other actor
    outcome = apply_image_plan(engine, plan, images, force=force)

    assert removed_ids(outcome) == set(ids[1:])
    assert reasons(outcome, ids) == {ids[0]: policy.GONE}
    assert snapshot() == (containers_before, images_before - set(ids))


@pytest.mark.parametrize(("moment", "container_state", "tags", "force"), [
    ("before_the_apply_step", "created", 1, False),
    ("before_the_apply_step", "running", 3, False),
    ("during_the_apply_step", "created", 1, False),
    ("during_the_apply_step", "created", 3, False),
    ("during_the_apply_step", "running", 3, False),
    ("during_the_apply_step", "running", 3, True),
])
def test_image_used_by_a_new_container_is_spared_as_in_use(engine, sdk, objects, prefix, snapshot,
                                                           moment, container_state, tags, force):
    """Before the apply step, its fresh listing of users spares the image. During it (after that
    listing), the engine refuses the removal (409), by id or at the last tag, and the refusal is
    recognised as in_use; tags removed before the refusal are put back."""
    used, other = objects.images(["used:1", "other:1"])
    names = [f"{prefix}/used:{n}" for n in range(1, tags + 1)]
    for name in names[1:]:
        sdk.tag(used, *name.split(":"))
    plan, images = plan_my_images(engine, prefix)
    assert plan.removal_ids == {used, other}
    users_at_start = users_per_image(engine) if moment == "during_the_apply_step" else None

    user = objects.container("user", image=used, command=["sleep", "300"], state=container_state)  # the other actor
    containers_before, images_before = snapshot()
    outcome = apply_image_plan(engine, plan, images, force=force, users_now=users_at_start)

    assert removed_ids(outcome) == {other}
    assert reasons(outcome, [used, other]) == {used: policy.IN_USE}
    assert sorted(sdk.inspect_image(used)["RepoTags"]) == names
    assert sdk.inspect_container(user)["Image"] == used
    assert snapshot() == (containers_before, images_before - {other})


def test_dangling_image_tagged_meanwhile_is_spared_as_not_dangling(engine, sdk, objects, prefix, snapshot):
    dangling = [objects.image("rebuilt:1", content=f"{prefix} first build {n}") for n in range(2)]
    current = objects.image("rebuilt:1", content=f"{prefix} last build")
    plan, images = plan_my_images(engine, prefix, scope="dangling")
    assert plan.removal_ids == set(dangling)
    assert {d.id: d.reason for d in plan.kept if d.id == current} == {current: policy.NOT_DANGLING}
    containers_before, images_before = snapshot()

    sdk.tag(dangling[0], f"{prefix}/rescued", "1")  # the other actor
    outcome = apply_image_plan(engine, plan, images)

    assert removed_ids(outcome) == {dangling[1]}
    assert reasons(outcome, dangling) == {dangling[0]: policy.NOT_DANGLING}
    assert sdk.inspect_image(dangling[0])["RepoTags"] == [f"{prefix}/rescued:1"]
    assert snapshot() == (containers_before, images_before - {dangling[1]})


def test_tagged_image_retagged_meanwhile_is_spared_as_conflict(engine, sdk, objects, prefix, snapshot):
    retagged, other = objects.images(["retagged:1", "other:1"])
    plan, images = plan_my_images(engine, prefix)
    assert plan.removal_ids == {retagged, other}
    containers_before, images_before = snapshot()

    sdk.tag(retagged, f"{prefix}/retagged", "2")  # the other actor: one more name the plan did not see
    outcome = apply_image_plan(engine, plan, images)

    assert removed_ids(outcome) == {other}
    assert reasons(outcome, [retagged, other]) == {retagged: policy.CONFLICT}
    assert sorted(sdk.inspect_image(retagged)["RepoTags"]) == [f"{prefix}/retagged:1", f"{prefix}/retagged:2"]
    assert snapshot() == (containers_before, images_before - {other})


# --------------------------------------------------------------------------- concurrency of the plan itself


FAMILIES, SIBLINGS = 8, 3


@pytest.mark.parametrize("force", [False, True])
def test_siblings_sharing_untagged_parents_are_removed_concurrently(engine, sdk, objects, prefix, snapshot, force):
    """Images built from the same first steps share untagged intermediate images. Removing
    siblings concurrently makes the engine prune a shared parent from two calls at once, and
    it answers one of them with an error about that parent (409 "image has dependent child
    images" or 500 "unrecognized image ID <parent>") although that call's own image is gone.
    The run must neither fail nor report such an image as kept, nor leave parents behind.

    The race is in the engine and only sometimes hits: several families of siblings give
    it several chances per run."""
    def sibling(family_and_n: tuple[int, int]) -> str:
        family, n = family_and_n
        return objects.image(f"family{family}:{n}", content=f"{prefix} family {family}", labels={"sibling": str(n)})

    with ThreadPoolExecutor(6) as pool:
        heads = list(pool.map(sibling, [(family, 0) for family in range(FAMILIES)]))
        # the other siblings reuse their head's cached COPY step
        siblings = heads + list(pool.map(sibling, [(f, n) for f in range(FAMILIES) for n in range(1, SIBLINGS)]))
    if force:
        for n, image_id in enumerate(heads):  # multi-tagged ones too
            sdk.tag(image_id, f"{prefix}/alias", str(n))
    base = sdk.inspect_image(seed.BASE_TAG)["Id"]
    lineages = [set(ancestry(sdk, image_id)) - {base, *ancestry(sdk, base)} for image_id in siblings]
    parents = set().union(*lineages)  # untagged intermediate images of the builds
    shared = {parent for parent in parents if sum(parent in lineage for lineage in lineages) == SIBLINGS}
    assert len(shared) >= FAMILIES, "the classic builder should have shared each family's COPY step"
    plan, images = plan_my_images(engine, prefix)
    assert plan.removal_ids == set(siblings)
    containers_before, images_before = snapshot()

    outcome = apply_image_plan(engine, plan, images, force=force)

    assert removed_ids(outcome) == set(siblings)
    assert outcome.kept == list(plan.kept)
    assert snapshot() == (containers_before, images_before - set(siblings))
    for parent in parents:
        with pytest.raises(seed.NotFound):
            sdk.inspect_image(parent)


def ancestry(sdk: t.Any, image_id: str) -> list[str]:
    """Parent, grandparent, ... of an image built locally."""
    chain: list[str] = []
    while True:
        image_id = sdk.inspect_image(image_id)["Parent"]
        if not image_id:
            return chain
        chain.append(image_id)


# --------------------------------------------------------------------------- two runs at once

CONCURRENT_CONTAINERS = 200


@pytest.mark.parametrize("module", ["container_prune", "prune"])
def test_two_prune_runs_at_once_share_the_work(objects, prefix, docker_host, tmp_path, timings, module):
    """Two real container_prune runs over the same exited containers, started together: each container is
    removed by one of them, and the other reports it removed or ``gone`` (or never saw it): never ``running``."""
    sys.path.insert(0, str(Path(__file__).absolute().parents[1] / "helpers"))
    from ansible_cli import ansible_env, run_module

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda n: objects.container(f"c{n}"), range(CONCURRENT_CONTAINERS)))
    env = ansible_env(tmp_path)
    # older_than: the planner inspects each stopped container, another moment a concurrent removal shows.
    # 0s: every exited container qualifies however recently it exited (1s made the last ones too_young
    # when creating 200 took long on a loaded machine).
    selection = {"names": [f"{prefix}-*"], "older_than": "0s"}
    args: dict[str, t.Any] = {"docker_host": docker_host, "parallel": 8}
    args.update(selection if module == "container_prune" else
                {"containers": selection, "images": {"enabled": False}})
    start = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _n: run_module(module, args, env, timeout=300), range(2)))
    timings("two concurrent runs", time.monotonic() - start)

    removed = []
    for run in runs:
        assert not run.failed, run.output
        mine = {r["id"]: r["reason"] for r in run.result["kept"] if r["id"] in ids}
        assert run.result["kept_counts"].get(policy.RUNNING, 0) == 0, run.result["kept_counts"]
        assert set(mine.values()) <= {policy.GONE}, f"kept for another reason than gone: {mine}"
        removed.append({r["id"] for r in run.result["removed"]})
    # Docker 20.10 may answer both deletes with 204 when the second comes in the instant the first one
    # ends, so "removed by both" is the engine's word, not a mistake; every one went, each is reported.
    assert removed[0] | removed[1] == ids
    assert all(removed), "one run removed nothing: they did not overlap"
    assert not ids & {c["Id"] for c in objects.sdk.containers(all=True, filters={"name": prefix})}
