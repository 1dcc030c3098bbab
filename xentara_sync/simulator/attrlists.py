"""Attribute lists: as Xentara documents them per element type, and as twins copy them.

:func:`apply_attribute_lists` runs once a model is loaded (its elements hold their
values by then) and gives elements the attributes Xentara's pages list:

- ``@Skill.SignalFlow.Register``: the register page ("Accessing Registers",
  docs.xentara.io/xentara/xentara_signal_flow_registers.html) lists ``key``,
  ``name``, ``UUID``, ``type``, ``category``, ``value``, ``updateTime``,
  ``writeTime``, ``quality`` and ``changeTime``: no ``error`` and no ``writeError``
  (the driver pages list those for their data points; a register cannot fail).
- ``@DataPoint``: the attributes of the skill data point it shows, and ``units``
  and ``displayName`` (read-only strings; "JSON Format for Data Points": without a
  ``"units"`` member "the 'units' attribute will contain an empty string", without
  ``"displayName"`` "the primary key will be used as display name"). Xentara gives
  them no attribute number; their UUIDs here (:data:`UNITS`, :data:`DISPLAY_NAME`)
  are the simulator's own, and a client finds them by name in the metadata.

Twins (``xentara-sync snapshot``) copy each element's attribute list with two
keys of the simulator's own (Xentara skips keys it does not know):

``"attributeList": [[NAME, ID, ACCESS, DATA_TYPE], ...]``
    the element's attribute list in order, as ``meta_data`` answers it: ID the
    attribute number (0 to 13) or UUID text, ACCESS ``"readOnly"``,
    ``"writeOnly"`` or ``"readWrite"``, DATA_TYPE a
    :class:`~xentara_sync.protocol.DataType` name (``"float64"``,
    ``"time_point"``, ``"quality"``...).
``"attributeValues": {NAME: VALUE, ...}``
    values of attributes the element holds as they are: ``type``, ``quality``,
    ``units``, ``displayName``, any attribute of its list. Time points and UUIDs
    as text, as ``defaultValue`` writes them.

The element serves what its model type computes (key, name, UUID, category; a
value's value, times and errors), the rest from ``attributeValues`` (an attribute
it neither computes nor has a value for holds the zero of its type). Anything
malformed is a model error naming the element.

>>> from xentara_sync.simulator.model import load_model
>>> model = load_model({"children": [
...     {"@Skill.SignalFlow.Register": {"name": "R", "defaultValue": ["int16", 1],
...                                     "UUID": "4d1a0d6e-5c6a-4c1f-9c4e-3f2b1a0e9d01"}},
...     {"@DataPoint": {"name": "P", "io": "R", "units": "°C",
...                     "UUID": "4d1a0d6e-5c6a-4c1f-9c4e-3f2b1a0e9d02"}}]})
>>> [m[0] for m in model.by_key["R"].table.metadata][5:]
['value', 'quality', 'changeTime', 'updateTime', 'writeTime']
>>> point = model.by_key["P"]
>>> [m[0] for m in point.table.metadata][-2:]
['units', 'displayName']
>>> point.get(point.table.by_key[UNITS]), point.get(point.table.by_key[DISPLAY_NAME])
('°C', 'P')
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ..protocol import Access, Attribute, DataType, Quality
from .attributes import FIRST_CONSTANT, AttrTable, Entry
from .datatypes import parse_default, zero
from .extensions import ExtensionError, value_access

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .elements import Element

__all__ = ["DISPLAY_NAME", "UNITS", "apply_attribute_lists"]

#: The simulator's UUIDs of the ``units`` and ``displayName`` attributes.
UNITS: Final = uuid.UUID("6f2b8c1e-3d4a-5b6c-8d7e-9f0a1b2c3d01")
DISPLAY_NAME: Final = uuid.UUID("6f2b8c1e-3d4a-5b6c-8d7e-9f0a1b2c3d02")

_RO: Final = Access.READ_ONLY
_REGISTER: Final = "@skill.signalflow.register"
_DATA_POINT: Final = "@datapoint"
_ERRORS: Final = frozenset({int(Attribute.ERROR), int(Attribute.WRITE_ERROR)})
#: Well-known attributes every element computes, and those an element with a value does.
_ALWAYS: Final = frozenset(range(int(Attribute.CATEGORY) + 1))
_WITH_VALUE: Final = frozenset(
    int(a)
    for a in (
        Attribute.SOURCE_TIME,
        Attribute.UPDATE_TIME,
        Attribute.CHANGE_TIME,
        Attribute.WRITE_TIME,
        Attribute.QUALITY,
        Attribute.VALUE,
        Attribute.ERROR,
        Attribute.WRITE_ERROR,
    )
)
_ACCESS_NAMES: Final = {
    Access.READ_ONLY: "readOnly",
    Access.WRITE_ONLY: "writeOnly",
    Access.READ_WRITE: "readWrite",
}
#: Shared tables, by their entries: elements of one kind share one table.
_TABLES: dict[tuple[Entry, ...], AttrTable] = {}


def access_name(access: Access) -> str:
    """*access* as ``"attributeList"`` writes it (``"readOnly"``)."""
    return _ACCESS_NAMES[access]


def _shared(entries: list[Entry]) -> AttrTable:
    key = tuple(entries)
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = AttrTable.of(entries)
    return table


def apply_attribute_lists(elements: Sequence[Element]) -> None:
    """Give every element of a model (*elements*) its documented (or copied)
    attribute list.

    Raises :class:`~.extensions.ExtensionError` for a malformed ``"attributeList"`` or
    ``"attributeValues"`` key.
    """
    without_errors: dict[int, AttrTable] = {}
    # Registers first: a data point showing one shares its table.
    for element in elements:
        if element.type.lower() == _REGISTER and element.point is not None:
            table = element.table
            found = without_errors.get(id(table))
            if found is None:
                entries = [e for e in table.entries() if e[2] not in _ERRORS]
                found = without_errors[id(table)] = _shared(entries)
            element.table = found
    for element in elements:
        kind = element.type.lower()
        if kind == _DATA_POINT and element.point is not None:
            table = without_errors.get(id(element.table), element.table)
            element.table = _display(element, table)
        if "attributeList" in element.settings or "attributeValues" in element.settings:
            _copied(element)


def _display(element: Element, table: AttrTable) -> AttrTable:
    """*table* with ``units`` and ``displayName``, their values from the model."""
    units = element.settings.get("units", "")
    display = element.settings.get("displayName", element.key)
    for name, given in (("units", units), ("displayName", display)):
        if not isinstance(given, str):
            raise ExtensionError(f'"{name}" must be a text string, not {given!r:.40}')
    entries = table.entries()
    number = FIRST_CONSTANT + len(entries)
    entries += [
        ("units", UNITS, number, _RO, DataType.STRING),
        ("displayName", DISPLAY_NAME, number + 1, _RO, DataType.STRING),
    ]
    element.constants = {number: units, number + 1: display}
    return _shared(entries)


def _copied(element: Element) -> None:
    """Apply a twin's ``"attributeList"`` and ``"attributeValues"`` to *element*."""
    settings = element.settings
    values = settings.get("attributeValues", {})
    if not isinstance(values, Mapping) or not all(isinstance(k, str) for k in values):
        raise ExtensionError('"attributeValues" must be an object {NAME: VALUE, ...}')
    listed = settings.get("attributeList")
    held: dict[str, Any] = {}  # the constants the element holds already, by name
    if listed is None:
        current = element.table.entries()
        given = [(name, wire, access, data_type) for name, wire, _, access, data_type in current]
        if element.constants:
            held = {e[0]: element.constants[e[2]] for e in current if e[2] in element.constants}
    else:
        given = _parse_list(listed)
    names = [name for name, _, _, _ in given]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ExtensionError(
            f'"attributeValues" names {", ".join(map(repr, unknown))}, which the element '
            f"does not have (attributes: {', '.join(names)})"
        )
    native = _ALWAYS | (_WITH_VALUE if element.point is not None else frozenset())
    entries: list[Entry] = []
    constants: dict[int, Any] = {}
    for position, (name, wire, access, data_type) in enumerate(given):
        if isinstance(wire, int) and wire in native and name not in values:
            entries.append((name, wire, wire, access, data_type))
            continue
        number = FIRST_CONSTANT + position
        entries.append((name, wire, number, access, data_type))
        if name in values:
            try:
                constants[number] = _constant(data_type, values[name])
            except ValueError as exc:
                raise ExtensionError(f'"attributeValues": {name!r}: {exc}') from None
        else:
            constants[number] = held.get(name, zero(data_type))
    element.table = _shared(entries)
    element.constants = constants or None


def _parse_list(listed: object) -> list[tuple[str, int | uuid.UUID, Access, DataType]]:
    form = '"attributeList" must be a list of [NAME, ID, ACCESS, DATA_TYPE]'
    if not isinstance(listed, list):
        raise ExtensionError(form)
    result: list[tuple[str, int | uuid.UUID, Access, DataType]] = []
    for item in listed:
        if not isinstance(item, list) or len(item) != 4 or not isinstance(item[0], str):
            raise ExtensionError(f"{form}, not {item!r:.60}")
        name, wire, access, data_type = item
        if isinstance(wire, bool) or not isinstance(wire, (int, str)):
            raise ExtensionError(f'"attributeList": {name!r}: the id is a number or UUID text')
        if isinstance(wire, int):
            if Attribute.from_key(wire) is None:
                raise ExtensionError(f'"attributeList": {name!r}: no attribute number {wire}')
            identifier: int | uuid.UUID = wire
        else:
            try:
                identifier = uuid.UUID(wire)
            except ValueError:
                raise ExtensionError(
                    f'"attributeList": {name!r}: invalid UUID {wire!r:.40}'
                ) from None
            well_known = Attribute.from_key(identifier)
            if well_known is not None:
                identifier = int(well_known)
        try:
            kind = DataType[str(data_type).upper()]
        except KeyError:
            raise ExtensionError(
                f'"attributeList": {name!r}: unknown data type {data_type!r:.40}'
            ) from None
        result.append((name, identifier, value_access({"access": access}), kind))
    return result


def _constant(data_type: DataType, value: object) -> Any:
    """A value of ``"attributeValues"`` as the attribute serves it."""
    if data_type is DataType.QUALITY:
        if isinstance(value, str):
            try:
                return int(Quality[value.upper()])
            except KeyError:
                raise ValueError(f"unknown quality {value!r:.40}") from None
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
            return value
        raise ValueError(f"a quality is 0 to 3 or its name, not {value!r:.40}")
    if data_type in (DataType.ELEMENT_CATEGORY, DataType.ERROR_CODE):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(f"{data_type.name.lower()} is an integer, not {value!r:.40}")
    if data_type in (DataType.CUSTOM, DataType.NONE):
        return value
    return parse_default(data_type, value)
