"""Hostile input: answers stay small, however the message is built.

The answer limits are those of :mod:`xentara_sync.simulator.engine`: every error
text quotes at most 200 characters of input and is at most ``MAX_ERROR_TEXT``
characters long; the error packets of one answer take at most ``ERROR_FACTOR``
times the message's size plus ``ERROR_ALLOWANCE`` bytes (plus the one packet that
says the rest was dropped); and an answer stops growing at the simulator's
``max_message_size``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import cbor2
import pytest

from xentara_sync.protocol import (
    Failure,
    Opcode,
    Success,
    decode_message,
    encode,
)
from xentara_sync.protocol.quoting import QUOTE_LIMIT
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.engine import ERROR_ALLOWANCE, ERROR_FACTOR, MAX_ERROR_TEXT

from .conftest import run, with_client
from .rawclient import RawClient

#: A byte string just under the simulator's 16 MiB message limit.
HUGE = 15_900_000
#: The largest an encoded error packet may be: a text of MAX_ERROR_TEXT characters
#: of at most 4 UTF-8 bytes each, with its framing.
MAX_ERROR_PACKET = 4 * MAX_ERROR_TEXT + 32
COUNTER = "Hardware.Registers.Counter"


def error_bound(message_size: int) -> int:
    """The most bytes the error packets of an answer to a message may take."""
    return ERROR_FACTOR * message_size + ERROR_ALLOWANCE + MAX_ERROR_PACKET


async def answer(client: RawClient, data: bytes) -> bytes:
    """The raw answer to *data* (events skipped)."""
    await client.send(data)
    while True:
        raw = await client.ws.recv()
        assert isinstance(raw, bytes)
        packets = decode_message(raw)
        if not packets or isinstance(packets[0], (Success, Failure)):
            return raw


def failures(raw: bytes) -> list[Failure]:
    packets = decode_message(raw)
    assert all(isinstance(p, Failure) for p in packets), packets
    return [p for p in packets if isinstance(p, Failure)]


def test_shared_reference_bomb_gets_a_short_parse_error(sim: Simulator) -> None:
    # 24 levels of [x, x] through shared references (tags 28/29): 157 bytes that
    # once decoded to 2**24 leaves, and earned a 167 MB answer.
    tail = cbor2.dumps([[0, 1, Opcode.GET_STAGE]])[1:]
    bomb = b"\xd8\x1c\x82\x00\x00"
    for _ in range(24):
        bomb = b"\xd8\x1c\x82" + bomb + b"\xd8\x1d\x00"
    data = b"\x82\x84\x00\x01\x08" + bomb + tail

    async def scenario(client: RawClient) -> None:
        raw = await answer(client, data)
        assert len(raw) < 400
        (failure,) = failures(raw)
        assert failure.code == -32700 and "tag 28" in failure.text
        assert await client.call(Opcode.GET_STAGE) == 2

    with_client(sim, scenario)


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("packet", lambda b, e: [b]),
        ("extra element", lambda b, e: [0, 5, Opcode.GET_STAGE, {}, b]),
        ("message id", lambda b, e: [0, b, Opcode.GET_STAGE]),
        ("parameters", lambda b, e: [0, 5, Opcode.GET_STAGE, b]),
        ("attribute id", lambda b, e: [0, 5, Opcode.READ, {0: e, 1: [b]}]),
        ("write attribute", lambda b, e: [0, 5, Opcode.WRITE, {0: e, 1: b}]),
        ("server information", lambda b, e: [0, 5, Opcode.SERVER_INFORMATION, {0: [b]}]),
        ("subscription", lambda b, e: [0, 5, Opcode.SUBSCRIBE, {0: [{0: e, 1: [b]}]}]),
    ],
)
def test_a_huge_byte_string_in_a_broken_request_gets_a_short_error(
    sim: Simulator, name: str, build: Callable[[bytes, uuid.UUID], object]
) -> None:
    blob = b"\0" * HUGE  # repr() makes four characters of each byte

    async def scenario(client: RawClient) -> None:
        element = await client.lookup(COUNTER)
        data = encode([build(blob, element)])
        raw = await answer(client, data)
        assert len(raw) <= MAX_ERROR_PACKET, f"{name}: a {len(raw)}-byte answer"
        (failure,) = failures(raw)
        assert len(failure.text) <= MAX_ERROR_TEXT
        assert failure.text.count("\\x00") <= QUOTE_LIMIT // 4
        assert await client.call(Opcode.GET_STAGE) == 2

    with_client(sim, scenario)


def test_a_huge_text_to_look_up_is_quoted_briefly(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        raw = await answer(client, encode([[0, 5, Opcode.LOOKUP, {0: "\0" * HUGE}]]))
        (failure,) = failures(raw)
        assert failure.code == -32100 and len(raw) <= MAX_ERROR_PACKET

    with_client(sim, scenario)


def array_head(count: int) -> bytes:
    return b"\x9a" + count.to_bytes(4, "big")


@pytest.mark.parametrize(
    ("name", "packet", "hello"),
    [
        ("one-byte non-packets", b"\x00", True),  # each once got a 70-byte error
        ("unknown opcodes", encode([0, 1, 99]), True),
        ("requests before the hello", encode([0, 1, Opcode.GET_STAGE]), False),
    ],
)
def test_many_small_errors_stop_at_four_times_the_message(
    sim: Simulator, name: str, packet: bytes, hello: bool
) -> None:
    count = 100_000  # answered in full: errors far beyond four times the message
    data = array_head(count) + packet * count

    async def main() -> None:
        client = await RawClient.connect(sim.url, hello=hello)
        try:
            raw = await answer(client, data)
            assert len(raw) <= error_bound(len(data)), f"{name}: {len(raw)} bytes"
            errors = failures(raw)
            assert 1000 < len(errors) < count
            last = errors[-1]
            assert last.code == -32600 and "were dropped" in last.text
            assert f"the {count - len(errors)} after it" in last.text
        finally:
            await client.close()

    run(main(), timeout=30)


def test_successes_stop_at_the_answer_limit() -> None:
    limit = 256 * 1024
    browse = encode([0, 1, Opcode.BROWSE, {0: uuid.UUID(int=0)}])
    count = 1000

    async def main() -> None:
        async with Simulator(max_message_size=limit) as sim:
            client = await RawClient.connect(sim.url)
            try:
                (one,) = await client.batch([(Opcode.BROWSE, {0: uuid.UUID(int=0)})])
                single = len(encode([0, 1, one.result]))  # type: ignore[union-attr]
                raw = await answer(client, array_head(count) + browse * count)
                assert limit <= len(raw) <= limit + single + MAX_ERROR_PACKET
                packets = decode_message(raw)
                assert all(isinstance(p, Success) for p in packets[:-1])
                last = packets[-1]
                assert isinstance(last, Failure) and f"passed {limit} bytes" in last.text
                # a well-formed request alone gets its whole answer, whatever its size
                assert len(await answer(client, encode([[0, 2, 1, {0: uuid.UUID(int=0)}]]))) > 0
            finally:
                await client.close()

    run(main(), timeout=30)


def test_reads_of_a_long_string_stop_at_the_answer_limit() -> None:
    # the read fast path hands over to the general path, which keeps the limit
    limit = 1024 * 1024
    text = "x" * (limit // 2)

    async def main() -> None:
        async with Simulator(max_message_size=limit) as sim:
            client = await RawClient.connect(sim.url)
            try:
                element = await client.lookup("Hardware.Registers.Label")
                assert await client.call(Opcode.WRITE, {0: element, 1: 11, 2: text}) is None
                reads = [(Opcode.READ, {0: element, 1: [11]})] * 100
                data = encode([[0, i, op, p] for i, (op, p) in enumerate(reads)])
                raw = await answer(client, data)
                assert len(raw) <= limit + 2 * len(text)
                assert isinstance(decode_message(raw)[-1], Failure)
            finally:
                await client.close()

    run(main(), timeout=30)
