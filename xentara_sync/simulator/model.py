"""The simulated model: elements loaded from a Xentara ``model.json`` and their values.

:func:`load_model` reads a model file (a path, or the already-parsed JSON object) into
a :class:`Model`: elements in model order, indexed by UUID and by primary key. The
parts live in modules of their own: :mod:`.elements` (elements, the values of data
points, watches), :mod:`.attributes` (the attribute tables, shared by every element
of a kind, so that ``meta_data`` and the lookup of request keys cost nothing per
request) and :mod:`.signals` (generated signals, timers, the clock); their names
are importable from here too.

How model element types become WebSocket elements:

==================================  =================  =======================================
model type                          category           values
==================================  =================  =======================================
``@Group``                          element group (1)  none
``@Skill.SignalFlow.Register``      data point (2)     writable; ``defaultValue: [type, v]``,
                                                       any of the fourteen register types
``@Skill.SignalGenerator.Signal``   data point (2)     read only; waveform computed from the
                                                       clock, advancing on its sampler's timer
``@Skill.CoE.Entry``                data point (2)     ``syncManager`` 2: writable output;
                                                       otherwise read-only input
``@DataPoint``                      data point (2)     ``io`` names a source element whose
                                                       value it shows (and writes through),
                                                       or is ``{"input": K, "output": K}``
                                                       (:mod:`.iopoint`); a source of a type
                                                       the simulator does not know: float64,
                                                       quality bad, writable only with an
                                                       ``output`` (or ``"access"``)
``@Skill.SignalGenerator.Sampler``  device (6)
``@Skill.CoE.Bus`` / ``.Device``    device (6) / sub device (7)
``@Timer`` / ``@Track`` /           timer (3) / execution track (4) / execution pipeline (5)
``@Pipeline``
``@Skill.Debugging.*``              special purpose (15)
anything else                       device (6) if it has children, else special purpose (15)
==================================  =================  =======================================

The file follows the rules of :mod:`.rules` (those of Xentara's model schema): a
file that breaks one, an ``io`` that names no element (or one without a value, such
as a group), a primary key or UUID used twice, raise :class:`ModelError`, one line
that names the element and the rule.

Simulator extensions, described in :mod:`.extensions` (Xentara's schema does not
list them, so a real Xentara may refuse a file that holds them): a register or
``@DataPoint`` with ``"access": "writeOnly"`` or ``"readOnly"``;
``@Simulator.Element`` with a ``"category"``; a register's ``"replay"`` of recorded
values.

A sampler's signals advance at the period of the timer whose pipeline runs
``<sampler>.generate``; without such a pipeline, at the first timer of the model,
else every 100 ms.

A default value must be valid for its type (the rule of
:mod:`xentara_sync.protocol.valuecheck`; time stamps as RFC 3339 text, UUIDs as RFC
4122 text): one that is not, or an unknown type name in a register's
``defaultValue``, raises :class:`ModelError` naming the element and the value.

The ``type`` attribute holds the element type's documented name (``"register"``,
see :mod:`.typenames`); :attr:`Element.type` keeps the model type as the file spells
it (``"@Group"``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from ..protocol import NIL_UUID, Access, Attribute, Category, DataType, Quality, TimePoint
from ..protocol.valuecheck import type_name
from . import deepjson
from .attributes import AttrTable, attribute_table
from .attrlists import apply_attribute_lists
from .datatypes import known_data_type, parse_data_type, parse_default, zero
from .elements import Element, Point, Watch
from .extensions import (
    ELEMENT_TYPE,
    ExtensionError,
    extension_category,
    replay_point,
    value_access,
)
from .fastbrowse import browse_bytes
from .iopoint import IoPoint
from .rules import NAME_PATTERN, TOP_LEVEL, broken_rule, setting
from .signals import Clock, Signal, Timer, parse_duration

__all__ = [
    "AttrTable",
    "Clock",
    "Element",
    "Model",
    "ModelError",
    "Point",
    "Signal",
    "Timer",
    "Watch",
    "load_model",
    "parse_duration",
]

_NAME_SPELLINGS: Final = ("name", "id")
_UUID_SPELLINGS: Final = ("UUID", "uuid")
_DEFAULT_PERIOD_NS: Final = 100_000_000
#: The ``syncManager`` of an EtherCAT entry that is an output (written by the master).
_OUTPUT_SYNC_MANAGER: Final = 2
_RO, _WO, _RW = Access.READ_ONLY, Access.WRITE_ONLY, Access.READ_WRITE
_VALUE: Final = int(Attribute.VALUE)
_SOURCE_TIME: Final = int(Attribute.SOURCE_TIME)


class ModelError(ValueError):
    """The model file cannot be loaded: malformed JSON or structure, or a value that
    its element cannot hold. The message names the element (and the value)."""


class Model:
    """A loaded model: ``root`` (category root, nil UUID), ``elements`` in model order,
    ``by_uuid`` and ``by_key`` indexes, ``timers`` and the shared :class:`Clock`.

    >>> model = load_model({"children": [{"@Group": {"name": "G", "UUID":
    ...     "5b8a3c1e-0f2d-4e6a-9c7b-1d2e3f405162"}}]})
    >>> model.by_key["G"].category
    <Category.ELEMENT_GROUP: 1>
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.clock = Clock()
        self.root = Element("", "", NIL_UUID, "", Category.ROOT, None, {})
        self.elements: list[Element] = []
        self.by_uuid: dict[uuid.UUID, Element] = {}
        self.by_key: dict[str, Element] = {}
        self.timers: list[Timer] = []
        self._full_browse: list[dict[int, Any]] | None = None
        self._full_browse_bytes: bytes | None = None

    def __len__(self) -> int:
        return len(self.elements)

    def __repr__(self) -> str:
        return f"<Model {self.path!r}: {len(self.elements)} elements>"

    def element(self, key: str) -> Element:
        """The element with primary key *key* (``KeyError`` if none)."""
        return self.by_key[key]

    def full_browse(self) -> list[dict[int, Any]]:
        """Every element's browse entry in model order (computed once)."""
        if self._full_browse is None:
            self._full_browse = [e.entry for e in self.elements]
        return self._full_browse

    def full_browse_bytes(self, result: object) -> bytes | None:
        """The encoded :meth:`full_browse` if *result* is it (encoded once), else None."""
        entries = self._full_browse
        if result is not entries or entries is None:
            return None
        if self._full_browse_bytes is None:
            self._full_browse_bytes = browse_bytes(entries)
        return self._full_browse_bytes


def _number(value: object, default: float) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    return default


_CATEGORIES: Final = {
    "@group": Category.ELEMENT_GROUP,
    "@datapoint": Category.DATA_POINT,
    "@skill.signalflow.register": Category.DATA_POINT,
    "@skill.signalgenerator.signal": Category.DATA_POINT,
    "@skill.signalgenerator.sampler": Category.DEVICE,
    "@skill.coe.entry": Category.DATA_POINT,
    "@skill.coe.bus": Category.DEVICE,
    "@skill.coe.device": Category.SUB_DEVICE,
    "@timer": Category.TIMER,
    "@track": Category.EXECUTION_TRACK,
    "@pipeline": Category.EXECUTION_PIPELINE,
}


def _category(element_type: str, settings: Mapping[str, Any]) -> Category:
    lowered = element_type.lower()
    known = _CATEGORIES.get(lowered)
    if known is not None:
        return known
    extended = extension_category(element_type, settings)
    if extended is not None:
        return extended
    if lowered.startswith("@skill.debugging."):
        return Category.SPECIAL_PURPOSE
    children = settings.get("children")
    return Category.DEVICE if isinstance(children, list) and children else Category.SPECIAL_PURPOSE


def _refusal(path: str, rule: str) -> ModelError:
    """The :class:`ModelError` for *rule* broken at *path*: one line, whatever they hold."""
    text = f"{path}: {rule}"
    return ModelError(text.replace("\r", "\\r").replace("\n", "\\n"))


def _split(item: object) -> tuple[str, Mapping[str, Any]] | None:
    """The type and settings of the element *item* (a one-key object); None if it is
    not one (:func:`_not_an_element` says why)."""
    if isinstance(item, Mapping) and len(item) == 1:
        for element_type, settings in item.items():
            if (
                isinstance(element_type, str)
                and element_type[:1] == "@"
                and isinstance(settings, Mapping)
            ):
                return element_type, settings
    return None


def _not_an_element(item: object, path: str) -> ModelError:
    """The refusal of *item*, which :func:`_split` found no element."""
    if isinstance(item, Mapping) and len(item) == 1:
        ((element_type, settings),) = item.items()
        if isinstance(element_type, str) and element_type.startswith("@"):
            return _refusal(
                path, f"the settings of a {element_type} must be an object, not {settings!r:.60}"
            )
    # A template's placeholders ("#CoE.Bus:NAME") are text where an element belongs.
    hint = (
        " (a template's placeholder? fill the template in first)" if isinstance(item, str) else ""
    )
    return _refusal(
        path,
        'an element is an object with one key, its type ({"@Group": {...}}), '
        f"not {item!r:.60}{hint}",
    )


def _children(document: object) -> list[Any]:
    """The top-level elements of the model file *document*; a :class:`ModelError`
    if it is no model file (:mod:`.rules`)."""
    if not isinstance(document, Mapping):
        raise _refusal(
            "the model",
            'a model file is a JSON object with a "children" list, '
            f"not {type(document).__name__} {document!r:.40}",
        )
    for key in document:
        if key not in TOP_LEVEL:
            raise _refusal(
                "the model",
                f"{key!r:.60} is no key of a model file (it holds "
                f"{', '.join(map(repr, TOP_LEVEL))}): is this a model file?",
            )
    children = document.get("children")
    if not isinstance(children, list):
        found = "none" if children is None else f"{children!r:.40}"
        raise _refusal("the model", f'a model file holds a "children" list, not {found}')
    return children


def load_model(source: str | os.PathLike[str] | Mapping[str, Any]) -> Model:
    """Load a model from a file path or from the already-parsed JSON object.

    A file that breaks a rule of :mod:`.rules` (or names in ``io`` what the model
    does not hold) raises :class:`ModelError`: one line naming the element and the
    rule.

    >>> load_model({"foo": 1})
    Traceback (most recent call last):
    ...
    xentara_sync.simulator.model.ModelError: the model: 'foo' is no key of a model \
file (it holds '$schema', 'ACL', 'children'): is this a model file?
    """
    document: object = source
    path = "<memory>"
    if isinstance(source, (str, os.PathLike)):
        path = str(Path(source).resolve())
        try:
            with open(path, encoding="utf-8") as stream:
                document = deepjson.loads(stream.read())  # a deep tree nests deep
        except (OSError, ValueError) as exc:
            raise _refusal(f"cannot read model file {path}", str(exc)) from exc
    model = Model(path)
    try:
        _Builder(model).build(document)
        apply_attribute_lists(model.elements)
    except ExtensionError as exc:
        raise _refusal("the model", str(exc)) from None
    return model


#: The settings of a register that :func:`register_refusal` checks: those of a
#: register without children, replay or copied attribute list.
PLAIN_REGISTER_KEYS: Final = frozenset({"name", "UUID", "defaultValue", "access"})


def register_refusal(key: str, settings: Mapping[str, Any]) -> ModelError | None:
    """Why :func:`load_model` would refuse the ``@Skill.SignalFlow.Register`` *key*
    with *settings* (its keys among :data:`PLAIN_REGISTER_KEYS`, no children, a
    parent that is a group or the model), or None if it would load it.

    The loader's own checks of such an element, without building it: its rules
    (:func:`~.rules.broken_rule`), its ``defaultValue`` and its ``access``. What
    the tree decides (a primary key or UUID used twice, the nil UUID) is the
    caller's to check. A snapshot checks most of a twin this way, many times
    faster than loading it.

    >>> register_refusal("A.B", {"name": "B", "UUID": "00000000-0000-0000-0000-000000000001",
    ...                          "defaultValue": ["int8", 300]})
    ModelError('A.B: invalid default value 300 for int8: 300 is outside int8 (-128..127)')
    >>> register_refusal("A.B", {"name": "B", "UUID": "00000000-0000-0000-0000-000000000001",
    ...                          "defaultValue": ["bool", True], "access": "readOnly"}) is None
    True
    """
    odd = next((name for name in settings if name not in PLAIN_REGISTER_KEYS), None)
    if odd is not None:
        raise ValueError(f"register_refusal checks no {odd!r} key")
    broken = broken_rule("@Skill.SignalFlow.Register", settings)
    if broken is not None:
        return _refusal(key, broken)
    try:
        _default_value(settings["defaultValue"], key)
        value_access(settings)
    except ModelError as exc:
        return exc
    except ExtensionError as exc:
        return _refusal(key, str(exc))
    return None


class _Builder:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.now = TimePoint.now()
        self.timers: dict[str, Timer] = {}
        self.sampler_timer: dict[str, str] = {}
        self.signals: list[tuple[Element, Element]] = []  # (signal, sampler)
        self.data_points: list[Element] = []

    def build(self, document: object) -> None:
        children = _children(document)
        model = self.model
        # Iterative pre-order walk: deep models must not hit the recursion limit.
        pending: list[tuple[Element, int, Any]] = [
            (model.root, index, child) for index, child in reversed(list(enumerate(children)))
        ]
        by_uuid, by_key, elements = model.by_uuid, model.by_key, model.elements
        while pending:
            parent, index, item = pending.pop()
            split = _split(item)
            if split is None:
                raise _not_an_element(item, _path(parent, index))
            element_type, settings = split
            broken = broken_rule(element_type, settings)
            name = setting(settings, _NAME_SPELLINGS)
            if broken is not None:
                named = isinstance(name, str) and NAME_PATTERN.match(name) is not None
                key = _path(parent, index) if not named else _key(parent, name)
                raise _refusal(key, broken)
            key = f"{parent.key}.{name}" if parent.key else name
            element_uuid = uuid.UUID(setting(settings, _UUID_SPELLINGS))
            if key in by_key:
                raise _refusal(key, "duplicate primary key (two elements of one name)")
            if element_uuid == NIL_UUID:
                raise _refusal(key, "the nil UUID stands for the model root, not an element")
            if element_uuid in by_uuid:
                raise _refusal(
                    key,
                    f"UUID {element_uuid} is used twice (also by {by_uuid[element_uuid].key!r})",
                )
            # (One handler for both steps, as _naming gives: no context manager per
            # element, which costs a tenth of a big model's load.)
            try:
                category = _category(element_type, settings)
                element = Element(
                    key,
                    name,
                    element_uuid,
                    element_type,
                    category,
                    parent,
                    settings,
                )
                parent.children.append(element)
                elements.append(element)
                by_uuid[element_uuid] = element
                by_key[key] = element
                self.classify(element)
            except ExtensionError as exc:
                raise _refusal(key, str(exc)) from None
            sub = settings.get("children")
            if sub:
                pending.extend((element, i, c) for i, c in reversed(list(enumerate(sub))))
        self.finish()

    def classify(self, element: Element) -> None:
        kind = element.type.lower()
        settings = element.settings
        if kind == "@skill.signalflow.register":
            data_type, value = _default_value(settings["defaultValue"], element.key)
            access = value_access(settings)
            point = self.replay(element, data_type) or Point(
                data_type, value, self.now, register=True
            )
            self.attach(element, point, access, source=access is _RO)
        elif kind == "@skill.coe.entry":
            data_type = parse_data_type(settings.get("dataType"), DataType.UINT16)
            output = settings.get("syncManager") == _OUTPUT_SYNC_MANAGER
            value = _initial(data_type, settings.get("defaultValue"), element.key)
            self.attach(
                element, Point(data_type, value, self.now), _RW if output else _RO, source=True
            )
        elif kind == "@skill.signalgenerator.signal":
            parent = element.parent
            assert parent is not None
            self.signals.append((element, parent))
        elif kind == "@datapoint":
            value_access(settings)  # a bad "access" is refused whatever io names
            self.data_points.append(element)
        elif kind == "@timer":
            timer = Timer(element.key, parse_duration(settings.get("period"), _DEFAULT_PERIOD_NS))
            self.timers[element.key] = timer
            self.model.timers.append(timer)
        elif kind == "@pipeline":
            triggers = settings.get("triggers")
            segments = settings.get("segments")
            timer_keys = [t.rsplit(".", 1)[0] for t in _strings(triggers)]
            for segment in segments if isinstance(segments, list) else []:
                tasks = segment.get("tasks") if isinstance(segment, Mapping) else None
                for task in tasks if isinstance(tasks, list) else []:
                    function = task.get("function") if isinstance(task, Mapping) else None
                    if isinstance(function, str) and timer_keys:
                        self.sampler_timer.setdefault(function.rsplit(".", 1)[0], timer_keys[0])

    def replay(self, element: Element, data_type: DataType) -> Point | None:
        """The replay of recorded values a register's ``"replay"`` key describes."""
        return replay_point(
            element.settings.get("replay"),
            data_type,
            self.model.clock,
            self.model.timers,
            _replayed,
            parse_duration,
        )

    def attach(
        self, element: Element, point: Point, access: Access, *, source: bool = False
    ) -> None:
        element.point = point
        element.table = attribute_table(point.data_type, access, source=source)

    def finish(self) -> None:
        fallback: Timer | None = self.model.timers[0] if self.model.timers else None
        for element, sampler in self.signals:
            timer = self.timers.get(self.sampler_timer.get(sampler.key, ""), fallback)
            if timer is None:
                timer = Timer("", _DEFAULT_PERIOD_NS)
                self.timers[""] = fallback = timer
                self.model.timers.append(timer)
            signal = self.signal(element, timer)
            timer.signals.append(signal)
            self.attach(element, signal, _RO, source=True)
        # A data point may show another one: those come first, whatever their order.
        waiting = self.data_points
        while waiting:
            later = [element for element in waiting if not self.connect(element)]
            if len(later) == len(waiting):
                raise _refusal(
                    later[0].key, '"io" names a data point whose "io" names this one (a cycle)'
                )
            waiting = later

    def connect(self, element: Element) -> bool:
        """Give the ``@DataPoint`` *element* the value its ``io`` names; False if that
        is a data point not connected yet. A :class:`ModelError` if ``io`` names
        nothing, the point itself, or an element without a value."""
        io = element.settings["io"]
        sides: Mapping[str, str] = {"": io} if isinstance(io, str) else io
        ends: dict[str, Element] = {}
        for side, key in sides.items():
            label = f'"io" {side}'.rstrip() if side else '"io"'
            target = self.resolve(key)
            if target is None:
                raise _refusal(element.key, f"{label} names {key!r:.80}, no element of the model")
            if target is element:
                raise _refusal(element.key, f"{label} names the data point itself")
            if target.point is None:
                kind = target.type.lower()
                if kind == "@datapoint":
                    return False
                if (
                    kind in _CATEGORIES
                    or kind.startswith("@skill.debugging.")
                    or (kind == ELEMENT_TYPE.lower())
                ):
                    raise _refusal(
                        element.key,
                        f"{label} names {key!r:.80}, a {target.type}, which has no value",
                    )
            ends[side] = target
        if any(end.point is None for end in ends.values()):
            readable = "" in ends or "input" in ends
            self.attach_unknown(element, readable=readable, writable="output" in ends)
        elif isinstance(io, str):
            source = ends[""]
            element.point = source.point
            element.table = source.table
        else:
            self.attach_io(element, ends.get("input"), ends.get("output"))
        return True

    def attach_unknown(self, element: Element, *, readable: bool, writable: bool) -> None:
        """Connect a data point to an element of a type the simulator does not know
        (a driver's): its value is the zero of ``"dataType"`` (float64 without one),
        quality bad; read only, unless ``io`` names an output or ``"access"`` says
        otherwise."""
        data_type = parse_data_type(element.settings.get("dataType"), DataType.FLOAT64)
        point = Point(data_type, zero(data_type), self.now, register=True, quality=Quality.BAD)
        if "access" in element.settings:
            with _naming(element.key):
                access = value_access(element.settings)
        else:
            access = _RW if readable and writable else _WO if writable else _RO
        self.attach(element, point, access)

    def attach_io(
        self, element: Element, source_in: Element | None, source_out: Element | None
    ) -> None:
        """Connect a data point whose ``io`` is ``{"input": KEY, "output": KEY}``; a
        :class:`ModelError` if the output cannot be written, or the two ends' data
        types differ."""
        if source_out is not None and not source_out.table.access[_VALUE].writable:
            raise _refusal(
                element.key,
                f'"io" output {source_out.key!r} cannot be written (its value is read only); '
                "name a register or an output",
            )
        if (
            source_in is not None
            and source_out is not None
            and source_in.table.types[_VALUE] != source_out.table.types[_VALUE]
        ):
            # One data type is announced for the value: writes are checked against it.
            raise _refusal(
                element.key,
                f'"io" input {source_in.key!r} and output {source_out.key!r} '
                "have different data types "
                f"({type_name(source_in.table.types[_VALUE])}, "
                f"{type_name(source_out.table.types[_VALUE])})",
            )
        point = IoPoint(
            source_in.point if source_in is not None else None,
            source_out.point if source_out is not None else None,
            self.now,
        )
        has_source_time = source_in is not None and _SOURCE_TIME in source_in.table.access
        element.point = point
        element.table = attribute_table(point.value_type, point.access, source=has_source_time)

    def signal(self, element: Element, timer: Timer) -> Signal:
        settings = element.settings
        shape = ""
        wave: Mapping[str, Any] = {}
        form = settings.get("waveForm")
        if isinstance(form, Mapping):
            for name, body in form.items():
                shape = str(name).lstrip("@").lower()
                wave = body if isinstance(body, Mapping) else {}
                break
        wave_ns = max(parse_duration(wave.get("period"), 1_000_000_000), 1)
        return Signal(
            parse_data_type(settings.get("dataType"), DataType.FLOAT64),
            timer,
            self.model.clock,
            element.uuid.int >> 64,
            shape=shape,
            top=_number(settings.get("top"), 1.0),
            bottom=_number(settings.get("bottom"), 0.0),
            wave_ns=wave_ns,
            phase_ns=parse_duration(wave.get("phaseOffset"), 0),
            pulse_ns=parse_duration(wave.get("pulseWidth"), wave_ns // 2),
        )

    def resolve(self, key: str) -> Element | None:
        by_key = self.model.by_key
        element = by_key.get(key)
        if element is None and "." in key:
            head, tail = key.rsplit(".", 1)
            if Attribute.from_name(tail) is not None:
                element = by_key.get(head)
        return element


def _path(parent: Element, index: int) -> str:
    """Where the element *index* of *parent*'s children is (for one without a name)."""
    return f"{parent.key}.children[{index}]" if parent.key else f"children[{index}]"


def _key(parent: Element, name: str) -> str:
    return f"{parent.key}.{name}" if parent.key else name


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@contextmanager
def _naming(key: str) -> Iterator[None]:
    """Turn an :class:`ExtensionError` of the block into a :class:`ModelError`
    naming the element *key*: one place for the context of every extension."""
    try:
        yield
    except ExtensionError as exc:
        raise _refusal(key, str(exc)) from None


def _default_value(spec: list[Any], key: str) -> tuple[DataType, Any]:
    """Data type and start value of a register's ``defaultValue``, ``[type, value]``
    (its shape checked by :mod:`.rules`; the register page lists fourteen type
    names). An unknown type name, or a value that is not valid for its type, raises
    :class:`ModelError` naming the element and value.
    """
    name = spec[0]
    data_type = known_data_type(name)
    if data_type is None:
        raise _refusal(
            key,
            f'"defaultValue" names the unknown data type {name!r:.40}; '
            f"use one of {', '.join(_REGISTER_TYPES)}",
        )
    return data_type, _initial(data_type, spec[1], key)


def _initial(data_type: DataType, value: object, key: str) -> Any:
    """The start value *value* of a point of *data_type*; :class:`ModelError` if invalid."""
    try:
        return parse_default(data_type, value)
    except ValueError as exc:
        raise _refusal(
            key, f"invalid default value {value!r:.80} for {type_name(data_type)}: {exc}"
        ) from None


def _replayed(data_type: DataType, value: object) -> Any:
    """A recorded value of a ``"replay"`` key, valid by the rule of defaults."""
    try:
        return parse_default(data_type, value)
    except ValueError as exc:
        raise ExtensionError(
            f'"replay": invalid value {value!r:.80} for {type_name(data_type)}: {exc}'
        ) from None


#: The data type names of Xentara's register documentation.
_REGISTER_TYPES: Final = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "string",
    "timeStamp",
    "UUID",
)
