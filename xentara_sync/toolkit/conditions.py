"""Waiting for a value: what a condition is, whether an event meets it, and what
the failure says.

``wait_until`` (every flavour) subscribes to the key and hands each event to a
:class:`Wait`; the first event is the current value, so a condition that already
holds is met at once. A condition is a value (met when the value equals it) or a
callable predicate (met when it returns something true; an exception it raises
propagates to the caller). A str condition also matches an enum-valued attribute
by the member's name, case-insensitively (``"good"`` matches ``Quality.GOOD``).

The current value is always checked, even with a zero timeout: the subscription
and its first event may take up to the client's timeout (*first_timeout*), or
*timeout* if that is longer; after the first event only *timeout*, counted from
the start of the wait, applies. An attribute in error (write only, a read error)
is no value to test: the wait raises the exception :meth:`read` raises for it,
at once, and the predicate never sees an
:class:`~xentara_sync.protocol.AttributeFault`:

>>> import uuid
>>> from xentara_sync.protocol.index import Event
>>> wait = Wait("Hardware.Registers.Counter", lambda value: value > 3, 2.0)
>>> wait.check(Event(1704107471.5, "Hardware.Registers.Counter", uuid.UUID(int=1), 2))
False
>>> wait.check(Event(1704107471.75, "Hardware.Registers.Counter", uuid.UUID(int=1), 1))
False
>>> print(wait.failure())  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
'Hardware.Registers.Counter' did not satisfy <lambda> (<doctest ...>:1) within 2 s:
2 values seen (lowest 1, highest 2), the last 1 at 2024-01-01T11:11:11.750000Z
>>> Wait("Hardware.Registers.Enable", True, 2.0).check(
...     Event(1704107471.5, "Hardware.Registers.Enable", uuid.UUID(int=2), True))
True
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from typing import Any

from ..exceptions import (
    ConditionBroken,
    ConditionNotMet,
    InvalidArgument,
    RequestTimeout,
    ServerError,
)
from ..protocol import AttributeFault
from ..protocol.index import Event

__all__ = [
    "Condition",
    "Hold",
    "Wait",
    "check_seconds",
    "check_timeout",
    "describe",
    "equals",
    "utc_text",
]

#: What ``wait_until`` waits for: a value (equality) or a predicate on the value.
Condition = Any


def describe(condition: Condition) -> str:
    """*condition* as a failure message shows it.

    >>> describe(5), describe("on")
    ('become 5', "become 'on'")
    >>> def is_high(value: float) -> bool:
    ...     return value > 0.5
    >>> describe(is_high)
    'satisfy is_high'
    """
    if not callable(condition):
        return f"become {condition!r}"
    name = getattr(condition, "__qualname__", None) or getattr(condition, "__name__", None)
    if name is None:
        return f"satisfy {condition!r}"
    code = getattr(condition, "__code__", None)
    if name.endswith("<lambda>") and code is not None:
        return f"satisfy <lambda> ({code.co_filename}:{code.co_firstlineno})"
    return f"satisfy {name}"


def check_timeout(timeout: Any, operation: str = "wait_until") -> float:
    """*timeout* (seconds) for ``wait_until`` (or *operation*): a finite number of 0
    or more.

    >>> check_timeout(0), check_timeout(2.5)
    (0, 2.5)
    >>> check_timeout(-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: wait_until: timeout must be ..., not -1
    """
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout < 0
    ):
        raise InvalidArgument(
            f"{operation}: timeout must be a finite number of seconds, 0 or more, not {timeout!r}"
        )
    return timeout


def check_seconds(seconds: Any, operation: str = "hold") -> float:
    """*seconds* for ``hold``: a finite number above 0.

    >>> check_seconds(2)
    2
    >>> check_seconds(0)
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: hold: seconds must be a finite number above 0, not 0
    """
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds <= 0
    ):
        raise InvalidArgument(
            f"{operation}: seconds must be a finite number above 0, not {seconds!r}"
        )
    return seconds


def _number(value: Any) -> float | None:
    """*value* as a number for the lowest and highest seen, or None (booleans,
    enums, NaN and anything else are no numbers here)."""
    if isinstance(value, (bool, enum.Enum)) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _range(lowest: float | None, highest: float | None) -> str:
    if lowest is None or highest is None:
        return ""
    return f" (lowest {lowest!r}, highest {highest!r})"


def equals(condition: Any) -> Callable[[Any], bool]:
    """The test of a value condition: equality; a str also matches an enum member by
    its name, case-insensitively.

    >>> from xentara_sync.protocol import Quality
    >>> equals("good")(Quality.GOOD), equals(0)(Quality.GOOD), equals("bad")(Quality.GOOD)
    (True, True, False)
    """
    if isinstance(condition, str):
        folded = condition.casefold()

        def test(value: Any) -> bool:
            if isinstance(value, enum.Enum) and value.name.casefold() == folded:
                return True
            return bool(value == condition)

        return test
    return lambda value: bool(value == condition)


def utc_text(timestamp: float) -> str:
    """Seconds since the epoch as UTC ISO 8601, to the microsecond.

    >>> utc_text(1704107471.25)
    '2024-01-01T11:11:11.250000Z'
    """
    whole = int(timestamp // 1)
    micros = round((timestamp - whole) * 1_000_000)
    if micros == 1_000_000:
        whole, micros = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros:06d}Z"


class Wait:
    """One wait of at most *timeout* seconds (from now) for *key* to meet
    *condition*: counts the values it is shown and keeps the last, for the
    failure's message. The first value may take *first_timeout* seconds (the
    client's timeout) when that is longer than *timeout*: the current value is
    always checked."""

    __slots__ = (
        "_deadline",
        "_first_deadline",
        "_test",
        "condition",
        "highest",
        "key",
        "last",
        "lowest",
        "met",
        "seen",
        "timeout",
    )

    #: The name of the call, for messages.
    operation = "wait_until"

    def __init__(
        self, key: str, condition: Condition, timeout: float, first_timeout: float = 0.0
    ) -> None:
        if not isinstance(key, str) or not key:
            raise InvalidArgument(f"{self.operation} takes one primary key (a str), not {key!r}")
        check_timeout(timeout, self.operation)
        self.key = key
        self.condition = condition
        self.timeout = timeout
        now = time.monotonic()
        self._deadline = now + timeout
        self._first_deadline = now + max(timeout, first_timeout)
        #: How many values were checked.
        self.seen = 0
        #: The last event checked, or None.
        self.last: Event | None = None
        #: The event that met the condition, or None.
        self.met: Event | None = None
        #: The lowest and highest numbers checked (None: no number yet).
        self.lowest: float | None = None
        self.highest: float | None = None
        self._test: Callable[[Any], object] = (
            condition if callable(condition) else equals(condition)
        )

    def check(self, event: Event) -> bool:
        """Whether *event*'s value meets the condition; a predicate's exception
        propagates. An :class:`~xentara_sync.protocol.AttributeFault` raises the
        :class:`~xentara_sync.ServerError` a read raises for it
        (:class:`~xentara_sync.WriteOnly`...)."""
        self.seen += 1
        self.last = event
        value = event.value
        number = _number(value)
        if number is not None:
            if self.lowest is None or number < self.lowest:
                self.lowest = number
            if self.highest is None or number > self.highest:
                self.highest = number
        if type(value) is AttributeFault:
            # The class a read raises (reads number "write only" their own way),
            # the message naming the wait.
            cls = type(ServerError.from_code(value.code, value.text, operation="read"))
            raise cls(value.code, value.text, operation=self.operation, element=self.key)
        return bool(self._test(value))

    def remaining(self) -> float:
        """Seconds left to wait; raises :meth:`failure` once none are left. Until
        the first value came, the first value's own deadline counts."""
        __tracebackhide__ = True  # pytest: a failure shows the caller's line
        deadline = self._first_deadline if self.seen == 0 else self._deadline
        left = deadline - time.monotonic()
        if left <= 0:
            raise self.failure()
        return left

    def next_wait(self) -> float | None:
        """Seconds to wait for the next event; None once the wait is over (its
        event: :meth:`result`). Raises :meth:`failure` once no time is left.

        A client's loop: ``while (left := w.next_wait()) is not None: w.take(the
        next event within left seconds, or None)``, then ``w.result()``."""
        __tracebackhide__ = True  # pytest: a failure shows the caller's line
        return None if self.met is not None else self.remaining()

    def take(self, event: Event | None) -> None:
        """The next event (None: none came in time, the wait failed)."""
        __tracebackhide__ = True
        if event is None:
            raise self.failure()
        if self.check(event):
            self.met = event

    def result(self) -> Event:
        """The event that met the condition."""
        assert self.met is not None
        return self.met

    def failure(self) -> ConditionNotMet:
        """The exception for a wait that ran out."""
        timeout = self.timeout
        count = f"{self.seen} value{'' if self.seen == 1 else 's'} seen"
        if self.last is None:
            last = "no value seen"
        else:
            seen = count + (_range(self.lowest, self.highest) if self.seen > 1 else "")
            last = f"{seen}, the last {self.last.value!r} at {utc_text(self.last.timestamp)}"
        return ConditionNotMet(
            f"{self.key!r} did not {describe(self.condition)} within {timeout:g} s: {last}",
            key=self.key,
            condition=self.condition,
            last=self.last,
            seen=self.seen,
            timeout=timeout,
            lowest=self.lowest,
            highest=self.highest,
        )


class Hold(Wait):
    """One check that *key* meets *condition* for *seconds*: the current value
    first (it may take *timeout* seconds to come, or *first_timeout* if that is
    longer), then every change until *seconds* after the current value came.

    >>> import uuid
    >>> from xentara_sync.protocol.index import Event
    >>> hold = Hold("Hardware.Registers.Counter", 3, 2.0, 5.0)
    >>> hold.check(Event(1704107400.0, "Hardware.Registers.Counter", uuid.UUID(int=1), 3))
    True
    >>> hold.started = 1704107471.5  # when the current value came (time.time())
    >>> broken = Event(1704107472.25, "Hardware.Registers.Counter", uuid.UUID(int=1), 4)
    >>> hold.check(broken)
    False
    >>> print(hold.broken(broken))  # doctest: +NORMALIZE_WHITESPACE
    'Hardware.Registers.Counter' did not stay 3 for 2 s: 4 at 2024-01-01T11:11:12.250000Z,
    0.75 s into the hold (2 values seen)
    """

    __slots__ = ("_end", "seconds", "started")

    operation = "hold"

    def __init__(
        self,
        key: str,
        condition: Condition,
        seconds: float,
        timeout: float,
        first_timeout: float = 0.0,
    ) -> None:
        check_seconds(seconds)
        super().__init__(key, condition, timeout, first_timeout)
        self.seconds = seconds
        #: When the current value came (:func:`time.time`): the start of the hold.
        self.started: float | None = None
        self._end = math.inf

    def check(self, event: Event) -> bool:
        """Whether *event*'s value meets the condition; the first starts the hold."""
        if self.started is None:
            self.started = time.time()
            self._end = time.monotonic() + self.seconds
        return super().check(event)

    def remaining(self) -> float | None:  # type: ignore[override]
        """Seconds left to hold, None once the hold is over; raises
        :class:`~xentara_sync.RequestTimeout` if the current value did not come in
        time."""
        now = time.monotonic()
        if self.seen == 0:
            left = self._first_deadline - now
            if left <= 0:
                raise RequestTimeout(
                    f"hold: no value of {self.key!r} within {max(self.timeout, 0):g} s"
                )
            return left
        left = self._end - now
        return left if left > 0 else None

    def next_wait(self) -> float | None:
        """Seconds to wait for the next event; None once the hold is over."""
        return self.remaining()

    def take(self, event: Event | None) -> None:
        """The next event (None: none came, the value stayed): raises
        :meth:`broken` if it does not meet the condition."""
        __tracebackhide__ = True
        if event is not None and not self.check(event):
            raise self.broken(event)

    def result(self) -> Event:
        """The last event checked."""
        assert self.last is not None
        return self.last

    def broken(self, event: Event) -> ConditionBroken:
        """The exception for *event*, which broke the condition. The time into the
        hold is the change's time stamp minus the time the current value came; the
        current value itself breaks it at 0 s."""
        started = time.time() if self.started is None else self.started
        after = 0.0 if self.seen <= 1 else max(0.0, event.timestamp - started)
        text = describe(self.condition)
        text = "stay " + text[7:] if text.startswith("become ") else "keep to " + text
        count = f"{self.seen} value{'' if self.seen == 1 else 's'} seen"
        return ConditionBroken(
            f"{self.key!r} did not {text} for {self.seconds:g} s: {event.value!r} at "
            f"{utc_text(event.timestamp)}, {after:.3g} s into the hold ({count})",
            key=self.key,
            condition=self.condition,
            event=event,
            value=event.value,
            after=after,
            timestamp=event.timestamp,
            seconds=self.seconds,
            seen=self.seen,
        )
