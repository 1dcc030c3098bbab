"""The worked session of the protocol reference (§14), byte for byte.

Each hex string is copied from the reference. Where the reference gives an encoding
with sorted map keys, the packet is encoded with ``canonical=True``. Every example is
checked both ways: the typed packet encodes to the bytes, and the bytes decode to the
typed packet.
"""

from __future__ import annotations

import uuid
from typing import Any

import cbor2
import pytest

from xentara_sync.protocol import (
    NIL_UUID,
    Attribute,
    AttributeFault,
    BrowseEntryKey,
    BrowseParam,
    Category,
    ClientHelloParam,
    DataChange,
    ErrorCode,
    EventKey,
    Failure,
    LookupParam,
    MetaData,
    MetaDataParam,
    Opcode,
    Packet,
    Quality,
    ReadParam,
    Request,
    ServerInformation,
    Stage,
    SubscribeParam,
    Success,
    TimePoint,
    UnsubscribeParam,
    WriteParam,
    decode,
    decode_message,
    encode,
    encode_message,
    unwrap_attributes,
)

GROUP = uuid.UUID("5b8a3c1e-0f2d-4e6a-9c7b-1d2e3f405162")
POINT = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
SUBSCRIPTION = uuid.UUID("0b1f0e76-f281-44ba-920e-7ce831ff8b2a")
CHANGE_NS = 1_704_107_471_111_587_983  # 2024-01-01T11:11:11.111587983Z

# (name, packet, hex exactly as printed in §14)
EXAMPLES: list[tuple[str, Packet, str]] = [
    (
        "hello request",
        Request(
            1,
            Opcode.CLIENT_HELLO,
            {ClientHelloParam.MINIMUM_VERSION: 1, ClientHelloParam.MAXIMUM_VERSION: 1},
        ),
        "818400010ea200010101",
    ),
    ("hello response", Success(1, {0: 1}), "81830101a10001"),
    (
        "server information request",
        Request(
            2,
            Opcode.SERVER_INFORMATION,
            {
                0: [
                    ServerInformation.VERSION,
                    ServerInformation.USER_NAME,
                    ServerInformation.MODEL_FILE_PATH,
                ]
            },
        ),
        "8184000200a10083000102",
    ),
    (
        "browse request",
        Request(3, Opcode.BROWSE, {BrowseParam.ELEMENT: NIL_UUID, BrowseParam.DEPTH: 1}),
        "8184000301a200d82550000000000000000000000000000000000101",
    ),
    (
        "browse response",
        Success(
            3,
            [
                {
                    BrowseEntryKey.PRIMARY_KEY: "Group 1",
                    BrowseEntryKey.ELEMENT: GROUP,
                    BrowseEntryKey.CATEGORY: Category.ELEMENT_GROUP,
                }
            ],
        ),
        "8183010381a3006747726f7570203101d825505b8a3c1e0f2d4e6a9c7b1d2e3f4051620201",
    ),
    (
        "lookup request",
        Request(4, Opcode.LOOKUP, {LookupParam.PRIMARY_KEY: "Group 1.Data Point 1"}),
        "8184000403a1007447726f757020312e4461746120506f696e742031",
    ),
    ("lookup response", Success(4, POINT), "81830104d82550e3ee10714d884ba18e5d0f1e4ce25ee8"),
    (
        "read request",
        Request(
            6,
            Opcode.READ,
            {
                ReadParam.ELEMENT: POINT,
                ReadParam.ATTRIBUTES: [Attribute.VALUE, Attribute.QUALITY, Attribute.CHANGE_TIME],
            },
        ),
        "8184000604a200d82550e3ee10714d884ba18e5d0f1e4ce25ee801830b0907",
    ),
    (
        "write request",
        Request(
            7,
            Opcode.WRITE,
            {
                WriteParam.ELEMENT: POINT,
                WriteParam.ATTRIBUTE: Attribute.VALUE,
                WriteParam.VALUE: 22.5,
            },
        ),
        "8184000705a300d82550e3ee10714d884ba18e5d0f1e4ce25ee8010b02f94da0",
    ),
    ("write success", Success(7), "81820107"),
    (
        "read-only error response",
        Failure(8, ErrorCode.READ_ONLY, "value is read only"),
        "81830208a200397d66017276616c75652069732072656164206f6e6c79",
    ),
    (
        "subscribe request",
        Request(
            9,
            Opcode.SUBSCRIBE,
            {
                SubscribeParam.ITEMS: [{0: POINT, 1: [Attribute.VALUE, Attribute.QUALITY]}],
                SubscribeParam.MAXIMUM_UPDATE_RATE: 100,
                SubscribeParam.DESIRED_ID: SUBSCRIPTION,
            },
        ),
        "8184000906a30081a200d82550e3ee10714d884ba18e5d0f1e4ce25ee801820b0901186403"
        "d825500b1f0e76f28144ba920e7ce831ff8b2a",
    ),
    (
        "subscribe response",
        Success(9, SUBSCRIPTION),
        "81830109d825500b1f0e76f28144ba920e7ce831ff8b2a",
    ),
    (
        "data-change event",
        DataChange(
            TimePoint(CHANGE_NS),
            POINT,
            {Attribute.VALUE: 22.5, Attribute.QUALITY: Quality.GOOD},
        ),
        "81830800a300d903e9a104c482281b17a634b75ab2088f01d82550e3ee10714d884ba18e5d0f1e4ce25ee8"
        "02a209d879000bd879f94da0",
    ),
    (
        "unsubscribe request",
        Request(10, Opcode.UNSUBSCRIBE, {UnsubscribeParam.SUBSCRIPTION: SUBSCRIPTION}),
        "8184000a07a100d825500b1f0e76f28144ba920e7ce831ff8b2a",
    ),
    ("unsubscribe response", Success(10), "8182010a"),
]

IDS = [name for name, _, _ in EXAMPLES]


@pytest.mark.parametrize(("name", "packet", "wire"), EXAMPLES, ids=IDS)
def test_encode_matches_reference(name: str, packet: Packet, wire: str) -> None:
    assert encode_message([packet], canonical=True).hex() == wire


@pytest.mark.parametrize(("name", "packet", "wire"), EXAMPLES, ids=IDS)
def test_decode_matches_reference(name: str, packet: Packet, wire: str) -> None:
    (decoded,) = decode_message(bytes.fromhex(wire))
    assert type(decoded) is type(packet)
    assert decoded == packet


def test_hello_is_the_official_clients_bytes_without_canonical_ordering() -> None:
    # §1.4: exactly what the official client sends, whatever the encoder settings.
    hello = Request(1, Opcode.CLIENT_HELLO, {0: 1, 1: 1})
    assert encode_message([hello]) == bytes.fromhex("81 84 00 01 0E A2 00 01 01 01")


def test_write_value_is_half_float_only_when_canonical() -> None:
    write = Request(7, Opcode.WRITE, {0: POINT, 1: 11, 2: 22.5})
    assert encode_message([write], canonical=True).endswith(bytes.fromhex("02f94da0"))
    plain = encode_message([write])
    assert plain.endswith(bytes.fromhex("02fb4036800000000000"))
    assert decode_message(plain) == [write]


def test_event_attribute_keys_are_sorted_only_when_canonical() -> None:
    # The diagnostic notation lists key 11 before key 9; the hex has 9 first (and a
    # half float). Without canonical the encoder keeps insertion order and doubles.
    event = DataChange(TimePoint(CHANGE_NS), POINT, {11: 22.5, 9: 0})
    canonical = encode_message([event], canonical=True).hex()
    assert canonical.endswith("02a209d879000bd879f94da0")
    assert encode_message([event]).hex().endswith("02a20bd879fb403680000000000009d87900")


def test_event_time_stamp_bytes() -> None:
    assert encode(TimePoint(CHANGE_NS)).hex() == "d903e9a104c482281b17a634b75ab2088f"


def test_event_decodes_to_a_time_point_and_plain_values() -> None:
    (event,) = decode_message(bytes.fromhex(EXAMPLES[-3][2]))
    assert isinstance(event, DataChange)
    assert event.timestamp == TimePoint(CHANGE_NS)
    assert event.timestamp.isoformat() == "2024-01-01T11:11:11.111587983Z"
    assert event.element == POINT
    assert event.attributes == {11: 22.5, 9: 0}
    assert type(event.attributes[9]) is int


def _wire(structure: Any) -> bytes:
    """Encode a raw structure (diagnostic notation) with cbor2 directly, not our codec."""
    return cbor2.dumps(structure)


def _tag(tag: int, value: Any) -> cbor2.CBORTag:
    return cbor2.CBORTag(tag, value)


def _uuid_tag(value: uuid.UUID) -> cbor2.CBORTag:
    return _tag(37, value.bytes)


def _time_tag(ns: int) -> cbor2.CBORTag:
    return _tag(1001, {4: _tag(4, [-9, ns])})


# The examples §14 gives only in diagnostic notation.


def test_server_information_response() -> None:
    info = {0: "2.0.7", 1: "xentara", 2: "/home/xentara/.config/xentara/model.json"}
    assert decode_message(_wire([[1, 2, info]])) == [Success(2, info)]


def test_batched_lookup_and_get_stage() -> None:
    request = _wire([[0, 4, 3, {0: "Group 1.Data Point 1"}], [0, 5, 8]])
    assert decode_message(request) == [
        Request(4, Opcode.LOOKUP, {0: "Group 1.Data Point 1"}),
        Request(5, Opcode.GET_STAGE),
    ]
    # get_stage has no parameter map: a 3-element packet.
    assert (
        encode_message(
            [Request(4, Opcode.LOOKUP, {0: "Group 1.Data Point 1"}), Request(5, Opcode.GET_STAGE)]
        )
        == request
    )
    response = decode_message(_wire([[1, 4, _uuid_tag(POINT)], [1, 5, 2]]))
    assert response == [Success(4, POINT), Success(5, Stage.OPERATIONAL)]


def test_metadata_request_and_response() -> None:
    params: dict[int, Any] = {
        MetaDataParam.ELEMENT: POINT,
        MetaDataParam.ITEMS: [MetaData.CATEGORY, MetaData.ATTRIBUTES, MetaData.HAS_CHILDREN],
    }
    assert decode_message(_wire([[0, 13, 2, {0: _uuid_tag(POINT), 1: [1, 2, 3]}]])) == [
        Request(13, Opcode.META_DATA, params)
    ]
    result = {
        1: 2,
        2: [
            {0: "value", 1: 11, 2: 2, 3: 10},
            {0: "quality", 1: 9, 2: 0, 3: 18},
            {0: "changeTime", 1: 7, 2: 0, 3: 16},
        ],
        3: False,
    }
    (response,) = decode_message(_wire([[1, 13, result]]))
    assert response == Success(13, result)
    assert isinstance(response, Success)
    assert response.result[3] is False


def test_read_response_unwraps_values_and_time_stamp() -> None:
    wire = _wire(
        [[1, 6, {11: _tag(121, 21.5), 9: _tag(121, 0), 7: _tag(121, _time_tag(CHANGE_NS))}]]
    )
    (response,) = decode_message(wire)
    assert isinstance(response, Success)
    assert response.message_id == 6
    values = unwrap_attributes(response.result)
    assert values == {11: 21.5, 9: Quality.GOOD, 7: TimePoint(CHANGE_NS)}
    assert isinstance(values[7], TimePoint)


def test_failing_write_request() -> None:
    wire = _wire([[0, 8, 5, {0: _uuid_tag(POINT), 1: 9, 2: 1}]])
    expected = Request(8, Opcode.WRITE, {0: POINT, 1: Attribute.QUALITY, 2: 1})
    assert decode_message(wire) == [expected]
    assert encode_message([expected]) == wire


def test_event_with_attribute_in_error() -> None:
    wire = _wire(
        [
            [
                8,
                0,
                {
                    0: _time_tag(1_704_107_472_000_000_000),
                    1: _uuid_tag(POINT),
                    2: {11: _tag(122, {0: -32108, 1: "read error"}), 9: _tag(121, 3)},
                },
            ]
        ]
    )
    (event,) = decode_message(wire)
    assert isinstance(event, DataChange)
    assert event.timestamp == TimePoint(1_704_107_472_000_000_000)
    assert event.attributes == {
        11: AttributeFault(ErrorCode.READ_ERROR, "read error"),
        9: Quality.BAD,
    }
    assert isinstance(event.attributes[11], AttributeFault)
    # The typed event encodes back to the same bytes (same key order, same floats).
    assert encode_message([event]) == wire


def test_two_events_in_one_message_keep_their_order() -> None:
    wire = _wire(
        [
            [8, 0, {0: _time_tag(1), 1: _uuid_tag(POINT), 2: {11: _tag(121, 1.0)}}],
            [8, 0, {0: _time_tag(2), 1: _uuid_tag(POINT), 2: {11: _tag(121, 2.0)}}],
        ]
    )
    events = decode_message(wire)
    assert events == [
        DataChange(TimePoint(1), POINT, {11: 1.0}),
        DataChange(TimePoint(2), POINT, {11: 2.0}),
    ]


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (
            [[2, 11, {0: -32110, 1: "unknown subscription Id"}]],
            Failure(11, ErrorCode.UNKNOWN_SUBSCRIPTION, "unknown subscription Id"),
        ),
        (
            [[2, 12, {0: -32601, 1: "command not found"}]],
            Failure(12, ErrorCode.COMMAND_NOT_FOUND, "command not found"),
        ),
        # §3.3: the official client accepts an error without text and uses its own.
        (
            [[2, 12, {0: -32601}]],
            Failure(12, ErrorCode.COMMAND_NOT_FOUND, "command not found"),
        ),
        # §3.3 documentation example.
        (
            [[2, 67, {0: -32602, 1: "invalid meta data identifier"}]],
            Failure(67, ErrorCode.INVALID_PARAMETER, "invalid meta data identifier"),
        ),
    ],
)
def test_error_examples(wire: Any, expected: Failure) -> None:
    assert decode_message(_wire(wire)) == [expected]


def test_unknown_opcode_request_is_still_a_request() -> None:
    # The codec does not judge opcodes; the server answers -32601 for them.
    assert decode_message(_wire([[0, 12, 42]])) == [Request(12, 42)]


def test_uuid_is_tag_37_in_rfc_4122_byte_order() -> None:
    # §10.2 example.
    value = uuid.UUID("B4E1C552-E3C7-406B-95A2-AA09C553F277")
    assert encode(value).hex() == "d82550b4e1c552e3c7406b95a2aa09c553f277"
    assert decode(bytes.fromhex("d82550b4e1c552e3c7406b95a2aa09c553f277")) == value


def test_subscribe_request_as_the_official_client_orders_it() -> None:
    # §4.8: keys arrive in arbitrary order (2, 3, 0); decoding does not care.
    wire = _wire(
        [
            [
                0,
                3,
                6,
                {
                    2: 100,
                    3: _uuid_tag(SUBSCRIPTION),
                    0: [{0: _uuid_tag(POINT), 1: [11, 9, 7]}],
                },
            ]
        ]
    )
    (request,) = decode_message(wire)
    assert isinstance(request, Request)
    assert request.opcode == Opcode.SUBSCRIBE
    assert request.params == {
        SubscribeParam.ITEMS: [{0: POINT, 1: [11, 9, 7]}],
        SubscribeParam.MINIMUM_UPDATE_RATE: 100,
        SubscribeParam.DESIRED_ID: SUBSCRIPTION,
    }
    assert list(request.params) == [2, 3, 0]
    # Re-encoding without canonical keeps the official client's key order.
    assert encode_message([request]) == wire


def test_the_event_key_names_match_the_layout() -> None:
    assert (EventKey.TIMESTAMP, EventKey.ELEMENT, EventKey.ATTRIBUTES) == (0, 1, 2)
