"""The simulator's extensions of the model format, which twins of a real plant use.

The simulator reads these keys and element type (``xentara-sync snapshot`` writes
them). Xentara's model schema does not list them, and forbids unlisted keys on
registers, so a real Xentara may refuse a file that holds them: they are for the
simulator.

``"access": "readOnly"`` / ``"writeOnly"`` / ``"readWrite"``
    on a ``@Skill.SignalFlow.Register``: the value can only be read (a write gets
    -32103; like the simulator's other inputs it has a source time), only be
    written (a read gets -32104), or both (as without the key). On a
    ``@DataPoint`` whose ``io`` names an element of a type the simulator does not
    know (a driver's input or output, whose direction it cannot tell), the same;
    without the key such a point is read only, unless its ``io`` names an
    ``"output"``. Case, ``-`` and ``_`` do not matter; any other value is a model
    error.
``"@Simulator.Element"`` with ``"category": NAME``
    an element of that category (``"device_group"``, ``"transaction"``, ... any
    :class:`~xentara_sync.protocol.Category` name) without values, for categories
    no model type stands for. An unknown name is a model error.
``"replay": {"period": DURATION, "values": [[SECONDS, VALUE], ...]}``
    on a register: the value follows the recorded samples (each from its offset in
    seconds to the next one), over and over with the period, starting when the
    model is loaded; read and watched like a generated signal (the replay timer
    ticks every 10 ms while someone watches), so reads and events agree. A client
    may still write it; the next sample overrides the written value. The period is
    a duration text above zero (``"10s"``, ``"500ms"``; a JSON number is refused:
    it would leave the unit unsaid); the offsets are finite numbers of seconds from
    0, in order (equal offsets: the last of them holds), each below the period.
    Anything else is a model error naming the element.

>>> extension_category("@Simulator.Element", {"category": "device_group"})
<Category.DEVICE_GROUP: 8>
>>> value_access({"access": "readOnly"}), value_access({})
(<Access.READ_ONLY: 0>, <Access.READ_WRITE: 2>)
>>> value_access({"access": "sometimes"})
Traceback (most recent call last):
...
xentara_sync.simulator.extensions.ExtensionError: "access" must be "readOnly", \
"writeOnly" or "readWrite", not 'sometimes'
"""

from __future__ import annotations

import bisect
import math
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
    "writeonly": Access.WRITE_ONLY,
    "readwrite": Access.READ_WRITE,
}
_REPLAY_FORM: Final = '"replay" must be {"period": DURATION, "values": [[SECONDS, VALUE], ...]}'


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
    """The access of a register's value: its ``"access"`` key, read and write by default.

    A value other than those :mod:`this module <.extensions>` lists raises
    :class:`ExtensionError`.
    """
    if "access" not in settings:
        return Access.READ_WRITE
    given = settings["access"]
    if isinstance(given, str):
        found = _ACCESS.get(given.replace("-", "").replace("_", "").lower())
        if found is not None:
            return found
    raise ExtensionError(
        f'"access" must be "readOnly", "writeOnly" or "readWrite", not {given!r:.60}'
    )


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
    if not isinstance(spec, Mapping) or not isinstance(values, list) or not values:
        raise ExtensionError(_REPLAY_FORM)
    period = spec.get("period")
    loop_ns = parse_duration(period, 0) if isinstance(period, str) else 0
    if loop_ns <= 0:
        raise ExtensionError(
            f'"replay": "period" must be a duration above zero such as "10s", not {period!r:.40}'
        )
    samples: list[tuple[int, Any]] = []
    for item in values:
        offset = item[0] if isinstance(item, list) and len(item) == 2 else None
        if (
            isinstance(offset, bool)
            or not isinstance(offset, (int, float))
            or not 0 <= offset < math.inf
        ):
            raise ExtensionError(
                '"replay": each value is [SECONDS, VALUE] with SECONDS a number from 0, '
                f"not {item!r:.60}"
            )
        offset_ns = int(offset * 1_000_000_000)
        if offset_ns >= loop_ns:
            raise ExtensionError(
                f'"replay": the offset {offset!r} is not below the period {period!r:.40}'
            )
        if samples and offset_ns < samples[-1][0]:
            raise ExtensionError(
                f'"replay": the offsets must be in order: {offset!r} comes after a later one'
            )
        samples.append((offset_ns, convert(data_type, item[1])))
    timer = next((t for t in timers if t.key == REPLAY_TIMER), None)
    if timer is None:
        timer = Timer(REPLAY_TIMER, REPLAY_TICK_NS)
        timers.append(timer)
    replay = Replay(data_type, timer, clock, samples, loop_ns)
    timer.signals.append(replay)
    return replay
