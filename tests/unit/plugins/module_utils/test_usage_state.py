# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The usage-state file: one entry per engine even for clones, any JSON survived, nothing left beside it."""

from __future__ import annotations

import datetime as dt
import json
import os
import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._prune.usage_state import (
    load_usage_state,
    refresh_usage_state,
    save_usage_state,
    usage_state_key,
)

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
EARLIER = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
ENGINE_ID = "ABCD:EFGH:IJKL:MNOP:QRST:UVWX:YZ01:2345:6789:ABCD:EFGH:IJKL"
HOST = "unix:///var/run/docker.sock"


def info(name: str = "vm1", root: str = "/var/lib/docker", engine_id: str = ENGINE_ID) -> dict[str, t.Any]:
    return {"ID": engine_id, "Name": name, "DockerRootDir": root}


# --------------------------------------------------------------------------- the key


def test_clones_with_one_engine_id_get_different_keys() -> None:
    # VMs cloned from one image: same key.json (ID) and root directory, a host name each.
    assert usage_state_key(info(name="vm1"), HOST) != usage_state_key(info(name="vm2"), HOST)


def test_engines_side_by_side_on_one_host_get_different_keys() -> None:
    # Same host name and (copied) ID; two daemons cannot share a root directory.
    assert usage_state_key(info(root="/var/lib/docker"), HOST) != usage_state_key(info(root="/srv/docker2"), HOST)


def test_the_key_survives_a_restart_and_an_upgrade() -> None:
    before = dict(info(), ServerVersion="20.10.24", SystemTime="2026-11-01T00:00:00Z", Containers=3)
    after = dict(info(), ServerVersion="27.3.1", SystemTime="2026-12-01T00:00:00Z", Containers=9)
    assert usage_state_key(before, HOST) == usage_state_key(after, HOST)
    assert usage_state_key(before, HOST) == usage_state_key(before, "tcp://10.0.0.5:2376")  # address does not count


def test_an_engine_without_id_is_keyed_by_its_address() -> None:
    assert usage_state_key({"ID": "", "Name": "vm1"}, HOST) == HOST
    assert usage_state_key({}, "tcp://10.0.0.5:2376") == "tcp://10.0.0.5:2376"


def test_podmans_random_id_does_not_count() -> None:
    # Podman's /info answers a new random ID on every call (measured with Podman 4.3.1).
    first = usage_state_key(info(engine_id="d0187a66-08bd-4900-a04b-86c062cf0803", root="/srv/p"), HOST, "podman")
    second = usage_state_key(info(engine_id="169fe712-0736-430f-9305-de0e1a2d4857", root="/srv/p"), HOST, "podman")
    assert first == second == "podman|vm1|/srv/p"
    assert usage_state_key(info(root="/srv/p2"), HOST, "podman") != first


# --------------------------------------------------------------------------- any JSON shape


def write(path: str, data: t.Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(data if isinstance(data, str) else json.dumps(data))


KEY = usage_state_key(info(), HOST)


@pytest.mark.parametrize("entry", ["sha256:aa", ["sha256:aa"], 3, True])
def test_an_engine_entry_of_another_shape_warns_and_is_rebuilt(tmp_path: t.Any, entry: t.Any) -> None:
    path = str(tmp_path / "usage.json")
    write(path, {"version": 1, "engines": {KEY: entry}})
    state, warnings = refresh_usage_state(path, KEY, ["sha256:aa"], ["sha256:aa"], NOW, check_mode=False)
    assert state == {"sha256:aa": NOW}
    assert len(warnings) == 1 and "will be rewritten" in warnings[0] and path in warnings[0]
    # Rebuilt: the next run reads it without a warning.
    assert load_usage_state(path, KEY) == ({"sha256:aa": NOW}, None)


@pytest.mark.parametrize("content", [
    "[]", "null", "42", '"text"', '{"engines": []}', '{"engines": "x"}', f'{{"engines": {{"{KEY}": {{"sha256:aa": 5}}}}}}',
    f'{{"engines": {{"{KEY}": {{"sha256:aa": "not a time"}}}}}}', "{", "\udcff", "[" * 100000 + "]" * 100000,
])
def test_any_content_is_survived(tmp_path: t.Any, content: str) -> None:
    path = str(tmp_path / "usage.json")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write(content)
    state, _warnings = refresh_usage_state(path, KEY, ["sha256:aa"], ["sha256:aa", "sha256:bb"], NOW, check_mode=False)
    assert state == {"sha256:aa": NOW}
    assert load_usage_state(path, KEY) == ({"sha256:aa": NOW}, None)


def test_other_engines_entries_are_kept(tmp_path: t.Any) -> None:
    path = str(tmp_path / "usage.json")
    other = usage_state_key(info(name="vm2"), HOST)
    write(path, {"version": 1, "engines": {other: {"sha256:bb": "2026-11-01T12:00:00Z"}}})
    refresh_usage_state(path, KEY, ["sha256:aa"], ["sha256:aa"], NOW, check_mode=False)
    assert load_usage_state(path, other) == ({"sha256:bb": EARLIER}, None)
    assert load_usage_state(path, KEY) == ({"sha256:aa": NOW}, None)


def test_clones_do_not_erase_each_others_history(tmp_path: t.Any) -> None:
    path = str(tmp_path / "usage.json")
    vm1, vm2 = usage_state_key(info(name="vm1"), HOST), usage_state_key(info(name="vm2"), HOST)
    refresh_usage_state(path, vm1, ["sha256:aa"], ["sha256:aa"], EARLIER, check_mode=False)
    refresh_usage_state(path, vm2, ["sha256:bb"], ["sha256:bb"], NOW, check_mode=False)  # vm2 has no sha256:aa
    assert load_usage_state(path, vm1) == ({"sha256:aa": EARLIER}, None)
    assert load_usage_state(path, vm2) == ({"sha256:bb": NOW}, None)


# --------------------------------------------------------------------------- migration


def test_an_entry_under_the_bare_engine_id_is_migrated(tmp_path: t.Any) -> None:
    path = str(tmp_path / "usage.json")
    write(path, {"version": 1, "engines": {ENGINE_ID: {"sha256:aa": "2026-11-01T12:00:00Z"}}})
    assert load_usage_state(path, KEY) == ({"sha256:aa": EARLIER}, None)
    refresh_usage_state(path, KEY, [], ["sha256:aa"], NOW, check_mode=False)
    with open(path, encoding="utf-8") as handle:
        engines = json.load(handle)["engines"]
    assert engines == {KEY: {"sha256:aa": "2026-11-01T12:00:00Z"}}


def test_check_mode_does_not_migrate(tmp_path: t.Any) -> None:
    path = str(tmp_path / "usage.json")
    write(path, {"version": 1, "engines": {ENGINE_ID: {"sha256:aa": "2026-11-01T12:00:00Z"}}})
    state, warnings = refresh_usage_state(path, KEY, [], ["sha256:aa"], NOW, check_mode=True)
    assert (state, warnings) == ({"sha256:aa": EARLIER}, [])
    with open(path, encoding="utf-8") as handle:
        assert list(json.load(handle)["engines"]) == [ENGINE_ID]


# --------------------------------------------------------------------------- nothing left beside it


def test_a_directory_warns_once_and_leaves_nothing_behind(tmp_path: t.Any) -> None:
    directory = tmp_path / "state"
    directory.mkdir()
    for _run in range(3):
        state, warnings = refresh_usage_state(str(directory), KEY, ["sha256:aa"], ["sha256:aa"], NOW, check_mode=False)
        assert state == {"sha256:aa": NOW}
        assert warnings == [f"usage_state_path {str(directory)!r} is a directory; set it to a file path such as "
                            f"{os.path.join(str(directory), 'image-usage.json')!r}. Least-recently-used order falls "
                            "back to tag and creation times."]
    assert os.listdir(tmp_path) == ["state"] and os.listdir(directory) == []


def test_a_failed_write_leaves_no_temporary_file(tmp_path: t.Any) -> None:
    # The path check passes, then os.replace meets a directory (it appeared in between).
    target = tmp_path / "usage.json"
    target.mkdir()
    warning = save_usage_state(str(target), KEY, {"sha256:aa": NOW})
    assert warning is not None and "could not be written" in warning
    assert sorted(os.listdir(tmp_path)) == ["usage.json"]
