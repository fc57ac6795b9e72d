# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tidy.docker.container without an engine: option parsing, drift rules and planning.

The inspect data below follows what Docker 20.10.24 (API 1.41) returned for
``docker create`` of the seeded busybox image (CMD ["/bin/sh"], ENV PATH=...).
"""

from __future__ import annotations

import copy
import typing as t

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient
from ansible_collections.tidy.docker.plugins.module_utils._errors import Conflict, EngineError, InvalidInput, NotFound
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.attached_output import output_tail, split_output
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_create import create_request
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_observed import (
    ENGINE_DEFAULT_PATH,
    observe_container,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_options import (
    ContainerSettings,
    PortBinding,
    Volume,
    WantedContainer,
    parse_port,
    parse_ports,
    parse_volume,
    parse_volumes,
    port_bindings_to_engine,
    split_command,
    string_map,
    wanted_from_params,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_plan import (
    ImageFacts,
    compare,
    plan_container,
    predicted_state,
    state_view,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_run import (
    explain_create_failure,
    explain_start_failure,
)
from ansible_collections.tidy.docker.plugins.module_utils._references import split_reference

IMAGE_ID = "sha256:0f756168597616c98efff132d93128f5d55c688162ec53d99c759c1394039a9f"
OTHER_IMAGE_ID = "sha256:62787c94ba9e0e0bd1c6f4ed5a8c1e1e3c4ab8e1b47d06a0f5ae1bd6b0a3c8d2"
DIGEST = "sha256:c925e73908a0bcbb6d12c5d9bdb74d9622bbfffa6bfa27fcf8c1d6a522c1282c"
ZERO_TIME = "0001-01-01T00:00:00Z"


def image_inspect(env: list[str] | None = None, labels: dict[str, str] | None = None,
                  volumes: t.Iterable[str] = (), digests: t.Iterable[str] = ()) -> dict[str, t.Any]:
    """GET /images/{id}/json, trimmed to what the container module reads."""
    return {
        "Id": IMAGE_ID,
        "RepoDigests": list(digests),
        "Config": {"Env": env if env is not None else [f"PATH={ENGINE_DEFAULT_PATH}"], "Cmd": ["/bin/sh"],
                   "Labels": labels, "Volumes": {path: {} for path in volumes} or None},
    }


def container_inspect(status: str = "running", **overrides: t.Any) -> dict[str, t.Any]:
    """GET /containers/web/json as the engine answers after ``docker run -d --name web tidy-test/busybox sleep 300``."""
    running = status in ("running", "paused", "restarting")
    data: dict[str, t.Any] = {
        "Id": "a2a492437624502632f1ca60b891d3ac0012ff68a58411e19e0ceadd320f92f4",
        "Name": "/web",
        "Image": IMAGE_ID,
        "State": {"Status": status, "Running": running, "Paused": status == "paused",
                  "Restarting": status == "restarting", "ExitCode": 0 if status != "exited" else 3,
                  "StartedAt": "2026-11-27T22:25:23.481741Z" if status != "created" else ZERO_TIME,
                  "FinishedAt": ZERO_TIME},
        "Config": {"Image": "tidy-test/busybox:latest", "Cmd": ["sleep", "300"], "Entrypoint": None,
                   "Env": [f"PATH={ENGINE_DEFAULT_PATH}"], "Labels": {}, "Volumes": None, "OpenStdin": False,
                   "Tty": False},
        "HostConfig": {"Binds": None, "PortBindings": {}, "NetworkMode": "default",
                       "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "Init": None,
                       "Privileged": False, "CapAdd": None, "CapDrop": None, "SecurityOpt": None,
                       "DeviceCgroupRules": None, "CgroupnsMode": "host", "Tmpfs": None},
    }
    for path, value in overrides.items():
        section, _sep, key = path.partition("__")
        if key:
            data[section][key] = value
        else:
            data[section] = value
    return data


def observed(status: str = "running", image: dict[str, t.Any] | None = None, **overrides: t.Any):
    return observe_container(container_inspect(status, **overrides), image if image is not None else image_inspect())


def wanted(state: str = "started", **params: t.Any) -> WantedContainer:
    return wanted_from_params({"name": "web", "state": state, **params})


def facts(pull: bool = False, image_id: str | None = IMAGE_ID, digest: str | None = None,
          reference: str = "tidy-test/busybox:latest") -> ImageFacts:
    return ImageFacts(reference, pull, image_id, digest)


def invalid(call: t.Callable[[], t.Any]) -> str:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value.message


# ---------------------------------------------------------------- commands


@pytest.mark.parametrize(("value", "words"), [
    ("cal", ("cal",)),
    ('sh -c "while true; do echo hello; sleep 1; done"', ("sh", "-c", "while true; do echo hello; sleep 1; done")),
    (["sh", "-c", "while true; do echo hello; sleep 1; done"], ("sh", "-c", "while true; do echo hello; sleep 1; done")),
    ("echo 'a b'  c", ("echo", "a b", "c")),
    (["sleep", 300], ("sleep", "300")),
    (None, None),
], ids=repr)
def test_command_string_and_list_are_the_same_arguments(value, words):
    assert split_command(value, "command") == words


@pytest.mark.parametrize(("value", "message"), [
    ("", "command: '' is empty; leave command unset to run the image's default command."),
    ([], "command: [] is empty; leave command unset to run the image's default command."),
    ('sh -c "echo', "command: 'sh -c \"echo' cannot be split into arguments (No closing quotation); fix the "
                    "quoting, or give the arguments as a list."),
    ({"a": 1}, "command: {'a': 1} is neither a string nor a list; give a string such as \"sh -c 'echo hi'\" or a "
               "list of arguments."),
    (["sh", None], "command: ['sh', None] has an element that is not a string; give a list of strings, one per "
                   "argument."),
], ids=repr)
def test_bad_commands_are_one_sentence(value, message):
    assert invalid(lambda: split_command(value, "command")) == message


def test_an_empty_entrypoint_clears_the_image_one():
    assert split_command("", "entrypoint") == ()
    assert create_request(ContainerSettings(entrypoint=()), "web", "img")["entrypoint"] == []
    assert create_request(ContainerSettings(), "web", "img")["entrypoint"] is None


# ---------------------------------------------------------------- env and labels


def test_env_is_sorted_and_stringified():
    assert list(string_map({"B": 2, "A": "x", "C": 1.5}, "env").items()) == [("A", "x"), ("B", "2"), ("C", "1.5")]
    request = create_request(ContainerSettings(env={"B": "2", "A": "1"}), "web", "img")
    assert request["environment"] == ["A=1", "B=2"]


@pytest.mark.parametrize(("value", "message"), [
    ({"DEBUG": True}, "env: the value of DEBUG is True, not a string; quote it (for example DEBUG: \"true\") so the "
                      "container gets exactly that text."),
    ({"EMPTY": None}, "env: the value of EMPTY is None, not a string; quote it (for example EMPTY: \"\") so the "
                      "container gets exactly that text."),
    ({"A=B": "1"}, "env: 'A=B' is not a valid key; use a non-empty name without '='."),
    ({"": "1"}, "env: '' is not a valid key; use a non-empty name without '='."),
], ids=repr)
def test_bad_env_is_refused(value, message):
    assert invalid(lambda: string_map(value, "env")) == message


# ---------------------------------------------------------------- ports


@pytest.mark.parametrize(("spec", "bindings"), [
    ("80", [PortBinding("80/tcp")]),
    (80, [PortBinding("80/tcp")]),
    ("80/udp", [PortBinding("80/udp")]),
    ("8080:80", [PortBinding("80/tcp", "", "8080")]),
    ("8080:80/tcp", [PortBinding("80/tcp", "", "8080")]),
    ("127.0.0.1:8080:80/udp", [PortBinding("80/udp", "127.0.0.1", "8080")]),
    ("127.0.0.1::80", [PortBinding("80/tcp", "127.0.0.1", "")]),
    ("[::1]:8080:80", [PortBinding("80/tcp", "::1", "8080")]),
    ("[::1]::80/sctp", [PortBinding("80/sctp", "::1", "")]),
    ("8000-8001:80-81", [PortBinding("80/tcp", "", "8000"), PortBinding("81/tcp", "", "8001")]),
    ("80-81", [PortBinding("80/tcp"), PortBinding("81/tcp")]),
], ids=repr)
def test_port_specs_normalise(spec, bindings):
    assert parse_port(spec) == bindings


@pytest.mark.parametrize(("spec", "problem"), [
    ("http", "has 'http' where a port number or range belongs"),
    ("8080:80/quic", "has protocol 'quic'"),
    ("70000:80", "has port '70000' outside 1-65535"),
    ("0:80", "has port '0' outside 1-65535"),
    ("localhost:8080:80", "has 'localhost' where a host IP address belongs"),
    ("1:2:3:4", "has too many colons"),
    ("8000-8002:80-81", "maps ranges of different lengths"),
    ("[::1:8080:80", "has an unterminated IPv6 address"),
    ("81-80", "has port '81-80' outside 1-65535"),
], ids=repr)
def test_bad_port_specs_name_the_spec_and_the_fix(spec, problem):
    message = invalid(lambda: parse_port(spec))
    assert message.startswith(f"published_ports: {spec!r} {problem}; ")
    assert message.endswith(".")


def test_ports_become_the_engine_form_and_back():
    bindings = parse_ports(["8080:80", "127.0.0.1:9090:90/udp", "81", "8081:80"])
    engine = port_bindings_to_engine(bindings)
    assert engine == {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}, {"HostIp": "", "HostPort": "8081"}],
        "81/tcp": [{"HostIp": "", "HostPort": ""}],
        "90/udp": [{"HostIp": "127.0.0.1", "HostPort": "9090"}],
    }
    request = create_request(ContainerSettings(published_ports=bindings), "web", "img")
    assert request["ports"] == [("80", "tcp"), ("81", "tcp"), ("90", "udp")]
    assert request["host_config"]["PortBindings"] == engine
    assert [binding.text for binding in bindings] == ["8080:80/tcp", "8081:80/tcp", "81/tcp", "127.0.0.1:9090:90/udp"]


# ---------------------------------------------------------------- volumes


@pytest.mark.parametrize(("spec", "volume", "kind"), [
    ("/srv/conf:/etc/app:ro", Volume("/etc/app", "/srv/conf", ("ro",)), "bind"),
    ("/srv/conf/:/etc/app/", Volume("/etc/app", "/srv/conf"), "bind"),
    ("/srv/conf:/etc/app:rw", Volume("/etc/app", "/srv/conf"), "bind"),
    ("/srv/conf:/etc/app:z,ro", Volume("/etc/app", "/srv/conf", ("ro", "z")), "bind"),
    ("data:/data", Volume("/data", "data"), "volume"),
    ("data:/data:nocopy", Volume("/data", "data", ("nocopy",)), "volume"),
    ("/data", Volume("/data"), "anonymous"),
], ids=repr)
def test_volume_specs_normalise(spec, volume, kind):
    parsed = parse_volume(spec)
    assert parsed == volume
    assert parsed.kind == kind


@pytest.mark.parametrize(("spec", "problem"), [
    ("data", "mounts at 'data', which is not an absolute container path"),
    ("./conf:/etc/app", "has source './conf', which is neither an absolute host path nor a volume name"),
    ("~/conf:/etc/app", "has source '~/conf', which is neither an absolute host path nor a volume name"),
    ("/a:/b:ro:x", "is not a volume"),
    ("/a::ro", "is not a volume"),
    ("/a:/b:readonly", "has unknown mount option 'readonly'"),
    ("/a:/b:ro,rw", "is both ro and rw"),
], ids=repr)
def test_bad_volume_specs_name_the_spec_and_the_fix(spec, problem):
    assert invalid(lambda: parse_volume(spec)).startswith(f"volumes: {spec!r} {problem}; ")


def test_two_volumes_on_one_path_are_refused():
    assert invalid(lambda: parse_volumes(["ab:/data", "/data"])) == (
        "volumes: '/data' mounts at /data like 'ab:/data'; mount one volume per container path.")


def test_binds_and_named_volumes_go_to_binds_anonymous_ones_to_volumes():
    request = create_request(ContainerSettings(volumes=parse_volumes(["/srv:/srv:ro", "data:/data", "/cache"])),
                             "web", "img")
    assert request["host_config"]["Binds"] == ["data:/data", "/srv:/srv:ro"]
    assert request["volumes"] == ["/cache"]


# ---------------------------------------------------------------- other options


@pytest.mark.parametrize(("params", "message"), [
    ({"name": "bad name"}, "name: 'bad name' is not a container name; use letters, digits and _ . - starting with a "
                           "letter or digit."),
    ({"state": "stopped", "detach": False}, "detach: False runs the container to completion, which state stopped "
                                            "does not do; use state started or restarted with detach: false, or "
                                            "drop detach."),
    ({"wait_timeout": 30}, "wait_timeout: 30 only bounds attached runs; set detach: false to run the container to "
                           "completion, or drop wait_timeout."),
    ({"detach": False, "wait_timeout": "soon"}, "wait_timeout: 'soon' is not a duration; use a whole number of "
                                                "seconds or units s, m, h, d, w such as 30s, 15m, 12h, 7d, 2w or "
                                                "1d12h."),
    ({"detach": False, "wait_timeout": 0}, "wait_timeout: 0 is not a positive duration; give seconds (such as 30) "
                                           "or a duration such as 5m."),
    ({"stop_timeout": -1}, "stop_timeout: -1 is negative; use a whole number of seconds or units s, m, h, d, w such "
                           "as 30s, 15m, 12h, 7d, 2w or 1d12h."),
    ({"restart_policy": "always", "restart_retries": 3}, "restart_retries: 3 needs restart_policy on-failure, not "
                                                         "'always'; set restart_policy: on-failure, or drop "
                                                         "restart_retries."),
    ({"network_mode": ""}, "network_mode: '' names no network; use default, bridge, host, none, container:NAME or "
                           "a network from docker network ls."),
    ({"image": " "}, "image: ' ' is empty; give an image reference such as busybox:1.36, or leave image unset."),
], ids=lambda value: str(value)[:40])
def test_bad_options_fail_with_one_sentence(params, message):
    assert invalid(lambda: wanted_from_params({"name": "web", **params})) == message


def test_durations_are_accepted_for_timeouts():
    parsed = wanted(detach=False, wait_timeout="2m", stop_timeout="5s")
    assert (parsed.wait_timeout, parsed.stop_timeout) == (120, 5)


@pytest.mark.parametrize(("reference", "split"), [
    ("busybox", ("busybox", "latest")),
    ("busybox:1.36", ("busybox", "1.36")),
    ("127.0.0.1:5031/c3/bb", ("127.0.0.1:5031/c3/bb", "latest")),
    ("127.0.0.1:5031/c3/bb:1", ("127.0.0.1:5031/c3/bb", "1")),
    (f"busybox@{DIGEST}", ("busybox", DIGEST)),
])
def test_references_split_into_repository_and_tag(reference, split):
    assert split_reference(reference) == split


# ---------------------------------------------------------------- drift


def drifted(params: dict[str, t.Any], image_facts: ImageFacts | None = None, image: dict | None = None,
            **overrides: t.Any) -> list[str]:
    return [drift.setting for drift in compare(wanted(**params).settings, observed(image=image, **overrides),
                                               image_facts)]


@pytest.mark.parametrize(("params", "overrides", "image", "expected"), [
    # env: order never matters; the image's own variables are not drift; removing an own one is
    ({"env": {"B": "2", "A": "1"}}, {"Config__Env": ["A=1", "B=2", f"PATH={ENGINE_DEFAULT_PATH}"]}, None, []),
    ({"env": {"A": "1", "B": "2"}}, {"Config__Env": ["B=2", f"PATH={ENGINE_DEFAULT_PATH}", "A=1"]}, None, []),
    ({"env": {"A": "1"}}, {"Config__Env": ["A=1", "B=2", f"PATH={ENGINE_DEFAULT_PATH}"]}, None, ["env"]),
    ({"env": {"A": "2"}}, {"Config__Env": ["A=1", f"PATH={ENGINE_DEFAULT_PATH}"]}, None, ["env"]),
    ({"env": {}}, {"Config__Env": ["GREETING=hi", "PATH=/bin"]}, image_inspect(env=["GREETING=hi", "PATH=/bin"]), []),
    ({"env": {"GREETING": "hi"}}, {"Config__Env": ["GREETING=hi", "PATH=/bin"]},
     image_inspect(env=["GREETING=hi", "PATH=/bin"]), []),
    ({"env": {"GREETING": "bonjour"}}, {"Config__Env": ["GREETING=bonjour", "PATH=/bin"]},
     image_inspect(env=["GREETING=hi", "PATH=/bin"]), []),
    ({"env": {}}, {"Config__Env": ["GREETING=bonjour", "PATH=/bin"]},
     image_inspect(env=["GREETING=hi", "PATH=/bin"]), ["env"]),
    # an image without PATH: the engine's default PATH is not the task's doing
    ({"env": {"A": "1"}}, {"Config__Env": ["A=1", f"PATH={ENGINE_DEFAULT_PATH}"]}, image_inspect(env=[]), []),
    ({"env": {"A": "1"}}, {}, None, ["env"]),
    # labels: likewise
    ({"labels": {"team": "shop"}}, {"Config__Labels": {"team": "shop", "tidy.docker.keep": "true"}},
     image_inspect(labels={"tidy.docker.keep": "true"}), []),
    ({"labels": {}}, {"Config__Labels": {"team": "shop"}}, None, ["labels"]),
    ({"labels": {"team": "shop"}}, {"Config__Labels": None}, None, ["labels"]),
    # command: a string and the list it splits into are the same
    ({"command": "sleep 300"}, {}, None, []),
    ({"command": ["sleep", "300"]}, {}, None, []),
    ({"command": ["sleep", 300]}, {}, None, []),
    ({"command": "sleep 301"}, {}, None, ["command"]),
    ({"command": "sh -c 'sleep 300'"}, {}, None, ["command"]),
    # entrypoint: null and empty are the same
    ({"entrypoint": ""}, {}, None, []),
    ({"entrypoint": "/bin/sh -c"}, {}, None, ["entrypoint"]),
    ({"entrypoint": ["/bin/sh", "-c"]}, {"Config__Entrypoint": ["/bin/sh", "-c"]}, None, []),
    # ports: normalised
    ({"published_ports": ["8080:80"]}, {"HostConfig__PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}},
     None, []),
    ({"published_ports": ["8080:80/tcp", "127.0.0.1::90/udp"]},
     {"HostConfig__PortBindings": {"90/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
                                   "80/tcp": [{"HostIp": "", "HostPort": "8080"}]}}, None, []),
    ({"published_ports": ["8081:80"]}, {"HostConfig__PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}},
     None, ["published_ports"]),
    ({"published_ports": ["8080:80/udp"]},
     {"HostConfig__PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}}, None, ["published_ports"]),
    ({"published_ports": []}, {"HostConfig__PortBindings": None}, None, []),
    ({"published_ports": []}, {"HostConfig__PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}}, None,
     ["published_ports"]),
    # volumes: rw is the default, the image's anonymous volumes do not count
    ({"volumes": ["/srv:/srv:rw", "data:/data"]}, {"HostConfig__Binds": ["data:/data", "/srv:/srv"]}, None, []),
    ({"volumes": ["/srv:/srv:ro"]}, {"HostConfig__Binds": ["/srv:/srv"]}, None, ["volumes"]),
    ({"volumes": ["/cache"]}, {"Config__Volumes": {"/cache": {}, "/var/lib/app": {}}},
     image_inspect(volumes=["/var/lib/app"]), []),
    ({"volumes": []}, {"Config__Volumes": {"/var/lib/app": {}}}, image_inspect(volumes=["/var/lib/app"]), []),
    ({"volumes": []}, {"Config__Volumes": {"/cache": {}}}, None, ["volumes"]),
    ({"volumes": ["/cache"]}, {}, None, ["volumes"]),
    # restart policy: "" and "no" are the same; retries only when asked
    ({"restart_policy": "no"}, {"HostConfig__RestartPolicy": {"Name": "", "MaximumRetryCount": 0}}, None, []),
    ({"restart_policy": "always"}, {}, None, ["restart_policy"]),
    ({"restart_policy": "on-failure"}, {"HostConfig__RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}},
     None, []),
    ({"restart_policy": "on-failure", "restart_retries": 5},
     {"HostConfig__RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}}, None, ["restart_retries"]),
    # network mode: bridge is the default network
    ({"network_mode": "bridge"}, {}, None, []),
    ({"network_mode": "default"}, {"HostConfig__NetworkMode": "bridge"}, None, []),
    ({"network_mode": "host"}, {}, None, ["network_mode"]),
    # run -it and --init
    ({"interactive": True, "tty": True}, {"Config__OpenStdin": True, "Config__Tty": True}, None, []),
    ({"interactive": False}, {"Config__OpenStdin": True}, None, ["interactive"]),
    ({"tty": True}, {}, None, ["tty"]),
    ({"init": False}, {}, None, []),
    ({"init": True}, {}, None, ["init"]),
    # capabilities: any case, with or without CAP_, as a set
    ({"cap_add": ["all"], "cap_drop": ["sys_resource"]},
     {"HostConfig__CapAdd": ["ALL"], "HostConfig__CapDrop": ["CAP_SYS_RESOURCE"]}, None, []),
    ({"cap_add": ["NET_ADMIN", "sys_admin"]}, {"HostConfig__CapAdd": ["cap_sys_admin", "Net_Admin"]}, None, []),
    ({"cap_add": ["NET_ADMIN"]}, {"HostConfig__CapAdd": ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]}, None, ["cap_add"]),
    ({"cap_add": []}, {"HostConfig__CapAdd": None}, None, []),
    ({"cap_add": []}, {"HostConfig__CapAdd": ["NET_RAW"]}, None, ["cap_add"]),
    ({"cap_drop": ["ALL"]}, {}, None, ["cap_drop"]),
    ({"cap_add": ["ALL"]}, {"HostConfig__CapDrop": ["ALL"]}, None, ["cap_add"]),
    # security options: a set in key=value form; the engine's own label=disable is not the task's
    ({"security_opts": ["apparmor=unconfined", "seccomp=unconfined"]},
     {"HostConfig__SecurityOpt": ["seccomp=unconfined", "apparmor:unconfined"]}, None, []),
    ({"security_opts": ["no-new-privileges"]}, {"HostConfig__SecurityOpt": ["no-new-privileges:true"]}, None, []),
    ({"security_opts": ["no-new-privileges"]}, {"HostConfig__SecurityOpt": ["no-new-privileges=false"]}, None,
     ["security_opts"]),
    ({"security_opts": ["seccomp=unconfined"], "privileged": True},
     {"HostConfig__SecurityOpt": ["seccomp=unconfined", "label=disable"], "HostConfig__Privileged": True}, None, []),
    ({"security_opts": []}, {"HostConfig__SecurityOpt": ["label=disable"], "HostConfig__Privileged": True}, None,
     []),
    ({"security_opts": ["label=disable"]},
     {"HostConfig__SecurityOpt": ["label=disable"], "HostConfig__PidMode": "host"}, None, []),
    ({"security_opts": []}, {"HostConfig__SecurityOpt": ["label=disable"]}, None, ["security_opts"]),
    ({"security_opts": ["seccomp=unconfined"]}, {}, None, ["security_opts"]),
    # privileged
    ({"privileged": False}, {}, None, []),
    ({"privileged": True}, {}, None, ["privileged"]),
    ({"privileged": False}, {"HostConfig__Privileged": True, "HostConfig__SecurityOpt": ["label=disable"]}, None,
     ["privileged"]),
    # device cgroup rules: spacing and access letter order do not matter
    ({"device_cgroup_rules": ["c 1:3 mr", "a *:* rwm"]}, {"HostConfig__DeviceCgroupRules": ["a *:* rwm", "c 1:3 rm"]},
     None, []),
    ({"device_cgroup_rules": ["a *:* rwm"]}, {"HostConfig__DeviceCgroupRules": ["a *:* rw"]}, None,
     ["device_cgroup_rules"]),
    ({"device_cgroup_rules": []}, {"HostConfig__DeviceCgroupRules": None}, None, []),
    # cgroup namespace: the engine always reports it (API 1.41); one that does not cannot drift
    ({"cgroupns_mode": "host"}, {}, None, []),
    ({"cgroupns_mode": "private"}, {}, None, ["cgroupns_mode"]),
    ({"cgroupns_mode": "private"}, {"HostConfig__CgroupnsMode": ""}, None, []),
    # tmpfs: paths and option order normalised
    ({"tmpfs": ["/run", "/tmp:size=64m,mode=1777"]}, {"HostConfig__Tmpfs": {"/tmp/": "mode=1777,size=64m", "/run": ""}},
     None, []),
    ({"tmpfs": ["/tmp:size=64m"]}, {"HostConfig__Tmpfs": {"/tmp": "size=32m"}}, None, ["tmpfs"]),
    ({"tmpfs": ["/tmp"]}, {"HostConfig__Tmpfs": {"/tmp": "", "/run": ""}}, None, ["tmpfs"]),
    ({"tmpfs": []}, {"HostConfig__Tmpfs": None}, None, []),
    # nothing set, nothing compared
    ({}, {"Config__Env": ["X=1"], "Config__Labels": {"a": "b"}, "HostConfig__NetworkMode": "host"}, None, []),
    ({}, {"HostConfig__CapAdd": ["ALL"], "HostConfig__Privileged": True, "HostConfig__CgroupnsMode": "private",
          "HostConfig__Tmpfs": {"/run": ""}, "HostConfig__SecurityOpt": ["seccomp=unconfined"],
          "HostConfig__DeviceCgroupRules": ["a *:* rwm"]}, None, []),
], ids=lambda value: str(value)[:50])
def test_drift_rules(params, overrides, image, expected):
    assert drifted(params, image=image, **overrides) == expected


def test_drift_records_before_and_after_of_what_the_task_sets():
    (drift,) = compare(wanted(env={"A": "2"}).settings,
                       observed(Config__Env=["A=1", "B=3", f"PATH={ENGINE_DEFAULT_PATH}"]))
    assert (drift.setting, drift.before, drift.after) == ("env", {"A": "1", "B": "3"}, {"A": "2"})


@pytest.mark.parametrize(("image_facts", "digests", "expected"), [
    (facts(image_id=IMAGE_ID), (), []),
    # the tag now points at another image
    (facts(image_id=OTHER_IMAGE_ID), (), ["image"]),
    # check mode before a pull: the registry digest decides
    (facts(pull=True, image_id=None, digest=DIGEST), (f"127.0.0.1:5031/c3/bb@{DIGEST}",), []),
    (facts(pull=True, image_id=None, digest=DIGEST), (), ["image"]),
    (facts(pull=True, image_id=None, digest=None), (f"x@{DIGEST}",), ["image"]),
], ids=repr)
def test_image_drift_is_by_image_id(image_facts, digests, expected):
    assert drifted({}, image_facts, image=image_inspect(digests=digests)) == expected


def test_image_drift_shows_reference_and_id():
    moved = facts(image_id=OTHER_IMAGE_ID, reference="tidy-test/app:stable")
    (drift,) = compare(wanted(image="tidy-test/app:stable").settings, observed(), moved)
    assert drift.before == {"image": "tidy-test/busybox:latest", "image_id": IMAGE_ID}
    assert drift.after == {"image": "tidy-test/app:stable", "image_id": OTHER_IMAGE_ID}


def test_a_container_whose_image_is_gone_inherits_nothing():
    seen = observe_container(container_inspect(Config__Env=["A=1", f"PATH={ENGINE_DEFAULT_PATH}"]), None)
    assert seen.inherited_env == {"PATH": ENGINE_DEFAULT_PATH}
    assert [d.setting for d in compare(wanted(env={"A": "1"}).settings, seen)] == []


PODMAN_ENV = ["A=1", f"PATH={ENGINE_DEFAULT_PATH}", "TERM=xterm", "container=podman", "HOSTNAME=a2a492437624"]


def test_podman_added_env_does_not_drift():
    seen = observe_container(container_inspect(Config__Env=PODMAN_ENV), image_inspect(), "podman")
    assert [d.setting for d in compare(wanted(env={"A": "1"}).settings, seen)] == []
    assert [d.setting for d in compare(wanted(env={"A": "2"}).settings, seen)] == ["env"]


def test_podman_added_env_drifts_when_the_task_sets_it():
    seen = observe_container(container_inspect(Config__Env=PODMAN_ENV), image_inspect(), "podman")
    assert [d.setting for d in compare(wanted(env={"A": "1", "TERM": "dumb"}).settings, seen)] == ["env"]
    assert [d.setting for d in compare(wanted(env={"A": "1", "TERM": "xterm"}).settings, seen)] == []


def test_the_same_env_on_docker_is_the_users_own():
    # Docker adds none of these: a container that has them was given them, and a task without them drifts.
    seen = observe_container(container_inspect(Config__Env=PODMAN_ENV), image_inspect(), "docker")
    assert [d.setting for d in compare(wanted(env={"A": "1"}).settings, seen)] == ["env"]


PODMAN_TMPFS = {"/run": "nodev,nosuid,rprivate,tmpcopyup", "/scratch": "mode=1777,nodev,nosuid,rprivate,size=8m,tmpcopyup"}
ISOLATED = {"device_cgroup_rules": ["c 1:3 rm"], "cgroupns_mode": "private", "tmpfs": ["/run", "/scratch:size=8m,mode=1777"]}


def test_podman_unreported_isolation_settings_neither_drift_nor_show_as_missing():
    """Podman 4.3 applies device cgroup rules and the cgroupns mode but leaves them out of inspect,
    and reports each tmpfs with options of its own: a container made as asked is unchanged."""
    inspected = container_inspect(HostConfig__DeviceCgroupRules=None, HostConfig__CgroupnsMode=None,
                                  HostConfig__Tmpfs=PODMAN_TMPFS)
    task = wanted(**ISOLATED).settings
    seen = observe_container(inspected, image_inspect(), "podman")
    assert [d.setting for d in compare(task, seen)] == []
    view = state_view(seen, task, image_known=False)
    assert (view["device_cgroup_rules"], view["cgroupns_mode"]) == (["c 1:3 rm"], "private")
    assert view["tmpfs"] == ["/run", "/scratch:mode=1777,size=8m"]
    # The same answer from Docker is drift: the rules are missing and the tmpfs options differ.
    on_docker = observe_container(inspected, image_inspect(), "docker")
    assert [d.setting for d in compare(task, on_docker)] == ["device_cgroup_rules", "tmpfs"]


# ---------------------------------------------------------------- planning

IMG = {"image": "tidy-test/busybox:latest"}


@pytest.mark.parametrize(("state", "params", "status", "image_facts", "actions"), [
    # started (default): docker run -d / docker start
    ("started", IMG, None, facts(), ["created", "started"]),
    ("started", IMG, None, facts(pull=True, image_id=None, digest=DIGEST), ["pulled", "created", "started"]),
    ("started", IMG, "running", facts(), []),
    ("started", IMG, "exited", facts(), ["started"]),
    ("started", IMG, "created", facts(), ["started"]),
    ("started", IMG, "paused", facts(), ["unpaused"]),
    ("started", IMG, "running", facts(image_id=OTHER_IMAGE_ID), ["recreated", "started"]),
    ("started", {**IMG, "recreate": True}, "running", facts(), ["recreated", "started"]),
    ("started", {"env": {"A": "1"}}, "exited", None, ["recreated", "started"]),
    ("started", {}, "running", None, []),
    # attached runs: run once, then report; a stopped-but-never-run container is run
    ("started", {**IMG, "detach": False}, None, facts(), ["created", "started"]),
    ("started", {**IMG, "detach": False}, "exited", facts(), []),
    ("started", {**IMG, "detach": False}, "created", facts(), ["started"]),
    ("started", {**IMG, "detach": False, "command": "cal 2000"}, "exited", facts(), ["recreated", "started"]),
    ("restarted", {**IMG, "detach": False}, "exited", facts(), ["restarted"]),
    # present: created, not started; a running one stays running
    ("present", IMG, None, facts(), ["created"]),
    ("present", IMG, "running", facts(), []),
    ("present", IMG, "exited", facts(), []),
    ("present", IMG, "running", facts(image_id=OTHER_IMAGE_ID), ["recreated", "started"]),
    ("present", IMG, "exited", facts(image_id=OTHER_IMAGE_ID), ["recreated"]),
    # stopped
    ("stopped", {}, None, None, []),
    ("stopped", IMG, None, facts(), ["created"]),
    ("stopped", IMG, "running", facts(), ["stopped"]),
    ("stopped", {"force_kill": True}, "running", None, ["killed"]),
    ("stopped", {}, "paused", None, ["stopped"]),
    ("stopped", {}, "exited", None, []),
    ("stopped", {}, "created", None, []),
    ("stopped", IMG, "exited", facts(image_id=OTHER_IMAGE_ID), ["recreated"]),
    # restarted: always
    ("restarted", {}, "running", None, ["restarted"]),
    ("restarted", {}, "exited", None, ["restarted"]),
    ("restarted", IMG, None, facts(), ["created", "started"]),
    ("restarted", IMG, "running", facts(image_id=OTHER_IMAGE_ID), ["recreated", "started"]),
    # absent: stop (or kill), then remove
    ("absent", {}, None, None, []),
    ("absent", {}, "running", None, ["stopped", "removed"]),
    ("absent", {"force_kill": True}, "running", None, ["killed", "removed"]),
    ("absent", {}, "paused", None, ["stopped", "removed"]),
    ("absent", {}, "exited", None, ["removed"]),
    ("absent", {}, "created", None, ["removed"]),
], ids=lambda value: str(value)[:40])
def test_plan_for_each_state(state, params, status, image_facts, actions):
    seen = observed(status) if status else None
    plan = plan_container(wanted(state, **params), seen, image_facts)
    assert list(plan.actions) == actions
    assert plan.changed == bool(actions)


@pytest.mark.parametrize("state", ["present", "started", "restarted"])
def test_creating_without_an_image_says_to_set_one(state):
    assert invalid(lambda: plan_container(wanted(state), None, None)) == (
        "image: container 'web' does not exist, so an image is needed to create it; set image (for example "
        "image: busybox:1.36).")


@pytest.mark.parametrize(("status", "predicted", "pulled"), [
    # check mode predicts from the registry digest, the real run knows the pulled id: same plan
    (None, facts(pull=True, image_id=None, digest=DIGEST), facts(pull=True, image_id=IMAGE_ID)),
    ("running", facts(pull=True, image_id=None, digest=DIGEST), facts(pull=True, image_id=IMAGE_ID)),
    ("running", facts(pull=True, image_id=None, digest="sha256:" + "1" * 64), facts(pull=True, image_id=OTHER_IMAGE_ID)),
    ("exited", facts(pull=False, image_id=IMAGE_ID, digest=DIGEST), facts(pull=False, image_id=IMAGE_ID)),
])
@pytest.mark.parametrize("state", ["present", "started", "stopped", "restarted"])
def test_check_mode_and_real_run_plan_the_same(state, status, predicted, pulled):
    seen = observed(status, image=image_inspect(digests=[f"127.0.0.1:5031/c3/bb@{DIGEST}"])) if status else None
    task = wanted(state, image="127.0.0.1:5031/c3/bb:1", pull="always")
    check = plan_container(task, seen, predicted)
    real = plan_container(task, seen, pulled)
    assert check.actions == real.actions
    assert [d.setting for d in check.drifted] == [d.setting for d in real.drifted]
    assert {k: v for k, v in check.after.items() if k != "image_id"} == \
           {k: v for k, v in real.after.items() if k != "image_id"}


def test_diff_views_show_state_and_the_settings_the_task_sets():
    task = wanted(image="tidy-test/busybox:latest", env={"A": "2"}, command="sleep 300")
    plan = plan_container(task, observed("exited", Config__Env=["A=1", f"PATH={ENGINE_DEFAULT_PATH}"]), facts())
    assert plan.before == {"state": "exited", "image": "tidy-test/busybox:latest", "image_id": IMAGE_ID,
                           "command": ["sleep", "300"], "env": {"A": "1"}}
    assert plan.after == {"state": "running", "image": "tidy-test/busybox:latest", "image_id": IMAGE_ID,
                          "command": ["sleep", "300"], "env": {"A": "2"}}
    assert list(plan.actions) == ["recreated", "started"]


@pytest.mark.parametrize(("state", "params", "status", "expected"), [
    ("started", {}, "exited", "running"),
    ("started", {"detach": False}, None, "exited"),
    ("stopped", {}, "running", "exited"),
    ("present", {}, None, "created"),
    ("absent", {}, "running", "absent"),
    ("stopped", {}, None, "absent"),
    ("started", {}, "running", "running"),
])
def test_predicted_state(state, params, status, expected):
    task = wanted(state, **params)
    seen = observed(status) if status else None
    plan = plan_container(task, seen, facts() if state != "absent" and (seen or state != "stopped") else None)
    assert predicted_state(task, seen, plan.actions) == expected
    assert plan.after["state"] == expected


# ---------------------------------------------------------------- round trip through a simulated engine


def engine_create(request: dict[str, t.Any], image: dict[str, t.Any]) -> dict[str, t.Any]:
    """What the engine stores for a create request: image defaults merged as Docker 20.10 does."""
    host = request["host_config"]
    image_config = image["Config"]
    env = dict(entry.split("=", 1) for entry in image_config.get("Env") or [])
    env.update(dict(entry.split("=", 1) for entry in request["environment"] or []))
    env.setdefault("PATH", ENGINE_DEFAULT_PATH)
    volumes = dict(image_config.get("Volumes") or {})
    volumes.update({path: {} for path in request["volumes"] or []})
    return container_inspect(
        "created",
        Config__Env=list(reversed([f"{key}={value}" for key, value in env.items()])),
        Config__Labels={**(image_config.get("Labels") or {}), **(request["labels"] or {})},
        Config__Cmd=request["command"] if request["command"] is not None else image_config.get("Cmd"),
        Config__Entrypoint=request["entrypoint"] or None,
        Config__Volumes=volumes or None,
        Config__OpenStdin=request["stdin_open"],
        Config__Tty=request["tty"],
        HostConfig__Binds=host.get("Binds"),
        HostConfig__PortBindings=host.get("PortBindings", {}),
        HostConfig__NetworkMode=host["NetworkMode"],
        HostConfig__RestartPolicy=host.get("RestartPolicy", {"Name": "", "MaximumRetryCount": 0}),
        HostConfig__Init=host.get("Init"),
        # Docker 20.10 stores these verbatim, fills in the cgroup namespace and labels privileged containers.
        HostConfig__Privileged=bool(host.get("Privileged")),
        HostConfig__CapAdd=host.get("CapAdd"),
        HostConfig__CapDrop=host.get("CapDrop"),
        HostConfig__SecurityOpt=(host.get("SecurityOpt") or []) + (["label=disable"] if host.get("Privileged") else [])
        or None,
        HostConfig__DeviceCgroupRules=host.get("DeviceCgroupRules"),
        HostConfig__CgroupnsMode=host.get("CgroupnsMode", "host"),
        HostConfig__Tmpfs=host.get("Tmpfs"),
    )


keys = st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True)
values = st.text(alphabet="abc =:,-_1", max_size=6)
settings_params = st.fixed_dictionaries({}, optional={
    "command": st.one_of(st.lists(st.text(alphabet="ab -'\"", max_size=4), min_size=1, max_size=3),
                         st.sampled_from(["cal", "sleep 300", "sh -c 'echo a; echo b'"])),
    "entrypoint": st.sampled_from(["", "/bin/sh -c", ["env"]]),
    "env": st.dictionaries(keys, values, max_size=4),
    "labels": st.dictionaries(st.from_regex(r"[a-z][a-z.]{0,6}", fullmatch=True), values, max_size=3),
    "published_ports": st.lists(st.sampled_from(["80", "8080:80", "127.0.0.1:9090:90/udp", "[::1]::81",
                                                 "8000-8001:70-71"]), max_size=3),
    "volumes": st.lists(st.sampled_from(["/srv:/srv:ro", "data:/data", "/cache", "/var/lib/app",
                                         "/x/:/y/:rw,z"]), max_size=3, unique=True),
    "restart_policy": st.sampled_from(["no", "always", "on-failure", "unless-stopped"]),
    "network_mode": st.sampled_from(["default", "bridge", "host", "none", "shop"]),
    "interactive": st.booleans(),
    "tty": st.booleans(),
    "init": st.booleans(),
    "privileged": st.booleans(),
    "cap_add": st.lists(st.sampled_from(["ALL", "sys_admin", "CAP_NET_ADMIN", "Net_Raw"]), max_size=3),
    "cap_drop": st.lists(st.sampled_from(["all", "SYS_RESOURCE", "mknod"]), max_size=2),
    "security_opts": st.lists(st.sampled_from(["seccomp=unconfined", "apparmor:unconfined", "no-new-privileges",
                                               "label=disable", "no-new-privileges=false"]), max_size=3),
    "device_cgroup_rules": st.lists(st.sampled_from(["a *:* rwm", "c 1:3 mr", "b  8:*  m"]), max_size=2),
    "cgroupns_mode": st.sampled_from(["host", "private"]),
    "tmpfs": st.lists(st.sampled_from(["/run", "/tmp:size=64m,mode=1777", "/tmp/:rw", "/cache:ro"]), max_size=2),
})
image_data = st.builds(
    image_inspect,
    env=st.lists(st.sampled_from(["PATH=/bin", "GREETING=hi", "A=image"]), max_size=3, unique=True),
    labels=st.one_of(st.none(), st.dictionaries(st.sampled_from(["team", "tidy.docker.keep"]), values, max_size=2)),
    volumes=st.lists(st.sampled_from(["/var/lib/app", "/cache"]), max_size=2, unique=True),
)


@given(params=settings_params, image=image_data)
def test_a_container_created_from_the_task_never_drifts_from_it(params, image):
    """Whatever the task sets and whatever the image brings, the container made from it matches it."""
    try:
        task = wanted(image="tidy-test/busybox:latest", **params)
    except InvalidInput:
        return  # e.g. two volumes on one path: refused before anything is created
    request = create_request(task.settings, task.name, "tidy-test/busybox:latest")
    seen = observe_container(engine_create(request, image), image)
    assert compare(task.settings, seen, facts()) == ()
    assert list(plan_container(task, seen, facts()).actions) == ["started"]


@given(params=settings_params, image=image_data)
def test_env_and_label_order_never_matters(params, image):
    try:
        task = wanted(**params)
    except InvalidInput:
        return
    inspected = engine_create(create_request(task.settings, task.name, "img"), image)
    shuffled = copy.deepcopy(inspected)
    shuffled["Config"]["Env"] = sorted(shuffled["Config"]["Env"], reverse=True)
    shuffled["Config"]["Labels"] = dict(reversed(list(shuffled["Config"]["Labels"].items())))
    assert compare(task.settings, observe_container(shuffled, image)) == ()


# ---------------------------------------------------------------- a host in a container

# HostConfig of the container `docker run -d --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined
# --security-opt apparmor=unconfined --device-cgroup-rule 'a *:* rwm' --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw
# --tmpfs /run --tmpfs /tmp:size=64m --network host -v /srv/h1:/var/lib/docker -v /srv/boot.sh:/boot.sh:ro` made on
# Docker 20.10.24 with the docker 28 CLI (which writes CAP_SYS_RESOURCE where the API keeps what it is sent).
HOST_RECIPE_INSPECT = {
    "HostConfig__Binds": ["/sys/fs/cgroup:/sys/fs/cgroup:rw", "/srv/h1:/var/lib/docker", "/srv/boot.sh:/boot.sh:ro"],
    "HostConfig__NetworkMode": "host",
    "HostConfig__CapAdd": ["ALL"],
    "HostConfig__CapDrop": ["CAP_SYS_RESOURCE"],
    "HostConfig__SecurityOpt": ["seccomp=unconfined", "apparmor=unconfined"],
    "HostConfig__DeviceCgroupRules": ["a *:* rwm"],
    "HostConfig__CgroupnsMode": "host",
    "HostConfig__Tmpfs": {"/run": "", "/tmp": "size=64m"},
}
HOST_RECIPE_TASK = {
    "cap_add": ["all"], "cap_drop": ["sys_resource"],
    "security_opts": ["apparmor=unconfined", "seccomp=unconfined"],
    "device_cgroup_rules": ["a *:* rwm"], "cgroupns_mode": "host",
    "volumes": ["/sys/fs/cgroup:/sys/fs/cgroup:rw", "/srv/h1:/var/lib/docker", "/srv/boot.sh:/boot.sh:ro"],
    "tmpfs": ["/tmp:size=64m", "/run"], "network_mode": "host",
}


def test_the_host_recipe_made_by_docker_run_is_no_drift_from_the_task():
    assert drifted(HOST_RECIPE_TASK, **HOST_RECIPE_INSPECT) == []
    assert drifted({**HOST_RECIPE_TASK, "cap_drop": []}, **HOST_RECIPE_INSPECT) == ["cap_drop"]


def test_the_host_recipe_becomes_the_engine_host_config():
    host = create_request(wanted(**HOST_RECIPE_TASK).settings, "h1", "img")["host_config"]
    assert host == {
        "NetworkMode": "host",
        "Binds": ["/srv/boot.sh:/boot.sh:ro", "/sys/fs/cgroup:/sys/fs/cgroup", "/srv/h1:/var/lib/docker"],
        "CapAdd": ["ALL"],
        "CapDrop": ["CAP_SYS_RESOURCE"],
        "SecurityOpt": ["apparmor=unconfined", "seccomp=unconfined"],
        "DeviceCgroupRules": ["a *:* rwm"],
        "CgroupnsMode": "host",
        "Tmpfs": {"/run": "", "/tmp": "size=64m"},
    }


def test_unset_isolation_settings_are_left_to_the_engine():
    host = create_request(wanted(cap_add=[], security_opts=[], tmpfs=[]).settings, "web", "img")["host_config"]
    assert host == {"NetworkMode": "default"}
    assert create_request(wanted(privileged=False).settings, "web", "img")["host_config"]["Privileged"] is False


def test_the_diff_names_each_isolation_setting_in_normalised_form():
    task = wanted(privileged=True, cap_add=["sys_admin"], security_opts=["apparmor:unconfined"], tmpfs=["/run"],
                  device_cgroup_rules=["c 1:3  mr"], cgroupns_mode="private")
    before = state_view(observed(HostConfig__Privileged=True, HostConfig__SecurityOpt=["label=disable"]),
                        task.settings, False)
    # label=disable is the engine's own entry on a privileged container: not shown as the task's
    assert before == {"state": "running", "privileged": True, "cap_add": [], "security_opts": [],
                      "device_cgroup_rules": [], "cgroupns_mode": "host", "tmpfs": []}
    plan = plan_container(task, observed(HostConfig__Privileged=True, HostConfig__SecurityOpt=["label=disable"]))
    assert plan.actions == ("recreated", "started")
    assert [drift.setting for drift in plan.drifted] == ["cap_add", "security_opts", "device_cgroup_rules",
                                                         "cgroupns_mode", "tmpfs"]
    assert {key: plan.after[key] for key in ("privileged", "cap_add", "security_opts", "device_cgroup_rules",
                                             "cgroupns_mode", "tmpfs")} == {
        "privileged": True, "cap_add": ["CAP_SYS_ADMIN"], "security_opts": ["apparmor=unconfined"],
        "device_cgroup_rules": ["c 1:3 rm"], "cgroupns_mode": "private", "tmpfs": ["/run"]}


def test_a_tmpfs_on_a_volume_path_is_refused_before_anything_changes():
    assert invalid(lambda: wanted(volumes=["/srv/tmp:/tmp"], tmpfs=["/tmp/:size=1m"])) == (
        "tmpfs: '/tmp:size=1m' mounts at /tmp like volume '/srv/tmp:/tmp'; mount either a volume or a tmpfs at a "
        "container path, not both.")


@pytest.mark.parametrize(("params", "option"), [
    ({"cap_add": ["SYS_ADMN"]}, "cap_add"),
    ({"cap_drop": ["nope"]}, "cap_drop"),
    ({"security_opts": ["seccomp=/etc/seccomp.json"]}, "security_opts"),
    ({"device_cgroup_rules": ["a * rwm"]}, "device_cgroup_rules"),
    ({"cgroupns_mode": "shared"}, "cgroupns_mode"),
    ({"tmpfs": ["/tmp:size=lots"]}, "tmpfs"),
], ids=repr)
def test_bad_isolation_settings_fail_before_the_engine_is_asked(params, option):
    api = FakeApi(containers={"web": container_inspect("running")}, images={IMAGE_ID: image_inspect()})
    with pytest.raises(InvalidInput) as caught:
        run_task(api, False, **params)
    assert caught.value.message.startswith(f"{option}: ")
    assert api.called() == []


@pytest.mark.parametrize(("engine_text", "message"), [
    ('invalid CapAdd: unknown capability: "CAP_PERFMON"',
     "cap_add: the engine at unix:///x.sock does not know capability 'CAP_PERFMON', so container 'h1' was not "
     "created; drop it from cap_add, or use an engine recent enough to know it (Docker 20.10 knows none newer than "
     "AUDIT_READ)."),
    ('invalid CapDrop: unknown capability: "CAP_BPF"',
     "cap_drop: the engine at unix:///x.sock does not know capability 'CAP_BPF', so container 'h1' was not "
     "created; drop it from cap_drop, or use an engine recent enough to know it (Docker 20.10 knows none newer than "
     "AUDIT_READ)."),
], ids=["cap_add", "cap_drop"])
def test_a_capability_the_engine_does_not_know_is_explained(engine_text, message):
    engine = EngineError(f"The Docker engine at unix:///x.sock answered 400: {engine_text}", status_code=400)
    error = explain_create_failure("h1", engine, "unix:///x.sock")
    assert isinstance(error, InvalidInput)
    assert error.message == message
    other = EngineError("boom", status_code=500)
    assert explain_create_failure("h1", other, "unix:///x.sock") is other


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_capability_docker_20_10_lacks_is_refused_before_the_old_container_is_removed(check_mode):
    api = FakeApi(containers={"web": container_inspect("running")}, images={IMAGE_ID: image_inspect()})
    with pytest.raises(InvalidInput) as caught:
        run_task(api, check_mode, cap_add=["sys_admin", "perfmon"])
    assert caught.value.message == (
        "cap_add: 'CAP_PERFMON' is not known to the engine at unix:///fake/docker.sock (API 1.41, Docker 20.10, "
        "knows none newer than AUDIT_READ); drop it from cap_add, or use a newer engine.")
    assert not WRITES & set(api.called())


@pytest.mark.parametrize(("api_version", "actions"), [("1.43", ["recreated", "started"]), ("", ["recreated", "started"])])
def test_newer_engines_judge_newer_capabilities_themselves(api_version, actions):
    api = FakeApi(containers={"web": container_inspect("running")}, images={IMAGE_ID: image_inspect()})
    assert run_task(api, True, api_version, cap_drop=["BPF"])["actions"] == actions


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_capability_change_recreates_with_the_new_host_config(check_mode):
    api = FakeApi(containers={"web": container_inspect("running", HostConfig__CapAdd=["NET_ADMIN"])},
                  images={IMAGE_ID: image_inspect()})
    result = run_task(api, check_mode, cap_add=["net_admin", "SYS_ADMIN"], stop_timeout=1)
    assert result["actions"] == ["recreated", "started"]
    assert result["drifted"] == ["cap_add"]
    assert result["diff"]["before"]["cap_add"] == ["CAP_NET_ADMIN"]
    writes = [name for name in api.called() if name in WRITES]
    if check_mode:
        assert writes == []
        assert result["diff"]["after"]["cap_add"] == ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]
    else:
        assert writes == ["stop", "remove_container", "create_container", "start"]
        create = next(kwargs for name, _args, kwargs in api.calls if name == "create_container")
        assert create["host_config"]["CapAdd"] == ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]


def podman_container(cap_add: list[str], cap_drop: list[str]) -> dict[str, t.Any]:
    """Podman 4.3.1's inspect: capabilities named without CAP_, as a difference from its defaults."""
    return container_inspect("running", HostConfig__CapAdd=cap_add, HostConfig__CapDrop=cap_drop,
                             HostConfig__NetworkMode="bridge")


@pytest.mark.parametrize("check_mode", [True, False])
def test_cap_drop_all_on_podman_reads_back_as_all(check_mode):
    """Podman reports cap_drop: [ALL] as every default it dropped: read back as ALL, no drift."""
    api = FakeApi(containers={"web": podman_container(["NET_ADMIN"], [name[4:] for name in PODMAN_DEFAULT_CAPS])},
                  images={IMAGE_ID: image_inspect()})
    result = run_task(api, check_mode, engine="podman", cap_drop=["ALL"], cap_add=["net_admin"])
    assert result["actions"] == []
    assert result["diff"]["before"]["cap_drop"] == result["diff"]["after"]["cap_drop"] == ["ALL"]
    # The same answer on Docker would be drift: Docker reports the lists as created.
    docker = FakeApi(containers={"web": podman_container(["NET_ADMIN"], [name[4:] for name in PODMAN_DEFAULT_CAPS])},
                     images={IMAGE_ID: image_inspect()})
    assert run_task(docker, check_mode, cap_drop=["ALL"], cap_add=["net_admin"])["drifted"] == ["cap_drop"]


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_podman_capability_change_still_recreates(check_mode):
    api = FakeApi(containers={"web": podman_container(["NET_ADMIN"], ["MKNOD"])}, images={IMAGE_ID: image_inspect()})
    result = run_task(api, check_mode, engine="podman", cap_drop=["ALL"], cap_add=["net_admin"], stop_timeout=1)
    assert result["actions"] == ["recreated", "started"]
    assert result["drifted"] == ["cap_drop"]
    assert result["diff"]["before"]["cap_drop"] == ["CAP_MKNOD"]


@pytest.mark.parametrize("check_mode", [True, False])
def test_podman_grants_capabilities_newer_than_docker_20_10_at_api_1_41(check_mode):
    """Podman answers API 1.41 like Docker 20.10 but knows PERFMON: it is not refused there."""
    api = FakeApi(containers={"web": container_inspect("running")}, images={IMAGE_ID: image_inspect()})
    assert run_task(api, check_mode, engine="podman", cap_add=["perfmon"], stop_timeout=1)["drifted"] == ["cap_add"]


PODMAN_LOG = {"Type": "json-file", "Config": None}  # Podman 4.3.1, for json-file with max-size 1m and max-file 2


@pytest.mark.parametrize("driver", ["json-file", "k8s-file"])
def test_podman_log_options_are_not_reported_and_either_file_driver_name_is_its_own(driver):
    """Podman's compatible API names its k8s-file json-file and reports no options: no drift."""
    task = wanted(log_driver=driver, log_options={"max-size": "1m", "max-file": "2"}).settings
    seen = observe_container(container_inspect(HostConfig__LogConfig=PODMAN_LOG), image_inspect(), "podman")
    assert [d.setting for d in compare(task, seen)] == []
    view = state_view(seen, task, image_known=False)
    assert (view["log_driver"], view["log_options"]) == (driver, {"max-file": "2", "max-size": "1m"})
    # The same answer from Docker: the options are missing.
    on_docker = observe_container(container_inspect(HostConfig__LogConfig=PODMAN_LOG), image_inspect(), "docker")
    drifted = ["log_options"] if driver == "json-file" else ["log_driver", "log_options"]
    assert [d.setting for d in compare(task, on_docker)] == drifted


def test_another_driver_on_podman_still_drifts():
    task = wanted(log_driver="none").settings
    seen = observe_container(container_inspect(HostConfig__LogConfig=PODMAN_LOG), image_inspect(), "podman")
    assert [(d.setting, d.before, d.after) for d in compare(task, seen)] == [("log_driver", "k8s-file", "none")]


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_driver_podman_lacks_is_refused_before_the_old_container_is_removed(check_mode):
    api = FakeApi(containers={"web": container_inspect("running", HostConfig__LogConfig=PODMAN_LOG)},
                  images={IMAGE_ID: image_inspect()})
    with pytest.raises(InvalidInput) as caught:
        run_task(api, check_mode, engine="podman", log_driver="local", log_options={"max-size": "2m"})
    assert caught.value.message == (
        "log_driver: 'local' is not a logging driver of the Podman engine at unix:///fake/docker.sock; use journald, "
        "json-file, k8s-file, none, passthrough, passthrough-tty, or leave log_driver out.")
    assert not WRITES & set(api.called())


# ---------------------------------------------------------------- attached runs and engine failures


def test_output_is_split_and_the_failure_tail_is_short():
    assert split_output(b"a\r\nb\r\n", tty=True) == ["a", "b"]
    assert split_output(b"a\nb\n\xff", tty=False) == ["a", "b", "\ufffd"]
    assert output_tail([str(n) for n in range(20)], 3) == "17 | 18 | 19"
    assert output_tail([]) == "(no output)"


def test_a_taken_host_port_is_explained():
    # Docker 20.10.24 with a bridge network, second container publishing 18080.
    engine = EngineError("The Docker engine at unix:///tmp/e/docker.sock answered 500: driver failed programming "
                         "external connectivity on endpoint p2 (c0b78524f6e1): Bind for 0.0.0.0:18080 failed: port is "
                         "already allocated", status_code=500)
    error = explain_start_failure("p2", engine, ContainerSettings())
    assert isinstance(error, Conflict)
    assert error.message == ("published_ports: host address 0.0.0.0:18080 is already taken by another container or "
                             "process, so container 'p2' was created but not started; publish a free host port, or "
                             "stop whatever holds 0.0.0.0:18080.")


def test_a_taken_host_port_on_podman_is_explained():
    # Podman 4.3.1, second container publishing 18080 (its text names no address for all of them).
    engine = EngineError("The Podman engine at unix:///tmp/p/podman.sock answered 500: cannot listen on the TCP port: "
                         "listen tcp4 :18080: bind: address already in use", status_code=500)
    error = explain_start_failure("p2", engine, ContainerSettings())
    assert isinstance(error, Conflict)
    assert error.message == ("published_ports: host address 0.0.0.0:18080 is already taken by another container or "
                             "process, so container 'p2' was created but not started; publish a free host port, or "
                             "stop whatever holds 0.0.0.0:18080.")


def test_a_missing_network_at_start_is_explained():
    engine = EngineError("The Docker engine at unix:///x answered 404: network shop not found", status_code=404)
    error = explain_start_failure("web", engine, ContainerSettings(network_mode="shop"))
    assert isinstance(error, InvalidInput)
    assert error.message.startswith("network_mode: network 'shop' does not exist on the engine, so container 'web' "
                                    "was created but not started; ")


@pytest.mark.parametrize(("settings", "engine_text", "message"), [
    (ContainerSettings(command=("nosuchcmd",)),
     'exec: "nosuchcmd": executable file not found in $PATH: unknown',
     "command: the image has no program 'nosuchcmd' (executable file not found in $PATH), so container 'web' was "
     "created but not started; use a program the image has (an absolute path, or one on its PATH), for example "
     "sh -c '...'."),
    (ContainerSettings(entrypoint=("/app/migrate",)),
     'exec: "/app/migrate": stat /app/migrate: no such file or directory: unknown',
     "entrypoint: the image has no program '/app/migrate' (stat /app/migrate: no such file or directory), so "
     "container 'web' was created but not started; use a program the image has (an absolute path, or one on its "
     "PATH), for example sh -c '...'."),
    # Podman 4.3.1 with runc: runc's message quoted inside its own
    (ContainerSettings(command=("nosuchcmd",)),
     'tidyrunc: time="2026-12-02T11:35:48Z" level=error msg="runc create failed: unable to start container process: '
     'exec: \\"nosuchcmd\\": executable file not found in $PATH": OCI runtime attempted to invoke a command that was '
     'not found',
     "command: the image has no program 'nosuchcmd' (executable file not found in $PATH), so container 'web' was "
     "created but not started; use a program the image has (an absolute path, or one on its PATH), for example "
     "sh -c '...'."),
])
def test_a_program_the_image_lacks_is_explained(settings, engine_text, message):
    # Docker 20.10.24: docker run tidy-test/busybox nosuchcmd
    engine = EngineError("The Docker engine at unix:///x answered 400: failed to create shim task: OCI runtime create "
                         "failed: runc create failed: unable to start container process: " + engine_text,
                         status_code=400)
    error = explain_start_failure("web", engine, settings)
    assert isinstance(error, InvalidInput)
    assert error.message == message


def test_other_start_failures_keep_their_text_and_class():
    error = explain_start_failure("web", EngineError("boom", status_code=500), ContainerSettings())
    assert isinstance(error, EngineError) and not isinstance(error, (Conflict, InvalidInput))
    assert error.message == "Container 'web' could not start: boom"
    assert error.context == {"status_code": 500}


# ---------------------------------------------------------------- the engine side against a fake engine

WRITES = {"pull", "create_container", "start", "stop", "kill", "restart", "unpause", "remove_container"}


class FakeApi:
    """The low-level SDK calls the module makes, answered from memory, every call recorded."""

    def __init__(self, containers: dict[str, dict[str, t.Any]] | None = None, images: dict[str, t.Any] | None = None,
                 registry: dict[str, str] | None = None, exit_code: int = 0, output: bytes = b"") -> None:
        self.containers = containers or {}
        self.images = images or {}
        self.registry = registry or {}
        self.exit_code = exit_code
        self.output = output
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name: str) -> t.Callable[..., t.Any]:
        def record(*args: t.Any, **kwargs: t.Any) -> t.Any:
            self.calls.append((name, args, kwargs))
            handler = getattr(type(self), f"do_{name}", None)  # on the class: no recursion into __getattr__
            return handler(self, *args, **kwargs) if handler is not None else None
        return record

    def called(self) -> list[str]:
        return [name for name, _args, _kwargs in self.calls]

    def do_inspect_container(self, ref: str) -> dict[str, t.Any]:
        if ref not in self.containers:
            raise NotFound(f"No such container: {ref}")
        return self.containers[ref]

    def do_inspect_image(self, ref: str) -> dict[str, t.Any]:
        if ref not in self.images:
            raise NotFound(f"No such image: {ref}")
        return self.images[ref]

    def do_inspect_distribution(self, ref: str) -> dict[str, t.Any]:
        if ref not in self.registry:
            raise NotFound("manifest unknown: manifest unknown")
        return {"Descriptor": {"digest": self.registry[ref]}}

    def do_pull(self, repository: str, tag: str, **kwargs: t.Any) -> list[dict[str, t.Any]]:
        ref = f"{repository}:{tag}"
        if ref not in self.registry:
            return [{"status": "Pulling"}, {"error": f"manifest for {ref} not found"}]
        self.images[ref] = image_inspect(digests=[f"{repository}@{self.registry[ref]}"])
        return [{"status": "Downloaded newer image"}]

    def do_create_container(self, image: str, name: str, **kwargs: t.Any) -> dict[str, str]:
        self.containers[name] = container_inspect("created", Name=f"/{name}", Config__Image=image)
        return {"Id": self.containers[name]["Id"]}

    def _set_state(self, running: bool) -> None:
        for data in self.containers.values():
            data["State"].update(Status="running" if running else "exited", Running=running, Paused=False,
                                 ExitCode=0 if running else self.exit_code)

    def do_start(self, container: str) -> None:
        self._set_state(running=True)

    def do_stop(self, container: str, timeout: t.Any = None) -> None:
        self._set_state(running=False)

    def do_kill(self, container: str) -> None:
        self._set_state(running=False)

    def do_remove_container(self, container: str, v: bool = False) -> None:
        self.containers.clear()

    def do_wait(self, container: str, timeout: t.Any = None, condition: t.Any = None) -> dict[str, t.Any]:
        self._set_state(running=False)
        return {"StatusCode": self.exit_code}

    def do_logs(self, container: str, **kwargs: t.Any) -> bytes:
        return self.output


class FakeClient:
    def __init__(self, api: FakeApi, api_version: str = "1.41", engine: str = "docker") -> None:
        self.api = api
        self.settings = type("Settings", (), {"docker_host": "unix:///fake/docker.sock", "timeout": 60})()
        self.engine_version = {"ApiVersion": api_version}
        self.engine = engine
        self.requests: list[str] = []

    def call(self, method: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
        return method(*args, **kwargs)

    def request(self, verb: str, path: str, query: t.Mapping[str, t.Any] | None = None) -> t.Any:
        """Podman's own /libpod/info, trimmed to its default capabilities (Podman 4.3.1's built-in set)."""
        self.requests.append(f"{verb} {path}")
        assert (verb, path, self.engine) == ("GET", "/libpod/info", "podman")
        return {"host": {"security": {"capabilities": ",".join(PODMAN_DEFAULT_CAPS)}}}


# What /libpod/info names on Podman 4.3.1 when containers.conf sets no default_capabilities.
PODMAN_DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                       "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
                       "CAP_SETUID", "CAP_SYS_CHROOT"]


def run_task(api: FakeApi, check_mode: bool, api_version: str = "1.41", engine: str = "docker",
             **params: t.Any) -> dict[str, t.Any]:
    from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_run import ContainerRun
    client = t.cast(EngineClient, FakeClient(api, api_version, engine))  # the part of EngineClient ContainerRun uses
    return ContainerRun(client, wanted_from_params({"name": "web", **params}),
                        check_mode).run(diff=True)


REGISTRY_REF = "127.0.0.1:5031/c3/bb:1"


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_missing_image_is_pulled_and_check_mode_only_reads(check_mode):
    api = FakeApi(registry={REGISTRY_REF: DIGEST})
    result = run_task(api, check_mode, image=REGISTRY_REF, command="sleep 300", env={"B": "2", "A": "1"})
    assert result["actions"] == ["pulled", "created", "started"]
    assert result["changed"]
    if check_mode:
        assert not WRITES & set(api.called())
        assert "inspect_distribution" in api.called()
        assert result["container"] is None
        assert result["diff"]["after"]["image_id"] is None
    else:
        assert [name for name in api.called() if name in WRITES] == ["pull", "create_container", "start"]
        create = next(kwargs for name, _args, kwargs in api.calls if name == "create_container")
        assert create["environment"] == ["A=1", "B=2"]
        assert create["command"] == ["sleep", "300"]
        assert create["use_config_proxy"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent_stops_with_the_timeout_then_removes(check_mode):
    api = FakeApi(containers={"web": container_inspect("running")}, images={IMAGE_ID: image_inspect()})
    result = run_task(api, check_mode, state="absent", stop_timeout="3s", keep_volumes=False)
    assert result["actions"] == ["stopped", "removed"]
    assert result["diff"] == {"before": {"state": "running"}, "after": {"state": "absent"}}
    writes = [(name, args, kwargs) for name, args, kwargs in api.calls if name in WRITES]
    if check_mode:
        assert writes == []
    else:
        container_id = container_inspect()["Id"]
        assert writes == [("stop", (container_id,), {"timeout": 3}),
                          ("remove_container", (container_id,), {"v": True})]


def test_a_pull_failure_reported_in_the_stream_is_one_sentence():
    api = FakeApi()
    message = invalid(lambda: run_task(api, False, image="127.0.0.1:5031/c3/nope:1"))
    assert message == ("image: '127.0.0.1:5031/c3/nope:1' could not be pulled (manifest for 127.0.0.1:5031/c3/nope:1 "
                       "not found); check the name and tag, that the engine can reach the registry, and docker login "
                       "on the engine host for private images.")
    assert "create_container" not in api.called()


def test_an_attached_run_that_fails_reports_what_was_done():
    from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_run import ContainerFailed
    api = FakeApi(images={"tidy-test/busybox:latest": image_inspect()}, exit_code=3,
                  output=b"2026-11-27T22:30:48.139406442Z out\n2026-11-27T22:30:48.139506442Z err\n")
    with pytest.raises(ContainerFailed) as caught:
        run_task(api, False, image="tidy-test/busybox:latest", command="sh -c 'exit 3'", detach=False)
    assert caught.value.message == ("Container 'web' exited with code 3; fix its command or image, or set "
                                    "fail_on_error: false to accept a non-zero exit. Last output: out | err")
    assert caught.value.context["actions"] == ["created", "started"]
    assert caught.value.context["exit_code"] == 3
    assert caught.value.context["output_lines"] == ["out", "err"]
    assert caught.value.context["changed"] is True


def test_an_attached_run_past_wait_timeout_is_killed():
    from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_run import RunTimeout

    class SlowApi(FakeApi):
        def do_wait(self, container: str, timeout: t.Any = None, condition: t.Any = None) -> dict[str, t.Any]:
            if condition is None:
                raise ConnectionError("UnixHTTPConnectionPool(host='localhost', port=None): Read timed out.")
            return super().do_wait(container, timeout, condition)

    api = SlowApi(images={"tidy-test/busybox:latest": image_inspect()}, exit_code=137,
                  output=b"2026-11-27T22:30:48.139406442Z started\n")
    with pytest.raises(RunTimeout) as caught:
        run_task(api, False, image="tidy-test/busybox:latest", command="sleep 60", detach=False, wait_timeout=2)
    assert caught.value.message == ("wait_timeout: container 'web' was still running after 2 seconds, so it was "
                                    "killed; raise wait_timeout, or run it detached (detach: true). Last output: "
                                    "started")
    assert "kill" in api.called()


def test_output_of_a_rerun_leaves_out_earlier_runs():
    lines = (b"2026-11-27T22:30:48.100000000Z first run\n"
             b"2026-11-27T22:30:49.000000001Z second run\n"
             b"2026-11-27T22:30:49.5Z still second\n")
    assert split_output(lines, tty=False, after_ns=1795818649000000000) == ["second run", "still second"]
    assert split_output(lines, tty=False) == ["first run", "second run", "still second"]
