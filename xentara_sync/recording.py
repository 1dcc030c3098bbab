"""A recording of value changes: what ``client.record(...)`` returns.

A :class:`Recording` holds the events of the recorded keys in the order they came
(each key's current value first, then every change), and writes them out as CSV,
a pandas DataFrame or a PNG plot. A value in error (an
:class:`~xentara_sync.protocol.AttributeFault`: a write-only attribute, a read
error) is kept as an event like any other; CSV and DataFrame leave its ``value``
empty and put the fault (``"value is write only (-32104)"``) in the ``error``
column, which is empty for every other event; a plot shows it as a gap:

>>> import io, uuid
>>> from xentara_sync.model import Event
>>> recording = Recording(
...     ["Hardware.Registers.Counter"],
...     [
...         Event(1704107471.25, "Hardware.Registers.Counter", uuid.UUID(int=1), 1),
...         Event(1704107471.75, "Hardware.Registers.Counter", uuid.UUID(int=1), 2),
...     ],
... )
>>> recording.values("Hardware.Registers.Counter")
[1, 2]
>>> out = io.StringIO()
>>> recording.to_csv(out)
>>> print(out.getvalue().replace("\\r\\n", "\\n"), end="")
time,timestamp,key,value,error
2024-01-01T11:11:11.250000Z,1704107471.25,Hardware.Registers.Counter,1,
2024-01-01T11:11:11.750000Z,1704107471.75,Hardware.Registers.Counter,2,

pandas (``pip install "xentara-sync[pandas]"``) and matplotlib
(``pip install "xentara-sync[plot]"``) are imported only when :meth:`Recording.to_dataframe`
or :meth:`Recording.plot` is called.
"""

from __future__ import annotations

import csv
import enum
import math
import os
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

from .conditions import utc_text
from .exceptions import InvalidArgument, RequestTimeout
from .model import Event
from .protocol import AttributeFault, TimePoint

if TYPE_CHECKING:
    import pandas

__all__ = ["CSV_COLUMNS", "Limits", "Recording", "check_output", "csv_error", "csv_value"]

#: The columns of :meth:`Recording.to_csv` (and :meth:`Recording.to_dataframe`).
CSV_COLUMNS = ("time", "timestamp", "key", "value", "error")


def csv_value(value: Any) -> Any:
    """*value* as a CSV cell: numbers and booleans as they are, enums as their
    number, time points as RFC 3339 UTC text to the nanosecond, a value in error
    as None (an empty cell: see :func:`csv_error`), anything else as its text.

    >>> csv_value(True), csv_value(2.5), csv_value(TimePoint(1_500_000_001))
    (True, 2.5, '1970-01-01T00:00:01.500000001Z')
    """
    if isinstance(value, enum.IntEnum):
        return int(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, TimePoint):
        return value.isoformat()
    if isinstance(value, AttributeFault):
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def csv_error(value: Any) -> str | None:
    """The ``error`` cell of *value*: the fault's text and code for a value in
    error, else None (empty).

    >>> csv_error(AttributeFault(-32104, "value is write only")), csv_error(1)
    ('value is write only (-32104)', None)
    """
    return str(value) if isinstance(value, AttributeFault) else None


def check_output(path: str | os.PathLike[str], what: str) -> None:
    """Check, before recording, that the *what* (``"CSV"``, ``"plot"``) can be
    written to *path*: :class:`FileNotFoundError` if its directory does not exist,
    :class:`IsADirectoryError` if *path* is a directory.

    >>> check_output("/nonexistent/run.csv", "CSV")
    Traceback (most recent call last):
    ...
    FileNotFoundError: cannot write the CSV to /nonexistent/run.csv: no directory /nonexistent
    """
    text = os.fspath(path)
    if os.path.isdir(text):
        raise IsADirectoryError(f"cannot write the {what} to {text}: it is a directory")
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write the {what} to {text}: no directory {folder}")


class Limits:
    """When a recording of *keys* ends: after *seconds*, after *count* events,
    whichever comes first. At least one is needed; with *count* alone, each event
    must come within *timeout* seconds of the one before
    (:class:`~xentara_sync.RequestTimeout` otherwise).

    >>> Limits(("Hardware.Signals.Sine",), None, None, 10.0)
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: record needs seconds= or count= (or both)
    """

    __slots__ = ("_deadline", "_quiet_until", "count", "keys", "seconds", "timeout")

    def __init__(
        self, keys: Sequence[str], seconds: float | None, count: int | None, timeout: float
    ) -> None:
        if seconds is None and count is None:
            raise InvalidArgument("record needs seconds= or count= (or both)")
        if seconds is not None and not (
            isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0
        ):
            raise InvalidArgument(f"seconds must be a positive number, not {seconds!r}")
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise InvalidArgument(f"count must be a positive int, not {count!r}")
        self.keys = tuple(keys)
        self.seconds = seconds
        self.count = count
        self.timeout = timeout
        self._deadline: float | None = None
        self._quiet_until = 0.0

    def start(self) -> None:
        """The recording starts now (after subscribing): the clocks run."""
        now = time.monotonic()
        if self.seconds is not None:
            self._deadline = now + self.seconds
        self._quiet_until = now + self.timeout

    def recorded(self) -> None:
        """An event came: the next may take *timeout* seconds again."""
        self._quiet_until = time.monotonic() + self.timeout

    def next_wait(self, recorded: int) -> float | None:
        """How long to wait for the next event; None when the recording is over."""
        if self.count is not None and recorded >= self.count:
            return None
        now = time.monotonic()
        if self._deadline is not None:
            left = self._deadline - now
            return left if left > 0 else None
        quiet = self._quiet_until - now
        if quiet <= 0:
            raise RequestTimeout(
                f"no event from {', '.join(self.keys)} within {self.timeout:g} s "
                f"({recorded} of {self.count} events recorded)"
            )
        return quiet


class Recording:
    """The events recorded from *keys*, in the order they came.

    Attributes:
        keys: the recorded primary keys.
        events: every :class:`~xentara_sync.Event`, the current values first.

    A value in error is an event too: its value is the
    :class:`~xentara_sync.protocol.AttributeFault` (in :attr:`events` and
    :meth:`values`); in CSV and the DataFrame its ``value`` is empty and its
    ``error`` says what the fault is; a plot leaves a gap.
    """

    def __init__(self, keys: Sequence[str], events: Iterable[Event] = ()) -> None:
        self.keys: tuple[str, ...] = tuple(keys)
        self.events: list[Event] = list(events)

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        return f"<Recording of {', '.join(self.keys)}: {len(self.events)} events>"

    def values(self, key: str) -> list[Any]:
        """The values of *key*, in the order they came; :class:`KeyError` if *key*
        was not recorded."""
        if key not in self.keys:
            raise KeyError(f"{key!r} was not recorded (recorded: {', '.join(self.keys)})")
        return [event.value for event in self.events if event.name == key]

    def times(self, key: str) -> list[float]:
        """The time stamps of *key*'s values (seconds since the epoch)."""
        if key not in self.keys:
            raise KeyError(f"{key!r} was not recorded (recorded: {', '.join(self.keys)})")
        return [event.timestamp for event in self.events if event.name == key]

    def rows(self) -> list[tuple[str, float, str, Any, str | None]]:
        """One row per event: UTC ISO 8601 time, timestamp, key, value, error (as
        in CSV)."""
        return [
            (
                utc_text(event.timestamp),
                event.timestamp,
                event.name,
                csv_value(event.value),
                csv_error(event.value),
            )
            for event in self.events
        ]

    def to_csv(self, path_or_file: str | os.PathLike[str] | IO[str]) -> None:
        """Write the events as CSV: a header, then ``time,timestamp,key,value,error``
        per event (time in UTC, ISO 8601, to the microsecond; timestamp in seconds
        since the epoch; a time-point value as RFC 3339 to the nanosecond; error
        empty unless the value is in error, whose value is then empty).

        *path_or_file* is a path (the file is replaced, UTF-8) or an open text file.
        """
        if isinstance(path_or_file, (str, os.PathLike)):
            with open(path_or_file, "w", encoding="utf-8", newline="") as file:
                self._write_csv(file)
        else:
            self._write_csv(path_or_file)

    def _write_csv(self, file: IO[str]) -> None:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(self.rows())

    def to_dataframe(self) -> pandas.DataFrame:
        """The events as a :class:`pandas.DataFrame` with the CSV's columns; ``time``
        is a timezone-aware UTC datetime. Needs pandas
        (``pip install "xentara-sync[pandas]"``)."""
        try:
            import pandas
        except ImportError as exc:
            raise ImportError(
                'to_dataframe() needs pandas: pip install "xentara-sync[pandas]"'
            ) from exc
        frame = pandas.DataFrame(
            [
                (event.timestamp, event.name, csv_value(event.value), csv_error(event.value))
                for event in self.events
            ],
            columns=list(CSV_COLUMNS[1:]),
        )
        frame.insert(0, "time", pandas.to_datetime(frame["timestamp"], unit="s", utc=True))
        return frame

    def plot(self, path: str | os.PathLike[str], *, title: str | None = None) -> None:
        """Save a PNG of the numeric and boolean series over time, one panel per key.

        Keys whose values are neither numbers nor booleans are left out; a recording
        with none raises :class:`ValueError`. Needs matplotlib
        (``pip install "xentara-sync[plot]"``); it is used without pyplot, so the
        application's own matplotlib backend is left alone.
        """
        from .plotting import plot_recording

        plot_recording(self, path, title=title)
