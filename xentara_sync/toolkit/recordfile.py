"""Recordings that stream to a file as they go: ``record(..., to="run.csv")``.

The file's suffix names its format:

``.csv``
    Built in. The columns of :data:`~xentara_sync.toolkit.cells.CSV_COLUMNS`
    (``seconds,time,timestamp,key,value,error``), one line per event.
``.parquet``
    Needs pyarrow (``pip install "xentara-sync[parquet]"``). The same columns,
    with ``value`` a float (numbers; booleans as 0/1, enums as their number) and a
    ``text`` column beside it for values that are not numbers (strings, time
    points, UUIDs): a Parquet column holds one type. ``time`` is a UTC time stamp
    to the microsecond.
``.tdms``
    Needs npTDMS (``pip install "xentara-sync[tdms]"``). One group per recording
    (``Recording``), and per key three channels of the same length: ``KEY`` (its
    values: numbers as float64, other values as text), ``KEY time`` (the source's
    time stamps, a TDMS time stamp channel) and ``KEY seconds`` (the recording's
    clock). Events come when values change, not at a fixed rate, so the file holds
    a time channel per key rather than a waveform. A value in error is NaN (an empty
    text); the CSV and Parquet formats also say which fault it was.

Every format holds the same events in the order they came (not sorted by time:
each key's values in their order, keys interleaved as they arrived). A writer
thread takes the events from a buffer and writes them at least every
:data:`FLUSH_INTERVAL` seconds, flushing them to the operating system, so a
process that is killed loses at most the last second. The buffer is bounded
(:data:`MAX_PENDING` events): when the disk cannot keep up, adding an event waits
for the writer rather than growing memory.

A Parquet file is unreadable until its footer is written at the end. So a Parquet
recording writes each second's events as a complete file of its own (one row group)
into the directory ``FILE.parts`` while it runs, and when it ends merges them into
FILE and removes the directory. A recording that was killed leaves that directory,
which pandas and pyarrow read as one table (``pandas.read_parquet("run.parquet.parts")``).

>>> import os, tempfile, uuid
>>> from xentara_sync.protocol.index import Event
>>> path = os.path.join(tempfile.mkdtemp(), "run.csv")
>>> stream = FileStream(path, ("Hardware.Registers.Counter",), started=1704107471.25)
>>> stream.add(Event(1704107471.75, "Hardware.Registers.Counter", uuid.UUID(int=1), 2))
>>> stream.close()
>>> print(open(path).read().replace("\\r\\n", "\\n"), end="")
seconds,time,timestamp,key,value,error
0.5,2024-01-01T11:11:11.750000Z,1704107471.75,Hardware.Registers.Counter,2,
"""

from __future__ import annotations

import atexit
import csv
import enum
import importlib
import math
import os
import shutil
import threading
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from ..exceptions import InvalidArgument
from ..protocol import AttributeFault
from ..protocol.index import Event
from ..threads import start as start_thread
from .conditions import utc_text

if TYPE_CHECKING:
    import pandas

__all__ = [
    "FLUSH_INTERVAL",
    "FORMATS",
    "MAX_PENDING",
    "FileStream",
    "check_stream_path",
    "read_dataframe",
]

#: Seconds between two writes of the buffered events (at most): a process that is
#: killed loses at most this much, plus the time the last write takes.
FLUSH_INTERVAL = 0.5
#: Events the writer writes at once: a write starts early when this many are waiting.
CHUNK = 20_000
#: Events waiting to be written at most (about 15 MB); adding one more waits for
#: the writer.
MAX_PENDING = 100_000
#: Seconds closing waits for the writer to write what is left (and merge the parts).
CLOSE_TIMEOUT = 600.0
#: Rows per row group when the parts of a Parquet recording are merged.
PARQUET_ROW_GROUP = 100_000
#: The TDMS group that holds a recording.
TDMS_GROUP = "Recording"

#: Suffix -> (format, the extra it needs or "").
FORMATS = {".csv": ("CSV", ""), ".parquet": ("Parquet", "parquet"), ".tdms": ("TDMS", "tdms")}
_MODULES = {"parquet": "pyarrow", "tdms": "nptdms"}


def check_stream_path(path: Any) -> str:
    """The path *path* (``to=``) names, checked before recording: a known suffix
    (:class:`~xentara_sync.InvalidArgument` naming the accepted ones), its format's
    library installed (:class:`ImportError` naming the pip command), its directory
    there (:class:`FileNotFoundError`).

    >>> try:
    ...     check_stream_path("run.xlsx")
    ... except InvalidArgument as exc:
    ...     print(exc)
    to= takes a file ending in .csv, .parquet or .tdms, not 'run.xlsx'
    """
    from .cells import check_output

    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgument(f"to= takes a file path (str or os.PathLike), not {path!r}")
    text = os.fspath(path)
    if not isinstance(text, str):
        raise InvalidArgument(f"to= takes a file path (str or os.PathLike), not {path!r}")
    suffix = os.path.splitext(text)[1].lower()
    if suffix not in FORMATS:
        raise InvalidArgument(f"to= takes a file ending in .csv, .parquet or .tdms, not {text!r}")
    name, extra = FORMATS[suffix]
    if extra:
        _import(extra, f"recording to {name}")
    check_output(text, name)
    return text


def _import(extra: str, what: str) -> Any:
    module = _MODULES[extra]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f'{what} needs {module}: pip install "xentara-sync[{extra}]"') from exc


def _number(value: Any) -> float | None:
    """*value* as a float when it is a number (booleans 0/1, enums their number)."""
    if isinstance(value, (bool, int, float)):
        return float(value)
    return None


def _text(value: Any) -> str | None:
    """*value* as text when it is not a number (nor a fault)."""
    from .cells import csv_value

    if value is None or isinstance(value, (bool, int, float, enum.IntEnum, AttributeFault)):
        return None
    return str(csv_value(value))


class _UtcText:
    """:func:`~xentara_sync.toolkit.conditions.utc_text` with the text of the last whole
    second kept: the events of a batch mostly share it."""

    __slots__ = ("prefix", "whole")

    def __init__(self) -> None:
        self.whole = -1
        self.prefix = ""

    def __call__(self, timestamp: float) -> str:
        whole = int(timestamp // 1)
        micros = round((timestamp - whole) * 1_000_000)
        if micros == 1_000_000 or whole < 0:
            return utc_text(timestamp)
        if whole != self.whole:
            self.whole = whole
            self.prefix = utc_text(whole)[:-8]  # without ".000000Z"
        return f"{self.prefix}.{micros:06d}Z"


def _numbers(values: Sequence[Any]) -> list[float | None]:
    """The ``value`` column: *values* as floats where they are numbers."""
    if all(type(value) is float for value in values):
        return list(values)
    return [_number(value) for value in values]


def _texts(values: Sequence[Any]) -> list[str | None] | None:
    """The ``text`` column, or None when every value is a number (or a fault)."""
    texts = [None if type(value) is float else _text(value) for value in values]
    return texts if any(text is not None for text in texts) else None


def _errors(values: Sequence[Any]) -> list[str | None] | None:
    """The ``error`` column, or None when no value is in error."""
    if not any(isinstance(value, AttributeFault) for value in values):
        return None
    return [str(value) if isinstance(value, AttributeFault) else None for value in values]


class _Format:
    """How one file format writes batches of events."""

    def __init__(self, path: str, keys: Sequence[str], started: float) -> None:
        self.path = path
        self.keys = tuple(keys)
        self.started = started

    def seconds(self, timestamps: Sequence[float]) -> list[float]:
        """The recording's clock of *timestamps* (0 before it started)."""
        started = self.started
        return [round(t - started, 6) if t > started else 0.0 for t in timestamps]

    def write(self, events: list[Event]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _Csv(_Format):
    def __init__(self, path: str, keys: Sequence[str], started: float) -> None:
        from .cells import CSV_COLUMNS

        super().__init__(path, keys, started)
        self.file: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.file)
        self.writer.writerow(CSV_COLUMNS)
        self.file.flush()
        self.utc_text = _UtcText()

    def write(self, events: list[Event]) -> None:
        from .cells import csv_value

        timestamps, names, _, values = zip(*events, strict=True)
        errors = _errors(values) or [None] * len(values)
        cells = [value if type(value) is float else csv_value(value) for value in values]
        self.writer.writerows(
            zip(
                self.seconds(timestamps),
                map(self.utc_text, timestamps),
                timestamps,
                names,
                cells,
                errors,
                strict=True,
            )
        )
        self.file.flush()

    def close(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()


class _Parquet(_Format):
    def __init__(self, path: str, keys: Sequence[str], started: float) -> None:
        super().__init__(path, keys, started)
        self.pa = _import("parquet", "recording to Parquet")
        self.pq = importlib.import_module("pyarrow.parquet")
        self.pc = importlib.import_module("pyarrow.compute")
        self.schema = self.pa.schema(
            [
                ("seconds", self.pa.float64()),
                ("time", self.pa.timestamp("us", tz="UTC")),
                ("timestamp", self.pa.float64()),
                ("key", self.pa.string()),
                ("value", self.pa.float64()),
                ("text", self.pa.string()),
                ("error", self.pa.string()),
            ]
        )
        self.parts = path + ".parts"
        try:
            os.mkdir(self.parts)
        except FileExistsError:
            raise FileExistsError(
                f"cannot record to {path}: {self.parts} holds the parts of a recording "
                "that did not end (read them with pandas.read_parquet); move it away first"
            ) from None
        self.count = 0

    def write(self, events: list[Event]) -> None:
        pa = self.pa
        timestamps, names, _, values = zip(*events, strict=True)
        stamps = pa.array(timestamps, pa.float64())
        pc = self.pc
        micros = pc.cast(pc.round(pc.multiply(stamps, 1_000_000.0)), pa.int64())
        texts, errors = _texts(values), _errors(values)
        table = pa.Table.from_arrays(
            [
                pa.array(self.seconds(timestamps), pa.float64()),
                micros.cast(pa.timestamp("us", tz="UTC")),
                stamps,
                pa.array(names, pa.string()),
                pa.array(_numbers(values), pa.float64()),
                pa.nulls(len(events), pa.string()) if texts is None else pa.array(texts),
                pa.nulls(len(events), pa.string()) if errors is None else pa.array(errors),
            ],
            schema=self.schema,
        )
        # Written aside, then renamed: a part is either whole or not there.
        name = f"part-{self.count:06d}.parquet"
        aside = os.path.join(self.parts, "." + name)
        self.pq.write_table(table, aside)
        os.replace(aside, os.path.join(self.parts, name))
        self.count += 1

    def close(self) -> None:
        """Merge the parts into the file, then remove them."""
        folder, name = os.path.split(os.path.abspath(self.path))
        merged = os.path.join(folder, f".{name}.merging")
        with self.pq.ParquetWriter(merged, self.schema) as writer:
            tables: list[Any] = []
            rows = 0
            for index in range(self.count):
                table = self.pq.read_table(os.path.join(self.parts, f"part-{index:06d}.parquet"))
                tables.append(table)
                rows += table.num_rows
                if rows >= PARQUET_ROW_GROUP:
                    writer.write_table(self.pa.concat_tables(tables))
                    tables, rows = [], 0
            if tables or self.count == 0:
                writer.write_table(
                    self.pa.concat_tables(tables) if tables else self.schema.empty_table()
                )
        os.replace(merged, self.path)
        shutil.rmtree(self.parts, ignore_errors=True)


class _Tdms(_Format):
    def __init__(self, path: str, keys: Sequence[str], started: float) -> None:
        super().__init__(path, keys, started)
        nptdms = _import("tdms", "recording to TDMS")
        import numpy

        self.numpy = numpy
        self.ChannelObject = nptdms.ChannelObject
        self.file = open(path, "wb")  # noqa: SIM115 - open until close()
        self.writer = nptdms.TdmsWriter(self.file)
        self.writer.open()
        started_us = numpy.datetime64(round(started * 1_000_000), "us")
        self.writer.write_segment(
            nptdms.GroupObject(
                TDMS_GROUP,
                properties={"started": started_us, "keys": "\n".join(self.keys)},
            )
        )
        self.file.flush()
        #: Per key: whether its values channel is numbers (True) or text (False).
        self.numeric: dict[str, bool] = {}

    def write(self, events: list[Event]) -> None:
        numpy = self.numpy
        by_key: dict[str, list[Event]] = {}
        for event in events:
            by_key.setdefault(event.name, []).append(event)
        channels = []
        for key, mine in by_key.items():
            timestamps, _, _, values = zip(*mine, strict=True)
            numeric = self.numeric.get(key)
            if numeric is None:
                first = next((v for v in values if not isinstance(v, AttributeFault)), None)
                numeric = self.numeric[key] = first is None or _number(first) is not None
            if numeric:
                column: Any = numpy.array(
                    [math.nan if n is None else n for n in _numbers(values)], dtype="float64"
                )
            else:
                column = [_text(value) or "" for value in values]
            stamps = numpy.array(timestamps, dtype="float64")
            times = numpy.rint(stamps * 1_000_000).astype("int64").view("datetime64[us]")
            seconds = numpy.array(self.seconds(timestamps), dtype="float64")
            channels.append(self.ChannelObject(TDMS_GROUP, key, column))
            channels.append(self.ChannelObject(TDMS_GROUP, f"{key} time", times))
            channels.append(self.ChannelObject(TDMS_GROUP, f"{key} seconds", seconds))
        self.writer.write_segment(channels)
        self.file.flush()

    def close(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.writer.close()
        self.file.close()


_WRITERS: dict[str, type[_Format]] = {".csv": _Csv, ".parquet": _Parquet, ".tdms": _Tdms}


class FileStream:
    """Events of a recording of *keys* written to *path* as they come, by a thread
    of its own (see the module). *started* is the recording's 0 s. The file is
    opened here (:class:`OSError` if it cannot be); :meth:`close` writes the rest
    and closes it.

    Attributes:
        path: the file.
        written: events written so far.
        error: what stopped the writer (a full disk), or None; :meth:`close`
            raises it.
    """

    def __init__(self, path: str | os.PathLike[str], keys: Sequence[str], started: float) -> None:
        self.path = check_stream_path(path)
        self._format = _WRITERS[os.path.splitext(self.path)[1].lower()](self.path, keys, started)
        self.written = 0
        self.error: BaseException | None = None
        self._pending: list[Event] = []
        self._lock = threading.Lock()
        self._drained = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._closing = False
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name=f"xentara-sync recording to {self.path}", daemon=True
        )
        start_thread(self._thread)
        atexit.register(self.close)

    def __repr__(self) -> str:
        return f"<FileStream to {self.path}: {self.written} events written>"

    def add(self, event: Event) -> None:
        """Buffer *event* for the writer; waits only when :data:`MAX_PENDING` are
        waiting already (the disk is slower than the events)."""
        with self._lock:
            pending = self._pending
            pending.append(event)
            waiting = len(pending)
            if waiting >= MAX_PENDING and self.error is None and not self._closing:
                self._wake.set()
                self._drained.wait(CLOSE_TIMEOUT)
        if waiting == CHUNK:
            self._wake.set()

    def _run(self) -> None:
        closing = False
        while not closing:
            self._wake.wait(FLUSH_INTERVAL)
            self._wake.clear()
            with self._lock:
                batch, self._pending = self._pending, []
                closing = self._closing
                self._drained.notify_all()
            for start in range(0, len(batch), CHUNK):
                if self.error is not None:
                    break
                chunk = batch[start : start + CHUNK]
                try:
                    self._format.write(chunk)
                except BaseException as exc:  # a full disk: close() raises it
                    self.error = exc
                else:
                    self.written += len(chunk)
            del batch
        try:
            self._format.close()
        except BaseException as exc:
            if self.error is None:
                self.error = exc

    def close(self) -> None:
        """Write what is left, close the file (a Parquet recording merges its parts);
        raises what stopped the writer, if anything did."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        with self._lock:
            self._closing = True
            self._drained.notify_all()
        self._wake.set()
        self._thread.join(CLOSE_TIMEOUT)
        if self._thread.is_alive():  # pragma: no cover - a disk that hangs
            raise TimeoutError(f"writing the recording to {self.path} did not end")
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def read_dataframe(path: str | os.PathLike[str]) -> pandas.DataFrame:
    """A file a recording streamed to, read back as a :class:`pandas.DataFrame`
    with the CSV's columns in time order (``time`` a UTC datetime; a Parquet file
    adds its ``text`` column; a TDMS file's ``error`` is empty). Needs pandas."""
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            'reading a recording needs pandas: pip install "xentara-sync[pandas]"'
        ) from exc
    text = os.fspath(path)
    suffix = os.path.splitext(text)[1].lower()
    if suffix == ".csv":
        frame = pandas.read_csv(
            text, keep_default_na=False, na_values={"value": [""], "error": [""]}
        )
        frame["time"] = pandas.to_datetime(frame["time"], utc=True, format="ISO8601")
    elif suffix == ".parquet":
        frame = pandas.read_parquet(text)
    elif suffix == ".tdms":
        TdmsFile = _import("tdms", "reading a TDMS recording").TdmsFile
        # Time stamps to the nanosecond, rounded to the microsecond they were
        # written from (TDMS holds 2^-64 s fractions; truncating loses 1 us).
        tdms = TdmsFile.read(text, raw_timestamps=True)
        group = tdms[TDMS_GROUP]
        keys = str(group.properties.get("keys", "")).split("\n")
        frames = []
        for key in keys:
            if key not in [channel.name for channel in group.channels()]:
                continue
            nanoseconds = group[f"{key} time"][:].as_datetime64("ns").astype("int64")
            times = ((nanoseconds + 500) // 1000).astype("datetime64[us]")
            frames.append(
                pandas.DataFrame(
                    {
                        "seconds": group[f"{key} seconds"][:],
                        "time": pandas.to_datetime(times, utc=True),
                        "timestamp": times.astype("datetime64[us]").astype("int64") / 1e6,
                        "key": key,
                        "value": group[key][:],
                        "error": None,
                    }
                )
            )
        frame = (
            pandas.concat(frames, ignore_index=True)
            if frames
            else pandas.DataFrame(columns=["seconds", "time", "timestamp", "key", "value", "error"])
        )
    else:
        raise InvalidArgument(f"cannot read {text!r}: not a .csv, .parquet or .tdms file")
    return frame.sort_values("seconds", kind="stable").reset_index(drop=True)
