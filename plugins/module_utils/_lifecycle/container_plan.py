# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``tidy.docker.container`` does to one container, and why: the plan of one task.

Pure functions, no engine calls, so that check mode and real runs share them:
``compare`` finds the settings that drifted, comparing only what the task sets and
ignoring what the image itself provides; ``plan_container`` decides the actions for
the wanted state, e.g. ``("pulled", "created", "started")``, and predicts the
after-state for diff mode.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_isolation import (
    podman_capability_views,
    relevant_security_opts,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_logging import relevant_log_options
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_observed import ObservedContainer
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_options import (
    ContainerSettings,
    WantedContainer,
)
from ansible_collections.tidy.docker.plugins.module_utils._podman import same_log_driver

# Actions, as returned in ``actions``: stable strings users assert on.
ACTION_PULLED = "pulled"
ACTION_CREATED = "created"
ACTION_RECREATED = "recreated"
ACTION_STARTED = "started"
ACTION_UNPAUSED = "unpaused"
ACTION_STOPPED = "stopped"
ACTION_KILLED = "killed"
ACTION_RESTARTED = "restarted"
ACTION_REMOVED = "removed"

# The settings compared with an existing container, in the order diffs list them.
COMPARED_SETTINGS = ("image", "command", "entrypoint", "env", "labels", "published_ports", "volumes",
                     "restart_policy", "restart_retries", "network_mode", "interactive", "tty", "init",
                     "privileged", "cap_add", "cap_drop", "security_opts", "device_cgroup_rules", "cgroupns_mode",
                     "tmpfs", "log_driver", "log_options")
# Settings held as tuples of strings (the isolation ones sorted), shown in diffs as lists.
_STRING_TUPLES = ("command", "entrypoint", "cap_add", "cap_drop", "security_opts", "device_cgroup_rules")


@dataclass(frozen=True)
class ImageFacts:
    """What the wanted ``image`` reference resolves to, as far as it is known before acting.

    ``pull``: a pull is part of the plan (check mode: would bring a new image; real
    run: did). ``image_id``: the id the reference resolves to after that pull, or
    None when it is not known yet (check mode, not pulled). ``digest``: the
    registry's manifest digest of the reference, looked up in check mode to predict
    whether the image to be pulled is the one a container already runs.
    """

    reference: str
    pull: bool = False
    image_id: str | None = None
    digest: str | None = None


@dataclass(frozen=True)
class Drift:
    setting: str
    before: t.Any
    after: t.Any


@dataclass(frozen=True)
class ContainerPlan:
    """The decision for one task: actions in order, why, and the predicted before/after for diff mode."""

    actions: tuple[str, ...]
    drifted: tuple[Drift, ...] = ()
    before: t.Mapping[str, t.Any] = field(default_factory=dict)
    after: t.Mapping[str, t.Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.actions)
# --------------------------------------------------------------------------- comparing


def _relevant(actual: t.Mapping[str, str], inherited: t.Mapping[str, str],
              wanted: t.Mapping[str, str]) -> dict[str, str]:
    """The part of ``actual`` a task answers for: the keys it sets, and whatever the image did not supply."""
    return {key: value for key, value in sorted(actual.items())
            if key in wanted or inherited.get(key) != value}


def _network(mode: str | None) -> str:
    """``bridge`` is what ``default`` means on Linux."""
    return "default" if not mode or mode == "bridge" else mode


def wanted_view(settings: ContainerSettings, name: str) -> t.Any:
    """A compared setting as the task wants it, in the form diffs show."""
    value = getattr(settings, name)
    if value is None:
        return None
    if name in _STRING_TUPLES:
        return list(value)
    if name in ("env", "labels", "log_options"):
        return dict(value)
    if name in ("published_ports", "volumes", "tmpfs"):
        return [item.text for item in value]
    return value


def _observed_volumes(observed: ObservedContainer, wanted: ContainerSettings) -> list[str]:
    wanted_targets = {volume.target for volume in wanted.volumes or ()}
    return [volume.text for volume in observed.settings.volumes or ()
            if volume.source or volume.target in wanted_targets or volume.target not in observed.inherited_volumes]


def _observed_capabilities(observed: ObservedContainer, wanted: ContainerSettings) -> tuple[list[str], list[str]]:
    """``cap_add`` and ``cap_drop`` as the container has them: as reported, or on Podman, which reports
    them as a difference from its default set, read back in the task's terms where they mean the same."""
    settings = observed.settings
    if observed.default_capabilities is None:
        return list(settings.cap_add or ()), list(settings.cap_drop or ())
    add, drop = podman_capability_views(settings.cap_add or (), settings.cap_drop or (), observed.default_capabilities,
                                        wanted.cap_add, wanted.cap_drop, bool(settings.privileged))
    return list(add), list(drop)


# The settings whose observed value is narrowed to what the task answers for (the image's own env,
# labels and volumes, the engine's default security options, the daemon's log options are not).
_NARROWED: dict[str, t.Callable[[ObservedContainer, ContainerSettings], t.Any]] = {
    "image": lambda observed, wanted: observed.image_ref,
    "env": lambda observed, wanted: _relevant(observed.settings.env or {}, observed.inherited_env, wanted.env or {}),
    "labels": lambda observed, wanted: _relevant(observed.settings.labels or {}, observed.inherited_labels,
                                                 wanted.labels or {}),
    "log_options": lambda observed, wanted: None if observed.settings.log_options is None else relevant_log_options(
        observed.settings.log_options, wanted.log_options or {}),
    "log_driver": lambda observed, wanted: wanted.log_driver if wanted.log_driver is not None and same_log_driver(
        observed.settings.log_driver, wanted.log_driver, observed.engine) else observed.settings.log_driver,
    "volumes": _observed_volumes,
    "cap_add": lambda observed, wanted: _observed_capabilities(observed, wanted)[0],
    "cap_drop": lambda observed, wanted: _observed_capabilities(observed, wanted)[1],
    "security_opts": lambda observed, wanted: relevant_security_opts(observed.settings.security_opts or (),
                                                                     observed.engine_security_opts,
                                                                     wanted.security_opts or ()),
}


def observed_view(observed: ObservedContainer, wanted: ContainerSettings, name: str) -> t.Any:
    """A compared setting as the container has it, narrowed to what the task answers for."""
    narrowed = _NARROWED.get(name)
    return narrowed(observed, wanted) if narrowed is not None else wanted_view(observed.settings, name)


def _image_drift(observed: ObservedContainer, image: ImageFacts) -> Drift | None:
    if image.image_id is not None:
        same = observed.image_id == image.image_id
    else:
        # Not pulled yet (check mode): the registry digest tells whether it is the image already in use.
        same = image.digest is not None and any(digest.endswith(f"@{image.digest}") for digest in observed.image_digests)
    if same:
        return None
    return Drift("image", {"image": observed.image_ref, "image_id": observed.image_id},
                 {"image": image.reference, "image_id": image.image_id})


# Settings some engines apply but do not report in their inspect answer: the cgroup namespace
# mode before API 1.41, and on Podman 4.3 the mode, the device cgroup rules and the log options.
# Read as None, they are not compared (no drift can show) and a diff shows them as the task gives them.
UNREPORTED_SETTINGS = ("cgroupns_mode", "device_cgroup_rules", "log_options")


def compare(wanted: ContainerSettings, observed: ObservedContainer, image: ImageFacts | None = None) -> tuple[Drift, ...]:
    """The compared settings that differ, in COMPARED_SETTINGS order. Unset settings never drift."""
    drifted: list[Drift] = []
    for name in COMPARED_SETTINGS:
        if name == "image":
            drift = _image_drift(observed, image) if image is not None else None
            if drift is not None:
                drifted.append(drift)
            continue
        after = wanted_view(wanted, name)
        if after is None:
            continue
        before = observed_view(observed, wanted, name)
        if name in UNREPORTED_SETTINGS and before is None:
            continue  # an engine that does not report it cannot show drift in it
        same = _network(before) == _network(after) if name == "network_mode" else before == after
        if not same:
            drifted.append(Drift(name, before, after))
    return tuple(drifted)


# --------------------------------------------------------------------------- planning


def _stop_action(wanted: WantedContainer) -> str:
    return ACTION_KILLED if wanted.force_kill else ACTION_STOPPED


def _keep_actions(wanted: WantedContainer, observed: ObservedContainer) -> tuple[str, ...]:
    """Actions for an existing container whose settings are as wanted."""
    if wanted.state == "restarted":
        return (ACTION_RESTARTED,)
    if wanted.state == "stopped":
        return (_stop_action(wanted),) if observed.up else ()
    if wanted.state == "started":
        if observed.paused:
            return (ACTION_UNPAUSED,)
        if observed.running:
            return ()
        if wanted.attached and observed.state in ("exited", "dead"):
            # An attached run that already ran to completion with these settings: report it, do not rerun.
            return ()
        return (ACTION_STARTED,)
    return ()


def _lifecycle_actions(wanted: WantedContainer, observed: ObservedContainer | None,
                       recreate: bool) -> tuple[str, ...]:
    runs = wanted.state in ("started", "restarted")
    if observed is None:
        return (ACTION_CREATED, ACTION_STARTED) if runs else (ACTION_CREATED,)
    if recreate:
        # present keeps a running container running; stopped leaves the new one created, not started.
        restart = runs or (wanted.state == "present" and observed.up)
        return (ACTION_RECREATED, ACTION_STARTED) if restart else (ACTION_RECREATED,)
    return _keep_actions(wanted, observed)


def predicted_state(wanted: WantedContainer, observed: ObservedContainer | None, actions: t.Sequence[str]) -> str:
    """The container's state after the actions: an engine status, or ``absent``."""
    if ACTION_REMOVED in actions or (observed is None and not actions):
        return "absent"
    for action in reversed(actions):
        if action in (ACTION_STARTED, ACTION_UNPAUSED, ACTION_RESTARTED):
            return "exited" if wanted.attached else "running"
        if action in (ACTION_STOPPED, ACTION_KILLED):
            return "exited"
        if action in (ACTION_CREATED, ACTION_RECREATED):
            return "created"
    return observed.state if observed is not None else "absent"


def state_view(observed: ObservedContainer | None, wanted: ContainerSettings, image_known: bool) -> dict[str, t.Any]:
    """The diff-mode view of an existing container: its state and the compared settings the task sets."""
    if observed is None:
        return {"state": "absent"}
    view: dict[str, t.Any] = {"state": observed.state}
    if image_known and wanted.image is not None:
        view["image"] = observed.image_ref
        view["image_id"] = observed.image_id
    for name in COMPARED_SETTINGS[1:]:
        if getattr(wanted, name) is not None:
            value = observed_view(observed, wanted, name)
            # Sent on create but not reported back: shown as the task gives it, as compare() takes it.
            view[name] = wanted_view(wanted, name) if value is None and name in UNREPORTED_SETTINGS else value
    return view


def _after_view(wanted: WantedContainer, observed: ObservedContainer | None, image: ImageFacts | None,
                actions: tuple[str, ...]) -> dict[str, t.Any]:
    state = predicted_state(wanted, observed, actions)
    if state == "absent":
        return {"state": "absent"}
    if observed is not None and ACTION_CREATED not in actions and ACTION_RECREATED not in actions:
        return dict(state_view(observed, wanted.settings, image is not None), state=state)
    view: dict[str, t.Any] = {"state": state}
    if image is not None:
        view["image"] = image.reference
        view["image_id"] = image.image_id
    for name in COMPARED_SETTINGS[1:]:
        value = wanted_view(wanted.settings, name)
        if value is not None:
            view[name] = value
    return view


def plan_container(wanted: WantedContainer, observed: ObservedContainer | None,
                   image: ImageFacts | None = None) -> ContainerPlan:
    """Decide what to do. The same function serves check mode (prediction) and real runs.

    ``image`` is None when the task gives no image or the state does not need one
    (absent); then settings are compared without the image and a recreation reuses
    the container's own image.
    """
    before = state_view(observed, wanted.settings, image is not None)
    if wanted.state == "absent":
        actions: tuple[str, ...] = ()
        if observed is not None:
            actions = ((_stop_action(wanted),) if observed.up else ()) + (ACTION_REMOVED,)
        return ContainerPlan(actions, (), before, {"state": "absent"})
    if observed is None and image is None:
        if wanted.state == "stopped":
            # Nothing to stop, and nothing to create it from.
            return ContainerPlan((), (), before, before)
        raise InvalidInput(f"image: container {wanted.name!r} does not exist, so an image is needed to create it; "
                           "set image (for example image: busybox:1.36).", option="image")
    drifted = compare(wanted.settings, observed, image) if observed is not None else ()
    recreate = observed is not None and (wanted.recreate or bool(drifted))
    actions = ((ACTION_PULLED,) if image is not None and image.pull else ()) + _lifecycle_actions(wanted, observed, recreate)
    return ContainerPlan(actions, drifted, before, _after_view(wanted, observed, image, actions))
