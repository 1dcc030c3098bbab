"""Identifier tables of the Xentara WebSocket API.

Every number that travels on the wire has a name here. The values are those of the
Xentara documentation and of Xentara's official client (see the protocol reference in
the documentation, "Protocol").

>>> Opcode.READ
<Opcode.READ: 4>
>>> Attribute.VALUE.uuid
UUID('4aa0e4e0-521e-4599-a985-e454baa59f89')
>>> Attribute.from_key(Attribute.VALUE.uuid) is Attribute.VALUE
True
"""

from __future__ import annotations

import uuid as _uuid
from enum import IntEnum
from typing import Final

from ..exceptions import ErrorCode, InvalidArgument

#: The protocol version this package speaks.
PROTOCOL_VERSION: Final = 1

__all__ = [
    "NIL_UUID",
    "PROTOCOL_VERSION",
    "Access",
    "Attribute",
    "AttributeMetadataKey",
    "BrowseEntryKey",
    "BrowseParam",
    "Category",
    "CheckAccessResult",
    "ClientHelloParam",
    "ClientHelloResult",
    "DataType",
    "ErrorCode",
    "ErrorKey",
    "EventKey",
    "EventType",
    "LookupParam",
    "MetaData",
    "MetaDataParam",
    "NamedIntEnum",
    "Opcode",
    "PacketType",
    "PasswordKey",
    "Quality",
    "ReadParam",
    "ServerInformation",
    "ServerInformationParam",
    "SessionParam",
    "Stage",
    "SubSessionParam",
    "SubscribeItemKey",
    "SubscribeParam",
    "UnsubscribeParam",
    "WriteParam",
]

#: The nil UUID, which names the model root in ``browse``.
NIL_UUID: Final = _uuid.UUID(int=0)


class PacketType(IntEnum):
    """First element of every packet."""

    REQUEST = 0
    SUCCESS = 1
    ERROR = 2
    EVENT = 8


class EventType(IntEnum):
    """Second element of an event packet."""

    DATA_CHANGE = 0


class Opcode(IntEnum):
    """Command identifiers (third element of a request)."""

    SERVER_INFORMATION = 0
    BROWSE = 1
    META_DATA = 2
    LOOKUP = 3
    READ = 4
    WRITE = 5
    SUBSCRIBE = 6
    UNSUBSCRIBE = 7
    GET_STAGE = 8
    RESUME = 9  # not documented by Xentara; inferred from the stage machine
    SUSPEND = 10
    SHUTDOWN = 11
    CREATE_SUB_SESSION = 12
    CLOSE_SUB_SESSION = 13
    CLIENT_HELLO = 14
    CHECK_ACCESS = 15


class NamedIntEnum(IntEnum):
    """An :class:`~enum.IntEnum` that prints its name: in ``str()``, f-strings and ``print``.

    The number is still the value on the wire, in comparisons and arithmetic, and
    with a numeric format such as ``{:d}``; every Python prints the same:

    >>> str(Quality.GOOD), f"{Stage.OPERATIONAL}", f"{Category.DATA_POINT:d}"
    ('GOOD', 'OPERATIONAL', '2')
    """

    def __str__(self) -> str:
        return self.name

    def __format__(self, format_spec: str) -> str:
        if format_spec and format_spec[-1] in "bcdoxXneEfFgG%":
            return format(int(self), format_spec)
        return format(self.name, format_spec)


class Category(NamedIntEnum):
    """Element categories (``browse`` entry key 2, ``meta_data`` key 1)."""

    ROOT = 0
    ELEMENT_GROUP = 1
    DATA_POINT = 2
    TIMER = 3
    EXECUTION_TRACK = 4
    EXECUTION_PIPELINE = 5
    DEVICE = 6
    SUB_DEVICE = 7
    DEVICE_GROUP = 8
    DATA_POINT_GROUP = 9
    TRANSACTION = 10
    MICROSERVICE = 11
    AI = 12
    DATA_STORAGE = 13
    EXTERNAL_INTERFACE = 14
    SPECIAL_PURPOSE = 15

    @classmethod
    def parse(cls, category: Category | str | int) -> Category:
        """The category *category* names: a member, its number, or its name in any case.

        >>> Category.parse("data_point"), Category.parse("Data-Point"), Category.parse(6)
        (<Category.DATA_POINT: 2>, <Category.DATA_POINT: 2>, <Category.DEVICE: 6>)
        """
        if isinstance(category, str):
            wanted = category.strip().upper().replace("-", "_").replace(" ", "_")
            found = cls.__members__.get(wanted)
            if found is None:
                names = ", ".join(member.name.lower() for member in cls)
                raise InvalidArgument(f"unknown category {category!r}; one of: {names}")
            return found
        if isinstance(category, bool) or not isinstance(category, int):
            raise InvalidArgument(
                f"category must be a Category, its name or its number, not "
                f"{type(category).__name__} {category!r:.60}"
            )
        try:
            return cls(category)
        except ValueError:
            raise InvalidArgument(f"unknown category {category!r}") from None


class ServerInformation(IntEnum):
    """Items of ``server_information``."""

    VERSION = 0
    USER_NAME = 1
    MODEL_FILE_PATH = 2


class MetaData(IntEnum):
    """Items of ``meta_data``."""

    PRIMARY_KEY = 0
    CATEGORY = 1
    ATTRIBUTES = 2
    HAS_CHILDREN = 3


class Access(IntEnum):
    """Attribute access (attribute metadata key 2)."""

    READ_ONLY = 0
    WRITE_ONLY = 1
    READ_WRITE = 2

    @property
    def readable(self) -> bool:
        """Whether the attribute can be read."""
        return self is not Access.WRITE_ONLY

    @property
    def writable(self) -> bool:
        """Whether the attribute can be written."""
        return self is not Access.READ_ONLY


class DataType(IntEnum):
    """Attribute data types (attribute metadata key 3)."""

    BOOLEAN = 0
    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT32 = 9
    FLOAT64 = 10
    STRING = 11
    WSTRING = 12
    U8STRING = 13
    U16STRING = 14
    U32STRING = 15
    TIME_POINT = 16
    UUID = 17
    QUALITY = 18
    ELEMENT_CATEGORY = 19
    ERROR_CODE = 20
    CUSTOM = 21
    NONE = 22

    @property
    def integer_range(self) -> tuple[int, int] | None:
        """The inclusive range of an integer type, or ``None`` for other types.

        >>> DataType.INT16.integer_range
        (-32768, 32767)
        """
        return _INTEGER_RANGES.get(self)

    @property
    def is_string(self) -> bool:
        """Whether values of this type are text strings."""
        return DataType.STRING <= self <= DataType.U32STRING

    @property
    def is_float(self) -> bool:
        """Whether values of this type are floating point numbers."""
        return self in (DataType.FLOAT32, DataType.FLOAT64)


_INTEGER_RANGES: Final = {
    DataType.INT8: (-(2**7), 2**7 - 1),
    DataType.INT16: (-(2**15), 2**15 - 1),
    DataType.INT32: (-(2**31), 2**31 - 1),
    DataType.INT64: (-(2**63), 2**63 - 1),
    DataType.UINT8: (0, 2**8 - 1),
    DataType.UINT16: (0, 2**16 - 1),
    DataType.UINT32: (0, 2**32 - 1),
    DataType.UINT64: (0, 2**64 - 1),
    DataType.QUALITY: (0, 3),
    DataType.ELEMENT_CATEGORY: (0, 15),
}


class Quality(NamedIntEnum):
    """Quality of a value (attribute ``quality``)."""

    GOOD = 0
    ACCEPTABLE = 1
    UNRELIABLE = 2
    BAD = 3


class Stage(NamedIntEnum):
    """Operational stages (``get_stage``).

    Xentara documents 0 to 3 for the WebSocket interface. The suspended stage has no
    documented number: the simulator answers 4 for it, and the client does not rely
    on that number (``suspend()`` waits for any stage but operational; a stage
    number this enum lacks comes back as a plain int).
    """

    STARTUP = 0
    PRE_OPERATIONAL = 1
    OPERATIONAL = 2
    POST_OPERATIONAL = 3
    SUSPENDED = 4


class Attribute(IntEnum):
    """Well-known attributes, with the fixed UUIDs Xentara gives them.

    Requests may name a well-known attribute by its number or by its UUID.
    """

    PRIMARY_KEY = 0
    NAME = 1
    UUID = 2
    TYPE = 3
    CATEGORY = 4
    SOURCE_TIME = 5
    UPDATE_TIME = 6
    CHANGE_TIME = 7
    WRITE_TIME = 8
    QUALITY = 9
    DEVICE_STATE = 10
    VALUE = 11
    ERROR = 12
    WRITE_ERROR = 13

    @property
    def uuid(self) -> _uuid.UUID:
        """The fixed UUID of this attribute."""
        return _ATTRIBUTE_UUIDS[self]

    @property
    def wire_name(self) -> str:
        """The attribute's name as Xentara spells it (``"changeTime"``).

        >>> Attribute.CHANGE_TIME.wire_name
        'changeTime'
        """
        return _ATTRIBUTE_NAMES[self]

    @classmethod
    def from_key(cls, key: int | _uuid.UUID) -> Attribute | None:
        """The well-known attribute a request key names, or ``None``.

        *key* is an attribute number or UUID, as requests carry them.
        """
        if isinstance(key, _uuid.UUID):
            return _ATTRIBUTES_BY_UUID.get(key)
        try:
            return cls(key)
        except ValueError:
            return None

    @classmethod
    def from_name(cls, name: str) -> Attribute | None:
        """The well-known attribute called *name* (``"value"``, ``"changeTime"``,
        ``"change_time"`` or ``"CHANGE_TIME"``), or ``None``.

        >>> Attribute.from_name("change_time")
        <Attribute.CHANGE_TIME: 7>
        """
        return _ATTRIBUTES_BY_NAME.get(name.replace("_", "").lower())


_ATTRIBUTE_UUIDS: Final = {
    Attribute.PRIMARY_KEY: _uuid.UUID("ed22790e-261b-4a23-bfcc-6175a5571b33"),
    Attribute.NAME: _uuid.UUID("0f974e57-cb9a-4d46-8811-efe3d619ecb9"),
    Attribute.UUID: _uuid.UUID("b610a3e8-eff1-4a1a-b099-1939586b7aff"),
    Attribute.TYPE: _uuid.UUID("e1d217de-cf51-4852-8b90-d691a00871dc"),
    Attribute.CATEGORY: _uuid.UUID("cc9219e1-74b5-4be4-86c7-0fff12eb5324"),
    Attribute.SOURCE_TIME: _uuid.UUID("5f67b0fb-d000-4b7c-92e4-78a36cb05b9d"),
    Attribute.UPDATE_TIME: _uuid.UUID("91eed150-f62c-424b-ba59-9269b02e234c"),
    Attribute.CHANGE_TIME: _uuid.UUID("54f09787-dcbe-4fbf-9a02-524e469eea47"),
    Attribute.WRITE_TIME: _uuid.UUID("0a62de23-0564-4b91-8225-569dfa1ac04f"),
    Attribute.QUALITY: _uuid.UUID("d3c4b709-bccf-4665-9621-abfb5c6addce"),
    Attribute.DEVICE_STATE: _uuid.UUID("d0da9c4b-3240-404d-9f40-e52361b870e6"),
    Attribute.VALUE: _uuid.UUID("4aa0e4e0-521e-4599-a985-e454baa59f89"),
    Attribute.ERROR: _uuid.UUID("85a28731-2553-4886-8cd1-8b9d9980fa04"),
    Attribute.WRITE_ERROR: _uuid.UUID("70435d1d-224f-4c25-a1ac-5191d7514252"),
}
_ATTRIBUTE_NAMES: Final = {
    Attribute.PRIMARY_KEY: "key",
    Attribute.NAME: "name",
    Attribute.UUID: "UUID",
    Attribute.TYPE: "type",
    Attribute.CATEGORY: "category",
    Attribute.SOURCE_TIME: "sourceTime",
    Attribute.UPDATE_TIME: "updateTime",
    Attribute.CHANGE_TIME: "changeTime",
    Attribute.WRITE_TIME: "writeTime",
    Attribute.QUALITY: "quality",
    Attribute.DEVICE_STATE: "deviceState",
    Attribute.VALUE: "value",
    Attribute.ERROR: "error",
    Attribute.WRITE_ERROR: "writeError",
}
_ATTRIBUTES_BY_UUID: Final = {u: a for a, u in _ATTRIBUTE_UUIDS.items()}
_ATTRIBUTES_BY_NAME: Final = {
    **{a.name.replace("_", "").lower(): a for a in Attribute},
    **{n.lower(): a for a, n in _ATTRIBUTE_NAMES.items()},
}


# Parameter and result keys of the commands. Each command has its own small key space.


class ClientHelloParam(IntEnum):
    """``client_hello`` parameters; the result map uses key 0 for the version."""

    MINIMUM_VERSION = 0
    MAXIMUM_VERSION = 1


class BrowseParam(IntEnum):
    """``browse`` parameters."""

    ELEMENT = 0
    DEPTH = 1
    CATEGORIES = 2


class BrowseEntryKey(IntEnum):
    """Keys of one ``browse`` result entry."""

    PRIMARY_KEY = 0
    ELEMENT = 1
    CATEGORY = 2


class MetaDataParam(IntEnum):
    """``meta_data`` parameters."""

    ELEMENT = 0
    ITEMS = 1


class AttributeMetadataKey(IntEnum):
    """Keys of one attribute description in a ``meta_data`` result."""

    NAME = 0
    ID = 1
    ACCESS = 2
    DATA_TYPE = 3


class LookupParam(IntEnum):
    """``lookup`` parameters."""

    PRIMARY_KEY = 0


class ReadParam(IntEnum):
    """``read`` parameters."""

    ELEMENT = 0
    ATTRIBUTES = 1


class WriteParam(IntEnum):
    """``write`` parameters."""

    ELEMENT = 0
    ATTRIBUTE = 1
    VALUE = 2
    SUB_SESSION = 3


class ServerInformationParam(IntEnum):
    """``server_information`` parameters."""

    ITEMS = 0


class ClientHelloResult(IntEnum):
    """Keys of the ``client_hello`` result."""

    VERSION = 0


class CheckAccessResult(IntEnum):
    """Keys of the ``check_access`` result."""

    READ = 0
    WRITE = 1


class SubscribeItemKey(IntEnum):
    """Keys of one item of ``subscribe``'s array: an element and its attributes."""

    ELEMENT = 0
    ATTRIBUTES = 1


class PasswordKey(IntEnum):
    """Keys of the map inside a password (tag 123) of ``create_sub_session``."""

    USER = 0
    PASSWORD = 1


class SubscribeParam(IntEnum):
    """``subscribe`` parameters; key 0 holds ``{0: element, 1: [attributes]}`` maps."""

    ITEMS = 0
    MAXIMUM_UPDATE_RATE = 1
    MINIMUM_UPDATE_RATE = 2
    DESIRED_ID = 3


class UnsubscribeParam(IntEnum):
    """``unsubscribe`` parameters."""

    SUBSCRIPTION = 0


class SessionParam(IntEnum):
    """Parameters of ``suspend``, ``resume``, ``shutdown``, ``close_sub_session``
    and ``check_access``: key 0 is the sub-session id."""

    SESSION = 0


class SubSessionParam(IntEnum):
    """``create_sub_session`` parameters."""

    AUTHENTICATION = 0
    DESIRED_ID = 1


class EventKey(IntEnum):
    """Keys of a data-change event map."""

    TIMESTAMP = 0
    ELEMENT = 1
    ATTRIBUTES = 2


class ErrorKey(IntEnum):
    """Keys of an error object: ``[2, id, {0: code, 1: text}]`` and ``122({0: code, 1: text})``."""

    CODE = 0
    TEXT = 1
