"""What a server puts in names and values reaches the terminal escaped."""

from __future__ import annotations

from typing import Any

import pytest

from xentara_sync import XentaraClient
from xentara_sync.protocol import decode, encode
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.faults import Proxy
from xentara_sync.tools.cli import main

LABEL = "Hardware.Registers.Label"
#: Clears the screen, sets a window title, rings the bell, reverses the text after it.
HOSTILE = "\x1b[2J\x1b]0;pwned\x07\u202eevil\x9b31m"


def raw(text: str) -> bool:
    """Whether *text* holds any of the hostile characters as they are."""
    return any(c in text for c in "\x1b\x07\u202e\x9b")


def hostile_names(message: bytes) -> bytes:
    """Every name with 'Registers' in it gets the hostile characters as well."""

    def spoil(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("Registers", "Registers" + HOSTILE)
        if isinstance(value, list):
            return [spoil(v) for v in value]
        if isinstance(value, dict):
            return {k: spoil(v) for k, v in value.items()}
        return value

    return encode(spoil(decode(message)))


def test_browse_escapes_names(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    with Proxy(simulator.url, hostile_names) as proxy:
        status = main(["browse", proxy.url])
    out = capsys.readouterr().out
    assert status == 0
    assert "Registers\\x1b[2J\\x1b]0;pwned\\x07\\u202eevil\\x9b31m" in out
    assert not raw(out)


def test_read_escapes_values(
    fresh_simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    with XentaraClient(fresh_simulator.url) as client:
        client.write(LABEL, HOSTILE)
    for args in ([LABEL], [LABEL, "Hardware.Registers.Enable"]):
        assert main(["read", fresh_simulator.url, *args]) == 0
        out = capsys.readouterr().out
        assert "\\x1b[2J" in out
        assert not raw(out)
