# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing and normalising the isolation settings of tidy.docker.container, without an engine.

The "stored as" cases are what Docker 20.10.24 (API 1.41) returned in HostConfig for
values sent through the API: it keeps them verbatim, so both sides are normalised.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_isolation import (
    LINUX_CAPABILITIES,
    Tmpfs,
    engine_added_security_opts,
    normalise_capability,
    normalise_device_rule,
    normalise_security_opt,
    parse_capabilities,
    parse_cgroupns_mode,
    parse_device_rules,
    parse_security_opts,
    parse_tmpfs,
    parse_tmpfs_spec,
    podman_capability_views,
    relevant_security_opts,
    tmpfs_from_engine,
    tmpfs_to_engine,
)


def invalid(call: t.Callable[[], t.Any]) -> str:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value.message


# ---------------------------------------------------------------- capabilities


@pytest.mark.parametrize(("name", "canonical"), [
    ("SYS_ADMIN", "CAP_SYS_ADMIN"),
    ("sys_admin", "CAP_SYS_ADMIN"),
    ("Cap_Sys_Admin", "CAP_SYS_ADMIN"),
    (" CAP_NET_RAW ", "CAP_NET_RAW"),
    ("all", "ALL"),
    ("ALL", "ALL"),
    ("perfmon", "CAP_PERFMON"),
], ids=repr)
def test_capabilities_normalise_to_the_cap_prefixed_upper_case_name(name, canonical):
    assert normalise_capability(name, "cap_add") == canonical


def test_a_capability_list_is_a_sorted_set():
    assert parse_capabilities(["net_raw", "CAP_NET_RAW", "all", "Sys_Admin"], "cap_add") == (
        "ALL", "CAP_NET_RAW", "CAP_SYS_ADMIN")
    assert parse_capabilities([], "cap_drop") == ()
    assert parse_capabilities(None, "cap_drop") is None


@pytest.mark.parametrize(("option", "name"), [
    ("cap_add", "SYS_ADMN"),
    ("cap_drop", "CAP_"),
    ("cap_add", ""),
    ("cap_drop", "everything"),
], ids=repr)
def test_unknown_capabilities_name_the_option_the_value_and_the_fix(option, name):
    assert invalid(lambda: parse_capabilities([name], option)) == (
        f"{option}: {name!r} is not a Linux capability; use a name such as SYS_ADMIN or NET_ADMIN (any case, with "
        "or without CAP_), or ALL.")


def test_what_the_engine_stores_is_read_without_judging():
    # Docker 20.10 keeps CapAdd as sent: ["sys_admin", "cap_net_admin", "Net_Raw"], CapDrop ["all"].
    assert parse_capabilities(["sys_admin", "cap_net_admin", "Net_Raw"], "cap_add", strict=False) == (
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_SYS_ADMIN")
    assert parse_capabilities(["all"], "cap_drop", strict=False) == ("ALL",)
    assert parse_capabilities(["CAP_FUTURE_THING"], "cap_add", strict=False) == ("CAP_FUTURE_THING",)


def test_the_capability_list_has_every_name_of_capabilities_7():
    # 41 names up to CHECKPOINT_RESTORE (Linux 5.9); a typo in the table would refuse a real capability.
    assert len(LINUX_CAPABILITIES) == 41
    assert {"SYS_RESOURCE", "SYS_ADMIN", "NET_ADMIN", "MKNOD", "AUDIT_READ", "BPF"} <= LINUX_CAPABILITIES
    assert all(name == name.upper() and not name.startswith("CAP_") for name in LINUX_CAPABILITIES)


# Podman 4.3.1's answers (HostConfig.CapAdd / CapDrop) for containers created through its compatible API with
# its built-in default set (the one /libpod/info names when containers.conf sets none), on a machine whose
# bounding set lacks SYS_RESOURCE: it reports the capability set as a difference from the defaults.
PODMAN_DEFAULTS = ["CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD",
                   "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
                   "CAP_SYS_CHROOT"]
REPORTED_DEFAULTS = [name[4:] for name in PODMAN_DEFAULTS]
# cap_add: [ALL] there: every capability beyond the defaults Podman could grant, which on this machine lacks
# SYS_RESOURCE (SANDBOX_ALL); on a host with a full bounding set it has it too (REPORTED_ALL).
SANDBOX_ALL = [
    "AUDIT_CONTROL", "AUDIT_READ", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "DAC_READ_SEARCH", "IPC_LOCK",
    "IPC_OWNER", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "NET_ADMIN", "NET_BROADCAST",
    "PERFMON", "SYSLOG", "SYS_ADMIN", "SYS_BOOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE",
    "SYS_RAWIO", "SYS_TIME", "SYS_TTY_CONFIG", "WAKE_ALARM",
]
REPORTED_ALL = sorted(SANDBOX_ALL + ["SYS_RESOURCE"])


def podman_views(reported: tuple[list[str], list[str]], add: list[str] | None, drop: list[str] | None,
                 defaults: t.Sequence[str] | None = None, privileged: bool = False) -> tuple[list[str], list[str]]:
    defaults = PODMAN_DEFAULTS if defaults is None else defaults
    views = podman_capability_views(reported[0], reported[1], defaults, parse_capabilities(add, "cap_add"),
                                    parse_capabilities(drop, "cap_drop"), privileged)
    return list(views[0]), list(views[1])


@pytest.mark.parametrize(("reported", "add", "drop"), [
    (([], REPORTED_DEFAULTS), None, ["ALL"]),
    (([], REPORTED_DEFAULTS), [], ["all"]),
    ((["NET_ADMIN"], REPORTED_DEFAULTS), ["net_admin"], ["ALL"]),
    (([], [name for name in REPORTED_DEFAULTS if name != "CHOWN"]), ["CHOWN"], ["ALL"]),
    (([], ["MKNOD"]), None, ["mknod"]),
    (([], []), ["CHOWN"], None),
    (([], []), None, ["SYS_ADMIN"]),
    ((["NET_ADMIN", "SYS_ADMIN"], ["MKNOD"]), ["net_admin", "CAP_SYS_ADMIN"], ["mknod"]),
    ((REPORTED_ALL, []), ["ALL"], None),
    ((SANDBOX_ALL, []), ["ALL"], ["SYS_RESOURCE"]),
    (([name for name in REPORTED_ALL if name != "SYS_ADMIN"], ["MKNOD"]), ["ALL"], ["SYS_ADMIN", "MKNOD"]),
    # a kernel before 5.8: Podman's ALL lacks the three newest
    (([name for name in REPORTED_ALL if name not in ("BPF", "PERFMON", "CHECKPOINT_RESTORE")], []), ["ALL"], None),
], ids=["drop ALL", "drop ALL, add nothing", "drop ALL, add one", "drop ALL, keep a default", "drop a default",
        "add a default", "drop a non-default", "add and drop", "add ALL", "add ALL, drop one it lacks",
        "add ALL, drop two", "add ALL, old kernel"])
def test_podman_reports_capabilities_as_a_difference_from_its_defaults_and_they_read_as_the_task(reported, add, drop):
    """Measured on Podman 4.3.1: each container made from the task reads back as the task (no drift)."""
    assert podman_views(reported, add, drop) == ([] if add is None else list(parse_capabilities(add, "cap_add") or ()),
                                                 [] if drop is None else list(parse_capabilities(drop, "cap_drop") or ()))


@pytest.mark.parametrize(("reported", "add", "drop", "views"), [
    # the repeat of the test target's steps: from [NET_ADMIN, SYS_ADMIN] minus MKNOD ...
    ((["NET_ADMIN", "SYS_ADMIN"], ["MKNOD"]), ["net_admin"], ["mknod"], (["CAP_NET_ADMIN", "CAP_SYS_ADMIN"], ["CAP_MKNOD"])),
    ((["NET_ADMIN"], ["MKNOD"]), ["net_admin"], ["ALL"], (["CAP_NET_ADMIN"], ["CAP_MKNOD"])),
    ((["NET_ADMIN"], REPORTED_DEFAULTS), ["ALL"], ["sys_resource"], (["CAP_NET_ADMIN"], ["ALL"])),
    # ALL dropped, now CHOWN kept: CHOWN, a default, is no addition; the drop shows the container lacks it
    (([], REPORTED_DEFAULTS), ["CHOWN"], ["ALL"], (["CAP_CHOWN"], PODMAN_DEFAULTS)),
    (([], ["MKNOD"]), None, ["ALL"], ([], ["CAP_MKNOD"])),
    # one capability short of ALL is not ALL
    (([name for name in REPORTED_ALL if name != "SYS_ADMIN"], []), ["ALL"], None,
     ([f"CAP_{name}" for name in REPORTED_ALL if name != "SYS_ADMIN"], [])),
    (([], []), ["ALL"], None, ([], [])),
    # where Podman's own bounding set lacks SYS_RESOURCE, ALL alone cannot be told from all but it
    ((SANDBOX_ALL, []), ["ALL"], None, ([f"CAP_{name}" for name in SANDBOX_ALL], [])),
], ids=["fewer added", "one default dropped, not all", "ALL added after ALL dropped", "a default kept",
        "one default dropped", "all but SYS_ADMIN", "nothing added",
        "ALL where the engine lacks one"])
def test_podman_capabilities_that_differ_from_the_task_read_as_reported(reported, add, drop, views):
    got = podman_views(reported, add, drop)
    assert (got[0] if add is not None else views[0], got[1] if drop is not None else views[1]) == views


# containers.conf with default_capabilities = [CHOWN, KILL, NET_RAW]: /libpod/info names those three, and
# a container made with them reports CapDrop of the other 11 of the fixed base (measured, Podman 4.3.1).
CONF_DEFAULTS = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"]
CONF_OTHERS = [name for name in REPORTED_DEFAULTS if f"CAP_{name}" not in CONF_DEFAULTS]


@pytest.mark.parametrize(("reported", "add", "drop", "views"), [
    (([], CONF_OTHERS), None, ["mknod"], ([], ["CAP_MKNOD"])),
    (([], CONF_OTHERS), ["chown"], None, (["CAP_CHOWN"], [])),
    (([], REPORTED_DEFAULTS), None, ["ALL"], ([], ["ALL"])),
    ((["NET_ADMIN"], REPORTED_DEFAULTS), ["net_admin"], ["ALL"], (["CAP_NET_ADMIN"], ["ALL"])),
    # MKNOD, no default there, added: held beyond the defaults, though within the base Podman reports against
    (([], [name for name in CONF_OTHERS if name != "MKNOD"]), ["mknod"], None, (["CAP_MKNOD"], [])),
    # drift: made with the defaults, the task drops them all
    (([], CONF_OTHERS), None, ["ALL"], ([], [])),
    (([], CONF_OTHERS), ["mknod"], None, ([], [])),
], ids=["drop a non-default", "add a default", "drop ALL", "drop ALL, add one", "add a base capability",
        "drift: drop ALL", "drift: add MKNOD"])
def test_podman_default_set_comes_from_the_engine_and_its_report_from_a_fixed_base(reported, add, drop, views):
    """containers.conf names the defaults a container gets; Podman's inspect reports against its fixed base."""
    got = podman_views(reported, add, drop, CONF_DEFAULTS)
    assert (got[0] if add is not None else views[0], got[1] if drop is not None else views[1]) == views


def test_a_privileged_podman_container_holds_every_capability_and_its_lists_are_not_compared():
    """Podman reports a privileged container against all capabilities (CapDrop: SYS_RESOURCE here)."""
    views = podman_views(([], ["SYS_RESOURCE"]), ["NET_ADMIN"], ["MKNOD"], privileged=True)
    assert views == (["CAP_NET_ADMIN"], ["CAP_MKNOD"])


# ---------------------------------------------------------------- security options


@pytest.mark.parametrize(("spec", "canonical"), [
    ("seccomp=unconfined", "seccomp=unconfined"),
    ("apparmor=unconfined", "apparmor=unconfined"),
    ("apparmor:unconfined", "apparmor=unconfined"),
    ("APPARMOR=docker-default", "apparmor=docker-default"),
    ("label=disable", "label=disable"),
    ("label:user:system_u", "label=user:system_u"),
    ("label=type:svirt_apache_t", "label=type:svirt_apache_t"),
    ("no-new-privileges", "no-new-privileges=true"),
    ("no-new-privileges=true", "no-new-privileges=true"),
    ("no-new-privileges:1", "no-new-privileges=true"),
    ("no-new-privileges=False", "no-new-privileges=false"),
    ('seccomp={"defaultAction": "SCMP_ACT_ALLOW"}', 'seccomp={"defaultAction": "SCMP_ACT_ALLOW"}'),
], ids=repr)
def test_security_opts_normalise_to_key_equals_value(spec, canonical):
    assert normalise_security_opt(spec) == canonical


@pytest.mark.parametrize(("spec", "problem", "fix"), [
    ("seccomp", "is not KEY=VALUE",
     "use forms such as seccomp=unconfined, apparmor=unconfined or no-new-privileges"),
    ("systempaths=unconfined", "has unknown key 'systempaths'",
     "use seccomp=unconfined, apparmor=PROFILE, label=disable (or another label), or no-new-privileges"),
    ("apparmor=", "has no value", "write it as apparmor=VALUE"),
    ("no-new-privileges=yes", "is not true or false",
     "write no-new-privileges, or no-new-privileges=true or =false"),
    ("seccomp=/etc/docker/seccomp.json", "names a file, which the engine does not read",
     "give seccomp=unconfined, or the profile's JSON text after seccomp="),
    ("seccomp={not json", "has a profile that is not JSON (Expecting property name enclosed in double quotes: "
                          "line 1 column 2 (char 1))", "give the profile's JSON text after seccomp="),
], ids=repr)
def test_bad_security_opts_name_the_value_and_the_fix(spec, problem, fix):
    assert invalid(lambda: parse_security_opts([spec])) == f"security_opts: {spec!r} {problem}; {fix}."


def test_security_opts_are_a_set():
    assert parse_security_opts(["apparmor:unconfined", "seccomp=unconfined", "apparmor=unconfined"]) == (
        "apparmor=unconfined", "seccomp=unconfined")
    assert parse_security_opts(["whatever"], strict=False) == ("whatever",)


@pytest.mark.parametrize(("host_config", "added"), [
    ({"Privileged": True}, {"label=disable"}),
    ({"PidMode": "host"}, {"label=disable"}),
    ({"IpcMode": "host"}, {"label=disable"}),
    ({"Privileged": False, "IpcMode": "private", "PidMode": ""}, set()),
    ({}, set()),
], ids=repr)
def test_the_engine_labels_privileged_and_host_namespace_containers(host_config, added):
    assert engine_added_security_opts(host_config) == added


def test_an_engine_added_entry_counts_only_when_the_task_lists_it():
    stored = ("label=disable", "seccomp=unconfined")
    added = frozenset(("label=disable",))
    assert relevant_security_opts(stored, added, ["seccomp=unconfined"]) == ["seccomp=unconfined"]
    assert relevant_security_opts(stored, added, ["label=disable"]) == ["label=disable", "seccomp=unconfined"]
    # on a container that is not privileged, the same entry is the user's and counts
    assert relevant_security_opts(stored, frozenset(), []) == ["label=disable", "seccomp=unconfined"]


# ---------------------------------------------------------------- device cgroup rules


@pytest.mark.parametrize(("spec", "canonical"), [
    ("a *:* rwm", "a *:* rwm"),
    ("c 1:3 mr", "c 1:3 rm"),
    ("  c  10:200   wr ", "c 10:200 rw"),
    ("b 8:* m", "b 8:* m"),
], ids=repr)
def test_device_rules_normalise(spec, canonical):
    assert normalise_device_rule(spec) == canonical


@pytest.mark.parametrize("spec", ["x 1:3 mr", "a *:* rwx", "c 1 rw", "a", "", "c 1:3"])
def test_bad_device_rules_are_refused_before_the_engine_would_at_start(spec):
    assert invalid(lambda: parse_device_rules([spec])) == (
        f"device_cgroup_rules: {spec!r} is not a device cgroup rule; use TYPE MAJOR:MINOR ACCESS with TYPE a, b or c, "
        "numbers or *, and ACCESS of r, w, m, for example 'a *:* rwm' or 'c 10:200 rwm'.")


def test_device_rules_are_a_sorted_set():
    assert parse_device_rules(["c 1:3 mr", "a *:* rwm", "c 1:3 rm"]) == ("a *:* rwm", "c 1:3 rm")


# ---------------------------------------------------------------- tmpfs


@pytest.mark.parametrize(("spec", "mount", "text"), [
    ("/run", Tmpfs("/run"), "/run"),
    ("/tmp:size=64m", Tmpfs("/tmp", ("size=64m",)), "/tmp:size=64m"),
    ("/tmp/:mode=1777,size=64m", Tmpfs("/tmp", ("mode=1777", "size=64m")), "/tmp:mode=1777,size=64m"),
    ("/tmp:size=64m,mode=1777", Tmpfs("/tmp", ("mode=1777", "size=64m")), "/tmp:mode=1777,size=64m"),
    ("/tmp:rw,noexec", Tmpfs("/tmp", ("noexec",)), "/tmp:noexec"),
    ("/cache:ro,uid=1000,gid=1000,nr_inodes=10k", Tmpfs("/cache", ("gid=1000", "nr_inodes=10k", "ro", "uid=1000")),
     "/cache:gid=1000,nr_inodes=10k,ro,uid=1000"),
], ids=repr)
def test_tmpfs_specs_normalise(spec, mount, text):
    parsed = parse_tmpfs_spec(spec)
    assert parsed == mount
    assert parsed.text == text


@pytest.mark.parametrize(("spec", "problem"), [
    ("run", "does not start with an absolute container path"),
    ("/tmp:bogus=1", "has unknown mount option 'bogus'"),
    ("/tmp:fast", "has unknown mount option 'fast'"),
    ("/tmp:size=abc", "has 'size=abc', an invalid size"),
    ("/tmp:mode=999", "has 'mode=999', an invalid mode"),
    ("/tmp:uid=root", "has 'uid=root', an invalid uid"),
], ids=repr)
def test_bad_tmpfs_specs_are_refused_before_the_engine_would_at_start(spec, problem):
    assert invalid(lambda: parse_tmpfs([spec])) == (
        f"tmpfs: {spec!r} {problem}; use /path or /path:option,... with options such as size=64m, mode=1777, uid=0, "
        "noexec, ro.")


def test_tmpfs_both_ro_and_rw_and_two_on_one_path_are_refused():
    assert invalid(lambda: parse_tmpfs(["/tmp:ro,rw"])) == "tmpfs: '/tmp:ro,rw' is both ro and rw; pick one of ro and rw."
    assert invalid(lambda: parse_tmpfs(["/tmp:size=1m", "/tmp/"])) == (
        "tmpfs: '/tmp/' mounts at /tmp like '/tmp:size=1m'; mount one tmpfs per container path.")


def test_tmpfs_goes_to_the_engine_as_a_map_and_comes_back_the_same():
    mounts = parse_tmpfs(["/tmp:size=64m,mode=1777", "/run"])
    engine = tmpfs_to_engine(mounts)
    assert engine == {"/run": "", "/tmp": "mode=1777,size=64m"}
    assert tmpfs_from_engine(engine) == mounts
    # as docker run --tmpfs /run --tmpfs /tmp:size=64m,mode=1777 stores it
    assert tmpfs_from_engine({"/tmp": "size=64m,mode=1777", "/run": ""}) == mounts
    assert tmpfs_from_engine(None) == ()


# ---------------------------------------------------------------- cgroup namespace


def test_cgroupns_mode_is_host_or_private():
    assert parse_cgroupns_mode("Host") == "host"
    assert parse_cgroupns_mode(None) is None
    assert invalid(lambda: parse_cgroupns_mode("shared")) == (
        "cgroupns_mode: 'shared' is not a cgroup namespace mode; use host (share the host's cgroup namespace) or "
        "private.")
