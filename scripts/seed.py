#!/usr/bin/env python
"""Offline fixtures for a private Docker engine (no registry, no network).

    scripts/seed.py --docker-host unix:///tmp/x/engine/docker.sock --profile test
    scripts/seed.py --docker-host unix://$PWD/.sandbox/docker.sock --profile clutter

Every image is built locally with the classic builder (the docker SDK's low-level
``APIClient.build`` with an in-memory tar context), starting from a 2 MB base made of the
static busybox binary (Debian package busybox-static).

Profiles
  test     what the integration targets expect (a few seconds, no containers):
             tidy-test/busybox:latest   base image
             tidy-test/app:1, :stable   one image, two tags
             tidy-test/app:2            shares the base layer with app:1
             tidy-test/app:old          rebuilt once, so its first build is left dangling
             tidy-test/labelled:1       LABEL tidy.docker.keep=true
  clutter  a used-looking host for demos: the test images, shop/web:1..4,
           shop/worker:1..2, more dangling images and containers in every state.

Importable: ``connect``, ``build_base``, ``build_image``, ``tag_image``, ``seed_test``,
``seed_clutter``. The build functions are safe to call from several threads as long as
each thread uses its own client (``connect`` is cheap).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tarfile
import time

try:
    import docker
    from docker.errors import APIError, DockerException, NotFound
except ImportError:  # pragma: no cover - reported at run time
    sys.exit("seed.py: the docker SDK is missing (run scripts/setup.sh and use .venv/bin/python)")

BASE_TAG = "tidy-test/busybox:latest"
BUSYBOX = os.environ.get("TIDY_BUSYBOX", "/bin/busybox")
KEEP_LABEL = "tidy.docker.keep"
REFUSED_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")


class SeedError(Exception):
    """A fixture could not be created."""


# --------------------------------------------------------------------------- basics


def connect(docker_host: str, timeout: int = 120) -> docker.APIClient:
    """Low-level client for ``docker_host``; refuses the system engine's socket."""
    if not docker_host:
        raise SeedError("no docker host given (--docker-host or DOCKER_HOST)")
    path = docker_host[len("unix://"):] if docker_host.startswith("unix://") else None
    if path is not None and os.path.realpath(path) in [os.path.realpath(p) for p in REFUSED_SOCKETS]:
        raise SeedError(f"refusing to seed the system engine at {docker_host}; use a private engine (scripts/engine.sh)")
    try:
        return docker.APIClient(base_url=docker_host, version="auto", timeout=timeout)
    except DockerException as exc:
        raise SeedError(f"cannot reach the Docker engine at {docker_host}: {exc}") from None


def _tar_context(dockerfile: str, files: dict[str, bytes | str]) -> io.BytesIO:
    """In-memory build context: Dockerfile plus ``files`` (name -> bytes or source path)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        entries: dict[str, bytes | str] = {"Dockerfile": dockerfile.encode()}
        entries.update(files)
        for name, content in entries.items():
            if isinstance(content, str):  # a path on disk
                tar.add(content, arcname=name)
                continue
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            info.mtime = 0  # stable context: identical input hits the build cache
            tar.addfile(info, io.BytesIO(content))
    buf.seek(0)
    return buf


def _build(client: docker.APIClient, tag: str, dockerfile: str, files: dict[str, bytes | str],
           labels: dict[str, str] | None = None) -> str:
    """Build with the classic builder; returns the image id. Raises SeedError on failure."""
    context = _tar_context(dockerfile, files)
    image_id = None
    lines: list[str] = []
    try:
        stream = client.build(fileobj=context, custom_context=True, tag=tag, rm=True, forcerm=True,
                              pull=False, labels=labels, decode=True)
        for chunk in stream:
            if "error" in chunk or "errorDetail" in chunk:
                detail = chunk.get("error") or chunk.get("errorDetail", {}).get("message")
                raise SeedError(f"building {tag} failed: {detail}\n{''.join(lines[-10:])}")
            if "stream" in chunk:
                lines.append(chunk["stream"])
            aux = chunk.get("aux")
            if isinstance(aux, dict) and "ID" in aux:
                image_id = aux["ID"]
    except APIError as exc:
        raise SeedError(f"building {tag} failed: {exc.explanation or exc}") from None
    if image_id is None:
        image_id = client.inspect_image(tag)["Id"]
    return image_id


def build_base(client: docker.APIClient, tag: str = BASE_TAG, busybox: str = BUSYBOX) -> str:
    """FROM scratch + static busybox with its applet links; returns the image id."""
    if not os.path.isfile(busybox):
        raise SeedError(f"{busybox} not found: install the static busybox (apt-get install busybox-static)")
    dockerfile = (
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox","--install","-s","/bin"]\n'
        'CMD ["/bin/sh"]\n'
    )
    return _build(client, tag, dockerfile, {"busybox": busybox})


def build_image(client: docker.APIClient, tag: str, content: bytes | str | None = None, *,
                base: str = BASE_TAG, labels: dict[str, str] | None = None,
                size: int = 0, files: dict[str, bytes] | None = None) -> str:
    """Image FROM ``base`` with one unique layer; returns the image id.

    ``content`` goes to /tidy/id (default: the tag itself, which makes every tag a distinct
    image); ``size`` adds /tidy/blob of that many bytes; ``files`` adds more files under
    /tidy/. Identical arguments give the identical image (build cache), so seeding twice
    is idempotent.
    """
    if content is None:
        content = tag
    if isinstance(content, str):
        content = content.encode()
    ctx: dict[str, bytes | str] = {"id": content}
    if size:
        ctx["blob"] = (content * (size // max(len(content), 1) + 1))[:size]
    for name, data in (files or {}).items():
        ctx[name] = data
    dockerfile = f"FROM {base}\n" + "".join(f"COPY {name} /tidy/{name}\n" for name in ctx)
    return _build(client, tag, dockerfile, ctx, labels=labels)


def tag_image(client: docker.APIClient, image: str, *tags: str) -> None:
    """Add ``repo:tag`` names to an existing image."""
    for full in tags:
        repo, tag = full.rpartition(":")[::2]
        if not repo or "/" in tag:
            repo, tag = full, "latest"
        client.tag(image, repo, tag, force=True)


def ensure_base(client: docker.APIClient) -> str:
    """The base image id, building it when missing."""
    try:
        return client.inspect_image(BASE_TAG)["Id"]
    except NotFound:
        return build_base(client)


def make_dangling(client: docker.APIClient, tag: str, versions: int = 2, **kwargs) -> str:
    """Build ``tag`` ``versions`` times with different content: all but the last are left
    without a name (``<none>:<none>``). Returns the id of the last build."""
    image_id = ""
    for i in range(versions):
        image_id = build_image(client, tag, f"{tag} build {i + 1}", **kwargs)
    return image_id


# --------------------------------------------------------------------------- containers


def _remove_container(client: docker.APIClient, name: str) -> None:
    try:
        client.remove_container(name, force=True)
    except NotFound:
        pass


def make_container(client: docker.APIClient, name: str, image: str, command: list[str], *,
                   state: str = "exited", labels: dict[str, str] | None = None,
                   restart: str | None = None) -> str:
    """Create container ``name`` (replacing an old one) and bring it to ``state``:
    created (never started), running, exited (command ran to its end) or stopped
    (started, then stopped by the engine)."""
    _remove_container(client, name)
    host_config = client.create_host_config(
        init=True, restart_policy={"Name": restart} if restart else None)
    cid = client.create_container(image, command=command, name=name, labels=labels or {},
                                  host_config=host_config)["Id"]
    if state == "created":
        return cid
    client.start(cid)
    if state == "exited":
        client.wait(cid, timeout=60)
    elif state == "stopped":
        client.stop(cid, timeout=5)
    return cid


# --------------------------------------------------------------------------- profiles


def seed_test(client: docker.APIClient) -> dict:
    """Images for the integration suite. No containers."""
    built = {"base": build_base(client)}
    built["app1"] = build_image(client, "tidy-test/app:1")
    tag_image(client, built["app1"], "tidy-test/app:stable")
    built["app2"] = build_image(client, "tidy-test/app:2")
    built["old"] = make_dangling(client, "tidy-test/app:old")
    built["labelled"] = build_image(client, "tidy-test/labelled:1", labels={KEEP_LABEL: "true"})
    return built


def seed_clutter(client: docker.APIClient) -> dict:
    """The test images plus a host that has been used for a while."""
    built = seed_test(client)
    for n in range(1, 5):
        built[f"web{n}"] = build_image(client, f"shop/web:{n}", size=n * 256 * 1024)
    tag_image(client, built["web4"], "shop/web:latest")
    for n in range(1, 3):
        built[f"worker{n}"] = build_image(client, f"shop/worker:{n}", size=512 * 1024)
    make_dangling(client, "shop/web:dev", versions=3)   # two more dangling images
    built["cron"] = build_image(client, "shop/cron:1", labels={"team": "shop"})

    sh = ["sh", "-c"]
    make_container(client, "shop-web-1-done", "shop/web:1", sh + ["exit 0"])
    make_container(client, "shop-web-2-done", "shop/web:2", sh + ["exit 0"])
    make_container(client, "shop-worker-1-crashed", "shop/worker:1", sh + ["exit 1"])
    make_container(client, "shop-worker-2-oom", "shop/worker:2", sh + ["exit 137"])
    make_container(client, "tidy-app-1-done", "tidy-test/app:1", sh + ["exit 0"])
    make_container(client, "shop-cron-created", "shop/cron:1", ["true"], state="created")
    make_container(client, "shop-web-4-running", "shop/web:4", ["sleep", "86400"], state="running")
    make_container(client, "shop-web-3-restart-always", "shop/web:3", ["sleep", "86400"],
                   state="stopped", restart="always")
    make_container(client, "tidy-keep-me", "tidy-test/app:2", sh + ["exit 0"],
                   labels={KEEP_LABEL: "true"})
    return built


PROFILES = {"test": seed_test, "clutter": seed_clutter}


def summary(client: docker.APIClient) -> str:
    images = client.images(all=False)
    names = sorted(t for img in images for t in (img.get("RepoTags") or []) if t != "<none>:<none>")
    dangling = [img for img in images if not [t for t in (img.get("RepoTags") or []) if t != "<none>:<none>"]]
    containers = client.containers(all=True)
    states: dict[str, int] = {}
    for c in containers:
        states[c["State"]] = states.get(c["State"], 0) + 1
    lines = [f"  images: {len(images)} ({len(dangling)} dangling), tags: {', '.join(names)}"]
    state_text = ", ".join(f"{n} {s}" for s, n in sorted(states.items())) or "none"
    lines.append(f"  containers: {len(containers)} ({state_text})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--docker-host", default=os.environ.get("DOCKER_HOST"),
                        help="engine address, e.g. unix:///tmp/x/docker.sock (default: $DOCKER_HOST)")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="test")
    parser.add_argument("--quiet", action="store_true", help="one line only")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        client = connect(args.docker_host)
        PROFILES[args.profile](client)
        text = summary(client)
    except (SeedError, DockerException) as exc:
        print(f"seed.py: {exc}", file=sys.stderr)
        return 1
    print(f"seed: profile {args.profile} on {args.docker_host} in {time.monotonic() - start:.1f}s")
    if not args.quiet:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
