"""The asyncio floor: a hand-written ``websockets.asyncio`` + ``cbor2`` loop.

One request per WebSocket message, its response awaited before the next one: what
the asyncio client is compared with (``raw_rtt_us``, ``events_raw_per_s``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any, Final

import cbor2
from websockets.asyncio.client import ClientConnection, connect

from ..endpoint import Endpoint, make_ssl_context
from .plan import BenchError

__all__ = ["RawClient"]

#: The well-known attribute number of ``value``.
_VALUE: Final = 11


class RawClient:
    """The floor: a hand-written websockets + cbor2 loop, one request per message."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._id = 0

    @classmethod
    async def connect(cls, url: str, verify_ssl: bool) -> RawClient:
        """Connect to *url* and say the client hello."""
        endpoint = Endpoint.parse(url)
        ws = await connect(
            endpoint.url,
            additional_headers=endpoint.headers(),
            ssl=make_ssl_context(verify_ssl) if endpoint.secure else None,
            compression=None,
            max_size=None,
            proxy=None,
        )
        client = cls(ws)
        await client.call(14, {0: 1, 1: 1})  # client hello
        return client

    async def call(self, opcode: int, params: dict[int, Any]) -> Any:
        """Send one request; the result of its response (skipping events)."""
        self._id += 1
        message_id = self._id
        await self._ws.send(cbor2.dumps([[0, message_id, opcode, params]]))
        while True:
            for packet in cbor2.loads(await self._ws.recv(decode=False)):
                if packet[0] in (1, 2) and packet[1] == message_id:
                    if packet[0] == 2:
                        raise BenchError(f"the raw request {opcode} failed: {packet[2]!r}")
                    return packet[2] if len(packet) > 2 else None

    async def read(self, element: uuid.UUID) -> Any:
        """One read of *element*'s value: encode, send, receive, decode."""
        self._id += 1
        await self._ws.send(cbor2.dumps([[0, self._id, 4, {0: element, 1: [_VALUE]}]]))
        (packet,) = cbor2.loads(await self._ws.recv(decode=False))
        return packet[2][_VALUE].value

    async def count_events(
        self, elements: Sequence[uuid.UUID], warm: float, seconds: float
    ) -> float:
        """Subscribe (no throttle) and count value changes for *seconds*, after *warm*."""
        subscription = uuid.uuid4()
        items = [{0: element, 1: [_VALUE]} for element in elements]
        await self.call(6, {0: items, 3: subscription})
        loop = asyncio.get_running_loop()
        start = loop.time() + warm
        end = start + seconds
        count = 0
        try:
            async with asyncio.timeout_at(end):
                while True:
                    data = await self._ws.recv(decode=False)
                    if loop.time() < start:
                        continue
                    for packet in cbor2.loads(data):
                        if packet[0] == 8:
                            count += len(packet[2].get(2, ()))
        except TimeoutError:
            pass
        await self.call(7, {0: subscription})
        return count / seconds

    async def close(self) -> None:
        """Close the connection."""
        await self._ws.close()
