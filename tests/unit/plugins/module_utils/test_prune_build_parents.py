# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine side of planned build parents (Podman): what the read gives the planner, and the remover.

On Podman the image graph comes with the hidden intermediates as records; on Docker nothing more is
read. A planned parent the engine already deleted with its child went as planned; any other image
that vanished is ``gone``. Podman's 500 "image not known" about another image, which it answers while
concurrent removals run, is asked again rather than taken for the image gone.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._errors import NotFound
from ansible_collections.tidy.docker.plugins.module_utils._prune import apply
from ansible_collections.tidy.docker.plugins.module_utils._prune.apply import image_remover
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import Decision
from ansible_collections.tidy.docker.plugins.module_utils._prune.read import image_graph_for

BASE, STEP, LEAF = ("a" * 64, "b" * 64, "c" * 64)
LISTING: list[dict[str, t.Any]] = [
    {"Id": f"sha256:{BASE}", "ParentId": "", "RepoTags": ["docker.io/tidy-test/busybox:latest"], "Size": 2000,
     "Created": 100, "Labels": {}},
    {"Id": f"sha256:{STEP}", "ParentId": BASE, "RepoTags": None, "Size": 2500, "Created": 200,
     "Labels": {"tidy.test.case": "x"}},
    {"Id": f"sha256:{LEAF}", "ParentId": STEP, "RepoTags": ["docker.io/app:1"], "Size": 2600, "Created": 300,
     "Labels": {"tidy.test.case": "x"}},
]


class FakeApi:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def images(self, all: bool = False) -> list[dict[str, t.Any]]:  # noqa: A002 - the SDK's keyword
        assert all
        self.calls.append("images")
        return [dict(raw) for raw in LISTING]


class FakeClient:
    def __init__(self, engine: str, present: t.Collection[str] = ()) -> None:
        self.api = FakeApi()
        self.engine = engine
        self.present = set(present)
        self.requests: list[tuple[str, str]] = []

    def call(self, method: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
        return method(*args, **kwargs)

    def request(self, verb: str, path: str, query: t.Mapping[str, t.Any] | None = None) -> t.Any:
        self.requests.append((verb, path))
        image_id = path.split("/")[2]
        if image_id not in self.present:
            raise NotFound(f"image not known: {image_id}")
        if verb == "DELETE":
            self.present.discard(image_id)
            return [{"Deleted": image_id}]
        return {"Id": image_id, "RepoTags": []}


def test_on_podman_the_graph_comes_with_the_hidden_intermediates():
    client = FakeClient("podman")
    parents, hidden = image_graph_for(t.cast(t.Any, client), needs_graph=False)
    assert parents == {f"sha256:{STEP}": f"sha256:{BASE}", f"sha256:{LEAF}": f"sha256:{STEP}"}
    assert [(i.id, i.tags, i.parent_id, i.labels) for i in hidden] == [
        (f"sha256:{STEP}", (), f"sha256:{BASE}", {"tidy.test.case": "x"})]
    # the step only the leaf needs: its bytes are the leaf's unique size already
    assert hidden[0].unique_size == 0
    assert client.api.calls == ["images"]


def test_on_docker_nothing_more_is_read():
    client = FakeClient("docker")
    assert image_graph_for(t.cast(t.Any, client), needs_graph=False) == (None, ())
    assert client.api.calls == []
    parents, hidden = image_graph_for(t.cast(t.Any, client), needs_graph=True)
    assert parents and hidden == ()


def test_a_planned_parent_the_engine_deleted_with_its_child_went_as_planned():
    remove = image_remover(t.cast(t.Any, FakeClient("podman")), {}, force=False)
    assert remove(Decision(f"sha256:{STEP}", (), "remove", "parent_of_removed")) is None
    assert remove(Decision(f"sha256:{STEP}", (), "remove", "dangling")) == "gone"


def test_a_planned_parent_still_there_is_deleted():
    client = FakeClient("podman", present={f"sha256:{STEP}"})
    remove = image_remover(t.cast(t.Any, client), {}, force=False)
    assert remove(Decision(f"sha256:{STEP}", (), "remove", "parent_of_removed")) is None
    assert client.requests == [("GET", f"/images/sha256:{STEP}/json"), ("DELETE", f"/images/sha256:{STEP}")]


class RacingClient(FakeClient):
    """Podman while other removals run: the first ``races`` answers of each kind are its 500 "image not known"
    about another image (read as NotFound with status 500), whether or not the asked image is there."""

    def __init__(self, present: t.Collection[str], races: int) -> None:
        super().__init__("podman", present)
        self.races = {"GET": races, "DELETE": races}

    def request(self, verb: str, path: str, query: t.Mapping[str, t.Any] | None = None) -> t.Any:
        if self.races[verb]:
            self.races[verb] -= 1
            self.requests.append((verb, path))
            raise NotFound('reading image "other": image not known', status_code=500)
        return super().request(verb, path, query)


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apply, "_PODMAN_RACE_PAUSE", 0)


def test_podmans_race_is_not_taken_for_the_image_gone():
    client = RacingClient({f"sha256:{LEAF}"}, races=2)
    remove = image_remover(t.cast(t.Any, client), {}, force=False)
    assert remove(Decision(f"sha256:{LEAF}", (), "remove", "dangling")) is None
    assert client.present == set()
    assert [verb for verb, _path in client.requests].count("DELETE") == 3


def test_an_image_really_gone_is_gone_after_the_race():
    client = RacingClient(set(), races=1)
    remove = image_remover(t.cast(t.Any, client), {}, force=False)
    assert remove(Decision(f"sha256:{LEAF}", (), "remove", "dangling")) == "gone"


def test_an_image_that_stays_through_every_attempt_is_a_conflict():
    client = RacingClient({f"sha256:{LEAF}"}, races=0)
    client.races["DELETE"] = 99
    remove = image_remover(t.cast(t.Any, client), {}, force=False)
    assert remove(Decision(f"sha256:{LEAF}", (), "remove", "dangling")) == "conflict"
    assert client.present == {f"sha256:{LEAF}"}
