"""The blocking floor: a hand-written ``websockets.sync`` + ``cbor2`` loop.

What a user writes by hand for a blocking client: connect, say the client hello,
look the element up, then read it with one request per WebSocket message, each
response received before the next request is sent. The blocking client's
``client.read()`` is compared with it (``raw_sync_rtt_us``, ``sync_over_raw_sync``).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from websockets.sync.client import ClientConnection, connect

from ..protocol.ids import Opcode
from . import raw_wire as wire
from .plan import BenchError

__all__ = ["RawSyncClient"]


class RawSyncClient:
    """A blocking request/response loop over one ``websockets.sync`` connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._id = 0

    @classmethod
    @contextlib.contextmanager
    def connect(cls, url: str, verify_ssl: bool) -> Iterator[RawSyncClient]:
        """Connect to *url* and say the client hello; the connection closes on exit.

        >>> from xentara_sync.simulator import Simulator
        >>> with Simulator() as sim, RawSyncClient.connect(sim.url, True) as raw:
        ...     raw.read(raw.lookup("Hardware.Registers.Counter")) >= 0
        True
        """
        address, options = wire.connect_options(url, verify_ssl)
        with connect(address, **options) as ws:
            client = cls(ws)
            client.call(Opcode.CLIENT_HELLO, wire.HELLO)
            yield client

    def call(self, opcode: Opcode, params: dict[int, Any]) -> Any:
        """Send one request; the result of its response (skipping other packets)."""
        self._id += 1
        message_id = self._id
        self._ws.send(wire.request(message_id, opcode, params))
        while True:
            found, result = wire.response(self._ws.recv(decode=False), message_id, opcode)
            if found:
                return result

    def lookup(self, key: str) -> uuid.UUID:
        """The UUID of the element with primary key *key*."""
        element = self.call(Opcode.LOOKUP, wire.lookup_params(key))
        if not isinstance(element, uuid.UUID):
            raise BenchError(f"the raw lookup of {key!r} answered {element!r}, not a UUID")
        return element

    def read(self, element: uuid.UUID) -> Any:
        """One read of *element*'s value: encode, send, receive, decode."""
        self._id += 1
        self._ws.send(wire.read_request(self._id, element))
        return wire.read_value(self._ws.recv(decode=False))
