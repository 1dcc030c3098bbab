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
                                                       (:mod:`.iopoint`); without ``io``: a
                                                       writable float64
``@Skill.SignalGenerator.Sampler``  device (6)
``@Skill.CoE.Bus`` / ``.Device``    device (6) / sub device (7)
``@Timer`` / ``@Track`` /           timer (3) / execution track (4) / execution pipeline (5)
``@Pipeline``
``@Skill.Debugging.*``              special purpose (15)
anything else                       device (6) if it has children, else special purpose (15)
==================================  =================  =======================================

Simulator extensions (ignored by Xentara, which skips unknown keys), described in
:mod:`.extensions`: a register or ``@DataPoint`` with ``"access": "writeOnly"`` or
``"readOnly"``; ``@Simulator.Element`` with a ``"category"``; a register's
``"replay"`` of recorded values.

A sampler's signals advance at the period of the timer whose pipeline runs
``<sampler>.generate``; without such a pipeline, at the first timer of the model,
else every 100 ms. Elements without a UUID get a stable one derived from their
primary key (:func:`uuid.uuid5`).

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
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from ..protocol import NIL_UUID, Access, Attribute, Category, DataType, Quality, TimePoint
from ..protocol.valuecheck import type_name
from . import deepjson
from .attributes import AttrTable, attribute_table
from .datatypes import known_data_type, parse_data_type, parse_default, zero
from .elements import Element, Point, Watch
from .extensions import ExtensionError, extension_category, replay_point, value_access
from .iopoint import IoPoint
from .signals import Clock, Signal, Timer

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

_NAMESPACE: Final = uuid.UUID("6c1d4f0e-2b43-4d8a-9a57-7b5b3a0f7e21")
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


_DURATION = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(ns|us|µs|ms|s|min|m|h|d)?\s*", re.IGNORECASE)
_UNITS: Final = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "": 1_000_000_000,
    "m": 60_000_000_000,
    "min": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
}


def parse_duration(text: object, default: int) -> int:
    """Nanoseconds of a model duration (``"5s"``, ``"500ms"``, ``"1min 30s"``; a bare
    number is seconds); *default* when absent or unreadable.

    >>> parse_duration("500ms", 0), parse_duration("1min 30s", 0), parse_duration(None, 7)
    (500000000, 90000000000, 7)
    """
    if isinstance(text, bool) or text is None:
        return default
    if isinstance(text, (int, float)):
        return int(text * 1_000_000_000)
    if not isinstance(text, str):
        return default
    total, position = 0, 0
    for match in _DURATION.finditer(text):
        if match.start() != position:
            return default
        position = match.end()
        total += int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])
    if position != len(text) or not text.strip():
        return default
    return total


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


def _split(item: object, where: str) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(item, Mapping) or not item:
        raise ModelError(f"{where}: an element must be a one-key object, got {item!r:.80}")
    for element_type, settings in item.items():
        if isinstance(element_type, str) and element_type.startswith("@"):
            if not isinstance(settings, Mapping):
                raise ModelError(f"{where}: the settings of {element_type} must be an object")
            return element_type, settings
    raise ModelError(f"{where}: no element type (a key starting with '@') in {item!r:.80}")


def load_model(source: str | os.PathLike[str] | Mapping[str, Any]) -> Model:
    """Load a model from a file path or from the already-parsed JSON object."""
    if isinstance(source, Mapping):
        document: Any = source
        path = "<memory>"
    else:
        path = str(Path(source).resolve())
        try:
            with open(path, encoding="utf-8") as stream:
                document = deepjson.loads(stream.read())  # a deep tree nests deep
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read model file {path}: {exc}") from exc
    if isinstance(document, list):
        document = {"children": document}
    if not isinstance(document, Mapping):
        raise ModelError("a model file holds a JSON object with a 'children' list")
    model = Model(path)
    try:
        _Builder(model).build(document)
    except ExtensionError as exc:
        raise ModelError(str(exc)) from None
    return model


class _Builder:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.now = TimePoint.now()
        self.timers: dict[str, Timer] = {}
        self.sampler_timer: dict[str, str] = {}
        self.signals: list[tuple[Element, Element]] = []  # (signal, sampler)
        self.data_points: list[Element] = []

    def build(self, document: Mapping[str, Any]) -> None:
        children = document.get("children", [])
        if not isinstance(children, list):
            raise ModelError("'children' must be a list")
        model = self.model
        # Iterative pre-order walk: deep models must not hit the recursion limit.
        pending: list[tuple[Element, Any]] = [(model.root, c) for c in reversed(children)]
        by_uuid, by_key, elements = model.by_uuid, model.by_key, model.elements
        while pending:
            parent, item = pending.pop()
            where = parent.key or "<root>"
            element_type, settings = _split(item, where)
            name = settings.get("name", settings.get("id"))
            if not isinstance(name, str) or not name:
                raise ModelError(f"{where}: a {element_type} element without a name")
            key = f"{parent.key}.{name}" if parent.key else name
            text = settings.get("UUID", settings.get("uuid"))
            try:
                element_uuid = (
                    uuid.UUID(text) if isinstance(text, str) else uuid.uuid5(_NAMESPACE, key)
                )
            except ValueError:
                raise ModelError(f"{key}: invalid UUID {text!r}") from None
            if key in by_key:
                raise ModelError(f"duplicate primary key {key!r}")
            if element_uuid in by_uuid or element_uuid == NIL_UUID:
                raise ModelError(f"{key}: UUID {element_uuid} is used twice (or nil)")
            with _naming(key):
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
            with _naming(key):
                self.classify(element)
            sub = settings.get("children")
            if isinstance(sub, list):
                pending.extend((element, c) for c in reversed(sub))
        self.finish()

    def classify(self, element: Element) -> None:
        kind = element.type.lower()
        settings = element.settings
        if kind == "@skill.signalflow.register":
            data_type, value = _default_value(settings.get("defaultValue"), element.key)
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
        for element in self.data_points:
            io = element.settings.get("io")
            if isinstance(io, Mapping) and self.attach_io(element, io):
                continue
            source = self.resolve(io) if isinstance(io, str) else None
            if source is not None and source.point is not None and source is not element:
                element.point = source.point
                element.table = source.table
            else:
                data_type = parse_data_type(element.settings.get("dataType"), DataType.FLOAT64)
                quality = Quality.BAD if isinstance(io, (str, Mapping)) else Quality.GOOD
                point = Point(data_type, zero(data_type), self.now, register=True, quality=quality)
                with _naming(element.key):
                    self.attach(element, point, value_access(element.settings))

    def attach_io(self, element: Element, io: Mapping[str, Any]) -> bool:
        """Connect a data point whose ``io`` is ``{"input": KEY, "output": KEY}``.

        False if a key names no element with a value (the point then stays
        unconnected, as with a ``io`` key that names nothing); a :class:`ModelError`
        if the output cannot be written.
        """
        ends: dict[str, Element | None] = {"input": None, "output": None}
        for side in ends:
            key = io.get(side)
            if key is None:
                continue
            source = self.resolve(key) if isinstance(key, str) else None
            if source is None or source.point is None or source is element:
                return False
            ends[side] = source
        source_in, source_out = ends["input"], ends["output"]
        if source_in is None and source_out is None:
            return False
        if source_out is not None and not source_out.table.access[_VALUE].writable:
            raise ModelError(
                f"{element.key}: io output {source_out.key!r} cannot be written (its value "
                "is read only); name a register or an output"
            )
        if (
            source_in is not None
            and source_out is not None
            and source_in.table.types[_VALUE] != source_out.table.types[_VALUE]
        ):
            # One data type is announced for the value: writes are checked against it.
            raise ModelError(
                f"{element.key}: io input {source_in.key!r} and output {source_out.key!r} "
                "have different data types "
                f"({type_name(source_in.table.types[_VALUE])}, "
                f"{type_name(source_out.table.types[_VALUE])})"
            )
        point = IoPoint(
            source_in.point if source_in is not None else None,
            source_out.point if source_out is not None else None,
            self.now,
        )
        has_source_time = source_in is not None and _SOURCE_TIME in source_in.table.access
        element.point = point
        element.table = attribute_table(point.value_type, point.access, source=has_source_time)
        return True

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
        if element is not None and element.point is None and element.settings.get("io"):
            return None  # a chain of @DataPoints: resolved in model order only
        return element


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@contextmanager
def _naming(key: str) -> Iterator[None]:
    """Turn an :class:`ExtensionError` of the block into a :class:`ModelError`
    naming the element *key*: one place for the context of every extension."""
    try:
        yield
    except ExtensionError as exc:
        raise ModelError(f"{key}: {exc}") from None


def _default_value(spec: object, key: str) -> tuple[DataType, Any]:
    """Data type and start value of a register's ``defaultValue``: ``[type, value]``
    (the register page lists fourteen type names; a bare JSON value is read as
    int64, float64, bool or string). An unknown type name, or a value that is not
    valid for its type, raises :class:`ModelError` naming the element and value.
    """
    if isinstance(spec, list) and spec:
        name = spec[0]
        data_type = known_data_type(name)
        if data_type is None:
            raise ModelError(
                f"{key}: defaultValue names the unknown data type {name!r:.40}; "
                f"use one of {', '.join(_REGISTER_TYPES)}"
            )
        return data_type, _initial(data_type, spec[1] if len(spec) > 1 else None, key)
    if isinstance(spec, bool):
        return DataType.BOOLEAN, spec
    if isinstance(spec, int):
        return DataType.INT64, _initial(DataType.INT64, spec, key)
    if isinstance(spec, float):
        return DataType.FLOAT64, spec
    if isinstance(spec, str):
        return DataType.STRING, _initial(DataType.STRING, spec, key)
    if spec is None:
        return DataType.FLOAT64, 0.0
    raise ModelError(f"{key}: defaultValue must be [type, value], not {spec!r:.80}")


def _initial(data_type: DataType, value: object, key: str) -> Any:
    """The start value *value* of a point of *data_type*; :class:`ModelError` if invalid."""
    try:
        return parse_default(data_type, value)
    except ValueError as exc:
        raise ModelError(
            f"{key}: invalid default value {value!r:.80} for {type_name(data_type)}: {exc}"
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
