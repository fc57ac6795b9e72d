# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""env values of tidy.docker.container: hidden in diff, results and errors unless the task opts in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._errors import InvalidInput
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle import container_secrets
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_options import string_map
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_secrets import (
    ENV_VALUE_CHANGED,
    ENV_VALUE_HIDDEN,
    hide_env_values,
    secret_env_values,
)
from ansible_collections.tidy.docker.tests.unit.plugins.module_utils.test_container import (
    IMAGE_ID,
    FakeApi,
    container_inspect,
    image_inspect,
    run_task,
)

PASSWORD = "s3cr3t-Passw0rd-for-tests"
ENGINE_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def running_with_env(*entries: str) -> FakeApi:
    return FakeApi(containers={"web": container_inspect("running", Config__Env=[ENGINE_PATH, *entries])},
                   images={IMAGE_ID: image_inspect()})


# --------------------------------------------------------------------------- the diff


def test_hide_env_values_keeps_names_and_says_which_changed() -> None:
    old_env = {"DB_PASSWORD": "old", "MODE": "a", "GONE": "x"}
    before = {"state": "running", "env": old_env, "init": True}
    after = {"state": "running", "env": {"DB_PASSWORD": "new", "MODE": "a", "NEW": "y"}, "init": True}
    assert hide_env_values(before, after) == (
        {"state": "running", "env": {"DB_PASSWORD": ENV_VALUE_HIDDEN, "MODE": ENV_VALUE_HIDDEN,
                                     "GONE": ENV_VALUE_HIDDEN}, "init": True},
        {"state": "running", "env": {"DB_PASSWORD": ENV_VALUE_CHANGED, "MODE": ENV_VALUE_HIDDEN,
                                     "NEW": ENV_VALUE_HIDDEN}, "init": True})
    assert old_env["DB_PASSWORD"] == "old"  # the plan's own views are not altered


def test_hide_env_values_without_env_or_before() -> None:
    assert hide_env_values({"state": "absent"}, {"state": "running", "env": {"A": "1"}}) == (
        {"state": "absent"}, {"state": "running", "env": {"A": ENV_VALUE_HIDDEN}})
    assert hide_env_values({"state": "running"}, {"state": "absent"}) == ({"state": "running"}, {"state": "absent"})


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_changed_password_recreates_without_showing_either_value(check_mode: bool) -> None:
    api = running_with_env("DB_PASSWORD=old-password-value")
    result = run_task(api, check_mode, env={"DB_PASSWORD": PASSWORD})
    assert result["actions"] == ["recreated", "started"]
    assert result["drifted"] == ["env"]
    assert result["diff"]["before"]["env"] == {"DB_PASSWORD": ENV_VALUE_HIDDEN}
    if check_mode:  # a real run's after is read back from the engine, and this fake one does not apply the create
        assert result["diff"]["after"]["env"] == {"DB_PASSWORD": ENV_VALUE_CHANGED}
    text = json.dumps(result)
    assert PASSWORD not in text and "old-password-value" not in text


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_new_container_shows_its_variables_by_name(check_mode: bool) -> None:
    api = FakeApi(images={IMAGE_ID: image_inspect(), "tidy-test/busybox:latest": image_inspect()})
    result = run_task(api, check_mode, image="tidy-test/busybox:latest", env={"DB_PASSWORD": PASSWORD, "MODE": "a"})
    assert result["diff"]["before"] == {"state": "absent"}
    if check_mode:
        assert result["diff"]["after"]["env"] == {"DB_PASSWORD": ENV_VALUE_HIDDEN, "MODE": ENV_VALUE_HIDDEN}
    assert PASSWORD not in json.dumps(result)


def test_show_env_values_opts_in() -> None:
    api = running_with_env("MODE=a")
    result = run_task(api, True, env={"MODE": "b"}, show_env_values=True)
    assert (result["diff"]["before"]["env"], result["diff"]["after"]["env"]) == ({"MODE": "a"}, {"MODE": "b"})


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("value", [{"nested": PASSWORD}, [PASSWORD]])
def test_a_refused_env_value_is_described_by_its_type(value: t.Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        string_map({"DB_PASSWORD": value}, "env")
    kind = type(value).__name__
    assert caught.value.message == (f"env: the value of DB_PASSWORD is a {kind}, not a string; quote it (for example "
                                    "DB_PASSWORD: \"\") so the container gets exactly that text.")
    assert PASSWORD not in repr(caught.value.context)


# --------------------------------------------------------------------------- no_log values


def test_secret_env_values_picks_secret_names_long_enough() -> None:
    env: dict[str, t.Any] = {
        "DB_PASSWORD": PASSWORD, "api_token": "tok-123456", "AWS_SECRET_ACCESS_KEY": 12345678, "PGPASS": "abc",
        "MODE": "production", "FLAG_KEY": True, "NESTED_KEY": {"a": "nested-secret", "b": ["listed-secret", None]}}
    assert secret_env_values(env) == {PASSWORD, "tok-123456", "12345678", "nested-secret", "listed-secret"}
    assert secret_env_values(None) == set() and secret_env_values("A=B") == set()
    assert container_secrets.MIN_MASKED_LENGTH == 4


def test_the_module_masks_a_password_everywhere_even_in_module_args(tmp_path: t.Any) -> None:
    """A run as Ansible makes it (engine unreachable): the password is in no byte of what comes back."""
    args = {"name": "web", "image": "busybox:1.36", "env": {"DB_PASSWORD": PASSWORD, "BAD": {"x": PASSWORD}},
            "docker_host": "unix:///nonexistent/docker.sock"}
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    source = container_secrets.__file__
    root = source[:source.rindex(f"{os.sep}ansible_collections{os.sep}")]
    run = subprocess.run([sys.executable, "-m", "ansible_collections.tidy.docker.plugins.modules.container",
                          str(args_file)], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=root), check=False)
    assert PASSWORD not in run.stdout + run.stderr
    result = json.loads(run.stdout)
    assert result["msg"].startswith("env: the value of BAD is a dict, not a string;"), result["msg"]
    assert result["invocation"]["module_args"]["env"]["DB_PASSWORD"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
