"""``xentara-sync tui`` as a user runs it: without Textual, with a bad key, and in a
real pseudo-terminal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from xentara_sync.simulator import Simulator

COUNTER = "Hardware.Registers.Counter"

#: Run the command line with every import of Textual failing, as without it.
WITHOUT_TEXTUAL = """
import sys

class NoTextual:
    def find_spec(self, name, path=None, target=None):
        if name == "textual" or name.startswith("textual."):
            raise ImportError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoTextual())
from xentara_sync.tools.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_without_textual(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TEXTUAL, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_textual_one_line_says_what_to_install() -> None:
    # Port 1 on 127.0.0.1: nothing is connected to before the check.
    result = run_without_textual("tui", "ws://127.0.0.1:1/api/ws")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert 'pip install "xentara-sync[tui]"' in result.stderr
    assert "Traceback" not in result.stderr


def test_without_textual_help_and_other_commands_still_work() -> None:
    result = run_without_textual("tui", "--help")
    assert result.returncode == 0
    assert "--password-file" in result.stdout
    assert "--token-file" in result.stdout


def test_a_server_that_cannot_be_reached_is_one_line_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("textual")
    from xentara_sync.tools.cli import main

    status = main(["tui", "ws://admin:Pa55w0rd@127.0.0.1:1/api/ws", "--timeout", "2"])
    out, err = capsys.readouterr()
    assert status == 1
    assert out == ""
    assert err.count("\n") == 1
    assert "refused the connection to port 1" in err
    assert "Pa55w0rd" not in err


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


def test_an_unknown_key_is_one_line_before_the_screen_changes(sim: Simulator) -> None:
    pytest.importorskip("textual")
    result = subprocess.run(
        [sys.executable, "-m", "xentara_sync", "tui", sim.url, "Hardware.Registers.Countr"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "Hardware.Registers.Counter" in result.stderr  # the suggestion


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_in_a_real_terminal_a_value_changes_and_q_quits(sim: Simulator) -> None:
    pytest.importorskip("textual")
    import fcntl
    import pty
    import select
    import struct
    import termios

    sim.set_value(COUNTER, 0)
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    process = subprocess.Popen(
        [sys.executable, "-m", "xentara_sync", "tui", sim.url, COUNTER, "--interval", "0"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=environment,
        start_new_session=True,
    )
    os.close(terminal)
    screen = bytearray()

    def read_until(wanted: bytes, limit: float = 20.0) -> None:
        deadline = time.monotonic() + limit
        while wanted not in screen:
            left = deadline - time.monotonic()
            if left <= 0 or process.poll() is not None:
                pytest.fail(f"the terminal never showed {wanted!r}: {bytes(screen[-2000:])!r}")
            ready, _, _ = select.select([controller], [], [], min(left, 0.5))
            if ready:
                try:
                    screen.extend(os.read(controller, 65536))
                except OSError:  # the terminal closed
                    pass

    try:
        read_until(b"connected")
        read_until(b"Counter")
        sim.set_value(COUNTER, 4242)
        read_until(b"4242")
        seen = len(screen)
        os.write(controller, b"q")
        status = process.wait(timeout=20)
        try:  # what the program wrote on its way out
            while select.select([controller], [], [], 0.2)[0]:
                chunk = os.read(controller, 65536)
                if not chunk:
                    break
                screen.extend(chunk)
        except OSError:
            pass
        assert status == 0
        # The terminal is given back: the alternate screen is left.
        assert b"\x1b[?1049l" in screen[seen:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        os.close(controller)
