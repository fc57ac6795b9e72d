# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine side of ``tidy.docker.container``.

Reads the existing container and the wanted image, asks ``container_plan`` for
the plan, and (outside check mode) carries it out: pull, create, start, stop,
kill, restart, remove, and for attached runs wait and collect the output.
Every decision is made in ``container_plan``; this file only talks to the engine.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import version_tuple
from ansible_collections.tidy.docker.plugins.module_utils._engine.failures import translate_error
from ansible_collections.tidy.docker.plugins.module_utils._engine.inspection import inspect_container_or_none
from ansible_collections.tidy.docker.plugins.module_utils._errors import (
    Conflict,
    EngineError,
    InvalidInput,
    NotFound,
    TidyDockerError,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.attached_output import (
    START_SLACK_NS,
    output_tail,
    split_output,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_create import create_request
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_isolation import check_capabilities_known
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_observed import (
    ObservedContainer,
    observe_container,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_options import (
    BUILTIN_NETWORK_MODES,
    ContainerSettings,
    WantedContainer,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_plan import (
    ACTION_CREATED,
    ACTION_KILLED,
    ACTION_PULLED,
    ACTION_RECREATED,
    ACTION_REMOVED,
    ACTION_RESTARTED,
    ACTION_STARTED,
    ACTION_STOPPED,
    ACTION_UNPAUSED,
    ContainerPlan,
    ImageFacts,
    plan_container,
    state_view,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_secrets import hide_env_values
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.image_operations import (
    find_image,
    is_current,
    pull_image,
    registry_digest,
)
from ansible_collections.tidy.docker.plugins.module_utils._podman import (
    PODMAN,
    PODMAN_LOG_DRIVERS,
    default_capabilities,
    podman_output_cut,
)
from ansible_collections.tidy.docker.plugins.module_utils._records import normalise_container
from ansible_collections.tidy.docker.plugins.module_utils._units import engine_time_ns

# What the engine waits before it kills, when neither the task nor the container says.
DEFAULT_STOP_TIMEOUT = 10

_PORT_TAKEN_RE = re.compile(r"Bind for (\S+) failed: port is already allocated"
                            r"|listen (?:tcp|udp)[46]? (\S+): bind: address already in use")
_NETWORK_MISSING_RE = re.compile(r"network (\S+) not found")
# Docker: exec: "X": why: unknown. Podman quotes runc's message, so its quotes come escaped: exec: \"X\": why\": ...
_EXEC_FAILED_RE = re.compile(r'exec: \\?"([^"\\]*)\\?": ([^"\\]*?)(?:: unknown)?(?:\\?"|$)')
_UNKNOWN_CAPABILITY_RE = re.compile(r'invalid (CapAdd|CapDrop): unknown capability: "([^"]+)"')


class ContainerFailed(TidyDockerError):
    """An attached run exited with a non-zero code."""


class RunTimeout(TidyDockerError):
    """An attached run did not finish within wait_timeout."""


def explain_start_failure(name: str, error: TidyDockerError, settings: ContainerSettings) -> TidyDockerError:
    """A failed start in the user's terms: a taken host port, a missing network, a program the image lacks."""
    text = error.message
    program = _EXEC_FAILED_RE.search(text)
    if program:
        option = "entrypoint" if settings.entrypoint else "command"
        return InvalidInput(f"{option}: the image has no program {program.group(1)!r} ({program.group(2)}), so "
                            f"container {name!r} was created but not started; use a program the image has (an "
                            "absolute path, or one on its PATH), for example sh -c '...'.", option=option,
                            value=program.group(1))
    port = _PORT_TAKEN_RE.search(text)
    if port:
        address = port.group(1) or port.group(2)
        # Podman names a port on all addresses without the address (listen tcp4 :18080); Docker says 0.0.0.0.
        address = f"0.0.0.0{address}" if address.startswith(":") else address
        return Conflict(f"published_ports: host address {address} is already taken by another container or process, "
                        f"so container {name!r} was created but not started; publish a free host port, or stop "
                        f"whatever holds {address}.", option="published_ports", value=address)
    network = _NETWORK_MISSING_RE.search(text)
    if network:
        return InvalidInput(f"network_mode: network {network.group(1)!r} does not exist on the engine, so container "
                            f"{name!r} was created but not started; create the network first (docker network create) "
                            "or use default, host, none or container:NAME.", option="network_mode",
                            value=settings.network_mode)
    return type(error)(f"Container {name!r} could not start: {text}", **error.context)


def explain_create_failure(name: str, error: TidyDockerError, host: str) -> TidyDockerError:
    """A refused create in the user's terms: a capability this engine does not know (newer than the engine)."""
    capability = _UNKNOWN_CAPABILITY_RE.search(error.message)
    if capability:
        option = "cap_add" if capability.group(1) == "CapAdd" else "cap_drop"
        return InvalidInput(f"{option}: the engine at {host} does not know capability {capability.group(2)!r}, so "
                            f"container {name!r} was not created; drop it from {option}, or use an engine recent "
                            "enough to know it (Docker 20.10 knows none newer than AUDIT_READ).", option=option,
                            value=capability.group(2))
    return error


class ContainerRun:
    """One task's work on one container, against one engine."""

    def __init__(self, client: EngineClient, wanted: WantedContainer, check_mode: bool) -> None:
        self.client = client
        self.wanted = wanted
        self.check_mode = check_mode
        self.api = client.api
        self._default_capabilities: frozenset[str] | None = None

    # ------------------------------------------------------------------ reading

    def inspect(self) -> dict[str, t.Any] | None:
        """The container by exact name (the engine would also resolve an id prefix)."""
        inspected = inspect_container_or_none(self.client, self.wanted.name)
        if inspected is None or str(inspected.get("Name", "")).lstrip("/") != self.wanted.name:
            return None
        return inspected

    def observe(self, inspected: t.Mapping[str, t.Any] | None) -> ObservedContainer | None:
        if inspected is None:
            return None
        image = find_image(self.client, str(inspected["Image"]), "image")
        return observe_container(inspected, image, self.client.engine, self.default_capabilities())

    def default_capabilities(self) -> frozenset[str] | None:
        """Podman's default capability set, against which it reports a container's CapAdd and CapDrop;
        read once, and only when the task compares capabilities (None otherwise, and on Docker)."""
        settings = self.wanted.settings
        if self.client.engine != PODMAN or (settings.cap_add is None and settings.cap_drop is None):
            return None
        if self._default_capabilities is None:
            try:
                info = self.client.request("GET", "/libpod/info")
            except NotFound:
                info = None  # a compatible API without Podman's own paths: its built-in set
            self._default_capabilities = default_capabilities(info)
        return self._default_capabilities

    def check_network_mode(self) -> None:
        """Catch an unknown network before anything changes: the engine would only refuse it at start."""
        mode = self.wanted.settings.network_mode
        if mode is None or mode in BUILTIN_NETWORK_MODES or self.wanted.state == "absent":
            return
        if mode.startswith("container:"):
            other = mode.split(":", 1)[1]
            if inspect_container_or_none(self.client, other) is None:
                raise InvalidInput(f"network_mode: {mode!r} names container {other!r}, which does not exist; start "
                                   "that container first or use another network_mode.", option="network_mode",
                                   value=mode)
            return
        try:
            self.client.call(self.api.inspect_network, mode)
        except NotFound:
            raise InvalidInput(f"network_mode: {mode!r} is not a network of the engine at "
                               f"{self.client.settings.docker_host}; create it first (docker network create {mode}) "
                               "or use default, host, none or container:NAME.", option="network_mode",
                               value=mode) from None

    def check_capabilities(self) -> None:
        """Catch a capability this engine does not know before a recreation removes the old container."""
        settings = self.wanted.settings
        # Podman reports API 1.41 too, but grants the newer capabilities (its ALL includes them).
        if self.wanted.state == "absent" or not (settings.cap_add or settings.cap_drop) or self.client.engine == PODMAN:
            return
        try:
            engine_api = version_tuple(str(self.client.engine_version.get("ApiVersion")))
        except ValueError:
            return  # no usable version: the engine judges, and explain_create_failure words its refusal
        check_capabilities_known(settings.cap_add, settings.cap_drop, engine_api, self.client.settings.docker_host)

    def check_log_driver(self) -> None:
        """Catch a driver Podman does not have before a recreation removes the old container: its
        compatible API refuses it only when creating."""
        driver = self.wanted.settings.log_driver
        if self.client.engine != PODMAN or driver is None or driver in PODMAN_LOG_DRIVERS or self.wanted.state == "absent":
            return
        raise InvalidInput(f"log_driver: {driver!r} is not a logging driver of the Podman engine at "
                           f"{self.client.settings.docker_host}; use {', '.join(sorted(PODMAN_LOG_DRIVERS))}, or leave "
                           "log_driver out.", option="log_driver", value=driver)

    # ------------------------------------------------------------------ the image

    def resolve_image(self) -> ImageFacts | None:
        """What ``image`` will resolve to; a real run pulls here, check mode asks the registry for the digest."""
        reference = self.wanted.settings.image
        if reference is None or self.wanted.state == "absent":
            return None
        local = find_image(self.client, reference, "image")
        pull = self.wanted.pull
        if pull == "never" or (pull == "missing" and local is not None):
            if local is None:
                raise InvalidInput(f"image: {reference!r} is not on the engine at {self.client.settings.docker_host} "
                                   f"and pull is never; pull it first (docker pull {reference}) or set pull: missing.",
                                   option="image", value=reference)
            return ImageFacts(reference, False, str(local["Id"]))
        if self.check_mode:
            digest = registry_digest(self.client, reference, "image")
            if local is not None and is_current(local, digest):
                return ImageFacts(reference, False, str(local["Id"]), digest)
            return ImageFacts(reference, True, None, digest)
        pulled = pull_image(self.client, reference, "image")
        return ImageFacts(reference, local is None or local["Id"] != pulled["Id"], str(pulled["Id"]))

    # ------------------------------------------------------------------ acting

    def _stop_timeout(self, observed: ObservedContainer) -> int:
        if self.wanted.stop_timeout is not None:
            return self.wanted.stop_timeout
        return observed.stop_timeout if observed.stop_timeout is not None else DEFAULT_STOP_TIMEOUT

    def _kill(self, container_id: str) -> None:
        self.client.call(self.api.kill, container_id)
        # kill only sends the signal; removal and start need it gone.
        self.client.call(self.api.wait, container_id, condition="not-running")

    def _stop(self, observed: ObservedContainer) -> None:
        if self.wanted.force_kill:
            self._kill(observed.id)
        else:
            self.client.call(self.api.stop, observed.id, timeout=self._stop_timeout(observed))

    def _remove(self, container_id: str) -> None:
        self.client.call(self.api.remove_container, container_id, v=not self.wanted.keep_volumes)

    def _create(self, image: str) -> str:
        request = create_request(self.wanted.settings, self.wanted.name, image)
        try:
            answer = self.client.call(self.api.create_container, use_config_proxy=False, **request)
        except EngineError as exc:
            raise explain_create_failure(self.wanted.name, exc, self.client.settings.docker_host) from None
        return str(answer["Id"])

    def _start(self, container_id: str) -> None:
        try:
            self.client.call(self.api.start, container_id)
        except EngineError as exc:
            raise explain_start_failure(self.wanted.name, exc, self.wanted.settings) from None

    def _existing(self, observed: ObservedContainer | None) -> ObservedContainer:
        """The container the plan acts on; plan_container only plans these actions for an existing one."""
        if observed is None:
            raise EngineError(f"Container {self.wanted.name!r} vanished while the task changed it; run the task "
                              "again.")
        return observed

    def _image_for(self, observed: ObservedContainer | None) -> str:
        """The wanted image, or (no image option) the one the container runs, by name if that still fits."""
        if self.wanted.settings.image is not None:
            return self.wanted.settings.image
        observed = self._existing(observed)
        local = find_image(self.client, observed.image_ref, "image") if observed.image_ref else None
        return observed.image_ref if local is not None and local["Id"] == observed.image_id else observed.image_id

    def apply(self, plan: ContainerPlan, observed: ObservedContainer | None) -> str | None:
        """Carry out the plan; returns the id of the container afterwards (None when removed)."""
        container_id = observed.id if observed is not None else None
        for action in plan.actions:
            if action == ACTION_PULLED:
                continue  # done by resolve_image, before planning
            if action == ACTION_CREATED:
                container_id = self._create(self._image_for(observed))
            elif action == ACTION_RECREATED:
                observed = self._existing(observed)
                image = self._image_for(observed)
                if observed.up:
                    self._stop(observed)
                self._remove(observed.id)
                container_id = self._create(image)
            elif action == ACTION_STARTED:
                self._start(str(container_id))
            elif action == ACTION_UNPAUSED:
                self.client.call(self.api.unpause, container_id)
            elif action in (ACTION_STOPPED, ACTION_KILLED):
                self._stop(self._existing(observed))
            elif action == ACTION_RESTARTED:
                observed = self._existing(observed)
                if self.wanted.force_kill:
                    if observed.up:
                        self._kill(observed.id)
                    self._start(observed.id)
                else:
                    self.client.call(self.api.restart, observed.id, timeout=self._stop_timeout(observed))
            elif action == ACTION_REMOVED:
                self._remove(str(container_id))
                container_id = None
        return container_id

    # ------------------------------------------------------------------ attached runs

    def read_output(self, inspected: t.Mapping[str, t.Any], after_ns: int | None) -> list[str]:
        """Output of the last run only: the log lines stamped later than ``after_ns``."""
        if after_ns is not None and self.client.engine == PODMAN:
            started = engine_time_ns((inspected.get("State") or {}).get("StartedAt"))
            after_ns = podman_output_cut(started, START_SLACK_NS) if started is not None else None
        # Let the engine skip what is clearly older; the exact cut is made on the stamps.
        since = max(after_ns // 1_000_000_000 - 1, 1) if after_ns is not None else None
        try:
            raw = self.client.call(self.api.logs, inspected["Id"], stdout=True, stderr=True, timestamps=True,
                                   since=since)
        except EngineError:
            return []  # a logging driver that cannot be read back
        return split_output(raw, bool((inspected.get("Config") or {}).get("Tty")), after_ns)

    def last_log_time(self, container_id: str) -> int | None:
        """Stamp of the newest log line: what a new run prints comes after it."""
        try:
            raw = self.client.call(self.api.logs, container_id, stdout=True, stderr=True, timestamps=True, tail=1)
        except EngineError:
            return None
        lines = raw.decode("utf-8", errors="replace").splitlines() if isinstance(raw, bytes) else []
        return engine_time_ns(lines[-1].partition(" ")[0]) if lines else None

    def output_start(self, plan: ContainerPlan, observed: ObservedContainer | None) -> int | None:
        """Where the output of an attached run begins: after the last line of earlier runs (None: all lines)."""
        if not self.wanted.attached or observed is None or ACTION_RECREATED in plan.actions:
            return None
        if not self.check_mode and (ACTION_STARTED in plan.actions or ACTION_RESTARTED in plan.actions):
            return self.last_log_time(observed.id)
        # The run reported (or waited for) is the one that started last.
        started = engine_time_ns(observed.started_at)
        return started - START_SLACK_NS if started is not None else None

    def wait_for_exit(self, container_id: str) -> bool:
        """True when the run ended by itself; False when wait_timeout passed first and it was killed."""
        timeout = self.wanted.wait_timeout
        try:
            self.api.wait(container_id, timeout=timeout)
        except Exception as exc:
            if timeout is None or "timed out" not in str(exc).lower():
                raise translate_error(exc, self.client.settings, self.client.engine) from exc
            self._kill(container_id)
            return False
        return True

    # ------------------------------------------------------------------ the whole task

    def run(self, diff: bool = False) -> dict[str, t.Any]:
        inspected: t.Mapping[str, t.Any] | None = self.inspect()
        observed = self.observe(inspected)
        self.check_network_mode()
        self.check_capabilities()
        self.check_log_driver()
        image = self.resolve_image()
        plan = plan_container(self.wanted, observed, image)
        result: dict[str, t.Any] = {
            "changed": plan.changed,
            "actions": list(plan.actions),
            "drifted": [drift.setting for drift in plan.drifted],
        }
        output_after = self.output_start(plan, observed)
        if not self.check_mode and plan.changed:
            self.apply(plan, observed)
            inspected = self.inspect()
        failure = None
        if self.wanted.attached and inspected is not None:
            inspected, failure = self.attached_outcome(plan, inspected, result, output_after)
        if diff:
            result["diff"] = self.diff(plan, inspected, image is not None)
        result["container"] = normalise_container(inspected, engine=self.client.engine) if inspected is not None else None
        if failure is not None:
            # The failure carries what was done, like a success would.
            raise type(failure)(failure.message, **failure.context, **result)
        return result

    def diff(self, plan: ContainerPlan, inspected: t.Mapping[str, t.Any] | None, image_known: bool) -> dict[str, t.Any]:
        """Before and after; env values hidden unless the task opts in (they often carry passwords)."""
        before, after = dict(plan.before), dict(plan.after)
        if not self.check_mode and plan.changed:
            after = state_view(self.observe(inspected), self.wanted.settings, image_known)
        if not self.wanted.show_env_values:
            before, after = hide_env_values(before, after)
        return {"before": before, "after": after}

    def attached_outcome(self, plan: ContainerPlan, inspected: t.Mapping[str, t.Any], result: dict[str, t.Any],
                         output_after: int | None) -> tuple[t.Mapping[str, t.Any], TidyDockerError | None]:
        """Wait for the run and add its exit code and output to ``result``; the error to fail with, if any."""
        running = bool((inspected.get("State") or {}).get("Running"))
        if self.check_mode and (plan.changed or running):
            return inspected, None  # the run has not happened: nothing to report yet
        finished = True
        if running:
            finished = self.wait_for_exit(str(inspected["Id"]))
            inspected = self.inspect() or inspected
        exit_code = int((inspected.get("State") or {}).get("ExitCode") or 0)
        result["exit_code"] = exit_code
        lines = self.read_output(inspected, output_after) if self.wanted.output_logs else []
        if self.wanted.output_logs:
            result["output"] = "\n".join(lines)
            result["output_lines"] = lines
        tail = f" Last output: {output_tail(lines)}" if self.wanted.output_logs else ""
        if not finished:
            timeout = self.wanted.wait_timeout
            return inspected, RunTimeout(
                f"wait_timeout: container {self.wanted.name!r} was still running after {timeout} seconds, so it was "
                f"killed; raise wait_timeout, or run it detached (detach: true).{tail}",
                option="wait_timeout", value=timeout)
        if exit_code == 0 or not self.wanted.fail_on_error:
            return inspected, None
        return inspected, ContainerFailed(
            f"Container {self.wanted.name!r} exited with code {exit_code}; fix its command or image, or set "
            f"fail_on_error: false to accept a non-zero exit.{tail}")
