"""Attribute tables: which attributes a kind of element has, with access and data type.

Every element of one kind (no value; or a value of one data type and access, with or
without a source time) shares one :class:`AttrTable`, built once: the answer to
``meta_data`` and the lookup of request keys (attribute numbers and UUIDs) cost
nothing per request.

>>> table = attribute_table(DataType.INT16, Access.READ_WRITE)
>>> table.by_key[Attribute.VALUE.uuid] == Attribute.VALUE, Attribute.WRITE_TIME in table.readable
(True, True)
>>> [entry[AttributeMetadataKey.NAME] for entry in attribute_table(None).metadata]
['primaryKey', 'name', 'UUID', 'type', 'category']
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
    to the attribute number; ``access`` and ``types`` hold each attribute's access and
    data type; ``readable`` the numbers of the attributes that can be read;
    ``metadata`` is the attribute list ``meta_data`` answers with.
    """

    __slots__ = ("access", "by_key", "metadata", "readable", "types")

    def __init__(self, attributes: list[tuple[Attribute, Access, DataType]]) -> None:
        self.access: dict[int, Access] = {int(a): acc for a, acc, _ in attributes}
        self.types: dict[int, DataType] = {int(a): t for a, _, t in attributes}
        self.by_key: dict[int | uuid.UUID, int] = {}
        for attribute, _, _ in attributes:
            self.by_key[int(attribute)] = int(attribute)
            self.by_key[attribute.uuid] = int(attribute)
        self.readable = {a for a, acc in self.access.items() if acc.readable}
        self.metadata = [
            {_M.NAME: a.wire_name, _M.ID: int(a), _M.ACCESS: int(acc), _M.DATA_TYPE: int(t)}
            for a, acc, t in attributes
        ]


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
