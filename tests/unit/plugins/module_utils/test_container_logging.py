# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""log_driver and log_options of tidy.docker.container: checked, sent, read back and compared."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_create import create_request
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_logging import (
    log_config_request,
    parse_log_driver,
    parse_log_options,
    relevant_log_options,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_options import ContainerSettings


def test_options_become_text_sorted() -> None:
    assert parse_log_options({"max-size": "10m", "max-file": 3, "compress": True}, "json-file") == {
        "compress": "true", "max-file": "3", "max-size": "10m"}
    assert parse_log_options(None, "json-file") is None
    # Other drivers' options are the engine's to judge.
    assert parse_log_options({"syslog-address": "udp://1.2.3.4:514"}, "syslog") == {"syslog-address": "udp://1.2.3.4:514"}


@pytest.mark.parametrize(("driver", "options", "words"), [
    ("json-file", {"max-size": "10XB"}, "log_options: {'max-size': '10XB'} is not a size"),
    ("json-file", {"max-file": "0"}, "log_options: {'max-file': '0'} is not a count of files"),
    ("local", {"compress": "yes"}, "log_options: {'compress': 'yes'} is not true or false"),
    ("local", {"labels": "a"}, "log_options: 'labels' is not an option of the local logging driver"),
    ("json-file", {"max-size": None}, "log_options: {'max-size': None} is not a text value"),
])
def test_bad_options_of_file_drivers_are_one_sentence(driver: str, options: dict[str, t.Any], words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_log_options(options, driver)
    assert words in caught.value.message


def test_driver_names() -> None:
    assert parse_log_driver(" json-file ") == "json-file"
    assert parse_log_driver("grafana/loki-docker-driver:2.9") == "grafana/loki-docker-driver:2.9"
    assert parse_log_driver(None) is None
    with pytest.raises(InvalidInput, match="log_driver: 'Json File' is not a logging driver name"):
        parse_log_driver("Json File")


def test_request_and_comparison() -> None:
    assert log_config_request(None, None) is None
    assert log_config_request(None, {"max-size": "1m"}) == {"Type": "", "Config": {"max-size": "1m"}}
    settings = ContainerSettings(log_driver="local", log_options={"max-size": "2m"})
    assert create_request(settings, "x", "img")["host_config"]["LogConfig"] == {"Type": "local", "Config": {"max-size": "2m"}}
    assert "LogConfig" not in create_request(ContainerSettings(), "x", "img")["host_config"]
    # The daemon's own log-opts, copied into the container, are not the task's to compare.
    assert relevant_log_options({"max-size": "1m", "max-file": "5", "env": "x"}, {"max-size": "2m"}) == {"max-size": "1m"}
