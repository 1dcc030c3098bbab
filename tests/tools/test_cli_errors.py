"""Every command, given bad input, fails with one line on stderr and no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DATA, OUTPUTS
from xentara_sync.simulator import Simulator
from xentara_sync.tools.cli import COMMANDS, main

SECRET = "Pa55/w0rd"
UNREACHABLE = "ws://127.0.0.1:1/api/ws"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line in-process: (status, stdout, stderr), usage errors included."""
    try:
        status = main(list(args))
    except SystemExit as exit_info:
        status = int(str(exit_info.code))
    out, err = capsys.readouterr()
    return status, out, err


def the_error(err: str) -> str:
    """The one line an error leaves on stderr (bench may print progress before it)."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if not line.startswith("bench: ")]
    assert len(lines) == 1, err
    assert lines[0].startswith("xentara-sync"), err
    assert ": error: " in lines[0], err
    return lines[0]


BAD_INPUT: list[tuple[list[str], int, str]] = [
    (["demo", "--model", "/nonexistent.json"], 1, "/nonexistent.json"),
    (["demo", "--seconds", "-1"], 2, "--seconds"),
    (["demo", "--root", "Nope"], 1, "--root ''"),
    (["demo", UNREACHABLE, "--timeout", "2"], 1, "nothing listens there"),
    (["demo", UNREACHABLE, "--model", "m.json"], 2, "without a URL"),
    (["simulate", "--port", "99999"], 2, "--port"),
    (["simulate", "--certfile", "/nonexistent.pem"], 2, "/nonexistent.pem"),
    (["browse", f"ws://admin:{SECRET}@127.0.0.1:1/api/ws"], 1, "percent-encode"),
    (["browse", "http://127.0.0.1:1/api/ws"], 1, "ws://"),
    (["read", UNREACHABLE], 2, "KEY"),
    (["read", UNREACHABLE, "X", "--password-file", "/nonexistent"], 2, "/nonexistent"),
    (["write", UNREACHABLE, OUTPUTS[0], "true", "--timeout", "0"], 2, "--timeout"),
    (["watch", UNREACHABLE, OUTPUTS[0], "--timeout", "2"], 1, "nothing listens there"),
    (["record", UNREACHABLE, OUTPUTS[0]], 2, "--seconds"),
    (
        ["record", UNREACHABLE, OUTPUTS[0], "--seconds", "1", "--timeout", "2"],
        1,
        "nothing listens there",
    ),
    (["bench", UNREACHABLE, "--quick"], 1, "nothing listens there"),
    (["bench", "--key", "Hardware.Nope", "--quick", "--rounds", "1", "--reads", "1"], 1, "Nope"),
    (["bench", "--user", "x", "--quick"], 2, "need a URL"),
    (["snapshot", UNREACHABLE, "--timeout", "2"], 1, "nothing listens there"),
    (["snapshot", UNREACHABLE, "--record", "0"], 2, "--record"),
    (["snapshot", UNREACHABLE, "-o", "/nonexistent/twin.json"], 2, "--output: cannot write"),
    (["tui", UNREACHABLE, "--interval", "-1"], 2, "--interval"),
    (["nonsense"], 2, "invalid choice"),
]


def test_every_command_has_bad_input_below() -> None:
    assert {args[0] for args, _, _ in BAD_INPUT} >= set(COMMANDS)


@pytest.mark.parametrize(
    ("args", "status", "text"), BAD_INPUT, ids=[" ".join(args) for args, _, _ in BAD_INPUT]
)
def test_bad_input_is_one_line(
    args: list[str], status: int, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, *args)
    line = the_error(err)
    assert code == status, err
    assert text in line
    assert "w0rd" not in err


def test_a_model_without_hardware_needs_no_root(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "demo", "--model", str(DATA / "signal-sampler.json"), "--seconds", "0"
    )
    assert (code, err) == (0, ""), err
    assert "under the whole model" in out


@pytest.fixture
def secured() -> Iterator[Simulator]:
    with Simulator(users={"admin": SECRET}) as sim:
        yield sim


def test_demo_against_a_url_reads_only(
    secured: Simulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secured.set_value(OUTPUTS[0], True)
    password_file = tmp_path / "pw.txt"
    password_file.write_text(SECRET + "\n", encoding="utf-8")
    code, out, err = run(
        capsys, "demo", secured.url, "--user", "admin", "--password-file", str(password_file),
        "--seconds", "0.3",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert "Nothing is written" in out and SECRET not in out
    assert secured.get_value(OUTPUTS[0]) is True


def test_the_password_comes_from_the_environment(
    secured: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XENTARA_PASSWORD", SECRET)
    code, out, err = run(capsys, "read", secured.url, OUTPUTS[1], "--user", "admin", "--json")
    assert (code, err) == (0, ""), err
    assert set(json.loads(out)) == {OUTPUTS[1]}
    monkeypatch.setenv("XENTARA_PASSWORD", "wr0ng/" + SECRET)
    code, _, err = run(capsys, "read", secured.url, OUTPUTS[1], "--user", "admin")
    assert code == 1
    assert "refused the credentials" in the_error(err) and "w0rd" not in err


def test_a_password_file_needs_a_user(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    password_file = tmp_path / "pw.txt"
    password_file.write_text(SECRET, encoding="utf-8")
    code, _, err = run(capsys, "read", UNREACHABLE, "X", "--password-file", str(password_file))
    assert code == 2
    assert "--password-file needs --user" in the_error(err)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_has_no_markup(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "``" not in out and ":class:" not in out and ":mod:" not in out


def test_option_names_agree() -> None:
    for command in ("browse", "read", "write", "watch", "demo", "bench"):
        out = subprocess.run(
            [sys.executable, "-m", "xentara_sync", command, "--help"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "COLUMNS": "200"},
        ).stdout
        for option in ("--no-verify", "--user", "--password-file"):
            assert option in out, (command, option)
        assert "--insecure" not in out
