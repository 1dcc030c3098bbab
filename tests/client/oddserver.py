"""Servers on 127.0.0.1 that behave oddly on purpose, for the client's robustness tests.

* :class:`Proxy` forwards WebSocket messages to a real server (the simulator) and
  lets a test rewrite each answer on its way back;
* :class:`ScriptedServer` answers a client's connecting requests and then does
  whatever its *script* says with each connection (drop it, answer an error...).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.server import Server, ServerConnection, serve


class _Background:
    """A websockets.sync server on 127.0.0.1 served from a daemon thread."""

    def __init__(self) -> None:
        self._server: Server = serve(self._handle, "127.0.0.1", 0, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        #: Connections accepted so far.
        self.connections = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/api/ws"

    def _handle(self, connection: ServerConnection) -> None:
        self.connections += 1
        try:
            self.handle(connection)
        except ConnectionClosed:
            pass

    def handle(self, connection: ServerConnection) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Background:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._thread.join(5)


class Proxy(_Background):
    """Forwards to *upstream*; each answer goes back as ``rewrite(answer)``."""

    def __init__(self, upstream: str, rewrite: Callable[[bytes], bytes]) -> None:
        super().__init__()
        self._upstream = upstream
        self._rewrite = rewrite

    def handle(self, connection: ServerConnection) -> None:
        with connect(self._upstream, compression=None, max_size=None) as upstream:

            def back() -> None:
                try:
                    for answer in upstream:
                        assert isinstance(answer, bytes)
                        connection.send(self._rewrite(answer))
                except ConnectionClosed:
                    connection.close()

            thread = threading.Thread(target=back, daemon=True)
            thread.start()
            for message in connection:
                upstream.send(message)
        thread.join(5)


class ScriptedServer(_Background):
    """Runs ``script(connection, number)`` for each connection (numbered from 1)."""

    def __init__(self, script: Callable[[ServerConnection, int], None]) -> None:
        super().__init__()
        self._script = script

    def handle(self, connection: ServerConnection) -> None:
        self._script(connection, self.connections)
