# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``TidyDockerModule``: the AnsibleModule every module of the collection runs as.

It merges the shared connection options into the module's spec, refuses a missing,
broken or too old Docker SDK with one sentence, makes the client on first use, and is
the one place where a domain error becomes ``fail_json``.
"""

from __future__ import annotations

import sys
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import (
    EngineClient,
    broken_sdk_error,
    import_sdk,
    sdk_version,
)
from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import (
    ConnectionSettings,
    docker_argument_spec,
)
from ansible_collections.tidy.docker.plugins.module_utils._engine.sdk_compat import check_sdk_version, missing_sdk_error
from ansible_collections.tidy.docker.plugins.module_utils._errors import PartialFailure, SdkError, TidyDockerError


class TidyDockerModule(AnsibleModule):
    """AnsibleModule with the shared connection options and one failure path.

    ``main()`` of every module is: build the spec, make this, ``run`` a handler
    that returns the result dict. Domain errors become ``fail_json`` here only.
    """

    def __init__(self, argument_spec: dict[str, dict[str, t.Any]], **kwargs: t.Any) -> None:
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(argument_spec=docker_argument_spec(argument_spec), **kwargs)
        sdk = import_sdk(str(self.params.get("docker_host") or ""))
        if sdk.broken is not None:
            self.fail_with(broken_sdk_error(sdk.broken))
        if sdk.missing is not None:
            # Not missing_required_lib(): its text does not say how to install the SDK on a node.
            self.fail_with(missing_sdk_error(sys.executable))
        try:
            check_sdk_version(sdk_version())
        except SdkError as exc:
            self.fail_with(exc)
        self._client: EngineClient | None = None

    @property
    def client(self) -> EngineClient:
        if self._client is None:
            self._client = EngineClient(ConnectionSettings.from_params(self.params))
        return self._client

    def fail_with(self, error: TidyDockerError) -> t.NoReturn:
        context = {key: value for key, value in error.context.items() if value is not None}
        if isinstance(error, PartialFailure):
            # What was done before the engine failed (changed, removed, kept and why): a playbook
            # that registers the failed task still learns it.
            context = {**{key: value for key, value in error.result.items() if key not in ("msg", "failed")},
                       **context}
        self.fail_json(msg=error.message, **context)
        raise AssertionError("unreachable: fail_json() exits")  # pragma: no cover

    def run(self, handler: t.Callable[[TidyDockerModule], dict[str, t.Any]]) -> t.NoReturn:
        error: TidyDockerError | None = None
        try:
            result = handler(self)
        except TidyDockerError as exc:
            error = exc
        finally:
            if self._client is not None:
                self._client.close()
        if error is not None:
            # Outside the except block: ansible-core would otherwise attach the
            # traceback of the exception being handled to the failure.
            self.fail_with(error)
        self.exit_json(**result)
        raise AssertionError("unreachable: exit_json() exits")  # pragma: no cover
