"""A TCP relay that freezes, drops and delays the connections it forwards."""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
import time
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from ...exceptions import InvalidArgument
from ...threads import start as start_thread
from ..lifecycle import StartStop
from .servers import LOCALHOST, UPSTREAM_TIMEOUT, check_timeout

__all__ = ["Relay"]

#: How often the relay's threads look whether they should stop (seconds).
_TICK: Final = 0.05
#: SO_LINGER on, with a time of 0: closing the socket sends a reset (``struct linger``
#: holds two ints on POSIX, two unsigned shorts on Windows).
_RESET: Final = struct.pack("HH" if sys.platform == "win32" else "ii", 1, 0)


class _Link:
    """One relayed connection: the client's socket, the server's, and their pumps."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.sockets = (client, server)
        self.ended = threading.Event()
        self.abort = False
        self._pumps = 2
        self._lock = threading.Lock()

    def pump_done(self) -> None:
        """A pump ends; the last one out closes both sockets (abortively if dropped)."""
        self.ended.set()
        with self._lock:
            self._pumps -= 1
            if self._pumps:
                return
        for sock in self.sockets:
            if self.abort:  # a reset, not an orderly close
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
            sock.close()


class Relay(StartStop):
    """A TCP relay on 127.0.0.1 in front of *upstream*: a server's ``ws://`` or
    ``wss://`` URL, or the port of a server on 127.0.0.1.

    Connect the client to :attr:`url` instead of the server's; then

    * :meth:`freeze` stops forwarding in both directions and closes nothing, as a
      frozen server or a pulled cable would (:meth:`thaw` forwards again, what
      was held back first);
    * :meth:`disconnect_all` drops every relayed connection at once, without any
      closing handshake (a TCP reset);
    * :attr:`delay` (seconds) holds back every piece of data that long before
      forwarding it, as a slow link would.

    It forwards bytes, so ``wss://`` passes through unchanged (the client then checks
    the server's certificate against the name it connects to: give the client an
    ``ssl`` context that accepts it). It serves from daemon threads between
    :meth:`start` and :meth:`stop` (or in a ``with`` block); every wait in them is
    bounded. :attr:`connection_count` counts the connections relayed now.

    >>> from xentara_sync import ConnectionClosed, XentaraClient
    >>> from xentara_sync.simulator import Simulator
    >>> with Simulator() as sim, Relay(sim.url) as relay:
    ...     with XentaraClient(relay.url, keepalive=0.3, reconnect=False) as client:
    ...         relay.freeze()                     # the server stops answering
    ...         try:
    ...             client.read("Hardware.EtherCAT Bus.EL1004.Input 1", timeout=5)
    ...         except ConnectionClosed:
    ...             print("noticed by the keepalive")
    noticed by the keepalive
    """

    def __init__(
        self, upstream: str | int, *, host: str = LOCALHOST, port: int = 0, delay: float = 0.0
    ) -> None:
        if isinstance(upstream, int) and not isinstance(upstream, bool):
            self._target = (LOCALHOST, upstream)
            self._scheme, self._path = "ws", "/api/ws"
        elif isinstance(upstream, str):
            parts = urlsplit(upstream)
            if parts.scheme not in ("ws", "wss") or not parts.hostname:
                raise InvalidArgument(f"upstream: a ws:// or wss:// URL, not {upstream!r}")
            default = 443 if parts.scheme == "wss" else 80
            self._target = (parts.hostname, parts.port or default)
            self._scheme, self._path = parts.scheme, parts.path or "/"
        else:
            raise InvalidArgument(f"upstream: a URL or a port number, not {upstream!r}")
        self.delay = delay
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(_TICK)
        self._address: tuple[str, int] = self._listener.getsockname()[:2]
        self._frozen = threading.Event()
        self._stopped = threading.Event()
        self._links: set[_Link] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(
            target=self._accept, name="xentara-sync relay", daemon=True
        )

    @property
    def delay(self) -> float:
        """Seconds each piece of data waits before it is forwarded (0: none)."""
        return self._delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        if not isinstance(seconds, (int, float)) or not 0 <= seconds <= 3600:
            raise InvalidArgument(f"delay: a number of seconds from 0 to 3600, not {seconds!r}")
        self._delay = float(seconds)

    @property
    def port(self) -> int:
        """The port the relay listens on."""
        return int(self._address[1])

    @property
    def url(self) -> str:
        """The URL to give the client: the upstream's, with the relay's host and port."""
        host = self._address[0]
        return urlunsplit((self._scheme, f"{host}:{self.port}", self._path, "", ""))

    @property
    def connection_count(self) -> int:
        """The connections relayed now."""
        with self._lock:
            return sum(1 for link in self._links if not link.ended.is_set())

    @property
    def frozen(self) -> bool:
        """Whether the relay forwards nothing (:meth:`freeze`)."""
        return self._frozen.is_set()

    def freeze(self) -> None:
        """Forward nothing more in either direction, and close nothing."""
        self._frozen.set()

    def thaw(self) -> None:
        """Forward again, what was held back while frozen first."""
        self._frozen.clear()

    def disconnect_all(self) -> None:
        """Drop every relayed connection (a TCP reset to both ends), within 0.1 s."""
        with self._lock:
            links = list(self._links)
        for link in links:
            link.abort = True
            link.ended.set()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self._target, timeout=UPSTREAM_TIMEOUT)
            except OSError:
                client.close()  # the client sees its connection lost
                continue
            link = _Link(client, server)
            with self._lock:
                self._links = {known for known in self._links if not known.ended.is_set()}
                self._links.add(link)
            client.settimeout(_TICK)
            server.settimeout(_TICK)
            self._threads = [known for known in self._threads if known.is_alive()]
            for source, target in ((client, server), (server, client)):
                thread = threading.Thread(
                    target=self._pump, args=(link, source, target), daemon=True
                )
                self._threads.append(thread)
                start_thread(thread)

    def _pump(self, link: _Link, source: socket.socket, target: socket.socket) -> None:
        try:
            while self._waited(link):
                try:
                    data = source.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                if self._delay:
                    link.ended.wait(self._delay)
                if not self._send(link, target, data):
                    return
        except OSError:
            return
        finally:
            link.pump_done()

    def _waited(self, link: _Link) -> bool:
        """Wait while the relay is frozen; whether *link* goes on."""
        while self._frozen.is_set() and not (self._stopped.is_set() or link.ended.is_set()):
            link.ended.wait(_TICK)
        return not (self._stopped.is_set() or link.ended.is_set())

    def _send(self, link: _Link, target: socket.socket, data: bytes) -> bool:
        """Send *data* on, in pieces as the socket takes them (none while frozen);
        whether *link* goes on."""
        view = memoryview(data)
        while view:
            if not self._waited(link):
                return False
            try:
                view = view[target.send(view) :]
            except TimeoutError:  # the receiver is slow: try again, unless it ends
                continue
        return True

    def start(self) -> None:
        """Start relaying (from daemon threads)."""
        start_thread(self._acceptor)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop relaying and close every connection; waits *timeout* seconds at most."""
        deadline = time.monotonic() + check_timeout(timeout)
        self._stopped.set()
        if self._acceptor.is_alive():
            self._acceptor.join(max(0.0, deadline - time.monotonic()))
        for thread in self._threads:  # complete now: nothing accepts any more
            thread.join(max(0.0, deadline - time.monotonic()))
        self._listener.close()
