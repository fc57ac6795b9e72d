# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the module_utils tests: engine answers (``engine_data``) and connection params."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import import_sdk
from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import (
    DOCKER_CONNECTION_SPEC,
    ConnectionSettings,
)
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils import engine_data

# A module imports the SDK when it knows its address; the unit tests use every transport, ssh://
# included, and make clients without a module, so the SDK is imported whole once, here.
import_sdk("ssh://unit-tests")


@pytest.fixture
def listed_containers() -> t.Any:
    return engine_data.listed_containers()


@pytest.fixture
def listed_images() -> t.Any:
    return engine_data.listed_images()


@pytest.fixture
def df_answer() -> t.Any:
    return engine_data.df_answer()


@pytest.fixture
def inspected_exited() -> t.Any:
    return engine_data.inspected_exited()


@pytest.fixture
def inspected_running() -> t.Any:
    return engine_data.inspected_running()


@pytest.fixture
def inspected_created() -> t.Any:
    return engine_data.inspected_created()


def connection_params(**overrides: t.Any) -> dict[str, t.Any]:
    """Module params as Ansible hands them over when only ``overrides`` were set."""
    params = {name: spec.get("default") for name, spec in DOCKER_CONNECTION_SPEC.items()}
    params.update(overrides)
    return params


@pytest.fixture
def make_params() -> t.Callable[..., dict[str, t.Any]]:
    return connection_params


@pytest.fixture
def default_settings() -> ConnectionSettings:
    """Settings of a module run with every connection option at its default, no DOCKER_* variables."""
    return ConnectionSettings.from_params(connection_params(), environ={})
