"""The bulk decoding path gives exactly the packets of the careful one, or leaves
the message to it: every value type, every time stamp form, odd and broken input."""

from __future__ import annotations

import math
import uuid
from typing import Any

import cbor2
import pytest

from xentara_sync.exceptions import ProtocolError
from xentara_sync.protocol import bulk
from xentara_sync.protocol.cbor import decode, encode
from xentara_sync.protocol.messages import _BULK_LIMIT, parse_message
from xentara_sync.protocol.packets import DataChange, Success, parse_packet
from xentara_sync.protocol.timepoint import TimePoint
from xentara_sync.protocol.values import AttributeFault

ELEMENT = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")


def careful(data: bytes) -> list[Any]:
    """The packets as the careful decoder alone gives them."""
    return [parse_packet(item) for item in decode(data)]


def stamp(exponent: int, mantissa: int) -> cbor2.CBORTag:
    return cbor2.CBORTag(1001, {4: cbor2.CBORTag(4, [exponent, mantissa])})


def event(time_stamp: Any, element: Any = ELEMENT, attributes: Any = None) -> list[Any]:
    if attributes is None:
        attributes = {11: cbor2.CBORTag(121, 1.5)}
    return [8, 0, {0: time_stamp, 1: element, 2: attributes}]


VALUES = [
    True,
    -7,
    2**64 - 1,
    -(2**64),
    1.25,
    math.inf,
    "text",
    b"\x00\x01",
    None,
    [1, [2, "x"]],
    {1: "a", "b": [2]},
    ELEMENT,
    TimePoint(1_704_107_471_111_587_983),
    TimePoint.MIN,
    TimePoint.MAX,
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_every_value_type_decodes_as_carefully(value: Any) -> None:
    data = encode(
        [event(stamp(-9, 1_704_107_471_111_587_983), ELEMENT, {11: cbor2.CBORTag(121, value)})]
    )
    packets = parse_message(data)
    assert packets == careful(data)
    assert isinstance(packets[0], DataChange)
    assert packets[0].attributes[11] == value


@pytest.mark.parametrize(
    "time_stamp",
    [
        stamp(-9, 1_704_107_471_111_587_983),
        stamp(-6, 1_704_107_471_111_587),
        stamp(-3, 1_704_107_471_111),
        stamp(-9, -5),
        stamp(-9, 2**64 - 1),  # beyond the range: clamped by the careful path
        cbor2.CBORTag(1001, {1: 1_704_107_471, -9: 5}),
        cbor2.CBORTag(1001, {1: 1.5}),
        cbor2.CBORTag(1001, {1: -math.inf}),
        cbor2.CBORTag(1, 1_704_107_471),
        1_704_107_471.5,
        "no time stamp",
    ],
    ids=repr,
)
def test_every_time_stamp_form_decodes_as_carefully(time_stamp: Any) -> None:
    data = encode([event(time_stamp)])
    packets = parse_message(data)
    assert packets == careful(data)
    assert type(packets[0]) is DataChange


def test_a_fault_and_a_uuid_key_decode_as_carefully() -> None:
    key = uuid.UUID(int=99)
    attributes = {11: cbor2.CBORTag(122, {0: -32104, 1: "gone"}), key: cbor2.CBORTag(121, 3)}
    data = encode([event(stamp(-9, 1), ELEMENT, attributes)])
    packets = parse_message(data)
    assert packets == careful(data)
    assert isinstance(packets[0], DataChange)
    assert packets[0].attributes == {11: AttributeFault(-32104, "gone"), key: 3}


@pytest.mark.parametrize(
    "item",
    [
        event(cbor2.CBORTag(1001, {4: cbor2.CBORTag(4, [-9, 1]), 1: 2})),
        event(cbor2.CBORTag(1001, {4: cbor2.CBORTag(4, [-12, 1])})),
        event(cbor2.CBORTag(1001, {4: cbor2.CBORTag(4, {0: -9, 1: 5})})),
        event(cbor2.CBORTag(1001, {4: cbor2.CBORTag(4, [-9, 1.5])})),
        event(cbor2.CBORTag(1001, {4: cbor2.CBORTag(1001, {4: cbor2.CBORTag(4, [-9, 1])})})),
        event(stamp(-9, 1), ELEMENT, {11: cbor2.CBORTag(121, cbor2.CBORTag(4, [-9, 1]))}),
        event(stamp(-9, 1), cbor2.CBORTag(37, b"short")),
        event(stamp(-9, 1), cbor2.CBORTag(37, [1, 2])),
        event(stamp(-9, 1), ELEMENT, {11: cbor2.CBORTag(2, b"\x01")}),
        event(stamp(-9, 1), ELEMENT, {11: 5}),
        event(stamp(-9, 1), ELEMENT, []),
        [8, 1, {}],
        [8, 0, {1: ELEMENT}],
        [8.0, 0, {0: 1, 1: ELEMENT}],
        [1, 7, {0: 1}],
        [2, 7, {0: -32100, 1: "unknown element"}],
        [9],
    ],
    ids=repr,
)
def test_odd_packets_fail_alone_as_carefully(item: Any) -> None:
    good = event(stamp(-9, 1))
    data = encode([good, item, [1, 3]])
    packets = parse_message(data)
    assert packets[0] == DataChange(TimePoint(1), ELEMENT, {11: 1.5})
    assert packets[2] == Success(3)
    try:
        expected: Any = parse_packet(decode(encode(item)))
    except ProtocolError as exc:
        expected = exc
    if isinstance(expected, ProtocolError):
        assert isinstance(packets[1], ProtocolError)
        assert str(expected) in str(packets[1])
    else:
        assert packets[1] == expected


def test_a_decimal_fraction_outside_a_time_stamp_is_refused() -> None:
    data = encode([event(stamp(-9, 1)), [1, 4, cbor2.CBORTag(4, [-9, 1])]])
    packets = parse_message(data)
    assert packets[0] == DataChange(TimePoint(1), ELEMENT, {11: 1.5})
    assert isinstance(packets[1], ProtocolError)
    assert "tag 4" in str(packets[1])
    assert packets[1].message_id == 4


def test_a_large_message_is_decoded_packet_by_packet_alike() -> None:
    elements = [uuid.UUID(int=number) for number in range(1, 301)]
    items = [
        event(stamp(-9, number), elements[number % 300], {11: cbor2.CBORTag(121, number)})
        for number in range(_BULK_LIMIT // 30)
    ]
    data = encode(items)
    assert len(data) >= _BULK_LIMIT
    packets = parse_message(data)
    assert packets == careful(data)
    broken = encode([*items, event(stamp(-9, 1), cbor2.CBORTag(37, b"short"))])
    packets = parse_message(broken)
    assert packets[:-1] == careful(data)
    assert isinstance(packets[-1], ProtocolError)


def test_broken_messages_fail_as_carefully() -> None:
    for data in (b"", b"\x01", b"\x82\x01", encode([[1, 1]]) + b"\x00", bytes.fromhex("d81c80")):
        packets = parse_message(data)
        assert len(packets) == 1 and isinstance(packets[0], ProtocolError), data


def test_the_uuid_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "MAX_CACHED_UUIDS", 10)
    elements = [uuid.uuid4() for _ in range(40)]
    data = encode([event(stamp(-9, 1), element) for element in elements])
    packets = parse_message(data)
    assert [packet.element for packet in packets if isinstance(packet, DataChange)] == elements
    assert len(bulk._UUID_CACHE) <= 10
