# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How ``env`` values, which often carry passwords, appear in what the container module returns.

The diff shows every variable the task answers for, by name, with its value replaced
by a marker that still says whether the value changes; ``show_env_values`` opts in to
the values. Values of variables named like secrets are also handed to Ansible's
``no_log`` masking, so that they appear nowhere, the module arguments shown at
``-vvv`` included. Pure: no engine, no Ansible import.
"""

from __future__ import annotations

import re
import typing as t

ENV_VALUE_HIDDEN = "(hidden)"
ENV_VALUE_CHANGED = "(hidden, changed)"

# Names that usually hold a secret: DB_PASSWORD, API_TOKEN, AWS_SECRET_ACCESS_KEY, PGPASS, ...
_SECRET_NAME_RE = re.compile(r"PASS|PWD|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE|CERT", re.IGNORECASE)
# Ansible masks a no_log value wherever it occurs as a substring: a value this short would
# mangle ids and numbers everywhere, and is no secret.
MIN_MASKED_LENGTH = 4


def secret_env_values(env: t.Any) -> set[str]:
    """The values of ``env`` (raw module parameter) whose names look secret, for ``no_log_values``.

    A dict or list under such a name is refused later, but Ansible echoes the raw
    arguments at -vvv first: the strings inside it are masked too.
    """
    if not isinstance(env, t.Mapping):
        return set()
    values: set[str] = set()
    for name, value in env.items():
        if _SECRET_NAME_RE.search(str(name)):
            values.update(text for text in _strings(value) if len(text) >= MIN_MASKED_LENGTH)
    return values


def _strings(value: t.Any) -> t.Iterator[str]:
    """Every string or number in ``value``, however nested; booleans and nulls are no secret."""
    if isinstance(value, t.Mapping):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        yield str(value)


DiffView = dict[str, t.Any]


def hide_env_values(before: t.Mapping[str, t.Any], after: t.Mapping[str, t.Any]) -> tuple[DiffView, DiffView]:
    """The diff's before and after with each env value replaced by a marker.

    A variable whose value differs shows ``(hidden)`` before and ``(hidden, changed)``
    after, so that the diff still shows which variables a recreation changes.
    """
    before_env = before.get("env")
    after_env = after.get("env")
    hidden_before, hidden_after = dict(before), dict(after)
    if isinstance(before_env, t.Mapping):
        hidden_before["env"] = dict.fromkeys(before_env, ENV_VALUE_HIDDEN)
    if isinstance(after_env, t.Mapping):
        old = before_env if isinstance(before_env, t.Mapping) else {}
        hidden_after["env"] = {name: ENV_VALUE_CHANGED if name in old and old[name] != value else ENV_VALUE_HIDDEN
                               for name, value in after_env.items()}
    return hidden_before, hidden_after
