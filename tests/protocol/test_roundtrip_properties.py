"""Property tests: any packet encodes and decodes back to itself, canonical or not."""

from __future__ import annotations

import math
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from xentara_sync.protocol import (
    AttributeFault,
    DataChange,
    Failure,
    Packet,
    Request,
    Success,
    TimePoint,
    decode,
    decode_message,
    encode,
    encode_message,
)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

SETTINGS = settings(max_examples=100, deadline=None)

texts = st.text(st.characters(codec="utf-8"), max_size=20)
time_points = st.integers(INT64_MIN, INT64_MAX).map(TimePoint)
floats = (
    st.floats(allow_nan=False)
    | st.floats(width=32, allow_nan=False)
    | st.floats(width=16, allow_nan=False)
)
scalars = (
    st.integers(-(2**64), 2**64 - 1)
    | floats
    | texts
    | st.booleans()
    | st.none()
    | st.uuids()
    | time_points
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.integers(0, 2**16), children, max_size=4)
    ),
    max_leaves=12,
)
message_ids = st.integers(0, 2**64 - 1) | st.integers(INT64_MIN, -1)
params = st.none() | st.dictionaries(st.integers(0, 2**8), values, max_size=5)
faults = st.builds(AttributeFault, st.integers(-(2**31), 2**31 - 1), texts)
attribute_keys = st.integers(0, 2**16) | st.uuids()

requests = st.builds(Request, message_ids, st.integers(0, 2**16), params)
successes = st.builds(Success, message_ids, values)
failures = st.builds(Failure, message_ids, st.integers(-(2**63), 2**63 - 1), texts)
# Attribute values are scalars (reference §10.5). Containers inside a tag decode
# immutable (tuple, frozendict), so they would not compare equal to lists and dicts.
data_changes = st.builds(
    DataChange,
    time_points,
    st.uuids(),
    st.dictionaries(attribute_keys, scalars | faults, max_size=5),
)
packets: st.SearchStrategy[Packet] = requests | successes | failures | data_changes


def same(a: Any, b: Any) -> bool:
    """Equal *and* of the same types all the way down (``==`` says ``True == 1``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@SETTINGS
@given(st.lists(packets, max_size=4), st.booleans())
def test_messages_round_trip(batch: list[Packet], canonical: bool) -> None:
    decoded = decode_message(encode_message(batch, canonical=canonical))
    assert decoded == batch
    for original, back in zip(batch, decoded, strict=True):
        assert type(back) is type(original)
        assert same(list(back), list(original)), (original, back)


@SETTINGS
@given(values, st.booleans())
def test_values_round_trip(value: Any, canonical: bool) -> None:
    assert same(decode(encode(value, canonical=canonical)), value)


@SETTINGS
@given(st.dictionaries(st.integers(0, 2**16), values, max_size=6))
def test_canonical_encoding_ignores_insertion_order(mapping: dict[int, Any]) -> None:
    backwards = dict(reversed(list(mapping.items())))
    assert encode(mapping, canonical=True) == encode(backwards, canonical=True)


@SETTINGS
@given(st.floats(width=16, allow_nan=False))
def test_half_representable_floats_take_three_bytes_when_canonical(value: float) -> None:
    data = encode(value, canonical=True)
    assert len(data) == 3
    assert data[0] == 0xF9
    assert same(decode(data), value)


@SETTINGS
@given(st.floats(allow_nan=False))
def test_canonical_floats_are_exact(value: float) -> None:
    assert same(decode(encode(value, canonical=True)), value)
    assert same(decode(encode(value)), value)


@SETTINGS
@given(time_points)
def test_time_points_always_use_nanoseconds(point: TimePoint) -> None:
    data = encode(point)
    if point in (TimePoint.MIN, TimePoint.MAX):
        # d9 03e9 = tag 1001, a1 01 = {1: ...}, f9 fc00 / f9 7c00 = -inf / +inf
        assert data.hex() in ("d903e9a101f9fc00", "d903e9a101f97c00")
    else:
        # d9 03e9 = tag 1001, a1 04 = {4: ...}, c4 82 28 = 4([-9, ...])
        assert data.startswith(bytes.fromhex("d903e9a104c48228"))
    assert decode(data) == point


@SETTINGS
@given(st.uuids())
def test_uuids_are_tag_37(value: uuid.UUID) -> None:
    data = encode(value)
    assert data == bytes.fromhex("d82550") + value.bytes
    assert decode(data) == value
