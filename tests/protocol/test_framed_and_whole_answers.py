"""Requests framed at once (``frame_requests``, ``ClientSession.send_framed``) and
answer messages taken whole (``bulk.answers``, a waiter's ``take_message``): the
same bytes and the same answers as one request and one packet at a time."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from xentara_sync.exceptions import InvalidArgument, ProtocolError
from xentara_sync.protocol import (
    DataChange,
    Failure,
    Opcode,
    Request,
    Success,
    TimePoint,
    decode_message,
    encode_message,
    encode_request,
    frame_requests,
    hand_framed_message,
    wrap,
)
from xentara_sync.protocol.bulk import answers
from xentara_sync.protocol.session import ClientSession

ELEMENTS = [uuid.UUID(int=n * 0x1_0000_0001) for n in range(1, 6)]


@pytest.mark.parametrize("first", [0, 20, 250, 65_530, 2**32 - 3, 2**40])
@pytest.mark.parametrize("opcode", [Opcode.READ, Opcode.META_DATA])
def test_framed_requests_are_the_bytes_of_each_request(first: int, opcode: int) -> None:
    ids = [first + n for n in range(len(ELEMENTS))]
    wanted = [[11], [11, 3, 9], [2], [11, 3, 9], [300]]
    framed = frame_requests(ids, int(opcode), ELEMENTS, wanted)
    one_by_one = b"".join(
        encode_request(n, int(opcode), {0: e, 1: w})
        for n, e, w in zip(ids, ELEMENTS, wanted, strict=True)
    )
    assert framed == one_by_one


@pytest.mark.parametrize("first", [0, 20, 250, 65_530, 2**32 - 3, 2**40])
def test_hand_framed_messages_are_the_bytes_of_the_message(first: int) -> None:
    ids = [first + n for n in range(30)]
    wanted = [[11], [23], [24], [11, 3], [], [2]]
    requests = [
        (int((Opcode.READ, Opcode.META_DATA)[n % 2]), {0: ELEMENTS[n % 5], 1: wanted[n % 6]})
        for n in range(30)
    ]
    framed = hand_framed_message(ids, requests)
    assert framed == encode_message([Request(n, *r) for n, r in zip(ids, requests, strict=True)])
    assert decode_message(framed or b"") == [
        Request(n, *r) for n, r in zip(ids, requests, strict=True)
    ]


@pytest.mark.parametrize(
    "odd",
    [
        (int(Opcode.WRITE), {0: ELEMENTS[0], 1: {11: 1.5}}),
        (int(Opcode.READ), {0: str(ELEMENTS[0]), 1: [11]}),
        (int(Opcode.READ), {0: ELEMENTS[0], 1: [True]}),
        (int(Opcode.READ), {0: ELEMENTS[0], 1: [-1]}),
        (int(Opcode.READ), {0: ELEMENTS[0], 1: [uuid.UUID(int=3)]}),
        (int(Opcode.READ), {0: ELEMENTS[0], 1: [11], 2: 0}),
    ],
)
def test_a_request_not_framed_by_hand_leaves_the_message_to_cbor2(odd: Any) -> None:
    assert hand_framed_message([1, 2], [(int(Opcode.READ), {0: ELEMENTS[1], 1: [11]}), odd]) is None


def test_a_framed_send_leaves_in_one_message_with_other_requests() -> None:
    session = ClientSession("ws://127.0.0.1:1/api/ws")
    session.send([(Opcode.READ, {0: ELEMENTS[0], 1: [11]})], ["single"])
    requests = [(int(Opcode.META_DATA), {0: e, 1: [2]}) for e in ELEMENTS]
    ids = session.send_framed(
        requests,
        "batch",
        lambda message_ids: frame_requests(message_ids, int(Opcode.META_DATA), ELEMENTS, [[2]] * 5),
    )
    outgoing = session.data_to_send()
    assert outgoing.ids == [1, *ids] and ids == [2, 3, 4, 5, 6]
    assert decode_message(outgoing.data or b"") == [
        Request(1, Opcode.READ, {0: ELEMENTS[0], 1: [11]}),
        *(Request(n, Opcode.META_DATA, {0: e, 1: [2]}) for n, e in zip(ids, ELEMENTS, strict=True)),
    ]


def test_a_framed_send_given_up_is_not_sent_and_one_too_large_fails() -> None:
    session = ClientSession("ws://127.0.0.1:1/api/ws", max_send_size=60)
    requests = [(int(Opcode.READ), {0: e, 1: [11]}) for e in ELEMENTS]

    def frame(message_ids: list[int]) -> bytes:
        return frame_requests(message_ids, int(Opcode.READ), ELEMENTS, [[11]] * 5)

    given_up = session.send_framed(requests, "gone", frame)
    session.forget(given_up)
    assert session.data_to_send().data is None
    session.send_framed(requests, "waiter", frame)
    outgoing = session.data_to_send()
    assert outgoing.data is None and session.pending == 0
    assert {waiter for waiter, _ in outgoing.failed} == {"waiter"}
    assert all(isinstance(error, InvalidArgument) for _, error in outgoing.failed)


def test_alike_answers_are_decoded_once_and_the_rest_is_kept_in_order() -> None:
    listing = {2: [{0: "value", 1: 11, 2: 2, 3: 9}]}
    change = DataChange(TimePoint(5), ELEMENTS[0], {11: 1.5})
    message = encode_message(
        [
            Success(7, listing),
            Failure(300, -32108, "read error"),
            Success(70_000, {2: []}),
            change,
            Success(9, listing),
        ]
    )
    cache: dict[bytes, Any] = {}
    taken, others = answers(message, alike=cache)
    assert taken == [(7, listing), (70_000, {2: []}), (9, listing)]
    assert taken[0][1] is taken[2][1]
    assert len(others) == 2 and others[0][:2] == [2, 300] and others[1][0] == 8
    again, _ = answers(encode_message([Success(8, listing)]), alike=cache)
    assert again[0][1] is taken[0][1]  # the cache serves later messages too
    plain, rest = answers(message)
    assert plain == taken and rest == others


@pytest.mark.parametrize(
    "message",
    [b"", b"\x01", b"\x82\x83\x01\x01", bytes.fromhex("8183010a82c24101")],
    ids=["empty", "no-array", "cut-short", "a-bignum"],
)
@pytest.mark.parametrize("alike", [None, {}], ids=["whole", "alike"])
def test_what_the_careful_path_must_take_raises(message: bytes, alike: Any) -> None:
    with pytest.raises(ProtocolError):
        answers(message, alike=alike)


class Taker:
    """A waiter that takes the messages whose first answer is its own."""

    def __init__(self, verdict: list[Any] | None) -> None:
        self.verdict = verdict
        self.messages: list[bytes] = []

    def take_message(self, data: bytes) -> list[Any] | None:
        self.messages.append(data)
        return self.verdict


def test_a_taking_waiter_gets_the_message_and_the_session_the_rest() -> None:
    session = ClientSession("ws://127.0.0.1:1/api/ws")
    taker = Taker([Success(2, wrap(1))])
    first = session.send([(Opcode.READ, {0: ELEMENTS[0], 1: [11]})], [taker])
    other = session.send([(Opcode.READ, {0: ELEMENTS[1], 1: [11]})], ["other"])
    message = encode_message([Success(first[0], {11: wrap(0)}), Success(other[0], wrap(1))])
    # No taker is looked for unless a sender says so: one packet at a time.
    assert [waiter for waiter, _ in session.receive_data(message).answers] == [taker, "other"]
    assert taker.messages == []
    session.message_takers += 1
    session._pending[first[0]] = taker
    session._pending[other[0]] = "other"
    assert session.receive_data(message).answers == [("other", Success(2, wrap(1)))]
    assert taker.messages == [message]


def test_a_waiter_that_declines_leaves_the_message_to_the_session() -> None:
    session = ClientSession("ws://127.0.0.1:1/api/ws")
    session.message_takers += 1
    taker = Taker(None)
    ids = session.send([(Opcode.READ, {0: ELEMENTS[0], 1: [11]})], [taker])
    message = encode_message([Success(ids[0], {11: wrap(0)})])
    received = session.receive_data(message)
    assert taker.messages == [message]
    assert received.answers == [(taker, Success(ids[0], {11: wrap(0)}))]
