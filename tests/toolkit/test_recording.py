"""Recordings written out: CSV, pandas, PNG plots; and what is said without the extras."""

from __future__ import annotations

import csv
import datetime
import io
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from xentara_sync.exceptions import InvalidArgument
from xentara_sync.protocol import AttributeFault, Quality, TimePoint
from xentara_sync.protocol.index import Event
from xentara_sync.toolkit.conditions import utc_text
from xentara_sync.toolkit.recording import Recording

SINE = "Hardware.Signals.Sine"
PULSE = "Hardware.Signals.Pulse"
LABEL = "Hardware.Registers.Label"
COUNTER = "Hardware.Registers.Counter"
START = datetime.datetime(2026, 11, 29, tzinfo=datetime.timezone.utc).timestamp()


def xs(line: Any) -> list[float]:
    """A plotted line's x data."""
    return [float(x) for x in line.get_xdata()]


def ys(line: Any) -> list[float]:
    """A plotted line's y data."""
    return [float(y) for y in line.get_ydata()]


def sample() -> Recording:
    events = []
    for n in range(40):
        events.append(Event(START + n * 0.1, SINE, uuid.UUID(int=1), (n % 10) / 10))
        if n % 5 == 0:
            events.append(Event(START + n * 0.1, PULSE, uuid.UUID(int=2), n % 10 == 0))
    events.append(Event(START, LABEL, uuid.UUID(int=3), "batch, 7"))
    return Recording([SINE, PULSE, LABEL], events)


def test_values_and_repr() -> None:
    recording = sample()
    assert recording.values(PULSE) == [True, False] * 4
    assert recording.values(LABEL) == ["batch, 7"]
    assert repr(recording) == f"<Recording of {SINE}, {PULSE}, {LABEL}: 49 events>"


def test_csv_columns_and_quoting(tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    sample().to_csv(path)
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["seconds", "time", "timestamp", "key", "value", "error"]
    assert rows[1] == ["0.0", "2026-11-29T00:00:00.000000Z", repr(START), SINE, "0.0", ""]
    assert len(rows) == 50
    label_row = next(row for row in rows if row[3] == LABEL)
    assert label_row[4:] == ["batch, 7", ""]
    parsed = datetime.datetime.strptime(rows[2][1], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert parsed.replace(tzinfo=datetime.timezone.utc).timestamp() == float(rows[2][2])


def mixed(started: float = START) -> Recording:
    """A recording as ``record([Sine, Counter, Label], seconds=3)`` makes one: the
    counter's and the label's current values are minutes old; the sine's and the
    label's changes come in between."""
    old = started - 700
    events = [
        Event(started + 0.05, SINE, uuid.UUID(int=1), 0.0),  # the current values first
        Event(old, COUNTER, uuid.UUID(int=2), 3),
        Event(old, LABEL, uuid.UUID(int=3), "idle"),
    ]
    for n in range(1, 30):
        events.append(Event(started + 0.05 + n * 0.1, SINE, uuid.UUID(int=1), float(n % 7)))
        if n == 12:
            events.append(Event(started + 1.2, LABEL, uuid.UUID(int=3), "running"))
            events.append(Event(started + 1.25, COUNTER, uuid.UUID(int=2), 4))
    return Recording([SINE, COUNTER, LABEL], events, started=started, ended=started + 3)


def test_rows_are_in_time_order_and_old_values_count_from_the_start() -> None:
    recording = mixed()
    rows = recording.rows()
    seconds = [row[0] for row in rows]
    assert seconds == sorted(seconds)
    assert rows[0][3] in (SINE, COUNTER, LABEL)
    first = {row[3]: row for row in reversed(rows)}  # each key's first row
    assert first[COUNTER][0] == 0.0  # minutes old: counts from the start...
    assert first[COUNTER][2] == START - 700  # ...and keeps its own time stamp
    assert first[COUNTER][1] == utc_text(START - 700)
    assert first[SINE][0] == pytest.approx(0.05)
    assert recording.seconds(COUNTER) == [0.0, pytest.approx(1.25)]
    assert recording.times(COUNTER) == [START - 700, START + 1.25]
    assert recording.duration == pytest.approx(3.0)
    changes = [row[3] for row in rows if 1.1 < row[0] < 1.3]
    assert changes == [SINE, LABEL, SINE, COUNTER]  # in time order, not by key


def test_csv_is_in_time_order(tmp_path: Path) -> None:
    out = io.StringIO()
    mixed().to_csv(out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    seconds = [float(row[0]) for row in rows]
    assert seconds == sorted(seconds)
    assert [row[3] for row in rows[:3]] == [COUNTER, LABEL, SINE]  # 0, 0, 0.05


def test_a_recording_without_a_start_starts_at_its_first_event() -> None:
    recording = Recording(
        [SINE],
        [Event(START + 1, SINE, uuid.UUID(int=1), 1.0), Event(START, SINE, uuid.UUID(int=1), 0.0)],
    )
    assert recording.start == START
    assert [row[0] for row in recording.rows()] == [0.0, 1.0]
    assert recording.duration == 1.0


def test_max_events_keeps_the_first_and_counts_the_rest() -> None:
    seen: list[float] = []
    closed: list[Recording] = []

    class Sink:
        def add(self, recording: Recording, event: Event) -> None:
            seen.append(event.timestamp)

        def close(self, recording: Recording) -> None:
            closed.append(recording)

    recording = Recording([SINE], max_events=5, sink=Sink(), started=START)
    for n in range(8):
        recording.add(Event(START + n, SINE, uuid.UUID(int=1), float(n)))
    recording.finish()
    assert len(recording) == 5
    assert recording.dropped == 3
    assert recording.received == 8
    assert len(seen) == 8  # the sink sees every event, kept or not
    assert closed == [recording]
    assert recording.duration == 5.0  # the outputs end where it became full
    assert "3 dropped" in repr(recording)
    with pytest.raises(InvalidArgument, match="max_events must be a positive int, not 0"):
        Recording([SINE], max_events=0)


def test_csv_values_are_plain() -> None:
    events = [
        Event(START, "q", uuid.UUID(int=1), Quality.GOOD),
        Event(START, "t", uuid.UUID(int=1), TimePoint(1_500_000_000)),
        Event(START, "u", uuid.UUID(int=1), uuid.UUID(int=5)),
        Event(
            START, "n", uuid.UUID(int=1), TimePoint.from_isoformat("2024-01-01T11:11:11.111587983Z")
        ),
        Event(START, "f", uuid.UUID(int=1), AttributeFault(-32104, "value is write only")),
    ]
    out = io.StringIO()
    Recording(["q", "t", "u", "n", "f"], events).to_csv(out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    assert [row[4:] for row in rows] == [
        ["0", ""],
        ["1970-01-01T00:00:01.500000000Z", ""],
        [str(uuid.UUID(int=5)), ""],
        ["2024-01-01T11:11:11.111587983Z", ""],  # every nanosecond
        ["", "value is write only (-32104)"],  # a fault: no value, and what it is
    ]


def test_dataframe() -> None:
    pandas = pytest.importorskip("pandas")
    frame = sample().to_dataframe()
    assert list(frame.columns) == ["seconds", "time", "timestamp", "key", "value", "error"]
    assert len(frame) == 49
    assert str(frame["time"].dt.tz) == "UTC"
    assert frame["time"].iloc[0] == pandas.Timestamp("2026-11-29T00:00:00Z")
    assert frame[frame["key"] == PULSE]["value"].tolist() == [True, False] * 4
    assert frame["seconds"].is_monotonic_increasing


def test_dataframe_times_have_no_float_artefacts() -> None:
    pandas = pytest.importorskip("pandas")
    stamp = 1764374400.7  # 0.7 is no float: unit="s" would make .700000048
    frame = Recording([SINE], [Event(stamp, SINE, uuid.UUID(int=1), 1.0)]).to_dataframe()
    assert frame["time"].iloc[0] == pandas.Timestamp("2025-11-29T00:00:00.700000Z")
    assert frame["time"].iloc[0].nanosecond == 0


def test_dataframe_of_time_points_and_faults() -> None:
    pytest.importorskip("pandas")
    stamp = TimePoint.from_isoformat("2024-01-01T11:11:11.111587983Z")
    fault = AttributeFault(-32104, "value is write only")
    events = [
        Event(START, "t", uuid.UUID(int=1), stamp),
        Event(START, "f", uuid.UUID(int=2), fault),
    ]
    frame = Recording(["t", "f"], events).to_dataframe()
    assert frame["value"].tolist()[0] == "2024-01-01T11:11:11.111587983Z"
    assert frame["value"].isna().tolist() == [False, True]
    assert frame["error"].tolist()[1] == "value is write only (-32104)"
    assert frame["error"].isna().tolist() == [True, False]


def test_plot_is_a_small_png_and_leaves_pyplot_alone(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    had_pyplot = "matplotlib.pyplot" in sys.modules
    path = tmp_path / "run.png"
    figure = sample().plot(path, title="pulse and sine")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) < 100_000
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot
    assert figure.get_suptitle() == "pulse and sine"


def test_plot_axis_starts_at_the_recording_and_values_are_held() -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    figure = mixed().plot()  # no path: nothing written, the figure returned
    assert isinstance(figure, Figure)
    sine, counter, _ = figure.axes
    assert [ax.get_title(loc="left") for ax in figure.axes] == [SINE, COUNTER, LABEL]
    for ax in figure.axes:
        assert ax.get_xlim() == pytest.approx((0.0, 3.0))  # not 700 s of nothing
        assert "seconds since the recording started" in figure.axes[-1].get_xlabel()
    steps = counter.get_lines()[0]  # then the dots where values came
    assert steps.get_drawstyle() == "steps-post"
    assert xs(steps) == pytest.approx([0.0, 1.25, 3.0])  # held to the end
    assert ys(steps) == [3.0, 4.0, 4.0]
    sine_steps = sine.get_lines()[0]
    assert sine_steps.get_drawstyle() == "steps-post"
    assert xs(sine_steps)[0] == pytest.approx(0.05)
    assert xs(sine_steps)[-1] == pytest.approx(3.0)


def test_strings_and_enums_are_labelled_steps_and_bools_steps() -> None:
    pytest.importorskip("matplotlib")
    events = [
        Event(START, LABEL, uuid.UUID(int=3), "idle"),
        Event(START, "q", uuid.UUID(int=4), Quality.GOOD),
        Event(START, PULSE, uuid.UUID(int=2), False),
        Event(START + 1, LABEL, uuid.UUID(int=3), "running"),
        Event(START + 1, "q", uuid.UUID(int=4), Quality.BAD),
        Event(START + 1.5, PULSE, uuid.UUID(int=2), True),
    ]
    figure = Recording([LABEL, "q", PULSE], events, started=START, ended=START + 2).plot()
    label, quality, pulse = figure.axes
    assert [t.get_text() for t in label.get_yticklabels()] == ["idle", "running"]
    (line,) = label.get_lines()
    assert xs(line) == [0.0, 1.0, 2.0]
    assert ys(line) == [0.0, 1.0, 1.0]
    assert {t.get_text() for t in quality.get_yticklabels()} == {"GOOD", "BAD"}
    assert [t.get_text() for t in pulse.get_yticklabels()] == ["False", "True"]
    assert pulse.get_lines()[0].get_drawstyle() == "steps-post"


def test_many_strings_make_a_text_lane_and_a_key_without_values_says_so() -> None:
    pytest.importorskip("matplotlib")
    events = [Event(START + n, LABEL, uuid.UUID(int=3), f"batch {n}") for n in range(12)]
    figure = Recording([LABEL, SINE], events, started=START, ended=START + 12).plot()
    lane, empty = figure.axes
    texts = [t.get_text().strip() for t in lane.texts]
    assert texts == [f"batch {n}" for n in range(12)]
    assert len(lane.collections) == 12  # one band per value
    assert [t.get_text() for t in empty.texts] == ["no value recorded"]


def test_nothing_to_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="nothing to plot"):
        Recording([]).plot(tmp_path / "none.png")


def test_without_the_extras_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # None in sys.modules makes the import fail as if the package were not installed.
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg", "pandas"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r'pip install "xentara-sync\[plot\]"'):
        sample().plot(tmp_path / "x.png")
    with pytest.raises(ImportError, match=r'pip install "xentara-sync\[pandas\]"'):
        sample().to_dataframe()


def test_importing_the_package_imports_neither() -> None:
    import subprocess

    code = (
        "import sys, xentara_sync, xentara_sync.toolkit.recording; "
        "print(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.strip() == "[]"
