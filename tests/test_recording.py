"""Recordings written out: CSV, pandas, PNG plots; and what is said without the extras."""

from __future__ import annotations

import csv
import datetime
import io
import sys
import uuid
from pathlib import Path

import pytest

from xentara_sync.model import Event
from xentara_sync.protocol import AttributeFault, Quality, TimePoint
from xentara_sync.recording import Recording

SINE = "Hardware.Signals.Sine"
PULSE = "Hardware.Signals.Pulse"
LABEL = "Hardware.Registers.Label"
START = datetime.datetime(2026, 11, 29, tzinfo=datetime.timezone.utc).timestamp()


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
    assert rows[0] == ["time", "timestamp", "key", "value", "error"]
    assert rows[1] == ["2026-11-29T00:00:00.000000Z", repr(START), SINE, "0.0", ""]
    assert rows[-1][2:] == [LABEL, "batch, 7", ""]
    assert len(rows) == 50
    parsed = datetime.datetime.strptime(rows[2][0], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert parsed.replace(tzinfo=datetime.timezone.utc).timestamp() == float(rows[2][1])


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
    assert [row[3:] for row in rows] == [
        ["0", ""],
        ["1970-01-01T00:00:01.500000000Z", ""],
        [str(uuid.UUID(int=5)), ""],
        ["2024-01-01T11:11:11.111587983Z", ""],  # every nanosecond
        ["", "value is write only (-32104)"],  # a fault: no value, and what it is
    ]


def test_dataframe() -> None:
    pandas = pytest.importorskip("pandas")
    frame = sample().to_dataframe()
    assert list(frame.columns) == ["time", "timestamp", "key", "value", "error"]
    assert len(frame) == 49
    assert str(frame["time"].dt.tz) == "UTC"
    assert frame["time"].iloc[0] == pandas.Timestamp("2026-11-29T00:00:00Z")
    assert frame[frame["key"] == PULSE]["value"].tolist() == [True, False] * 4


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
    sample().plot(path, title="pulse and sine")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) < 100_000
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot


def test_nothing_to_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    only_text = Recording([LABEL], [Event(START, LABEL, uuid.UUID(int=3), "x")])
    with pytest.raises(ValueError, match="nothing to plot"):
        only_text.plot(tmp_path / "none.png")


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
        "import sys, xentara_sync, xentara_sync.recording; "
        "print(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.strip() == "[]"
