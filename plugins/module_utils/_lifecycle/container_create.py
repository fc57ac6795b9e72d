# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's create request for the settings a ``tidy.docker.container`` task wants (pure)."""

from __future__ import annotations

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_isolation import tmpfs_to_engine
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_logging import log_config_request
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_options import (
    ContainerSettings,
    env_list,
    port_bindings_to_engine,
)


def create_request(settings: ContainerSettings, name: str, image: str) -> dict[str, t.Any]:
    """Keyword arguments of the SDK's ``create_container`` (``host_config`` as plain keys to add).

    Unset settings are left to the image and the engine, like ``docker run`` does.
    """
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
        "host_config": _host_config(settings),
    }
    return request


def _host_config(settings: ContainerSettings) -> dict[str, t.Any]:
    """The HostConfig keys of the settings the task sets; the network mode always."""
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
    log_config = log_config_request(settings.log_driver, settings.log_options)
    if log_config is not None:
        host_config["LogConfig"] = log_config
    host_config.update(_isolation_request(settings))
    return host_config


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
