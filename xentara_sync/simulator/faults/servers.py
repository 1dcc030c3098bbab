"""WebSocket servers that misbehave on purpose, served from daemon threads."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from ...exceptions import InvalidArgument
from ...threads import start as start_thread
from ..lifecycle import StartStop
from .messages import MODES, answer, browses, connect_answers

if TYPE_CHECKING:
    from websockets.sync.server import Server, ServerConnection

__all__ = ["LOCALHOST", "FaultyServer", "Proxy", "ScriptedServer", "check_timeout"]

#: The address every server and relay here listens on unless told otherwise.
LOCALHOST: Final = "127.0.0.1"
#: How long a proxy waits for its upstream server's handshake (seconds).
UPSTREAM_TIMEOUT: Final = 5.0


def check_timeout(timeout: float) -> float:
    if not isinstance(timeout, (int, float)) or not timeout > 0:
        raise InvalidArgument(f"timeout: a number of seconds above 0, not {timeout!r}")
    return float(timeout)


class ScriptedServer(StartStop):
    """A WebSocket server running ``script(connection, number)`` for each connection.

    *connection* is a :class:`websockets.sync.server.ServerConnection` (iterate it
    for messages, ``send`` answers, ``close`` it); connections are numbered from 1.
    It listens on *host* (127.0.0.1) and *port* (0: the OS picks one) and serves
    from daemon threads between :meth:`start` and :meth:`stop` (or in a ``with``
    block). A client that goes ends the script with
    :class:`websockets.exceptions.ConnectionClosed`, which is ignored.
    *handshake_delay* (seconds) makes every WebSocket handshake that much slower.

    >>> from xentara_sync.protocol import Failure, Request, decode_message, encode_message
    >>> def refuse(connection, number):          # every request: -32603 (internal error)
    ...     for message in connection:
    ...         failures = [Failure(r.message_id, -32603, "starting") for r in
    ...                     decode_message(message) if isinstance(r, Request)]
    ...         connection.send(encode_message(failures))
    >>> with ScriptedServer(refuse) as server:
    ...     server.url.startswith("ws://127.0.0.1:")
    True
    """

    def __init__(
        self,
        script: Callable[[ServerConnection, int], None] | None = None,
        *,
        host: str = LOCALHOST,
        port: int = 0,
        handshake_delay: float = 0.0,
    ) -> None:
        from websockets.sync.server import serve

        if not isinstance(handshake_delay, (int, float)) or not handshake_delay >= 0:
            raise InvalidArgument(
                f"handshake_delay: a number of seconds of 0 or more, not {handshake_delay!r}"
            )
        self._script = script
        self.handshake_delay = float(handshake_delay)
        #: Connections accepted so far.
        self.connections = 0
        self._lock = threading.Lock()
        self._server: Server = serve(
            self._handle,
            host,
            port,
            compression=None,
            max_size=None,
            process_request=self._delay if handshake_delay else None,
        )
        self._address: tuple[str, int] = self._server.socket.getsockname()[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="xentara-sync fault server", daemon=True
        )

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._address[1])

    @property
    def url(self) -> str:
        """``ws://HOST:PORT/api/ws``."""
        return f"ws://{self._address[0]}:{self._address[1]}/api/ws"

    def _delay(self, connection: ServerConnection, request: object) -> None:
        time.sleep(self.handshake_delay)

    def _handle(self, connection: ServerConnection) -> None:
        from websockets.exceptions import ConnectionClosed

        with self._lock:
            self.connections += 1
            number = self.connections
        with contextlib.suppress(ConnectionClosed):
            self.handle(connection, number)

    def handle(self, connection: ServerConnection, number: int) -> None:
        """Serve *connection* (the *number*-th): the script's job; subclasses override."""
        if self._script is None:
            raise NotImplementedError("give a script, or override handle()")
        self._script(connection, number)

    def start(self) -> None:
        """Start serving (from a daemon thread)."""
        start_thread(self._thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and close every connection; waits *timeout* seconds at most."""
        deadline = time.monotonic() + check_timeout(timeout)
        stopping = threading.Thread(target=self._server.shutdown, daemon=True)
        start_thread(stopping)
        stopping.join(timeout)
        if self._thread.is_alive():
            self._thread.join(max(0.0, deadline - time.monotonic()))


class FaultyServer(ScriptedServer):
    """A server that breaks the Xentara protocol on purpose, as *mode* says.

    * ``"garbage"``, ``"not-packets"``, ``"huge-broken-packet"``,
      ``"shared-reference-bomb"``: every message gets that broken answer (see
      :data:`~xentara_sync.simulator.faults.messages.ANSWERS`);
    * ``"silent"``: no message gets an answer;
    * ``"close"``: the connection is closed at the first message;
    * ``"flood"``: a client's connecting requests are answered (an empty model), then
      the messages of *flood* are sent to it back to back; with *repeat*, again and
      again until the client goes.

    :attr:`messages` counts the messages received, :attr:`sent` the flood messages
    sent. Other arguments as in :class:`~xentara_sync.simulator.faults.ScriptedServer`.

    >>> from xentara_sync import ProtocolError, XentaraClient
    >>> with FaultyServer("garbage") as server:
    ...     try:
    ...         XentaraClient(server.url, connect_timeout=5)
    ...     except ProtocolError:
    ...         print("a clear error, at once")
    a clear error, at once
    """

    def __init__(
        self,
        mode: str,
        flood: Sequence[bytes] = (),
        *,
        repeat: bool = False,
        host: str = LOCALHOST,
        port: int = 0,
        handshake_delay: float = 0.0,
    ) -> None:
        if mode not in MODES:
            raise InvalidArgument(f"mode: one of {', '.join(MODES)}, not {mode!r}")
        if mode == "flood" and not flood:
            raise InvalidArgument("flood: the messages to send in mode 'flood', not none")
        self.mode = mode
        self.flood = list(flood)
        self.repeat = repeat
        #: Messages received so far, and flood messages sent.
        self.messages = 0
        self.sent = 0
        super().__init__(host=host, port=port, handshake_delay=handshake_delay)

    def handle(self, connection: ServerConnection, number: int) -> None:
        for message in connection:
            with self._lock:
                self.messages += 1
            data = message if isinstance(message, bytes) else message.encode()
            if self.mode == "close":
                connection.close()
                return
            if self.mode == "flood":
                connection.send(connect_answers(data))
                if browses(data):
                    self._flood(connection)
                continue
            reply = answer(self.mode, data)
            if reply is not None:
                connection.send(reply)

    def _flood(self, connection: ServerConnection) -> None:
        while True:
            for data in self.flood:
                connection.send(data)
                with self._lock:
                    self.sent += 1
            if not self.repeat:
                return


class Proxy(ScriptedServer):
    """Forwards WebSocket messages to *upstream* (a ``ws://`` URL); each answer goes
    back to the client as ``rewrite(answer)``: a server whose answers are spoiled in a
    way of your choice (a wrong type, a missing field, an odd name).

    >>> from xentara_sync import XentaraClient
    >>> from xentara_sync.simulator import Simulator
    >>> with Simulator() as sim, Proxy(sim.url, lambda answer: answer) as proxy:
    ...     with XentaraClient(proxy.url) as client:
    ...         client.read("Hardware.EtherCAT Bus.EL1004.Input 1")
    False
    """

    def __init__(
        self,
        upstream: str,
        rewrite: Callable[[bytes], bytes],
        *,
        host: str = LOCALHOST,
        port: int = 0,
    ) -> None:
        self._upstream = upstream
        self._rewrite = rewrite
        super().__init__(host=host, port=port)

    def handle(self, connection: ServerConnection, number: int) -> None:
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        with connect(
            self._upstream, compression=None, max_size=None, open_timeout=UPSTREAM_TIMEOUT
        ) as upstream:

            def back() -> None:
                try:
                    for reply in upstream:
                        data = reply if isinstance(reply, bytes) else reply.encode()
                        connection.send(self._rewrite(data))
                except ConnectionClosed:
                    connection.close()

            thread = threading.Thread(target=back, name="xentara-sync proxy", daemon=True)
            start_thread(thread)
            for message in connection:
                upstream.send(message)
        thread.join(5)
