"""The answer to a read of one value, read by its bytes (``one_answer``), is exactly
the packet the general decoding gives, or the message is left to that decoding;
and the session hands it to the same waiter."""

from __future__ import annotations

import math
import uuid
from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xentara_sync.protocol import encode_message
from xentara_sync.protocol.messages import decode_message, one_answer
from xentara_sync.protocol.packets import Failure, Success
from xentara_sync.protocol.session import ClientSession

ELEMENT = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")

scalars = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.text(max_size=300),
)
message_ids = st.integers(min_value=0, max_value=2**40)
attributes = st.integers(min_value=0, max_value=30)


def answer(message_id: int, result: Any) -> bytes:
    return encode_message([Success(message_id, result)])


@given(message_ids, attributes, scalars)
def test_what_it_takes_it_takes_as_the_general_decoding(
    message_id: int, attribute: int, value: Any
) -> None:
    data = answer(message_id, {attribute: cbor2.CBORTag(121, value)})
    general = decode_message(data)
    taken = one_answer(data)
    if taken is not None:
        assert [taken] == general
        assert type(taken) is Success
        assert type(taken.result[attribute]) is cbor2.CBORTag


USUAL = [0, 23, 24, -1, -25, 2**63, -(2**64), 1.5, -0.0, math.inf, True, False, None, "", "é" * 40]


@pytest.mark.parametrize("value", USUAL)
def test_the_usual_read_answers_are_taken(value: Any) -> None:
    for message_id in (5, 24, 300, 70_000):
        data = answer(message_id, {11: cbor2.CBORTag(121, value)})
        taken = one_answer(data)
        assert taken is not None, (message_id, value)
        assert [taken] == decode_message(data)
        assert taken.message_id == message_id


@pytest.mark.parametrize(
    "data",
    [
        answer(1, {11: cbor2.CBORTag(121, [1, 2])}),  # not a scalar
        answer(1, {11: cbor2.CBORTag(121, b"\x00")}),  # bytes: left to the general path
        answer(1, {11: cbor2.CBORTag(121, ELEMENT)}),  # a tag inside
        answer(1, {11: cbor2.CBORTag(122, {0: 1, 1: "bad"})}),  # an attribute's fault
        answer(1, {11: cbor2.CBORTag(121, 1), 12: cbor2.CBORTag(121, 2)}),  # two attributes
        answer(1, {300: cbor2.CBORTag(121, 1)}),  # an attribute id beyond one byte
        answer(1, {ELEMENT: cbor2.CBORTag(121, 1)}),  # an attribute by UUID
        answer(1, {11: cbor2.CBORTag(121, "x" * 256)}),  # a longer text
        answer(2**40, {11: cbor2.CBORTag(121, 1)}),  # an id beyond 32 bits
        answer(1, {11: cbor2.CBORTag(121, 1)}) + b"\x00",  # a byte more
        answer(1, {11: cbor2.CBORTag(121, 1.5)})[:-1],  # a byte less
        answer(1, {11: cbor2.CBORTag(121, "ab")})[:-2] + b"\xff\xfe",  # not UTF-8
        encode_message([Success(1, {11: cbor2.CBORTag(121, 1)}), Success(2)]),  # two answers
        encode_message([Failure(1, -32100, "no")]),
        encode_message([Success(1)]),
        b"",
        b"\x81",
    ],
    ids=range(17),
)
def test_anything_else_is_left_to_the_general_decoding(data: bytes) -> None:
    assert one_answer(data) is None


def test_the_session_hands_the_answer_to_its_waiter_and_forgets_it() -> None:
    session = ClientSession("ws://127.0.0.1:1/api/ws")
    waiter = object()
    (message_id,) = session.send([(4, {0: ELEMENT, 1: [11]})], [waiter])
    data = answer(message_id, {11: cbor2.CBORTag(121, 2.5)})
    received = session.receive_data(data)
    assert received.answers == [(waiter, Success(message_id, {11: cbor2.CBORTag(121, 2.5)}))]
    assert (received.events, received.errors) == ([], [])
    # A second (late) answer to the same request finds no waiter: ignored, as the
    # general path ignores it.
    assert session.receive_data(data).answers == []
