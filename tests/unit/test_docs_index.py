# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The front door stays complete: every module is in README's module table and in
docs/index.md, and every relative link in README.md and docs/ leads to a file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).absolute().parents[2]  # tests/unit/test_docs_index.py -> repository root
MODULES_DIR = REPO / "plugins" / "modules"
README = REPO / "README.md"
DOCS_INDEX = REPO / "docs" / "index.md"

# [text](target) and ![alt](target); the target ends at whitespace or ")".
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~)")


def module_names() -> list[str]:
    return sorted(p.stem for p in MODULES_DIR.glob("*.py") if not p.stem.startswith("_"))


def table_rows(markdown: str, first_header: str) -> list[list[str]]:
    """Rows (as cells) of every table whose first header cell is ``first_header``."""
    rows: list[list[str]] = []
    in_table = False
    for line in markdown.splitlines():
        stripped = line.strip()
        if not stripped.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in stripped.strip("|").split("|")]
        if not in_table:
            in_table = cells[0].strip("`*") == first_header
            continue
        if not set(cells[0]) <= set("-: "):
            rows.append(cells)
    return rows


def modules_missing_from_table(readme: str, modules: list[str]) -> list[str]:
    """Modules without a row of their own in README's table headed ``module``."""
    listed = {match for row in table_rows(readme, "module")
              for match in re.findall(r"tidy\.docker\.(\w+)", row[0])}
    return [name for name in modules if name not in listed]


def modules_missing_from_index(index: str, modules: list[str]) -> list[str]:
    """Modules docs/index.md does not link to as modules/NAME.md."""
    linked = set(MARKDOWN_LINK.findall(index))
    return [name for name in modules if f"modules/{name}.md" not in linked]


def relative_links(markdown: str) -> list[str]:
    """Link targets outside code blocks that point into the repository (no scheme, not a bare anchor)."""
    targets = []
    in_code = False
    for line in markdown.splitlines():
        if FENCE.match(line.strip()):
            in_code = not in_code
            continue
        if in_code:
            continue
        line = re.sub(r"`[^`]*`", "", line)  # inline code is not a link
        for target in MARKDOWN_LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
                continue
            targets.append(target)
    return targets


def broken_links(page: Path) -> list[str]:
    return [target for target in relative_links(page.read_text(encoding="utf-8"))
            if not (page.parent / target.split("#", 1)[0]).exists()]


def doc_pages() -> list[Path]:
    return [README, *sorted((REPO / "docs").rglob("*.md"))]


def test_there_are_modules_to_check() -> None:
    assert len(module_names()) >= 8, f"expected the collection's modules under {MODULES_DIR}"


def test_every_module_is_in_the_readme_table() -> None:
    missing = modules_missing_from_table(README.read_text(encoding="utf-8"), module_names())
    assert not missing, f"README.md's module table has no row for: {', '.join(missing)}"


def test_every_module_is_in_the_docs_index() -> None:
    missing = modules_missing_from_index(DOCS_INDEX.read_text(encoding="utf-8"), module_names())
    assert not missing, f"docs/index.md does not link to modules/NAME.md for: {', '.join(missing)}"


def test_every_module_has_a_page() -> None:
    missing = [name for name in module_names() if not (REPO / "docs" / "modules" / f"{name}.md").is_file()]
    assert not missing, f"no docs/modules/NAME.md for: {', '.join(missing)}"


def test_every_docs_page_is_in_the_index() -> None:
    linked = {target.split("#", 1)[0] for target in relative_links(DOCS_INDEX.read_text(encoding="utf-8"))}
    pages = [p.relative_to(DOCS_INDEX.parent).as_posix() for p in doc_pages()[1:] if p != DOCS_INDEX]
    missing = [page for page in pages if page not in linked]
    assert not missing, f"docs/index.md does not link to: {', '.join(missing)}"


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_lead_to_files(page: Path) -> None:
    broken = broken_links(page)
    assert not broken, f"{page.relative_to(REPO)} links to missing files: {', '.join(broken)}"


# The checks themselves must be able to fail.

README_SAMPLE = """\
| module | what it does | example |
| --- | --- | --- |
| `tidy.docker.container` | docker run | `ansible localhost -m tidy.docker.container` |
| `tidy.docker.image_info` | docker images, see also tidy.docker.image_prune | … |

Prose that names tidy.docker.host_info outside the table.
"""


def test_a_module_named_only_outside_the_table_counts_as_missing() -> None:
    modules = ["container", "host_info", "image_info", "image_prune"]
    assert modules_missing_from_table(README_SAMPLE, modules) == ["host_info", "image_prune"]


def test_a_module_the_index_does_not_link_counts_as_missing() -> None:
    index = "| [modules/image.md](modules/image.md) | x |\n| `modules/engine_prune.md` | no link |\n"
    assert modules_missing_from_index(index, ["image", "engine_prune"]) == ["engine_prune"]


def test_links_in_code_and_to_other_sites_are_not_checked(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "there.md").write_text("x", encoding="utf-8")
    page.write_text(
        "[ok](there.md#part) [gone](missing.md) [site](https://example.invalid/x) [anchor](#top)\n"
        "`[inline](inline.md)`\n```\n[fenced](fenced.md)\n```\n![img](img/missing.png)\n",
        encoding="utf-8")
    assert broken_links(page) == ["missing.md", "img/missing.png"]
