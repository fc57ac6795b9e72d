# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters clean_host_report and clean_host_summary against the role's former Jinja.

Each file in clean_host_golden/ holds the registered results of one real clean_host pass
(prune, log_truncate, host_info) on a private engine seeded with scripts/seed.py's clutter
profile, together with the report and the summary lines that the role's Jinja built from them
before the report moved to Python: check and real passes, named containers and images (one
kept by its label), volumes, networks and build cache on, logs emptied and only read, every step
off (the prune skipped), and two images named by one of their two tags (untagged).
"""

from __future__ import annotations

import copy
import json
import typing as t
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.tidy.docker.plugins.filter.clean_host_report import clean_host_report
from ansible_collections.tidy.docker.plugins.filter.clean_host_summary import clean_host_summary

GOLDEN = sorted(Path(__file__).with_name("clean_host_golden").glob("*.json"))


def _load(path: Path) -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", json.loads(path.read_text(encoding="utf-8")))


def _report(case: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return clean_host_report(case["prune"], logs=case["logs"], facts=case["facts"], host="localhost",
                             check_mode=case["check"], report_kept=case["report_kept"], logs_step=case["logs_step"])


def _summary(case: t.Mapping[str, t.Any], report: t.Mapping[str, t.Any]) -> list[str]:
    return clean_host_summary(report, removed=case["prune"].get("removed", []), check_mode=case["check"],
                              engine_kinds=case["engine_kinds"], logs_larger_than=str(case["larger_than"]))


def test_the_golden_cases_cover_what_the_report_distinguishes() -> None:
    cases = [_load(path) for path in GOLDEN]
    assert {case["check"] for case in cases} == {True, False}
    assert any(case["prune"].get("skipped") for case in cases)
    assert any(case["logs_step"] and case["report"]["logs"]["truncated"] for case in cases)
    assert any(case["report"]["logs"]["would_reclaim_if_on"] for case in cases)
    assert any(case["report"]["images"]["untagged_by_name"] for case in cases)
    assert any(case["report"]["containers"]["protected_by_name"] for case in cases)
    assert any(case["engine_kinds"] for case in cases)
    assert any(case["report"]["kept"] for case in cases) and any(not case["report"]["kept"] for case in cases)


@pytest.mark.parametrize("path", GOLDEN, ids=[path.stem for path in GOLDEN])
def test_the_report_is_the_one_the_jinja_built(path: Path) -> None:
    case = _load(path)
    assert _report(case) == case["report"]


@pytest.mark.parametrize("path", GOLDEN, ids=[path.stem for path in GOLDEN])
def test_the_summary_lines_are_the_ones_the_jinja_built(path: Path) -> None:
    case = _load(path)
    assert _summary(case, case["report"]) == case["summary"]


def test_the_report_leaves_its_inputs_alone() -> None:
    case = _load(GOLDEN[0])
    before = copy.deepcopy(case)
    _summary(case, _report(case))
    assert case == before


def test_counts_and_bytes_stay_numbers() -> None:
    report = _report(_load(next(path for path in GOLDEN if path.stem.startswith("r"))))
    assert isinstance(report["space_reclaimed"], int)
    assert isinstance(report["containers"]["removed"], int)
    assert isinstance(report["logs"]["log_bytes"], int)


def test_an_id_longer_than_jinja_s_leeway_is_cut_to_nineteen_characters() -> None:
    case = _load(GOLDEN[0])
    long_id = "sha256:" + "ab" * 32
    short_id = "x" * 24
    removed = [{"kind": "image", "id": long_id, "names": [], "reason": "dangling"},
               {"kind": "image", "id": short_id, "names": [], "reason": "dangling"}]
    lines = clean_host_summary(case["report"], removed=removed, check_mode=False)
    assert f"removed image {long_id[:19]} (dangling)" in lines
    assert f"removed image {short_id} (dangling)" in lines


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: clean_host_report("not a result", logs={}, host="h"), "the input must be a registered task result"),
        (lambda: clean_host_report({}, logs=None, host="h"), "logs must be a registered task result"),
        (lambda: clean_host_summary({"host": "h"}, removed=[]), "the report of tidy.docker.clean_host_report"),
        (lambda: clean_host_summary(_load(GOLDEN[0])["report"], removed="x"), "removed must be the prune's removed list"),
    ],
)
def test_wrong_inputs_get_one_sentence(call: t.Callable[[], t.Any], words: str) -> None:
    with pytest.raises(AnsibleFilterError, match=words):
        call()
