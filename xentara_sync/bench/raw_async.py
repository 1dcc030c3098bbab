"""The asyncio floor: a hand-written ``websockets.asyncio`` + ``cbor2`` loop.

One request per WebSocket message, its response awaited before the next one: what
the asyncio client is compared with (``raw_rtt_us``, ``events_raw_per_s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from ..protocol.ids import Opcode
from . import raw_wire as wire

__all__ = ["RawClient"]


class RawClient:
    """The floor: a hand-written websockets + cbor2 loop, one request per message."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._id = 0

    @classmethod
    async def connect(cls, url: str, verify_ssl: bool) -> RawClient:
        """Connect to *url* and say the client hello."""
        address, options = wire.connect_options(url, verify_ssl)
        client = cls(await connect(address, **options))
        await client.call(Opcode.CLIENT_HELLO, wire.HELLO)
        return client

    async def call(self, opcode: Opcode, params: dict[int, Any]) -> Any:
        """Send one request; the result of its response (skipping events)."""
        self._id += 1
        message_id = self._id
        await self._ws.send(wire.request(message_id, opcode, params))
        while True:
            found, result = wire.response(await self._ws.recv(decode=False), message_id, opcode)
            if found:
                return result

    async def read(self, element: uuid.UUID) -> Any:
        """One read of *element*'s value: encode, send, receive, decode."""
        self._id += 1
        await self._ws.send(wire.read_request(self._id, element))
        return wire.read_value(await self._ws.recv(decode=False))

    async def count_events(
        self, elements: Sequence[uuid.UUID], warm: float, seconds: float
    ) -> float:
        """Subscribe (no throttle) and count value changes for *seconds*, after *warm*."""
        subscription = uuid.uuid4()
        await self.call(Opcode.SUBSCRIBE, wire.subscribe_params(elements, subscription))
        loop = asyncio.get_running_loop()
        start = loop.time() + warm
        end = start + seconds
        count = 0

        async def counting() -> None:
            nonlocal count
            while True:
                data = await self._ws.recv(decode=False)
                if loop.time() >= start:
                    count += wire.changes(data)

        counter = asyncio.ensure_future(counting())
        try:
            await asyncio.sleep(end - loop.time())  # asyncio.timeout_at needs Python 3.11
        finally:
            counter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await counter
        await self.call(Opcode.UNSUBSCRIBE, wire.unsubscribe_params(subscription))
        return count / seconds

    async def close(self) -> None:
        """Close the connection."""
        await self._ws.close()
