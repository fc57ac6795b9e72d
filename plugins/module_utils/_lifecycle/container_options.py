# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a ``tidy.docker.container`` task asks for: its options, validated and normalised.

Pure functions, no engine calls. ``wanted_from_params`` turns the module options into a
``WantedContainer``: command strings split like a shell, env as sorted ``KEY=VALUE``,
port specs in the engine's ``PortBindings`` form, volumes as binds, named or anonymous,
the isolation settings through ``container_isolation``. Every problem is one
``InvalidInput`` sentence, raised before anything changes.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import shlex
import typing as t
from dataclasses import dataclass, field

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._errors import invalid_option as _invalid
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_isolation import (
    Tmpfs,
    parse_capabilities,
    parse_cgroupns_mode,
    parse_device_rules,
    parse_security_opts,
    parse_tmpfs,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_logging import (
    parse_log_driver,
    parse_log_options,
)
from ansible_collections.tidy.docker.plugins.module_utils._units import parse_duration

STATES = ("present", "started", "stopped", "restarted", "absent")
PULL_POLICIES = ("missing", "always", "never")
RESTART_POLICIES = ("no", "always", "on-failure", "unless-stopped")
BUILTIN_NETWORK_MODES = frozenset(("default", "bridge", "host", "none"))
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
    log_driver: str | None = None
    log_options: t.Mapping[str, str] | None = None


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
    show_env_values: bool = False

    @property
    def attached(self) -> bool:
        """``detach: false``: run to completion and report exit code and output."""
        return not self.detach


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
            # A dict or list under env may hold a password: name its type, never its contents.
            shown = f"a {type(item).__name__}" if isinstance(item, (dict, list)) else repr(item)
            raise InvalidInput(
                f"{option}: the value of {key} is {shown}, not a string; quote it "
                f"(for example {key}: \"{str(item).lower() if isinstance(item, bool) else ''}\") so the container "
                "gets exactly that text.", option=option, value=None if option == "env" else item)
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
    return tuple(sorted({binding for spec in specs for binding in parse_port(spec)}))


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


def clean_path(path: str) -> str:
    return posixpath.normpath(path) if path.startswith("/") else path


def _check_volume(spec: t.Any, source: str, target: str, option_list: list[str], fix: str) -> None:
    """Judge a volume spec the task gives, before anything changes."""
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
        _check_volume(spec, source, target, option_list, fix)
    # rw is the default: the same mount with or without it.
    cleaned = tuple(sorted({option for option in option_list if option != "rw"}))
    return Volume(target=clean_path(target), source=clean_path(source), options=cleaned)


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
        if retries > MAX_RESTART_RETRIES:  # the engine keeps it in an int32 and answers a raw 500 beyond
            raise _invalid("restart_retries", retries, "is out of range",
                           f"give the number of restarts to try, 0 (no limit) to {MAX_RESTART_RETRIES:,}")
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
    log_driver = parse_log_driver(params.get("log_driver"))
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
        log_driver=log_driver,
        log_options=parse_log_options(params.get("log_options"), log_driver),
    )


def _check_mount_points(volumes: t.Iterable[Volume], tmpfs: t.Iterable[Tmpfs]) -> None:
    """The engine refuses two mounts at one path only when creating, after a recreation removed the old container."""
    volume_at = {volume.target: volume.text for volume in volumes}
    for mount in tmpfs:
        if mount.target in volume_at:
            raise _invalid("tmpfs", mount.text, f"mounts at {mount.target} like volume {volume_at[mount.target]!r}",
                           "mount either a volume or a tmpfs at a container path, not both")


# Far below the engine's int32 and far above any restart count anyone means.
MAX_RESTART_RETRIES = 1_000_000


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
        show_env_values=params.get("show_env_values") is True,
    )
