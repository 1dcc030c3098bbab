"""A TCP relay on 127.0.0.1 that can freeze: a half-open connection, made on purpose."""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class Relay:
    """Forwards connections to 127.0.0.1:*port* until :meth:`freeze`; then forwards
    nothing more in either direction and closes nothing, like a frozen server."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._frozen = threading.Event()
        self._stopped = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def freeze(self) -> None:
        self._frozen.set()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self._port))
            for sock in (client, upstream):
                sock.settimeout(0.05)
                self._sockets.append(sock)
            for source, target in ((client, upstream), (upstream, client)):
                thread = threading.Thread(target=self._pump, args=(source, target), daemon=True)
                self._threads.append(thread)
                thread.start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while not self._stopped.is_set():
            if self._frozen.is_set():
                self._stopped.wait(0.05)
                continue
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            if self._frozen.is_set():  # frozen meanwhile: this never arrives
                continue
            try:
                target.sendall(data)
            except OSError:
                return

    def __enter__(self) -> Relay:
        self._threads[0].start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopped.set()
        for thread in list(self._threads):
            thread.join(5)
        for sock in self._sockets:
            sock.close()
        self._listener.close()
