"""The event scanner (protocol/eventscan.py) gives exactly the packets of the
decoder, or leaves the message to it: generated event messages of every value type,
time stamp and attribute form, mixed with answers, broken and cut off."""

from __future__ import annotations

import math
import uuid
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xentara_sync.bench.firehose import event_messages
from xentara_sync.exceptions import ProtocolError
from xentara_sync.protocol.cbor import decode, encode
from xentara_sync.protocol.eventscan import scan_events
from xentara_sync.protocol.messages import decode_message, parse_message
from xentara_sync.protocol.packets import DataChange, parse_packet
from xentara_sync.protocol.timepoint import TimePoint

INT64 = 2**63
#: Integers at the edges of CBOR's head widths and of the protocol's range.
EDGES = [
    0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, INT64 - 1, INT64, 2**64 - 1,
    -1, -24, -25, -256, -257, -65536, -65537, -(2**32), -(2**32) - 1, -INT64, -INT64 - 1,
    -(2**64),
]  # fmt: skip


def strict(value: Any) -> Any:
    """*value* in a form that compares types as well as values (``1 == 1.0 == True``
    otherwise), NaN equal to NaN, and errors by their text and message id."""
    if isinstance(value, ProtocolError):
        return ("error", str(value), value.message_id)
    if type(value) is float:
        return ("float", "nan" if math.isnan(value) else value.hex())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [strict(item) for item in value])
    if isinstance(value, dict):
        return ("dict", [(strict(key), strict(item)) for key, item in value.items()])
    if isinstance(value, cbor2.CBORTag):
        return ("tag", value.tag, strict(value.value))
    return (type(value).__name__, value)


def careful(data: bytes) -> list[Any]:
    """The packets as the careful decoder alone gives them."""
    packets: list[Any] = []
    for item in decode(data):
        try:
            packets.append(parse_packet(item))
        except ProtocolError as exc:
            packets.append(exc)
    return packets


def stamp(exponent: int, mantissa: int) -> cbor2.CBORTag:
    return cbor2.CBORTag(1001, {4: cbor2.CBORTag(4, [exponent, mantissa])})


integers = st.one_of(st.sampled_from(EDGES), st.integers(-(2**64), 2**64 - 1))
time_stamps = st.one_of(
    st.builds(stamp, st.sampled_from([-9, -6, -3]), integers),
    st.builds(stamp, st.sampled_from([-12, 0]), integers),
    st.builds(lambda s: cbor2.CBORTag(1001, {1: s}), st.integers(-(2**40), 2**40)),
    st.builds(lambda: cbor2.CBORTag(1001, {1: -math.inf})),
)
uuids = st.builds(lambda raw: uuid.UUID(bytes=raw), st.binary(min_size=16, max_size=16))
plain_values = st.one_of(
    st.booleans(),
    st.none(),
    integers,
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(width=32),
    st.floats(width=16),
    st.text(max_size=30),
    st.binary(max_size=30),
    uuids,
    st.builds(TimePoint, st.integers(-INT64, INT64 - 1)),
)
values = st.one_of(
    plain_values,
    st.lists(plain_values, max_size=3),
    st.dictionaries(st.integers(0, 9), plain_values, max_size=2),
)
wrapped = st.one_of(
    st.builds(lambda v: cbor2.CBORTag(121, v), values),
    st.builds(
        lambda code, text: cbor2.CBORTag(122, {0: code, 1: text}),
        st.integers(-32112, -32100),
        st.text(max_size=10),
    ),
)
keys = st.one_of(st.integers(0, 30), st.sampled_from([23, 24, 255, 256, 65535, 65536]), uuids)
attributes = st.dictionaries(keys, wrapped, min_size=1, max_size=4)
events = st.builds(
    lambda time_stamp, element, changes: [8, 0, {0: time_stamp, 1: element, 2: changes}],
    time_stamps,
    uuids,
    attributes,
)
#: Mostly the usual form, the scanner's: one or two attributes, plain values.
usual_events = st.builds(
    lambda time_stamp, element, changes: [8, 0, {0: time_stamp, 1: element, 2: changes}],
    st.builds(stamp, st.sampled_from([-9, -6, -3]), integers),
    uuids,
    st.dictionaries(
        st.integers(0, 300),
        st.builds(lambda v: cbor2.CBORTag(121, v), plain_values),
        min_size=1,
        max_size=3,
    ),
)
answers = st.one_of(
    st.builds(lambda n: [1, n, {0: 1}], st.integers(0, 2**32 - 1)),
    st.builds(lambda n: [2, n, {0: -32100, 1: "unknown element"}], st.integers(0, 300)),
)
messages = st.builds(
    lambda items, canonical: encode(items, canonical=canonical),
    st.lists(st.one_of(usual_events, usual_events, events, answers), min_size=1, max_size=30),
    st.booleans(),
)
usual_messages = st.builds(
    lambda items, canonical: encode(items, canonical=canonical),
    st.lists(usual_events, min_size=1, max_size=30),
    st.booleans(),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(messages)
def test_generated_messages_parse_as_carefully(data: bytes) -> None:
    assert strict(parse_message(data)) == strict(decode_message(data))
    scanned = scan_events(data)
    if scanned is not None:
        assert strict(scanned) == strict(careful(data))


def usual_value(value: Any) -> bool:
    """Whether the scanner reads *value* itself: text and byte strings of at most 23
    bytes, and time stamps other than the earliest and latest (``1001({1: ±inf})``)."""
    if isinstance(value, str):
        return len(value.encode()) < 24
    if isinstance(value, bytes):
        return len(value) < 24
    return value not in (TimePoint.MIN, TimePoint.MAX) if isinstance(value, TimePoint) else True


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(usual_messages)
def test_usual_event_messages_are_scanned_text_and_bytes_up_to_23_bytes(data: bytes) -> None:
    scanned = scan_events(data)
    expected = careful(data)
    assert strict(parse_message(data)) == strict(expected)
    usual = all(usual_value(value) for packet in expected for value in packet.attributes.values())
    assert (scanned is not None) == usual
    if scanned is not None:
        assert strict(scanned) == strict(expected)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(usual_messages, st.data())
def test_broken_and_cut_messages_give_the_errors_of_before(data: bytes, draw: Any) -> None:
    cut = data[: draw.draw(st.integers(0, len(data) - 1))]
    assert strict(parse_message(cut)) == strict(decode_message(cut))
    position = draw.draw(st.integers(0, len(data) - 1))
    byte = draw.draw(st.integers(0, 255))
    changed = data[:position] + bytes([byte]) + data[position + 1 :]
    assert strict(parse_message(changed)) == strict(decode_message(changed))
    longer = data + draw.draw(st.binary(min_size=1, max_size=3))
    assert strict(parse_message(longer)) == strict(decode_message(longer))


def test_the_firehose_messages_take_the_scanner() -> None:
    elements = [uuid.UUID(int=n) for n in range(100)]
    for message in event_messages(elements):
        scanned = scan_events(message)
        assert scanned is not None
        assert strict(scanned) == strict(careful(message))
        packets = parse_message(message)
        assert strict(packets) == strict(scanned)
        # The scanner's mark: the events of one message share their time stamp.
        stamps = {id(packet.timestamp) for packet in packets if isinstance(packet, DataChange)}
        assert len(stamps) == 1


def test_the_reference_example_event_takes_the_scanner() -> None:
    # Reference §12, step 8: {11: 121(22.5 as a half float), 9: 121(0)}.
    message = bytes.fromhex(
        "81830800a300d903e9a104c482281b17a634b75ab2088f01d82550e3ee10714d884ba18e5d0f1e4ce25ee8"
        "02a209d879000bd879f94da0"
    )
    scanned = scan_events(message)
    assert scanned == [
        DataChange(
            TimePoint(1_704_107_471_111_587_983),
            uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8"),
            {9: 0, 11: 22.5},
        )
    ]
    assert strict(scanned) == strict(careful(message))


@pytest.mark.parametrize(
    "changes",
    [
        {11: cbor2.CBORTag(122, {0: -32108, 1: "read error"})},
        {uuid.UUID(int=5): cbor2.CBORTag(121, 1)},
        {-1: cbor2.CBORTag(121, 1)},
        {65536: cbor2.CBORTag(121, 1)},
        {11: cbor2.CBORTag(121, "x" * 24)},
        {11: cbor2.CBORTag(121, [1])},
        {11: 1.5},
        {},
    ],
    ids=repr,
)
def test_other_forms_are_left_to_the_decoder(changes: dict[Any, Any]) -> None:
    data = encode([[8, 0, {0: stamp(-9, 1), 1: uuid.UUID(int=1), 2: changes}]])
    assert scan_events(data) is None
    assert strict(parse_message(data)) == strict(careful(data))


def test_an_attribute_map_that_says_more_or_fewer_entries_is_left_to_the_decoder() -> None:
    good = encode([[8, 0, {0: stamp(-9, 1), 1: uuid.UUID(int=1), 2: {9: cbor2.CBORTag(121, 0)}}]])
    double = encode(
        [
            [
                8,
                0,
                {
                    0: stamp(-9, 1),
                    1: uuid.UUID(int=1),
                    2: {9: cbor2.CBORTag(121, 0), 11: cbor2.CBORTag(121, 1)},
                },
            ]
        ]
    )
    # a2 with one entry, a1 with two, a3 with two: not what the packets are.
    for data in (
        good.replace(b"\x02\xa1", b"\x02\xa2"),
        double.replace(b"\x02\xa2", b"\x02\xa1"),
        double.replace(b"\x02\xa2", b"\x02\xa3"),
    ):
        assert scan_events(data) is None
        assert strict(parse_message(data)) == strict(decode_message(data))


def test_duplicate_keys_and_invalid_text_decode_as_carefully() -> None:
    body = encode(
        [
            [
                8,
                0,
                {
                    0: stamp(-9, 1),
                    1: uuid.UUID(int=1),
                    2: {9: cbor2.CBORTag(121, 0), 11: cbor2.CBORTag(121, 1)},
                },
            ]
        ]
    )
    duplicate = body.replace(b"\x0b\xd8\x79\x01", b"\x09\xd8\x79\x01")
    assert strict(parse_message(duplicate)) == strict(careful(duplicate))
    assert parse_message(duplicate)[0].attributes == {9: 1}  # type: ignore[union-attr]
    text = encode(
        [[8, 0, {0: stamp(-9, 1), 1: uuid.UUID(int=1), 2: {9: cbor2.CBORTag(121, "ab")}}]]
    )
    broken = text.replace(b"\x62ab", b"\x62\xff\xfe")
    assert scan_events(broken) is None
    assert strict(parse_message(broken)) == strict(decode_message(broken))
    assert isinstance(parse_message(broken)[0], ProtocolError)


def test_time_stamps_beyond_the_range_are_clamped_as_carefully() -> None:
    for exponent, mantissa in ((-9, 2**64 - 1), (-3, INT64 - 1), (-6, -(2**64)), (-3, -INT64)):
        data = encode(
            [
                [
                    8,
                    0,
                    {
                        0: stamp(exponent, mantissa),
                        1: uuid.UUID(int=1),
                        2: {11: cbor2.CBORTag(121, 1.5)},
                    },
                ]
            ]
        )
        scanned = scan_events(data)
        assert scanned is not None
        assert strict(scanned) == strict(careful(data))
        assert scanned[0].timestamp in (TimePoint.MIN, TimePoint.MAX)  # type: ignore[union-attr]


def test_a_large_message_is_scanned_packet_by_packet_as_carefully() -> None:
    (message,) = event_messages([uuid.UUID(int=n) for n in range(1500)], 1)
    assert len(message) >= 1 << 16
    scanned = scan_events(message)
    assert scanned is not None
    assert len(scanned) == 1500
    assert strict(scanned) == strict(careful(message))
    # One packet in another form (a fault) in the middle: the decoder's path.
    value = bytes.fromhex("d879fb")
    middle = message.index(value, len(message) // 2)
    faulty = message[:middle] + encode(cbor2.CBORTag(122, {0: -32108})) + message[middle + 11 :]
    assert scan_events(faulty) is None
    assert strict(parse_message(faulty)) == strict(careful(faulty))
    assert isinstance(parse_message(faulty)[750], DataChange)
