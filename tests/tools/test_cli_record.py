"""``xentara-sync record`` against the session simulator."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xentara_sync.simulator import Simulator
from xentara_sync.tools.cli import main

SINE = "Hardware.Fast Signals.Sine"
PULSE = "Hardware.Fast Signals.Pulse"
LABEL = "Hardware.Registers.Label"
ROOT = Path(__file__).resolve().parents[2]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_csv_and_plot_files(
    simulator: Simulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv_path, png_path = tmp_path / "run.csv", tmp_path / "run.png"
    status, out, err = cli(
        capsys, "record", simulator.url, SINE, PULSE, SINE, "--seconds", "0.5",
        "--csv", str(csv_path), "--plot", str(png_path),
    )  # fmt: skip
    assert (status, out, err) == (0, "", "")  # stderr is no terminal here: no progress
    with csv_path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert {row["key"] for row in rows} == {SINE, PULSE}
    assert sum(row["key"] == SINE for row in rows) > 2
    assert all(row["time"].endswith("Z") for row in rows)
    assert png_path.read_bytes().startswith(b"\x89PNG")


def test_csv_on_stdout_and_count(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "record", simulator.url, SINE, "--seconds", "5", "--count", "4")
    assert (status, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["seconds", "time", "timestamp", "key", "value", "error"]
    assert len(rows) == 5
    seconds = [float(row[0]) for row in rows[1:]]
    assert seconds == sorted(seconds) and 0.0 <= seconds[0] < 1.0


def test_a_string_is_plotted_too(
    simulator: Simulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    png, csv_path = tmp_path / "label.png", tmp_path / "label.csv"
    status, out, err = cli(
        capsys, "record", simulator.url, LABEL, "--seconds", "0.2",
        "--csv", str(csv_path), "--plot", str(png),
    )  # fmt: skip
    assert (status, out, err) == (0, "", "")
    assert png.read_bytes().startswith(b"\x89PNG")
    with csv_path.open(newline="", encoding="utf-8") as file:
        assert [row["key"] for row in csv.DictReader(file)] == [LABEL]


#: Nothing listens here: a command that connected would fail with "connection refused".
NOWHERE = "ws://127.0.0.1:1/api/ws"


@pytest.mark.parametrize("option", ["--csv", "--plot"])
def test_output_paths_are_checked_before_connecting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str
) -> None:
    missing = tmp_path / "missing" / "out.file"
    good = tmp_path / "good.csv"
    other = "--plot" if option == "--csv" else "--csv"
    what = "CSV" if option == "--csv" else "plot"
    status, out, err = cli(
        capsys, "record", NOWHERE, SINE, "--seconds", "60", option, str(missing), other, str(good)
    )
    assert (status, out) == (2, "")
    assert err == (
        f"xentara-sync: error: cannot write the {what} to {missing}: "
        f"no directory {missing.parent}\n"
    )
    status, out, err = cli(
        capsys, "record", NOWHERE, SINE, "--seconds", "60", option, str(tmp_path)
    )
    assert (status, out) == (2, "")
    assert err == f"xentara-sync: error: cannot write the {what} to {tmp_path}: it is a directory\n"
    assert not good.exists()


def test_count_alone_and_a_count_of_zero(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = cli(capsys, "record", simulator.url, SINE, "--count", "3")
    assert (status, err) == (0, "")
    assert len(list(csv.reader(io.StringIO(out)))) == 4
    with pytest.raises(SystemExit) as caught:
        main(["record", simulator.url, SINE, "--seconds", "1", "--count", "0"])
    assert caught.value.code == 2
    assert "argument --count: must be a positive integer: '0'" in capsys.readouterr().err
    status, out, err = cli(capsys, "record", NOWHERE, SINE)
    assert (status, out) == (2, "")
    assert err == "xentara-sync: error: record needs --seconds S or --count N (or both)\n"


def test_the_plot_is_a_png_whatever_its_name(
    simulator: Simulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "plot.txt"
    status, out, err = cli(
        capsys, "record", simulator.url, SINE, "--count", "3", "--plot", str(path)
    )
    assert (status, out, err) == (0, "", "")
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_on_a_terminal(simulator: Simulator, tmp_path: Path) -> None:
    import pty

    controller, terminal = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "xentara_sync", "record", simulator.url, SINE,
             "--seconds", "1", "--csv", str(tmp_path / "run.csv")],
            stderr=terminal, stdout=subprocess.PIPE, cwd=ROOT, timeout=30, check=False,
        )  # fmt: skip
        os.close(terminal)
        terminal = -1
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
        if terminal != -1:
            os.close(terminal)
    assert proc.returncode == 0, shown
    text = shown.decode().replace("\r\n", "\n")  # the terminal's own line ends
    updates = text.split("\r")
    assert len(updates) >= 3, text
    assert updates[-1].startswith("recording 1.0/1 s, ")
    assert updates[-1].rstrip().endswith(" events")
    assert text.count("\n") == 1


@pytest.mark.parametrize("suffix", ["csv", "parquet", "tdms"])
def test_out_streams_to_the_file_its_suffix_names(
    simulator: Simulator, capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    pandas = pytest.importorskip("pandas")
    path = tmp_path / f"run.{suffix}"
    status, out, err = cli(
        capsys, "record", simulator.url, SINE, PULSE, "--count", "12", "--out", str(path)
    )
    assert (status, out) == (0, "")
    assert err == f"recorded 12 events to {path}\n"
    if suffix == "csv":
        frame = pandas.read_csv(path)
        keys = list(frame["key"])
        assert list(frame.columns) == ["seconds", "time", "timestamp", "key", "value", "error"]
    elif suffix == "parquet":
        table = pytest.importorskip("pyarrow.parquet").read_table(path)
        keys = table.column("key").to_pylist()
    else:
        group = pytest.importorskip("nptdms").TdmsFile.read(path)["Recording"]
        keys = [key for key in (SINE, PULSE) for _ in group[key][:]]
        assert len(group[f"{SINE} time"]) == len(group[SINE])
    assert len(keys) == 12 and set(keys) == {SINE, PULSE}


def test_out_with_csv_keeps_both(
    simulator: Simulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    streamed, kept = tmp_path / "streamed.csv", tmp_path / "kept.csv"
    status, out, _ = cli(
        capsys, "record", simulator.url, SINE, "--count", "5",
        "--out", str(streamed), "--csv", str(kept),
    )  # fmt: skip
    assert (status, out) == (0, "")
    with streamed.open(newline="") as a, kept.open(newline="") as b:
        assert sorted(csv.reader(a)) == sorted(csv.reader(b))  # arrival vs time order


def test_a_bad_out_is_refused_before_connecting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, err = cli(
        capsys, "record", NOWHERE, SINE, "--seconds", "60", "--out", str(tmp_path / "r.xls")
    )
    assert (status, out) == (2, "")
    assert err == (
        "xentara-sync: error: --out takes a file ending in .csv, .parquet or .tdms, "
        f"not '{tmp_path / 'r.xls'}'\n"
    )
    missing = tmp_path / "missing" / "r.csv"
    status, out, err = cli(capsys, "record", NOWHERE, SINE, "--count", "1", "--out", str(missing))
    assert (status, out) == (2, "")
    assert "no directory" in err
