"""Time stamps (§10.3 of the protocol reference) and the TimePoint class."""

from __future__ import annotations

import copy
import datetime as dt
import math
import pickle
import time
from typing import Any

import cbor2
import pytest

from xentara_sync.exceptions import ProtocolError
from xentara_sync.protocol import TimePoint, decode, encode

NS = 1_704_107_471_111_587_983  # 2024-01-01T11:11:11.111587983Z, the reference's example
US = NS // 1000
MS = NS // 1_000_000
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def tag(number: int, value: Any) -> cbor2.CBORTag:
    return cbor2.CBORTag(number, value)


def decode_time(content: Any, number: int = 1001) -> Any:
    """Decode ``number(content)`` with our codec, encoding it with cbor2 directly."""
    return decode(cbor2.dumps(tag(number, content)))


# ----------------------------------------------------------------- accepted forms


@pytest.mark.parametrize(
    ("exponent", "mantissa", "expected_ns"),
    [
        (-9, NS, NS),
        (-6, US, US * 1000),
        (-3, MS, MS * 1_000_000),
        (-9, 0, 0),
        (-9, -1, -1),
        (-6, -1, -1000),
    ],
)
def test_decimal_fraction_forms(exponent: int, mantissa: int, expected_ns: int) -> None:
    point = decode_time({4: tag(4, [exponent, mantissa])})
    assert isinstance(point, TimePoint)
    assert point.ns == expected_ns


def test_reference_examples_decode_to_the_documented_instants() -> None:
    assert decode_time({4: tag(4, [-9, NS])}).isoformat() == "2024-01-01T11:11:11.111587983Z"
    assert decode_time({4: tag(4, [-6, US])}).isoformat() == "2024-01-01T11:11:11.111587000Z"
    assert decode_time({4: tag(4, [-3, MS])}).isoformat() == "2024-01-01T11:11:11.111000000Z"


def test_integer_seconds() -> None:
    assert decode_time({1: 1_704_107_471}) == TimePoint(1_704_107_471 * 10**9)
    assert decode_time({1: -1}) == TimePoint(-(10**9))


def test_float_seconds_keep_the_fraction() -> None:
    assert decode_time({1: 1.5}) == TimePoint(1_500_000_000)
    assert decode_time({1: 0.25}).ns == 250_000_000
    point = decode_time({1: 1_704_107_471.111588})
    assert abs(point.ns - 1_704_107_471_111_588_000) < 1000


@pytest.mark.parametrize(("seconds", "expected"), [(-math.inf, "MIN"), (math.inf, "MAX")])
def test_infinite_seconds_are_the_extreme_instants(seconds: float, expected: str) -> None:
    point = decode_time({1: seconds})
    assert point == getattr(TimePoint, expected)
    assert point is not None


def test_extreme_instants_are_the_int64_nanosecond_range() -> None:
    assert TimePoint.MIN.ns == INT64_MIN
    assert TimePoint.MAX.ns == INT64_MAX
    assert TimePoint.MIN.isoformat().startswith("1677-09-21T")
    assert TimePoint.MAX.isoformat().startswith("2262-04-11T")


@pytest.mark.parametrize(
    ("seconds", "expected_ns"), [(0, 0), (1_704_107_471, 1_704_107_471 * 10**9), (1.5, 15 * 10**8)]
)
def test_plain_tag_1(seconds: float, expected_ns: int) -> None:
    point = decode_time(seconds, number=1)
    assert isinstance(point, TimePoint)
    assert point.ns == expected_ns


@pytest.mark.parametrize(
    ("fraction_key", "fraction", "expected_ns"),
    [
        (-3, 111, 1_704_107_471_111_000_000),
        (-6, 111_587, 1_704_107_471_111_587_000),
        (-9, 111_587_983, NS),
    ],
)
def test_rfc_9581_fractional_keys(fraction_key: int, fraction: int, expected_ns: int) -> None:
    assert decode_time({1: 1_704_107_471, fraction_key: fraction}).ns == expected_ns


def test_time_stamp_inside_a_wrapped_value() -> None:
    value = decode(cbor2.dumps(tag(121, tag(1001, {4: tag(4, [-9, NS])}))))
    assert isinstance(value, cbor2.CBORTag)
    assert value.value == TimePoint(NS)


# ----------------------------------------------------------------- rejected forms


@pytest.mark.parametrize(
    "content",
    [
        pytest.param({1: math.nan}, id="nan-seconds"),
        pytest.param({4: tag(4, [-12, 5])}, id="picoseconds"),
        pytest.param({4: math.inf}, id="key-4-infinity"),
        pytest.param({4: -math.inf}, id="key-4-minus-infinity"),
        pytest.param({4: NS}, id="key-4-plain-int"),
        pytest.param({1: "1704107471"}, id="text-seconds"),
        pytest.param({1: True}, id="bool-seconds"),
        pytest.param({1: None}, id="null-seconds"),
        pytest.param({2: 5}, id="no-known-key"),
        pytest.param({}, id="empty-map"),
        pytest.param([-9, NS], id="not-a-map"),
        pytest.param(NS, id="bare-int"),
    ],
)
def test_invalid_time_stamps_raise_protocol_error(content: Any) -> None:
    with pytest.raises(ProtocolError):
        decode_time(content)


@pytest.mark.parametrize("content", ["2024-01-01", math.nan, None, [1]])
def test_invalid_tag_1_raises_protocol_error(content: Any) -> None:
    with pytest.raises(ProtocolError):
        decode_time(content, number=1)


@pytest.mark.parametrize("exponent", [0, -1, -2, 3])
def test_exponents_other_than_9_6_3_are_rejected(exponent: int) -> None:
    with pytest.raises(ProtocolError):
        decode_time({4: tag(4, [exponent, 5])})


@pytest.mark.parametrize(
    ("content", "words"),
    [({1: math.nan}, "NaN"), ({4: tag(4, [-12, 5])}, "fraction"), ({2: 5}, "time stamp")],
)
def test_invalid_time_stamp_message_says_what_is_wrong(content: Any, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        decode_time(content)


# ----------------------------------------------------------------- encoding


@pytest.mark.parametrize("ns", [NS, 0, -1, 1, INT64_MIN + 1, INT64_MAX - 1, 2**32, -(2**32)])
@pytest.mark.parametrize("canonical", [False, True])
def test_time_point_encodes_as_nanosecond_decimal_fraction(ns: int, canonical: bool) -> None:
    expected = cbor2.dumps(tag(1001, {4: tag(4, [-9, ns])}))
    assert encode(TimePoint(ns), canonical=canonical) == expected
    assert decode(expected) == TimePoint(ns)


def test_time_point_bytes_of_the_reference() -> None:
    assert encode(TimePoint(NS)).hex() == "d903e9a104c482281b17a634b75ab2088f"


def test_aware_datetime_encodes_as_time_point() -> None:
    when = dt.datetime(2024, 1, 1, 11, 11, 11, 111587, tzinfo=dt.timezone.utc)
    assert encode(when) == encode(TimePoint(1_704_107_471_111_587_000))


def test_extremes_survive_a_round_trip() -> None:
    assert decode(encode(TimePoint.MIN)) == TimePoint.MIN
    assert decode(encode(TimePoint.MAX)) == TimePoint.MAX


def test_extremes_travel_as_infinities() -> None:
    # The reference (§10.3) reserves -Infinity / +Infinity for the extremes.
    assert encode(TimePoint.MIN) == cbor2.dumps(cbor2.CBORTag(1001, {1: -math.inf}))
    assert encode(TimePoint.MAX) == cbor2.dumps(cbor2.CBORTag(1001, {1: math.inf}))
    assert encode(TimePoint(TimePoint.MAX.ns - 1)).startswith(bytes.fromhex("d903e9a104"))


def test_rfc3339_text_parses_with_nanoseconds() -> None:
    assert TimePoint.from_isoformat("2024-01-01T11:11:11.111587983Z") == TimePoint(NS)
    assert TimePoint.from_isoformat("2024-01-01T11:11:11.5+00:00").ns == 1704107471_500_000_000
    assert TimePoint.from_isoformat(TimePoint(NS).isoformat()) == TimePoint(NS)
    with pytest.raises(ValueError, match="RFC 3339"):
        TimePoint.from_isoformat("2024-01-01")
    with pytest.raises(ValueError, match="not a valid time stamp"):
        TimePoint.from_isoformat("2024-13-01T00:00:00Z")


# ----------------------------------------------------------------- TimePoint API


def test_now_is_the_current_time() -> None:
    before = time.time_ns()
    point = TimePoint.now()
    after = time.time_ns()
    assert before <= point.ns <= after


def test_from_seconds() -> None:
    assert TimePoint.from_seconds(1).ns == 10**9
    assert TimePoint.from_seconds(1.5).ns == 1_500_000_000
    assert TimePoint.from_seconds(0.1).ns == 100_000_000
    assert TimePoint.from_seconds(-0.5).ns == -500_000_000
    assert TimePoint.from_seconds(10**12).ns == 10**21 or TimePoint.from_seconds(10**12).ns == (
        INT64_MAX
    )
    assert TimePoint.from_seconds(math.inf) == TimePoint.MAX
    assert TimePoint.from_seconds(-math.inf) == TimePoint.MIN
    with pytest.raises(ValueError, match="NaN"):
        TimePoint.from_seconds(math.nan)


def test_from_datetime() -> None:
    utc = dt.datetime(2024, 1, 1, 11, 11, 11, 111587, tzinfo=dt.timezone.utc)
    assert TimePoint.from_datetime(utc).ns == 1_704_107_471_111_587_000
    # naive means UTC
    assert TimePoint.from_datetime(utc.replace(tzinfo=None)) == TimePoint.from_datetime(utc)
    plus_one = dt.timezone(dt.timedelta(hours=1))
    assert TimePoint.from_datetime(utc.astimezone(plus_one)) == TimePoint.from_datetime(utc)
    before_epoch = dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=dt.timezone.utc)
    assert TimePoint.from_datetime(before_epoch).ns == -500_000_000


def test_timestamp() -> None:
    assert TimePoint(NS).timestamp() == pytest.approx(1_704_107_471.111588, abs=1e-6)
    assert TimePoint(1_500_000_000).timestamp() == 1.5
    assert TimePoint(-500_000_000).timestamp() == -0.5


def test_to_datetime_is_aware_utc_truncated_to_microseconds() -> None:
    value = TimePoint(NS).to_datetime()
    assert value == dt.datetime(2024, 1, 1, 11, 11, 11, 111587, tzinfo=dt.timezone.utc)
    assert value.tzinfo is dt.timezone.utc
    assert TimePoint.from_datetime(value) == TimePoint(US * 1000)
    assert TimePoint(-1).to_datetime() == dt.datetime(
        1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone.utc
    )


def test_isoformat_str_and_repr() -> None:
    point = TimePoint(NS)
    assert point.isoformat() == "2024-01-01T11:11:11.111587983Z"
    assert str(point) == point.isoformat()
    assert repr(point) == "TimePoint('2024-01-01T11:11:11.111587983Z')"
    assert TimePoint(0).isoformat() == "1970-01-01T00:00:00.000000000Z"
    assert TimePoint(-1).isoformat() == "1969-12-31T23:59:59.999999999Z"


def test_ordering() -> None:
    a, b, c = TimePoint(-5), TimePoint(0), TimePoint(NS)
    assert sorted([c, a, b]) == [a, b, c]
    assert a < b < c
    assert a <= a
    assert c > b
    assert c >= c
    assert not b < a
    assert TimePoint.MIN < a < TimePoint.MAX
    assert max([b, c, a]) is c


def test_equality_and_hash() -> None:
    assert TimePoint(NS) == TimePoint(NS)
    assert TimePoint(NS) != TimePoint(NS + 1)
    assert hash(TimePoint(NS)) == hash(TimePoint(NS))
    assert TimePoint(NS) != NS
    assert len({TimePoint(1), TimePoint(1), TimePoint(2)}) == 2
    assert {TimePoint(1): "x"}[TimePoint(1)] == "x"


def test_ordering_against_other_types_is_a_type_error() -> None:
    point: Any = TimePoint(1)
    with pytest.raises(TypeError):
        _ = point < 5


def test_construction_takes_integer_nanoseconds_only() -> None:
    with pytest.raises(TypeError):
        TimePoint(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TimePoint(True)
    with pytest.raises(TypeError):
        TimePoint("1")  # type: ignore[arg-type]


def test_construction_clamps_to_the_int64_range() -> None:
    assert TimePoint(2**70) == TimePoint.MAX
    assert TimePoint(-(2**70)) == TimePoint.MIN


def test_immutable() -> None:
    point = TimePoint(NS)
    with pytest.raises(AttributeError):
        point.ns = 5
    with pytest.raises(AttributeError):
        point.other = 5
    assert point.ns == NS


def test_attribute_cannot_be_deleted() -> None:
    point = TimePoint(NS)
    with pytest.raises(AttributeError):
        del point.ns


@pytest.mark.parametrize("point", [TimePoint(NS), TimePoint(-1), TimePoint.MIN, TimePoint.MAX])
def test_pickle_and_copy(point: TimePoint) -> None:
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        restored = pickle.loads(pickle.dumps(point, protocol=protocol))
        assert type(restored) is TimePoint
        assert restored == point
    assert copy.copy(point) == point
    assert copy.deepcopy(point) == point
