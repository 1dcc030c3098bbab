"""``xentara-sync snapshot``: the twin of a simulator, from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.core.conftest import with_credentials
from tests.snapshot.test_snapshot import refusing  # noqa: F401 - a fixture
from tests.tools.test_cli_client import cli, one_error_line
from xentara_sync.simulator import Simulator, load_model
from xentara_sync.simulator.users import User


def test_snapshot_writes_the_twin_and_says_so(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bench.json"
    status, out, err = cli(capsys, "snapshot", simulator.url, "-o", str(path))
    assert (status, err) == (0, "")  # stderr is no terminal here: no progress
    count = len(simulator.model.elements)
    assert out == f"wrote {path}: {count} elements, 30 data points\n"
    assert [e.key for e in load_model(path).elements] == [e.key for e in simulator.model.elements]


def test_root_and_record(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fast.json"
    status, out, _ = cli(
        capsys,
        "snapshot",
        simulator.url,
        "--root",
        "Hardware.Fast Signals",
        "--record",
        "0.5",
        "-o",
        str(path),
    )
    assert status == 0
    assert out.startswith(f"wrote {path}: 6 elements, 4 data points, ")
    assert out.endswith(" replayed\n")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["children"][0]["@Group"]["name"] == "Hardware"


def test_refused_elements_are_one_line_each_on_stderr(
    refusing: Simulator,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "twin.json"
    status, out, err = cli(capsys, "snapshot", refusing.url, "-o", str(path))
    assert status == 3  # written, but incomplete
    *warned, last = err.splitlines()
    assert sorted(warned) == [
        "xentara-sync snapshot: warning: 'Hardware.Registers.Label' left out: "
        "meta_data refused: access denied: not for you (-32102)",
        "xentara-sync snapshot: warning: 'Hardware.Signals.Sine' left out: "
        "read refused: read error: sensor unplugged (-32108)",
    ]
    total = len(refusing.model.elements)
    assert last == (
        f"xentara-sync snapshot: 2 of {total} elements left out: "
        "the twin is incomplete (exit status 3)"
    )
    assert out.endswith("; 2 left out\n")
    assert load_model(path).by_key["Hardware.Registers.Counter"]


def test_a_user_without_the_read_right_gets_a_clear_warning_and_status_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "twin.json"
    with Simulator(users=[User("viewer", "pw-viewer", read=False)]) as sim:
        url = with_credentials(sim.url, "viewer", "pw-viewer")
        status, out, err = cli(capsys, "snapshot", url, "--root", "Plant", "-o", str(path))
    assert status == 3
    assert out == f"wrote {path}: 1 elements, 0 data points; 4 left out\n"
    lines = err.splitlines()
    assert len(lines) == 4 + 2
    assert lines[-2] == (
        "xentara-sync snapshot: warning: no data point could be read (4 elements left out): "
        "the twin holds no values; does the user have the read right?"
    )
    assert lines[-1].endswith("4 of 5 elements left out: the twin is incomplete (exit status 3)")
    assert "pw-viewer" not in out + err


def test_no_password_in_the_output_or_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "twin.json"
    with Simulator(users={"admin": "s3cret-pw"}) as sim:
        url = sim.url.replace("ws://", "ws://admin:s3cret-pw@")
        status, out, err = cli(capsys, "snapshot", url, "-o", str(path))
        assert status == 0
        status, _, bad = cli(capsys, "snapshot", url, "--root", "Nowhere", "-o", str(path))
    assert status == 1
    assert "Nowhere" in one_error_line(bad)
    for text in (out, err, bad, path.read_text(encoding="utf-8")):
        assert "s3cret" not in text


def test_progress_on_a_terminal(
    simulator: Simulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status, _, err = cli(
        capsys, "snapshot", simulator.url, "--root", "Plant", "-o", str(tmp_path / "p.json")
    )
    assert status == 0
    assert err.startswith("\rxentara-sync snapshot: 0 of 5 elements")
    assert err.endswith("\rxentara-sync snapshot: 5 of 5 elements\n")
    assert err.count("\n") == 1


def test_a_missing_directory_is_one_error_line(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nowhere" / "x.json"
    status, _, err = cli(capsys, "snapshot", simulator.url, "-o", str(target))
    assert status == 2
    assert "--output: cannot write" in one_error_line(err)
    assert "no directory" in err


def test_a_directory_is_one_error_line(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = cli(capsys, "snapshot", simulator.url, "-o", str(tmp_path))
    assert (status, out) == (2, "")
    assert one_error_line(err).endswith(f"cannot write {str(tmp_path)!r}: it is a directory")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_an_existing_file_keeps_its_mode(
    simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "perm.json"
    path.write_text("{}\n", encoding="utf-8")
    path.chmod(0o644)
    status, _, _ = cli(capsys, "snapshot", simulator.url, "--root", "Plant", "-o", str(path))
    assert status == 0
    assert path.stat().st_mode & 0o777 == 0o644
