# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode plans exactly what the real run does: randomised fixture x policy pairs on a real engine.

Each seed makes one random fixture: 6-15 images, built with the engine's classic builder
as chains (``FROM parent`` plus one LABEL, or a LABEL and an ENV, which leaves a hidden
untagged image between parent and child), with 0, 1 or 2 tags (0: the name was moved to
another image afterwards), labels, and containers (created, exited, running) on images in
the middle and at the leaves of the chains. Each seed also draws POLICIES random policies
(image_prune alone, or container_prune then image_prune as the clean_host role runs them).

One fixture serves all the policies of its seed by being built once per policy: copy k
carries the label ``tidy.test.parity=<prefix>-p<k>`` and its policy selects that label, so the
copies are independent and all pairs of a seed run as one ``ansible-playbook`` with one
inventory host per pair, concurrently. Per pair, as a playbook runs the modules: check,
real, check again. A pair passes when the real run removed exactly what the check planned,
kept the rest with the same reasons, what it reports removed is gone and what it reports
kept exists (inspect), nothing outside its copy changed, and the check after it plans
nothing new (only what ``max_removals`` held back).

Every pair is one test, ``seed-<seed>-pair-<k>``; a failure names its seed and policy.
Rerun one seed with ``-k seed-007`` or ``TIDY_PARITY_SEEDS=7``; ``TIDY_PARITY_SEEDS=100-199``
draws other fixtures, ``TIDY_PARITY_POLICIES`` sets the policies per fixture.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import time
import typing as t
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import seed  # scripts/seed.py, on sys.path through conftest

RUN_LABEL = "tidy.test.run"        # as conftest labels every test object
COPY_LABEL = "tidy.test.parity"    # one value per copy of a fixture: what each pair's policy selects
KEEP_LABEL = "tidy.docker.keep"
PARITY_PREFIX = "tidy-eng-par"       # start of every prefix here; conftest's own cleanup would miss image parents
DEFAULT_SEEDS = range(1, 18)       # 17 fixtures x 6 policies = 102 pairs
DEFAULT_POLICIES = 6
MAX_DEPTH = 4                      # images in a chain above the seeded base
BUILD_WORKERS = 4

# Kept reasons that removing other objects cannot change: the check after a real run must give them again.
STABLE_IMAGE_REASONS = frozenset({"in_use", "excluded_name", "excluded_label", "not_selected", "not_dangling",
                                  "unpullable", "within_keep_last", "too_young"})
STABLE_CONTAINER_REASONS = frozenset({"running", "excluded_name", "excluded_label", "not_selected",
                                      "restart_policy", "too_young"})


def _seeds_from_env() -> list[int]:
    """``TIDY_PARITY_SEEDS``: ``7``, ``3,7,12`` or ``100-199``; default DEFAULT_SEEDS."""
    text = os.environ.get("TIDY_PARITY_SEEDS", "").strip()
    if not text:
        return list(DEFAULT_SEEDS)
    seeds: list[int] = []
    for part in text.split(","):
        first, _dash, last = part.strip().partition("-")
        seeds.extend(range(int(first), int(last or first) + 1))
    return seeds


SEEDS = _seeds_from_env()
POLICIES = int(os.environ.get("TIDY_PARITY_POLICIES", str(DEFAULT_POLICIES)))


# --------------------------------------------------------------------------- what a fixture is made of


@dataclass(frozen=True)
class NodeSpec:
    """One image of a fixture."""

    parent: int | None          # an earlier node; None: the seeded busybox base
    steps: int                  # 1: LABEL; 2: LABEL then ENV (a hidden untagged image in between)
    names: tuple[str, ...]      # repository:tag within the copy's namespace; built with the first
    moved_to: int | None        # dangling: its only name is moved to this node after the builds
    keep: str | None            # tidy.docker.keep set here (None: whatever the parent has)
    tier: str | None            # label tier, likewise

    @property
    def dangling(self) -> bool:
        return self.moved_to is not None


@dataclass(frozen=True)
class ContainerSpec:
    node: int
    state: str                  # created, exited, running
    restart: str | None
    keep: bool                  # carries tidy.docker.keep=true


@dataclass(frozen=True)
class FixtureSpec:
    seed: int
    nodes: tuple[NodeSpec, ...]
    containers: tuple[ContainerSpec, ...]

    def children(self, index: int) -> list[int]:
        return [i for i, node in enumerate(self.nodes) if node.parent == index]

    def describe(self) -> str:
        lines = []
        for i, node in enumerate(self.nodes):
            names = f"<dangling: {node.names[0]} moved to n{node.moved_to}>" if node.dangling else " ".join(node.names)
            parent = "base" if node.parent is None else f"n{node.parent}"
            extras = "".join(f" {key}={value}" for key, value in (("keep", node.keep), ("tier", node.tier)) if value)
            lines.append(f"  n{i} FROM {parent} ({node.steps} step{'s' * (node.steps > 1)}) {names}{extras}")
        for n, container in enumerate(self.containers):
            restart = f" restart={container.restart}" if container.restart else ""
            lines.append(f"  c{n} {container.state} on n{container.node}{restart}{' keep' * container.keep}")
        return "\n".join(lines)


def fixture_spec(seed_number: int) -> FixtureSpec:
    """The random fixture of a seed. Nodes 0-1-2 always form a chain of depth 3, one link of each shape."""
    rng = random.Random(f"fixture-{seed_number}")
    count = rng.randint(6, 15)
    first_shapes = rng.sample((1, 2), 2)
    depth: list[int] = []
    drafts: list[tuple[int | None, int, str]] = []   # parent, steps, how many names: none/one/two
    for i in range(count):
        if i in (1, 2):
            parent: int | None = i - 1
            steps = first_shapes[i - 1]
        else:
            deep_enough = [j for j in range(i) if depth[j] < MAX_DEPTH]
            parent = rng.choice([None, None, *deep_enough]) if i else None
            steps = rng.choice((1, 2))
        depth.append(1 if parent is None else depth[parent] + 1)
        drafts.append((parent, steps, rng.choices(("none", "one", "two"), weights=(1, 2, 1))[0]))
    if all(draft[2] == "none" for draft in drafts):
        drafts[-1] = (drafts[-1][0], drafts[-1][1], "one")
    named = [i for i, draft in enumerate(drafts) if draft[2] != "none"]
    nodes = []
    for i, (parent, steps, kind) in enumerate(drafts):
        first = f"r{rng.randint(0, 2)}:{'d' if kind == 'none' else 't'}{i}"
        names = (first, f"r{rng.randint(0, 2)}:u{i}") if kind == "two" else (first,)
        nodes.append(NodeSpec(
            parent=parent, steps=steps, names=names, moved_to=rng.choice(named) if kind == "none" else None,
            keep=rng.choices((None, "true", "false"), weights=(6, 2, 1))[0],
            tier=rng.choices((None, "a", "b"), weights=(5, 3, 2))[0]))
    spec = FixtureSpec(seed_number, tuple(nodes), ())
    return FixtureSpec(seed_number, spec.nodes, _container_specs(rng, spec))


def _container_specs(rng: random.Random, spec: FixtureSpec) -> tuple[ContainerSpec, ...]:
    """One container on an image in the middle of a chain, one on a leaf, up to two anywhere."""
    middle = [i for i in range(len(spec.nodes)) if spec.children(i) and spec.nodes[i].parent is not None]
    leaves = [i for i in range(len(spec.nodes)) if not spec.children(i)]
    targets = [rng.choice(middle), rng.choice(leaves)] + rng.sample(range(len(spec.nodes)), rng.randint(0, 2))
    states = rng.sample(["created", "exited", "running"], 3) + [rng.choice(("created", "exited"))]
    containers = []
    for node, state in zip(targets, states, strict=False):
        restart = "always" if state == "created" and rng.random() < 0.3 else None
        containers.append(ContainerSpec(node, state, restart, keep=rng.random() < 0.2))
    return tuple(containers)


@dataclass(frozen=True)
class PolicySpec:
    """Options of one pair. Strings may hold {ns} (the copy's image namespace), {cns} (its container
    name prefix), {id<N>} (12-character id of node N) and {c<N>} (name of container N)."""

    image: t.Mapping[str, t.Any]
    container: t.Mapping[str, t.Any] | None

    def describe(self) -> str:
        steps = [f"container_prune {dict(self.container)}"] if self.container is not None else []
        return " then ".join([*steps, f"image_prune {dict(self.image)}"])


def policy_spec(seed_number: int, pair: int, spec: FixtureSpec) -> PolicySpec:
    rng = random.Random(f"policy-{seed_number}-{pair}")
    tagged = [i for i, node in enumerate(spec.nodes) if not node.dangling]
    exclude_choices = [f"{{ns}}/r{rng.randint(0, 2)}:*", "{ns}/" + spec.nodes[rng.choice(tagged)].names[0],
                       f"{{id{rng.randrange(len(spec.nodes))}}}"]
    image: dict[str, t.Any] = {
        "scope": rng.choice(("unused", "unused", "dangling")),
        "keep_unpullable": rng.random() < 0.3,
        "keep_last": rng.choice((None, None, 1, 2)),
        "older_than": rng.choice((None, "0s")),
        "exclude": rng.sample(exclude_choices, rng.choice((0, 0, 1, 2))),
        "labels": rng.choice(([], [], ["tier=a"], ["tier"])),
        "exclude_labels": rng.choice(([], [f"{KEEP_LABEL}=true"], ["tier=b"])),
        "max_removals": rng.choice((0, 0, 0, 1, 2)),
        "force": rng.random() < 0.5,
    }
    container: dict[str, t.Any] | None = None
    if rng.random() < 0.4:
        container = {
            "statuses": rng.choice((["exited"], ["exited", "created"], ["created"])),
            "older_than": rng.choice((None, "0s")),
            "names": rng.choice(([], ["{cns}-*"])),
            "exclude_names": rng.choice(([], [f"{{c{rng.randrange(len(spec.containers))}}}"])),
            "labels": [],
            "exclude_labels": rng.choice(([], [f"{KEEP_LABEL}=true"])),
            "exclude_restart_policies": rng.choice((None, [])),
            "max_removals": rng.choice((0, 0, 1)),
        }
    drop_none = {key: value for key, value in image.items() if value is not None}
    return PolicySpec(drop_none, None if container is None else {k: v for k, v in container.items() if v is not None})


# --------------------------------------------------------------------------- building a copy on the engine


@dataclass
class Copy:
    """One copy of a fixture on the engine, for one pair."""

    number: int
    label: str                  # value of COPY_LABEL
    namespace: str              # image repositories start with it
    container_prefix: str
    node_ids: list[str] = field(default_factory=list)
    container_ids: list[str] = field(default_factory=list)
    container_names: list[str] = field(default_factory=list)

    def render(self, value: t.Any) -> t.Any:
        """PolicySpec placeholders filled in for this copy."""
        if isinstance(value, list):
            return [self.render(item) for item in value]
        if not isinstance(value, str):
            return value
        fields = {"ns": self.namespace, "cns": self.container_prefix}
        fields.update({f"id{i}": image_id.split(":", 1)[-1][:12] for i, image_id in enumerate(self.node_ids)})
        fields.update({f"c{n}": name for n, name in enumerate(self.container_names)})
        return value.format(**fields)


def build(client: t.Any, tag: str, dockerfile: str, attempts: int = 3) -> str:
    """Build with the classic builder (the SDK's low-level build, a Dockerfile-only context); the image id.

    Docker 20.10 has answered "unable to find image <parent id>" for a parent that exists, once in many
    runs, while other builds and deletes went on: such a build is tried again. A parent that is really
    gone fails at once, naming it: nothing of this test may remove another seed's images.
    """
    for attempt in range(attempts):
        image_id, error = None, None
        for chunk in client.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, forcerm=True, pull=False,
                                  decode=True):
            if "error" in chunk or "errorDetail" in chunk:
                error = chunk
                break
            aux = chunk.get("aux")
            if isinstance(aux, dict) and "ID" in aux:
                image_id = str(aux["ID"])
        if error is None:
            return image_id or str(client.inspect_image(tag)["Id"])
        parent = dockerfile.split("\n", 1)[0].removeprefix("FROM ").strip()
        if "unable to find image" not in str(error) or attempt == attempts - 1:
            raise AssertionError(f"building {tag} failed: {error}\n{dockerfile}")
        try:
            client.inspect_image(parent)
        except seed.NotFound:
            raise AssertionError(f"building {tag}: its parent {parent} was removed meanwhile\n{dockerfile}") from None
        time.sleep(1)
    raise AssertionError("unreachable")


def build_copy(docker_host: str, prefix: str, number: int, spec: FixtureSpec) -> Copy:
    """Images in node order (creation times follow it, so keep_last picks the same nodes every run), then
    the moved names, then the containers."""
    client = seed.connect(docker_host)
    copy = Copy(number, f"{prefix}-p{number}", f"{prefix}/p{number}", f"{prefix}-p{number}")
    base = str(client.inspect_image(seed.BASE_TAG)["Id"])
    for i, node in enumerate(spec.nodes):
        labels = {RUN_LABEL: prefix, COPY_LABEL: copy.label, "tidy.test.node": str(i)}
        labels.update({key: value for key, value in ((KEEP_LABEL, node.keep), ("tier", node.tier)) if value})
        # LABEL first: a hidden intermediate image carries the labels too, so that cleanup finds it.
        dockerfile = (f"FROM {base if node.parent is None else copy.node_ids[node.parent]}\n"
                      f"LABEL {' '.join(f'{key}={value}' for key, value in labels.items())}\n"
                      + (f"ENV TIDY_NODE={i}\n" if node.steps == 2 else ""))
        image_id = build(client, f"{copy.namespace}/{node.names[0]}", dockerfile)
        seed.tag_image(client, image_id, *(f"{copy.namespace}/{name}" for name in node.names[1:]))
        copy.node_ids.append(image_id)
    for node in spec.nodes:
        if node.moved_to is not None:
            seed.tag_image(client, copy.node_ids[node.moved_to], f"{copy.namespace}/{node.names[0]}")
    for n, container in enumerate(spec.containers):
        name = f"{copy.container_prefix}-{n}"
        labels = {RUN_LABEL: prefix, COPY_LABEL: copy.label, **({KEEP_LABEL: "true"} if container.keep else {})}
        command = ["sleep", "3600"] if container.state == "running" else ["true"]
        copy.container_ids.append(seed.make_container(client, name, copy.node_ids[container.node], command,
                                                      state=container.state, labels=labels, restart=container.restart))
        copy.container_names.append(name)
    client.close()
    return copy


def remove_everything_of(sdk: t.Any, prefix: str) -> None:
    """Containers, then images children first: a forced delete still refuses a parent with children."""
    for container in sdk.containers(all=True, filters={"label": f"{RUN_LABEL}={prefix}"}):
        _quietly(sdk.remove_container, container["Id"], force=True, v=True)
    for _attempt in range(MAX_DEPTH * 2 + 2):
        mine = sdk.images(all=True, filters={"label": f"{RUN_LABEL}={prefix}"})
        if not mine:
            return
        parents = {image.get("ParentId") for image in mine}
        for image in mine:
            if image["Id"] not in parents:
                _quietly(sdk.remove_image, image["Id"], force=True)


def _quietly(call: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> None:
    try:
        call(*args, **kwargs)
    except seed.NotFound:
        pass
    except seed.APIError as exc:  # 409: pruned or refused meanwhile; the next round tries again
        if exc.status_code not in (404, 409):
            raise


# --------------------------------------------------------------------------- what the engine holds


@dataclass(frozen=True)
class EngineState:
    images: t.Mapping[str, t.Mapping[str, t.Any]]       # every image, hidden ones too: id -> listing entry
    top_level: frozenset[str]                           # what `docker images` lists, as the modules see it
    containers: t.Mapping[str, t.Mapping[str, t.Any]]   # id -> listing entry

    @classmethod
    def read(cls, sdk: t.Any) -> EngineState:
        return cls({i["Id"]: i for i in sdk.images(all=True)}, frozenset(i["Id"] for i in sdk.images(all=False)),
                   {c["Id"]: c for c in sdk.containers(all=True)})

    def images_labelled(self, key: str, value: str) -> set[str]:
        return {i for i, entry in self.images.items() if (entry.get("Labels") or {}).get(key) == value}

    def containers_labelled(self, key: str, value: str) -> set[str]:
        return {i for i, entry in self.containers.items() if (entry.get("Labels") or {}).get(key) == value}

    def descendants(self, image_id: str) -> set[str]:
        children: dict[str, list[str]] = {}
        for child, entry in self.images.items():
            children.setdefault(str(entry.get("ParentId") or ""), []).append(child)
        found, todo = set(), [image_id]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found


def exists(sdk: t.Any, kind: str, object_id: str) -> bool:
    try:
        (sdk.inspect_image if kind == "image" else sdk.inspect_container)(object_id)
    except seed.NotFound:
        return False
    return True


# --------------------------------------------------------------------------- the playbook

IMAGE_OPTIONS = ("docker_host", "scope", "older_than", "keep_last", "exclude", "labels", "exclude_labels",
                 "keep_unpullable", "max_removals", "force", "usage_state_path")
CONTAINER_OPTIONS = ("docker_host", "statuses", "older_than", "names", "exclude_names", "labels", "exclude_labels",
                     "exclude_restart_policies", "max_removals")
STEPS = ("cp_check", "ip_check", "cp_real", "ip_real", "ip_again", "cp_again")


def _task(module: str, step: str, check: bool, removed_containers_of: str | None = None) -> dict[str, t.Any]:
    """One module run with the pair's options, from its host's variables (cargs, iargs)."""
    variable = "cargs" if module == "container_prune" else "iargs"
    options = CONTAINER_OPTIONS if module == "container_prune" else IMAGE_OPTIONS
    args: dict[str, t.Any] = {option: f"{{{{ {variable}.{option} | default(omit) }}}}" for option in options}
    if removed_containers_of:
        # As the clean_host role does: what the container step removed (or would) frees its images.
        args["removed_containers"] = f"{{{{ {removed_containers_of}.removed | default([]) | map(attribute='id') | list }}}}"
    task: dict[str, t.Any] = {"name": step, f"tidy.docker.{module}": args, "check_mode": check, "register": step}
    if module == "container_prune":
        task["when"] = "cargs is defined"
    return task


PLAYBOOK = [{
    "name": "plan parity: one host per pair",
    "hosts": "all",
    "gather_facts": False,
    "strategy": "free",   # the copies are independent: no pair waits for another between its steps
    "tasks": [
        _task("container_prune", "cp_check", True),
        _task("image_prune", "ip_check", True, "cp_check"),
        _task("container_prune", "cp_real", False),
        _task("image_prune", "ip_real", False, "cp_real"),
        _task("image_prune", "ip_again", True),
        _task("container_prune", "cp_again", True),
        {"name": "results", "ansible.builtin.debug": {"var": "parity"},
         "vars": {"parity": {step: f"{{{{ {step} | default(None) }}}}" for step in STEPS}}},
    ],
}]
_HOST_RESULT = re.compile(r"^(?:ok|fatal): \[(?P<host>p\d+)\](?:: FAILED!)? => ", re.MULTILINE)


def run_playbook(hosts: t.Mapping[str, t.Mapping[str, t.Any]], collection_root: Path,
                 scratch: Path) -> tuple[dict[str, dict[str, t.Any]], str]:
    """``ansible-playbook`` over one host per pair (local connection, all at once): per host, each step's
    result, or {"failed": result} when a step failed; and what ansible printed."""
    scratch.mkdir(parents=True, exist_ok=True)
    inventory = {"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                         "hosts": dict(hosts)}}
    (scratch / "inventory.json").write_text(json.dumps(inventory))
    (scratch / "playbook.json").write_text(json.dumps(PLAYBOOK))   # JSON is YAML
    playbook_bin = str(Path(sys.executable).with_name("ansible-playbook"))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collection_root), ANSIBLE_LOCAL_TEMP=str(scratch / "local"),
               ANSIBLE_REMOTE_TEMP=str(scratch / "remote"), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_CALLBACK_RESULT_FORMAT="json",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0")
    command = [playbook_bin, "-i", str(scratch / "inventory.json"), "-f", str(max(len(hosts), 1)),
               str(scratch / "playbook.json")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    output = done.stdout + done.stderr
    (scratch / "ansible.log").write_text(output)
    results: dict[str, dict[str, t.Any]] = {}
    for found in _HOST_RESULT.finditer(done.stdout):
        result, _end = json.JSONDecoder().raw_decode(done.stdout, found.end())
        results[found.group("host")] = result["parity"] if "parity" in result else {"failed": result}
    return results, output


# --------------------------------------------------------------------------- comparing check and real


class Difference(t.NamedTuple):
    cause: str      # short and stable: what the counts group by
    detail: str


def _decisions(result: t.Mapping[str, t.Any] | None, key: str, mine: t.Collection[str]) -> dict[str, str]:
    return {d["id"]: d["reason"] for d in (result or {}).get(key, []) if d["id"] in mine}


@dataclass(frozen=True)
class Step:
    """One module's check, real and again runs of a pair, and what the engine held around them."""

    kind: str                       # image, container
    check: t.Mapping[str, t.Any]
    real: t.Mapping[str, t.Any]
    again: t.Mapping[str, t.Any]
    mine: frozenset[str]            # what the modules list of the pair's copy before the real run
    after: frozenset[str]           # ... and after it
    max_removals: int


def _named(state: EngineState, object_id: str) -> str:
    """Id and names, as a reader of a failure needs them."""
    entry = state.images.get(object_id) or state.containers.get(object_id) or {}
    names = [n for n in entry.get("RepoTags") or [] if n != "<none>:<none>"] or entry.get("Names") or ["<none>"]
    return f"{object_id.split(':', 1)[-1][:12]} {' '.join(names)}"


def _listed_path(state: EngineState, ancestor: str, descendant: str) -> bool:
    """Whether every image from ``descendant`` up to ``ancestor`` is one the listing the modules read shows."""
    current = str(state.images[descendant].get("ParentId") or "")
    while current and current != ancestor:
        if current not in state.top_level:
            return False
        current = str(state.images[current].get("ParentId") or "")
    return current == ancestor


def _stays_note(kind: str, object_id: str, before: EngineState, after: EngineState) -> str:
    """Whether an image had children, whether one is still there (what the engine refuses to delete), and
    whether the modules could see the link: a child built with two instructions hangs under a hidden
    untagged image, which neither `docker images` nor system df lists."""
    descendants = before.descendants(object_id) & before.top_level if kind == "image" else set()
    if not descendants:
        return ""
    staying = descendants & set(after.images)
    relevant = staying or descendants
    link = "" if any(_listed_path(before, object_id, d) for d in relevant) else ", only through a hidden image"
    if staying:
        return f" (parent of an image that stays{link})"
    return f" (its descendants went in the same run{link})"


def compare_step(step: Step, sdk: t.Any, before: EngineState, after: EngineState) -> list[Difference]:
    kind = step.kind
    differences: list[Difference] = []
    planned, removed = _decisions(step.check, "removed", step.mine), _decisions(step.real, "removed", step.mine)
    planned_kept, kept = _decisions(step.check, "kept", step.mine), _decisions(step.real, "kept", step.mine)
    for object_id in sorted(planned.keys() | removed.keys()):
        name = _named(before, object_id)
        if object_id not in removed:
            note = _stays_note(kind, object_id, before, after)
            differences.append(Difference(f"{kind} planned removed, real kept as {kept.get(object_id)}{note}",
                                          f"{name}: planned {planned[object_id]}"))
        elif object_id not in planned:
            differences.append(Difference(f"{kind} removed, not planned", f"{name}: planned kept as "
                                          f"{planned_kept.get(object_id)}"))
        elif planned[object_id] != removed[object_id]:
            differences.append(Difference(f"{kind} removed with another reason",
                                          f"{name}: {planned[object_id]} / {removed[object_id]}"))
    differences += [Difference(f"{kind} kept with another reason",
                               f"{_named(before, i)}: check {planned_kept[i]}, real {kept[i]}")
                    for i in sorted(planned_kept.keys() & kept.keys()) if planned_kept[i] != kept[i]]
    differences += [Difference(f"{kind} removed outside its copy", _named(before, d["id"]))
                    for d in step.real.get("removed", []) if d["id"] not in step.mine]
    differences += [Difference(f"{kind} reported removed, still exists{_stays_note(kind, i, before, after)}",
                               f"{_named(before, i)}: now {_named(after, i) if i in after.images else 'hidden'}")
                    for i in sorted(removed) if exists(sdk, kind, i)]
    differences += [Difference(f"{kind} reported kept, gone", _named(before, i))
                    for i in sorted(kept) if not exists(sdk, kind, i)]
    differences += [Difference(f"{kind} gone without being reported removed", _named(before, i))
                    for i in sorted(step.mine - step.after - removed.keys())]
    return differences + compare_again(step, kept, before)


def compare_again(step: Step, kept: t.Mapping[str, str], before: EngineState) -> list[Difference]:
    """The check after the real run plans nothing, or (under max_removals) only what the real run held back."""
    stable = STABLE_IMAGE_REASONS if step.kind == "image" else STABLE_CONTAINER_REASONS
    mine_now = step.after
    again_removed, again_kept = _decisions(step.again, "removed", mine_now), _decisions(step.again, "kept", mine_now)
    may_go = {i for i, reason in kept.items() if reason not in stable | {"conflict", "gone"}} if step.max_removals else set()
    differences = [Difference(f"{step.kind} planned again after being kept as {kept.get(i)}", _named(before, i))
                   for i in sorted(again_removed.keys() - may_go)]
    differences += [Difference(f"{step.kind} kept again with another reason",
                               f"{_named(before, i)}: real {reason}, again {again_kept.get(i)}")
                    for i, reason in sorted(kept.items()) if reason in stable and again_kept.get(i) != reason]
    if not step.max_removals and step.again.get("changed"):
        differences.append(Difference(f"{step.kind} check after the real run: changed", ""))
    return differences


# --------------------------------------------------------------------------- one seed: all its pairs at once


@dataclass
class PairOutcome:
    seed: int
    pair: int
    policy: PolicySpec
    differences: list[Difference]

    def report(self, spec: FixtureSpec) -> str:
        causes = Counter(d.cause for d in self.differences)
        lines = [f"seed {self.seed} pair {self.pair}: {len(self.differences)} differences "
                 f"(rerun: TIDY_PARITY_SEEDS={self.seed} or -k seed-{self.seed:03d}-pair-{self.pair})",
                 f"policy: {self.policy.describe()}", "fixture:", spec.describe(), "causes:"]
        lines += [f"  {count} x {cause}" for cause, count in causes.most_common()]
        lines += ["differences:"] + [f"  {d.cause}: {d.detail}" for d in self.differences]
        return "\n".join(lines)


class Batches:
    """Runs all the selected pairs of a seed on the first request for one of them, and keeps their outcomes.

    A pipeline, because building copies waits on the engine's disk far more than on the CPU while
    a playbook does the opposite: one background thread builds the next seed's copies and removes
    the previous seed's while this seed's playbook runs. The engine is snapshotted for the "nothing
    outside changed" comparison only when that thread is idle, so that no half-built image of another
    seed is mistaken for a change.
    """

    def __init__(self, docker_host: str, sdk: t.Any, collection_root: Path, scratch: Path,
                 order: t.Mapping[int, list[int]]) -> None:
        self.docker_host, self.sdk, self.collection_root, self.scratch = docker_host, sdk, collection_root, scratch
        self.order = dict(order)    # seed -> its pairs this session runs, in the order the tests come
        self.outcomes: dict[tuple[int, int], PairOutcome] = {}
        self.notes: dict[int, list[tuple[str, float]]] = {}   # per seed, for the wall times the run prints
        self.background = ThreadPoolExecutor(1)
        self.builds: dict[int, Future[tuple[list[Copy], float]]] = {}
        self.prefix_of: dict[int, str] = {}
        self.to_remove: list[str] = []

    def outcome(self, seed_number: int, pair: int) -> PairOutcome:
        if (seed_number, pair) not in self.outcomes:
            self.order.setdefault(seed_number, [pair])
            self.run(seed_number)
        return self.outcomes[(seed_number, pair)]

    def _prefetch(self, seed_number: int) -> Future[tuple[list[Copy], float]]:
        if seed_number not in self.builds:
            prefix = f"{PARITY_PREFIX}{seed_number}-{os.urandom(3).hex()}"
            self.prefix_of[seed_number] = prefix
            self.builds[seed_number] = self.background.submit(self._build, seed_number, prefix)
        return self.builds[seed_number]

    def _build(self, seed_number: int, prefix: str) -> tuple[list[Copy], float]:
        start = time.monotonic()
        spec, pairs = fixture_spec(seed_number), self.order[seed_number]
        with ThreadPoolExecutor(min(BUILD_WORKERS, len(pairs))) as pool:
            copies = list(pool.map(lambda k: build_copy(self.docker_host, prefix, k, spec), pairs))
        return copies, time.monotonic() - start

    def _remove(self, prefix: str) -> None:
        client = seed.connect(self.docker_host)
        remove_everything_of(client, prefix)
        client.close()

    def _next_seed(self, seed_number: int) -> int | None:
        seeds = list(self.order)
        later = seeds[seeds.index(seed_number) + 1:]
        return next((s for s in later if s not in self.builds), None)

    def run(self, seed_number: int) -> None:
        spec, pairs = fixture_spec(seed_number), self.order[seed_number]
        copies, built = self._prefetch(seed_number).result()
        prefix = self.prefix_of[seed_number]
        policies = {k: policy_spec(seed_number, k, spec) for k in pairs}
        scratch = self.scratch / f"seed-{seed_number}"
        hosts = {f"p{copy.number}": self._host_vars(copy, policies[copy.number], scratch) for copy in copies}
        before = EngineState.read(self.sdk)   # the background thread is idle: it finished this build
        jobs: list[Future[t.Any]] = [self.background.submit(self._remove, old) for old in self.to_remove]
        self.to_remove = []
        next_seed = self._next_seed(seed_number)
        if next_seed is not None:
            jobs.append(self._prefetch(next_seed))
        start = time.monotonic()
        results, output = run_playbook(hosts, self.collection_root, scratch)
        played = time.monotonic() - start
        wait(jobs)
        after = EngineState.read(self.sdk)
        self.to_remove.append(prefix)
        changed_outside = outside_changes(before, after)
        for copy in copies:
            differences = list(changed_outside)
            result = results.get(f"p{copy.number}")
            if result is None or "failed" in result:
                failure = (result or {}).get("failed", {}).get("msg") or output[-3000:]
                differences.append(Difference("module failed", str(failure)))
            else:
                differences += self._compare(copy, policies[copy.number], result, before, after)
            self.outcomes[(seed_number, copy.number)] = PairOutcome(seed_number, copy.number, policies[copy.number],
                                                                    differences)
        images = len(before.images_labelled(RUN_LABEL, prefix))
        differing = [self.outcomes[(seed_number, k)] for k in pairs if self.outcomes[(seed_number, k)].differences]
        causes = Counter(d.cause for outcome in differing for d in outcome.differences)
        self.notes[seed_number] = [
            (f"build {len(copies)} copies of {len(spec.nodes)} images ({images} with the hidden ones)", built),
            (f"playbook of {len(pairs)} pairs, {len(differing)} differ"
             + "".join(f"; {n} x {c}" for c, n in causes.items()), played),
            ("wait for the next build after the playbook", time.monotonic() - start - played)]

    def close(self) -> None:
        """Whatever happened: every copy removed (the next build too, when a test stopped the run)."""
        self.background.shutdown(wait=True)
        client = seed.connect(self.docker_host)
        for prefix in self.prefix_of.values():
            remove_everything_of(client, prefix)
        client.close()

    def _host_vars(self, copy: Copy, policy: PolicySpec, scratch: Path) -> dict[str, t.Any]:
        selector = [f"{COPY_LABEL}={copy.label}"]
        image = {key: copy.render(value) for key, value in policy.image.items()}
        image.update(docker_host=self.docker_host, labels=selector + image.get("labels", []),
                     usage_state_path=str(scratch / f"usage-p{copy.number}.json"))
        host: dict[str, t.Any] = {"iargs": image}
        if policy.container is not None:
            container = {key: copy.render(value) for key, value in policy.container.items()}
            container.update(docker_host=self.docker_host, labels=selector + container.get("labels", []))
            host["cargs"] = container
        return host

    def _compare(self, copy: Copy, policy: PolicySpec, result: t.Mapping[str, t.Any], before: EngineState,
                 after: EngineState) -> list[Difference]:
        differences = []
        if policy.container is not None:
            mine = frozenset(before.containers_labelled(COPY_LABEL, copy.label))
            step = Step("container", result["cp_check"], result["cp_real"], result["cp_again"], mine,
                        frozenset(after.containers_labelled(COPY_LABEL, copy.label)),
                        int(policy.container.get("max_removals", 0)))
            differences += compare_step(step, self.sdk, before, after)
        mine = frozenset(before.images_labelled(COPY_LABEL, copy.label) & before.top_level)
        step = Step("image", result["ip_check"], result["ip_real"], result["ip_again"], mine,
                    frozenset(after.images_labelled(COPY_LABEL, copy.label) & after.top_level),
                    int(policy.image.get("max_removals", 0)))
        return differences + compare_step(step, self.sdk, before, after)


def outside_changes(before: EngineState, after: EngineState) -> list[Difference]:
    """Every object no parity batch made is still there, and no such object is new."""
    def theirs(state: EngineState) -> set[str]:
        entries = list(state.images.items()) + list(state.containers.items())
        return {i for i, entry in entries
                if not str((entry.get("Labels") or {}).get(RUN_LABEL, "")).startswith(PARITY_PREFIX)}
    was, now = theirs(before), theirs(after)
    return ([Difference("outside the fixture: gone", i) for i in sorted(was - now)]
            + [Difference("outside the fixture: new", i) for i in sorted(now - was)])


@pytest.fixture(scope="module")
def batches(docker_host: str, sdk: t.Any, collection_root: Path, tmp_path_factory: pytest.TempPathFactory,
            request: pytest.FixtureRequest) -> t.Iterator[Batches]:
    order: dict[int, list[int]] = {}
    for item in request.session.items:   # the pairs this session runs (all, or those -k picked), in order
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "seed_number" in params and getattr(item, "originalname", "") == "test_check_plans_what_the_real_run_does":
            order.setdefault(int(params["seed_number"]), []).append(int(params["pair"]))
    made = Batches(docker_host, sdk, collection_root, tmp_path_factory.mktemp("parity"), order)
    try:
        yield made
    finally:
        made.close()


@pytest.mark.parametrize(("seed_number", "pair"), [(s, p) for s in SEEDS for p in range(POLICIES)],
                         ids=[f"seed-{s:03d}-pair-{p}" for s in SEEDS for p in range(POLICIES)])
def test_check_plans_what_the_real_run_does(seed_number: int, pair: int, batches: Batches,
                                            timings: t.Callable[[str, float], None]) -> None:
    first = seed_number not in batches.notes
    outcome = batches.outcome(seed_number, pair)
    if first:
        for what, seconds in batches.notes[seed_number]:
            timings(what, seconds)
    assert not outcome.differences, outcome.report(fixture_spec(seed_number))


def test_parent_of_an_image_in_use_is_planned_as_the_real_run_keeps_it(docker_host: str, sdk: t.Any, prefix: str,
                                                                       collection_root: Path, tmp_path: Path) -> None:
    """Issue 12's reproduction: base/p:1, child/c:1 FROM it, a container of the child; image_prune
    scope=unused keep_unpullable=false. The engine cannot delete a parent whose child stays, so the check
    must not plan base/p:1, and check, real run and the check after it must agree."""
    try:
        parent = build(sdk, f"{prefix}/base/p:1", f"FROM {seed.BASE_TAG}\nLABEL {RUN_LABEL}={prefix}\n")
        child = build(sdk, f"{prefix}/child/c:1", f"FROM {parent}\nLABEL tidy.test.child=c\n")
        seed.make_container(sdk, f"{prefix}-user", child, ["true"], state="created", labels={RUN_LABEL: prefix})
        iargs = {"docker_host": docker_host, "scope": "unused", "keep_unpullable": False,
                 "labels": [f"{RUN_LABEL}={prefix}"], "usage_state_path": str(tmp_path / "usage.json")}
        results, output = run_playbook({"p0": {"iargs": iargs}}, collection_root, tmp_path)
        assert "failed" not in results.get("p0", {"failed": output}), output
        check, real, again = (results["p0"][step] for step in ("ip_check", "ip_real", "ip_again"))
        mine = {parent, child}

        def decided(result: t.Mapping[str, t.Any]) -> dict[str, str]:
            names = {parent: "base/p:1", child: "child/c:1"}
            return {names[i]: f"removed {reason}" for i, reason in _decisions(result, "removed", mine).items()} | {
                names[i]: f"kept {reason}" for i, reason in _decisions(result, "kept", mine).items()}

        planned = _decisions(check, "removed", mine)
        assert decided(check) == decided(real), f"check: {decided(check)}; real run: {decided(real)}"
        assert parent not in planned and child not in planned
        assert exists(sdk, "image", parent) and exists(sdk, "image", child)
        assert sdk.inspect_image(parent)["RepoTags"] == [f"{prefix}/base/p:1"]
        assert _decisions(again, "removed", mine) == {} and not again["changed"]
    finally:
        remove_everything_of(sdk, prefix)
