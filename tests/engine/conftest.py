# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the engine tests: a real, private, disposable Docker engine.

The engine's address comes from ``TIDY_TEST_DOCKER_HOST`` (a ``unix://`` socket of an
engine the test runner started and seeded with ``scripts/seed.py --profile test``).
Without it every test fails with one message saying so: these tests are part of the
suite, and silently skipping them would hide that they did not run.

Each test gets a unique ``prefix``; everything it creates carries it (container names,
image repositories, the label ``tidy.test.run=<prefix>``), and ``objects`` removes all
of it afterwards, whether the test passed or not.

Like ``tests/unit``, the collection must be importable as ``ansible_collections.tidy.docker``:
run from a copy at ``<root>/ansible_collections/tidy/docker`` (``scripts/test.sh`` does), or
with ``PYTHONPATH=<root>`` where ``<root>/ansible_collections/tidy/docker`` links to this checkout.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import typing as t
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).absolute().parents[2]  # tests/engine/conftest.py -> repository root
ENV_HOST = "TIDY_TEST_DOCKER_HOST"
RUN_LABEL = "tidy.test.run"
SYSTEM_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
HOW_TO_RUN = (
    "run from a copy at <root>/ansible_collections/tidy/docker (scripts/test.sh does this), or with "
    "PYTHONPATH=<root> where <root>/ansible_collections/tidy/docker is a symlink to this checkout"
)


def _collection_root() -> Path | None:
    """``<root>`` above ``ansible_collections/tidy/docker``: this checkout's own, else one on sys.path."""
    for candidate in (REPO, REPO.resolve()):
        if candidate.parts[-3:] == ("ansible_collections", "tidy", "docker"):
            return candidate.parents[2]
    for entry in sys.path:
        link = Path(entry or ".") / "ansible_collections" / "tidy" / "docker"
        if link.exists() and link.resolve() == REPO.resolve():
            return Path(entry or ".").absolute()
    return None


COLLECTION_ROOT = _collection_root()
if COLLECTION_ROOT is not None and str(COLLECTION_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTION_ROOT))
try:
    importlib.import_module("ansible_collections.tidy.docker.plugins.module_utils._prune.apply")
except ImportError as exc:  # pragma: no cover - a setup error, reported once
    pytest.exit(f"Cannot import ansible_collections.tidy.docker ({exc}) from {REPO}: {HOW_TO_RUN}.", returncode=4)

sys.path.insert(0, str(REPO / "scripts"))
import seed  # noqa: E402  (scripts/seed.py: the fixture builders)

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient  # noqa: E402
from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import ConnectionSettings  # noqa: E402

# --------------------------------------------------------------------------- the engine


@pytest.fixture(scope="session")
def docker_host() -> str:
    host = os.environ.get(ENV_HOST, "").strip()
    if not host:
        pytest.fail(f"{ENV_HOST} is not set: the engine tests need the unix:// address of a private, disposable "
                    "Docker engine. scripts/test.sh starts one and sets it; by hand: scripts/engine.sh start DIR, "
                    "scripts/seed.py --docker-host unix://DIR/docker.sock --profile test, then "
                    f"{ENV_HOST}=unix://DIR/docker.sock.", pytrace=False)
    path = host[len("unix://"):] if host.startswith("unix://") else None
    if path is None:
        pytest.fail(f"{ENV_HOST}={host!r} is not a unix:// address of a local private engine.", pytrace=False)
    if os.path.realpath(path) in {os.path.realpath(p) for p in SYSTEM_SOCKETS}:
        pytest.fail(f"{ENV_HOST}={host!r} is the system engine; the engine tests remove objects and must only "
                    "run against a private engine (scripts/engine.sh).", pytrace=False)
    return host


@pytest.fixture(scope="session")
def engine(docker_host: str) -> t.Iterator[EngineClient]:
    """The collection's own client, as the modules make it."""
    settings = ConnectionSettings.from_params({
        "docker_host": docker_host, "api_version": "auto", "timeout": 120, "tls": False, "validate_certs": False,
        "ca_path": None, "client_cert": None, "client_key": None, "tls_hostname": None, "use_ssh_client": False,
    }, environ={})
    client = EngineClient(settings, max_pool_size=16)
    yield client
    client.close()


@pytest.fixture(scope="session")
def collection_root() -> Path:
    """The directory holding ansible_collections/tidy/docker: ANSIBLE_COLLECTIONS_PATH for ansible commands."""
    if COLLECTION_ROOT is None:  # pragma: no cover - imported through an installed copy
        pytest.fail(f"no ansible_collections/tidy/docker directory leads to {REPO}: {HOW_TO_RUN}.", pytrace=False)
    return COLLECTION_ROOT


@pytest.fixture(scope="session")
def sdk(docker_host: str) -> t.Any:
    """A plain low-level SDK client: the fixture builder and the "other actor" of the race tests."""
    client = seed.connect(docker_host)
    seed.ensure_base(client)
    return client


# --------------------------------------------------------------------------- per test


@pytest.fixture
def prefix() -> str:
    """Unique to the test: container names and image repositories start with it."""
    return f"tidy-eng-{uuid.uuid4().hex[:10]}"


class Objects:
    """Creates test objects that all carry the test's prefix, and removes them afterwards."""

    def __init__(self, docker_host: str, sdk: t.Any, prefix: str) -> None:
        self.docker_host = docker_host
        self.sdk = sdk
        self.prefix = prefix
        self.labels = {RUN_LABEL: prefix}
        self._local = threading.local()

    def client(self) -> t.Any:
        """One SDK client per thread (the builders are thread-safe that way)."""
        if not hasattr(self._local, "client"):
            self._local.client = seed.connect(self.docker_host)
        return self._local.client

    def image(self, name: str, content: str | None = None, labels: dict[str, str] | None = None) -> str:
        """Image ``<prefix>/<name>`` FROM the seeded busybox with one unique layer; returns its id.

        The same ``content`` for several images makes them siblings that share their untagged
        intermediate parent (the classic builder caches the COPY step).
        """
        tag = f"{self.prefix}/{name}"
        return seed.build_image(self.client(), tag, content if content is not None else tag,
                                labels={**self.labels, **(labels or {})})

    def images(self, names: t.Sequence[str], workers: int = 6, **kwargs: t.Any) -> list[str]:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda name: self.image(name, **kwargs), names))

    def container(self, name: str, image: str = seed.BASE_TAG, command: t.Sequence[str] = ("true",),
                  state: str = "exited", restart: str | None = None) -> str:
        """Container ``<prefix>-<name>`` in ``state`` (created, running, exited, stopped); returns its id."""
        return seed.make_container(self.client(), f"{self.prefix}-{name}", image, list(command), state=state,
                                   labels=self.labels, restart=restart)

    def cleanup(self) -> None:
        sdk = self.sdk
        for container in sdk.containers(all=True, filters={"label": f"{RUN_LABEL}={self.prefix}"}):
            _ignore_missing(sdk.remove_container, container["Id"], force=True, v=True)
        for container in sdk.containers(all=True, filters={"name": self.prefix}):
            _ignore_missing(sdk.remove_container, container["Id"], force=True, v=True)
        mine = {image["Id"] for image in sdk.images(all=True, filters={"label": f"{RUN_LABEL}={self.prefix}"})}
        mine |= {image["Id"] for image in sdk.images(all=False)
                 if any(tag.startswith(f"{self.prefix}/") for tag in image.get("RepoTags") or [])}
        for image_id in mine:
            _ignore_missing(sdk.remove_image, image_id, force=True)


def _ignore_missing(call: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> None:
    try:
        call(*args, **kwargs)
    except seed.NotFound:
        pass
    except seed.APIError as exc:  # e.g. a parent already removed with its last child
        if exc.status_code not in (404, 409):
            raise


@pytest.fixture
def objects(docker_host: str, sdk: t.Any, prefix: str) -> t.Iterator[Objects]:
    made = Objects(docker_host, sdk, prefix)
    try:
        yield made
    finally:
        made.cleanup()


# --------------------------------------------------------------------------- what the engine holds


def engine_objects(sdk: t.Any) -> tuple[set[str], set[str]]:
    """Ids of every container and every top-level image."""
    return ({c["Id"] for c in sdk.containers(all=True)}, {i["Id"] for i in sdk.images(all=False)})


@pytest.fixture
def snapshot(sdk: t.Any) -> t.Callable[[], tuple[set[str], set[str]]]:
    return lambda: engine_objects(sdk)


# --------------------------------------------------------------------------- wall times

TIMINGS: list[str] = []


@pytest.fixture
def timings(request: pytest.FixtureRequest) -> t.Callable[[str, float], None]:
    """Record a wall time; all of them are printed at the end of the run (and go to the junit file)."""
    def record(what: str, seconds: float) -> None:
        TIMINGS.append(f"{request.node.name}: {what}: {seconds:.1f}s")
        request.node.user_properties.append((what, f"{seconds:.1f}s"))
    return record


def pytest_terminal_summary(terminalreporter: t.Any) -> None:
    if TIMINGS:
        terminalreporter.section("engine test wall times")
        for line in TIMINGS:
            terminalreporter.write_line(line)
