# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/module_docs.py renders a module's documentation as its docs/modules page.

Whether the committed pages are current is the lint stage's check (it runs ansible-doc of
.venv); these tests hold the rendering and the staleness check to fixed inputs.
"""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

import pytest

# antsibull-docs-parser comes with antsibull-docs in .venv; the core216 venv, which runs this
# directory again, has only what the unit tests of the plugins need.
pytest.importorskip("antsibull_docs_parser")

REPO = Path(__file__).absolute().parents[2]  # tests/unit/test_module_docs.py -> repository root
sys.path.insert(0, str(REPO / "scripts"))
import module_docs  # noqa: E402  (scripts/module_docs.py)

SHARED = {"docker_host"}


def sample_doc() -> dict[str, t.Any]:
    """An ``ansible-doc --json`` entry trimmed to what the renderer reads."""
    return {
        "doc": {
            "module": "demo",
            "short_description": "Remove C(things) by policy",
            "description": ["First paragraph with O(scope=unused) and RV(removed).",
                            "See L(the rules, docs/policies.md#reasons) and M(tidy.docker.image_prune)."],
            "requirements": ["Docker SDK for Python."],
            "options": {
                "scope": {"description": "Which ones.", "type": "str", "choices": ["dangling", "unused"],
                          "default": "dangling"},
                "names": {"description": ["Globs.", "Pipes | in text."], "type": "list", "elements": "str",
                          "default": [], "aliases": ["name"]},
                "policy": {"description": "Nested.", "type": "dict", "required": True,
                           "suboptions": {"older_than": {"description": "A duration.", "type": "str"}}},
                "docker_host": {"description": "Address.", "type": "str", "default": "unix:///var/run/docker.sock"},
            },
            "attributes": {"check_mode": {"description": "Plans.", "support": "full", "details": ["Exactly."]}},
            "notes": ["A note with E(DOCKER_HOST)."],
            "seealso": [{"module": "tidy.docker.image_prune"},
                        {"name": "Policies", "link": "docs/policies.md", "description": "How it decides."}],
        },
        "examples": "\n- name: Prune\n  tidy.docker.demo:\n    scope: unused\n",
        "return": {
            "removed": {"description": "Removed.", "returned": "success", "type": "list", "elements": "dict",
                        "sample": [{"id": "a" * 64, "reason": "dangling"}] * 2,
                        "contains": {"id": {"description": "Id.", "type": "str"}}},
            "count": {"description": "How many.", "returned": "success", "type": "int", "sample": 2},
        },
    }


@pytest.fixture(name="page")
def fixture_page() -> str:
    return module_docs.render_page("demo", sample_doc(), SHARED, REPO)


def test_the_page_says_it_is_generated_and_names_the_module(page: str) -> None:
    lines = page.splitlines()
    assert lines[0] == module_docs.MARKER
    assert lines[2:5] == ["# tidy.docker.demo", "", "Remove `things` by policy."]


def test_markup_becomes_markdown_with_links_relative_to_the_page(page: str) -> None:
    assert "First paragraph with `scope=unused` and `removed`." in page
    assert "See [the rules](../policies.md#reasons) and [`tidy.docker.image_prune`](image_prune.md)." in page
    assert "- A note with `DOCKER_HOST`." in page
    assert "- [Policies](../policies.md): How it decides." in page


def test_options_table_has_types_choices_defaults_aliases_and_suboptions(page: str) -> None:
    assert "| `scope` | str; one of `dangling`, `unused` | `dangling` | Which ones. |" in page
    assert "| `names` | list of str | `[]` | Globs.<br><br>Pipes \\| in text.<br><br>Aliases: `name`. |" in page
    assert "| `policy` | dict, **required** |  | Nested. |" in page
    assert "| `policy.older_than` | str |  | A duration. |" in page


def test_shared_options_get_their_own_table(page: str) -> None:
    own, shared = page.split("## Connection options")
    assert "`docker_host`" not in own
    assert "| `docker_host` | str | `unix:///var/run/docker.sock` | Address. |" in shared
    assert "([connection.md](../connection.md))" in shared


def test_returns_nest_and_long_samples_leave_the_table(page: str) -> None:
    assert "| `count` | int | success | How many.<br><br>Sample: `2` |" in page
    assert "| `removed[].id` | str |  | Id. |" in page
    assert "Sample of `removed`:\n\n```json\n[\n  {\"id\": \"" in page


def test_examples_are_a_yaml_block(page: str) -> None:
    assert "## Examples\n\n```yaml\n- name: Prune\n  tidy.docker.demo:\n    scope: unused\n```\n" in page


def test_the_same_documentation_gives_the_same_bytes() -> None:
    first = module_docs.render_page("demo", sample_doc(), SHARED, REPO)
    assert module_docs.render_page("demo", sample_doc(), SHARED, REPO) == first


@pytest.mark.parametrize(("target", "expected"), [
    ("docs/policies.md", "../policies.md"),
    ("docs/decisions.md#why", "../decisions.md#why"),
    ("README.md", "../../README.md"),
    ("https://docs.docker.com/", "https://docs.docker.com/"),
    ("#options", "#options"),
])
def test_collection_relative_links_become_page_relative(target: str, expected: str) -> None:
    assert module_docs.page_link(target) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("plain", "`plain`"),
    ("a `tick`", "`` a `tick` ``"),  # CommonMark strips one space each side
])
def test_code_spans_survive_backticks(text: str, expected: str) -> None:
    assert module_docs.code(text) == expected


def test_markdown_characters_in_text_are_escaped_but_snake_case_is_left_alone() -> None:
    assert module_docs.escape("max_removals *all* <b> [x] _lead") == "max_removals \\*all\\* \\<b\\> \\[x\\] \\_lead"


def test_a_stale_missing_or_orphaned_page_is_reported(tmp_path: Path) -> None:
    pages = {"demo": "current\n", "other": "current\n"}
    (tmp_path / "docs" / "modules").mkdir(parents=True)
    assert module_docs.write_pages(tmp_path, pages) == ["docs/modules/demo.md", "docs/modules/other.md"]
    assert module_docs.stale_pages(tmp_path, pages) == []

    (tmp_path / "docs" / "modules" / "demo.md").write_text("edited by hand\n", encoding="utf-8")
    (tmp_path / "docs" / "modules" / "other.md").unlink()
    (tmp_path / "docs" / "modules" / "gone.md").write_text(module_docs.MARKER + "\n", encoding="utf-8")
    (tmp_path / "docs" / "modules" / "notes.md").write_text("hand-written, not generated\n", encoding="utf-8")
    assert module_docs.stale_pages(tmp_path, pages) == [
        "docs/modules/demo.md", "docs/modules/gone.md", "docs/modules/other.md"]

    module_docs.write_pages(tmp_path, pages)
    assert module_docs.stale_pages(tmp_path, pages) == []
    assert sorted(p.name for p in (tmp_path / "docs" / "modules").iterdir()) == ["demo.md", "notes.md", "other.md"]
