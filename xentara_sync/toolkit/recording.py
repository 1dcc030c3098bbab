"""A recording of value changes: what ``client.record(...)`` returns and what
``client.recorder(...)`` fills.

A :class:`Recording` holds the events of the recorded keys in the order they came
(each key's current value first, then every change), and writes them out in time
order as CSV, a pandas DataFrame or a plot. Its clock is the recording's own:
``seconds`` since it started. A key's current value when the recording started
(its first event) counts from 0 s, however old its time stamp; every change counts
from its time stamp. The source's time stamps stay in the ``time`` and
``timestamp`` columns. A value in error (an
:class:`~xentara_sync.protocol.AttributeFault`: a write-only attribute, a read
error) is kept as an event like any other; CSV and DataFrame leave its ``value``
empty and put the fault (``"value is write only (-32104)"``) in the ``error``
column, which is empty for every other event; a plot shows it as a gap:

>>> import io, uuid
>>> from xentara_sync.protocol.index import Event
>>> recording = Recording(
...     ["Hardware.Registers.Counter"],
...     [
...         Event(1704107400.0, "Hardware.Registers.Counter", uuid.UUID(int=1), 1),
...         Event(1704107471.75, "Hardware.Registers.Counter", uuid.UUID(int=1), 2),
...     ],
...     started=1704107471.25,
... )
>>> recording.values("Hardware.Registers.Counter")
[1, 2]
>>> out = io.StringIO()
>>> recording.to_csv(out)
>>> print(out.getvalue().replace("\\r\\n", "\\n"), end="")
seconds,time,timestamp,key,value,error
0.0,2024-01-01T11:10:00.000000Z,1704107400.0,Hardware.Registers.Counter,1,
0.5,2024-01-01T11:11:11.750000Z,1704107471.75,Hardware.Registers.Counter,2,

A recording holds at most ``max_events`` events in memory (:data:`DEFAULT_MAX_EVENTS`
unless told); later events are counted in :attr:`Recording.dropped`, not kept, and
the recording's outputs end where it became full. A :class:`RecordingSink` plugged
into a recording sees every event, kept or not (a way to stream a long recording to
a file while memory holds its start).

A recording made with ``to=FILE`` (``record(..., to="run.parquet")``) streams
every event to FILE as it comes, in the format its suffix names (``.csv``,
``.parquet``, ``.tdms``: see :mod:`xentara_sync.toolkit.recordfile`), and keeps none in
memory unless ``max_events`` is given (then the first ``max_events``, as above):
memory stays bounded however long it records. :attr:`Recording.path` names the
file, :attr:`Recording.received` counts the events, :attr:`Recording.written`
those on disk, and :meth:`Recording.to_dataframe` reads the file back. The readers
of the events in memory (values, rows, CSV, plot) raise
:class:`~xentara_sync.exceptions.UsageError` when events went only to the file.

pandas (``pip install "xentara-sync[pandas]"``) and matplotlib
(``pip install "xentara-sync[plot]"``) are imported only when :meth:`Recording.to_dataframe`
or :meth:`Recording.plot` is called.
"""

from __future__ import annotations

import csv
import math
import os
import sys
import time
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any, Protocol

from ..exceptions import InvalidArgument, RequestTimeout, UsageError
from ..protocol.index import Event
from .cells import CSV_COLUMNS, check_output, csv_error, csv_value
from .conditions import utc_text

if TYPE_CHECKING:
    import pandas
    from matplotlib.figure import Figure

    from .recordfile import FileStream

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_MAX_EVENTS",
    "Limits",
    "Recording",
    "RecordingInterrupted",
    "RecordingSink",
    "check_output",
    "csv_error",
    "csv_value",
    "interrupted_by_ctrl_c",
]

#: Events a recording keeps in memory unless told otherwise (about 150 MB of
#: numbers at most; strings take what they take).
DEFAULT_MAX_EVENTS = 1_000_000


class RecordingInterrupted(KeyboardInterrupt):
    """Ctrl-C ended ``record()`` early; :attr:`recording` holds what was recorded.

    A :class:`KeyboardInterrupt`, so a program that does not catch it still stops
    as after any Ctrl-C::

        try:
            recording = client.record(keys, seconds=30)
        except RecordingInterrupted as interrupted:
            recording = interrupted.recording   # the events up to the Ctrl-C

    Attributes:
        recording: the :class:`Recording` so far.
    """

    def __init__(self, recording: Recording) -> None:
        super().__init__(f"recording interrupted after {recording.received} events")
        self.recording = recording

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.recording,))


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


class RecordingSink(Protocol):
    """Something that sees every event of a :class:`Recording` as it comes, for
    example a writer streaming it to a file. ``add`` runs where the events arrive
    (the client's event loop, for ``recorder()``): it must not block."""

    def add(self, recording: Recording, event: Event) -> None:
        """*event* was recorded (kept in memory or not: see :attr:`Recording.dropped`)."""

    def close(self, recording: Recording) -> None:
        """The recording ended."""


def _check_max_events(max_events: Any, streaming: bool = False) -> int:
    if max_events is None:
        return 0 if streaming else DEFAULT_MAX_EVENTS
    if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 1:
        raise InvalidArgument(f"max_events must be a positive int, not {max_events!r}")
    return max_events


class Recording:
    """The events recorded from *keys*, in the order they came.

    Attributes:
        keys: the recorded primary keys.
        events: every :class:`~xentara_sync.Event` kept, in the order they came
            (the current values first).
        started: when the recording started (seconds since the epoch, the
            client's clock), or None: the earliest event's time stamp.
        ended: when it ended, or None while it runs (a recording made from events
            alone: the latest event's time stamp).
        max_events: how many events are kept in memory (None given:
            :data:`DEFAULT_MAX_EVENTS`; 0 for a recording streamed to a file).
        dropped: events recorded after :attr:`events` was full, not kept (a
            recording streamed to a file that keeps none in memory drops none).
        sink: a :class:`RecordingSink` that sees every event, or None.
        path: the file the recording streams to (``to=``), or None.
        error: what ended a recorder's subscription early (a lost connection), or None.

    A value in error is an event too: its value is the
    :class:`~xentara_sync.protocol.AttributeFault` (in :attr:`events` and
    :meth:`values`); in CSV and the DataFrame its ``value`` is empty and its
    ``error`` says what the fault is; a plot leaves a gap.
    """

    def __init__(
        self,
        keys: Sequence[str],
        events: Iterable[Event] = (),
        *,
        started: float | None = None,
        ended: float | None = None,
        max_events: int | None = None,
        sink: RecordingSink | None = None,
        to: str | os.PathLike[str] | None = None,
    ) -> None:
        self.keys: tuple[str, ...] = tuple(keys)
        self.path: str | None = None
        if to is not None:
            from .recordfile import check_stream_path

            self.path = check_stream_path(to)
        self.max_events = _check_max_events(max_events, self.path is not None)
        self.events: list[Event] = []
        self.dropped = 0
        self.started = started
        self.ended = ended
        self.sink = sink
        self.error: BaseException | None = None
        self._full_at: float | None = None
        self._received = 0
        self._stream: FileStream | None = None
        self._streamed = 0
        for event in events:
            self.add(event)

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        dropped = f", {self.dropped} dropped" if self.dropped else ""
        if self.path is not None:
            return (
                f"<Recording of {', '.join(self.keys)} to {self.path}: "
                f"{self.received} events, {len(self.events)} in memory{dropped}>"
            )
        return f"<Recording of {', '.join(self.keys)}: {len(self.events)} events{dropped}>"

    # ------------------------------------------------------------------ filling

    @property
    def received(self) -> int:
        """Events recorded: those kept, those dropped, those only in the file."""
        return self._received

    @property
    def written(self) -> int:
        """Events written to :attr:`path` so far (0 without ``to=``)."""
        stream = self._stream
        return self._streamed if stream is None else stream.written

    def begin(self) -> None:
        """The recording starts now (before subscribing): its clock's 0 s; a
        recording made with ``to=`` opens its file."""
        if self.started is None:
            self.started = time.time()
        self.ended = None
        if self.path is not None and self._stream is None:
            self._open(self.started)

    def _open(self, started: float) -> FileStream:
        from .recordfile import FileStream

        assert self.path is not None
        self._stream = FileStream(self.path, self.keys, started)
        return self._stream

    def add(self, event: Event) -> None:
        """Record *event*: keep it if there is room, hand it to the sink and to
        the file (``to=``)."""
        self._received += 1
        if len(self.events) < self.max_events:
            self.events.append(event)
        elif self.max_events:
            if self._full_at is None:
                self._full_at = self.seconds_of(event)
            self.dropped += 1
        if self.sink is not None:
            self.sink.add(self, event)
        if self.path is not None:
            stream = self._stream
            if stream is None:
                stream = self._open(self.started if self.started is not None else event.timestamp)
            stream.add(event)

    def finish(self) -> None:
        """The recording ends now (if it had begun), its sink is closed, and its
        file (``to=``) written to the end and closed: a write that failed (a full
        disk) raises here."""
        if self.ended is None and self.started is not None:
            self.ended = time.time()
        try:
            if self.sink is not None:
                self.sink.close(self)
        finally:
            stream, self._stream = self._stream, None
            if stream is not None:
                try:
                    stream.close()
                finally:
                    self._streamed = stream.written

    # ------------------------------------------------------------------ the clock

    @property
    def start(self) -> float | None:
        """The time stamp of 0 s: :attr:`started`, else the earliest event's."""
        if self.started is not None:
            return self.started
        if not self.events:
            return None
        return min(event.timestamp for event in self.events)

    def seconds_of(self, event: Event) -> float:
        """*event*'s time on the recording's clock: seconds since the start, 0 for a
        value older than the start (the value it had when the recording began)."""
        start = self.start
        if start is None:
            return 0.0
        return max(0.0, event.timestamp - start)

    @property
    def duration(self) -> float:
        """Seconds from the start to the end: to :attr:`ended` (now while
        recording; the last event for a recording made from events), or to the
        first event that did not fit (:attr:`dropped`)."""
        start = self.start
        if start is None:
            return 0.0
        if self.ended is not None:
            end = self.ended - start
        elif self.started is not None:
            end = time.time() - start
        else:
            end = 0.0
        last = max((self.seconds_of(event) for event in self.events), default=0.0)
        end = max(end, last)
        if self._full_at is not None:
            end = min(end, max(self._full_at, last))
        return end

    def in_time_order(self) -> list[Event]:
        """The events sorted by :meth:`seconds_of` (in the order they came when equal)."""
        return sorted(self._kept(), key=self.seconds_of)

    def _kept(self) -> list[Event]:
        """:attr:`events`, for the readers that take them from memory; raises
        :class:`UsageError` when some events went only to the file (``to=`` keeps none
        in memory unless ``max_events`` is given): their values, plot or CSV would be
        false, not short. Events left out by a full memory are counted in
        :attr:`dropped`, and their readers say so."""
        events = self.events
        if self.path is not None and len(events) + self.dropped < self._received:
            raise UsageError(
                f"this recording streamed {self._received} events to {self.path} and kept "
                f"{len(events)} in memory: read them from the file with to_dataframe(), or "
                "give max_events= to keep them in memory too"
            )
        return events

    # ------------------------------------------------------------------ reading

    def _check_key(self, key: str) -> None:
        if key not in self.keys:
            raise KeyError(f"{key!r} was not recorded (recorded: {', '.join(self.keys)})")

    def values(self, key: str) -> list[Any]:
        """The values of *key*, in the order they came; :class:`KeyError` if *key*
        was not recorded."""
        self._check_key(key)
        return [event.value for event in self._kept() if event.name == key]

    def times(self, key: str) -> list[float]:
        """The time stamps of *key*'s values (seconds since the epoch, the source's)."""
        self._check_key(key)
        return [event.timestamp for event in self._kept() if event.name == key]

    def seconds(self, key: str) -> list[float]:
        """The times of *key*'s values on the recording's clock (seconds since the
        start; its value at the start: 0)."""
        self._check_key(key)
        return [self.seconds_of(event) for event in self._kept() if event.name == key]

    def rows(self) -> list[tuple[float, str, float, str, Any, str | None]]:
        """One row per event, in time order: seconds since the start (to the
        microsecond), UTC ISO 8601 time stamp, time stamp, key, value, error (as in
        CSV)."""
        return [
            (
                round(self.seconds_of(event), 6),
                utc_text(event.timestamp),
                event.timestamp,
                event.name,
                csv_value(event.value),
                csv_error(event.value),
            )
            for event in self.in_time_order()
        ]

    def to_csv(self, path_or_file: str | os.PathLike[str] | IO[str]) -> None:
        """Write the events as CSV, in time order: a header, then
        ``seconds,time,timestamp,key,value,error`` per event. ``seconds`` is the
        recording's clock (a key's value at the start: 0); ``time`` (UTC, ISO 8601,
        to the microsecond) and ``timestamp`` (seconds since the epoch) are the
        value's own time stamp; a time-point value is RFC 3339 to the nanosecond;
        ``error`` is empty unless the value is in error, whose value is then empty.

        *path_or_file* is a path (the file is replaced, UTF-8) or an open text file.
        """
        rows = self.rows()  # before the file is opened: it is not replaced in vain
        if isinstance(path_or_file, (str, os.PathLike)):
            with open(path_or_file, "w", encoding="utf-8", newline="") as file:
                _write_csv(file, rows)
        else:
            _write_csv(path_or_file, rows)

    def to_dataframe(self) -> pandas.DataFrame:
        """The events as a :class:`pandas.DataFrame` with the CSV's columns, in time
        order; ``time`` is a timezone-aware UTC datetime, made from whole
        microseconds (what a float time stamp holds), so ``.7`` stays ``.700000``.
        Needs pandas (``pip install "xentara-sync[pandas]"``).

        A recording streamed to a file (``to=``) reads the file back: every event
        recorded, not only those kept in memory (see
        :func:`xentara_sync.toolkit.recordfile.read_dataframe`).
        """
        if self.path is not None and self._stream is None and self.written:
            from .recordfile import read_dataframe

            return read_dataframe(self.path)
        try:
            import pandas
        except ImportError as exc:
            raise ImportError(
                'to_dataframe() needs pandas: pip install "xentara-sync[pandas]"'
            ) from exc
        events = self.in_time_order()
        frame = pandas.DataFrame(
            [
                (
                    round(self.seconds_of(event), 6),
                    event.timestamp,
                    event.name,
                    csv_value(event.value),
                    csv_error(event.value),
                )
                for event in events
            ],
            columns=["seconds", *CSV_COLUMNS[2:]],
        )
        nanoseconds = pandas.Series(
            [round(event.timestamp * 1_000_000) * 1000 for event in events], dtype="int64"
        )
        frame.insert(1, "time", pandas.to_datetime(nanoseconds, unit="ns", utc=True))
        return frame

    def plot(
        self, path: str | os.PathLike[str] | None = None, *, title: str | None = None
    ) -> Figure:
        """A :class:`matplotlib.figure.Figure` of every key over the recording's
        clock, one panel per key; also saved as a PNG at *path* when given.

        The time axis is seconds since the recording started, from 0 to its end.
        Values are held between changes (steps) up to the end; booleans are steps
        between False and True; strings and enums are labelled steps (a text lane
        when they take more than eight values); a value in error is a gap; a key
        without any event says so in its panel. Needs matplotlib
        (``pip install "xentara-sync[plot]"``); it is used without pyplot, so the
        application's own matplotlib backend is left alone, and the figure can be
        styled further and saved again.
        """
        from .plotting import plot_recording

        return plot_recording(self, path, title=title)


def _write_csv(file: IO[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(file)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)


def interrupted_by_ctrl_c(error: BaseException) -> bool:
    """Whether *error*, which ended a recording, is the user's Ctrl-C: a
    :class:`KeyboardInterrupt` (blocking client, trio), or the cancellation of
    :func:`asyncio.run`'s main task by its Ctrl-C handler (the handler holds the
    main task and counts the interrupts; other cancellations are not Ctrl-C)."""
    if isinstance(error, KeyboardInterrupt):
        return True
    asyncio = sys.modules.get("asyncio")
    if asyncio is None or not isinstance(error, asyncio.CancelledError):
        return False
    import signal

    try:
        handler = signal.getsignal(signal.SIGINT)
    except (ValueError, AttributeError):  # pragma: no cover - no signals here
        return False
    runner = getattr(getattr(handler, "func", None), "__self__", None)
    keywords = getattr(handler, "keywords", None) or {}
    if not isinstance(runner, getattr(asyncio, "Runner", ())):
        return False
    try:
        task = asyncio.current_task()
    except RuntimeError:  # pragma: no cover - no running loop
        return False
    return keywords.get("main_task") is task and getattr(runner, "_interrupt_count", 0) > 0
