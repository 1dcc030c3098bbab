"""What a client knows of the element tree: names, UUIDs, categories, attribute metadata.

The index is built from ``browse`` results and answers name look-ups without a round
trip; a wrong name gets close-match suggestions:

>>> import uuid
>>> index = ElementIndex([ElementInfo("Hardware.Output 1", uuid.uuid4(), Category.DATA_POINT)])
>>> index.get("Hardware.Output 1").category
<Category.DATA_POINT: 2>
>>> index.suggestions("Hardware.Outptu 1")
['Hardware.Output 1']
"""

from __future__ import annotations

import datetime as _dt
import difflib
import operator
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..exceptions import InvalidArgument, ReadOnly, ServerError
from . import Access, Attribute, Category, DataType, Quality
from .arguments import protocol_integer
from .quoting import quote
from .valuecheck import ValueRejected, check_value

__all__ = [
    "AttributeInfo",
    "ElementIndex",
    "ElementInfo",
    "ElementMetadata",
    "Event",
    "ServerInfo",
    "attribute_key",
    "check_write",
    "convert_value",
]


class ElementInfo(NamedTuple):
    """One element as ``browse`` reports it."""

    key: str
    """The primary key, e.g. ``"Hardware.EtherCAT Bus.EL2624.Output 1"``."""
    uuid: uuid.UUID
    category: Category


class AttributeInfo(NamedTuple):
    """One attribute of an element, as ``meta_data`` reports it."""

    name: str
    """The attribute's name as Xentara spells it (``"value"``, ``"changeTime"``)."""
    id: int | uuid.UUID
    """The attribute's number (well-known attributes) or UUID."""
    access: Access
    data_type: DataType


@dataclass(frozen=True)
class ElementMetadata:
    """The ``meta_data`` of one element."""

    key: str
    category: Category
    attributes: Mapping[str, AttributeInfo] = field(default_factory=dict)
    has_children: bool = False

    def attribute(self, name: str | int | uuid.UUID | Attribute) -> AttributeInfo | None:
        """The attribute called or numbered *name*, or ``None``."""
        if isinstance(name, str):
            found = self.attributes.get(name)
            if found is not None:
                return found
            well_known = Attribute.from_name(name)
            if well_known is None:
                return None
            name = well_known
        wanted = attribute_key(name)
        for info in self.attributes.values():
            if info.id == wanted or (
                isinstance(info.id, uuid.UUID) and Attribute.from_key(info.id) == wanted
            ):
                return info
        return None


class Event(NamedTuple):
    """One value change delivered by a subscription.

    >>> event = Event(1704107471.5, "Hardware.Registers.Speed", uuid.UUID(int=1), 42)
    >>> timestamp, name, element, value = event
    >>> event.value
    42
    """

    timestamp: float
    """When the change was recorded, in seconds since the epoch (as :func:`time.time`)."""
    name: str
    """The element's primary key."""
    uuid: uuid.UUID
    """The element's UUID."""
    value: Any
    """The new value (an :class:`~xentara_sync.protocol.AttributeFault` if in error)."""

    @property
    def datetime(self) -> _dt.datetime:
        """:attr:`timestamp` as a timezone-aware UTC :class:`~datetime.datetime`.

        >>> Event(1704107471.5, "Hardware.Registers.Speed", uuid.UUID(int=1), 42).datetime
        datetime.datetime(2024, 1, 1, 11, 11, 11, 500000, tzinfo=datetime.timezone.utc)
        """
        return _dt.datetime.fromtimestamp(self.timestamp, _dt.timezone.utc)


class ServerInfo(NamedTuple):
    """What ``server_information`` tells about the server."""

    version: str | None
    user_name: str | None
    model_file_path: str | None


class ElementIndex:
    """Primary key <-> UUID <-> category of the elements a client knows.

    Iteration yields primary keys in model order.
    """

    __slots__ = ("_by_key", "_by_uuid")

    def __init__(self, elements: Iterable[ElementInfo] = ()) -> None:
        self._by_key: dict[str, ElementInfo] = {e.key: e for e in elements}
        self._by_uuid: dict[uuid.UUID, ElementInfo] = {e.uuid: e for e in self._by_key.values()}

    def get(self, key: str) -> ElementInfo | None:
        """The element with primary key *key*, or ``None``."""
        return self._by_key.get(key)

    def by_uuid(self, element: uuid.UUID) -> ElementInfo | None:
        """The element with this UUID, or ``None``."""
        return self._by_uuid.get(element)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def values(self) -> Iterable[ElementInfo]:
        """Every element, in model order."""
        return self._by_key.values()

    def suggestions(self, key: str, count: int = 3) -> list[str]:
        """Known primary keys that look like *key*, best first."""
        keys = list(self._by_key)
        close = difflib.get_close_matches(key, keys, n=count, cutoff=0.6)
        if close:
            return close
        # A mistyped last segment: compare the names of the elements only.
        last = key.rsplit(".", 1)[-1].lower()
        names: dict[str, str] = {}
        for known in keys:
            names.setdefault(known.rsplit(".", 1)[-1].lower(), known)
        return [names[n] for n in difflib.get_close_matches(last, list(names), n=count)]


def attribute_key(attribute: str | int | uuid.UUID | Attribute) -> int | uuid.UUID:
    """The wire key of an attribute given by name, number or UUID.

    >>> attribute_key("change_time"), attribute_key("value"), attribute_key(9)
    (7, 11, 9)
    """
    if type(attribute) is str:
        found = _KEYS_BY_NAME.get(attribute)
        if found is not None:
            return found
    if isinstance(attribute, uuid.UUID):
        well_known = Attribute.from_key(attribute)
        return int(well_known) if well_known is not None else attribute
    if isinstance(attribute, int) and not isinstance(attribute, bool):
        return protocol_integer(int(attribute), "attribute")
    if not isinstance(attribute, str):
        number = _index(attribute)
        if number is None:
            raise InvalidArgument(
                "attribute must be a name (str), an int or a uuid.UUID, "
                f"not {type(attribute).__name__} {quote(attribute)}"
            )
        return protocol_integer(number, "attribute")
    if isinstance(attribute, str):
        well_known = Attribute.from_name(attribute)
        if well_known is not None:
            return int(well_known)
        try:
            return uuid.UUID(attribute)
        except ValueError:
            pass
    names = [a.wire_name for a in Attribute]
    close = difflib.get_close_matches(str(attribute), names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise InvalidArgument(
        f"unknown attribute {attribute!r}; {hint}the well-known attributes are {', '.join(names)}"
    )


def _index(value: object) -> int | None:
    """*value* as an int if it is an integer other than a bool (``numpy.int64``...)."""
    kind = type(value)
    if kind.__name__ in ("bool", "bool_") or not hasattr(kind, "__index__"):
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


#: Wire keys of the well-known attributes by every name they are known by.
_KEYS_BY_NAME: dict[str, int] = {
    name: int(attribute)
    for attribute in Attribute
    for name in (attribute.wire_name, attribute.name.lower())
}

_CONVERTERS: dict[int, Any] = {
    Attribute.QUALITY: Quality,
    Attribute.CATEGORY: Category,
}


def convert_value(key: int | uuid.UUID, value: Any) -> Any:
    """Give a read value its Python type (quality -> :class:`Quality`, ...)."""
    convert = _CONVERTERS.get(key) if isinstance(key, int) else None
    if convert is not None and isinstance(value, int):
        try:
            return convert(value)
        except ValueError:
            return value
    return value


def check_write(info: AttributeInfo, value: Any, *, element: str) -> Any:
    """Check *value* against the attribute's access and data type before sending it.

    Returns the value to send: the rule of :mod:`xentara_sync.protocol.valuecheck`,
    which the simulator applies too (a ``float32`` is rounded to single precision,
    an integral float for an integer becomes an ``int``, a
    :class:`~datetime.datetime` for a time stamp a
    :class:`~xentara_sync.protocol.TimePoint`). Raises :class:`ReadOnly`,
    :class:`TypeMismatch`, :class:`OutOfRange` or :class:`IllegalValue`, naming the
    element, so that a bad write never leaves the client.

    >>> info = AttributeInfo("value", 11, Access.READ_WRITE, DataType.UINT8)
    >>> check_write(info, 300, element="Level")
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.OutOfRange: write 'Level' failed: 300 is outside uint8 (0..255) (-32105)
    >>> check_write(info, 3.0, element="Level")
    3
    """
    if not info.access.writable:
        raise ReadOnly(text=f"{info.name} is read only", operation="write", element=element)
    try:
        return check_value(info.data_type, value)
    except ValueRejected as exc:
        raise ServerError.from_code(
            int(exc.code), exc.text, operation="write", element=element
        ) from None
