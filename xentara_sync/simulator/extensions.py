"""The simulator's extensions of the model format, which twins of a real plant use.

Xentara skips keys and element types it does not know; the simulator reads these
(``xentara-sync snapshot`` writes them):

``"access": "readOnly"`` / ``"writeOnly"``
    on a ``@Skill.SignalFlow.Register`` or ``@DataPoint``: the value can only be
    read (a write gets -32103; like the simulator's other inputs it has a source
    time) or only be written (a read gets -32104). Without it: read and write.
``"@Simulator.Element"`` with ``"category": NAME``
    an element of that category (``"device_group"``, ``"transaction"``, ... any
    :class:`~xentara_sync.protocol.Category` name) without values, for categories
    no model type stands for.
``"replay": {"period": DURATION, "values": [[SECONDS, VALUE], ...]}``
    on a register: the value follows the recorded samples (each from its offset in
    seconds to the next one), over and over with the period (a duration as
    ``"10s"``), starting when the model is loaded; read and watched like a
    generated signal (the replay timer ticks every 10 ms while someone watches).
    A client may still write it; the next sample overrides the written value.

>>> extension_category("@Simulator.Element", {"category": "device_group"})
<Category.DEVICE_GROUP: 8>
>>> value_access({"access": "readOnly"}), value_access({})
(<Access.READ_ONLY: 0>, <Access.READ_WRITE: 2>)
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..exceptions import InvalidArgument
from ..protocol import Access, Category, DataType
from .signals import Clock, Signal, Timer

__all__ = [
    "ELEMENT_TYPE",
    "REPLAY_TICK_NS",
    "Replay",
    "extension_category",
    "replay_point",
    "value_access",
]

#: The element type whose ``"category"`` key names its category.
ELEMENT_TYPE: Final = "@Simulator.Element"
#: The period of the timer replayed values move at.
REPLAY_TICK_NS: Final = 10_000_000
#: The key of the replay timer among the model's timers.
REPLAY_TIMER: Final = "<replay>"

_ACCESS: Final = {
    "readonly": Access.READ_ONLY,
    "read": Access.READ_ONLY,
    "writeonly": Access.WRITE_ONLY,
    "write": Access.WRITE_ONLY,
}


class ExtensionError(ValueError):
    """An extension key holds something the simulator cannot use."""


def extension_category(element_type: str, settings: Mapping[str, Any]) -> Category | None:
    """The category of a :data:`ELEMENT_TYPE` element, or None for other types.

    An unknown category name raises :class:`ExtensionError`.
    """
    if element_type.lower() != ELEMENT_TYPE.lower():
        return None
    name = settings.get("category", "special_purpose")
    try:
        category = Category.parse(name)
    except (InvalidArgument, TypeError) as exc:
        raise ExtensionError(f"{ELEMENT_TYPE}: {exc}") from None
    return category


def value_access(settings: Mapping[str, Any]) -> Access:
    """The access of a register's value: its ``"access"`` key, read and write by default."""
    text = str(settings.get("access", "")).replace("-", "").replace("_", "").lower()
    return _ACCESS.get(text, Access.READ_WRITE)


class Replay(Signal):
    """A register that replays recorded values in a loop (a :class:`Signal` whose
    value at a tick is the sample recorded at that offset of the loop)."""

    __slots__ = ("loop_ns", "offsets", "samples", "start_ns")

    def __init__(
        self,
        data_type: DataType,
        timer: Timer,
        clock: Clock,
        samples: list[tuple[int, Any]],
        loop_ns: int,
    ) -> None:
        self.offsets = [offset for offset, _ in samples]
        self.samples = [value for _, value in samples]
        self.loop_ns = max(loop_ns, 1)
        self.start_ns = clock.now_ns()
        super().__init__(data_type, timer, clock, 0, shape="replay")

    def value_at(self, tick: int) -> Any:
        position = (tick * self.timer.period_ns - self.start_ns) % self.loop_ns
        # Before the first sample's offset: the last one still holds (a loop).
        return self.samples[bisect.bisect_right(self.offsets, position) - 1]


def replay_point(
    spec: object,
    data_type: DataType,
    clock: Clock,
    timers: list[Timer],
    convert: Callable[[DataType, object], Any],
    parse_duration: Callable[[object, int], int],
) -> Replay | None:
    """The :class:`Replay` a register's ``"replay"`` key describes (None without one).

    *convert* turns a recorded value into the register's type; the replay timer is
    added to *timers* once. Raises :class:`ExtensionError` for a malformed key.
    """
    if spec is None:
        return None
    values = spec.get("values") if isinstance(spec, Mapping) else None
    if not isinstance(values, list) or not values:
        raise ExtensionError('"replay" must be {"period": DURATION, "values": [[SECONDS, VALUE]]}')
    samples: list[tuple[int, Any]] = []
    for item in values:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or isinstance(item[0], bool)
            or not isinstance(item[0], (int, float))
            or item[0] < 0
        ):
            raise ExtensionError(f'"replay": each value is [SECONDS, VALUE], not {item!r:.60}')
        samples.append((int(item[0] * 1_000_000_000), convert(data_type, item[1])))
    samples.sort(key=lambda sample: sample[0])
    last = samples[-1][0]
    loop_ns = parse_duration(spec.get("period"), 0) if isinstance(spec, Mapping) else 0
    if loop_ns <= last:
        loop_ns = last + REPLAY_TICK_NS
    timer = next((t for t in timers if t.key == REPLAY_TIMER), None)
    if timer is None:
        timer = Timer(REPLAY_TIMER, REPLAY_TICK_NS)
        timers.append(timer)
    replay = Replay(data_type, timer, clock, samples, loop_ns)
    timer.signals.append(replay)
    return replay
