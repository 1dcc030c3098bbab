"""A minimal raw client for the simulator tests: websockets + the protocol codec.

Every received message is checked to hold either responses or events, never both.
Events that arrive while waiting for a response are kept in :attr:`RawClient.events`.
"""

from __future__ import annotations

import asyncio
import base64
import ssl as _ssl
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from xentara_sync.protocol import (
    DataChange,
    Failure,
    Opcode,
    Packet,
    Request,
    Success,
    decode_message,
    encode_message,
)

__all__ = ["RawClient", "find"]


class RawClient:
    """One raw WebSocket connection to the simulator."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[DataChange] = []
        self.event_messages = 0
        self._next_id = 0

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        ssl: _ssl.SSLContext | None = None,
        hello: bool = True,
        **kwargs: Any,
    ) -> RawClient:
        headers = dict(kwargs.pop("additional_headers", {}))
        if user is not None:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        ws = await connect(
            url,
            additional_headers=headers,
            ssl=ssl,
            compression=None,
            max_size=None,
            open_timeout=5,
            **kwargs,
        )
        client = cls(ws)
        if hello:
            assert await client.call(Opcode.CLIENT_HELLO, {0: 1, 1: 1}) == {0: 1}
        return client

    async def close(self) -> None:
        """Close, reading (and dropping) what still arrives so the handshake completes."""

        async def drain() -> None:
            try:
                async for _ in self.ws:
                    pass
            except ConnectionClosed:
                pass

        draining = asyncio.ensure_future(drain())
        try:
            await self.ws.close()
        finally:
            await asyncio.wait([draining], timeout=2)
            draining.cancel()

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def receive(self, timeout: float = 5.0) -> list[Packet]:
        """The packets of the next message (events are also kept in :attr:`events`)."""
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(data, bytes), "the simulator sends binary frames"
        packets = decode_message(data)
        kinds = {type(p) is DataChange for p in packets}
        assert len(kinds) <= 1, f"responses and events mixed in one message: {packets}"
        if packets and type(packets[0]) is DataChange:
            self.event_messages += 1
            self.events.extend(p for p in packets if isinstance(p, DataChange))
        return packets

    async def responses(self, timeout: float = 5.0) -> list[Packet]:
        """The packets of the next message that holds responses (skipping events)."""
        while True:
            packets = await self.receive(timeout)
            if not packets or type(packets[0]) is not DataChange:
                return packets

    async def send(self, data: bytes | str) -> None:
        await self.ws.send(data)

    async def batch(self, requests: Sequence[tuple[int, Mapping[int, Any] | None]]) -> list[Packet]:
        """Send the requests in one message; return the one response message."""
        packets = [Request(self.next_id(), opcode, params) for opcode, params in requests]
        await self.ws.send(encode_message(packets))
        answers = await self.responses()
        ids = [a.message_id for a in answers if isinstance(a, (Success, Failure))]
        assert ids == [p.message_id for p in packets], answers
        return answers

    async def request(self, opcode: int, params: Mapping[int, Any] | None = None) -> Packet:
        (answer,) = await self.batch([(opcode, params)])
        return answer

    async def call(self, opcode: int, params: Mapping[int, Any] | None = None) -> Any:
        """The result of a request that must succeed."""
        answer = await self.request(opcode, params)
        assert isinstance(answer, Success), answer
        return answer.result

    async def error(self, opcode: int, params: Mapping[int, Any] | None = None) -> int:
        """The error code of a request that must fail."""
        answer = await self.request(opcode, params)
        assert isinstance(answer, Failure), answer
        return answer.code

    async def lookup(self, key: str) -> uuid.UUID:
        result = await self.call(Opcode.LOOKUP, {0: key})
        assert isinstance(result, uuid.UUID)
        return result

    async def wait_events(self, count: int = 1, timeout: float = 5.0) -> list[DataChange]:
        """Wait until at least *count* events were received; returns all so far."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.events) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"only {len(self.events)} of {count} events arrived")
            await self.receive(remaining)
        return self.events


def find(events: Sequence[DataChange], element: uuid.UUID) -> list[DataChange]:
    """The events of one element."""
    return [e for e in events if e.element == element]
