"""What the terminal view shows of values, qualities and times; no Textual here.

>>> import uuid
>>> pin = Pin("Hardware.Registers.Counter")
>>> for n, value in enumerate([1, 3, 2, 5]):
...     pin.update(Event(1704107471.0 + n, pin.key, uuid.UUID(int=1), value))
>>> pin.text(), pin.trend()
('5', '▁▅▃█')
"""

from __future__ import annotations

import collections
import enum
import math
import time
from collections.abc import Iterable
from typing import Any, Final

from ..protocol import AttributeFault, Quality
from ..protocol.index import AttributeInfo, Event
from ..tools.common import display

__all__ = [
    "SPARK_POINTS",
    "Pin",
    "access_text",
    "change_time",
    "sparkline",
    "type_text",
    "value_text",
]

#: The recent numeric values a pinned key's sparkline shows.
SPARK_POINTS: Final = 12
_BARS: Final = "▁▂▃▄▅▆▇█"


def sparkline(values: Iterable[float]) -> str:
    """One bar per value, from ▁ (the lowest) to █ (the highest); NaN as a space.

    >>> sparkline([0, 5, 10]), sparkline([2, 2]), sparkline([])
    ('▁▅█', '▄▄', '')
    """
    points = list(values)
    finite = [v for v in points if math.isfinite(v)]
    if not finite:
        return " " * len(points)
    low, high = min(finite), max(finite)
    span = high - low
    top = len(_BARS) - 1
    bars = []
    for value in points:
        if not math.isfinite(value):
            bars.append(" ")
        elif span == 0:
            bars.append(_BARS[top // 2])
        else:
            bars.append(_BARS[round((value - low) / span * top)])
    return "".join(bars)


def number(value: Any) -> float | None:
    """*value* as a point of a sparkline: numbers and booleans (0/1); else None.

    >>> number(True), number(2), number("2"), number(Quality.GOOD)
    (1.0, 2.0, None, None)
    """
    if isinstance(value, enum.Enum):
        return None
    if isinstance(value, (bool, int, float)):
        return float(value)
    return None


def value_text(value: Any) -> str:
    """A value as the view shows it: booleans and enums as words, a value in
    error as ``error: ...``, floats to 6 significant digits.

    >>> value_text(True), value_text(Quality.BAD), value_text(3.14159265)
    ('true', 'bad', '3.14159')
    >>> value_text(AttributeFault(-32104, "value is write only"))
    'error: value is write only (-32104)'
    """
    if isinstance(value, AttributeFault):
        return f"error: {value}"
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.6g}"
    return display(value)


def change_time(timestamp: float | None) -> str:
    """A time of change as local HH:MM:SS.mmm ('' for none).

    >>> len(change_time(1704107471.25)), change_time(None)
    (12, '')
    """
    if timestamp is None:
        return ""
    clock = time.strftime("%H:%M:%S", time.localtime(timestamp))
    return f"{clock}.{int(timestamp % 1 * 1000):03d}"


def access_text(access: Any) -> str:
    """An :class:`~xentara_sync.protocol.Access` as words.

    >>> from xentara_sync.protocol import Access
    >>> access_text(Access.READ_WRITE), access_text(Access.WRITE_ONLY)
    ('read-write', 'write-only')
    """
    name = getattr(access, "name", None)
    return str(name).lower().replace("_", "-") if name else str(access)


def type_text(attribute: AttributeInfo) -> str:
    """An attribute's data type and access in short: ``float64 rw``, ``uuid r``.

    >>> from xentara_sync.protocol import Access, DataType
    >>> type_text(AttributeInfo("value", 11, Access.WRITE_ONLY, DataType.UINT32))
    'uint32 w'
    """
    short = {"READ_ONLY": "r", "WRITE_ONLY": "w", "READ_WRITE": "rw"}
    access = short.get(getattr(attribute.access, "name", ""), access_text(attribute.access))
    return f"{attribute.data_type.name.lower()} {access}"


class Pin:
    """A pinned key: its latest value and time of change, its quality, and its
    recent numeric values (at most :data:`SPARK_POINTS`)."""

    __slots__ = ("history", "key", "quality", "timestamp", "value")

    def __init__(self, key: str) -> None:
        self.key = key
        self.value: Any = None
        self.timestamp: float | None = None
        self.quality: Any = None
        self.history: collections.deque[float] = collections.deque(maxlen=SPARK_POINTS)

    def update(self, event: Event) -> None:
        """Take the value of *event*."""
        self.value = event.value
        self.timestamp = event.timestamp
        point = number(event.value)
        if point is not None:
            self.history.append(point)

    @property
    def in_error(self) -> bool:
        """Whether the latest value is an error."""
        return isinstance(self.value, AttributeFault)

    def text(self) -> str:
        """The latest value as the view shows it ('…' before the first; an error
        as ✖ and its text)."""
        if self.timestamp is None:
            return "…"
        if isinstance(self.value, AttributeFault):
            return f"✖ {self.value.text} ({self.value.code})"
        return value_text(self.value)

    def quality_text(self) -> str:
        """The quality as a word ('' while unknown, ``error`` if it cannot be read)."""
        if self.quality is None:
            return ""
        return value_text(self.quality) if isinstance(self.quality, Quality) else "error"

    def trend(self) -> str:
        """The sparkline of the recent numeric values."""
        return sparkline(self.history)
