"""Reading the server's answers: results of browse, meta_data, read, lookup and the rest.

Pure functions of decoded results; each raises
:class:`~xentara_sync.exceptions.ProtocolError` naming the operation when an answer does
not have the shape the protocol gives it.

>>> import uuid
>>> from xentara_sync.protocol import wrap
>>> element = uuid.UUID(int=1)
>>> [e.key for e in browse_entries([["Hardware.Output 1", element, 2]])]
['Hardware.Output 1']
>>> read_value({11: wrap(True)}, 11, "Hardware.Output 1")
True
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, Final

from ..exceptions import ProtocolError, ServerError
from .browsescan import BrowseEntries
from .ids import (
    Access,
    AttributeMetadataKey,
    BrowseEntryKey,
    Category,
    CheckAccessResult,
    DataType,
    MetaData,
    ServerInformation,
    Stage,
)
from .index import (
    AttributeInfo,
    ElementInfo,
    ElementMetadata,
    ServerInfo,
    convert_value,
)
from .quoting import quote
from .timepoint import TimePoint
from .values import AttributeFault, unwrap

__all__ = [
    "access",
    "browse_entries",
    "event_seconds",
    "expect_uuid",
    "metadata",
    "read_value",
    "server_info",
    "stage",
]

#: The server information items a client asks for, in :class:`ServerInfo` order.
SERVER_INFO_ITEMS: Final = [
    ServerInformation.VERSION,
    ServerInformation.USER_NAME,
    ServerInformation.MODEL_FILE_PATH,
]
#: The meta_data items a client asks for.
METADATA_ITEMS: Final = [
    MetaData.PRIMARY_KEY,
    MetaData.CATEGORY,
    MetaData.ATTRIBUTES,
    MetaData.HAS_CHILDREN,
]


def read_value(result: Any, wanted: int | uuid.UUID, key: str) -> Any:
    """The value of attribute *wanted* in a read result; an attribute in error raises."""
    try:
        item = result[wanted]
    except (KeyError, TypeError, IndexError):
        raise ProtocolError(f"read {key!r}: the answer lacks attribute {quote(wanted)}") from None
    value = unwrap(item)
    if type(value) is AttributeFault:
        raise ServerError.from_code(value.code, value.text, operation="read", element=key)
    return convert_value(wanted, value)


def expect_uuid(value: Any, operation: str) -> uuid.UUID:
    """*value*, which must be a UUID (the result of a lookup)."""
    if not isinstance(value, uuid.UUID):
        raise ProtocolError(f"{operation}: expected a UUID, got {quote(value)}")
    return value


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def server_info(result: Any, *, strict: bool = True) -> ServerInfo:
    """The :class:`ServerInfo` in a server_information result.

    With *strict* false, a result that is not a map gives an empty :class:`ServerInfo`
    (connecting does not fail on a server that says little about itself).
    """
    if not isinstance(result, Mapping):
        if strict:
            raise ProtocolError(f"server_information: expected a map, got {quote(result)}")
        return ServerInfo(None, None, None)
    return ServerInfo(*(_text_or_none(result.get(item)) for item in SERVER_INFO_ITEMS))


def stage(result: Any) -> Stage | int:
    """The :class:`Stage` in a get_stage result (a number if the stage is unknown)."""
    if not isinstance(result, int) or isinstance(result, bool):
        raise ProtocolError(f"get_stage: expected an integer, got {quote(result)}")
    try:
        return Stage(result)
    except ValueError:
        return result


def _category(value: Any) -> Category:
    try:
        return Category(value)
    except ValueError:
        return value  # type: ignore[no-any-return]  # a category this package does not know


def access(result: Any) -> tuple[bool, bool]:
    """``(read, write)`` in a check_access result ``{0: read, 1: write}``.

    >>> access({0: True, 1: False})
    (True, False)
    """
    try:
        read, write = result[CheckAccessResult.READ], result[CheckAccessResult.WRITE]
    except (KeyError, TypeError, IndexError):
        raise ProtocolError(
            f"check_access: expected {{0: bool, 1: bool}}, got {quote(result)}"
        ) from None
    if not isinstance(read, bool) or not isinstance(write, bool):
        raise ProtocolError(f"check_access: expected {{0: bool, 1: bool}}, got {quote(result)}")
    return read, write


def browse_entries(result: Any) -> Iterator[ElementInfo]:
    """The elements of a browse result, in the server's order (a result that
    :func:`~.browsescan.scan_browse` read is its elements already)."""
    if type(result) is BrowseEntries:
        return iter(result)
    return _decoded_entries(result)


def _decoded_entries(result: Any) -> Iterator[ElementInfo]:
    if not isinstance(result, list):
        raise ProtocolError(f"browse: expected an array of entries, got {type(result).__name__}")
    # Plain ints and a dictionary look-up per category: a browse may list 100,000.
    key_at, element_at, category_at = _BROWSE_KEYS
    known = Category._value2member_map_
    for entry in result:
        try:
            key = entry[key_at]
            element = entry[element_at]
            category = entry[category_at]
        except (KeyError, TypeError, IndexError):
            raise ProtocolError(f"browse: malformed entry {quote(entry)}") from None
        if not isinstance(key, str) or not isinstance(element, uuid.UUID):
            raise ProtocolError(f"browse: malformed entry {quote(entry)}")
        found = known.get(category) if type(category) is int else None
        # tuple.__new__: the entry without running the named tuple's Python __new__.
        yield _new_entry(
            ElementInfo, (key, element, found if found is not None else _category(category))
        )


_new_entry: Final = tuple.__new__
_BROWSE_KEYS: Final = (
    int(BrowseEntryKey.PRIMARY_KEY),
    int(BrowseEntryKey.ELEMENT),
    int(BrowseEntryKey.CATEGORY),
)


def metadata(result: Any, key: str) -> ElementMetadata:
    """The :class:`ElementMetadata` in a meta_data result for element *key*."""
    if not isinstance(result, Mapping):
        raise ProtocolError(f"meta_data {key!r}: expected a map, got {quote(result)}")
    attributes: dict[str, AttributeInfo] = {}
    for entry in result.get(MetaData.ATTRIBUTES) or ():
        try:
            info = AttributeInfo(
                str(entry[AttributeMetadataKey.NAME]),
                entry[AttributeMetadataKey.ID],
                Access(entry[AttributeMetadataKey.ACCESS]),
                DataType(entry[AttributeMetadataKey.DATA_TYPE]),
            )
        except (KeyError, TypeError, ValueError, IndexError):
            raise ProtocolError(f"meta_data {key!r}: malformed attribute {quote(entry)}") from None
        attributes[info.name] = info
    return ElementMetadata(
        key=str(result.get(MetaData.PRIMARY_KEY, key)),
        category=_category(result.get(MetaData.CATEGORY, Category.ROOT)),
        attributes=attributes,
        has_children=bool(result.get(MetaData.HAS_CHILDREN, False)),
    )


def event_seconds(stamp: Any) -> float:
    """An event's time stamp in seconds since the epoch (now, if it sent none usable)."""
    if type(stamp) is TimePoint:
        return stamp.ns / 1e9
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
        return float(stamp)
    return time.time()
