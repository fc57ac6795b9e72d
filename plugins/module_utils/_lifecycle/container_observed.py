# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An existing container as ``tidy.docker.container`` compares it: read back from ``docker inspect``.

``observe_container`` reads the compared settings from the inspect data in the same
canonical forms ``container_options`` gives the task's, and remembers what the image
supplied (env, labels, volumes), so that only what the task sets is compared. Pure.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_isolation import (
    engine_added_security_opts,
    parse_capabilities,
    parse_device_rules,
    parse_security_opts,
    tmpfs_from_engine,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_options import (
    ContainerSettings,
    Volume,
    clean_path,
    env_dict,
    parse_volume,
    port_bindings_from_engine,
)
from ansible_collections.tidy.docker.plugins.module_utils._podman import (
    DOCKER,
    PODMAN,
    docker_binds,
    docker_log_config,
    docker_network_mode,
    docker_state,
    docker_tmpfs,
    engine_added_env,
    familiar_name,
    reported_device_rules,
)

# The engine gives a container this PATH when its image sets none.
ENGINE_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


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
    # Podman: the engine's default capabilities, against which it reports CapAdd and CapDrop
    # (container_isolation.podman_capability_views); None where the lists are reported as created.
    default_capabilities: frozenset[str] | None = None
    engine: str = DOCKER
    stop_timeout: int | None = None
    exit_code: int | None = None
    started_at: str | None = None

    @property
    def up(self) -> bool:
        """Running or paused: something to stop before removal."""
        return self.running or self.paused


# --------------------------------------------------------------------------- reading a container


def _volumes(config: t.Mapping[str, t.Any], host: t.Mapping[str, t.Any], engine: str) -> tuple[Volume, ...]:
    """Binds (host paths and named volumes) and the anonymous volumes of the container's config.

    Podman also lists the anonymous volumes among the binds, with mount options of its own."""
    binds = host.get("Binds") or []
    binds = docker_binds(binds) if engine == PODMAN else binds
    parsed = [parse_volume(bind, strict=False) for bind in binds]
    anonymous = [Volume(target=clean_path(path)) for path in (config.get("Volumes") or {})]
    return tuple(sorted(set(parsed + anonymous)))


def _isolation(host: t.Mapping[str, t.Any], engine: str) -> dict[str, t.Any]:
    """The isolation settings as the engine stores them, read (``strict=False``), never judged."""
    device_rules = reported_device_rules(host, engine)
    return {
        "init": bool(host.get("Init")),
        "privileged": bool(host.get("Privileged")),
        "cap_add": parse_capabilities(host.get("CapAdd") or (), "cap_add", strict=False),
        "cap_drop": parse_capabilities(host.get("CapDrop") or (), "cap_drop", strict=False),
        "security_opts": parse_security_opts(host.get("SecurityOpt") or (), strict=False),
        # None where the engine does not report them (Podman), so that they are not compared.
        "device_cgroup_rules": None if device_rules is None else parse_device_rules(device_rules, strict=False),
        # Engines before API 1.41 and Podman do not report it: None, so that it is not compared.
        "cgroupns_mode": host.get("CgroupnsMode") or None,
        "tmpfs": tmpfs_from_engine(docker_tmpfs(host.get("Tmpfs"), engine)),
    }


def _logging(host: t.Mapping[str, t.Any], engine: str) -> dict[str, t.Any]:
    """The logging driver and options; Podman's options None: it does not report them (not compared)."""
    driver, options = docker_log_config(host.get("LogConfig"), engine)
    return {"log_driver": driver, "log_options": options}


def _observed_settings(inspected: t.Mapping[str, t.Any], engine: str = DOCKER) -> ContainerSettings:
    """The compared settings of an existing container, in the forms ``container_options`` gives the task's."""
    config = inspected.get("Config") or {}
    host = inspected.get("HostConfig") or {}
    restart = host.get("RestartPolicy") or {}
    return ContainerSettings(
        image=familiar_name(str(config["Image"])) if config.get("Image") else None,
        command=tuple(config.get("Cmd") or ()),
        entrypoint=tuple(config.get("Entrypoint") or ()),
        env=env_dict(config.get("Env")),
        labels=dict(config.get("Labels") or {}),
        published_ports=port_bindings_from_engine(host.get("PortBindings")),
        volumes=_volumes(config, host, engine),
        restart_policy=restart.get("Name") or "no",
        restart_retries=int(restart.get("MaximumRetryCount") or 0),
        network_mode=docker_network_mode(host.get("NetworkMode"), engine) or "default",
        interactive=bool(config.get("OpenStdin")),
        tty=bool(config.get("Tty")),
        **_logging(host, engine),
        **_isolation(host, engine),
    )


def _inherited(image_inspected: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
    """What the image supplied (env, labels, volumes), which a task does not answer for."""
    image_config = (image_inspected or {}).get("Config") or {}
    inherited_env = env_dict(image_config.get("Env"))
    # The engine adds a default PATH when the image has none.
    inherited_env.setdefault("PATH", ENGINE_DEFAULT_PATH)
    return {
        "image_digests": tuple((image_inspected or {}).get("RepoDigests") or ()),
        "inherited_env": inherited_env,
        "inherited_labels": dict(image_config.get("Labels") or {}),
        "inherited_volumes": frozenset(clean_path(path) for path in image_config.get("Volumes") or {}),
    }


def observe_container(inspected: t.Mapping[str, t.Any], image_inspected: t.Mapping[str, t.Any] | None = None,
                      engine: str = DOCKER, default_capabilities: frozenset[str] | None = None) -> ObservedContainer:
    """The compared settings of an existing container, and what its image (or engine) supplied.

    ``image_inspected`` is the inspect of the image the container runs (by id);
    None when that image is gone, in which case nothing counts as inherited.
    ``engine``: Podman adds variables of its own to every container's environment, which
    count as supplied, like the image's, so that only what a task sets is compared.
    ``default_capabilities``: on Podman, its default capability set, relative to which it reports
    the container's capabilities (ignored on Docker).
    """
    config = inspected.get("Config") or {}
    state = inspected.get("State") or {}
    stop_timeout = config.get("StopTimeout")
    inherited = _inherited(image_inspected)
    image_env = ((image_inspected or {}).get("Config") or {}).get("Env") or []
    observed_env = env_dict(config.get("Env"))
    inherited["inherited_env"].update({name: observed_env[name] for name in
                                       engine_added_env(engine, config.get("Env") or [], image_env)})
    return ObservedContainer(
        id=str(inspected["Id"]),
        name=str(inspected.get("Name") or "").lstrip("/"),
        state=docker_state(state.get("Status")),
        running=bool(state.get("Running")) and not state.get("Paused"),
        paused=bool(state.get("Paused")),
        image_ref=familiar_name(str(config.get("Image") or "")),
        image_id=str(inspected.get("Image") or ""),
        settings=_observed_settings(inspected, engine),
        engine_security_opts=engine_added_security_opts(inspected.get("HostConfig") or {}),
        default_capabilities=default_capabilities if engine == PODMAN else None,
        engine=engine,
        stop_timeout=int(stop_timeout) if stop_timeout is not None else None,
        exit_code=state.get("ExitCode"),
        started_at=state.get("StartedAt"),
        **inherited,
    )
