"""The attribute lists of a twin's elements: those ``meta_data`` gave, parsed once
for every element that has the same (:class:`Listed`), and those the simulator
gives a twin register by itself (:func:`register_list`). Sans I/O."""

from __future__ import annotations

import uuid
from typing import Any, Final

from ..protocol import Access, Attribute, AttributeMetadataKey, DataType

__all__ = ["BASE_LIST", "REGISTER_TYPE", "Listed", "entry", "register_list"]

#: The model type of data points in a twin.
REGISTER_TYPE: Final = "@Skill.SignalFlow.Register"
_TYPE: Final = int(Attribute.TYPE)
_QUALITY: Final = int(Attribute.QUALITY)
_NAME_KEY: Final = int(AttributeMetadataKey.NAME)
_ID_KEY: Final = int(AttributeMetadataKey.ID)
_ACCESS_KEY: Final = int(AttributeMetadataKey.ACCESS)
_TYPE_KEY: Final = int(AttributeMetadataKey.DATA_TYPE)
_ACCESS_NAMES: Final = {
    Access.READ_ONLY: "readOnly",
    Access.WRITE_ONLY: "writeOnly",
    Access.READ_WRITE: "readWrite",
}
_RO: Final = int(Access.READ_ONLY)
_TIME: Final = int(DataType.TIME_POINT)
#: The attributes every element of the simulator has: (name, id, access, data type).
BASE_LIST: Final = (
    ("key", 0, _RO, int(DataType.STRING)),
    ("name", 1, _RO, int(DataType.STRING)),
    ("UUID", 2, _RO, int(DataType.UUID)),
    ("type", 3, _RO, int(DataType.STRING)),
    ("category", 4, _RO, int(DataType.ELEMENT_CATEGORY)),
)
#: Attributes a twin element computes itself: with a value, and without.
_LIVE_POINT: Final = frozenset({0, 1, 2, 4, 5, 6, 7, 8, 11, 12, 13})
_LIVE_OTHER: Final = frozenset({0, 1, 2, 4})


def register_list(data_type: DataType, access: Access) -> tuple[tuple[Any, ...], ...]:
    """The attribute list of a twin register of *data_type* and *access*, as the
    simulator serves it: ``(name, id, access, data type)`` each."""
    listed = [
        *BASE_LIST,
        ("value", 11, int(access), int(data_type)),
        ("quality", 9, _RO, int(DataType.QUALITY)),
        ("changeTime", 7, _RO, _TIME),
        ("updateTime", 6, _RO, _TIME),
    ]
    if access is Access.READ_ONLY:
        listed.append(("sourceTime", 5, _RO, _TIME))
    if access.writable:
        listed.append(("writeTime", 8, _RO, _TIME))
    return tuple(listed)


def entry(raw: object) -> tuple[Any, ...] | None:
    """An attribute-metadata map as ``(name, id, access, data type)``; None if odd."""
    if type(raw) is not dict:
        return None
    entry = (raw.get(_NAME_KEY), raw.get(_ID_KEY), raw.get(_ACCESS_KEY), raw.get(_TYPE_KEY))
    if not isinstance(entry[0], str) or not isinstance(entry[1], (int, uuid.UUID)):
        return None
    if not isinstance(entry[2], int) or not isinstance(entry[3], int):
        return None
    return entry


class Listed:
    """An attribute list as ``meta_data`` gave it, parsed once for every element
    that has the same one (most elements of a model share a few): its entries,
    and what the twin derives from them (the keys :meth:`TwinBuilder.more_reads`
    asks for, the ``"attributeList"`` of each model type), computed once."""

    __slots__ = ("_places", "copies", "entries", "more")

    def __init__(self, entries: tuple[tuple[Any, ...], ...]) -> None:
        self.entries = entries
        #: Data point or not -> the keys to read besides the first read's.
        self.more: dict[bool, list[Any]] = {}
        #: (model type, value kind) -> the ``"attributeList"`` (None: the native one).
        self.copies: dict[tuple[str, Any], list[list[Any]] | None] = {}
        self._places: dict[Any, list[tuple[int, str, DataType]]] | None = None

    def places(self) -> dict[Any, list[tuple[int, str, DataType]]]:
        """Attribute key -> (its place in the list, its name, its data type) of each
        entry with that key."""
        if self._places is None:
            places: dict[Any, list[tuple[int, str, DataType]]] = {}
            for index, (name, wire, _, data_type) in enumerate(self.entries):
                places.setdefault(wire, []).append((index, name, _known_type(data_type)))
            self._places = places
        return self._places

    def more_keys(self, point: bool) -> list[Any]:
        keys = self.more.get(point)
        if keys is None:
            live = _LIVE_POINT if point else _LIVE_OTHER
            keys = self.more[point] = [
                entry[1]
                for entry in self.entries
                if entry[1] not in live
                and entry[1] not in (_TYPE, _QUALITY)
                and entry[2] != Access.WRITE_ONLY
            ]
        return keys

    def copy(self, model_type: str, kind: tuple[DataType, Access] | None) -> list[list[Any]] | None:
        """The ``"attributeList"`` a twin element of *model_type* (a register: with a
        value of *kind*) needs, or None if its own list is this one. A fresh list."""
        key = (model_type, kind)
        if key not in self.copies:
            if model_type == REGISTER_TYPE:
                if kind is None:
                    native: tuple[tuple[Any, ...], ...] = ()
                else:  # the register's type: every kind of string a string
                    data_type = DataType.STRING if kind[0].is_string else kind[0]
                    native = register_list(data_type, kind[1])
            else:
                native = BASE_LIST
            self.copies[key] = (
                None
                if self.entries == native
                else [
                    [
                        name,
                        str(wire) if isinstance(wire, uuid.UUID) else wire,
                        _access(access),
                        _data_type(data_type),
                    ]
                    for name, wire, access, data_type in self.entries
                ]
            )
        copied = self.copies[key]
        return None if copied is None else [list(entry) for entry in copied]


def _access(number: int) -> str | int:
    try:
        return _ACCESS_NAMES[Access(number)]
    except ValueError:
        return number


def _data_type(number: int) -> str | int:
    try:
        return DataType(number).name.lower()
    except ValueError:
        return number


def _known_type(number: int) -> DataType:
    try:
        return DataType(number)
    except ValueError:
        return DataType.CUSTOM
