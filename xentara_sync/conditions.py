"""Waiting for a value: what a condition is, whether an event meets it, and what
the failure says.

``wait_until`` (every flavour) subscribes to the key and hands each event to a
:class:`Wait`; the first event is the current value, so a condition that already
holds is met at once. A condition is a value (met when the value equals it) or a
callable predicate (met when it returns something true; an exception it raises
propagates to the caller):

>>> import uuid
>>> from xentara_sync.model import Event
>>> wait = Wait("Hardware.Registers.Counter", lambda value: value > 3, 2.0)
>>> wait.check(Event(1704107471.5, "Hardware.Registers.Counter", uuid.UUID(int=1), 2))
False
>>> print(wait.failure())  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
'Hardware.Registers.Counter' did not satisfy <lambda> (<doctest ...>:1) within 2 s:
1 value seen, the last 2 at 2024-01-01T11:11:11.500000Z
>>> Wait("Hardware.Registers.Enable", True, 2.0).check(
...     Event(1704107471.5, "Hardware.Registers.Enable", uuid.UUID(int=2), True))
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .exceptions import ConditionNotMet
from .model import Event

__all__ = ["Condition", "Wait", "describe", "utc_text"]

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
    failure's message."""

    __slots__ = ("_deadline", "_test", "condition", "key", "last", "seen", "timeout")

    def __init__(self, key: str, condition: Condition, timeout: float) -> None:
        if not isinstance(key, str) or not key:
            raise TypeError(f"wait_until takes one primary key (a str), not {key!r}")
        self.key = key
        self.condition = condition
        self.timeout = timeout
        self._deadline = time.monotonic() + timeout
        #: How many values were checked.
        self.seen = 0
        #: The last event checked, or None.
        self.last: Event | None = None
        self._test: Callable[[Any], object] = (
            condition if callable(condition) else (lambda value: value == condition)
        )

    def check(self, event: Event) -> bool:
        """Whether *event*'s value meets the condition; a predicate's exception
        propagates."""
        self.seen += 1
        self.last = event
        return bool(self._test(event.value))

    def remaining(self) -> float:
        """Seconds left to wait; raises :meth:`failure` once none are left."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise self.failure()
        return left

    def failure(self) -> ConditionNotMet:
        """The exception for a wait that ran out."""
        timeout = self.timeout
        count = f"{self.seen} value{'' if self.seen == 1 else 's'} seen"
        if self.last is None:
            last = "no value seen"
        else:
            last = f"{count}, the last {self.last.value!r} at {utc_text(self.last.timestamp)}"
        return ConditionNotMet(
            f"{self.key!r} did not {describe(self.condition)} within {timeout:g} s: {last}",
            key=self.key,
            condition=self.condition,
            last=self.last,
            seen=self.seen,
            timeout=timeout,
        )
