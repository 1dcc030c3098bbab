"""Hostile input: the decoder refuses what the protocol never uses, quickly and briefly."""

from __future__ import annotations

import time
import uuid
from typing import Any

import cbor2
import pytest

from xentara_sync.exceptions import ProtocolError
from xentara_sync.protocol import Tag, TimePoint, decode, decode_message, parse_packet, unwrap
from xentara_sync.protocol.quoting import QUOTE_LIMIT
from xentara_sync.simulator.faults import shared_reference_bomb

POINT = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
LEVELS = 24


def head(major: int, value: int) -> bytes:
    """The head of a CBOR item, written out by hand (never cbor2's encoder)."""
    if value < 24:
        return bytes((major << 5 | value,))
    for code, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 256**width:
            return bytes((major << 5 | code,)) + value.to_bytes(width, "big")
    raise ValueError(value)


def tagged(number: int, content: bytes) -> bytes:
    return head(6, number) + content


def leaves(value: Any, seen: dict[int, int]) -> int:
    """How many strings a full walk (or repr) of *value* meets, counted without walking."""
    if not isinstance(value, list):
        return 1
    if id(value) not in seen:
        seen[id(value)] = sum(leaves(item, seen) for item in value)
    return seen[id(value)]


# ----------------------------------------------------------------- shared references


def test_the_bomb_is_small_and_cbor2_alone_would_expand_it() -> None:
    data = shared_reference_bomb()
    assert len(data) < 160
    expanded = cbor2.loads(data)  # what the decoder did before it refused tag 28
    assert leaves(expanded[0][2], {}) == 2**LEVELS


def test_the_shared_reference_bomb_is_refused_at_once() -> None:
    data = shared_reference_bomb()
    start = time.perf_counter()
    with pytest.raises(ProtocolError) as info:
        decode_message(data)
    assert time.perf_counter() - start < 0.05
    assert str(info.value) == "CBOR tag 28 is not part of the Xentara protocol"


def test_a_shared_reference_alone_is_refused() -> None:
    with pytest.raises(ProtocolError, match=r"^CBOR tag 29 "):
        decode(tagged(29, head(0, 0)))


# ----------------------------------------------------------------- every other tag

REFUSED = [
    0,  # date/time string
    2,  # positive bignum: integers beyond 64 bits are not in the protocol
    3,  # negative bignum
    5,  # bigfloat
    24,  # embedded CBOR
    25,  # string reference
    28,  # shareable
    29,  # shared reference
    30,  # rational
    32,  # URI
    35,  # regular expression
    36,  # MIME message
    38,  # language-tagged string (next to UUID)
    52,  # IPv4
    54,  # IPv6
    100,  # epoch date
    120,  # below the enumerated alternatives the protocol uses
    124,  # above them
    256,  # string namespace
    258,  # set
    260,  # network address
    261,  # network prefix
    1000,  # below extended time
    1002,  # above it
    1004,  # date string
    43000,  # complex number
    55799,  # self-described CBOR
    2**32 + 1,  # a tag number of eight bytes
    2**64 - 1,
]


@pytest.mark.parametrize("number", REFUSED)
def test_tags_outside_the_protocol_are_refused(number: int) -> None:
    with pytest.raises(ProtocolError, match=rf"^CBOR tag {number} is not part of"):
        decode(tagged(number, head(0, 1)))


@pytest.mark.parametrize("number", REFUSED)
def test_refused_tags_deep_inside_a_message(number: int) -> None:
    value = tagged(Tag.VALUE, head(4, 1) + tagged(number, b"\x41\x00"))  # 121([number(h'00')])
    data = head(4, 1) + head(4, 3) + b"\x01\x07" + head(5, 1) + b"\x0b" + value
    with pytest.raises(ProtocolError, match=rf"^CBOR tag {number} "):
        decode_message(data)


@pytest.mark.parametrize("number", [28, 258, 2])
def test_refusal_comes_before_the_content_is_read(number: int) -> None:
    # The content claims four billion items and stops: only the tag head is read.
    with pytest.raises(ProtocolError, match=rf"^CBOR tag {number} "):
        decode(tagged(number, b"\x9a\xff\xff\xff\xff"))


def test_bignum_integers_are_refused() -> None:
    with pytest.raises(ProtocolError, match="tag 2 "):
        decode(cbor2.dumps(2**64))
    with pytest.raises(ProtocolError, match="tag 3 "):
        decode(cbor2.dumps(-(2**64) - 1))
    assert decode(cbor2.dumps([2**64 - 1, -(2**64)])) == [2**64 - 1, -(2**64)]


# ----------------------------------------------------------------- the protocol's tags


def test_the_protocols_tags_are_decoded() -> None:
    assert sorted(Tag) == [1, 4, 37, 121, 122, 123, 1001]
    value = decode(
        cbor2.dumps(
            [
                cbor2.CBORTag(1, 5),
                cbor2.CBORTag(37, POINT.bytes),
                cbor2.CBORTag(121, 22.5),
                cbor2.CBORTag(122, {0: -32101}),
                cbor2.CBORTag(123, {0: "user", 1: "secret"}),
                cbor2.CBORTag(1001, {4: cbor2.CBORTag(4, [-9, 7])}),
            ]
        )
    )
    assert value == [
        TimePoint(5_000_000_000),
        POINT,
        cbor2.CBORTag(121, 22.5),
        cbor2.CBORTag(122, {0: -32101}),
        cbor2.CBORTag(123, {0: "user", 1: "secret"}),
        TimePoint(7),
    ]


@pytest.mark.parametrize(
    "content", [b"\x4f" + bytes(15), b"\x51" + bytes(17), b"\x70" + bytes(16), b"\x00"]
)
def test_uuid_must_be_sixteen_bytes(content: bytes) -> None:
    with pytest.raises(ProtocolError, match="tag 37 must hold 16 bytes"):
        decode(tagged(37, content))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(tagged(4, b"\x82\x28\x01"), id="alone"),
        pytest.param(tagged(121, tagged(4, b"\x82\x28\x01")), id="as-a-value"),
        pytest.param(
            b"\x82" + tagged(1001, b"\xa1\x01\x00") + tagged(4, b"\x82\x28\x01"), id="after"
        ),
    ],
)
def test_decimal_fraction_outside_a_time_stamp_is_refused(data: bytes) -> None:
    with pytest.raises(ProtocolError, match=r"tag 4 .* only in a time stamp"):
        decode(data)


@pytest.mark.parametrize("content", [b"\x81\x28", b"\x83\x28\x01\x02", b"\x82\x28\xf9\x3c\x00"])
def test_decimal_fraction_must_be_two_integers(content: bytes) -> None:
    with pytest.raises(ProtocolError, match="tag 4 must hold two integers"):
        decode(tagged(1001, b"\xa1\x04" + tagged(4, content)))


def test_a_time_stamp_that_failed_half_way_leaves_no_trace() -> None:
    # The first message fails inside a time stamp; the next bare fraction is still refused.
    with pytest.raises(ProtocolError):
        decode(tagged(1001, b"\xa1\x04" + tagged(4, b"\x82\x28")))
    with pytest.raises(ProtocolError, match="only in a time stamp"):
        decode(tagged(4, b"\x82\x28\x01"))
    assert decode(tagged(1001, b"\xa1\x04" + tagged(4, b"\x82\x28\x01"))) == TimePoint(1)


# ----------------------------------------------------------------- capped messages

BIG = b"x" * 1_000_000


@pytest.mark.parametrize(
    "packet",
    [
        pytest.param([1, BIG, 1, 2], id="malformed-success"),
        pytest.param([2, 8, BIG], id="error-object-not-a-map"),
        pytest.param([2, 8, {0: BIG}], id="error-code-not-an-integer"),
        pytest.param([BIG], id="unknown-packet-type"),
        pytest.param([8, BIG, {}], id="unknown-event-type"),
        pytest.param([8, 0, {1: BIG}], id="event-without-time-stamp"),
        pytest.param([8, 0, {0: 0, 1: BIG}], id="event-element-not-a-uuid"),
        pytest.param([8, 0, {0: 0, 1: cbor2.CBORTag(37, POINT.bytes), 2: {1: BIG}}], id="value"),
        pytest.param([8, 0, {0: 0, 1: cbor2.CBORTag(37, POINT.bytes), 2: [BIG]}], id="values"),
        pytest.param([8, 0, {0: cbor2.CBORTag(1001, {1: BIG})}], id="time-stamp-seconds"),
        pytest.param([8, 0, {0: cbor2.CBORTag(1001, {7: BIG})}], id="time-stamp-map"),
        pytest.param([8, 0, {0: cbor2.CBORTag(1001, BIG)}], id="time-stamp-not-a-map"),
        pytest.param([8, 0, {0: cbor2.CBORTag(1, BIG)}], id="epoch-time"),
        pytest.param([8, 0, {0: cbor2.CBORTag(37, BIG)}], id="uuid"),
    ],
)
def test_error_messages_quoting_a_megabyte_stay_short(packet: list[Any]) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_message(cbor2.dumps([packet]))
    assert len(str(info.value)) < 1000
    assert "..." in str(info.value)


def test_a_message_that_is_not_an_array_is_quoted_short() -> None:
    with pytest.raises(ProtocolError, match="array of packets") as info:
        decode_message(cbor2.dumps({0: BIG}))
    assert len(str(info.value)) < 1000


def test_parse_and_unwrap_quote_short() -> None:
    for call in (lambda: parse_packet(BIG), lambda: unwrap([BIG] * 10)):
        with pytest.raises(ProtocolError) as info:
            call()
        assert len(str(info.value)) <= QUOTE_LIMIT + 100
