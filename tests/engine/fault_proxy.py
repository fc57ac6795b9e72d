# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A unix-socket proxy in front of a Docker engine that lets the first N deletes through, then cuts in.

The fault tests point a module's ``docker_host`` at it, so that the moment a fault strikes is a
count of removals, not a guess about timing on a loaded machine. Each client connection gets its
own upstream connection and bytes are pumped both ways unchanged; a request is recognised by its
first line (the modules send no request bodies, and wait for each answer before the next request
on a connection). At the (N+1)th ``DELETE`` the proxy calls ``on_cut`` once (pause or stop the
engine), then either forwards that request (``hold=False``: the fault is the engine's) or holds
it, and every later ``DELETE``, until ``release`` (``hold=True``: a connection that hangs).
"""

from __future__ import annotations

import os
import socket
import threading
import typing as t


class DeleteGate:
    def __init__(self, path: str, upstream: str, let_through: int, hold: bool,
                 on_cut: t.Callable[[], None] | None = None) -> None:
        self.path, self.upstream, self.let_through, self.hold = path, upstream, let_through, hold
        self.on_cut = on_cut
        self.deletes = 0
        self.cut = threading.Event()      # set once the (N+1)th DELETE arrived
        self.cut_done = threading.Event()  # set once on_cut returned: later deletes wait for it
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(path)
        self._server.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def docker_host(self) -> str:
        return f"unix://{self.path}"

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.released.set()
        self.cut_done.set()
        for sock in [self._server, *self._sockets]:
            try:
                sock.close()
            except OSError:
                pass
        if os.path.exists(self.path):
            os.unlink(self.path)

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sockets += [client, upstream]
        try:
            upstream.connect(self.upstream)
        except OSError:
            client.close()  # no engine: the client sees its connection closed
            return
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if data.startswith(b"DELETE ") and self._cut_here():
                if self.hold:
                    self.released.wait()
                    break  # a connection that never answered, then dropped
            try:
                upstream.sendall(data)
            except OSError:
                break
        for sock in (client, upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _cut_here(self) -> bool:
        """Count one DELETE; True from the (N+1)th on (the first of those calls ``on_cut``)."""
        with self._lock:
            self.deletes += 1
            if self.deletes <= self.let_through:
                return False
            first = not self.cut.is_set()
            self.cut.set()
        if first:
            try:
                if self.on_cut is not None:
                    self.on_cut()
            finally:
                self.cut_done.set()
        else:
            self.cut_done.wait()  # none slips through to the engine before the fault struck
        return True

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
            except OSError:
                break
        try:
            target.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
