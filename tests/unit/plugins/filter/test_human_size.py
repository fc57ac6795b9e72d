# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter tidy.docker.human_size: the modules' size formatter, for templates."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.tidy.docker.plugins.filter import human_size as plugin
from ansible_collections.tidy.docker.plugins.module_utils._units import format_size


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1 kB"),
        (1310000, "1.31 MB"),
        # Jinja's '%.3g' arithmetic printed these as '1e+03 kB' and '2.5e+03 GB'.
        (999500, "1 MB"),
        (2500000000000, "2.5 TB"),
        (-1310000, "-1.31 MB"),
        ("1310000", "1.31 MB"),
        (" 999 ", "999 B"),
        (1310000.9, "1.31 MB"),
    ],
)
def test_human_size_formats_like_the_modules(size: object, expected: str) -> None:
    assert plugin.human_size(size) == expected


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 999499, 999500, 123456789, 10**18, 10**21, -5000])
def test_human_size_is_the_module_utils_formatter(size: int) -> None:
    assert plugin.human_size(size) == format_size(size)


@pytest.mark.parametrize("bad", [None, True, "12 MB", "", "1e3", [1], {"size": 1}, float("nan"), float("inf")])
def test_human_size_refuses_what_is_not_bytes(bad: object) -> None:
    with pytest.raises(AnsibleFilterError, match=r"^human_size: .* is not a size in bytes"):
        plugin.human_size(bad)


def test_filter_module_exports_human_size() -> None:
    assert plugin.FilterModule().filters() == {"human_size": plugin.human_size}


def test_documentation_names_the_filter_and_its_samples_hold() -> None:
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    returned = yaml.safe_load(plugin.RETURN)
    assert doc["name"] == "human_size"
    assert set(doc["options"]) == {"_input"}
    assert plugin.human_size(1310000) == returned["_value"]["sample"]
    for line in ("999 | tidy.docker.human_size == '999 B'", "999500 | tidy.docker.human_size == '1 MB'",
                 "'2500000000000' | tidy.docker.human_size == '2.5 TB'"):
        assert line in plugin.EXAMPLES
