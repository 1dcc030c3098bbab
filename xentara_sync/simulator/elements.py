"""Elements of the simulated model and the values of its data points.

An :class:`Element` answers its own attributes (primary key, name, UUID, type
(its documented name, see :mod:`.typenames`), category); a data point's value
attributes come from its :class:`Point` (shared with the ``@DataPoint`` elements
that show it). Every change of a point goes to its :class:`Watch` list as a bit
mask of the changed attributes (bit *n* for attribute number *n*); each watch
passes on the bits its subscription asked for.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any, Final, Protocol

from ..protocol import (
    Attribute,
    AttributeFault,
    BrowseEntryKey,
    Category,
    DataType,
    ErrorCode,
    Quality,
    TimePoint,
)
from .attributes import FIRST_CONSTANT, attribute_table
from .datatypes import coerce
from .typenames import type_name

__all__ = [
    "CHANGE_BIT",
    "SOURCE_BIT",
    "UPDATE_BIT",
    "VALUE_BIT",
    "WRITE_BIT",
    "Element",
    "Marker",
    "Point",
    "Watch",
]

#: Change mask bits (``1 << attribute``) of the attributes a value change moves.
VALUE_BIT: Final = 1 << Attribute.VALUE
CHANGE_BIT: Final = 1 << Attribute.CHANGE_TIME
UPDATE_BIT: Final = 1 << Attribute.UPDATE_TIME
SOURCE_BIT: Final = 1 << Attribute.SOURCE_TIME
WRITE_BIT: Final = 1 << Attribute.WRITE_TIME

# Attribute numbers as plain ints: reads compare against them on the hot path.
_PRIMARY_KEY: Final = int(Attribute.PRIMARY_KEY)
_NAME: Final = int(Attribute.NAME)
_UUID: Final = int(Attribute.UUID)
_TYPE: Final = int(Attribute.TYPE)
#: The last of the attributes every element has; the ones above it are a value's.
_CATEGORY: Final = int(Attribute.CATEGORY)
_VALUE: Final = int(Attribute.VALUE)
_QUALITY: Final = int(Attribute.QUALITY)
_CHANGE_TIME: Final = int(Attribute.CHANGE_TIME)
_UPDATE_TIME: Final = int(Attribute.UPDATE_TIME)
_SOURCE_TIME: Final = int(Attribute.SOURCE_TIME)
_WRITE_TIME: Final = int(Attribute.WRITE_TIME)

_ENTRY_PRIMARY_KEY: Final = int(BrowseEntryKey.PRIMARY_KEY)
_ENTRY_ELEMENT: Final = int(BrowseEntryKey.ELEMENT)
_ENTRY_CATEGORY: Final = int(BrowseEntryKey.CATEGORY)

_NO_ERROR: Final = int(ErrorCode.NO_ERROR)
_WRITE_ONLY: Final = AttributeFault(ErrorCode.WRITE_ONLY, ErrorCode.WRITE_ONLY.text)


# --------------------------------------------------------------------------- values


class Marker(Protocol):
    """What a :class:`Watch` reports changes to (a subscription)."""

    def mark(self, watch: Watch, mask: int) -> None: ...


class Watch:
    """One subscribed element of one subscription: its keys and attribute mask.

    ``keys`` pairs each key as the client sent it (int or UUID) with the attribute
    number; ``mask`` has bit *n* set for each subscribed attribute *n*.
    """

    __slots__ = ("element", "keys", "mask", "subscription")

    def __init__(
        self, subscription: Marker, element: Element, keys: list[tuple[int | uuid.UUID, int]]
    ) -> None:
        self.subscription = subscription
        self.element = element
        self.keys = keys
        mask = 0
        for _, attribute in keys:
            mask |= 1 << attribute
        self.mask = mask


class Point:
    """The value of a data point with its quality and time stamps.

    A register or output changes only when written; an input only through the
    simulator's :meth:`~xentara_sync.simulator.Simulator.set_value` hook. Every
    change is reported to the point's :attr:`watches`.
    """

    __slots__ = (
        "change",
        "data_type",
        "quality",
        "register",
        "source",
        "update",
        "value",
        "watches",
        "write",
    )

    def __init__(
        self,
        data_type: DataType,
        value: Any,
        now: TimePoint,
        *,
        register: bool = False,
        quality: Quality = Quality.GOOD,
    ) -> None:
        self.data_type = data_type
        self.value = value
        self.quality = int(quality)
        self.change = self.update = self.source = self.write = now
        self.register = register
        self.watches: list[Watch] = []

    def refresh(self) -> None:
        """Bring a computed value up to date (nothing to do for stored values)."""

    def get(self, attribute: int) -> Any:
        """The current value of *attribute* (one of the value attributes)."""
        if attribute == _VALUE:
            return self.value
        if attribute == _QUALITY:
            return self.quality
        if attribute == _CHANGE_TIME:
            return self.change
        if attribute == _UPDATE_TIME:
            return self.update
        if attribute == _SOURCE_TIME:
            return self.source
        if attribute == _WRITE_TIME:
            return self.write
        return _NO_ERROR  # error and write error

    def store(self, value: Any, *, written: bool) -> None:
        """Store a value that was already coerced to the point's type.

        *written* marks a client write (it moves the write time). Registers move
        the write time on every change: their update time is their write time.
        """
        now = TimePoint.now()
        mask = UPDATE_BIT | SOURCE_BIT
        if written or self.register:
            self.write = now
            mask |= WRITE_BIT
        if value != self.value or type(value) is not type(self.value):
            self.value = value
            self.change = now
            mask |= VALUE_BIT | CHANGE_BIT
        self.update = self.source = now
        self.notify(mask)

    def set(self, value: Any) -> None:
        """Set the value as if the field changed (type-checked; raises ``Rejected``)."""
        self.store(coerce(self.data_type, value), written=False)

    def notify(self, mask: int) -> None:
        """Report the attributes in *mask* as changed to every watch."""
        for watch in self.watches:
            bits = mask & watch.mask
            if bits:
                watch.subscription.mark(watch, bits)

    def add_watch(self, watch: Watch) -> None:
        """Start reporting changes to *watch*."""
        self.watches.append(watch)

    def remove_watch(self, watch: Watch) -> None:
        """Stop reporting changes to *watch*."""
        try:
            self.watches.remove(watch)
        except ValueError:
            pass


# --------------------------------------------------------------------------- elements


class Element:
    """One element of the model.

    ``key`` is the primary key (names joined by ``.``), ``entry`` the precomputed
    ``browse`` entry, ``table`` the shared :class:`~.attributes.AttrTable`,
    ``point`` the value state of a data point (shared with the ``@DataPoint``
    elements that show it).
    """

    __slots__ = (
        "category",
        "children",
        "constants",
        "entry",
        "key",
        "name",
        "parent",
        "point",
        "settings",
        "table",
        "type",
        "uuid",
    )

    def __init__(
        self,
        key: str,
        name: str,
        element_uuid: uuid.UUID,
        element_type: str,
        category: Category,
        parent: Element | None,
        settings: Mapping[str, Any],
    ) -> None:
        self.key = key
        self.name = name
        self.uuid = element_uuid
        self.type = element_type
        self.category = category
        self.parent = parent
        self.settings = settings
        self.children: list[Element] = []
        self.point: Point | None = None
        self.table = attribute_table(None)
        #: The values of the attributes the element holds as constants, by the
        #: simulator's number for them (:data:`.attributes.FIRST_CONSTANT` and up).
        self.constants: dict[int, Any] | None = None
        self.entry: dict[int, Any] = {
            _ENTRY_PRIMARY_KEY: key,
            _ENTRY_ELEMENT: element_uuid,
            _ENTRY_CATEGORY: int(category),
        }

    def __repr__(self) -> str:
        return f"<Element {self.key!r} {self.category.name}>"

    def get(self, attribute: int) -> Any:
        """The raw value of *attribute*, or an :class:`AttributeFault` if unreadable.

        *attribute* must be in the element's table.
        """
        if attribute >= FIRST_CONSTANT:
            if attribute not in self.table.readable:
                return _WRITE_ONLY
            constants = self.constants
            assert constants is not None
            return constants[attribute]
        if attribute > _CATEGORY:
            if attribute not in self.table.readable:
                return _WRITE_ONLY
            point = self.point
            assert point is not None
            return point.get(attribute)
        if attribute == _PRIMARY_KEY:
            return self.key
        if attribute == _NAME:
            return self.name
        if attribute == _UUID:
            return self.uuid
        if attribute == _TYPE:
            return type_name(self.type)
        return int(self.category)

    def walk(self, depth: int | None = None) -> Iterator[Element]:
        """The descendants in model order (pre-order), down to *depth* levels."""
        if depth is not None:
            if depth <= 0:
                return
            depth -= 1
        for child in self.children:
            yield child
            if child.children and depth != 0:
                yield from child.walk(depth)

    def descendants(self) -> list[Element]:
        """Every descendant in model order (an explicit stack, no recursion)."""
        result: list[Element] = []
        stack = list(reversed(self.children))
        append, pop, extend = result.append, stack.pop, stack.extend
        while stack:
            element = pop()
            append(element)
            if element.children:
                extend(reversed(element.children))
        return result
