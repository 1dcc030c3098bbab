"""The simulated model: elements loaded from a Xentara ``model.json`` and their values.

:func:`load_model` reads a model file (a path, or the already-parsed JSON object) into
a :class:`Model`: elements in model order, indexed by UUID and by primary key, each
with a shared, precomputed attribute table (the answer to ``meta_data`` and the
lookup of request keys, ints or attribute UUIDs, are built once per kind of element,
not per request).

How model element types become WebSocket elements:

==================================  =================  =======================================
model type                          category           values
==================================  =================  =======================================
``@Group``                          element group (1)  none
``@Skill.SignalFlow.Register``      data point (2)     writable; ``defaultValue: [type, v]``
``@Skill.SignalGenerator.Signal``   data point (2)     read only; waveform computed from the
                                                       clock, advancing on its sampler's timer
``@Skill.CoE.Entry``                data point (2)     ``syncManager`` 2: writable output;
                                                       otherwise read-only input
``@DataPoint``                      data point (2)     ``io`` names a source element whose
                                                       value it shows (and writes through);
                                                       without ``io``: a writable float64
``@Skill.SignalGenerator.Sampler``  device (6)
``@Skill.CoE.Bus`` / ``.Device``    device (6) / sub device (7)
``@Timer`` / ``@Track`` /           timer (3) / execution track (4) / execution pipeline (5)
``@Pipeline``
``@Skill.Debugging.*``              special purpose (15)
anything else                       device (6) if it has children, else special purpose (15)
==================================  =================  =======================================

Simulator extension (ignored by Xentara, which skips unknown keys): a register or
``@DataPoint`` with ``"access": "writeOnly"`` has a write-only value, so that clients
can test the "value is write only" error.

A sampler's signals advance at the period of the timer whose pipeline runs
``<sampler>.generate``; without such a pipeline, at the first timer of the model,
else every 100 ms. Elements without a UUID get a stable one derived from their
primary key (:func:`uuid.uuid5`).

The ``type`` attribute holds the model type as the file spells it (``"@Group"``).
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final, Protocol

from ..protocol import (
    NIL_UUID,
    Access,
    Attribute,
    AttributeFault,
    Category,
    DataType,
    ErrorCode,
    Quality,
    TimePoint,
)
from .datatypes import coerce, convert, parse_data_type, zero

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

A = Attribute
VALUE_BIT: Final = 1 << A.VALUE
CHANGE_BIT: Final = 1 << A.CHANGE_TIME
UPDATE_BIT: Final = 1 << A.UPDATE_TIME
SOURCE_BIT: Final = 1 << A.SOURCE_TIME
WRITE_BIT: Final = 1 << A.WRITE_TIME
#: The bits of every attribute; a full mask asks for all of them.
ALL_BITS: Final = (1 << 14) - 1

_NAMESPACE: Final = uuid.UUID("6c1d4f0e-2b43-4d8a-9a57-7b5b3a0f7e21")
_DEFAULT_PERIOD_NS: Final = 100_000_000


class ModelError(ValueError):
    """The model file cannot be loaded (malformed JSON or structure)."""


# --------------------------------------------------------------------------- clock


class Clock:
    """Wall-clock nanoseconds, which can be frozen (the suspended stage)."""

    __slots__ = ("frozen",)

    def __init__(self) -> None:
        self.frozen: int | None = None

    def now_ns(self) -> int:
        """The time signals are computed at: now, or the instant of freezing."""
        frozen = self.frozen
        return time.time_ns() if frozen is None else frozen


# --------------------------------------------------------------------------- attributes


class AttrTable:
    """The attributes of one kind of element, shared by every element of that kind.

    ``by_key`` maps every accepted request key (attribute number and attribute UUID)
    to the attribute number; ``access`` and ``types`` hold each attribute's access and
    data type; ``metadata`` is the attribute list ``meta_data`` answers with.
    """

    __slots__ = ("access", "by_key", "metadata", "readable", "types")

    def __init__(self, attributes: list[tuple[Attribute, Access, DataType]]) -> None:
        self.access: dict[int, Access] = {int(a): acc for a, acc, _ in attributes}
        self.types: dict[int, DataType] = {int(a): t for a, _, t in attributes}
        self.by_key: dict[int | uuid.UUID, int] = {}
        for attribute, _, _ in attributes:
            self.by_key[int(attribute)] = int(attribute)
            self.by_key[attribute.uuid] = int(attribute)
        self.readable = {a for a, acc in self.access.items() if acc is not Access.WRITE_ONLY}
        self.metadata = [
            {0: a.wire_name, 1: int(a), 2: int(acc), 3: int(t)} for a, acc, t in attributes
        ]


_RO, _WO, _RW = Access.READ_ONLY, Access.WRITE_ONLY, Access.READ_WRITE
_BASE: Final = [
    (A.PRIMARY_KEY, _RO, DataType.STRING),
    (A.NAME, _RO, DataType.STRING),
    (A.UUID, _RO, DataType.UUID),
    (A.TYPE, _RO, DataType.STRING),
    (A.CATEGORY, _RO, DataType.ELEMENT_CATEGORY),
]
_TABLES: dict[tuple[Any, ...], AttrTable] = {}


def _table(
    data_type: DataType | None, value_access: Access = _RO, *, source: bool = False
) -> AttrTable:
    key = (data_type, value_access, source)
    table = _TABLES.get(key)
    if table is None:
        attributes = list(_BASE)
        if data_type is not None:
            attributes += [
                (A.VALUE, value_access, data_type),
                (A.QUALITY, _RO, DataType.QUALITY),
                (A.CHANGE_TIME, _RO, DataType.TIME_POINT),
                (A.UPDATE_TIME, _RO, DataType.TIME_POINT),
            ]
            if source:
                attributes.append((A.SOURCE_TIME, _RO, DataType.TIME_POINT))
            if value_access.writable:
                attributes.append((A.WRITE_TIME, _RO, DataType.TIME_POINT))
            attributes.append((A.ERROR, _RO, DataType.ERROR_CODE))
            if value_access.writable:
                attributes.append((A.WRITE_ERROR, _RO, DataType.ERROR_CODE))
        table = _TABLES[key] = AttrTable(attributes)
    return table


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
        if attribute == 11:
            return self.value
        if attribute == 9:
            return self.quality
        if attribute == 7:
            return self.change
        if attribute == 6:
            return self.update
        if attribute == 5:
            return self.source
        if attribute == 8:
            return self.write
        return 0  # error and write error: no error

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


class Timer:
    """A model ``@Timer``: the signals it drives and which of them are watched.

    The server runs a timer thread only while :attr:`watched` is not empty;
    :attr:`on_watched` is called when the first signal becomes watched.
    """

    __slots__ = ("key", "on_watched", "period_ns", "signals", "watched")

    def __init__(self, key: str, period_ns: int) -> None:
        self.key = key
        self.period_ns = max(int(period_ns), 1_000)
        self.signals: list[Signal] = []
        self.watched: set[Signal] = set()
        self.on_watched: Callable[[Timer], None] | None = None


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


class Signal(Point):
    """A generated signal: its value is a function of the timer tick.

    The value at tick *j* (time ``j * period``) is computed on demand, so a signal
    nobody reads or watches costs nothing; the timer refreshes watched signals at
    every tick. The change time is the first tick of the current value (searched
    back at most 64 ticks; beyond that, 64 ticks ago).
    """

    __slots__ = (
        "bottom",
        "clock",
        "phase_ns",
        "pulse_ns",
        "seed",
        "shape",
        "tick",
        "timer",
        "top",
        "wave_ns",
    )

    def __init__(
        self,
        data_type: DataType,
        settings: Mapping[str, Any],
        timer: Timer,
        clock: Clock,
        seed: int,
    ) -> None:
        self.timer = timer
        self.clock = clock
        self.data_type = data_type
        self.top = _number(settings.get("top"), 1.0)
        self.bottom = _number(settings.get("bottom"), 0.0)
        self.seed = seed
        shape: str = ""
        wave: Mapping[str, Any] = {}
        form = settings.get("waveForm")
        if isinstance(form, Mapping):
            for name, body in form.items():
                shape = str(name).lstrip("@").lower()
                wave = body if isinstance(body, Mapping) else {}
                break
        self.shape = shape
        self.wave_ns = max(parse_duration(wave.get("period"), 1_000_000_000), 1)
        self.phase_ns = parse_duration(wave.get("phaseOffset"), 0)
        self.pulse_ns = parse_duration(wave.get("pulseWidth"), self.wave_ns // 2)
        tick = clock.now_ns() // timer.period_ns
        start = TimePoint(tick * timer.period_ns)
        super().__init__(data_type, self.value_at(tick), start)
        self.tick = tick

    def value_at(self, tick: int) -> Any:
        """The signal's value at timer tick *tick*, in its data type."""
        top, bottom = self.top, self.bottom
        t = tick * self.timer.period_ns + self.phase_ns
        shape = self.shape
        if shape == "noise":
            fraction = _splitmix(self.seed ^ (tick & 0xFFFFFFFFFFFFFFFF)) / 18446744073709551616.0
            number = bottom + (top - bottom) * fraction
        else:
            position = t % self.wave_ns
            fraction = position / self.wave_ns
            if shape == "pulse":
                number = top if position < self.pulse_ns else bottom
            elif shape == "sinewave":
                number = (top + bottom) / 2 + (top - bottom) / 2 * math.sin(2 * math.pi * fraction)
            elif shape == "triangle":
                rise = 2 * fraction if fraction < 0.5 else 2 - 2 * fraction
                number = bottom + (top - bottom) * rise
            elif shape == "sawtooth":
                number = bottom + (top - bottom) * fraction
            else:
                number = bottom
        return convert(self.data_type, number)

    def refresh(self) -> None:
        tick = self.clock.now_ns() // self.timer.period_ns
        if tick == self.tick:
            return
        value = self.value_at(tick)
        period = self.timer.period_ns
        now = TimePoint(tick * period)
        mask = UPDATE_BIT | SOURCE_BIT
        # The first tick of the current value, searched back to the last refresh
        # (at most 64 ticks): the value may have changed and changed back meanwhile.
        first = tick
        limit = max(self.tick, tick - 64)
        while first - 1 > limit and self.value_at(first - 1) == value:
            first -= 1
        if first - 1 > self.tick or value != self.value:
            self.change = now if first == tick else TimePoint(first * period)
            mask |= VALUE_BIT | CHANGE_BIT
        self.value = value
        self.tick = tick
        self.update = self.source = now
        self.notify(mask)

    def get(self, attribute: int) -> Any:
        self.refresh()
        return Point.get(self, attribute)

    def store(self, value: Any, *, written: bool) -> None:
        # An override holds until the next tick recomputes the value.
        self.tick = self.clock.now_ns() // self.timer.period_ns
        super().store(value, written=written)

    def add_watch(self, watch: Watch) -> None:
        super().add_watch(watch)
        timer = self.timer
        if self not in timer.watched:
            timer.watched.add(self)
            if timer.on_watched is not None:
                timer.on_watched(timer)

    def remove_watch(self, watch: Watch) -> None:
        super().remove_watch(watch)
        if not self.watches:
            self.timer.watched.discard(self)


# --------------------------------------------------------------------------- elements


class Element:
    """One element of the model.

    ``key`` is the primary key (names joined by ``.``), ``entry`` the precomputed
    ``browse`` entry, ``table`` the shared :class:`AttrTable`, ``point`` the value
    state of a data point (shared with the ``@DataPoint`` elements that show it).
    """

    __slots__ = (
        "category",
        "children",
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
        self.table = _table(None)
        self.entry = {0: key, 1: element_uuid, 2: int(category)}

    def __repr__(self) -> str:
        return f"<Element {self.key!r} {self.category.name}>"

    def get(self, attribute: int) -> Any:
        """The raw value of *attribute*, or an :class:`AttributeFault` if unreadable.

        *attribute* must be in the element's table.
        """
        if attribute > 4:
            if attribute not in self.table.readable:
                return AttributeFault(ErrorCode.WRITE_ONLY, ErrorCode.WRITE_ONLY.text)
            point = self.point
            assert point is not None
            return point.get(attribute)
        if attribute == 0:
            return self.key
        if attribute == 1:
            return self.name
        if attribute == 2:
            return self.uuid
        if attribute == 3:
            return self.type
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


# --------------------------------------------------------------------------- model


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
                document = json.load(stream)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read model file {path}: {exc}") from exc
    if isinstance(document, list):
        document = {"children": document}
    if not isinstance(document, Mapping):
        raise ModelError("a model file holds a JSON object with a 'children' list")
    model = Model(path)
    _Builder(model).build(document)
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
            element = Element(
                key,
                name,
                element_uuid,
                element_type,
                _category(element_type, settings),
                parent,
                settings,
            )
            parent.children.append(element)
            elements.append(element)
            by_uuid[element_uuid] = element
            by_key[key] = element
            self.classify(element)
            sub = settings.get("children")
            if isinstance(sub, list):
                pending.extend((element, c) for c in reversed(sub))
        self.finish()

    def classify(self, element: Element) -> None:
        kind = element.type.lower()
        settings = element.settings
        if kind == "@skill.signalflow.register":
            data_type, value = _default_value(settings.get("defaultValue"))
            self.attach(
                element, Point(data_type, value, self.now, register=True), _access(settings)
            )
        elif kind == "@skill.coe.entry":
            data_type = parse_data_type(settings.get("dataType"), DataType.UINT16)
            output = settings.get("syncManager") == 2
            value = _initial(data_type, settings.get("defaultValue"))
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

    def attach(
        self, element: Element, point: Point, access: Access, *, source: bool = False
    ) -> None:
        element.point = point
        element.table = _table(point.data_type, access, source=source)

    def finish(self) -> None:
        fallback: Timer | None = self.model.timers[0] if self.model.timers else None
        for element, sampler in self.signals:
            timer = self.timers.get(self.sampler_timer.get(sampler.key, ""), fallback)
            if timer is None:
                timer = Timer("", _DEFAULT_PERIOD_NS)
                self.timers[""] = fallback = timer
                self.model.timers.append(timer)
            settings = element.settings
            data_type = parse_data_type(settings.get("dataType"), DataType.FLOAT64)
            signal = Signal(data_type, settings, timer, self.model.clock, element.uuid.int >> 64)
            timer.signals.append(signal)
            self.attach(element, signal, _RO, source=True)
        for element in self.data_points:
            io = element.settings.get("io")
            source = self.resolve(io) if isinstance(io, str) else None
            if source is not None and source.point is not None and source is not element:
                element.point = source.point
                element.table = source.table
            else:
                data_type = parse_data_type(element.settings.get("dataType"), DataType.FLOAT64)
                quality = Quality.BAD if isinstance(io, str) else Quality.GOOD
                point = Point(data_type, zero(data_type), self.now, register=True, quality=quality)
                self.attach(element, point, _access(element.settings))

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


def _access(settings: Mapping[str, Any]) -> Access:
    access = str(settings.get("access", "")).replace("-", "").replace("_", "").lower()
    return _WO if access in ("writeonly", "write") else _RW


def _default_value(spec: object) -> tuple[DataType, Any]:
    if isinstance(spec, list) and spec and isinstance(spec[0], str):
        data_type = parse_data_type(spec[0], DataType.FLOAT64)
        return data_type, _initial(data_type, spec[1] if len(spec) > 1 else None)
    if isinstance(spec, bool):
        return DataType.BOOLEAN, spec
    if isinstance(spec, int):
        return DataType.INT64, _initial(DataType.INT64, spec)
    if isinstance(spec, float):
        return DataType.FLOAT64, spec
    if isinstance(spec, str):
        return DataType.STRING, spec
    return DataType.FLOAT64, 0.0


def _initial(data_type: DataType, value: object) -> Any:
    if value is None:
        return zero(data_type)
    try:
        return coerce(data_type, value)
    except Exception:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return convert(data_type, float(value))
        return zero(data_type)
