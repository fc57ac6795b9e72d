# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Isolation settings of ``tidy.docker.container``: what a "host in a container" needs.

Capabilities, security options, device cgroup rules, the cgroup namespace, tmpfs
mounts and privileged mode, each in one canonical form so that the task's
spelling and the engine's stored value compare equal when they mean the same.

Docker 20.10 (API 1.41) stores these fields of ``HostConfig`` exactly as the
client sent them (``CapAdd: ["sys_admin"]`` stays lower case and without
``CAP_``), and it accepts several of them at create time only to refuse them at
start (a bad tmpfs option, a malformed device rule, a seccomp file path). So
every value is checked here, before anything changes, and both sides of a
comparison go through the same normaliser (``strict=False`` for what the
engine stores: read, never judged).
"""

from __future__ import annotations

import json
import posixpath
import re
import typing as t
from dataclasses import dataclass

from ansible_collections.tidy.docker.plugins.module_utils._errors import invalid_option
from ansible_collections.tidy.docker.plugins.module_utils._podman import PODMAN_REPORT_BASE

CGROUPNS_MODES = ("host", "private")
ALL_CAPABILITIES = "ALL"

# Linux capabilities by name (capability(7)). Docker 20.10 knows all but the last three, which newer
# engines accept; the engine stays the judge of those, this list catches typos before anything changes.
LINUX_CAPABILITIES = frozenset((
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
    "PERFMON", "BPF", "CHECKPOINT_RESTORE",
))
# Docker 20.10 (API 1.41) refuses these when creating ("unknown capability"), verified on 20.10.24. Refusing them
# before anything changes matters: a recreation has already removed the old container when the create fails.
NEWER_THAN_DOCKER_20_10 = frozenset(("CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"))
DOCKER_20_10_API = (1, 41)

# The keys the engine's API takes in SecurityOpt. ``systempaths=unconfined`` is a docker CLI shorthand
# that the 20.10 engine refuses, so it is not offered.
SECURITY_OPT_KEYS = ("apparmor", "label", "no-new-privileges", "seccomp")
# Go's strconv.ParseBool, which the engine applies to no-new-privileges.
_GO_TRUE = frozenset(("1", "t", "T", "TRUE", "true", "True"))
_GO_FALSE = frozenset(("0", "f", "F", "FALSE", "false", "False"))
# The engine adds this itself to privileged containers and those sharing the host's PID or IPC namespace.
ENGINE_ADDED_SECURITY_OPT = "label=disable"

# The engine's own rule format: type, major:minor, access.
_DEVICE_RULE_RE = re.compile(r"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")

# What the engine's tmpfs parser accepts: mount flags, and the data options below with their value forms.
_TMPFS_FLAGS = frozenset((
    "ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev", "sync", "async", "dirsync", "mand", "nomand",
    "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime", "strictatime", "nostrictatime",
    "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
))
_TMPFS_DATA = {
    "size": re.compile(r"^[0-9]+[kmgKMG%]?$"),
    "nr_blocks": re.compile(r"^[0-9]+[kmgKMG%]?$"),
    "nr_inodes": re.compile(r"^[0-9]+[kmgKMG%]?$"),
    "mode": re.compile(r"^[0-7]{3,4}$"),
    "uid": re.compile(r"^[0-9]+$"),
    "gid": re.compile(r"^[0-9]+$"),
    "mpol": re.compile(r"^.+$"),
}
_TMPFS_FIX = "use /path or /path:option,... with options such as size=64m, mode=1777, uid=0, noexec, ro"


@dataclass(frozen=True, order=True)
class Tmpfs:
    """A tmpfs mount: ``target`` in the container and its mount options, sorted (their order has no meaning)."""

    target: str
    options: tuple[str, ...] = ()

    @property
    def engine_options(self) -> str:
        """The value of ``HostConfig.Tmpfs[target]``."""
        return ",".join(self.options)

    @property
    def text(self) -> str:
        """The ``--tmpfs`` form diffs show."""
        return f"{self.target}:{self.engine_options}" if self.options else self.target


# --------------------------------------------------------------------------- capabilities


def normalise_capability(name: t.Any, option: str, strict: bool = True) -> str:
    """``sys_admin``, ``CAP_SYS_ADMIN`` and ``Sys_Admin`` are all ``CAP_SYS_ADMIN``; ``all`` is ``ALL``."""
    text = str(name).strip().upper()
    if text == ALL_CAPABILITIES:
        return text
    bare = text[4:] if text.startswith("CAP_") else text
    if strict and bare not in LINUX_CAPABILITIES:
        raise invalid_option(option, name, "is not a Linux capability",
                             "use a name such as SYS_ADMIN or NET_ADMIN (any case, with or without CAP_), or ALL")
    return f"CAP_{bare}"


def parse_capabilities(values: t.Iterable[t.Any] | None, option: str,
                       strict: bool = True) -> tuple[str, ...] | None:
    """A capability list as a sorted set of canonical names; None when unset."""
    if values is None:
        return None
    return tuple(sorted({normalise_capability(value, option, strict) for value in values}))


def check_capabilities_known(cap_add: t.Iterable[str] | None, cap_drop: t.Iterable[str] | None,
                             engine_api: tuple[int, ...], docker_host: str) -> None:
    """Refuse capabilities the engine is known not to know, before anything changes (check mode too)."""
    if engine_api > DOCKER_20_10_API:
        return
    for option, names in (("cap_add", cap_add), ("cap_drop", cap_drop)):
        unknown = sorted(set(names or ()) & NEWER_THAN_DOCKER_20_10)
        if unknown:
            raise invalid_option(option, unknown[0], f"is not known to the engine at {docker_host} (API "
                                 f"{'.'.join(map(str, engine_api))}, Docker 20.10, knows none newer than AUDIT_READ)",
                                 f"drop it from {option}, or use a newer engine")


# Podman grants ``cap_add: [ALL]`` as every capability of its own bounding set, which on kernels before
# 5.8 (5.9 for CHECKPOINT_RESTORE) lacks these: a container given ALL there holds all but them.
MAY_BE_UNGRANTABLE = NEWER_THAN_DOCKER_20_10


def _capability_names(values: t.Iterable[t.Any]) -> frozenset[str]:
    return frozenset(normalise_capability(value, "capabilities", strict=False) for value in values)


def podman_capability_views(reported_add: t.Iterable[str], reported_drop: t.Iterable[str], defaults: t.Iterable[str],
                            wanted_add: t.Iterable[str] | None, wanted_drop: t.Iterable[str] | None,
                            privileged: bool = False,
                            report_base: t.Iterable[str] = PODMAN_REPORT_BASE) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A Podman container's ``cap_add`` and ``cap_drop`` in the task's terms, where they mean the same.

    Podman does not report the lists a container was created with but its capability set, as a
    difference from a fixed base (``report_base``): ``CapAdd`` what it holds beyond the base,
    ``CapDrop`` what of the base it lacks. The set is read back from that, and compared with the set
    the task's lists give on the engine's default set (``defaults``, containers.conf's, which
    may differ from the base): ``cap_add`` as the capabilities held beyond the defaults, ``cap_drop``
    as the defaults lacked. Where they match the task's, the task's own value is returned (no
    drift); else that reading, ``cap_drop`` as ``ALL`` when no default is held. A task's
    ``cap_add: [ALL]`` matches a container holding every known capability but those the task drops,
    allowing for the three that older kernels lack (``MAY_BE_UNGRANTABLE``). An unset list counts
    as empty. A privileged container holds every capability whatever the lists say, and Podman
    reports it against all of them, so its lists are not compared: the task's are returned.
    """
    add_view = tuple(sorted(_capability_names(wanted_add or ())))
    drop_view = tuple(sorted(_capability_names(wanted_drop or ())))
    if privileged:
        return add_view, drop_view
    default_set = _capability_names(defaults)
    held = (_capability_names(report_base) | _capability_names(reported_add)) - _capability_names(reported_drop)
    held_extra, lacked = held - default_set, default_set - held
    add, drop = frozenset(add_view), frozenset(drop_view)
    known = frozenset(f"CAP_{name}" for name in LINUX_CAPABILITIES)
    if ALL_CAPABILITIES in add:
        wanted_extra = known - default_set - drop
        add_matches = wanted_extra - MAY_BE_UNGRANTABLE <= held_extra <= wanted_extra
        wanted_lacked = default_set & drop
    else:
        wanted_held = add if ALL_CAPABILITIES in drop else (default_set | add) - drop
        add_matches = held_extra == wanted_held - default_set
        wanted_lacked = default_set - wanted_held
    # Shown as ALL when no default is held, unless the task says ALL too (and keeps a default the
    # container lacks): then the list itself, so that the drift shows.
    lacks_all = bool(default_set) and lacked == default_set and drop_view != (ALL_CAPABILITIES,)
    return (add_view if add_matches else tuple(sorted(held_extra)),
            drop_view if lacked == wanted_lacked else (ALL_CAPABILITIES,) if lacks_all else tuple(sorted(lacked)))


# --------------------------------------------------------------------------- security options


def _go_bool(text: str) -> str | None:
    if text in _GO_TRUE:
        return "true"
    if text in _GO_FALSE:
        return "false"
    return None


def _security_opt_problem(key: str, value: str) -> tuple[str, str] | None:
    """What is wrong with one ``key=value`` security option, as (problem, fix); None when it is fine."""
    if key not in SECURITY_OPT_KEYS:
        return (f"has unknown key {key!r}",
                "use seccomp=unconfined, apparmor=PROFILE, label=disable (or another label), or no-new-privileges")
    if not value:
        return "has no value", f"write it as {key}=VALUE"
    if key == "no-new-privileges" and _go_bool(value) is None:
        return "is not true or false", "write no-new-privileges, or no-new-privileges=true or =false"
    if key == "seccomp" and value != "unconfined":
        if not value.startswith("{"):
            return ("names a file, which the engine does not read",
                    "give seccomp=unconfined, or the profile's JSON text after seccomp=")
        try:
            json.loads(value)
        except ValueError as exc:
            return f"has a profile that is not JSON ({exc})", "give the profile's JSON text after seccomp="
    return None


def normalise_security_opt(spec: t.Any, strict: bool = True) -> str:
    """One security option as ``key=value``: ``apparmor:x`` (the old separator) is ``apparmor=x``,
    ``no-new-privileges`` alone is ``no-new-privileges=true``."""
    text = str(spec).strip()
    if text.lower() == "no-new-privileges":
        return "no-new-privileges=true"
    equals, colon = text.find("="), text.find(":")
    cut = equals if equals >= 0 and (colon < 0 or equals < colon) else colon
    if cut < 0:
        if strict:
            raise invalid_option("security_opts", spec, "is not KEY=VALUE",
                                 "use forms such as seccomp=unconfined, apparmor=unconfined or no-new-privileges")
        return text
    key, value = text[:cut].strip().lower(), text[cut + 1:].strip()
    problem = _security_opt_problem(key, value)
    if problem is not None:
        if strict:
            raise invalid_option("security_opts", spec, *problem)
        return text
    if key == "no-new-privileges":
        value = str(_go_bool(value))
    return f"{key}={value}"


def parse_security_opts(specs: t.Iterable[t.Any] | None, strict: bool = True) -> tuple[str, ...] | None:
    if specs is None:
        return None
    return tuple(sorted({normalise_security_opt(spec, strict) for spec in specs}))


def engine_added_security_opts(host_config: t.Mapping[str, t.Any]) -> frozenset[str]:
    """The entries the engine put into SecurityOpt on its own, as Docker 20.10 does."""
    shares_host = host_config.get("IpcMode") == "host" or host_config.get("PidMode") == "host"
    if host_config.get("Privileged") or shares_host:
        return frozenset((ENGINE_ADDED_SECURITY_OPT,))
    return frozenset()


def relevant_security_opts(actual: t.Iterable[str], engine_added: frozenset[str],
                           wanted: t.Iterable[str]) -> list[str]:
    """What the task answers for: the container's options minus those the engine added and the task did not ask for."""
    asked = set(wanted)
    return sorted(opt for opt in actual if opt in asked or opt not in engine_added)


# --------------------------------------------------------------------------- device cgroup rules


def normalise_device_rule(spec: t.Any, strict: bool = True) -> str:
    """``c 1:3 mr`` as ``c 1:3 rm``: single spaces, access letters in r, w, m order."""
    text = " ".join(str(spec).split())
    match = _DEVICE_RULE_RE.match(text)
    if match is None:
        if strict:
            raise invalid_option("device_cgroup_rules", spec, "is not a device cgroup rule",
                                 "use TYPE MAJOR:MINOR ACCESS with TYPE a, b or c, numbers or *, and ACCESS of r, w, "
                                 "m, for example 'a *:* rwm' or 'c 10:200 rwm'")
        return text
    kind, major, minor, access = match.groups()
    return f"{kind} {major}:{minor} {''.join(letter for letter in 'rwm' if letter in access)}"


def parse_device_rules(specs: t.Iterable[t.Any] | None, strict: bool = True) -> tuple[str, ...] | None:
    """Rules as a sorted set: each rule allows access, so their order makes no difference."""
    if specs is None:
        return None
    return tuple(sorted({normalise_device_rule(spec, strict) for spec in specs}))


# --------------------------------------------------------------------------- tmpfs


def _tmpfs_option_problem(option: str) -> str | None:
    key, equals, value = option.partition("=")
    if not equals:
        return None if option in _TMPFS_FLAGS else f"has unknown mount option {option!r}"
    pattern = _TMPFS_DATA.get(key)
    if pattern is None:
        return f"has unknown mount option {key!r}"
    if not pattern.match(value):
        return f"has {option!r}, an invalid {key}"
    return None


def parse_tmpfs_spec(spec: t.Any, strict: bool = True) -> Tmpfs:
    """``/run`` or ``/tmp:size=64m,mode=1777``; rw (the default) is dropped so it compares equal to nothing."""
    target, _colon, options = str(spec).strip().partition(":")
    listed = [option.strip() for option in options.split(",") if option.strip()]
    if strict:
        if not target.startswith("/"):
            raise invalid_option("tmpfs", spec, "does not start with an absolute container path", _TMPFS_FIX)
        for option in listed:
            problem = _tmpfs_option_problem(option)
            if problem is not None:
                raise invalid_option("tmpfs", spec, problem, _TMPFS_FIX)
        if "ro" in listed and "rw" in listed:
            raise invalid_option("tmpfs", spec, "is both ro and rw", "pick one of ro and rw")
    path = posixpath.normpath(target) if target.startswith("/") else target
    return Tmpfs(path, tuple(sorted({option for option in listed if option != "rw"})))


def parse_tmpfs(specs: t.Iterable[t.Any] | None) -> tuple[Tmpfs, ...] | None:
    if specs is None:
        return None
    mounts: dict[str, Tmpfs] = {}
    for spec in specs:
        mount = parse_tmpfs_spec(spec)
        if mount.target in mounts:
            raise invalid_option("tmpfs", spec, f"mounts at {mount.target} like {mounts[mount.target].text!r}",
                                 "mount one tmpfs per container path")
        mounts[mount.target] = mount
    return tuple(sorted(mounts.values()))


def tmpfs_from_engine(raw: t.Mapping[str, str] | None) -> tuple[Tmpfs, ...]:
    """HostConfig.Tmpfs (path -> options) back to mounts."""
    return tuple(sorted(parse_tmpfs_spec(f"{path}:{options}" if options else path, strict=False)
                        for path, options in (raw or {}).items()))


def tmpfs_to_engine(mounts: t.Iterable[Tmpfs]) -> dict[str, str]:
    return {mount.target: mount.engine_options for mount in mounts}


# --------------------------------------------------------------------------- cgroup namespace


def parse_cgroupns_mode(value: t.Any) -> str | None:
    if value is None:
        return None
    mode = str(value).strip().lower()
    if mode not in CGROUPNS_MODES:
        raise invalid_option("cgroupns_mode", value, "is not a cgroup namespace mode",
                             "use host (share the host's cgroup namespace) or private")
    return mode
