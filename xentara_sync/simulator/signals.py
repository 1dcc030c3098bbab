"""Generated signals: waveforms computed from the clock, advancing on a model timer.

A :class:`Signal` is the value of a ``@Skill.SignalGenerator.Signal``: a pulse, sine,
triangle, saw-tooth or noise wave sampled at the ticks of its :class:`Timer`. Its
value is computed when read, so a signal nobody reads or watches costs nothing.

The model only describes timers; the server makes the watched ones tick
(:mod:`.timers`). The :class:`Clock` stands still while the simulated Xentara is
suspended.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any, Final

from ..protocol import DataType, TimePoint
from .datatypes import convert
from .elements import CHANGE_BIT, SOURCE_BIT, UPDATE_BIT, VALUE_BIT, Point, Watch

__all__ = ["Clock", "Signal", "Timer", "parse_duration"]

#: The shortest timer period (1 µs).
_MINIMUM_PERIOD_NS: Final = 1_000
#: How far back :meth:`Signal.refresh` looks for the first tick of a value.
_LOOK_BACK: Final = 64
_MASK64: Final = 0xFFFFFFFFFFFFFFFF


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


class Clock:
    """Wall-clock nanoseconds, which can be frozen (the suspended stage)."""

    __slots__ = ("frozen",)

    def __init__(self) -> None:
        self.frozen: int | None = None

    def now_ns(self) -> int:
        """The time signals are computed at: now, or the instant of freezing."""
        frozen = self.frozen
        return time.time_ns() if frozen is None else frozen


class Timer:
    """A model ``@Timer``: the signals it drives and which of them are watched.

    The server runs a timer only while :attr:`watched` is not empty; it sets
    :attr:`on_watched`, which is called when the first signal becomes watched.
    """

    __slots__ = ("key", "on_watched", "period_ns", "signals", "watched")

    def __init__(self, key: str, period_ns: int) -> None:
        self.key = key
        self.period_ns = max(int(period_ns), _MINIMUM_PERIOD_NS)
        self.signals: list[Signal] = []
        self.watched: set[Signal] = set()
        self.on_watched: Callable[[Timer], None] | None = None


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


class Signal(Point):
    """A generated signal: its value is a function of the timer tick.

    The value at tick *j* (time ``j * period``) is computed on demand; the timer
    refreshes watched signals at every tick. The change time is the first tick of
    the current value (searched back at most 64 ticks; beyond that, 64 ticks ago).

    *shape* is ``"pulse"``, ``"sinewave"``, ``"triangle"``, ``"sawtooth"`` or
    ``"noise"`` (anything else stays at *bottom*); the wave runs from *bottom* to
    *top* in *wave_ns*, shifted by *phase_ns*; a pulse is *top* for *pulse_ns*.
    *seed* makes each noise signal its own.
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
        timer: Timer,
        clock: Clock,
        seed: int,
        *,
        shape: str,
        top: float = 1.0,
        bottom: float = 0.0,
        wave_ns: int = 1_000_000_000,
        phase_ns: int = 0,
        pulse_ns: int | None = None,
    ) -> None:
        self.timer = timer
        self.clock = clock
        self.data_type = data_type
        self.top = top
        self.bottom = bottom
        self.seed = seed
        self.shape = shape
        self.wave_ns = max(wave_ns, 1)
        self.phase_ns = phase_ns
        self.pulse_ns = self.wave_ns // 2 if pulse_ns is None else pulse_ns
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
            fraction = _splitmix(self.seed ^ (tick & _MASK64)) / 18446744073709551616.0
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
        limit = max(self.tick, tick - _LOOK_BACK)
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
