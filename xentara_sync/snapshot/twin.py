"""The twin of a browsed element tree: a model file the simulator serves. Sans I/O.

:class:`TwinBuilder` takes the answers a snapshot collects (the browse entries of
the tree, each element's ``meta_data`` and the value of each data point) and
builds a model in Xentara's model format (``{"children": [...]}``, one-key element
objects with ``name`` and ``UUID``, nested as the primary keys are):

- each category becomes a model type the simulator loads with that category
  (:data:`CATEGORY_TYPES`; categories without such a type become
  :data:`ELEMENT_TYPE` with a ``"category"`` key, a simulator extension);
- each data point becomes a ``@Skill.SignalFlow.Register`` whose
  ``"defaultValue"`` is ``[data type, value read]``; a read-only value gets
  ``"access": "readOnly"``, a write-only one ``"access": "writeOnly"`` (and the
  zero of its type: it cannot be read);
- recorded changes become a ``"replay"`` object (:meth:`TwinBuilder.add_recording`);
- an element whose attribute list is not the one its twin type has in the simulator
  gets it copied (``"attributeList"``), and the values of the attributes the twin
  does not compute (``type`` when its name differs, ``quality`` when not good,
  ``units``, ``displayName``, any other attribute) go in ``"attributeValues"``
  (simulator extensions, :mod:`xentara_sync.simulator.attrlists`): the twin's
  ``meta_data`` equals the original's.

An element whose ``meta_data`` or value the server refuses is left out, with its
descendants (their primary keys need it); :attr:`TwinBuilder.skipped` says why.

>>> import uuid
>>> from xentara_sync.protocol.index import ElementInfo
>>> from xentara_sync.protocol import Category, Success, wrap
>>> group = ElementInfo("Plant", uuid.UUID(int=1), Category.ELEMENT_GROUP)
>>> speed = ElementInfo("Plant.Speed", uuid.UUID(int=2), Category.DATA_POINT)
>>> twin = TwinBuilder([group, speed])
>>> value = {0: "value", 1: 11, 2: 0, 3: 9}   # read only, float32
>>> twin.add_metadata(speed, Success(1, {1: 2, 2: [value]}))
>>> twin.add_value(speed, Success(2, {11: wrap(21.5)}))
>>> twin.model()["children"][0]["@Group"]["children"]
[{'@Skill.SignalFlow.Register': {'name': 'Speed', 'UUID': '00000000-0000-0000-0000-000000000002', \
'defaultValue': ['float32', 21.5], 'access': 'readOnly', \
'attributeList': [['value', 11, 'readOnly', 'float32']]}}]

(The metadata listed the value alone, so the twin copies that list.)
"""

from __future__ import annotations

import marshal
import math
import operator
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from cbor2 import CBORTag as _CBORTag

from ..protocol import (
    Access,
    Attribute,
    AttributeFault,
    AttributeMetadataKey,
    Category,
    DataType,
    ErrorCode,
    Failure,
    MetaData,
    Success,
    TimePoint,
    unwrap,
)
from ..protocol.index import ElementInfo
from ..protocol.tags import TAG_VALUE
from ..protocol.valuecheck import TYPE_NAMES as _VALUE_TYPE_NAMES
from ..protocol.valuecheck import zero_value
from .lists import REGISTER_TYPE, Listed, entry
from .walk import Render, build_model

__all__ = [
    "CATEGORY_TYPES",
    "ELEMENT_TYPE",
    "REGISTER_TYPE",
    "TYPE_NAMES",
    "TwinBuilder",
    "model_value",
]

#: The simulator's own element type for categories no model type stands for: its
#: ``"category"`` key names the category (``"device_group"``).
ELEMENT_TYPE: Final = "@Simulator.Element"

#: The model type each category becomes: one the simulator loads with that category.
CATEGORY_TYPES: Final[Mapping[Category, str]] = {
    Category.ELEMENT_GROUP: "@Group",
    Category.DATA_POINT: REGISTER_TYPE,
    Category.TIMER: "@Timer",
    Category.EXECUTION_TRACK: "@Track",
    Category.EXECUTION_PIPELINE: "@Pipeline",
    # The simulator's own device: a sampler of signals (its children are data points).
    Category.DEVICE: "@Skill.SignalGenerator.Sampler",
    Category.SUB_DEVICE: "@Skill.CoE.Device",
    Category.SPECIAL_PURPOSE: "@Skill.Debugging.Inspector",
}

#: The register data type names of the model format, by wire data type: those of
#: :data:`~xentara_sync.protocol.valuecheck.TYPE_NAMES` that a register can hold,
#: every kind of string a ``string``.
TYPE_NAMES: Final[Mapping[DataType, str]] = {
    **{
        data_type: name
        for data_type, name in _VALUE_TYPE_NAMES.items()
        if data_type not in (DataType.QUALITY, DataType.ELEMENT_CATEGORY)
    },
    **{data_type: "string" for data_type in DataType if data_type.is_string},
}

#: The ``type`` attribute of the twin's model types, as the simulator names them.
NATIVE_TYPE_NAMES: Final[Mapping[str, str]] = {
    "@Group": "group",
    REGISTER_TYPE: "register",
    "@Timer": "timer",
    "@Track": "execution track",
    "@Pipeline": "execution pipeline",
    "@Skill.SignalGenerator.Sampler": "signal generator sampler",
    "@Skill.CoE.Device": "CoE device",
    "@Skill.Debugging.Inspector": "debugging inspector",
    ELEMENT_TYPE: "Simulator.Element",
}
#: What the first read of a data point asks for (value, type, quality), and of
#: another element (type).
POINT_READ: Final = [int(Attribute.VALUE), int(Attribute.TYPE), int(Attribute.QUALITY)]
OTHER_READ: Final = [int(Attribute.TYPE)]


#: Values the JSON file holds as they are.
_PLAIN: Final = frozenset({bool, int, float, str})
_MISSING: Final[Any] = object()
_tuple_new: Final = tuple.__new__
_number_of: Final = operator.attrgetter("uuid.int")
_category_of: Final = operator.attrgetter("category")
_INF: Final = math.inf
_ACCESS_KEYS: Final = {Access.READ_ONLY: "readOnly", Access.WRITE_ONLY: "writeOnly"}
_ACCESS_NAMES: Final = {**_ACCESS_KEYS, Access.READ_WRITE: "readWrite"}
_TYPE: Final = int(Attribute.TYPE)
_QUALITY: Final = int(Attribute.QUALITY)
_VALUE: Final = int(Attribute.VALUE)
_NAME_KEY: Final = int(AttributeMetadataKey.NAME)
_ID_KEY: Final = int(AttributeMetadataKey.ID)
_ACCESS_KEY: Final = int(AttributeMetadataKey.ACCESS)
_TYPE_KEY: Final = int(AttributeMetadataKey.DATA_TYPE)
_VALUE_KEYS: Final = frozenset({_VALUE, Attribute.VALUE.uuid})
_ATTRIBUTES: Final = int(MetaData.ATTRIBUTES)
#: The value's usual place in an attribute list: after the five every element has.
_USUAL: Final = 5
#: (data type, access) as the wire numbers them -> as enums (filled as met).
_KINDS: dict[tuple[int, int], tuple[DataType, Access]] = {}


def _kind(raw: tuple[int, int]) -> tuple[DataType, Access] | None:
    try:
        kind = (DataType(raw[0]), Access(raw[1]))
    except (ValueError, TypeError):
        return None
    _KINDS[raw] = kind
    return kind


def model_value(data_type: DataType, value: Any) -> Any:
    """*value* as the model format writes it: time points as RFC 3339 text with
    nanoseconds, UUIDs as RFC 4122 text, NaN and infinities as ``"nan"``,
    ``"inf"`` and ``"-inf"`` (JSON has no such numbers), other numbers and text as
    they are.

    >>> model_value(DataType.TIME_POINT, TimePoint(1_704_107_471_111_587_983))
    '2024-01-01T11:11:11.111587983Z'
    >>> model_value(DataType.UUID, uuid.UUID(int=1))
    '00000000-0000-0000-0000-000000000001'
    >>> model_value(DataType.FLOAT32, float("-inf")), model_value(DataType.FLOAT64, float("nan"))
    ('-inf', 'nan')
    """
    if isinstance(value, TimePoint):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no NaN or infinity: text the simulator reads for float types.
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"a {TYPE_NAMES.get(data_type, data_type.name)} value {value!r:.60}")


def _duration(seconds: float) -> tuple[str, float]:
    """*seconds* as a model duration, and the seconds that text says.

    >>> _duration(30.0), _duration(0.25), _duration(1e-5)
    (('30s', 30.0), ('0.25s', 0.25), ('10000ns', 1e-05))
    """
    text = f"{seconds:g}"
    if "e" in text:  # a duration has no exponent
        nanoseconds = max(round(seconds * 1e9), 1)
        return f"{nanoseconds}ns", nanoseconds / 1e9
    return f"{text}s", float(text)


def _refusal(answer: Success | Failure | AttributeFault, what: str) -> str:
    if isinstance(answer, (Failure, AttributeFault)):
        return f"{what} refused: {answer.text} ({answer.code})"
    return f"{what}: an answer of the wrong kind"


#: The most ``meta_data`` results :meth:`TwinBuilder.add_metadata` remembers.
_MADE_KEPT: Final = 256
_NO_VALUES: Final[Mapping[Any, Any]] = {}
#: The keys of the first read that the twin keeps (besides the value).
_FIRST_KEYS: Final = (_TYPE, _QUALITY)
_DATA_POINT: Final = Category.DATA_POINT
#: (data type, access) -> its register's type name, ``"access"`` (or None), read? (as met)
_FORMS: dict[tuple[DataType, Access], tuple[str | None, str | None, bool]] = {}
#: The same -> a usual register line's text between UUID and value, after it, its kind.
_LINES: dict[tuple[DataType, Access], tuple[str, str, tuple[str, str | None]]] = {}


def _form(kind: tuple[DataType, Access]) -> tuple[str | None, str | None, bool]:
    form = _FORMS[kind] = (TYPE_NAMES.get(kind[0]), _ACCESS_KEYS.get(kind[1]), kind[1].readable)
    name, access = form[0] or "", "" if form[1] is None else f', "access": "{form[1]}"'
    _LINES[kind] = (f'", "defaultValue": ["{name}", ', f"]{access}}}}}", (name, form[1]))
    return form


#: The ``type`` of a twin register (:func:`_native_values` of a data point).
_REGISTER_NAME: Final = NATIVE_TYPE_NAMES[REGISTER_TYPE]
#: Category -> the values of the first read its twin type gives by itself
#: (:meth:`TwinBuilder._copied` leaves those out of ``"attributeValues"``).
_NATIVE_VALUES: dict[Any, Mapping[Any, Any]] = {}


def _native_values(category: Category) -> Mapping[Any, Any]:
    found = _NATIVE_VALUES.get(category)
    if found is None:
        if category == Category.DATA_POINT:
            found = {_TYPE: NATIVE_TYPE_NAMES[REGISTER_TYPE], _QUALITY: 0}
        else:
            model_type = CATEGORY_TYPES.get(category, ELEMENT_TYPE)
            found = {_TYPE: NATIVE_TYPE_NAMES[model_type]}
        _NATIVE_VALUES[category] = found
    return found


def _uuid_text(number: int) -> str:
    """``str(uuid.UUID(int=number))``, without the UUID.

    >>> _uuid_text(0xE3EE10714D884BA18E5D0F1E4CE25EE8)
    'e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8'
    """
    text = f"{number:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class TwinBuilder:
    """Builds the twin of *elements*: browse entries in model order (pre-order), the
    ancestors of a snapshot's root first. Each element's parent is the nearest
    element before it whose primary key starts its own, so names may hold dots."""

    def __init__(self, elements: Iterable[ElementInfo]) -> None:
        self.elements: list[ElementInfo] = list(elements)
        #: Primary key -> why the element is not in the twin.
        self.skipped: dict[str, str] = {}
        # By the integer of each element's UUID (a UUID hashes in Python code).
        self._types: dict[int, tuple[DataType, Access] | None] = {}
        self._values: dict[int, Any] = {}
        self._replays: dict[int, dict[str, Any]] = {}
        #: Each element's attribute list as its metadata gave it, parsed.
        self._lists: dict[int, Listed] = {}
        #: The distinct attribute lists met, by their text.
        self._listed: dict[bytes | str, Listed] = {}
        #: Those of elements other than data points, by their ``id()``.
        self._other_lists: dict[int, Listed] = {}
        #: Values of attributes besides the value, by element and attribute key.
        self._read: dict[int, dict[Any, Any]] = {}
        #: Primary keys of the data points whose value
        #: :func:`~.checks.refuse_mismatched_values` found valid for the loader as
        #: the twin writes it.
        self.proven: set[str] = set()
        #: The ``meta_data`` answers met, by their bytes, for a client that hands
        #: equal answers over as one object (:func:`~xentara_sync.protocol.bulk.answers`).
        self.alike_answers: dict[bytes, Any] = {}
        #: What was made of a ``meta_data`` result object, by its ``id()`` (the
        #: object kept with it, so that its ``id()`` is not reused).
        self._made: dict[int, tuple[Any, Listed | None, tuple[DataType, Access] | None]] = {}

    def needs_value(self, element: ElementInfo) -> bool:
        """Whether *element*'s value is read (a data point)."""
        return element.category == Category.DATA_POINT

    def add_metadata(self, element: ElementInfo, packet: Success | Failure) -> None:
        """The ``meta_data`` answer of *element* (asked for at least ``ATTRIBUTES``)."""
        if type(packet) is not Success:
            if self.needs_value(element):
                self.skipped[element.key] = _refusal(packet, "meta_data")
            return  # a group or device keeps its place: browse told its category
        result = packet.result
        number = element.uuid.int
        made = self._made.get(id(result))
        if made is not None and made[0] is result:  # an answer object met before
            if made[1] is not None:
                self._lists[number] = made[1]
                if element.category != _DATA_POINT:
                    self._other_lists[id(made[1])] = made[1]
            self._types[number] = made[2]
            return
        attributes = result.get(_ATTRIBUTES) if type(result) is dict else None
        kind = None
        listed = None
        if type(attributes) is not list:
            attributes = ()
        else:
            listed = self._lists[number] = self._parsed(attributes)
            if element.category != _DATA_POINT:
                self._other_lists[id(listed)] = listed
        if (
            len(attributes) > _USUAL
            and type(usual := attributes[_USUAL]) is dict
            and usual.get(_ID_KEY) == _VALUE  # where Xentara and the simulator list it
        ):
            raw = (usual.get(_TYPE_KEY), usual.get(_ACCESS_KEY))
            kind = _KINDS.get(raw) or _kind(raw)  # type: ignore[arg-type]
        else:
            for entry in attributes:
                if type(entry) is dict and (
                    entry.get(_ID_KEY) in _VALUE_KEYS or entry.get(_NAME_KEY) == "value"
                ):
                    raw = (entry.get(_TYPE_KEY), entry.get(_ACCESS_KEY))
                    kind = _KINDS.get(raw) or _kind(raw)  # type: ignore[arg-type]
                    break
        self._types[number] = kind
        if len(self._made) >= _MADE_KEPT:
            self._made.clear()
        self._made[id(result)] = (result, listed, kind)

    def add_results(self, elements: Sequence[ElementInfo], results: Sequence[Any]) -> None:
        """The successful ``meta_data`` results *results* of *elements*, in order:
        as :meth:`add_metadata` of each, in one call. A snapshot read by
        :func:`~.scans.scan_metadata` hands over result objects met before (one per
        distinct answer): what was made of each is applied to all its elements at
        once, in C loops."""
        made_of = self._made
        ids = list(map(id, results))
        distinct = dict(zip(ids, results, strict=True))  # few: one per distinct answer
        lists: dict[int, Listed] = {}
        kinds: dict[int, tuple[DataType, Access] | None] = {}
        for number, result in distinct.items():
            made = made_of.get(number)
            if made is None or made[0] is not result or made[1] is None:
                add = self.add_metadata  # one not met (or without a list): one by one
                for element, result in zip(elements, results, strict=True):
                    add(element, _tuple_new(Success, (0, result)))
                return
            lists[number] = made[1]
            kinds[number] = made[2]
        numbers = list(map(_number_of, elements))
        self._lists.update(zip(numbers, map(lists.__getitem__, ids), strict=True))
        self._types.update(zip(numbers, map(kinds.__getitem__, ids), strict=True))
        categories = list(map(_category_of, elements))
        if categories.count(_DATA_POINT) != len(categories):  # groups, devices...
            others = self._other_lists
            for category, number in zip(categories, ids, strict=True):
                if category != _DATA_POINT:
                    listed = lists[number]
                    others[id(listed)] = listed

    def _parsed(self, attributes: list[Any]) -> Listed:
        """*attributes* parsed, shared with every element whose list is the same,
        values and their types alike: the same serialization (``marshal``'s, for
        plain values: five times faster than the text; else the text)."""
        try:
            text: bytes | str = marshal.dumps(attributes, 2)  # version 2: no references
        except ValueError:  # a UUID, a tagged value...
            text = repr(attributes)
        listed = self._listed.get(text)
        if listed is None:
            entries = tuple(e for raw in attributes if (e := entry(raw)) is not None)
            listed = self._listed[text] = Listed(entries)
        return listed

    def value_type(self, element: ElementInfo) -> tuple[DataType, Access] | None:
        """Data type and access of *element*'s value, as its metadata says."""
        return self._types.get(element.uuid.int)

    def add_value(self, element: ElementInfo, packet: Success | Failure) -> None:
        """The answer to the first read of *element* (:meth:`first_read`): a data
        point's value, type and quality; another element's type."""
        if type(packet) is not Success:
            if self.needs_value(element):
                self.skipped.setdefault(element.key, _refusal(packet, "read"))
            return
        result = packet.result
        category = element.category
        if type(result) is dict and category == _DATA_POINT:
            # The usual register: its type and quality those of the twin's own.
            kind, quality = result.get(_TYPE), result.get(_QUALITY)
            if not (
                type(kind) is _CBORTag
                and kind.tag == TAG_VALUE
                and kind.value == _REGISTER_NAME
                and type(quality) is _CBORTag
                and quality.tag == TAG_VALUE
                and quality.value == 0
            ):
                self._keep(element, result, _FIRST_KEYS, _native_values(category))
        elif type(result) is not dict and not isinstance(result, Mapping):
            result = None
        else:
            self._keep(element, result, _FIRST_KEYS, _native_values(category))
        if category != _DATA_POINT:
            return
        raw = result.get(_VALUE) if result is not None else None
        if type(raw) is _CBORTag and raw.tag == TAG_VALUE:  # the usual case: a value
            self._values[element.uuid.int] = raw.value
            return
        value = unwrap(raw) if raw is not None else AttributeFault(0, "no value in the answer")
        if isinstance(value, AttributeFault):
            if value.code == ErrorCode.WRITE_ONLY:
                return  # expected of a write-only value: the zero of its type stands in
            self.skipped.setdefault(element.key, _refusal(value, "read"))
            return
        self._values[element.uuid.int] = value

    def _keep(
        self,
        element: ElementInfo,
        result: Mapping[Any, Any],
        keys: Iterable[Any],
        native: Mapping[Any, Any] = _NO_VALUES,
    ) -> None:
        """Keep the values of *keys* that *result* (a read's) holds without error,
        but those equal to *native*'s (which the twin has without them: most
        elements' type and quality, not kept for each)."""
        kept = None
        for key in keys:
            raw = result.get(key)
            if raw is None:
                continue
            if type(raw) is _CBORTag and raw.tag == TAG_VALUE:  # the usual case: a value
                value = raw.value
            else:
                value = unwrap(raw)
                if isinstance(value, AttributeFault):
                    continue
            if key in native and value == native[key]:
                continue
            if kept is None:
                kept = self._read.setdefault(element.uuid.int, {})
            kept[key] = value

    def first_read(self, element: ElementInfo) -> list[int]:
        """The attributes the first read of *element* asks for."""
        return POINT_READ if element.category == Category.DATA_POINT else OTHER_READ

    def more_reads(self) -> list[tuple[ElementInfo, list[Any]]]:
        """The elements with attributes the twin neither computes nor has read yet
        (``units``, ``displayName``, a device state...), with their keys."""
        wanted: list[tuple[ElementInfo, list[Any]]] = []
        if not any(listed.more_keys(True) for listed in self._listed.values()) and not any(
            listed.more_keys(False) for listed in self._other_lists.values()
        ):
            return wanted  # no element has such an attribute (most models)
        lists, skipped, point = self._lists, self.skipped, Category.DATA_POINT
        for element in self.elements:
            listed = lists.get(element.uuid.int)
            if listed is None or element.key in skipped:
                continue
            keys = listed.more_keys(element.category == point)
            if keys:
                wanted.append((element, keys))
        return wanted

    def add_more(self, element: ElementInfo, keys: list[Any], packet: Success | Failure) -> None:
        """The answer to the read of :meth:`more_reads`' *keys* of *element*."""
        if type(packet) is Success and isinstance(packet.result, Mapping):
            self._keep(element, packet.result, keys)

    def _copied(self, element: ElementInfo, model_type: str, body: dict[str, Any]) -> None:
        """Add ``"attributeList"`` and ``"attributeValues"`` to *body* where the twin
        would otherwise differ from the original."""
        listed = self._lists.get(element.uuid.int)
        if listed is None:
            return
        kind = self._types.get(element.uuid.int) if model_type == REGISTER_TYPE else None
        copied = listed.copy(model_type, kind)
        if copied is not None:
            body["attributeList"] = copied
        read = self._read.get(element.uuid.int)
        if not read:
            return
        places = listed.places()
        found: list[tuple[int, str, Any]] = []
        for wire, value in read.items():
            if wire == _TYPE and value == NATIVE_TYPE_NAMES.get(model_type):
                continue
            if wire == _QUALITY and value == 0 and model_type == REGISTER_TYPE:
                continue
            for index, name, data_type in places.get(wire, ()):
                try:
                    found.append((index, name, model_value(data_type, value)))
                except ValueError:
                    continue
        if found:
            found.sort(key=lambda item: item[0])  # in the order of the list
            body["attributeValues"] = {name: value for _, name, value in found}

    def add_recording(
        self, element: ElementInfo, samples: Sequence[tuple[float, Any]], period: float
    ) -> bool:
        """Replay *samples* (``(seconds since the start, value)``) in a loop of *period*
        seconds in the twin; False (and nothing recorded) if the value never changed."""
        found = self._types.get(element.uuid.int)
        if found is None or len({repr(v) for _, v in samples}) < 2:
            return False
        data_type = found[0]
        text, seconds = _duration(period)
        # Offsets in order and below the period, as the simulator requires; a change
        # that arrived after the recording's end is no part of the loop.
        values = [
            [rounded, model_value(data_type, value)]
            for offset, value in samples
            if (rounded := round(max(offset, 0.0), 6)) < seconds
        ]
        if len({repr(v) for _, v in values}) < 2:
            return False
        self._replays[element.uuid.int] = {"period": text, "values": values}
        return True

    def _body(self, element: ElementInfo, name: str) -> tuple[str, dict[str, Any]] | None:
        category = element.category
        if category != _DATA_POINT:
            if element.key in self.skipped:
                return None  # refused by refuse_unfit
            body: dict[str, Any] = {"name": name, "UUID": _uuid_text(element.uuid.int)}
            element_type = CATEGORY_TYPES.get(category)
            if element_type is None:
                element_type = ELEMENT_TYPE
                body["category"] = (
                    category.name.lower() if isinstance(category, Category) else category
                )
            self._copied(element, element_type, body)
            return element_type, body
        key = element.key
        skipped = self.skipped
        if key in skipped:
            return None
        number = element.uuid.int
        found = self._types.get(number)
        if found is None:
            skipped[key] = "a data point without a value attribute"
            return None
        form = _FORMS.get(found) or _form(found)
        type_name, access_key, readable = form
        if type_name is None:
            skipped[key] = f"its value's data type {found[0].name} has no register"
            return None
        data_type = found[0]
        if readable:
            value = self._values.get(number, _MISSING)
            if value is _MISSING:
                skipped.setdefault(key, "its value was not read")
                return None
            if type(value) not in _PLAIN or (type(value) is float and not -_INF < value < _INF):
                try:
                    value = model_value(data_type, value)
                except ValueError as exc:
                    skipped[key] = f"cannot write {exc}"
                    return None
        else:
            value = model_value(data_type, zero_value(data_type))
        body = {"name": name, "UUID": _uuid_text(number), "defaultValue": [type_name, value]}
        if access_key is not None:
            body["access"] = access_key
        if self._replays:
            replay = self._replays.get(number)
            if replay is not None:
                body["replay"] = replay
        listed = self._lists.get(number)
        # Most registers: their own list, and no other attribute's value to copy.
        if listed is not None and (
            listed.copies.get((REGISTER_TYPE, found), _MISSING) is not None or number in self._read
        ):
            self._copied(element, REGISTER_TYPE, body)
        return REGISTER_TYPE, body

    def _usual(
        self, found: tuple[DataType, Access] | None, listed: Listed | None
    ) -> tuple[str, str, tuple[str, str | None]] | None:
        """What a register's line holds besides its name, UUID and value text, if its
        value's kind is *found* and its attribute list *listed* (None: no line, the
        register takes the model object's path; see :mod:`.walk`)."""
        if found is None:
            return None
        type_name, _, readable = _FORMS.get(found) or _form(found)
        if type_name is None or not readable:
            return None
        if listed is not None:
            copied = listed.copies.get((REGISTER_TYPE, found), _MISSING)
            if copied is _MISSING:
                listed.copy(REGISTER_TYPE, found)  # made once per list and kind
                copied = listed.copies[REGISTER_TYPE, found]
            if copied is not None:
                return None
        return _LINES[found]

    def model(self, render: Render | None = None) -> dict[str, Any]:
        """The twin: ``{"children": [...]}``, in model order.

        With *render*, each plain register of a group or of the model (a leaf with
        no settings besides ``name``, ``UUID``, ``defaultValue`` and ``access``: most
        of a big twin) is handed to ``render(key, item)``, and the text it returns
        stands in the children for the item (see :func:`~.driver.write_twin`); the
        usual ones (see :mod:`.walk`) to ``render.line``, as their text.
        """
        return build_model(self, render)
