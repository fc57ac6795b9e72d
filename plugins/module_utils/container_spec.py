# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One container: what the task wants, how that differs from what exists, and what to do.

Pure functions, no engine calls, so that the rules are unit-testable and check
mode and real runs share them:

- ``wanted_from_params`` validates and normalises the module options
  (command strings split like a shell, env as sorted ``KEY=VALUE``, port specs in
  the engine's ``PortBindings`` form, volumes as binds, named or anonymous,
  the isolation settings through ``container_host_config``);
- ``observe_container`` reads the same settings back from ``docker inspect`` data,
  remembering what the image supplied (env, labels, volumes);
- ``compare`` finds the settings that drifted, comparing only what the task
  sets and ignoring what the image itself provides;
- ``plan_container`` decides the actions for the wanted state, e.g.
  ``("pulled", "created", "started")``, and predicts the after-state for diff mode.
"""

from __future__ import annotations

import calendar
import ipaddress
import posixpath
import re
import shlex
import typing as t
from dataclasses import dataclass, field

from ansible_collections.tidy.docker.plugins.module_utils.container_host_config import (
    Tmpfs,
    engine_added_security_opts,
    parse_capabilities,
    parse_cgroupns_mode,
    parse_device_rules,
    parse_security_opts,
    parse_tmpfs,
    relevant_security_opts,
    tmpfs_from_engine,
    tmpfs_to_engine,
)
from ansible_collections.tidy.docker.plugins.module_utils.errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils.errors import invalid_option as _invalid
from ansible_collections.tidy.docker.plugins.module_utils.units import parse_duration

STATES = ("present", "started", "stopped", "restarted", "absent")
PULL_POLICIES = ("missing", "always", "never")
RESTART_POLICIES = ("no", "always", "on-failure", "unless-stopped")
BUILTIN_NETWORK_MODES = frozenset(("default", "bridge", "host", "none"))
# The engine gives a container this PATH when its image sets none.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What the engine waits before it kills, when neither the task nor the container says.
DEFAULT_STOP_TIMEOUT = 10

# Actions, as returned in ``actions``: stable strings users assert on.
PULLED = "pulled"
CREATED = "created"
RECREATED = "recreated"
STARTED = "started"
UNPAUSED = "unpaused"
STOPPED = "stopped"
KILLED = "killed"
RESTARTED = "restarted"
REMOVED = "removed"

# The settings compared with an existing container, in the order diffs list them.
COMPARED_SETTINGS = ("image", "command", "entrypoint", "env", "labels", "published_ports", "volumes",
                     "restart_policy", "restart_retries", "network_mode", "interactive", "tty", "init",
                     "privileged", "cap_add", "cap_drop", "security_opts", "device_cgroup_rules", "cgroupns_mode",
                     "tmpfs")
# Settings held as tuples of strings (the isolation ones sorted), shown in diffs as lists.
_STRING_TUPLES = ("command", "entrypoint", "cap_add", "cap_drop", "security_opts", "device_cgroup_rules")

_NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_VOLUME_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_PROTOCOLS = ("tcp", "udp", "sctp")
_VOLUME_OPTIONS = frozenset(("ro", "rw", "z", "Z", "shared", "rshared", "slave", "rslave", "private", "rprivate",
                             "nocopy", "consistent", "cached", "delegated"))


# --------------------------------------------------------------------------- value types


@dataclass(frozen=True, order=True)
class PortBinding:
    """One published port: ``container_port`` like ``80/tcp``; empty host_ip/host_port mean any/random."""

    container_port: str
    host_ip: str = ""
    host_port: str = ""

    @property
    def text(self) -> str:
        """The canonical ``[IP:][HOST:]PORT/PROTO`` form shown in diffs."""
        ip = f"[{self.host_ip}]" if ":" in self.host_ip else self.host_ip
        if ip:
            return f"{ip}:{self.host_port}:{self.container_port}"
        if self.host_port:
            return f"{self.host_port}:{self.container_port}"
        return self.container_port


@dataclass(frozen=True, order=True)
class Volume:
    """A bind mount (absolute ``source``), a named volume (``source`` a name) or an anonymous volume (no source)."""

    target: str
    source: str = ""
    options: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        if not self.source:
            return "anonymous"
        return "bind" if self.source.startswith("/") else "volume"

    @property
    def text(self) -> str:
        """The ``-v`` form: what goes into the engine's Binds, and what diffs show."""
        if not self.source:
            return self.target
        parts = [self.source, self.target]
        if self.options:
            parts.append(",".join(self.options))
        return ":".join(parts)


@dataclass(frozen=True)
class ContainerSettings:
    """The compared settings. ``None`` means "not set by the task": not compared, engine/image default on create."""

    image: str | None = None
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    env: t.Mapping[str, str] | None = None
    labels: t.Mapping[str, str] | None = None
    published_ports: tuple[PortBinding, ...] | None = None
    volumes: tuple[Volume, ...] | None = None
    restart_policy: str | None = None
    restart_retries: int | None = None
    network_mode: str | None = None
    interactive: bool | None = None
    tty: bool | None = None
    init: bool | None = None
    privileged: bool | None = None
    cap_add: tuple[str, ...] | None = None
    cap_drop: tuple[str, ...] | None = None
    security_opts: tuple[str, ...] | None = None
    device_cgroup_rules: tuple[str, ...] | None = None
    cgroupns_mode: str | None = None
    tmpfs: tuple[Tmpfs, ...] | None = None


@dataclass(frozen=True)
class WantedContainer:
    """The validated module options."""

    name: str
    state: str = "started"
    settings: ContainerSettings = field(default_factory=ContainerSettings)
    pull: str = "missing"
    recreate: bool = False
    detach: bool = True
    stop_timeout: int | None = None
    force_kill: bool = False
    keep_volumes: bool = True
    output_logs: bool = True
    wait_timeout: int | None = None
    fail_on_error: bool = True

    @property
    def attached(self) -> bool:
        """``detach: false``: run to completion and report exit code and output."""
        return not self.detach


@dataclass(frozen=True)
class ObservedContainer:
    """An existing container, read from ``docker inspect`` (and the inspect of its image)."""

    id: str
    name: str
    state: str
    running: bool
    paused: bool
    image_ref: str
    image_id: str
    settings: ContainerSettings
    image_digests: tuple[str, ...] = ()
    inherited_env: t.Mapping[str, str] = field(default_factory=dict)
    inherited_labels: t.Mapping[str, str] = field(default_factory=dict)
    inherited_volumes: frozenset[str] = frozenset()
    engine_security_opts: frozenset[str] = frozenset()
    stop_timeout: int | None = None
    exit_code: int | None = None
    started_at: str | None = None

    @property
    def up(self) -> bool:
        """Running or paused: something to stop before removal."""
        return self.running or self.paused


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
class Plan:
    """The decision for one task: actions in order, why, and the predicted before/after for diff mode."""

    actions: tuple[str, ...]
    drifted: tuple[Drift, ...] = ()
    before: t.Mapping[str, t.Any] = field(default_factory=dict)
    after: t.Mapping[str, t.Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    @property
    def starts(self) -> bool:
        """The plan (re)starts the container: an attached run waits for it afterwards."""
        return any(action in (STARTED, UNPAUSED, RESTARTED) for action in self.actions)


# --------------------------------------------------------------------------- parsing the options


def split_command(value: t.Any, option: str) -> tuple[str, ...] | None:
    """A command given as a string (split like a POSIX shell) or as a list; None when unset."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise _invalid(option, value, f"cannot be split into arguments ({exc})",
                           "fix the quoting, or give the arguments as a list") from None
    elif isinstance(value, (list, tuple)):
        if any(isinstance(word, (dict, list, tuple)) or word is None for word in value):
            raise _invalid(option, value, "has an element that is not a string",
                           "give a list of strings, one per argument")
        words = [str(word) for word in value]
    else:
        raise _invalid(option, value, "is neither a string nor a list",
                       "give a string such as \"sh -c 'echo hi'\" or a list of arguments")
    if option == "command" and not words:
        raise _invalid(option, value, "is empty", "leave command unset to run the image's default command")
    return tuple(words)


def string_map(value: t.Any, option: str) -> dict[str, str] | None:
    """env/labels: keys and values as strings, sorted by key; booleans and nulls are refused."""
    if value is None:
        return None
    result: dict[str, str] = {}
    for key, item in value.items():
        key = str(key)
        if not key or (option == "env" and "=" in key):
            raise _invalid(option, key, "is not a valid key", "use a non-empty name" +
                           (" without '='" if option == "env" else ""))
        if isinstance(item, bool) or item is None or isinstance(item, (dict, list)):
            raise InvalidInput(
                f"{option}: the value of {key} is {item!r}, not a string; quote it "
                f"(for example {key}: \"{str(item).lower() if isinstance(item, bool) else ''}\") so the container "
                "gets exactly that text.", option=option, value=item)
        result[key] = str(item)
    return dict(sorted(result.items()))


def env_list(env: t.Mapping[str, str]) -> list[str]:
    """The engine's ``KEY=VALUE`` form, sorted by key."""
    return [f"{key}={value}" for key, value in sorted(env.items())]


def env_dict(entries: t.Iterable[str] | None) -> dict[str, str]:
    """``KEY=VALUE`` entries to a dict (a later key wins, as in the engine)."""
    result: dict[str, str] = {}
    for entry in entries or ():
        key, _equals, value = str(entry).partition("=")
        result[key] = value
    return result


def _port_range(text: str, spec: str) -> list[int]:
    first, _dash, last = text.partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        raise _invalid("published_ports", spec, f"has {text!r} where a port number or range belongs",
                       "use forms like 8080:80, 127.0.0.1:8080:80/udp or 80")
    low, high = int(first), int(last or first)
    if not 1 <= low <= high <= 65535:
        raise _invalid("published_ports", spec, f"has port {text!r} outside 1-65535",
                       "use port numbers from 1 to 65535, a range as low-high")
    return list(range(low, high + 1))


def _host_ip(text: str, spec: str) -> str:
    ip = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise _invalid("published_ports", spec, f"has {text!r} where a host IP address belongs",
                       "use an address such as 127.0.0.1 or [::1], or leave it out to listen on all") from None
    return ip


def parse_port(spec: t.Any) -> list[PortBinding]:
    """``80``, ``8080:80``, ``127.0.0.1:8080:80/udp``, ``127.0.0.1::80``, ``[::1]:8080:80``, ``8000-8001:80-81``."""
    text = str(spec).strip()
    address, _slash, protocol = text.partition("/")
    protocol = protocol or "tcp"
    if protocol not in _PROTOCOLS:
        raise _invalid("published_ports", spec, f"has protocol {protocol!r}", "use tcp, udp or sctp")
    ip = ""
    if address.startswith("["):
        end = address.find("]:")
        if end < 0:
            raise _invalid("published_ports", spec, "has an unterminated IPv6 address",
                           "write it as [::1]:8080:80")
        ip, address = _host_ip(address[:end + 1], spec), address[end + 2:]
        parts = address.split(":")
        if len(parts) != 2:
            raise _invalid("published_ports", spec, "is not IP:HOST_PORT:CONTAINER_PORT",
                           "write it as [::1]:8080:80 or [::1]::80")
    else:
        parts = address.split(":")
        if len(parts) == 3:
            ip, parts = _host_ip(parts[0], spec), parts[1:]
        elif len(parts) > 3:
            raise _invalid("published_ports", spec, "has too many colons",
                           "use forms like 8080:80, 127.0.0.1:8080:80/udp or [::1]:8080:80")
    host_text, container_text = (parts if len(parts) == 2 else ["", parts[0]])
    container_ports = _port_range(container_text, str(spec))
    host_ports: list[str] = [""] * len(container_ports)
    if host_text:
        host_ports = [str(port) for port in _port_range(host_text, str(spec))]
        if len(host_ports) != len(container_ports):
            raise _invalid("published_ports", spec, "maps ranges of different lengths",
                           "give one host port per container port, e.g. 8000-8001:80-81")
    return [PortBinding(f"{port}/{protocol}", ip, host) for port, host in zip(container_ports, host_ports)]


def parse_ports(specs: t.Iterable[t.Any] | None) -> tuple[PortBinding, ...] | None:
    if specs is None:
        return None
    return tuple(sorted(set(binding for spec in specs for binding in parse_port(spec))))


def port_bindings_from_engine(raw: t.Mapping[str, t.Any] | None) -> tuple[PortBinding, ...]:
    """HostConfig.PortBindings back to bindings; a port with no host side counts once with a random port."""
    bindings = set()
    for container_port, hosts in (raw or {}).items():
        for host in hosts or [{}]:
            bindings.add(PortBinding(container_port, host.get("HostIp") or "", host.get("HostPort") or ""))
    return tuple(sorted(bindings))


def port_bindings_to_engine(bindings: t.Iterable[PortBinding]) -> dict[str, list[dict[str, str]]]:
    engine: dict[str, list[dict[str, str]]] = {}
    for binding in sorted(bindings):
        engine.setdefault(binding.container_port, []).append({"HostIp": binding.host_ip, "HostPort": binding.host_port})
    return engine


def _clean_path(path: str) -> str:
    return posixpath.normpath(path) if path.startswith("/") else path


def parse_volume(spec: t.Any, strict: bool = True) -> Volume:
    """``/host:/ctr[:ro]`` (bind), ``name:/ctr[:opts]`` (named volume) or ``/ctr`` (anonymous volume).

    ``strict=False`` reads what the engine stores without judging it.
    """
    text = str(spec).strip()
    parts = text.split(":")
    fix = "use /host/path:/container/path[:ro], volume_name:/container/path or /container/path"
    if len(parts) > 3 or any(not part for part in parts):
        if strict:
            raise _invalid("volumes", spec, "is not a volume", fix)
        return Volume(target=text)
    if len(parts) == 1:
        source, target, options = "", parts[0], ""
    else:
        source, target, options = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
    option_list = [option for option in options.split(",") if option]
    if strict:
        if not target.startswith("/"):
            raise _invalid("volumes", spec, f"mounts at {target!r}, which is not an absolute container path", fix)
        if source and not source.startswith("/") and not _VOLUME_NAME_RE.match(source):
            raise _invalid("volumes", spec, f"has source {source!r}, which is neither an absolute host path nor a "
                           "volume name", "write host paths from / (no ./ or ~), and volume names with letters, "
                           "digits, _ . -")
        unknown = [option for option in option_list if option not in _VOLUME_OPTIONS]
        if unknown:
            raise _invalid("volumes", spec, f"has unknown mount option {unknown[0]!r}",
                           "use ro or rw, optionally with z, Z, nocopy or a propagation such as rshared")
        if "ro" in option_list and "rw" in option_list:
            raise _invalid("volumes", spec, "is both ro and rw", "pick one of ro and rw")
    # rw is the default: the same mount with or without it.
    cleaned = tuple(sorted(set(option for option in option_list if option != "rw")))
    return Volume(target=_clean_path(target), source=_clean_path(source), options=cleaned)


def parse_volumes(specs: t.Iterable[t.Any] | None) -> tuple[Volume, ...] | None:
    if specs is None:
        return None
    volumes = [parse_volume(spec) for spec in specs]
    seen: dict[str, str] = {}
    for spec, volume in zip(specs, volumes):
        if volume.target in seen:
            raise _invalid("volumes", spec, f"mounts at {volume.target} like {seen[volume.target]!r}",
                           "mount one volume per container path")
        seen[volume.target] = str(spec)
    return tuple(sorted(volumes))


def parse_timeout(value: t.Any, option: str, positive: bool = False) -> int | None:
    if value is None:
        return None
    seconds = parse_duration(value, option)
    if positive and seconds <= 0:
        raise _invalid(option, value, "is not a positive duration", "give seconds (such as 30) or a duration such as 5m")
    return seconds


def settings_from_params(params: t.Mapping[str, t.Any]) -> ContainerSettings:
    image = params.get("image")
    if image is not None and not str(image).strip():
        raise _invalid("image", image, "is empty", "give an image reference such as busybox:1.36, or leave image unset")
    policy = params.get("restart_policy")
    retries = params.get("restart_retries")
    if retries is not None:
        if retries < 0:
            raise _invalid("restart_retries", retries, "is negative", "give the number of restarts to try, 0 for no limit")
        if policy != "on-failure":
            raise _invalid("restart_retries", retries, f"needs restart_policy on-failure, not {policy!r}",
                           "set restart_policy: on-failure, or drop restart_retries")
    network_mode = params.get("network_mode")
    if network_mode is not None and (not network_mode.strip() or network_mode == "container:"):
        raise _invalid("network_mode", network_mode, "names no network",
                       "use default, bridge, host, none, container:NAME or a network from docker network ls")
    volumes = parse_volumes(params.get("volumes"))
    tmpfs = parse_tmpfs(params.get("tmpfs"))
    _check_mount_points(volumes or (), tmpfs or ())
    return ContainerSettings(
        image=str(image).strip() if image is not None else None,
        command=split_command(params.get("command"), "command"),
        entrypoint=split_command(params.get("entrypoint"), "entrypoint"),
        env=string_map(params.get("env"), "env"),
        labels=string_map(params.get("labels"), "labels"),
        published_ports=parse_ports(params.get("published_ports")),
        volumes=volumes,
        restart_policy=policy,
        restart_retries=retries,
        network_mode=network_mode,
        interactive=params.get("interactive"),
        tty=params.get("tty"),
        init=params.get("init"),
        privileged=params.get("privileged"),
        cap_add=parse_capabilities(params.get("cap_add"), "cap_add"),
        cap_drop=parse_capabilities(params.get("cap_drop"), "cap_drop"),
        security_opts=parse_security_opts(params.get("security_opts")),
        device_cgroup_rules=parse_device_rules(params.get("device_cgroup_rules")),
        cgroupns_mode=parse_cgroupns_mode(params.get("cgroupns_mode")),
        tmpfs=tmpfs,
    )


def _check_mount_points(volumes: t.Iterable[Volume], tmpfs: t.Iterable[Tmpfs]) -> None:
    """The engine refuses two mounts at one path only when creating, after a recreation removed the old container."""
    volume_at = {volume.target: volume.text for volume in volumes}
    for mount in tmpfs:
        if mount.target in volume_at:
            raise _invalid("tmpfs", mount.text, f"mounts at {mount.target} like volume {volume_at[mount.target]!r}",
                           "mount either a volume or a tmpfs at a container path, not both")


def wanted_from_params(params: t.Mapping[str, t.Any]) -> WantedContainer:
    """Validate the module options into a WantedContainer; every problem is one InvalidInput sentence."""
    name = str(params["name"]).strip()
    if not _NAME_RE.match(name):
        raise _invalid("name", params["name"], "is not a container name",
                       "use letters, digits and _ . - starting with a letter or digit")
    state = params.get("state") or "started"
    detach = params.get("detach", True)
    if detach is False and state not in ("started", "restarted"):
        raise _invalid("detach", False, f"runs the container to completion, which state {state} does not do",
                       "use state started or restarted with detach: false, or drop detach")
    wait_timeout = parse_timeout(params.get("wait_timeout"), "wait_timeout", positive=True)
    if wait_timeout is not None and detach is not False:
        raise _invalid("wait_timeout", params.get("wait_timeout"), "only bounds attached runs",
                       "set detach: false to run the container to completion, or drop wait_timeout")
    return WantedContainer(
        name=name.lstrip("/"),
        state=state,
        settings=settings_from_params(params),
        pull=params.get("pull") or "missing",
        recreate=bool(params.get("recreate")),
        detach=detach is not False,
        stop_timeout=parse_timeout(params.get("stop_timeout"), "stop_timeout"),
        force_kill=bool(params.get("force_kill")),
        keep_volumes=params.get("keep_volumes", True) is not False,
        output_logs=params.get("output_logs", True) is not False,
        wait_timeout=wait_timeout,
        fail_on_error=params.get("fail_on_error", True) is not False,
    )


# --------------------------------------------------------------------------- reading a container


def observe_container(inspected: t.Mapping[str, t.Any],
                      image_inspected: t.Mapping[str, t.Any] | None = None) -> ObservedContainer:
    """The compared settings of an existing container, and what its image supplied.

    ``image_inspected`` is the inspect of the image the container runs (by id);
    None when that image is gone, in which case nothing counts as inherited.
    """
    config = inspected.get("Config") or {}
    host = inspected.get("HostConfig") or {}
    state = inspected.get("State") or {}
    image_config = (image_inspected or {}).get("Config") or {}
    inherited_env = env_dict(image_config.get("Env"))
    # The engine adds a default PATH when the image has none.
    inherited_env.setdefault("PATH", DEFAULT_PATH)
    restart = host.get("RestartPolicy") or {}
    binds = [parse_volume(bind, strict=False) for bind in host.get("Binds") or []]
    anonymous = [Volume(target=_clean_path(path)) for path in (config.get("Volumes") or {})]
    stop_timeout = config.get("StopTimeout")
    return ObservedContainer(
        id=str(inspected["Id"]),
        name=str(inspected.get("Name") or "").lstrip("/"),
        state=str(state.get("Status") or ""),
        running=bool(state.get("Running")) and not state.get("Paused"),
        paused=bool(state.get("Paused")),
        image_ref=str(config.get("Image") or ""),
        image_id=str(inspected.get("Image") or ""),
        settings=ContainerSettings(
            image=config.get("Image"),
            command=tuple(config.get("Cmd") or ()),
            entrypoint=tuple(config.get("Entrypoint") or ()),
            env=env_dict(config.get("Env")),
            labels=dict(config.get("Labels") or {}),
            published_ports=port_bindings_from_engine(host.get("PortBindings")),
            volumes=tuple(sorted(binds + anonymous)),
            restart_policy=restart.get("Name") or "no",
            restart_retries=int(restart.get("MaximumRetryCount") or 0),
            network_mode=host.get("NetworkMode") or "default",
            interactive=bool(config.get("OpenStdin")),
            tty=bool(config.get("Tty")),
            init=bool(host.get("Init")),
            privileged=bool(host.get("Privileged")),
            cap_add=parse_capabilities(host.get("CapAdd") or (), "cap_add", strict=False),
            cap_drop=parse_capabilities(host.get("CapDrop") or (), "cap_drop", strict=False),
            security_opts=parse_security_opts(host.get("SecurityOpt") or (), strict=False),
            device_cgroup_rules=parse_device_rules(host.get("DeviceCgroupRules") or (), strict=False),
            # Engines before API 1.41 do not report it: None, so that it is not compared.
            cgroupns_mode=host.get("CgroupnsMode") or None,
            tmpfs=tmpfs_from_engine(host.get("Tmpfs")),
        ),
        image_digests=tuple((image_inspected or {}).get("RepoDigests") or ()),
        inherited_env=inherited_env,
        inherited_labels=dict(image_config.get("Labels") or {}),
        inherited_volumes=frozenset(_clean_path(path) for path in image_config.get("Volumes") or {}),
        engine_security_opts=engine_added_security_opts(host),
        stop_timeout=int(stop_timeout) if stop_timeout is not None else None,
        exit_code=state.get("ExitCode"),
        started_at=state.get("StartedAt"),
    )


# --------------------------------------------------------------------------- comparing


def _relevant(actual: t.Mapping[str, str], inherited: t.Mapping[str, str],
              wanted: t.Mapping[str, str]) -> dict[str, str]:
    """The part of ``actual`` a task answers for: the keys it sets, and whatever the image did not supply."""
    return {key: value for key, value in sorted(actual.items())
            if key in wanted or inherited.get(key) != value}


def _network(mode: str | None) -> str:
    """``bridge`` is what ``default`` means on Linux."""
    return "default" if mode in (None, "", "bridge") else mode


def wanted_view(settings: ContainerSettings, name: str) -> t.Any:
    """A compared setting as the task wants it, in the form diffs show."""
    value = getattr(settings, name)
    if value is None:
        return None
    if name in _STRING_TUPLES:
        return list(value)
    if name in ("env", "labels"):
        return dict(value)
    if name in ("published_ports", "volumes", "tmpfs"):
        return [item.text for item in value]
    return value


def observed_view(observed: ObservedContainer, wanted: ContainerSettings, name: str) -> t.Any:
    """A compared setting as the container has it, narrowed to what the task answers for."""
    actual = observed.settings
    if name == "image":
        return observed.image_ref
    if name == "env":
        return _relevant(actual.env or {}, observed.inherited_env, wanted.env or {})
    if name == "labels":
        return _relevant(actual.labels or {}, observed.inherited_labels, wanted.labels or {})
    if name == "volumes":
        wanted_targets = {volume.target for volume in wanted.volumes or ()}
        return [volume.text for volume in actual.volumes or ()
                if volume.source or volume.target in wanted_targets or volume.target not in observed.inherited_volumes]
    if name == "security_opts":
        return relevant_security_opts(actual.security_opts or (), observed.engine_security_opts,
                                      wanted.security_opts or ())
    return wanted_view(actual, name)


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
        if name == "cgroupns_mode" and before is None:
            continue  # an engine that does not report the mode cannot show drift in it
        same = _network(before) == _network(after) if name == "network_mode" else before == after
        if not same:
            drifted.append(Drift(name, before, after))
    return tuple(drifted)


# --------------------------------------------------------------------------- planning


def _stop_action(wanted: WantedContainer) -> str:
    return KILLED if wanted.force_kill else STOPPED


def _keep_actions(wanted: WantedContainer, observed: ObservedContainer) -> tuple[str, ...]:
    """Actions for an existing container whose settings are as wanted."""
    if wanted.state == "restarted":
        return (RESTARTED,)
    if wanted.state == "stopped":
        return (_stop_action(wanted),) if observed.up else ()
    if wanted.state == "started":
        if observed.paused:
            return (UNPAUSED,)
        if observed.running:
            return ()
        if wanted.attached and observed.state in ("exited", "dead"):
            # An attached run that already ran to completion with these settings: report it, do not rerun.
            return ()
        return (STARTED,)
    return ()


def _lifecycle_actions(wanted: WantedContainer, observed: ObservedContainer | None,
                       recreate: bool) -> tuple[str, ...]:
    runs = wanted.state in ("started", "restarted")
    if observed is None:
        return (CREATED, STARTED) if runs else (CREATED,)
    if recreate:
        # present keeps a running container running; stopped leaves the new one created, not started.
        restart = runs or (wanted.state == "present" and observed.up)
        return (RECREATED, STARTED) if restart else (RECREATED,)
    return _keep_actions(wanted, observed)


def predicted_state(wanted: WantedContainer, observed: ObservedContainer | None, actions: t.Sequence[str]) -> str:
    """The container's state after the actions: an engine status, or ``absent``."""
    if REMOVED in actions or (observed is None and not actions):
        return "absent"
    for action in reversed(actions):
        if action in (STARTED, UNPAUSED, RESTARTED):
            return "exited" if wanted.attached else "running"
        if action in (STOPPED, KILLED):
            return "exited"
        if action in (CREATED, RECREATED):
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
            view[name] = observed_view(observed, wanted, name)
    return view


def _after_view(wanted: WantedContainer, observed: ObservedContainer | None, image: ImageFacts | None,
                actions: tuple[str, ...]) -> dict[str, t.Any]:
    state = predicted_state(wanted, observed, actions)
    if state == "absent":
        return {"state": "absent"}
    if observed is not None and CREATED not in actions and RECREATED not in actions:
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
                   image: ImageFacts | None = None) -> Plan:
    """Decide what to do. The same function serves check mode (prediction) and real runs.

    ``image`` is None when the task gives no image or the state does not need one
    (absent); then settings are compared without the image and a recreation reuses
    the container's own image.
    """
    before = state_view(observed, wanted.settings, image is not None)
    if wanted.state == "absent":
        actions: tuple[str, ...] = ()
        if observed is not None:
            actions = ((_stop_action(wanted),) if observed.up else ()) + (REMOVED,)
        return Plan(actions, (), before, {"state": "absent"})
    if observed is None and image is None:
        if wanted.state == "stopped":
            # Nothing to stop, and nothing to create it from.
            return Plan((), (), before, before)
        raise InvalidInput(f"image: container {wanted.name!r} does not exist, so an image is needed to create it; "
                           "set image (for example image: busybox:1.36).", option="image")
    drifted = compare(wanted.settings, observed, image) if observed is not None else ()
    recreate = observed is not None and (wanted.recreate or bool(drifted))
    actions = ((PULLED,) if image is not None and image.pull else ()) + _lifecycle_actions(wanted, observed, recreate)
    return Plan(actions, drifted, before, _after_view(wanted, observed, image, actions))


# --------------------------------------------------------------------------- creating


def create_request(settings: ContainerSettings, name: str, image: str) -> dict[str, t.Any]:
    """Keyword arguments of the SDK's ``create_container`` (``host_config`` as plain keys to add).

    Unset settings are left to the image and the engine, like ``docker run`` does.
    """
    host_config: dict[str, t.Any] = {"NetworkMode": settings.network_mode or "default"}
    if settings.volumes:
        host_config["Binds"] = [volume.text for volume in settings.volumes if volume.source]
    if settings.published_ports:
        host_config["PortBindings"] = port_bindings_to_engine(settings.published_ports)
    if settings.restart_policy is not None:
        host_config["RestartPolicy"] = {"Name": "" if settings.restart_policy == "no" else settings.restart_policy,
                                        "MaximumRetryCount": settings.restart_retries or 0}
    if settings.init is not None:
        host_config["Init"] = settings.init
    host_config.update(_isolation_request(settings))
    ports = sorted({binding.container_port for binding in settings.published_ports or ()})
    request: dict[str, t.Any] = {
        "image": image,
        "name": name,
        "command": list(settings.command) if settings.command is not None else None,
        # An empty entrypoint clears the image's; None keeps it.
        "entrypoint": list(settings.entrypoint) if settings.entrypoint is not None else None,
        "environment": env_list(settings.env) if settings.env else None,
        "labels": dict(settings.labels) if settings.labels else None,
        "ports": [tuple(port.split("/")) for port in ports] or None,
        "volumes": [volume.target for volume in settings.volumes or () if not volume.source] or None,
        "stdin_open": bool(settings.interactive),
        "tty": bool(settings.tty),
        "detach": True,
        "host_config": host_config,
    }
    return request


def _isolation_request(settings: ContainerSettings) -> dict[str, t.Any]:
    """The HostConfig keys of the isolation settings the task sets (as the engine stores them)."""
    keys: dict[str, t.Any] = {}
    if settings.privileged is not None:
        keys["Privileged"] = settings.privileged
    for name, key in (("cap_add", "CapAdd"), ("cap_drop", "CapDrop"), ("security_opts", "SecurityOpt"),
                      ("device_cgroup_rules", "DeviceCgroupRules")):
        value = getattr(settings, name)
        if value:
            keys[key] = list(value)
    if settings.cgroupns_mode is not None:
        keys["CgroupnsMode"] = settings.cgroupns_mode
    if settings.tmpfs:
        keys["Tmpfs"] = tmpfs_to_engine(settings.tmpfs)
    return keys


# --------------------------------------------------------------------------- attached runs


def output_tail(lines: t.Sequence[str], count: int = 10) -> str:
    """The last lines of an output for a failure message, or a note that there was none."""
    tail = [line for line in lines if line.strip()][-count:]
    return " | ".join(tail) if tail else "(no output)"


# Output lines can carry a timestamp a few milliseconds older than the StartedAt the engine records
# for their run; a previous run ends long before (at least one engine round trip).
START_SLACK_NS = 50_000_000
_LOG_TIME_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$")


def engine_time_ns(stamp: str | None) -> int | None:
    """An engine timestamp (RFC 3339, UTC, up to nanoseconds) as integer nanoseconds since the epoch."""
    match = _LOG_TIME_RE.match(stamp or "")
    if match is None or stamp.startswith("0001-"):
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    return seconds * 1_000_000_000 + int((match.group(7) or "0").ljust(9, "0"))


def split_output(raw: bytes | str, tty: bool, after_ns: int | None = None) -> list[str]:
    """Lines of ``docker logs --timestamps`` output, without the stamps, keeping those later than ``after_ns``."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if tty:
        text = text.replace("\r\n", "\n")
    lines = []
    for line in text.splitlines():
        stamp, _space, content = line.partition(" ")
        moment = engine_time_ns(stamp)
        if moment is None:
            lines.append(line)  # not stamped: keep it whole
        elif after_ns is None or moment > after_ns:
            lines.append(content)
    return lines
