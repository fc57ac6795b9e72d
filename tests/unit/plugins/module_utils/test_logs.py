# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container logs: rotation as dockerd reads it, the truncation plan, the files on disk, options and report."""

from __future__ import annotations

import gzip
import os
import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._errors import EngineTimeout, InvalidInput, NotFound
from ansible_collections.tidy.docker.plugins.module_utils._logs.engine import TruncationInterrupted, apply_truncations
from ansible_collections.tidy.docker.plugins.module_utils._logs.files import EMPTY_GZIP, log_files, truncate
from ansible_collections.tidy.docker.plugins.module_utils._logs.options import LOG_TRUNCATE_SPEC, log_policy_from_params
from ansible_collections.tidy.docker.plugins.module_utils._logs.policy import (
    NOT_ON_THIS_NODE,
    NOT_READABLE,
    ContainerLog,
    LogFile,
    LogPolicy,
    docker_size,
    plan_log_truncations,
    rotation_of,
    stalls_readers,
)
from ansible_collections.tidy.docker.plugins.module_utils._logs.report import (
    interrupted_message,
    log_diff,
    log_result,
    log_warnings,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import LabelSelector

MB = 1024 * 1024


@pytest.mark.parametrize(("text", "size"), [
    ("10m", 10 * MB), ("10M", 10 * MB), ("500k", 500 * 1024), ("1g", 1024 * MB), ("10MiB", 10 * MB), ("1.5m", int(1.5 * MB)),
    ("100", 100), ("-1", None), ("", None), (None, None), ("ten", None),
])
def test_docker_size_reads_max_size_as_dockerd_does(text: str | None, size: int | None) -> None:
    assert docker_size(text) == size


def test_rotation_of_each_driver() -> None:
    unbounded = rotation_of({"Type": "json-file", "Config": {}})
    assert unbounded.unbounded and unbounded.max_size is None and unbounded.max_file == 1
    bounded = rotation_of({"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3", "compress": "true"}})
    assert (bounded.unbounded, bounded.max_size, bounded.max_file, bounded.compress) == (False, 10 * MB, 3, True)
    local = rotation_of({"Type": "local", "Config": {}})
    assert (local.unbounded, local.max_size, local.max_file, local.compress) == (False, 20 * MB, 5, True)
    assert not rotation_of({"Type": "journald", "Config": {}}).unbounded
    assert rotation_of(None).unbounded  # no LogConfig at all: the engine's default driver
    assert rotation_of({"Type": "json-file", "Config": {"max-size": "-1", "max-file": "x"}}).unbounded


def test_podman_json_file_is_its_k8s_file() -> None:
    # Podman's compatible API says json-file for its k8s-file driver, and writes k8s-file when asked for json-file.
    podman = rotation_of({"Type": "json-file", "Config": None}, "podman")
    assert (podman.driver, podman.unbounded) == ("k8s-file", False)
    assert rotation_of({"Type": "journald", "Config": None}, "podman").driver == "journald"
    assert rotation_of({"Type": "json-file", "Config": None}, "docker").driver == "json-file"


def test_podman_logs_are_kept_with_one_sentence() -> None:
    logs = [_log("web", 5 * MB, driver="k8s-file"), _log("quiet", 0, driver="none")]
    plan = plan_log_truncations(logs, LogPolicy(larger_than=MB))
    assert sorted((d.name, d.reason) for d in plan) == [("quiet", "not_json_file"), ("web", "not_json_file")]
    (warning,) = log_warnings([], plan, "unix:///s", "Podman 4.3.1", stalls=False, podman=True)
    assert warning.startswith("Podman 4.3.1 writes container logs in its own format")
    assert "2 container(s) are kept as not_json_file and no file was touched" in warning
    assert log_warnings([], plan, "unix:///s", "Docker 26.1.5", stalls=True) == []


def _log(name: str, size: int, state: str = "exited", driver: str = "json-file", labels: dict[str, str] | None = None,
         unreadable: str | None = None, rotated: int = 0) -> ContainerLog:
    path = f"/d/{name}/{name}-json.log"
    files = (LogFile(path, size),) + tuple(LogFile(f"{path}.{n}", rotated) for n in range(1, 2 if rotated else 1))
    return ContainerLog(id=f"{name}-id", name=name, state=state, labels=labels or {},
                        rotation=rotation_of({"Type": driver}), log_path=path, files=files, unreadable=unreadable)


def test_plan_gives_every_container_a_reason_and_truncates_largest_first() -> None:
    logs = [
        _log("small", 10), _log("big", 5 * MB), _log("bigger", 9 * MB), _log("run", 9 * MB, state="running"),
        _log("keep", 9 * MB, labels={"tidy.docker.keep": "true"}), _log("loc", 9 * MB, driver="local"),
        _log("away", 0, unreadable=NOT_ON_THIS_NODE), _log("root", 0, unreadable=NOT_READABLE),
        _log("other", 9 * MB, state="restarting"), _log("bye", 9 * MB, state="removing"),
        _log("rot", MB, rotated=2 * MB),
    ]
    policy = LogPolicy(larger_than=2 * MB, exclude_labels=(LabelSelector("tidy.docker.keep", "true"),))
    plan = plan_log_truncations(logs, policy)
    truncated = [(d.name, d.reason) for d in plan if d.truncated]
    assert truncated == [("bigger", "over_size"), ("big", "over_size"), ("rot", "over_size")]
    assert {d.name: d.reason for d in plan if not d.truncated} == {
        "small": "under_size", "run": "running", "keep": "excluded_label", "loc": "not_json_file",
        "away": "not_on_this_node", "root": "not_readable", "other": "running", "bye": "gone"}
    assert next(d for d in plan if d.name == "rot").size == 3 * MB


def test_plan_filters_and_options() -> None:
    logs = [_log("web-1", 9 * MB, labels={"team": "a"}), _log("db-1", 9 * MB, labels={"team": "a"}),
            _log("web-2", 9 * MB), _log("web-run", 9 * MB, state="running", labels={"team": "a"}),
            _log("web-rot", MB, labels={"team": "a"}, rotated=2 * MB)]
    policy = LogPolicy(larger_than=2 * MB, include_running=True, names=("web-*",), labels=(LabelSelector("team"),),
                       rotated=False)
    plan = {d.name: d.reason for d in plan_log_truncations(logs, policy)}
    assert plan == {"web-1": "over_size", "web-run": "over_size", "db-1": "not_selected", "web-2": "not_selected",
                    "web-rot": "under_size"}  # without its rotated file it holds 1 MB
    by_id = LogPolicy(larger_than=2 * MB, exclude_names=("web-1-id"[:12], "db-*"))
    assert {d.name: d.reason for d in plan_log_truncations(logs, by_id)} == {
        "web-1": "excluded_name", "db-1": "excluded_name", "web-2": "over_size", "web-run": "running",
        "web-rot": "over_size"}


def test_log_files_finds_current_and_rotated_files_only(tmp_path: t.Any) -> None:
    current = tmp_path / "abc-json.log"
    current.write_bytes(b"x" * 100)
    (tmp_path / "abc-json.log.1").write_bytes(b"y" * 50)
    (tmp_path / "abc-json.log.2.gz").write_bytes(gzip.compress(b"z" * 10))
    (tmp_path / "config.v2.json").write_text("{}")
    (tmp_path / "abc-json.log.bak").write_text("not a rotated file")
    files, unreadable = log_files(str(current))
    assert unreadable is None
    assert [(os.path.basename(f.path), f.compressed) for f in files] == [
        ("abc-json.log", False), ("abc-json.log.1", False), ("abc-json.log.2.gz", True)]
    assert files[0].size == 100
    assert log_files(str(tmp_path / "gone" / "abc-json.log")) == ((), NOT_ON_THIS_NODE)
    assert log_files("") == ((), None)


def test_truncate_empties_in_place_and_keeps_gzip_readable(tmp_path: t.Any) -> None:
    current = tmp_path / "abc-json.log"
    current.write_bytes(b"x" * 1000)
    compressed = tmp_path / "abc-json.log.1.gz"
    compressed.write_bytes(gzip.compress(os.urandom(5000)))
    inode = current.stat().st_ino
    with open(current, "ab") as writer:  # dockerd's handle: appends land at the start of the emptied file
        files, unreadable = log_files(str(current))
        assert unreadable is None
        freed = truncate(files + (LogFile(str(tmp_path / "vanished"), 10),))
        writer.write(b"next line\n")
    assert current.stat().st_ino == inode
    assert current.read_bytes() == b"next line\n"
    assert compressed.read_bytes() == EMPTY_GZIP and gzip.decompress(compressed.read_bytes()) == b""
    assert freed == 1000 + (files[1].size - len(EMPTY_GZIP))


def _params(**options: t.Any) -> dict[str, t.Any]:
    params = {name: spec.get("default") for name, spec in LOG_TRUNCATE_SPEC.items()}
    params.update(options)
    return params


def test_options_become_a_policy_with_the_protect_label() -> None:
    policy = log_policy_from_params(_params(larger_than="100MB", names=["web-*"], labels=["team"]))
    assert policy.larger_than == 100_000_000
    assert policy.exclude_labels == (LabelSelector("tidy.docker.keep", "true"),)
    assert log_policy_from_params(_params(larger_than="0", protect_label="")).exclude_labels == ()


@pytest.mark.parametrize(("options", "words"), [
    ({"larger_than": "10XB"}, "larger_than: '10XB' is not a size"),
    ({"larger_than": "1MB", "names": [" "]}, "names: ' ' can never match a container name"),
    ({"larger_than": "1MB", "exclude_names": ["a b"]}, "exclude_names: 'a b' can never match a container name"),
    ({"larger_than": "1MB", "labels": ["=x"]}, "labels: '=x' has no label key"),
    ({"larger_than": "1MB", "protect_label": "=x"}, "protect_label: '=x' has no label key"),
])
def test_bad_options_fail_in_one_sentence(options: dict[str, t.Any], words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        log_policy_from_params(_params(**options))
    assert words in caught.value.message


def test_result_warnings_and_diff() -> None:
    logs = [_log("big", 5 * MB), _log("away", 0, unreadable=NOT_ON_THIS_NODE), _log("root", 0, unreadable=NOT_READABLE)]
    plan = plan_log_truncations(logs, LogPolicy(larger_than=MB))
    truncated, kept = [d for d in plan if d.truncated], [d for d in plan if not d.truncated]
    check = log_result(truncated, kept, logs, check_mode=True, report_kept=True, freed=0)
    assert check["changed"] and check["space_reclaimable"] == 5 * MB and check["truncated_count"] == 1
    assert check["kept_counts"] == {"not_on_this_node": 1, "not_readable": 1}
    assert check["unbounded"] == ["away", "big", "root"]
    real = log_result(truncated, kept, logs, check_mode=False, report_kept=False, freed=123)
    assert real["space_reclaimed"] == 123 and "kept" not in real
    warnings = log_warnings(truncated, kept, "tcp://far:2376", "Docker 26.1.5", stalls=True)
    assert len(warnings) == 2 and "engine at tcp://far:2376 are not on this node" in warnings[0]
    assert "become: true" in warnings[1]
    running = plan_log_truncations([_log("web", 5 * MB, state="running")], LogPolicy(larger_than=MB, include_running=True))
    stalled = log_warnings(running, [], "unix:///s", "Docker 26.1.5", stalls=True)
    assert stalled == ["Docker 26.1.5 stops following a log truncated under a running container: `docker logs -f` shows "
                       "no new line and `docker logs --tail` shows nothing until the container restarts "
                       "(moby/moby#45728); restart web when convenient."]
    assert log_warnings(running, [], "unix:///s", "Docker 20.10.24", stalls=False) == []
    assert log_warnings(truncated, [], "unix:///s", "Docker 26.1.5", stalls=True) == []  # big was stopped
    diff = log_diff(truncated, kept)
    assert "big 0 B (truncated)" in diff["after"] and "big 5.24 MB (over_size)" in diff["before"]


@pytest.mark.parametrize(("product", "version", "stalls"), [
    ("docker", "20.10.24", False), ("docker", "20.10.5", False), ("docker", "23.0.0", True), ("docker", "26.1.5", True),
    ("docker", None, False), ("podman", "4.3.1", False),
])
def test_engines_that_stall_readers(product: str, version: str | None, stalls: bool) -> None:
    assert stalls_readers(product, version) is stalls


class _Engine:
    """Answers the apply step's inspects from a script: a state per container, or an error to raise."""

    def __init__(self, answers: dict[str, t.Any]) -> None:
        self.answers = answers

    def request(self, method: str, path: str, params: t.Any = None) -> dict[str, t.Any]:
        answer = self.answers[path.split("/")[2]]
        if isinstance(answer, Exception):
            raise answer
        return {"State": {"Status": answer}}


def _on_disk(tmp_path: t.Any, name: str, size: int, state: str = "exited") -> ContainerLog:
    folder = tmp_path / name
    folder.mkdir()
    path = folder / f"{name}-json.log"
    path.write_bytes(b"x" * size)
    files = log_files(str(path))[0]
    return ContainerLog(id=name, name=name, state=state, labels={}, rotation=rotation_of(None), log_path=str(path),
                        files=files)


def test_apply_rechecks_each_container_and_records_races(tmp_path: t.Any) -> None:
    logs = [_on_disk(tmp_path, "a", 3000), _on_disk(tmp_path, "b", 2000), _on_disk(tmp_path, "c", 1000)]
    policy = LogPolicy(larger_than=10)
    plan = plan_log_truncations(logs, policy)
    engine = _Engine({"a": "exited", "b": NotFound("gone"), "c": "running"})
    outcome = apply_truncations(t.cast(t.Any, engine), plan, logs, policy)
    assert [d.name for d in outcome.truncated] == ["a"] and outcome.freed == 3000
    assert {d.name: d.reason for d in outcome.kept} == {"b": "gone", "c": "running"}
    assert [os.path.getsize(log.log_path) for log in logs] == [0, 2000, 1000]


def test_an_engine_failure_after_the_first_truncation_says_what_was_done(tmp_path: t.Any) -> None:
    logs = [_on_disk(tmp_path, "a", 3000), _on_disk(tmp_path, "b", 2000), _on_disk(tmp_path, "c", 1000)]
    policy = LogPolicy(larger_than=10)
    plan = plan_log_truncations(logs, policy)
    timeout = EngineTimeout("The Docker engine at unix:///s did not answer within 3 seconds.")
    with pytest.raises(TruncationInterrupted) as stopped:
        apply_truncations(t.cast(t.Any, _Engine({"a": "exited", "b": timeout, "c": "exited"})), plan, logs, policy)
    outcome = stopped.value.outcome
    assert [d.name for d in outcome.truncated] == ["a"]
    assert {d.name: d.reason for d in outcome.kept} == {"b": "not_attempted", "c": "not_attempted"}
    assert [os.path.getsize(log.log_path) for log in logs] == [0, 2000, 1000]
    assert interrupted_message(stopped.value.cause.message, 1, stopped.value.planned) == (
        "The Docker engine at unix:///s did not answer within 3 seconds; by then 1 of 3 planned logs were emptied "
        "(listed in truncated), 2 not attempted (kept as not_attempted); rerun to finish once the engine answers.")
    # Before any truncation the failure is the engine's own: nothing to report.
    with pytest.raises(EngineTimeout):
        apply_truncations(t.cast(t.Any, _Engine({"a": timeout})), plan, logs, policy)
