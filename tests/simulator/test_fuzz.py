"""A seeded fuzz test of the simulator over a real socket.

Thousands of random CBOR items, random requests and mutated well-formed messages
go to one connection. Each must get at most one answer message, within the answer
limits of :mod:`xentara_sync.simulator.engine`; the connection lives on, and
afterwards the simulator still serves a normal client.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import cbor2

from xentara_sync.protocol import (
    DataChange,
    Failure,
    Opcode,
    Packet,
    Success,
    decode_message,
    encode,
    encode_packet,
)
from xentara_sync.simulator import Simulator

from .conftest import run
from .rawclient import RawClient
from .test_hostile import MAX_ERROR_PACKET, error_bound

SEED = 20_240_611
FRAMES = 3000
#: Each fuzz frame is followed by this get_stage request: its answer ends the frame's.
SENTINEL_BASE = 1 << 40
#: Frames sent before their answers are read.
WINDOW = 50
COUNTER = "Hardware.Registers.Counter"
TAGS = [1, 2, 3, 4, 28, 29, 37, 121, 122, 123, 1001, 55799, 0, 24, 258]


def random_item(rng: random.Random, depth: int = 0) -> Any:
    """A random CBOR-encodable item, nested at most a few levels."""
    kind = rng.randrange(12 if depth < 3 else 7)
    if kind == 0:
        return rng.choice([0, 1, 4, 11, 23, 24, 255, -1, -32700, 2**32, 2**64 - 1, -(2**64)])
    if kind == 1:
        return rng.randrange(-100, 100)
    if kind == 2:
        return rng.choice([0.0, -0.5, 1e308, float("inf"), float("nan"), 22.5])
    if kind == 3:
        return "".join(rng.choice("ab\0é€𝄞\n") for _ in range(rng.randrange(8)))
    if kind == 4:
        return rng.randbytes(rng.choice([0, 1, 15, 16, 17]))
    if kind == 5:
        return rng.choice([True, False, None, cbor2.undefined])
    if kind == 6:
        return uuid.UUID(int=rng.getrandbits(128))
    if kind in (7, 8):
        return [random_item(rng, depth + 1) for _ in range(rng.randrange(5))]
    if kind == 9:
        return {random_item(rng, 3): random_item(rng, depth + 1) for _ in range(rng.randrange(4))}
    return cbor2.CBORTag(rng.choice(TAGS), random_item(rng, depth + 1))


def random_request(rng: random.Random, element: uuid.UUID) -> list[Any]:
    """A request of a real opcode with parameters that are partly right."""
    params: dict[Any, Any] = {}
    for key in range(rng.randrange(5)):
        params[key] = rng.choice([element, [11], [11, 9, 7], random_item(rng, 1), 0])
    packet: list[Any] = [0, rng.randrange(1000), rng.randrange(17)]
    if rng.random() < 0.8:
        packet.append(params)
    return packet


def mutated(rng: random.Random, data: bytes) -> bytes:
    """*data* with a few bytes flipped, inserted, deleted or cut off."""
    buffer = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        where = rng.randrange(len(buffer) + 1)
        action = rng.randrange(4)
        if action == 0 and where < len(buffer):
            buffer[where] ^= 1 << rng.randrange(8)
        elif action == 1:
            buffer[where:where] = rng.randbytes(rng.randrange(1, 4))
        elif action == 2:
            del buffer[where : where + rng.randrange(1, 4)]
        else:
            del buffer[where:]
    return bytes(buffer)


def frames(rng: random.Random, element: uuid.UUID) -> list[bytes | str]:
    valid = [
        encode([[0, 1, Opcode.READ, {0: element, 1: [11, 9]}]]),
        encode([[0, 2, Opcode.WRITE, {0: element, 1: 11, 2: 5}]]),
        encode([[0, 3, Opcode.BROWSE, {0: uuid.UUID(int=0), 1: 1}]]),
        encode([[0, 4, Opcode.SUBSCRIBE, {0: [{0: element, 1: [11]}], 1: 50}]]),
        encode([[0, 5, Opcode.LOOKUP, {0: COUNTER}], [0, 6, Opcode.GET_STAGE]]),
        encode([[0, 7, Opcode.META_DATA, {0: element, 1: [0, 1, 2, 3]}]]),
        encode([[0, 8, Opcode.CREATE_SUB_SESSION, {0: cbor2.CBORTag(123, {0: "a", 1: "b"})}]]),
    ]
    result: list[bytes | str] = []
    for _ in range(FRAMES):
        kind = rng.randrange(10)
        if kind == 0:
            result.append(rng.randbytes(rng.randrange(64)))
        elif kind in (1, 2):
            result.append(cbor2.dumps(random_item(rng)))
        elif kind in (3, 4, 5):
            count = rng.randrange(1, 6)
            result.append(cbor2.dumps([random_request(rng, element) for _ in range(count)]))
        elif kind in (6, 7, 8):
            result.append(mutated(rng, rng.choice(valid)))
        else:
            result.append("".join(rng.choice("[]{}0,8 ") for _ in range(rng.randrange(12))))
    return result


def sentinel(index: int) -> bytes:
    return encode([[0, SENTINEL_BASE + index, Opcode.GET_STAGE]])


def is_sentinel(packets: list[Packet], index: int) -> bool:
    """Whether *packets* answer the sentinel that follows frame *index*."""
    if len(packets) != 1 or not isinstance(packets[0], Success):
        return False
    return packets[0].message_id == SENTINEL_BASE + index


def check_answer(frame: bytes | str, raw: bytes, largest_success: int, codes: set[int]) -> None:
    """The answer to *frame* keeps the limits: each error packet small, the errors
    together bounded by the frame's size, each success no bigger than the biggest."""
    size = len(frame.encode() if isinstance(frame, str) else frame)
    errors = 0
    for packet in decode_message(raw):
        assert not isinstance(packet, DataChange), "an event among responses"
        part = len(encode_packet(packet))
        if isinstance(packet, Failure):
            assert part <= MAX_ERROR_PACKET, packet
            errors += part
            codes.add(packet.code)
        else:
            assert part <= largest_success, packet
    assert errors <= error_bound(size), (frame, errors)


def test_fuzzed_frames_get_bounded_answers_and_the_simulator_lives_on(sim: Simulator) -> None:
    rng = random.Random(SEED)

    codes: set[int] = set()

    async def main() -> int:
        client = await RawClient.connect(sim.url)
        element = await client.lookup(COUNTER)
        whole = await client.call(Opcode.BROWSE, {0: uuid.UUID(int=0)})
        largest_success = len(encode_packet(Success(1, whole))) + 16
        sent = frames(rng, element)
        answered = 0
        try:
            for start in range(0, len(sent), WINDOW):
                window = sent[start : start + WINDOW]
                for offset, frame in enumerate(window):
                    await client.send(frame)
                    await client.send(sentinel(start + offset))
                for offset, frame in enumerate(window):
                    answers: list[bytes] = []
                    while True:
                        raw = await client.ws.recv()
                        assert isinstance(raw, bytes)
                        packets: list[Packet] = decode_message(raw)
                        if packets and isinstance(packets[0], DataChange):
                            continue  # a subscription a frame made
                        if is_sentinel(packets, start + offset):
                            break
                        answers.append(raw)
                    assert len(answers) <= 1, (frame, answers)
                    for raw in answers:
                        check_answer(frame, raw, largest_success, codes)
                        answered += 1
        finally:
            await client.close()
        return answered

    answered = run(main(), timeout=120)
    assert answered > FRAMES // 2  # most frames got an answer (empty batches get none)
    # the frames reached the packet checks and the commands, not only the decoder
    assert {-32700, -32600, -32601, -32602, -32100} <= codes, sorted(codes)

    async def normal() -> None:
        client = await RawClient.connect(sim.url)
        try:
            element = await client.lookup(COUNTER)
            assert 11 in await client.call(Opcode.READ, {0: element, 1: [11]})
            # a frame may suspend or resume (and the change may still be in progress)
            assert await client.call(Opcode.GET_STAGE) in (1, 2, 3, 4)
        finally:
            await client.close()

    run(normal())
    assert sim.serving
