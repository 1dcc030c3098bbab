"""Time stamps: :class:`TimePoint`, an instant in whole nanoseconds (UTC).

Xentara's time attributes and event time stamps decode to :class:`TimePoint`
(see :mod:`~xentara_sync.protocol.cbor` for the wire forms); it keeps the full
nanosecond precision of the wire, which :class:`~datetime.datetime` cannot.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import time
from decimal import Decimal
from typing import ClassVar, Final

__all__ = ["TimePoint"]

_NS_PER_S: Final = 1_000_000_000
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


class TimePoint:
    """An instant, in whole nanoseconds since the Unix epoch (UTC).

    Xentara's time attributes and event time stamps decode to this class. It keeps
    the full nanosecond precision of the wire and converts to what Python needs:

    >>> tp = TimePoint(1_704_107_471_111_587_983)
    >>> tp
    TimePoint('2024-01-01T11:11:11.111587983Z')
    >>> tp.timestamp()
    1704107471.111588
    >>> tp.to_datetime()
    datetime.datetime(2024, 1, 1, 11, 11, 11, 111587, tzinfo=datetime.timezone.utc)
    >>> TimePoint.from_seconds(1.5).ns
    1500000000
    """

    __slots__ = ("ns",)

    ns: int
    #: The earliest representable instant; on the wire ``1001({1: -Infinity})``
    #: (reference §10.3), and every earlier instant is clamped to it.
    MIN: ClassVar[TimePoint]
    #: The latest representable instant; on the wire ``1001({1: +Infinity})``.
    MAX: ClassVar[TimePoint]

    def __init__(self, ns: int) -> None:
        if not isinstance(ns, int) or isinstance(ns, bool):
            raise TypeError(f"TimePoint takes integer nanoseconds, not {type(ns).__name__}")
        object.__setattr__(self, "ns", min(max(ns, _INT64_MIN), _INT64_MAX))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("TimePoint is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("TimePoint is immutable")

    @classmethod
    def now(cls) -> TimePoint:
        """The current time."""
        return cls(time.time_ns())

    @classmethod
    def from_seconds(cls, seconds: float) -> TimePoint:
        """The instant *seconds* after the epoch; infinities give :attr:`MIN` / :attr:`MAX`."""
        if math.isnan(seconds):
            raise ValueError("a NaN time stamp is not an instant")
        if math.isinf(seconds):
            return cls(_INT64_MIN if seconds < 0 else _INT64_MAX)
        if isinstance(seconds, int):
            return cls(seconds * _NS_PER_S)
        return cls(round(Decimal(seconds) * _NS_PER_S))

    @classmethod
    def from_datetime(cls, value: _dt.datetime) -> TimePoint:
        """The instant of an aware :class:`~datetime.datetime` (naive means UTC)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _EPOCH
        return cls((delta.days * 86_400 + delta.seconds) * _NS_PER_S + delta.microseconds * 1000)

    @classmethod
    def from_isoformat(cls, text: str) -> TimePoint:
        """The instant of RFC 3339 text, with up to nanoseconds (the form of Xentara's
        model files and of :meth:`isoformat`); ``ValueError`` for anything else.

        >>> TimePoint.from_isoformat("2024-01-01T11:11:11.111587983Z").ns
        1704107471111587983
        >>> TimePoint.from_isoformat("2024-01-01T12:11:11+01:00") == TimePoint(1704107471 * 10**9)
        True
        """
        match = _RFC3339.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                f"{text!r} is not an RFC 3339 time stamp, as in 2024-01-01T11:11:11.111587983Z"
            )
        date, fraction, zone = match.group(1), match.group(2) or "", match.group(3)
        offset = "+00:00" if zone in ("Z", "z") else zone
        try:
            whole = _dt.datetime.fromisoformat(date.replace(" ", "T").upper() + offset)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid time stamp: {exc}") from None
        nanoseconds = int(fraction[1:].ljust(9, "0")) if fraction else 0
        return cls(cls.from_datetime(whole).ns + nanoseconds)

    def timestamp(self) -> float:
        """Seconds since the epoch, as :func:`time.time` gives them."""
        return self.ns / _NS_PER_S

    def to_datetime(self) -> _dt.datetime:
        """An aware UTC :class:`~datetime.datetime` (microsecond precision)."""
        return _EPOCH + _dt.timedelta(microseconds=self.ns // 1000)

    def isoformat(self) -> str:
        """ISO 8601 text in UTC with nanoseconds: ``2024-01-01T11:11:11.111587983Z``."""
        seconds, fraction = divmod(self.ns, _NS_PER_S)
        try:
            base = (_EPOCH + _dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
        except OverflowError:
            return f"{self.ns}ns"
        return f"{base}.{fraction:09d}Z"

    def __repr__(self) -> str:
        return f"TimePoint({self.isoformat()!r})"

    def __str__(self) -> str:
        return self.isoformat()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimePoint) and other.ns == self.ns

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TimePoint):
            return NotImplemented
        return self.ns < other.ns

    def __le__(self, other: object) -> bool:
        if not isinstance(other, TimePoint):
            return NotImplemented
        return self.ns <= other.ns

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, TimePoint):
            return NotImplemented
        return self.ns > other.ns

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, TimePoint):
            return NotImplemented
        return self.ns >= other.ns

    def __hash__(self) -> int:
        return hash(("TimePoint", self.ns))

    def __reduce__(self) -> tuple[type[TimePoint], tuple[int]]:
        return (TimePoint, (self.ns,))


_EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
#: RFC 3339 date-time: whole seconds, a fraction of up to 9 digits, a zone.
_RFC3339: Final = re.compile(
    r"(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d)(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)"
)
TimePoint.MIN = TimePoint(_INT64_MIN)
TimePoint.MAX = TimePoint(_INT64_MAX)
