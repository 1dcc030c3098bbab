"""The event ceiling: a server that sends event messages as fast as the socket takes them.

The simulator's own signals change at most about 30,000 times a second, so the
``events_per_s`` figure says more about the simulator than about the client. This
server answers the client's requests with the simulator's protocol engine (hello,
browse, look-up, subscribe: the same answers), but its events come from a list of
pre-encoded event messages, one event packet per subscribed element each, sent back
to back with ``await connection.send``: as fast as TCP and the client take them.
Each subscription gets one burst of a fixed number of messages (``--burst``), so
that the client's count says whether every event arrived, and no endless stream
stands between a later request and its answer.

It runs in a process of its own (``python -m xentara_sync.bench.firehose --model
FILE``), so that its CPU is not the client's, and prints ``listening on URL`` once it
accepts connections, like ``xentara-sync simulate``.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Sequence
from typing import Any, Final

__all__ = ["CHANNELS", "VARIANTS", "channel_model", "event_messages", "main"]

#: Elements subscribed by the ceiling measurement: a bench with 100 channels.
CHANNELS: Final = 100
#: Distinct messages sent in turn (each value differs from the one before).
VARIANTS: Final = 16


def channel_model(channels: int = CHANNELS) -> dict[str, Any]:
    """A generated model with at least *channels* registers (the data points subscribed).

    >>> channel_model(10)["children"][0]["@Group"]["name"]
    'Hardware'
    """
    from ..simulator.models import generated_model

    # Groups of 99 registers: a group element for every 99 channels, and the root.
    return generated_model(channels + channels // 99 + 2)


def event_messages(elements: Sequence[uuid.UUID], variants: int = VARIANTS) -> list[bytes]:
    """*variants* event messages, each with one value change of every element.

    The values are floats that differ in every message; the time stamps are a
    millisecond apart, as a 1 kHz source's would be.

    >>> from xentara_sync.protocol.session import parse_message
    >>> [len(parse_message(m)) for m in event_messages([uuid.UUID(int=1)] * 3, 2)]
    [3, 3]
    """
    from ..protocol import DataChange, TimePoint, encode_message
    from ..protocol.ids import Attribute

    value_key = int(Attribute.VALUE)
    start = TimePoint.now().ns
    messages = []
    for variant in range(variants):
        stamp = TimePoint(start + variant * 1_000_000)
        packets = [
            DataChange(stamp, element, {value_key: variant + number / 1000})
            for number, element in enumerate(elements)
        ]
        messages.append(encode_message(packets))
    return messages


def _subscribed(message: bytes | str) -> tuple[list[uuid.UUID] | None, bool]:
    """The elements a message subscribes to (or ``None``), and whether it unsubscribes."""
    from ..protocol.ids import Opcode, SubscribeItemKey, SubscribeParam
    from ..protocol.packets import Request
    from ..protocol.session import parse_message

    if not isinstance(message, bytes):
        return None, False
    elements: list[uuid.UUID] | None = None
    unsubscribe = False
    for packet in parse_message(message):
        if not isinstance(packet, Request):
            continue
        if packet.opcode == Opcode.SUBSCRIBE:
            items = (packet.params or {}).get(SubscribeParam.ITEMS, [])
            elements = [item[SubscribeItemKey.ELEMENT] for item in items]
        elif packet.opcode == Opcode.UNSUBSCRIBE:
            unsubscribe = True
    return elements, unsubscribe


async def serve(model_path: str, port: int, burst: int) -> None:
    """Serve the model at *model_path* on 127.0.0.1:*port* until cancelled; each
    subscription gets *burst* event messages."""
    from websockets.asyncio.server import ServerConnection
    from websockets.asyncio.server import serve as websocket_serve
    from websockets.exceptions import ConnectionClosed

    from ..simulator.engine import Session
    from ..simulator.model import load_model
    from ..simulator.shared import Engine

    engine = Engine(load_model(model_path), [])

    async def blast(connection: ServerConnection, messages: list[bytes]) -> None:
        for number in range(burst):
            await connection.send(messages[number % len(messages)])

    async def handle(connection: ServerConnection) -> None:
        session = Session(engine, None, lambda: None)
        blaster: asyncio.Task[None] | None = None
        try:
            async for message in connection:
                response, after = session.handle(message)
                if response is not None:
                    await connection.send(response)
                for callback in after:
                    callback()
                elements, unsubscribe = _subscribed(message)
                if blaster is not None and (unsubscribe or elements is not None):
                    blaster.cancel()
                    blaster = None
                if elements:
                    blaster = asyncio.create_task(blast(connection, event_messages(elements)))
        except ConnectionClosed:
            pass
        finally:
            if blaster is not None:
                blaster.cancel()
            session.close()

    # No keepalive pings: behind a stream the client cannot keep up with, a ping
    # waits its turn in the socket and would time out the measurement's connection.
    async with websocket_serve(
        handle, "127.0.0.1", port, compression=None, max_size=None, ping_interval=None
    ) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening on ws://127.0.0.1:{bound}/api/ws", flush=True)
        await asyncio.Future()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the server until terminated."""
    parser = argparse.ArgumentParser(prog="python -m xentara_sync.bench.firehose")
    parser.add_argument("--model", required=True, help="the model file to serve")
    parser.add_argument("--port", type=int, default=0, help="the port (0: any free one)")
    parser.add_argument(
        "--burst", type=int, default=1000, help="event messages per subscription (%(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.model, args.port, args.burst))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":  # pragma: no cover
    main()
