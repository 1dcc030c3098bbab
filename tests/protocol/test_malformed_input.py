"""Broken input: every failure is a ProtocolError that says what is wrong."""

from __future__ import annotations

import pickle
import uuid
from typing import Any

import cbor2
import pytest

from xentara_sync.exceptions import ProtocolError, XentaraError
from xentara_sync.protocol import (
    AttributeFault,
    Request,
    decode,
    decode_message,
    encode,
    fault,
    parse_packet,
    unwrap,
    unwrap_attributes,
    wrap,
)

POINT = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
STAMP = cbor2.CBORTag(1001, {4: cbor2.CBORTag(4, [-9, 0])})
ELEMENT = cbor2.CBORTag(37, POINT.bytes)


def message(*packets: Any) -> bytes:
    """A message encoded with cbor2 directly, so that it can hold anything."""
    return cbor2.dumps(list(packets))


def test_protocol_error_is_a_xentara_error() -> None:
    assert issubclass(ProtocolError, XentaraError)


def test_protocol_error_takes_the_message_id() -> None:
    assert ProtocolError("x").message_id is None
    error = ProtocolError("x", message_id=3)
    assert (str(error), error.message_id) == ("x", 3)


def test_protocol_error_pickles_with_its_message_id() -> None:
    copy = pickle.loads(pickle.dumps(ProtocolError("x", message_id=3)))
    assert type(copy) is ProtocolError
    assert (str(copy), copy.message_id) == ("x", 3)


# ----------------------------------------------------------------- not CBOR at all


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff", id="lone-break"),
        pytest.param(b"\x1c", id="reserved-additional-info"),
        pytest.param(b"\x7f\x01", id="broken-indefinite-text"),
        pytest.param(b"\xfc", id="reserved-simple-value"),
        pytest.param(b"\x5f\x01", id="indefinite-bytes-with-int-chunk"),
    ],
)
def test_not_cbor(data: bytes) -> None:
    with pytest.raises(ProtocolError, match="not well-formed CBOR"):
        decode_message(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(bytes.fromhex("818400010ea2000101"), id="hello-missing-last-byte"),
        pytest.param(bytes.fromhex("8183"), id="array-header-only"),
        pytest.param(bytes.fromhex("81830109d82550e3ee"), id="uuid-cut-short"),
        pytest.param(bytes.fromhex("7820616263"), id="text-cut-short"),
        pytest.param(bytes.fromhex("1b0000"), id="uint64-cut-short"),
    ],
)
def test_truncated_cbor(data: bytes) -> None:
    with pytest.raises(ProtocolError, match="not well-formed CBOR"):
        decode_message(data)


def test_invalid_utf8_text() -> None:
    with pytest.raises(ProtocolError):
        decode(b"\x62\xff\xfe")


def test_cause_is_kept() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(b"\x83\x01")
    assert info.value.__cause__ is not None


def test_trailing_bytes_after_the_message_are_rejected() -> None:
    with pytest.raises(ProtocolError):
        decode_message(bytes.fromhex("81820107") + b"\x00")


# ----------------------------------------------------------------- message level


@pytest.mark.parametrize(
    "item", [{0: 1}, 5, "text", None, True, cbor2.CBORTag(37, POINT.bytes)], ids=repr
)
def test_message_must_be_an_outer_array(item: Any) -> None:
    with pytest.raises(ProtocolError, match="array of packets"):
        decode_message(cbor2.dumps(item))


def test_bare_packet_is_not_taken_for_a_message() -> None:
    # §2: a packet sent without the outer array is misparsed as a batch of its fields.
    with pytest.raises(ProtocolError, match="packet must be a non-empty array"):
        decode_message(cbor2.dumps([0, 1, 14, {0: 1, 1: 1}]))


def test_empty_message_has_no_packets() -> None:
    assert decode_message(b"\x80") == []


@pytest.mark.parametrize("item", [[], 5, "x", {0: 0}, None], ids=repr)
def test_packet_must_be_a_non_empty_array(item: Any) -> None:
    with pytest.raises(ProtocolError, match="non-empty array") as info:
        decode_message(message(item))
    assert getattr(info.value, "message_id", "unset") is None


@pytest.mark.parametrize("kind", [3, 7, 9, -1, "0", 0.0, True, None], ids=repr)
def test_unknown_packet_type(kind: Any) -> None:
    with pytest.raises(ProtocolError, match="unknown packet type") as info:
        decode_message(message([kind, 1, 2]))
    assert getattr(info.value, "message_id", "unset") is None


def test_one_broken_packet_fails_the_message() -> None:
    with pytest.raises(ProtocolError):
        decode_message(message([1, 1], [3], [1, 2]))


# ----------------------------------------------------------------- requests


@pytest.mark.parametrize(
    "packet",
    [[0], [0, "1", 14], [0, None, 14], [0, 1.0, 14], [0, True, 14], [0, [1], 14]],
    ids=repr,
)
def test_request_without_integer_message_id(packet: list[Any]) -> None:
    with pytest.raises(ProtocolError, match="integer message id") as info:
        parse_packet(packet)
    assert getattr(info.value, "message_id", "unset") is None


@pytest.mark.parametrize(
    "packet", [[0, 7], [0, 7, "read"], [0, 7, None], [0, 7, 4.0], [0, 7, False]], ids=repr
)
def test_request_without_integer_opcode(packet: list[Any]) -> None:
    with pytest.raises(ProtocolError, match="integer opcode") as info:
        parse_packet(packet)
    assert getattr(info.value, "message_id", "unset") == 7


@pytest.mark.parametrize(
    "packet",
    [[0, 7, 4, [1, 2]], [0, 7, 4, "params"], [0, 7, 4, None], [0, 7, 4, {}, {}]],
    ids=repr,
)
def test_request_params_must_be_one_map(packet: list[Any]) -> None:
    with pytest.raises(ProtocolError, match="parameters must be one map") as info:
        parse_packet(packet)
    assert getattr(info.value, "message_id", "unset") == 7


def test_message_id_is_set_through_decode_message() -> None:
    with pytest.raises(ProtocolError) as info:
        decode_message(message([0, 42, "x"]))
    assert getattr(info.value, "message_id", "unset") == 42


def test_negative_and_large_message_ids_are_integers() -> None:
    assert parse_packet([0, -1, 8]) == Request(-1, 8)
    assert parse_packet([0, 2**64 - 1, 8]) == Request(2**64 - 1, 8)


# ----------------------------------------------------------------- responses


@pytest.mark.parametrize("packet", [[1], [1, "7"], [1, None, 5], [1, 7, 1, 2], [1, True]], ids=repr)
def test_malformed_success(packet: list[Any]) -> None:
    with pytest.raises(ProtocolError, match="malformed success response"):
        parse_packet(packet)


@pytest.mark.parametrize(
    "packet",
    [[2], [2, 8], [2, "8", {0: -1}], [2, 8, {0: -1}, 1]],
    ids=repr,
)
def test_malformed_error_response(packet: list[Any]) -> None:
    with pytest.raises(ProtocolError, match="malformed error response"):
        parse_packet(packet)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("oops", "must be a map"),
        ([-32103, "x"], "must be a map"),
        ({1: "no code"}, "integer code"),
        ({0: "-32103"}, "integer code"),
        ({0: True}, "integer code"),
        ({0: -32103.0}, "integer code"),
    ],
    ids=repr,
)
def test_error_response_with_broken_error_object(error: Any, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        parse_packet([2, 8, error])


@pytest.mark.parametrize("packet", [[2, 8, "oops"], [2, 8, {1: "x"}], [1, 8, 1, 2]], ids=repr)
def test_malformed_response_keeps_its_readable_message_id(packet: list[Any]) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_packet(packet)
    assert getattr(info.value, "message_id", None) == 8


# ----------------------------------------------------------------- events


def event(body: Any, event_type: Any = 0) -> list[Any]:
    return [8, event_type, body]


def test_valid_event_for_comparison() -> None:
    parsed = parse_packet(decode(cbor2.dumps(event({0: STAMP, 1: ELEMENT, 2: {}}))))
    assert parsed.element == POINT  # type: ignore[union-attr]


@pytest.mark.parametrize("event_type", [1, -1, "0", None, 2**40])
def test_event_with_unknown_type(event_type: Any) -> None:
    with pytest.raises(ProtocolError, match="unknown event type"):
        decode_message(message(event({0: STAMP, 1: ELEMENT, 2: {}}, event_type)))


def test_event_with_subscription_id_element_is_rejected() -> None:
    # §3.4: the four-element form with a subscription id is not an event.
    with pytest.raises(ProtocolError, match="3 elements"):
        decode_message(message([8, 0, ELEMENT, {0: STAMP, 1: ELEMENT, 2: {}}]))


@pytest.mark.parametrize("packet", [[8], [8, 0]], ids=repr)
def test_short_event(packet: list[Any]) -> None:
    with pytest.raises(ProtocolError, match="3 elements"):
        decode_message(message(packet))


@pytest.mark.parametrize(
    "body",
    [{1: ELEMENT, 2: {}}, [STAMP, ELEMENT, {}], None, "x"],
    ids=["no-key-0", "array", "null", "text"],
)
def test_event_without_key_0(body: Any) -> None:
    with pytest.raises(ProtocolError, match="time stamp"):
        decode_message(message(event(body)))


@pytest.mark.parametrize(
    "element",
    [None, POINT.bytes, str(POINT), POINT.int >> 64, cbor2.CBORTag(121, POINT.bytes)],
    ids=["missing", "raw-bytes", "text", "int", "wrong-tag"],
)
def test_event_element_must_be_a_uuid(element: Any) -> None:
    body: dict[int, Any] = {0: STAMP, 2: {}}
    if element is not None:
        body[1] = element
    with pytest.raises(ProtocolError, match="element UUID"):
        decode_message(message(event(body)))


@pytest.mark.parametrize(
    "value",
    [22.5, None, cbor2.CBORTag(123, 1), cbor2.CBORTag(37, POINT.bytes), [121, 22.5]],
    ids=["bare-float", "null", "tag-123", "uuid", "array"],
)
def test_event_values_must_be_wrapped(value: Any) -> None:
    with pytest.raises(ProtocolError, match="121/122-wrapped"):
        decode_message(message(event({0: STAMP, 1: ELEMENT, 2: {11: value}})))


def test_event_attributes_must_be_a_map() -> None:
    with pytest.raises(ProtocolError, match="map of attribute values"):
        decode_message(message(event({0: STAMP, 1: ELEMENT, 2: [1, 2]})))


def test_event_with_broken_fault() -> None:
    broken = cbor2.CBORTag(122, {1: "no code"})
    with pytest.raises(ProtocolError, match="integer code"):
        decode_message(message(event({0: STAMP, 1: ELEMENT, 2: {11: broken}})))


def test_event_time_stamp_is_not_validated() -> None:
    # §3.4: the official client does not check key 0's type; neither does the codec.
    (parsed,) = decode_message(message(event({0: "yesterday", 1: ELEMENT})))
    assert parsed.timestamp == "yesterday"  # type: ignore[union-attr]
    assert parsed.attributes == {}  # type: ignore[union-attr]


# ----------------------------------------------------------------- wrap / unwrap


def test_wrap_and_unwrap() -> None:
    assert wrap(22.5) == cbor2.CBORTag(121, 22.5)
    assert unwrap(wrap(22.5)) == 22.5
    assert wrap(AttributeFault(-32108, "read error")) == fault(-32108, "read error")
    assert unwrap(fault(-32108, "read error")) == AttributeFault(-32108, "read error")


def test_fault_without_text_uses_the_official_clients_text() -> None:
    assert fault(-32101) == cbor2.CBORTag(122, {0: -32101, 1: "missing attribute"})
    assert fault(-1) == cbor2.CBORTag(122, {0: -1, 1: "error"})
    assert unwrap(cbor2.CBORTag(122, {0: -32104})) == AttributeFault(-32104, "value is write only")
    assert unwrap(cbor2.CBORTag(122, {0: -5})) == AttributeFault(-5, "error -5")


def test_attribute_fault_str() -> None:
    assert str(AttributeFault(-32108, "read error")) == "read error (-32108)"


@pytest.mark.parametrize("item", [22.5, None, cbor2.CBORTag(120, 1), [121, 1]], ids=repr)
def test_unwrap_rejects_unwrapped_values(item: Any) -> None:
    with pytest.raises(ProtocolError, match="121/122-wrapped"):
        unwrap(item)


def test_unwrap_attributes_rejects_non_maps() -> None:
    with pytest.raises(ProtocolError, match="map of attribute values"):
        unwrap_attributes([wrap(1)])


# ----------------------------------------------------------------- encoding


@pytest.mark.parametrize(
    "value",
    [object(), len, Exception("x"), [1, object()]],
    ids=["object", "function", "exception", "nested"],
)
def test_values_that_cannot_be_encoded(value: Any) -> None:
    with pytest.raises(ProtocolError, match="cannot encode"):
        encode(value)


def test_packet_that_is_not_a_packet() -> None:
    from xentara_sync.protocol import encode_message

    with pytest.raises(TypeError, match="not a packet"):
        encode_message([(0, 1, 14)])  # type: ignore[list-item]


def test_attribute_fault_encodes_as_documented() -> None:
    assert encode(AttributeFault(-32108, "read error")) == encode(fault(-32108, "read error"))
