# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What to remove, what to keep, and why: the pruning policy as a pure function.

Start here. ``plan_container_removals`` and ``plan_image_removals`` take what
the engine holds (containers, images), a policy (what the user asked for) and
"now", and return a ``PrunePlan``: every candidate with a decision (remove or keep)
and one stable reason string. Nothing here talks to the engine, so check mode
can show the very plan a real run then applies, and every rule is unit- and
property-tested.

Each rule is one small function returning a keep-reason or None; the first
rule that objects decides. The order of the rules is the order of the
``*_KEEP_RULES`` tuples below.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import heapq
import typing as t
from dataclasses import dataclass, field, replace

from ansible_collections.tidy.docker.plugins.module_utils._references import (
    looks_like_id,
    normalise_reference,
    repository_of,
)

REMOVE = "remove"
KEEP = "keep"

# Removal reasons.
STOPPED = "stopped"
DANGLING = "dangling"
UNUSED = "unused"
OLDER_THAN = "older_than"
BEYOND_KEEP_LAST = "beyond_keep_last"
OVER_WATERMARK = "over_watermark"
# Named in the policy's ``remove`` list (a decommissioned service): removed whatever the other rules say,
# a running container stopped first; only a label in ``exclude_labels`` (the protect label) spares it.
NAMED = "named"
# An image named by some of its tags only: those tags go, the image stays with its other tags.
UNTAGGED = "untagged"
# A hidden untagged parent (build intermediate) of removed images, that nothing else needs: Docker
# deletes it with its last child unasked; Podman does not always (two removals at once leave parents
# behind), so where the engine cannot be relied on the plan removes it itself, after its children.
PARENT_OF_REMOVED = "parent_of_removed"

# Keep reasons.
RUNNING = "running"
IN_USE = "in_use"
EXCLUDED_NAME = "excluded_name"
EXCLUDED_LABEL = "excluded_label"
TOO_YOUNG = "too_young"
WITHIN_KEEP_LAST = "within_keep_last"
NOT_DANGLING = "not_dangling"
BELOW_WATERMARK = "below_watermark"
MAX_REMOVALS = "max_removals"
RESTART_POLICY = "restart_policy"
UNPULLABLE = "unpullable"
NOT_SELECTED = "not_selected"
# An image some descendant of which stays (kept, in use, or a hidden intermediate a container uses):
# the engine refuses to delete an image that still has child images, even with force.
PARENT_OF_KEPT = "parent_of_kept"
# Only set while applying a plan: the engine refused (409) or the object vanished (404).
CONFLICT = "conflict"
GONE = "gone"
# Only set when the engine failed in the middle of a real run (no answer within the timeout, the
# connection lost, an error other than 404/409): the removal that was asked but not confirmed
# (the engine may or may not have done it; a rerun sees), and those never started after it.
FAILED = "failed"
NOT_ATTEMPTED = "not_attempted"

KEEP_REASONS: tuple[str, ...] = (
    RUNNING, IN_USE, EXCLUDED_NAME, EXCLUDED_LABEL, TOO_YOUNG, WITHIN_KEEP_LAST, NOT_DANGLING,
    BELOW_WATERMARK, MAX_REMOVALS, RESTART_POLICY, UNPULLABLE, NOT_SELECTED, PARENT_OF_KEPT, CONFLICT, GONE,
    FAILED, NOT_ATTEMPTED,
)
REMOVE_REASONS: tuple[str, ...] = (STOPPED, DANGLING, UNUSED, OLDER_THAN, BEYOND_KEEP_LAST, OVER_WATERMARK, NAMED,
                                   UNTAGGED, PARENT_OF_REMOVED)

# Container states that mean "alive": never removed, whatever the policy says.
LIVE_STATES = frozenset({"running", "paused", "restarting"})
# The engine is already removing it for another actor (a concurrent prune, a docker rm): it is
# on its way out, not running; reported as gone, never touched.
REMOVING = "removing"
NOT_STOPPED_STATES = LIVE_STATES | {REMOVING}
CONTAINER_STATUSES = ("exited", "created", "dead")


# --------------------------------------------------------------------------- what the engine holds


@dataclass(frozen=True)
class Container:
    """What the policy needs to know about one container."""

    id: str
    name: str
    state: str
    image_id: str
    created: dt.datetime
    finished_at: dt.datetime | None = None
    labels: t.Mapping[str, str] = field(default_factory=dict)
    restart_policy: str = "no"
    size_rw: int = 0

    @property
    def aged_since(self) -> dt.datetime:
        """A container ages from its finish time, or from creation if it never ran."""
        return self.finished_at or self.created


@dataclass(frozen=True)
class Image:
    """What the policy needs to know about one image."""

    id: str
    tags: tuple[str, ...]
    digests: tuple[str, ...]
    created: dt.datetime
    unique_size: int
    labels: t.Mapping[str, str] = field(default_factory=dict)
    last_tag_time: dt.datetime | None = None
    parent_id: str | None = None

    @property
    def dangling(self) -> bool:
        return not self.tags

    @property
    def repositories(self) -> frozenset[str]:
        return frozenset(repository_of(tag) for tag in self.tags)


# --------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class LabelSelector:
    """``key`` (any value) or ``key=value``."""

    key: str
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> LabelSelector:
        key, sep, value = text.partition("=")
        return cls(key.strip(), value if sep else None)

    def matches(self, labels: t.Mapping[str, str]) -> bool:
        return self.key in labels and (self.value is None or labels[self.key] == self.value)


def any_label(selectors: t.Iterable[LabelSelector], labels: t.Mapping[str, str]) -> bool:
    return any(selector.matches(labels) for selector in selectors)


def all_labels(selectors: t.Iterable[LabelSelector], labels: t.Mapping[str, str]) -> bool:
    return all(selector.matches(labels) for selector in selectors)


@dataclass(frozen=True)
class ContainerPolicy:
    statuses: frozenset[str] = frozenset({"exited", "dead"})
    older_than: int | None = None
    names: tuple[str, ...] = ()
    exclude_names: tuple[str, ...] = ()
    labels: tuple[LabelSelector, ...] = ()
    exclude_labels: tuple[LabelSelector, ...] = ()
    exclude_restart_policies: frozenset[str] = frozenset({"always", "unless-stopped"})
    max_removals: int = 0
    remove: tuple[str, ...] = ()  # names or ids removed whatever the rest says (running ones stopped first)
    only_named: bool = False      # decide on the named ones only (pruning by policy turned off)

    @property
    def needs_details(self) -> bool:
        """Whether deciding needs what only an inspect tells: restart policy and finish time.

        The finish time is what ``older_than`` measures and what orders removals under a cap.
        Without them the engine's container list has every field the rules read.
        """
        return bool(self.exclude_restart_policies) or self.older_than is not None or self.max_removals > 0


@dataclass(frozen=True)
class Watermark:
    """Remove least recently used images while usage is above ``high``, down to ``low`` (bytes)."""

    usage: int
    high: int
    low: int


@dataclass(frozen=True)
class ImagePolicy:
    scope: str = "dangling"
    older_than: int | None = None
    keep_last: int | None = None
    exclude: tuple[str, ...] = ()
    labels: tuple[LabelSelector, ...] = ()
    exclude_labels: tuple[LabelSelector, ...] = ()
    keep_unpullable: bool = True
    watermark: Watermark | None = None
    max_removals: int = 0
    remove: tuple[str, ...] = ()  # references or ids removed whatever the rest says (unless in use)
    only_named: bool = False      # decide on the named ones only (pruning by policy turned off)

    @property
    def needs_precise_times(self) -> bool:
        """Whether order decides: keep_last, least-recently-used and a cap compare creation times.

        The engine's image list gives whole seconds; two images built in the same second
        would be ordered by id instead of by age. An inspect gives the full time.
        """
        return self.keep_last is not None or self.watermark is not None or self.max_removals > 0

    @property
    def needs_graph(self) -> bool:
        """Whether an image with children can be a candidate: only tagged ones can have any.

        The engine's list hides untagged images that have children (build intermediates), so
        every dangling image it lists is a leaf; the dangling scope never meets a parent.
        """
        return self.scope != "dangling"


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Decision:
    id: str
    names: tuple[str, ...]
    action: str
    reason: str
    size: int = 0
    named: bool = False  # named in the policy's ``remove`` list, whatever became of it

    @property
    def removed(self) -> bool:
        return self.action == REMOVE


@dataclass(frozen=True)
class PrunePlan:
    """Decisions in a stable order: removals first (in removal order), then kept."""

    decisions: tuple[Decision, ...]
    # Image plans: sets of removal ids to apply one after the other (children before parents).
    waves: tuple[frozenset[str], ...] = ()

    @property
    def removals(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.removed)

    @property
    def kept(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if not d.removed)

    @property
    def removal_ids(self) -> frozenset[str]:
        return frozenset(d.id for d in self.removals)

    @property
    def reclaimable(self) -> int:
        return sum(d.size for d in self.removals)

    def kept_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for decision in self.kept:
            counts[decision.reason] = counts.get(decision.reason, 0) + 1
        return dict(sorted(counts.items()))


def _finish(removals: list[Decision], kept: list[Decision], max_removals: int) -> PrunePlan:
    """Apply the ``max_removals`` cap (the first ones in removal order win) and freeze the plan."""
    if max_removals and len(removals) > max_removals:
        capped = [Decision(d.id, d.names, KEEP, MAX_REMOVALS, d.size) for d in removals[max_removals:]]
        removals, kept = removals[:max_removals], capped + kept
    kept.sort(key=lambda d: (d.reason, d.names, d.id))
    return PrunePlan(tuple(removals) + tuple(kept))


def matches_glob(patterns: t.Iterable[str], names: t.Iterable[str]) -> bool:
    names = tuple(names)
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)


def _too_young(moment: dt.datetime, older_than: int | None, now: dt.datetime) -> bool:
    return older_than is not None and now - moment < dt.timedelta(seconds=older_than)


# --------------------------------------------------------------------------- containers

ContainerRule = t.Callable[[Container, ContainerPolicy, dt.datetime], t.Optional[str]]


def _container_alive(container: Container, policy: ContainerPolicy, now: dt.datetime) -> str | None:
    if container.state == REMOVING:
        return GONE
    return RUNNING if container.state in LIVE_STATES else None


def _container_not_selected(container: Container, policy: ContainerPolicy, now: dt.datetime) -> str | None:
    if container.state not in policy.statuses:
        return NOT_SELECTED
    if policy.names and not matches_glob(policy.names, [container.name]):
        return NOT_SELECTED
    if policy.labels and not all_labels(policy.labels, container.labels):
        return NOT_SELECTED
    return None


def _container_excluded_name(container: Container, policy: ContainerPolicy, now: dt.datetime) -> str | None:
    names = [container.name, container.id, container.id[:12]]
    return EXCLUDED_NAME if matches_glob(policy.exclude_names, names) else None


def _container_excluded_label(container: Container, policy: ContainerPolicy, now: dt.datetime) -> str | None:
    return EXCLUDED_LABEL if any_label(policy.exclude_labels, container.labels) else None


def _container_restart_policy(container: Container, policy: ContainerPolicy, now: dt.datetime) -> str | None:
    # The engine brings such a container back on reboot: it is a service, not clutter.
    return RESTART_POLICY if container.restart_policy in policy.exclude_restart_policies else None


def _container_too_young(container: Container, policy: ContainerPolicy, now: dt.datetime) -> str | None:
    return TOO_YOUNG if _too_young(container.aged_since, policy.older_than, now) else None


CONTAINER_KEEP_RULES: tuple[ContainerRule, ...] = (
    _container_alive,
    _container_excluded_name,
    _container_excluded_label,
    _container_not_selected,
    _container_restart_policy,
    _container_too_young,
)


def _names_the_container(container: Container, references: t.Iterable[str]) -> bool:
    """By name, by full id, or by an id prefix of at least 12 digits (as ``docker rm`` takes them)."""
    return any(ref.lstrip("/") == container.name or (len(ref) >= 12 and container.id.startswith(ref))
               for ref in references)


def _named_containers(containers: t.Sequence[Container], policy: ContainerPolicy) -> list[Decision]:
    """Decisions for the containers ``remove`` names: removed (even running), unless protected by a label."""
    decisions = []
    for container in containers:
        if _names_the_container(container, policy.remove):
            protected = any_label(policy.exclude_labels, container.labels)
            decisions.append(Decision(container.id, (container.name,), KEEP if protected else REMOVE,
                                      EXCLUDED_LABEL if protected else NAMED, container.size_rw, named=True))
    return decisions


def plan_container_removals(containers: t.Iterable[Container], policy: ContainerPolicy, now: dt.datetime) -> PrunePlan:
    """Decide for every container; the named ones first, then the rest oldest first (so a cap spares the newest)."""
    ordered = sorted(containers, key=lambda c: (c.aged_since, c.id))
    named = _named_containers(ordered, policy)
    decided = {d.id for d in named}
    removals: list[Decision] = []
    kept: list[Decision] = [d for d in named if not d.removed]
    reason_to_remove = OLDER_THAN if policy.older_than is not None else STOPPED
    for container in (c for c in ordered if c.id not in decided and not policy.only_named):
        reason = next((r for r in (rule(container, policy, now) for rule in CONTAINER_KEEP_RULES) if r), None)
        if reason is None:
            removals.append(Decision(container.id, (container.name,), REMOVE, reason_to_remove, container.size_rw))
        else:
            kept.append(Decision(container.id, (container.name,), KEEP, reason, container.size_rw))
    plan = _finish(removals, kept, policy.max_removals)  # the cap counts the policy's own removals only
    return PrunePlan(tuple(d for d in named if d.removed) + plan.decisions)


# --------------------------------------------------------------------------- images


@dataclass(frozen=True)
class ImageContext:
    """Facts about the whole inventory that single-image rules need."""

    users: t.Mapping[str, frozenset[str]]          # image id -> ids of containers using it
    removed_containers: frozenset[str]             # containers this run removes first
    newest_per_repository: t.Mapping[str, frozenset[str]]  # repository -> ids of its keep_last newest images
    now: dt.datetime

    def in_use(self, image: Image) -> bool:
        return bool(self.users.get(image.id, frozenset()) - self.removed_containers)


ImageRule = t.Callable[[Image, ImagePolicy, ImageContext], t.Optional[str]]


def _image_in_use(image: Image, policy: ImagePolicy, context: ImageContext) -> str | None:
    return IN_USE if context.in_use(image) else None


def _image_excluded_name(image: Image, policy: ImagePolicy, context: ImageContext) -> str | None:
    short_id = image.id.split(":", 1)[-1]
    references = image.tags + (image.id, short_id, short_id[:12])
    return EXCLUDED_NAME if matches_glob(policy.exclude, references) else None


def _image_excluded_label(image: Image, policy: ImagePolicy, context: ImageContext) -> str | None:
    return EXCLUDED_LABEL if any_label(policy.exclude_labels, image.labels) else None


def _image_not_selected(image: Image, policy: ImagePolicy, context: ImageContext) -> str | None:
    return NOT_SELECTED if policy.labels and not all_labels(policy.labels, image.labels) else None


def _image_not_dangling(image: Image, policy: ImagePolicy, context: ImageContext) -> str | None:
    return NOT_DANGLING if policy.scope == "dangling" and not image.dangling else None


def _image_unpullable(image: Image, policy: ImagePolicy, context: ImageContext) -> str | None:
    # Built or loaded here and never pushed: once removed it cannot be pulled back.
    return UNPULLABLE if policy.keep_unpullable and image.tags and not image.digests else None


def _image_within_keep_last(image: Image, policy: ImagePolicy, context: ImageContext) -> str | None:
    if policy.keep_last is None:
        return None
    newest = context.newest_per_repository
    return WITHIN_KEEP_LAST if any(image.id in newest.get(repo, ()) for repo in image.repositories) else None


def _image_too_young(image: Image, policy: ImagePolicy, context: ImageContext) -> str | None:
    return TOO_YOUNG if _too_young(image.created, policy.older_than, context.now) else None


IMAGE_KEEP_RULES: tuple[ImageRule, ...] = (
    _image_in_use,
    _image_excluded_name,
    _image_excluded_label,
    _image_not_selected,
    _image_not_dangling,
    _image_unpullable,
    _image_within_keep_last,
    _image_too_young,
)


def newest_per_repository(images: t.Iterable[Image], keep: int) -> dict[str, frozenset[str]]:
    """Repository -> ids of its ``keep`` newest tagged images, by creation time (ties: id)."""
    by_repository: dict[str, list[Image]] = {}
    for image in images:
        for repository in image.repositories:
            by_repository.setdefault(repository, []).append(image)
    return {repository: frozenset(i.id for i in sorted(members, key=lambda i: (i.created, i.id), reverse=True)[:keep])
            for repository, members in by_repository.items()}


def last_used(image: Image, usage_state: t.Mapping[str, dt.datetime]) -> dt.datetime:
    """When the image was last used: recorded use, else last tagging, else creation."""
    return usage_state.get(image.id) or image.last_tag_time or image.created


def _removal_reason(image: Image, policy: ImagePolicy) -> str:
    if image.dangling:
        return DANGLING
    if policy.keep_last is not None:
        return BEYOND_KEEP_LAST
    if policy.older_than is not None:
        return OLDER_THAN
    return UNUSED


def _descendants_stay(images: t.Sequence[Image], candidates: t.AbstractSet[str], parents: t.Mapping[str, str],
                      used: t.AbstractSet[str]) -> set[str]:
    """Ids of the candidates that cannot go because something below them stays."""
    gone = _gone_after(images, candidates, parents, used)
    return {image_id for image_id in candidates if not gone[image_id]}


def _gone_after(images: t.Sequence[Image], candidates: t.AbstractSet[str], parents: t.Mapping[str, str],
                used: t.AbstractSet[str]) -> dict[str, bool]:
    """Every image the engine holds -> whether it is gone once ``candidates`` are removed.

    ``parents`` maps every image the engine holds (listed or hidden intermediate)
    to its parent. An image is gone after the plan when it is a candidate (listed)
    or a hidden intermediate no container uses (Docker deletes those with their
    last child), and all its children are gone too. Children are settled before
    their parents by walking from the deepest images up.
    """
    listed = {image.id for image in images}
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    nodes = listed | set(parents) | set(parents.values())
    gone: dict[str, bool] = {}
    for node in sorted(nodes, key=lambda n: _depth(n, parents), reverse=True):
        itself = node in candidates if node in listed else node not in used
        gone[node] = itself and all(gone[child] for child in children.get(node, ()))
    return gone


def _depth(image_id: str, parents: t.Mapping[str, str]) -> int:
    depth, seen = 0, {image_id}
    while image_id in parents and parents[image_id] not in seen:  # a cycle cannot happen; never loop
        image_id = parents[image_id]
        seen.add(image_id)
        depth += 1
    return depth


def _nearest_listed_ancestor(image_id: str, parents: t.Mapping[str, str], listed: t.AbstractSet[str]) -> str | None:
    seen = {image_id}
    while image_id in parents and parents[image_id] not in seen:
        image_id = parents[image_id]
        if image_id in listed:
            return image_id
        seen.add(image_id)
    return None


def _children_first(images: t.Sequence[Image], parents: t.Mapping[str, str],
                    key: t.Callable[[Image], t.Any]) -> list[Image]:
    """Removal order: by ``key`` (oldest or least recently used first), but an image only after all
    of its descendants among ``images``, so the engine never meets a parent that still has children
    and every prefix of the order (what a cap or a watermark takes) can be removed as it stands."""
    by_id = {image.id: image for image in images}
    waiting_for: dict[str, int] = dict.fromkeys(by_id, 0)
    ancestor_of: dict[str, str] = {}
    for image in images:
        ancestor = _nearest_listed_ancestor(image.id, parents, by_id.keys())
        if ancestor is not None:
            ancestor_of[image.id] = ancestor
            waiting_for[ancestor] += 1
    ready = [(key(image), image.id) for image in images if not waiting_for[image.id]]
    heapq.heapify(ready)
    ordered: list[Image] = []
    while ready:
        image_id = heapq.heappop(ready)[1]
        ordered.append(by_id[image_id])
        ancestor = ancestor_of.get(image_id)
        if ancestor is not None:
            waiting_for[ancestor] -= 1
            if not waiting_for[ancestor]:
                heapq.heappush(ready, (key(by_id[ancestor]), ancestor))
    return ordered


def removal_dependencies(plan: PrunePlan, parents: t.Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Each image the plan deletes -> the planned images that must be gone first (its nearest planned
    descendants: through hidden intermediates, which the engine deletes with their last child)."""
    deleted = {d.id for d in plan.removals if d.reason != UNTAGGED}  # an untagged image stays
    before: dict[str, set[str]] = {image_id: set() for image_id in deleted}
    for image_id in deleted:
        ancestor = _nearest_listed_ancestor(image_id, parents, deleted)
        if ancestor is not None:
            before[ancestor].add(image_id)
    return {image_id: frozenset(ids) for image_id, ids in before.items()}


def removal_waves(plan: PrunePlan, parents: t.Mapping[str, str]) -> list[frozenset[str]]:
    """The plan's deletions in waves: each wave only once every planned descendant went in an earlier one.

    Within a wave nothing is an ancestor of anything else, so a wave can go concurrently.
    """
    before = removal_dependencies(plan, parents)
    wave_of: dict[str, int] = {}
    pending = sorted(before)
    while pending:  # each pass settles the images whose descendants are settled (a forest: no cycle)
        settled = [i for i in pending if all(d in wave_of for d in before[i])]
        for image_id in settled:
            wave_of[image_id] = max((wave_of[d] + 1 for d in before[image_id]), default=0)
        pending = [i for i in pending if i not in wave_of] if settled else []
    waves: list[set[str]] = [set() for _wave in range(max(wave_of.values(), default=-1) + 1)]
    for image_id, wave in wave_of.items():
        waves[wave].add(image_id)
    return [frozenset(wave) for wave in waves]


def _watermark_prefix(ordered: list[Image], watermark: Watermark) -> tuple[list[Image], list[Image]]:
    """Take from the front of the removal order until the estimated usage is at or below the low mark."""
    if watermark.usage <= watermark.high:
        return [], ordered
    usage = watermark.usage
    for index, image in enumerate(ordered):
        if usage <= watermark.low:
            return ordered[:index], ordered[index:]
        usage -= image.unique_size
    return ordered, []


def plan_image_removals(images: t.Iterable[Image], containers: t.Iterable[Container], policy: ImagePolicy,
                        now: dt.datetime, usage_state: t.Mapping[str, dt.datetime] | None = None,
                        removed_containers: t.Iterable[str] = (),
                        parents: t.Mapping[str, str] | None = None,
                        hidden: t.Sequence[Image] = ()) -> PrunePlan:
    """Decide for every image.

    ``containers`` are all containers (any state); an image one of them uses is
    kept unless every such container is in ``removed_containers`` (removed by
    the same run first). ``usage_state`` maps image ids to their last recorded
    use, for least-recently-used order in watermark mode. ``parents`` maps every
    image the engine holds, hidden intermediates included, to its parent (default:
    the listed images' own parents); an image with a descendant that stays is kept
    as ``parent_of_kept``. ``hidden``: the hidden intermediates (untagged images with
    children, which the engine's list leaves out) where the engine does not reliably
    delete them with their last child (Podman): those that go with the plan's
    removals become removals of their own (``parent_of_removed``), after their children.
    """
    images = sorted(images, key=lambda i: (i.created, i.id))
    if parents is None:
        parents = {image.id: image.parent_id for image in images if image.parent_id}
    context = _image_context(images, containers, policy, now, removed_containers)
    named, named_kept, partial = _named_images(images, policy, context)
    candidates, kept = _judge_by_policy(images, named, partial, policy, context)
    kept.extend(named_kept)
    deleted = [i for i in images if named.get(i.id) == NAMED]
    used = {image_id for image_id, ids in context.users.items() if ids - context.removed_containers}
    blocked = _descendants_stay(images, {i.id for i in candidates + deleted}, parents, used)
    kept.extend(Decision(i.id, i.tags, KEEP, PARENT_OF_KEPT, i.unique_size) for i in candidates if i.id in blocked)
    candidates = [i for i in candidates if i.id not in blocked]
    removals, below = _in_removal_order(candidates, policy, parents, usage_state or {})
    plan = _finish(removals, kept + below, policy.max_removals)  # the cap counts the policy's own removals only
    return _with_named(plan, images, named, partial, parents, used, hidden)


def _judge_by_policy(images: t.Sequence[Image], named: t.Mapping[str, str], partial: t.Collection[str],
                     policy: ImagePolicy, context: ImageContext) -> tuple[list[Image], list[Decision]]:
    """The policy's rules on every image not named whole; with the policy off, the partly named are kept
    (and so lose their named tags) unless protected."""
    if not policy.only_named:
        return _judge_images([i for i in images if i.id not in named], policy, context)
    return [], [Decision(i.id, i.tags, KEEP, EXCLUDED_LABEL if any_label(policy.exclude_labels, i.labels)
                         else NOT_SELECTED, i.unique_size) for i in images if i.id in partial]


def _in_removal_order(candidates: list[Image], policy: ImagePolicy, parents: t.Mapping[str, str],
                      usage_state: t.Mapping[str, dt.datetime]) -> tuple[list[Decision], list[Decision]]:
    """The candidates as removals, oldest (or, in watermark mode, least recently used) first but children
    before parents; in watermark mode also those kept because usage is low enough without them."""
    if policy.watermark is None:
        return [Decision(i.id, i.tags, REMOVE, _removal_reason(i, policy), i.unique_size)
                for i in _children_first(candidates, parents, key=lambda i: (i.created, i.id))], []
    ordered = _children_first(candidates, parents, key=lambda i: (last_used(i, usage_state), i.created, i.id))
    chosen, spared = _watermark_prefix(ordered, policy.watermark)
    return ([Decision(i.id, i.tags, REMOVE, OVER_WATERMARK, i.unique_size) for i in chosen],
            [Decision(i.id, i.tags, KEEP, BELOW_WATERMARK, i.unique_size) for i in spared])


def _names_of_image(image: Image, references: t.Iterable[str]) -> tuple[bool, tuple[str, ...]]:
    """Whether ``references`` name the image by id, and which of its tags they name."""
    hex_id = image.id.split(":", 1)[-1]
    tags: list[str] = []
    by_id = False
    for reference in references:
        tag = normalise_reference(reference)
        if tag in image.tags:
            tags.append(tag)
        elif looks_like_id(reference) and hex_id.startswith(reference.split(":", 1)[-1]):
            by_id = True
    return by_id, tuple(sorted(set(tags)))


def _named_images(images: t.Sequence[Image], policy: ImagePolicy,
                  context: ImageContext) -> tuple[dict[str, str], list[Decision], dict[str, tuple[str, ...]]]:
    """The images ``remove`` names: id -> NAMED (to delete) or KEEP, the kept ones' decisions, and the
    images named by some of their tags only (id -> those tags), which the policy still judges."""
    named: dict[str, str] = {}
    kept: list[Decision] = []
    partial: dict[str, tuple[str, ...]] = {}
    for image in images:
        by_id, tags = _names_of_image(image, policy.remove)
        if not by_id and not tags:
            continue
        if not by_id and set(tags) != set(image.tags):
            partial[image.id] = tags
        elif any_label(policy.exclude_labels, image.labels):
            kept.append(Decision(image.id, image.tags, KEEP, EXCLUDED_LABEL, image.unique_size, named=True))
        elif context.in_use(image):
            kept.append(Decision(image.id, image.tags, KEEP, IN_USE, image.unique_size, named=True))
        else:
            named[image.id] = NAMED
    for decision in kept:
        named[decision.id] = KEEP
    return named, kept, partial


def _untag_kept(kept: t.Iterable[Decision], partial: t.Mapping[str, tuple[str, ...]]) -> tuple[list[Decision],
                                                                                               list[Decision]]:
    """An image named by some of its tags: if the policy removes it anyway, the removal covers those tags;
    if the policy keeps it, the named tags go (``untagged``: allowed even while a container uses the image)
    unless a label protects it. (kept, untags)"""
    still_kept, untags = [], []
    for decision in kept:
        if decision.id in partial and decision.reason != EXCLUDED_LABEL:
            untags.append(Decision(decision.id, partial[decision.id], REMOVE, UNTAGGED, 0, named=True))
        elif decision.id in partial:
            still_kept.append(replace(decision, named=True))
        else:
            still_kept.append(decision)
    return still_kept, untags


def _with_named(plan: PrunePlan, images: t.Sequence[Image], named: t.Mapping[str, str],
                partial: t.Mapping[str, tuple[str, ...]], parents: t.Mapping[str, str],
                used: t.AbstractSet[str], hidden: t.Sequence[Image] = ()) -> PrunePlan:
    """Add the named removals to the policy's plan, keep a named image whose descendant stays after all, add
    the ``hidden`` parents that go with the removals, and list the removals wave by wave, as a real run
    removes (and reports) them."""
    by_id = {image.id: image for image in images}
    kept, untags = _untag_kept(plan.kept, partial)
    deletions = [Decision(i, by_id[i].tags, REMOVE, NAMED, by_id[i].unique_size, named=True)
                 for i, how in named.items() if how == NAMED] + \
        [replace(d, named=True) if d.id in partial else d for d in plan.removals]
    blocked = _descendants_stay(images, {d.id for d in deletions}, parents, used)
    kept += [replace(d, action=KEEP, reason=PARENT_OF_KEPT) for d in deletions if d.id in blocked]
    deletions = [d for d in deletions if d.id not in blocked]
    deletions += hidden_parents_going(images, hidden, {d.id for d in deletions}, parents, used)
    waves = removal_waves(PrunePlan(tuple(deletions)), parents)
    wave_of = {image_id: index for index, wave in enumerate(waves) for image_id in wave}
    in_waves = sorted(deletions, key=lambda d: wave_of[d.id])
    kept.sort(key=lambda d: (d.reason, d.names, d.id))
    # Untagging never waits for anything: with the first wave.
    first = (waves[0] if waves else frozenset()) | {d.id for d in untags}
    return PrunePlan(tuple(untags + in_waves + kept), waves=(first, *waves[1:]))


def hidden_parents_going(images: t.Sequence[Image], hidden: t.Sequence[Image], deleted: t.AbstractSet[str],
                         parents: t.Mapping[str, str], used: t.AbstractSet[str]) -> list[Decision]:
    """The ``hidden`` intermediates that are gone once ``deleted`` are, as removals (``parent_of_removed``).

    They are the ones Docker deletes with their last child; only ancestors of deleted images
    qualify (a hidden image always has children, and is gone only when they all are), so a
    hidden image that nothing in the plan touches is never listed.
    """
    if not hidden or not deleted:
        return []
    gone = _gone_after(images, deleted, parents, used)
    listed = {image.id for image in images}
    return [Decision(image.id, (), REMOVE, PARENT_OF_REMOVED, image.unique_size)
            for image in sorted(hidden, key=lambda i: (i.created, i.id))
            if image.id not in listed and gone.get(image.id, False)]


def _image_context(images: t.Sequence[Image], containers: t.Iterable[Container], policy: ImagePolicy,
                   now: dt.datetime, removed_containers: t.Iterable[str]) -> ImageContext:
    users: dict[str, set[str]] = {}
    for container in containers:
        users.setdefault(container.image_id, set()).add(container.id)
    return ImageContext(
        users={image_id: frozenset(ids) for image_id, ids in users.items()},
        removed_containers=frozenset(removed_containers),
        newest_per_repository=newest_per_repository(images, policy.keep_last) if policy.keep_last is not None else {},
        now=now,
    )


def _judge_images(images: t.Sequence[Image], policy: ImagePolicy,
                  context: ImageContext) -> tuple[list[Image], list[Decision]]:
    """The single-image rules: the candidates, and a decision for each image a rule keeps."""
    candidates: list[Image] = []
    kept: list[Decision] = []
    for image in images:
        reason = next((r for r in (rule(image, policy, context) for rule in IMAGE_KEEP_RULES) if r), None)
        if reason is None:
            candidates.append(image)
        else:
            kept.append(Decision(image.id, image.tags, KEEP, reason, image.unique_size))
    return candidates, kept
