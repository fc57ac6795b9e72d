# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which engine answers, and Podman's Docker-compatible answers read the way Docker means them (pure).

Podman's compatible API (``podman system service``) answers Docker's paths, but some answers
mean something else (docs/podman.md): ``/system/df`` lists an image once per tag with the tag
alone as ``RepoTags`` (``['1']``), ids without ``sha256:``, no parent ids and ``LayersSize``
0; the container listing and inspect data name images ``docker.io/team/app:1`` where Docker says
``team/app:1``; a container's environment carries variables Podman adds by itself. The
functions here turn such answers into Docker's meaning, so that the planners see one engine.
"""

from __future__ import annotations

import typing as t

DOCKER = "docker"
PODMAN = "podman"

# The component /version names when Podman answers (Docker's is "Engine").
_PODMAN_COMPONENT = "podman engine"

_HEX = frozenset("0123456789abcdef")

# Podman qualifies every short name with the registry it would pull it from; Docker leaves
# Docker Hub's (and its "library/" namespace) out of the names it reports.
_DOCKER_HUB_PREFIXES = ("docker.io/library/", "docker.io/")

# The variables Podman puts into every container's environment unasked (HOSTNAME when the
# image sets none), which Docker does not: they say nothing of what the user asked for.
PODMAN_ADDED_ENV = frozenset({"container", "HOSTNAME", "TERM"})


def engine_product(version: t.Mapping[str, t.Any]) -> str:
    """``podman`` when Podman's compatible API answers ``/version``, else ``docker``.

    Podman names its component ``Podman Engine``; a component merely mentioning podman counts
    too, so that a differently worded release is not taken for Docker.
    """
    components = version.get("Components") or []
    names = [str(part.get("Name", "")).lower() for part in components if isinstance(part, t.Mapping)]
    return PODMAN if any(name == _PODMAN_COMPONENT or PODMAN in name for name in names) else DOCKER


def full_image_id(image_id: t.Any) -> str:
    """``sha256:<hex>`` for a bare 64-hex id (Podman's df and parent ids); anything else as it is."""
    text = str(image_id or "")
    return f"sha256:{text}" if len(text) == 64 and set(text) <= _HEX else text


def familiar_name(reference: str) -> str:
    """A reference as Docker reports it: ``docker.io/library/busybox:1`` -> ``busybox:1``,
    ``docker.io/team/app:1`` -> ``team/app:1``; other registries (``localhost/``) stay."""
    for prefix in _DOCKER_HUB_PREFIXES:
        if reference.startswith(prefix) and len(reference) > len(prefix):
            return reference[len(prefix):]
    return reference


class ImageListing:
    """An ``all=true`` image listing by id: each image's size and parent, and the bytes of its own layers.

    A child holds all of its parent's layers, so an image's own bytes are its size less its
    parent's; an image whose parent is not listed counts whole.
    """

    def __init__(self, images: t.Sequence[t.Mapping[str, t.Any]]) -> None:
        self.size_of = {full_image_id(raw.get("Id")): int(raw.get("Size") or 0) for raw in images}
        self.parent_of = {full_image_id(raw.get("Id")): full_image_id(raw.get("ParentId"))
                          for raw in images if raw.get("ParentId")}
        self.top = frozenset(full_image_id(raw.get("Id")) for raw in top_level_images(images))

    def own_bytes(self, image_id: str) -> int:
        parent = self.parent_of.get(image_id)
        size = self.size_of.get(image_id, 0)
        return max(size - self.size_of[parent], 0) if parent in self.size_of else size


def build_steps_below(images: t.Sequence[t.Mapping[str, t.Any]] | ImageListing) -> tuple[dict[str, int], frozenset[str]]:
    """For each top-level image of an ``all=true`` listing, the bytes of the hidden intermediates below it
    that only it needs (the steps of its own build), and the ids of all such intermediates.

    Podman's df counts everything an image shares with its parent as shared, so an image built
    with a ``RUN`` and labels holds only its label's config bytes there: its ``RUN`` layer sits in
    a hidden intermediate (Podman makes one per step, ``LABEL`` included). Docker counts the
    layers no other listed image holds as the image's own; walking up from an image without
    children through the hidden intermediates that have one child each gives that. Each intermediate's own bytes are its
    size less its parent's (``layers_size``).
    """
    listing = images if isinstance(images, ImageListing) else ImageListing(images)
    children: dict[str, int] = {}
    for parent in listing.parent_of.values():
        children[parent] = children.get(parent, 0) + 1
    extra: dict[str, int] = {}
    absorbed: set[str] = set()
    for image_id in listing.top:
        # An image with children shares all it holds with them; only a leaf's own steps are its own.
        node: str | None = None if children.get(image_id) else listing.parent_of.get(image_id)
        total = 0
        while node is not None and node in listing.size_of and node not in listing.top and children.get(node) == 1 \
                and node not in absorbed:
            total += listing.own_bytes(node)
            absorbed.add(node)
            node = listing.parent_of.get(node)
        extra[image_id] = total
    return extra, frozenset(absorbed)


def _less(shared: int, own_steps: int) -> int:
    """Shared bytes less those of the image's own build steps; -1 (unknown) stays unknown."""
    return shared if shared < 0 else max(shared - own_steps, 0)


def _image_in_docker_terms(raw: t.Mapping[str, t.Any], shared_size: int) -> dict[str, t.Any]:
    return dict(raw, Id=full_image_id(raw.get("Id")), ParentId=full_image_id(raw.get("ParentId")),
                RepoTags=[familiar_name(str(tag)) for tag in raw.get("RepoTags") or []],
                RepoDigests=[familiar_name(str(digest)) for digest in raw.get("RepoDigests") or []],
                SharedSize=shared_size)


def top_level_images(images: t.Sequence[t.Mapping[str, t.Any]]) -> list[t.Mapping[str, t.Any]]:
    """What ``docker images`` (and Docker's df) lists of an ``all=true`` listing: every image but the
    untagged ones that have children (build intermediates)."""
    parents = {full_image_id(raw.get("ParentId")) for raw in images if raw.get("ParentId")}
    return [raw for raw in images if raw.get("RepoTags") or full_image_id(raw.get("Id")) not in parents]


def layers_size(images: t.Sequence[t.Mapping[str, t.Any]]) -> int:
    """Bytes of image layers on disk, shared layers once, from an ``all=true`` image listing.

    Podman's df leaves this at 0. Each image's own layers are its size less its parent's (a
    child holds all of its parent's layers); an image without a known parent counts whole.
    Images that share layers without a parent link (pulled ones on a common base) count the
    shared layers once each, so this is an upper estimate there (docs/podman.md).
    """
    listing = ImageListing(images)
    return sum(listing.own_bytes(image_id) for image_id in listing.size_of)


def docker_disk_usage(df: t.Mapping[str, t.Any], images: t.Sequence[t.Mapping[str, t.Any]],
                      containers: t.Sequence[t.Mapping[str, t.Any]],
                      volumes: t.Sequence[t.Mapping[str, t.Any]] = ()) -> dict[str, t.Any]:
    """Podman's ``/system/df`` answer as Docker's: images from the ``all=true`` image listing
    (``images``: full ids and tags, parents, one entry per image), their shared sizes from the df,
    the layers' bytes computed, the containers from their listing (``containers``: full image
    ids), and the volumes from theirs (``volumes``: labels, driver, creation time, which the df
    leaves empty) with the df's usage. The build cache is Podman's own (none)."""
    shared: dict[str, t.Any] = {}
    for raw in df.get("Images") or []:
        shared.setdefault(full_image_id(raw.get("Id")), raw.get("SharedSize"))
    # Docker's shared bytes leave out what the image's own build steps hold (``build_steps_below``).
    own_steps, _intermediates = build_steps_below(images)
    top = [_image_in_docker_terms(raw, _less(int(shared.get(full_image_id(raw.get("Id")), -1) or 0),
                                             own_steps.get(full_image_id(raw.get("Id")), 0)))
           for raw in top_level_images(images)]
    usage = {str(raw.get("Name")): raw.get("UsageData") for raw in df.get("Volumes") or []}
    return dict(df, Images=top, LayersSize=layers_size(images),
                Containers=[containers_in_docker_terms(raw) for raw in containers],
                Volumes=[dict(raw, UsageData=usage.get(str(raw.get("Name"))) or {"RefCount": -1, "Size": -1})
                         for raw in volumes])


def containers_in_docker_terms(raw: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """A listed container with its image id in full (Docker's form on both engines)."""
    return dict(raw, ImageID=full_image_id(raw.get("ImageID")))


def env_names(env: t.Iterable[str]) -> dict[str, str]:
    """``["A=1", "B"]`` -> ``{"A": "1", "B": ""}``: an environment as name -> value."""
    pairs: dict[str, str] = {}
    for entry in env:
        name, _equals, value = str(entry).partition("=")
        pairs[name] = value
    return pairs


def engine_added_env(engine: str, observed: t.Iterable[str], image_env: t.Iterable[str]) -> frozenset[str]:
    """Names of the variables the engine added to a container's environment unasked: Podman's
    (``PODMAN_ADDED_ENV``) unless the image itself sets them; nothing on Docker."""
    if engine != PODMAN:
        return frozenset()
    from_image = set(env_names(image_env))
    return frozenset(name for name in env_names(observed) if name in PODMAN_ADDED_ENV and name not in from_image)


def tag_named(reference: str, tags: t.Iterable[str], engine: str) -> str | None:
    """Which of an image's ``tags`` (Docker's spelling) ``reference`` (``repo:tag``, tag added) names, if any.

    Podman names a locally built or committed image ``localhost/<name>`` and resolves ``<name>``
    to it, where Docker would look for ``<name>`` on Docker Hub.
    """
    candidates = [reference]
    if engine == PODMAN and not reference.startswith("localhost/"):
        candidates.append(f"localhost/{reference}")
    return next((tag for tag in candidates if tag in set(tags)), None)


# Podman's own container states, which its compatible API passes on, as the Docker state they are:
# "stopped" is a container that ended and whose cleanup has not run yet (then "exited"); "stopping"
# one still running while a stop is under way; "configured" and "initialized" ones not started yet.
_DOCKER_STATE = {"stopped": "exited", "stopping": "running", "configured": "created", "initialized": "created"}


def docker_state(status: t.Any) -> str:
    """A container's ``State.Status`` (or listed ``State``) as Docker names it; Docker's own pass unchanged."""
    text = str(status or "")
    return _DOCKER_STATE.get(text, text)


def podman_output_cut(started_ns: int, slack_ns: int) -> int:
    """Where a run's log lines begin on Podman, whose log stamps are cut to the whole second
    (``2026-12-02T08:04:28Z``): just before the second the run started in. Lines an earlier run
    wrote in that same second count as this run's, which the stamps cannot tell apart."""
    return ((started_ns - slack_ns) // 1_000_000_000) * 1_000_000_000 - 1


# Mount options Podman writes into every bind it reports, asked for or not.
_PODMAN_MOUNT_DEFAULTS = frozenset({"rbind", "rprivate", "nodev", "nosuid", "exec"})


def docker_binds(binds: t.Iterable[str]) -> list[str]:
    """Podman's ``HostConfig.Binds`` as Docker's: without the mount options Podman adds to every
    bind, and its anonymous volumes (a 64-hex volume name) as the bare container path Docker
    keeps them under (``Config.Volumes``)."""
    docker = []
    for bind in binds:
        parts = str(bind).split(":")
        if len(parts) < 2:
            docker.append(str(bind))
            continue
        source, target = parts[0], parts[1]
        options = [option for option in (parts[2].split(",") if len(parts) > 2 else [])
                   if option not in _PODMAN_MOUNT_DEFAULTS]
        if len(source) == 64 and set(source) <= _HEX:
            docker.append(target)
            continue
        docker.append(":".join([source, target] + ([",".join(options)] if options else [])))
    return docker


def docker_network_mode(mode: t.Any, engine: str) -> t.Any:
    """A container's ``HostConfig.NetworkMode`` as Docker names it: Podman says ``bridge`` for a
    container created without a network mode, which Docker calls ``default`` (the same network)."""
    return "default" if engine == PODMAN and mode == "bridge" else mode


# The options Podman adds to every tmpfs mount it reports (Docker reports the task's own).
_PODMAN_TMPFS_DEFAULTS = frozenset({"nodev", "nosuid", "rprivate", "tmpcopyup"})


def docker_tmpfs(tmpfs: t.Mapping[str, str] | None, engine: str) -> dict[str, str] | None:
    """A container's ``HostConfig.Tmpfs`` as Docker reports it: on Podman without the options Podman
    adds to each mount, so that a tmpfs the task gives as ``/run`` reads back as ``/run``."""
    if engine != PODMAN or not tmpfs:
        return dict(tmpfs) if tmpfs else None
    return {target: ",".join(option for option in str(options or "").split(",")
                             if option and option not in _PODMAN_TMPFS_DEFAULTS)
            for target, options in tmpfs.items()}


def reported_device_rules(host: t.Mapping[str, t.Any], engine: str) -> list[str] | None:
    """``HostConfig.DeviceCgroupRules``; None where the engine does not report them (Podman 4.3
    applies them but leaves them out of its inspect answer), so that they are not compared."""
    rules = host.get("DeviceCgroupRules")
    if engine == PODMAN and not rules:
        return None
    return list(rules or [])


def pull_evidence(digests: t.Sequence[str], engine: str) -> tuple[str, ...]:
    """The repository digests that show an image came from (or went to) a registry.

    On Docker an image has a repository digest only once it was pushed or pulled, which is what
    keep_unpullable relies on. Podman gives every image a digest for each of its names, pushed or
    not (a local build tagged ``app:1`` lists ``docker.io/library/app@sha256:...``), so there its
    digests prove nothing: none count, and a tagged image is kept as unpullable unless the task
    sets keep_unpullable to false (docs/podman.md).
    """
    return () if engine == PODMAN else tuple(digests)


# What Podman's inspect reports a container's CapAdd and CapDrop against: the default bounding set of
# the OCI runtime-tools spec generator it calls, fixed in its code, not containers.conf's
# default_capabilities. Measured on 4.3.1: with default_capabilities = [CHOWN, KILL, NET_RAW], a
# container made with those defaults reports CapAdd [] and CapDrop the other 11 of these 14.
PODMAN_REPORT_BASE = frozenset({
    "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD",
    "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
})
# Podman 4's built-in default_capabilities, the same 14, for when /libpod/info names none. Only a
# fallback: the engine's answer is the truth, since a host's containers.conf can name others.
PODMAN_BUILTIN_CAPABILITIES = PODMAN_REPORT_BASE


def default_capabilities(libpod_info: t.Mapping[str, t.Any] | None) -> frozenset[str]:
    """The capabilities Podman gives a container by default, from its ``/libpod/info`` answer
    (``host.security.capabilities``, ``"CAP_CHOWN,CAP_KILL,..."``: containers.conf's
    ``default_capabilities``); Podman's built-in set when the answer names none.

    A container made without cap_add and cap_drop gets these (its inspect reports them against
    ``PODMAN_REPORT_BASE``, which is the same set unless containers.conf names others)."""
    host = (libpod_info or {}).get("host") or {}
    text = str((host.get("security") or {}).get("capabilities") or "")
    names = frozenset(name.strip().upper() for name in text.split(",") if name.strip())
    return frozenset(name if name.startswith("CAP_") else f"CAP_{name}" for name in names) or PODMAN_BUILTIN_CAPABILITIES


# The logging drivers Podman 4.3 creates containers with. Its compatible API refuses others (Docker's
# ``local``: "invalid log driver") only when creating, which for a recreation is after the old
# container was removed.
PODMAN_LOG_DRIVERS = frozenset({"k8s-file", "json-file", "journald", "none", "passthrough", "passthrough-tty"})
# Podman writes its own k8s-file format under either name, and reports both as json-file.
PODMAN_FILE_DRIVERS = frozenset({"k8s-file", "json-file"})


def docker_log_config(log_config: t.Mapping[str, t.Any] | None, engine: str) -> tuple[str | None, dict[str, str] | None]:
    """A container's logging driver and options as they can be compared: on Podman the driver its
    compatible API names ``json-file`` is its own ``k8s-file``, and the options are not reported
    (``Config`` is null whatever was set: Podman keeps ``max-size`` as its own log size limit and
    ignores ``max-file``), so they are None: not compared."""
    config = log_config or {}
    driver = str(config.get("Type") or "") or None
    if engine != PODMAN:
        return driver, dict(config.get("Config") or {})
    return ("k8s-file" if driver == "json-file" else driver), (dict(config["Config"]) if config.get("Config") else None)


def same_log_driver(observed: str | None, wanted: str, engine: str) -> bool:
    """Whether a container's driver is the one a task names: on Podman ``json-file`` and ``k8s-file`` are one."""
    if engine == PODMAN and observed in PODMAN_FILE_DRIVERS and wanted in PODMAN_FILE_DRIVERS:
        return True
    return observed == wanted
