"""Recordings that stream to a file (``to=``): each format read back with its own
library (pandas for CSV, pyarrow for Parquet, npTDMS for TDMS) equals the events
recorded, in every flavour, for ``record()`` and ``recorder()``; a recording killed
with SIGKILL keeps what it had flushed, in a readable file; bad ``to=`` fails at once."""

from __future__ import annotations

import datetime
import math
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST_SINE
from tests.flavours import FLAVOURS, Flavour
from tests.sync.test_sync_process import finish, python
from xentara_sync import InvalidArgument, UsageError, XentaraClient
from xentara_sync.protocol.index import Event
from xentara_sync.simulator import Simulator
from xentara_sync.toolkit.conditions import utc_text
from xentara_sync.toolkit.recording import Recording, csv_error, csv_value

pandas = pytest.importorskip("pandas")
pyarrow_parquet = pytest.importorskip("pyarrow.parquet")
nptdms = pytest.importorskip("nptdms")

COUNTER = "Hardware.Registers.Counter"
LABEL = "Hardware.Registers.Label"
KEYS = [FAST_SINE, COUNTER, LABEL]
FORMATS = ["csv", "parquet", "tdms"]


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


def seconds_of(recording: Recording, event: Event) -> float:
    assert recording.started is not None
    return round(max(0.0, event.timestamp - recording.started), 6)


def check_csv(path: Path, recording: Recording) -> None:
    frame = pandas.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["seconds", "time", "timestamp", "key", "value", "error"]
    expected = [
        [
            str(seconds_of(recording, event)),
            utc_text(event.timestamp),
            repr(event.timestamp),
            event.name,
            "" if csv_value(event.value) is None else str(csv_value(event.value)),
            csv_error(event.value) or "",
        ]
        for event in recording.events
    ]
    assert frame.values.tolist() == expected


def check_parquet(path: Path, recording: Recording) -> None:
    table = pyarrow_parquet.read_table(path)
    assert table.column_names == [
        "seconds", "time", "timestamp", "key", "value", "text", "error",
    ]  # fmt: skip
    utc = datetime.timezone.utc
    expected = []
    for event in recording.events:
        value = event.value
        number = float(value) if isinstance(value, (bool, int, float)) else None
        text = None if number is not None or csv_error(value) else str(csv_value(value))
        expected.append(
            {
                "seconds": seconds_of(recording, event),
                "time": datetime.datetime(1970, 1, 1, tzinfo=utc)
                + datetime.timedelta(microseconds=round(event.timestamp * 1_000_000)),
                "timestamp": event.timestamp,
                "key": event.name,
                "value": number,
                "text": text,
                "error": csv_error(value),
            }
        )
    assert table.to_pylist() == expected


def check_tdms(path: Path, recording: Recording) -> None:
    # TDMS holds 2^-64 s fractions: read to the nanosecond, compared to the microsecond.
    group = nptdms.TdmsFile.read(path, raw_timestamps=True)["Recording"]
    for key in recording.keys:
        mine = [event for event in recording.events if event.name == key]
        values = list(group[key][:])
        if key == LABEL:
            assert values == [str(event.value) for event in mine]
        else:
            assert values == [float(event.value) for event in mine]
        nanoseconds = group[f"{key} time"][:].as_datetime64("ns").astype("int64")
        times = [round(ns / 1000) for ns in nanoseconds.tolist()]
        assert times == [round(event.timestamp * 1_000_000) for event in mine]
        seconds = list(group[f"{key} seconds"][:])
        assert seconds == [seconds_of(recording, event) for event in mine]


CHECKS = {"csv": check_csv, "parquet": check_parquet, "tdms": check_tdms}


def check_file(path: Path, recording: Recording) -> None:
    """The file holds exactly the events recorded (the recording kept them all in
    memory too, to compare), and the recording says so."""
    assert recording.path == str(path)
    assert recording.dropped == 0
    assert len(recording.events) > 3
    assert {event.name for event in recording.events} == set(KEYS)
    assert recording.written == recording.received == len(recording.events)
    CHECKS[path.suffix[1:]](path, recording)
    frame = recording.to_dataframe()  # read back from the file
    assert len(frame) == recording.received
    assert list(frame["seconds"]) == sorted(frame["seconds"])


# --------------------------------------------------------------------------- blocking


@pytest.mark.parametrize("suffix", FORMATS)
def test_record_to_a_file(simulator: Simulator, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"run.{suffix}"
    with XentaraClient(simulator.url, timeout=5) as client:
        recording = client.record(KEYS, seconds=0.5, max_events=100_000, to=path)
    check_file(path, recording)
    assert not (tmp_path / "run.parquet.parts").exists()


@pytest.mark.parametrize("suffix", FORMATS)
def test_recorder_to_a_file(simulator: Simulator, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"run.{suffix}"
    with (
        XentaraClient(simulator.url, timeout=5) as client,
        client.recorder(KEYS, max_events=100_000, to=str(path)) as recording,
    ):
        client.write(COUNTER, 7)
        deadline = time.monotonic() + 10
        while 7 not in recording.values(COUNTER) or len(recording.values(FAST_SINE)) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    check_file(path, recording)


def test_a_streamed_recording_keeps_nothing_in_memory(simulator: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    with XentaraClient(simulator.url, timeout=5) as client:
        recording = client.record(FAST_SINE, count=20, to=path)
    assert recording.events == [] and recording.dropped == 0
    assert recording.received == recording.written == 20
    assert "run.csv: 20 events, 0 in memory" in repr(recording)
    frame = pandas.read_csv(path)
    assert len(frame) == 20 and set(frame["key"]) == {FAST_SINE}
    # What lives only in the file is not reported as nothing: an empty plot, CSV
    # or list of values would be a false result.
    for read in (
        lambda: recording.values(FAST_SINE),
        lambda: recording.times(FAST_SINE),
        lambda: recording.seconds(FAST_SINE),
        lambda: recording.rows(),
        lambda: recording.to_csv(tmp_path / "again.csv"),
        lambda: recording.plot(tmp_path / "run.png"),
    ):
        with pytest.raises(UsageError, match=r"streamed 20 events to .*run.csv and kept 0"):
            read()
    assert not (tmp_path / "again.csv").exists() and not (tmp_path / "run.png").exists()
    assert len(recording.to_dataframe()) == 20  # from the file


# --------------------------------------------------------------------------- asyncio, trio


@pytest.mark.parametrize("suffix", FORMATS)
def test_record_and_recorder_to_a_file_in_the_async_flavours(
    flavour: Flavour, simulator: Simulator, tmp_path: Path, suffix: str
) -> None:
    recorded = tmp_path / f"record.{suffix}"
    background = tmp_path / f"recorder.{suffix}"

    async def main() -> tuple[Recording, Recording]:
        async with flavour.XentaraClient(simulator.url, timeout=5) as client:
            first = await client.record(KEYS, seconds=0.5, max_events=100_000, to=recorded)
            async with client.recorder(KEYS, max_events=100_000, to=background) as second:
                await client.write(COUNTER, 8)
                deadline = time.monotonic() + 10
                while 8 not in second.values(COUNTER) or len(second.values(FAST_SINE)) < 3:
                    assert time.monotonic() < deadline
                    await flavour.sleep(0.01)
            return first, second

    first, second = flavour.run(main)
    check_file(recorded, first)
    check_file(background, second)


# --------------------------------------------------------------------------- bad input


def test_bad_to_fails_before_recording(simulator: Simulator, tmp_path: Path) -> None:
    with XentaraClient(simulator.url, timeout=5) as client:
        with pytest.raises(InvalidArgument, match=r"\.csv, \.parquet or \.tdms, not '.*run\.xlsx'"):
            client.record(FAST_SINE, seconds=1, to=tmp_path / "run.xlsx")
        with pytest.raises(InvalidArgument, match="to= takes a file path"):
            client.recorder(FAST_SINE, to=3)  # type: ignore[arg-type]
        with pytest.raises(FileNotFoundError, match="no directory"):
            client.record(FAST_SINE, seconds=1, to=tmp_path / "nowhere" / "run.csv")
        (tmp_path / "folder.csv").mkdir()
        with pytest.raises(IsADirectoryError):
            client.record(FAST_SINE, seconds=1, to=tmp_path / "folder.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["folder.csv"]


def test_a_missing_extra_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "nptdms", None)
    with pytest.raises(ImportError, match=r'pip install "xentara-sync\[parquet\]"'):
        Recording([FAST_SINE], to=tmp_path / "run.parquet")
    with pytest.raises(ImportError, match=r'pip install "xentara-sync\[tdms\]"'):
        Recording([FAST_SINE], to=tmp_path / "run.TDMS")


def test_parts_left_by_a_killed_parquet_recording_are_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "run.parquet.parts").mkdir()
    recording = Recording([FAST_SINE], to=tmp_path / "run.parquet")
    with pytest.raises(FileExistsError, match="did not end"):
        recording.begin()


def test_a_value_in_error_is_kept_in_every_format(tmp_path: Path) -> None:
    from uuid import UUID

    from xentara_sync.protocol import AttributeFault

    fault = AttributeFault(-32104, "value is write only")
    events = [
        Event(100.0, COUNTER, UUID(int=1), 1),
        Event(100.5, COUNTER, UUID(int=1), fault),
        Event(101.0, LABEL, UUID(int=2), "x"),
    ]
    for suffix in FORMATS:
        recording = Recording(
            [COUNTER, LABEL], started=100.0, max_events=10, to=tmp_path / f"e.{suffix}"
        )
        recording.begin()
        for event in events:
            recording.add(event)
        recording.finish()
        frame = recording.to_dataframe()
        assert list(frame["key"]) == [COUNTER, COUNTER, LABEL]
        if suffix == "tdms":  # no error channel: NaN
            assert math.isnan(frame["value"][1])
        else:
            assert frame["error"][1] == "value is write only (-32104)"


# --------------------------------------------------------------------------- SIGKILL

KILLED = """
import sys, time
from xentara_sync import XentaraClient
from xentara_sync.simulator import Simulator

path, keys, counter = sys.argv[1], sys.argv[2].split(","), "Hardware.Registers.Counter"
with Simulator() as sim, XentaraClient(sim.url, timeout=10) as client:
    with client.recorder(keys, max_events=10**6, to=path) as recording:
        for value in range(1, 51):
            client.write(counter, value)
        while recording.values(counter)[-1:] != [50] and recording.received < 10**9:
            time.sleep(0.01)
        print("written", recording.received, flush=True)
        time.sleep(120)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("suffix", FORMATS)
def test_a_killed_recording_keeps_what_it_flushed(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"run.{suffix}"
    keys = ",".join([FAST_SINE, COUNTER])
    proc = python(KILLED.replace("sys.argv[1], sys.argv[2]", f"{str(path)!r}, {keys!r}"))
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("written"), finish(proc, 5)
        received = int(line.split()[1])

        def on_disk() -> Any:
            if suffix == "csv":
                return pandas.read_csv(path)
            if suffix == "parquet":
                return pandas.read_parquet(tmp_path / "run.parquet.parts")
            group = nptdms.TdmsFile.read(path)["Recording"]
            return pandas.DataFrame({"key": COUNTER, "value": group[COUNTER][:]})

        # The events the child had received show up while it runs (not closed):
        # the writer flushes every FLUSH_INTERVAL.
        deadline = time.monotonic() + 15
        while True:
            try:
                frame = on_disk()
                counts = list(frame[frame["key"] == COUNTER]["value"])
                if 50 in counts and (suffix == "tdms" or len(frame) >= received):
                    break
            except (OSError, ValueError, KeyError):  # not written yet
                pass
            assert time.monotonic() < deadline, "the events were not flushed"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        finish(proc, 10)
    assert proc.returncode == -signal.SIGKILL
    frame = on_disk()  # still readable after the kill, every line whole
    counts = [int(value) for value in frame[frame["key"] == COUNTER]["value"]]
    assert counts[-50:] == list(range(1, 51))
    if suffix != "tdms":
        assert len(frame) >= received
        assert frame["seconds"].notna().all() and frame["timestamp"].notna().all()


# --------------------------------------------------------------------------- the writer


def events_of(count: int) -> list[Event]:
    from uuid import UUID

    return [Event(100.0 + i / 1000, COUNTER, UUID(int=1), i) for i in range(count)]


def test_a_slow_disk_makes_recording_wait_not_grow(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With at most 10 events waiting, the writer is never handed more than that,
    and every event still reaches the file."""
    import xentara_sync.toolkit.recordfile as recordfile

    monkeypatch.setattr(recordfile, "MAX_PENDING", 10)
    monkeypatch.setattr(recordfile, "CHUNK", 4)
    batches: list[int] = []
    waiting: list[int] = []
    write = recordfile._Csv.write

    def slow_write(self: Any, events: list[Event]) -> None:
        batches.append(len(events))
        time.sleep(0.01)
        stream = recording._stream
        waiting.append(len(stream._pending) if stream is not None else 0)
        write(self, events)

    monkeypatch.setattr(recordfile._Csv, "write", slow_write)
    recording = Recording([COUNTER], started=100.0, to=tmp_path / "slow.csv")
    recording.begin()
    for event in events_of(200):
        recording.add(event)
    recording.finish()
    assert max(batches) <= 4 and sum(batches) == 200
    assert max(waiting) <= 10  # the adding side waited for the writer
    frame = pandas.read_csv(tmp_path / "slow.csv")
    assert list(frame["value"]) == list(range(200))


def test_a_failed_write_is_raised_when_the_recording_ends(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import errno

    import xentara_sync.toolkit.recordfile as recordfile

    def full(self: Any, events: list[Event]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recordfile._Csv, "write", full)
    recording = Recording([COUNTER], started=100.0, to=tmp_path / "full.csv")
    recording.begin()
    for event in events_of(5):
        recording.add(event)  # does not raise where the events arrive
    with pytest.raises(OSError, match="No space left"):
        recording.finish()
    assert recording.received == 5 and recording.written == 0
