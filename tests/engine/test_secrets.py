# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets never reach the output: a playbook run as users run one, at -vvvv with --diff.

A private key pasted into ``client_key`` where a path belongs, and a password in a
container's ``env``, must not appear in any byte ansible-playbook prints: not in a failure
message, not in a diff, not in the module arguments shown at -vvv, not in the output of a
container that prints its environment. A certificate pasted into ``ca_path`` is public
(docs/decisions.md, "Secrets"), but the failure message still names only the option.
"""

from __future__ import annotations

import subprocess
import sys
import typing as t
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).absolute().parents[1] / "helpers"))
import seed
from ansible_cli import ansible_env, controller_bin

KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjTidyDockerSecretKeyBody0123456789"
PEM_KEY = f"-----BEGIN PRIVATE KEY-----\n{KEY_BODY}\n-----END PRIVATE KEY-----\n"
CA_BODY = "MIIDazCCAlOgAwIBAgIUTidyDockerPublicCertificateBody0123456789"
PEM_CA = f"-----BEGIN CERTIFICATE-----\n{CA_BODY}\n-----END CERTIFICATE-----\n"
PASSWORD = "Tidy-Docker-S3cret-Passw0rd"
NEW_PASSWORD = "Tidy-Docker-Other-S3cret"


# Kept where users keep secrets, in a vars file (a vault, in real life), not in the tasks:
# at -vvvv Ansible 2.19 quotes the playbook lines around a failed task, which is its own
# display of the playbook, not something a module returns.
SECRET_VARS = {"key_pem": PEM_KEY, "ca_pem": PEM_CA, "db_password": PASSWORD, "new_db_password": NEW_PASSWORD}


def playbook(prefix: str) -> list[dict[str, t.Any]]:
    name = f"{prefix}-secrets"
    container = {"name": name, "image": seed.BASE_TAG, "command": "sleep 300", "stop_timeout": 1}
    return [{
        "hosts": "localhost", "gather_facts": False, "vars_files": ["secret_vars.yml"],
        "module_defaults": {"group/tidy.docker.docker": {"docker_host": "{{ engine }}"}},
        "tasks": [
            {"name": "client_key given as PEM text", "tidy.docker.host_info": {"tls": True, "client_key": "{{ key_pem }}"},
             "register": "key_text", "ignore_errors": True},
            {"name": "ca_path given as PEM text", "tidy.docker.host_info": {"validate_certs": True, "ca_path": "{{ ca_pem }}"},
             "register": "ca_text", "ignore_errors": True},
            {"name": "a container with a password", "register": "created",
             "tidy.docker.container": {**container, "env": {"DB_PASSWORD": "{{ db_password }}", "MODE": "a"}}},
            {"name": "the password changes", "register": "changed_password",
             "tidy.docker.container": {**container, "env": {"DB_PASSWORD": "{{ new_db_password }}", "MODE": "a"}}},
            {"name": "a container that prints its environment", "register": "printed",
             "tidy.docker.container": {"name": f"{name}-env", "image": seed.BASE_TAG, "command": "env",
                                       "detach": False, "env": {"DB_PASSWORD": "{{ db_password }}"}}},
            {"name": "a refused env value that holds the password", "register": "refused", "ignore_errors": True,
             "tidy.docker.container": {**container, "env": {"DB_PASSWORD": {"nested": "{{ db_password }}"}}}},
            {"name": "what came back", "ansible.builtin.assert": {"that": [
                "key_text is failed",
                "key_text.msg == \"client_key: the value is PEM text, not a path; save it to a file on the managed "
                "node and set client_key to that file's path.\"",
                "ca_text is failed",
                "ca_text.msg.startswith('ca_path: the value is PEM text, not a path;')",
                "created.diff.after.env == {'DB_PASSWORD': '(hidden)', 'MODE': '(hidden)'}",
                "changed_password.drifted == ['env']",
                "changed_password.diff.before.env == {'DB_PASSWORD': '(hidden)', 'MODE': '(hidden)'}",
                "changed_password.diff.after.env == {'DB_PASSWORD': '(hidden, changed)', 'MODE': '(hidden)'}",
                "printed.exit_code == 0",
                "'DB_PASSWORD=********' in printed.output_lines",
                "refused is failed",
                "refused.msg.startswith('env: the value of DB_PASSWORD is a dict, not a string;')",
            ]}},
        ],
    }]


def test_secrets_appear_nowhere_at_vvvv(docker_host: str, objects: t.Any, prefix: str, tmp_path: Path) -> None:
    book = tmp_path / "secrets.yml"
    book.write_text(yaml.safe_dump(playbook(prefix), sort_keys=False))
    (tmp_path / "secret_vars.yml").write_text(yaml.safe_dump(SECRET_VARS))
    done = subprocess.run(
        [controller_bin("ansible-playbook"), "-vvvv", "--diff", "-i", "localhost,", "-c", "local",
         "-e", f"engine={docker_host}", "-e", f"ansible_python_interpreter={sys.executable}", str(book)],
        env=ansible_env(tmp_path), capture_output=True, text=True, timeout=600, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    # The assert task ran and passed: the markers and messages are there, so the run did what is checked below.
    assert "All assertions passed" in output, output[-6000:]
    for secret in (KEY_BODY, PASSWORD, NEW_PASSWORD):
        assert secret not in output, f"{secret!r} appears in the output:\n" + "\n".join(
            line for line in output.splitlines() if secret in line)
    # A certificate is public and shows in the module arguments at -vvv, but never in a message.
    assert all(CA_BODY not in line for line in output.splitlines() if '"msg"' in line)
