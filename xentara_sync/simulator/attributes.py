"""Attribute tables: which attributes a kind of element has, with access and data type.

Every element of one kind (no value; or a value of one data type and access, with or
without a source time) shares one :class:`AttrTable`, built once: the answer to
``meta_data`` and the lookup of request keys (attribute numbers and UUIDs) cost
nothing per request.

>>> table = attribute_table(DataType.INT16, Access.READ_WRITE)
>>> table.by_key[Attribute.VALUE.uuid] == Attribute.VALUE, Attribute.WRITE_TIME in table.readable
(True, True)
>>> [entry[AttributeMetadataKey.NAME] for entry in attribute_table(None).metadata]
['key', 'name', 'UUID', 'type', 'category']
"""

from __future__ import annotations

import uuid
from typing import Final

from ..protocol import Access, Attribute, AttributeMetadataKey, DataType

__all__ = ["AttrTable", "attribute_table"]

_M = AttributeMetadataKey


class AttrTable:
    """The attributes of one kind of element, shared by every element of that kind.

    ``by_key`` maps every accepted request key (attribute number and attribute UUID)
    to the attribute's number in the simulator; ``access`` and ``types`` hold each
    attribute's access and data type by that number; ``readable`` the numbers of
    the attributes that can be read; ``metadata`` is the attribute list
    ``meta_data`` answers with. A well-known attribute's number is its wire number;
    an attribute the element holds as a constant (:data:`FIRST_CONSTANT` and up:
    ``units``, ``displayName``, the attributes a twin copies) has a number of its
    own that never leaves the simulator.
    """

    __slots__ = ("_entries", "access", "by_key", "metadata", "readable", "types")

    def __init__(self, attributes: list[tuple[Attribute, Access, DataType]]) -> None:
        self._fill([(a.wire_name, int(a), int(a), acc, t) for a, acc, t in attributes])

    @classmethod
    def of(cls, entries: list[Entry]) -> AttrTable:
        """A table of ``(name, wire id, number, access, data type)`` entries, in order."""
        table = cls.__new__(cls)
        table._fill(entries)
        return table

    def _fill(self, entries: list[Entry]) -> None:
        self._entries = tuple(entries)
        self.access: dict[int, Access] = {n: acc for _, _, n, acc, _ in entries}
        self.types: dict[int, DataType] = {n: t for _, _, n, _, t in entries}
        self.by_key: dict[int | uuid.UUID, int] = {}
        for _, wire, number, _, _ in entries:
            self.by_key[wire] = number
            well_known = Attribute.from_key(wire)
            if well_known is not None:  # a well-known attribute: by number and UUID
                self.by_key[int(well_known)] = number
                self.by_key[well_known.uuid] = number
        self.readable = {n for n, acc in self.access.items() if acc.readable}
        self.metadata = [
            {_M.NAME: name, _M.ID: wire, _M.ACCESS: int(acc), _M.DATA_TYPE: int(t)}
            for name, wire, _, acc, t in entries
        ]

    def entries(self) -> list[Entry]:
        """The table's ``(name, wire id, number, access, data type)`` entries."""
        return list(self._entries)


#: One attribute of a table: name, wire id (number or UUID), the simulator's number
#: for it, access, data type.
Entry = tuple[str, "int | uuid.UUID", int, Access, DataType]
#: The first of the numbers of attributes an element holds as constants.
FIRST_CONSTANT: Final = 32


_RO: Final = Access.READ_ONLY
#: The attributes of every element.
_BASE: Final = [
    (Attribute.PRIMARY_KEY, _RO, DataType.STRING),
    (Attribute.NAME, _RO, DataType.STRING),
    (Attribute.UUID, _RO, DataType.UUID),
    (Attribute.TYPE, _RO, DataType.STRING),
    (Attribute.CATEGORY, _RO, DataType.ELEMENT_CATEGORY),
]
_TABLES: dict[tuple[DataType | None, Access, bool], AttrTable] = {}


def attribute_table(
    data_type: DataType | None, value_access: Access = _RO, *, source: bool = False
) -> AttrTable:
    """The shared table of elements with a value of *data_type* (``None``: no value).

    A value has quality, change, update and error attributes besides; *source* adds
    the source time (inputs and signals), a writable value the write time and the
    write error.
    """
    key = (data_type, value_access, source)
    table = _TABLES.get(key)
    if table is None:
        attributes = list(_BASE)
        if data_type is not None:
            attributes += [
                (Attribute.VALUE, value_access, data_type),
                (Attribute.QUALITY, _RO, DataType.QUALITY),
                (Attribute.CHANGE_TIME, _RO, DataType.TIME_POINT),
                (Attribute.UPDATE_TIME, _RO, DataType.TIME_POINT),
            ]
            if source:
                attributes.append((Attribute.SOURCE_TIME, _RO, DataType.TIME_POINT))
            if value_access.writable:
                attributes.append((Attribute.WRITE_TIME, _RO, DataType.TIME_POINT))
            attributes.append((Attribute.ERROR, _RO, DataType.ERROR_CODE))
            if value_access.writable:
                attributes.append((Attribute.WRITE_ERROR, _RO, DataType.ERROR_CODE))
        table = _TABLES[key] = AttrTable(attributes)
    return table
