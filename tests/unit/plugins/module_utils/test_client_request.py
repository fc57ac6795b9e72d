# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EngineClient.request against a small fake engine, over a unix socket and over TCP.

The unix socket takes the kept-alive connections of ``request``; TCP takes the SDK's session.
Both must give the same answers and the same domain errors.
"""

from __future__ import annotations

import json
import shutil
import socket
import socketserver
import tempfile
import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from ansible_collections.tidy.docker.plugins.module_utils._engine.client import EngineClient, object_path
from ansible_collections.tidy.docker.plugins.module_utils._engine.connection import ConnectionSettings
from ansible_collections.tidy.docker.plugins.module_utils._errors import (
    Conflict,
    EngineError,
    EngineTimeout,
    EngineUnreachable,
    NotFound,
)

VERSION = {"Version": "20.10.24", "ApiVersion": "1.41", "MinAPIVersion": "1.12"}


class FakeEngine(BaseHTTPRequestHandler):
    """Answers by the last path segment before ``/json``, or the last one: see ``answer``."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the engine
    server: t.Any

    def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002 - the base class's name
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1
            self.server.open.append(self.connection)

    def answer(self) -> None:
        url = urlsplit(self.path)
        self.server.seen.append((self.command, url.path, dict(parse_qsl(url.query))))
        if url.path == "/version":
            self.send(200, VERSION)
            return
        name = url.path.removesuffix("/json").rsplit("/", 1)[-1]
        if name == "gone":
            self.send(404, {"message": "No such container: gone"})
        elif name == "busy":
            self.send(409, {"message": "You cannot remove a running container busy."})
        elif name == "broken":
            self.send(500, {"message": "driver failed to remove the layer"})
        elif name == "plain":
            self.send(500, b"not json at all")
        elif name == "empty":
            self.send(204, None)
        elif name == "slow":
            time.sleep(3)
            self.send(200, {})
        else:
            self.send(200, {"Id": name, "query": dict(parse_qsl(url.query))})
        if name == "hangup":
            # Keep-alive announced, then the connection is dropped: what an engine restart or its
            # idle timeout looks like to the next request on that connection.
            self.close_connection = True

    def send(self, status: int, body: t.Any) -> None:
        data = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_DELETE = do_POST = answer  # noqa: N815 - http.server's names


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    # A unix socket refuses a connect at once (EAGAIN) when the backlog is full, where TCP retries:
    # room for every request the tests have in flight, also when a loaded machine accepts slowly.
    request_queue_size = 64


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(params=["unix", "tcp"])
def engine(request: pytest.FixtureRequest, make_params: t.Callable[..., dict[str, t.Any]]) -> t.Iterator[t.Any]:
    directory = Path(tempfile.mkdtemp(prefix="tdreq.", dir="/tmp"))  # unix socket paths are short
    if request.param == "unix":
        server: t.Any = UnixServer(str(directory / "engine.sock"), FakeEngine)
        host = f"unix://{directory / 'engine.sock'}"
    else:
        server = TcpServer(("127.0.0.1", 0), FakeEngine)
        host = f"tcp://127.0.0.1:{server.server_address[1]}"
    server.lock, server.connections, server.seen, server.open = threading.Lock(), 0, [], []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    client = EngineClient(ConnectionSettings.from_params(make_params(docker_host=host, timeout=1), environ={}))
    server.client, server.host, server.transport = client, host, request.param
    try:
        yield server
    finally:
        client.close()
        server.shutdown()
        server.server_close()
        shutil.rmtree(directory, ignore_errors=True)


def test_answer_is_the_json_body_below_the_negotiated_version(engine):
    answer = engine.client.request("GET", object_path("containers", "web", "json"))
    assert answer == {"Id": "web", "query": {}}
    assert engine.seen[-1] == ("GET", "/v1.41/containers/web/json", {})


def test_booleans_in_the_query_are_spelled_as_the_engine_expects(engine):
    answer = engine.client.request("DELETE", object_path("containers", "old"), {"v": True, "force": False})
    assert answer["query"] == {"v": "true", "force": "false"}


def test_image_references_keep_their_slashes_and_colons(engine):
    engine.client.request("DELETE", object_path("images", "registry.local:5000/team/app:1.2"))
    assert engine.seen[-1][1] == "/v1.41/images/registry.local:5000/team/app:1.2"


def test_no_content_is_none(engine):
    assert engine.client.request("DELETE", object_path("containers", "empty")) is None


@pytest.mark.parametrize(("name", "error", "message"), [
    ("gone", NotFound, "No such container: gone"),
    ("busy", Conflict, "You cannot remove a running container busy."),
])
def test_missing_and_conflicting_objects_keep_the_engine_explanation(engine, name, error, message):
    with pytest.raises(error) as caught:
        engine.client.request("DELETE", object_path("containers", name))
    assert str(caught.value) == message
    assert caught.value.context["status_code"] in (404, 409)


def test_other_engine_answers_name_the_engine_and_the_status(engine):
    with pytest.raises(EngineError) as caught:
        engine.client.request("DELETE", object_path("images", "broken"))
    assert str(caught.value) == f"The Docker engine at {engine.host} answered 500: driver failed to remove the layer"


def test_an_answer_that_is_not_json_is_quoted_as_text(engine):
    with pytest.raises(EngineError, match=r"answered 500: not json at all$"):
        engine.client.request("GET", object_path("images", "plain", "json"))


def test_a_slow_engine_is_a_timeout_sentence(engine):
    with pytest.raises(EngineTimeout) as caught:
        engine.client.request("GET", object_path("containers", "slow", "json"))
    assert str(caught.value) == (f"The Docker engine at {engine.host} did not answer within 1 seconds; raise timeout "
                                 "(or DOCKER_TIMEOUT), or check the engine's health.")
    # The connection that timed out is not reused for a later answer.
    assert engine.client.request("GET", object_path("containers", "next", "json"))["Id"] == "next"


def test_requests_of_one_thread_share_one_kept_alive_connection(engine):
    before = engine.connections
    for index in range(20):
        assert engine.client.request("GET", object_path("containers", f"c{index}", "json"))["Id"] == f"c{index}"
    assert engine.connections - before <= 1


def test_a_connection_the_engine_dropped_is_replaced_without_an_error(engine):
    engine.client.request("GET", object_path("containers", "warm", "json"))
    engine.client.request("GET", object_path("containers", "hangup", "json"))
    time.sleep(0.1)  # the server has closed its end by now
    assert engine.client.request("GET", object_path("containers", "after", "json"))["Id"] == "after"


def test_concurrent_requests_all_get_their_own_answer_and_reuse_connections(engine):
    names = [f"c{index}" for index in range(64)]
    before = engine.connections
    for _round in range(2):  # two thread pools one after the other, as container_prune's inspects and removals
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda n: engine.client.request("GET", object_path("containers", n, "json")),
                                    names))
        assert [answer["Id"] for answer in answers] == names
    # At most one connection per request in flight (the SDK's pool keeps up to 10), whatever the threads.
    assert engine.connections - before <= (8 if engine.transport == "unix" else 10)


def test_an_engine_that_went_away_is_one_unreachable_sentence(engine):
    engine.client.request("GET", object_path("containers", "warm", "json"))
    engine.shutdown()
    engine.server_close()
    for connection in engine.open:  # the kept-alive ones too: the whole engine is gone
        connection.shutdown(socket.SHUT_RDWR)
    if engine.transport == "unix":
        Path(engine.host[len("unix://"):]).unlink()
    with pytest.raises(EngineUnreachable) as caught:
        engine.client.request("GET", object_path("containers", "web", "json"))
    assert str(caught.value).startswith(f"Cannot reach the Docker engine at {engine.host}: ")
