"""Identifier tables against the protocol reference (§3, §4, §8, §9)."""

from __future__ import annotations

import uuid
from enum import IntEnum

import pytest

import xentara_sync.protocol as protocol
from xentara_sync.protocol import (
    NIL_UUID,
    PROTOCOL_VERSION,
    Access,
    Attribute,
    BrowseParam,
    Category,
    DataType,
    ErrorCode,
    EventType,
    MetaData,
    Opcode,
    PacketType,
    Quality,
    ServerInformation,
    Stage,
    SubscribeParam,
    WriteParam,
)


def table(enum: type[IntEnum]) -> dict[int, str]:
    return {member.value: member.name for member in enum}


def test_packet_and_event_types() -> None:
    assert table(PacketType) == {0: "REQUEST", 1: "SUCCESS", 2: "ERROR", 8: "EVENT"}
    assert table(EventType) == {0: "DATA_CHANGE"}


def test_every_opcode() -> None:
    assert table(Opcode) == {
        0: "SERVER_INFORMATION",
        1: "BROWSE",
        2: "META_DATA",
        3: "LOOKUP",
        4: "READ",
        5: "WRITE",
        6: "SUBSCRIBE",
        7: "UNSUBSCRIBE",
        8: "GET_STAGE",
        9: "RESUME",  # inferred (§13.1)
        10: "SUSPEND",
        11: "SHUTDOWN",
        12: "CREATE_SUB_SESSION",
        13: "CLOSE_SUB_SESSION",
        14: "CLIENT_HELLO",
        15: "CHECK_ACCESS",
    }


def test_protocol_version() -> None:
    assert PROTOCOL_VERSION == 1


ERROR_TABLE = [
    # code, name, the official client's text (§9)
    (0, "NO_ERROR", "no error"),
    (-32700, "PARSE_ERROR", "payload not well formed"),
    (-32600, "INVALID_REQUEST", "invalid request"),
    (-32601, "COMMAND_NOT_FOUND", "command not found"),
    (-32602, "INVALID_PARAMETER", "invalid parameter"),
    (-32603, "INTERNAL_ERROR", "internal server error"),
    (-32000, "MISSING_CLIENT_HELLO", "missing client hello request"),
    (-32001, "DUPLICATE_CLIENT_HELLO", "duplicate client hello request"),
    (-32100, "UNKNOWN_ELEMENT", "unknown element"),
    (-32101, "MISSING_ATTRIBUTE", "missing attribute"),
    (-32102, "ACCESS_DENIED", "access denied"),
    (-32103, "READ_ONLY", "value is read only"),
    (-32104, "WRITE_ONLY", "value is write only"),
    (-32105, "OUT_OF_RANGE", "value is out of range"),
    (-32106, "TYPE_MISMATCH", "value cannot be converted to requested type"),
    (-32107, "ILLEGAL_VALUE", "value supplied is not valid"),
    (-32108, "READ_ERROR", "read error"),
    (-32109, "WRITE_ERROR", "write error"),
    (-32110, "UNKNOWN_SUBSCRIPTION", "unknown subscription Id"),
    (-32111, "UNKNOWN_SESSION", "unknown session Id"),
    (-32112, "INVALID_STAGE_CHANGE", "invalid stage change request"),
]


@pytest.mark.parametrize(("code", "name", "text"), ERROR_TABLE, ids=[e[1] for e in ERROR_TABLE])
def test_error_code(code: int, name: str, text: str) -> None:
    member = ErrorCode(code)
    assert member.name == name
    assert member.text == text


def test_error_table_is_complete() -> None:
    assert {member.value for member in ErrorCode} == {code for code, _, _ in ERROR_TABLE}


ATTRIBUTE_TABLE = [
    # id, name, wire name, UUID (§8.6, §8.7)
    (0, "PRIMARY_KEY", "key", "ed22790e-261b-4a23-bfcc-6175a5571b33"),
    (1, "NAME", "name", "0f974e57-cb9a-4d46-8811-efe3d619ecb9"),
    (2, "UUID", "UUID", "b610a3e8-eff1-4a1a-b099-1939586b7aff"),
    (3, "TYPE", "type", "e1d217de-cf51-4852-8b90-d691a00871dc"),
    (4, "CATEGORY", "category", "cc9219e1-74b5-4be4-86c7-0fff12eb5324"),
    (5, "SOURCE_TIME", "sourceTime", "5f67b0fb-d000-4b7c-92e4-78a36cb05b9d"),
    (6, "UPDATE_TIME", "updateTime", "91eed150-f62c-424b-ba59-9269b02e234c"),
    (7, "CHANGE_TIME", "changeTime", "54f09787-dcbe-4fbf-9a02-524e469eea47"),
    (8, "WRITE_TIME", "writeTime", "0a62de23-0564-4b91-8225-569dfa1ac04f"),
    (9, "QUALITY", "quality", "d3c4b709-bccf-4665-9621-abfb5c6addce"),
    (10, "DEVICE_STATE", "deviceState", "d0da9c4b-3240-404d-9f40-e52361b870e6"),
    (11, "VALUE", "value", "4aa0e4e0-521e-4599-a985-e454baa59f89"),
    (12, "ERROR", "error", "85a28731-2553-4886-8cd1-8b9d9980fa04"),
    (13, "WRITE_ERROR", "writeError", "70435d1d-224f-4c25-a1ac-5191d7514252"),
]


@pytest.mark.parametrize(
    ("number", "name", "wire_name", "text"), ATTRIBUTE_TABLE, ids=[a[1] for a in ATTRIBUTE_TABLE]
)
def test_well_known_attribute(number: int, name: str, wire_name: str, text: str) -> None:
    attribute = Attribute(number)
    assert attribute.name == name
    assert attribute.wire_name == wire_name
    assert attribute.uuid == uuid.UUID(text)
    assert Attribute.from_key(number) is attribute
    assert Attribute.from_key(uuid.UUID(text)) is attribute
    assert Attribute.from_name(wire_name) is attribute
    assert Attribute.from_name(name) is attribute
    assert Attribute.from_name(name.lower()) is attribute


def test_there_are_exactly_14_well_known_attributes_with_distinct_uuids() -> None:
    assert len(Attribute) == 14
    assert len({a.uuid for a in Attribute}) == 14


@pytest.mark.parametrize("key", [14, -1, 100, uuid.UUID(int=0x5EED), NIL_UUID], ids=repr)
def test_from_key_unknown(key: int | uuid.UUID) -> None:
    assert Attribute.from_key(key) is None


@pytest.mark.parametrize("name", ["", "values", "Data Point 1", "change time", "changetime2"])
def test_from_name_unknown(name: str) -> None:
    assert Attribute.from_name(name) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("changeTime", Attribute.CHANGE_TIME),
        ("change_time", Attribute.CHANGE_TIME),
        ("CHANGE_TIME", Attribute.CHANGE_TIME),
        ("ChangeTime", Attribute.CHANGE_TIME),
        ("uuid", Attribute.UUID),
        ("writeError", Attribute.WRITE_ERROR),
        ("primary_key", Attribute.PRIMARY_KEY),
    ],
)
def test_from_name_spellings(name: str, expected: Attribute) -> None:
    assert Attribute.from_name(name) is expected


def test_categories() -> None:
    assert len(Category) == 16
    assert [c.value for c in Category] == list(range(16))
    assert Category.ROOT.value == 0
    assert Category.ELEMENT_GROUP.value == 1
    assert Category.DATA_POINT.value == 2
    assert Category.DEVICE_GROUP.value == 8
    assert Category.DATA_POINT_GROUP.value == 9
    assert Category.AI.value == 12
    assert Category.SPECIAL_PURPOSE.value == 15


def test_access() -> None:
    assert table(Access) == {0: "READ_ONLY", 1: "WRITE_ONLY", 2: "READ_WRITE"}
    assert [(a.readable, a.writable) for a in Access] == [
        (True, False),
        (False, True),
        (True, True),
    ]


def test_data_types() -> None:
    assert [d.value for d in DataType] == list(range(23))
    assert DataType.BOOLEAN.value == 0
    assert DataType.FLOAT64.value == 10
    assert DataType.STRING.value == 11
    assert DataType.TIME_POINT.value == 16
    assert DataType.UUID.value == 17
    assert DataType.QUALITY.value == 18
    assert DataType.ERROR_CODE.value == 20
    assert DataType.NONE.value == 22


@pytest.mark.parametrize(
    ("data_type", "expected"),
    [
        (DataType.INT8, (-128, 127)),
        (DataType.INT16, (-32768, 32767)),
        (DataType.INT32, (-(2**31), 2**31 - 1)),
        (DataType.INT64, (-(2**63), 2**63 - 1)),
        (DataType.UINT8, (0, 255)),
        (DataType.UINT16, (0, 65535)),
        (DataType.UINT32, (0, 2**32 - 1)),
        (DataType.UINT64, (0, 2**64 - 1)),
        (DataType.QUALITY, (0, 3)),
        (DataType.ELEMENT_CATEGORY, (0, 15)),
        (DataType.BOOLEAN, None),
        (DataType.FLOAT32, None),
        (DataType.STRING, None),
        (DataType.TIME_POINT, None),
    ],
)
def test_integer_ranges(data_type: DataType, expected: tuple[int, int] | None) -> None:
    assert data_type.integer_range == expected


def test_string_and_float_families() -> None:
    strings = {d for d in DataType if d.is_string}
    assert strings == {
        DataType.STRING,
        DataType.WSTRING,
        DataType.U8STRING,
        DataType.U16STRING,
        DataType.U32STRING,
    }
    assert {d for d in DataType if d.is_float} == {DataType.FLOAT32, DataType.FLOAT64}


def test_quality_and_stage() -> None:
    assert table(Quality) == {0: "GOOD", 1: "ACCEPTABLE", 2: "UNRELIABLE", 3: "BAD"}
    assert table(Stage) == {
        0: "STARTUP",
        1: "PRE_OPERATIONAL",
        2: "OPERATIONAL",
        3: "POST_OPERATIONAL",
        4: "SUSPENDED",  # project choice (§13.11)
    }


def test_server_information_and_meta_data_items() -> None:
    assert table(ServerInformation) == {0: "VERSION", 1: "USER_NAME", 2: "MODEL_FILE_PATH"}
    assert table(MetaData) == {0: "PRIMARY_KEY", 1: "CATEGORY", 2: "ATTRIBUTES", 3: "HAS_CHILDREN"}


def test_parameter_keys() -> None:
    assert (BrowseParam.ELEMENT, BrowseParam.DEPTH, BrowseParam.CATEGORIES) == (0, 1, 2)
    assert SubscribeParam.MAXIMUM_UPDATE_RATE.value == 1  # throttle
    assert SubscribeParam.MINIMUM_UPDATE_RATE.value == 2  # heartbeat
    assert SubscribeParam.DESIRED_ID.value == 3
    assert WriteParam.SUB_SESSION.value == 3


def test_nil_uuid_is_the_root() -> None:
    assert uuid.UUID("00000000-0000-0000-0000-000000000000") == NIL_UUID
    assert NIL_UUID.bytes == bytes(16)


def test_public_names_exist() -> None:
    for name in protocol.__all__:
        assert hasattr(protocol, name), name
