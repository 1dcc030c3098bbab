"""A value too large for one message fails alone, before sending; the connection stays up.

The simulator closes a connection whose message is over its limit (16 MiB, like
any WebSocket peer over its own); the client holds its messages to
``max_send_size`` (the same 16 MiB by default) so that this never happens.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.flavours import FLAVOURS, Flavour
from xentara_sync import InvalidArgument, XentaraClient
from xentara_sync.core.settings import DEFAULT_MAX_SEND_SIZE
from xentara_sync.simulator import Simulator

LABEL = "Hardware.Registers.Label"
COUNTER = "Hardware.Registers.Counter"
SMALL_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[Simulator]:
    with Simulator(max_message_size=DEFAULT_MAX_SEND_SIZE) as simulator:
        yield simulator


def test_a_value_over_the_limit_fails_alone_and_the_connection_stays_up(
    server: Simulator,
) -> None:
    huge = "x" * (DEFAULT_MAX_SEND_SIZE + 1)
    with XentaraClient(server.url, timeout=10) as client:
        client.write(LABEL, "before")
        with pytest.raises(InvalidArgument, match=r"^write 'Hardware.Registers.Label': the"):
            client.write(LABEL, huge)
        assert client.connected and client.reconnects == 0
        assert client.read(LABEL) == "before"
        client.write(LABEL, "after")
        assert client.read(LABEL) == "after"


@pytest.mark.parametrize("flavour", FLAVOURS, ids=lambda f: f.name)
def test_the_async_flavours_refuse_it_alike(flavour: Flavour, server: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(
            server.url, timeout=10, max_send_size=SMALL_LIMIT
        ) as client:
            with pytest.raises(InvalidArgument, match="max_send_size=65,536 bytes"):
                await client.write(LABEL, "y" * SMALL_LIMIT)
            assert client.connected and client.reconnects == 0
            await client.write(LABEL, "fits")
            assert await client.read(LABEL) == "fits"

    flavour.run(main)


@pytest.fixture(scope="module")
def small_server() -> Iterator[Simulator]:
    """A simulator that closes the connection on a message over 64 KiB."""
    with Simulator(max_message_size=SMALL_LIMIT) as simulator:
        yield simulator


@pytest.mark.parametrize("flavour", FLAVOURS, ids=lambda f: f.name)
def test_a_batch_over_the_limit_leaves_in_several_messages(
    flavour: Flavour, small_server: Simulator
) -> None:
    """Concurrent writes join one batch: together over the server's limit, each one
    fitting. They leave in several messages; all are written, nothing reconnects."""
    part = "w" * (SMALL_LIMIT // 4)

    async def main() -> None:
        async with flavour.XentaraClient(
            small_server.url, timeout=10, max_send_size=SMALL_LIMIT, reconnect=False
        ) as client:
            await client.write(LABEL, "")  # the metadata known: the writes plan at once
            await flavour.gather(
                *(lambda n=n: client.write(LABEL, part + str(n)) for n in range(10))
            )
            assert client.connected
            assert (await client.read(LABEL)).startswith(part)
            assert await client.read(COUNTER) is not None

    flavour.run(main)


def test_the_session_splits_a_batch_at_the_limit() -> None:
    from xentara_sync.protocol import Opcode, decode
    from xentara_sync.protocol.session import ClientSession

    flushes: list[int] = []
    session = ClientSession(
        "ws://127.0.0.1/api/ws", on_flush_due=lambda: flushes.append(1), max_send_size=4096
    )
    requests = [(Opcode.LOOKUP, {0: "k" * 1500}) for _ in range(5)]
    waiters = [object() for _ in requests]
    ids = session.send(requests, waiters)
    sent: list[int] = []
    while True:
        data, message_ids, failed = session.data_to_send()
        if data is None:
            break
        assert len(data) <= 4096 and failed == []
        assert len(decode(data)) == len(message_ids)
        sent += message_ids
    assert sent == ids  # all of them, in order
    assert len(flushes) == 3  # the first batch, then each message after the first
    too_big = session.send([(Opcode.LOOKUP, {0: "k" * 5000})], [waiters[0]])
    data, message_ids, failed = session.data_to_send()
    assert data is None and message_ids == [] and too_big
    assert isinstance(failed[0][1], InvalidArgument)
    assert "lookup: the request is 5,0" in str(failed[0][1])
