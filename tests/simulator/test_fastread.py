"""The read fast path answers exactly as the general path: same bytes, same counts."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from xentara_sync.exceptions import ProtocolError
from xentara_sync.protocol import (
    NIL_UUID,
    AttributeFault,
    Category,
    Opcode,
    Request,
    TimePoint,
    encode,
    encode_message,
    encode_read,
    join_packets,
    wrap,
)
from xentara_sync.simulator import User, load_model
from xentara_sync.simulator.engine import Engine, Session
from xentara_sync.simulator.fastread import answer_reads, encode_value
from xentara_sync.simulator.model import Model
from xentara_sync.simulator.models import demo_model_path

MODEL = load_model(demo_model_path())
MODEL.clock.frozen = 1_704_107_471_111_587_983  # signals hold still between the two paths
ELEMENTS = [MODEL.root, *MODEL.elements]
POINTS = [e for e in MODEL.elements if e.point is not None]
UNKNOWN = uuid.UUID("12345678-1234-4234-8234-123456789abc")
HELLO = encode_message([Request(1, Opcode.CLIENT_HELLO, {0: 1, 1: 1})])
COMMAND = "Hardware.Registers.Command"  # its value is write only

values = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**64) - 2, max_value=2**64 + 2),
    st.floats(),
    st.floats(width=32),
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=20, max_size=300),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(TimePoint),
    st.uuids(),
    st.builds(AttributeFault, st.integers(-40000, 0), st.text(max_size=30)),
    st.lists(st.integers(), max_size=3),
)


def _general(value: Any) -> bytes | type[ProtocolError]:
    try:
        return encode(wrap(value))
    except ProtocolError:
        return ProtocolError


@given(values)
@example(math.nan)
@example(-math.inf)
@example(-0.0)
@example("\ud800")
@example(TimePoint.MIN)
@example(TimePoint.MAX)
@example(2**64 - 1)
@example(-(2**64))
@example(2**64)
@example(-(2**64) - 1)
def test_encode_value_gives_the_codec_bytes(value: Any) -> None:
    expected = _general(value)
    if expected is ProtocolError:
        with pytest.raises(ProtocolError):
            encode_value(value)
    else:
        assert encode_value(value) == expected


def _head(major: int, value: int, width: int) -> bytes:
    """A CBOR head of *width* argument bytes (0: in the first byte), maybe not shortest."""
    if width == 0:
        return bytes((major | value,))
    return bytes((major | {1: 24, 2: 25, 4: 26, 8: 27}[width],)) + value.to_bytes(width, "big")


def _widths(value: int) -> st.SearchStrategy[int]:
    return st.sampled_from([w for w in (0, 1, 2, 4, 8) if value < (24 if w == 0 else 256**w)])


@st.composite
def read_requests(draw: st.DrawFn) -> bytes:
    """One read request as some client may encode it; mostly the common form."""
    message_id = draw(st.one_of(st.integers(0, 300), st.integers(0, 2**64 - 1)))
    rare = draw(st.integers(0, 29))  # now and then, something the fast path leaves alone
    if rare == 0:
        element = draw(st.sampled_from([UNKNOWN, NIL_UUID]))
    else:
        element = draw(st.sampled_from(ELEMENTS[1:] if rare % 2 else POINTS)).uuid
    attribute = st.integers(0, 14)
    if rare == 1:
        attribute = st.one_of(st.integers(0, 30), st.integers(-2, 2**16))
    attributes = draw(
        st.lists(attribute, max_size=draw(st.sampled_from([1, 4, 16])), unique=rare != 2)
    )
    if rare == 3:  # another encoder's choices, or another request
        params: dict[int, Any] = {0: element, 1: attributes}
        if draw(st.booleans()):
            params = {1: attributes, 0: element}
        if draw(st.booleans()):
            params[2] = draw(st.integers())
        opcode = draw(st.sampled_from([int(Opcode.READ), int(Opcode.GET_STAGE)]))
        return encode([0, draw(st.integers(-5, 2**65)), opcode, params])
    if all(0 <= a < 0x100 for a in attributes) and draw(st.booleans()):
        return encode_read(message_id, element, attributes)
    array = _head(0x80, len(attributes), draw(_widths(len(attributes))))
    return b"".join(
        (
            b"\x84\x00",
            _head(0, message_id, draw(_widths(message_id))),
            b"\x04\xa2\x00\xd8\x25\x50",
            element.bytes,
            b"\x01",
            array,
            *[encode(a) for a in attributes],
        )
    )


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    packets = draw(st.lists(read_requests(), max_size=draw(st.sampled_from([1, 3, 40]))))
    data = _head(0x80, len(packets), draw(_widths(len(packets)))) + b"".join(packets)
    if draw(st.integers(0, 19)) == 0:
        data = data[: draw(st.integers(0, len(data)))] + draw(st.binary(max_size=3))
    return data


def _session(model: Model, user: User | None = None, *, fast: bool = True) -> Session:
    session = Session(Engine(model, [user] if user is not None else []), user, lambda: None)
    session.fast_reads = fast
    session.handle(HELLO)
    return session


def _answer(session: Session, data: bytes) -> tuple[Any, int]:
    response: bytes | type[ProtocolError] | None
    try:
        response, _ = session.handle(data)
    except ProtocolError:
        response = ProtocolError
    return response, session.engine.request_count


def _assert_same(data: bytes, user: User | None = None) -> bool:
    """Both paths answer *data* alike; whether the fast path answered."""
    fast, general = _session(MODEL, user), _session(MODEL, user, fast=False)
    index = _session(MODEL, user).read_index  # None: the fast path may not answer
    answered = index is not None and answer_reads(index, data) is not None
    assert _answer(fast, data) == _answer(general, data)
    return answered


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_fast_path_answers_as_the_general_path(data: bytes) -> None:
    _assert_same(data)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(values, min_size=len(POINTS), max_size=len(POINTS)), messages())
def test_fast_path_encodes_any_stored_value_alike(stored: list[Any], data: bytes) -> None:
    model = load_model(demo_model_path())
    model.clock.frozen = MODEL.clock.frozen
    for element, value in zip(POINTS, stored, strict=True):
        point = model.by_key[element.key].point
        assert point is not None
        point.value = value
        point.change = TimePoint(hash(value) if not isinstance(value, list) else 0)
    fast, general = _session(model), _session(model, fast=False)
    assert _answer(fast, data) == _answer(general, data)


def _reads(*requests: tuple[int, uuid.UUID, list[int]]) -> bytes:
    return join_packets([encode_read(*request) for request in requests])


def test_the_common_reads_take_the_fast_path() -> None:
    points = [e for e in POINTS if e.category is Category.DATA_POINT]
    assert _assert_same(_reads((7, points[0].uuid, [11])))
    assert _assert_same(_reads((70_000, points[1].uuid, [11, 9, 7, 6, 13, 0, 1, 2, 3, 4])))
    assert _assert_same(_reads(*[(i, points[i % len(points)].uuid, [11]) for i in range(300)]))
    assert _assert_same(_reads((3, MODEL.by_key[COMMAND].uuid, [11, 12, 10])))  # 122 entries
    group = next(e for e in MODEL.elements if e.point is None)
    assert _assert_same(_reads((3, group.uuid, [0, 1, 2, 3, 4, 11])))
    assert _assert_same(_reads((3, group.uuid, [])))


@pytest.mark.parametrize(
    "data",
    [
        _reads((1, UNKNOWN, [11])),
        _reads((1, NIL_UUID, [0])),
        _reads((1, POINTS[0].uuid, [11, 11])),
        _reads((1, POINTS[0].uuid, [11]), (2, UNKNOWN, [11])),
        _reads((1, POINTS[0].uuid, [24])),
        encode_message([Request(1, Opcode.READ, {0: POINTS[0].uuid, 1: [UNKNOWN]})]),
        encode_message([Request(-1, Opcode.READ, {0: POINTS[0].uuid, 1: [11]})]),
        encode_message([Request(1, Opcode.GET_STAGE)]),
        b"\x80",
        b"\x9f\xff",
        _reads((1, POINTS[0].uuid, [11])) + b"\x00",
        _reads((1, POINTS[0].uuid, [11]))[:-1],
    ],
)
def test_everything_else_takes_the_general_path(data: bytes) -> None:
    assert not _assert_same(data)


def test_without_hello_or_read_right_the_general_path_answers() -> None:
    data = _reads((1, POINTS[0].uuid, [11]))
    assert not _assert_same(data, User("viewer", "x", read=False, write=False))
    fast, general = (
        Session(Engine(MODEL), None, lambda: None),
        Session(Engine(MODEL), None, lambda: None),
    )
    general.fast_reads = False
    assert _answer(fast, data) == _answer(general, data)
    assert _assert_same(data, User("reader", "x", write=False))
