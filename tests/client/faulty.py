"""A WebSocket server on 127.0.0.1 that breaks the Xentara protocol on purpose."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType

import cbor2
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.protocol.test_decoding_limits import shared_reference_bomb
from xentara_sync.protocol import (
    DataChange,
    Opcode,
    Request,
    Success,
    TimePoint,
    decode_message,
    encode_message,
)

#: What the server answers to each message, by mode (None: no answer).
ANSWERS: dict[str, Callable[[bytes], bytes | None]] = {
    # Not CBOR at all.
    "garbage": lambda message: b"\xff\xfe\xfd",
    # CBOR, but not an array of packets.
    "not-packets": lambda message: cbor2.dumps({"hello": "world"}),
    # A broken packet quoting a large byte string (a 1 MB answer).
    "huge-broken-packet": lambda message: cbor2.dumps([[1, b"x" * 1_000_000, 1, 2, 3]]),
    # A CBOR shared-reference bomb: 24 levels, each twice the one below.
    "shared-reference-bomb": lambda message: shared_reference_bomb(24),
    # Nothing.
    "silent": lambda message: None,
}


def flood_messages(count: int = 3, events: int = 300_000) -> list[bytes]:
    """*count* messages of *events* value changes each (about 13 MB a message)."""
    stamp = TimePoint(1_700_000_000_000_000_000)
    element = uuid.UUID(int=42)
    # The same packet *events* times, put together as bytes: encoding 300,000 packets
    # one by one took over a minute on a busy machine.
    packet = encode_message([DataChange(stamp, element, {11: 1})])[1:]  # without [
    header = cbor2.dumps([None] * events)[:-events]  # the array's head: None is 1 byte
    message = header + packet * events
    return [message] * count


def answer_connect(message: bytes) -> bytes:
    """Answers to the requests of a client connecting: hello, root, browse (nothing)."""
    answers = []
    for request in decode_message(message):
        assert isinstance(request, Request)
        result: object = None
        if request.opcode == Opcode.LOOKUP:
            result = uuid.UUID(int=1)
        elif request.opcode == Opcode.BROWSE:
            result = []
        elif request.opcode == Opcode.SERVER_INFORMATION:
            result = {}
        answers.append(Success(request.message_id, result))
    return encode_message(answers)


class FaultyServer:
    """Answers every message according to *mode* (see :data:`ANSWERS`); or, with
    mode ``"close"``, closes the connection on the first message; or, with mode
    ``"flood"``, lets a client connect and then sends it *flood* (messages).
    The WebSocket handshake takes *handshake_delay* seconds more than it would."""

    def __init__(
        self, mode: str, flood: list[bytes] | None = None, handshake_delay: float = 0.0
    ) -> None:
        self.flood = flood or []
        self.handshake_delay = handshake_delay
        if mode not in ("close", "flood") and mode not in ANSWERS:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.messages = 0
        self._server: Server = serve(
            self._handle, "127.0.0.1", 0, compression=None, process_request=self._delay
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/api/ws"

    def _delay(self, connection: ServerConnection, request: object) -> None:
        time.sleep(self.handshake_delay)

    def _handle(self, connection: ServerConnection) -> None:
        try:
            for message in connection:
                self.messages += 1
                if self.mode == "close":
                    connection.close()
                    return
                if self.mode == "flood":
                    assert isinstance(message, bytes)
                    connection.send(answer_connect(message))
                    if any(r.opcode == Opcode.BROWSE for r in decode_message(message)):  # type: ignore[union-attr]
                        for data in self.flood:
                            connection.send(data)
                    continue
                answer = ANSWERS[self.mode](message if isinstance(message, bytes) else b"")
                if answer is not None:
                    connection.send(answer)
        except ConnectionClosed:
            pass

    def __enter__(self) -> FaultyServer:
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
