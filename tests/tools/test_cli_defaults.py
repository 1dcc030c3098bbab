"""The command line's defaults and edges: the whole model by default, numbers beyond
float64, rounded watch times, a user name without a password."""

from __future__ import annotations

import inspect
import json
import math
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from xentara_sync import AuthenticationFailed, UnknownElement, XentaraClient
from xentara_sync.protocol.index import Event
from xentara_sync.simulator import Simulator
from xentara_sync.tools.cli import main
from xentara_sync.tools.watch import format_event

#: A model rooted at ``Types``, not ``Hardware``.
VALUE_TYPES = Path(__file__).resolve().parents[1] / "data" / "value-types.json"
FLOAT64 = "Types.Registers.Float64"
FLOAT32 = "Types.Registers.Float32"
INT8 = "Types.Registers.Int8"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def plant() -> Iterator[Simulator]:
    with Simulator(VALUE_TYPES) as simulator:
        yield simulator


def test_commands_default_to_the_whole_model(
    plant: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = cli(capsys, "read", plant.url, INT8)
    assert (status, out.strip(), err) == (0, "-5", "")
    status, out, err = cli(capsys, "browse", plant.url, "--json")
    assert status == 0, err
    assert "Types" in [row["key"] for row in json.loads(out)]
    status, out, _ = cli(capsys, "browse", plant.url, "--root", "Types.IO", "--json")
    assert status == 0
    assert {row["key"].rpartition(".")[0] for row in json.loads(out)} == {"Types.IO"}
    status, _, err = cli(capsys, "write", plant.url, INT8, "-7")
    assert (status, err) == (0, "")
    assert plant.get_value(INT8) == -7


def test_the_python_api_keeps_its_hardware_default(plant: Simulator) -> None:
    import xentara_sync.aio

    for cls in (XentaraClient, xentara_sync.aio.XentaraClient):
        assert inspect.signature(cls).parameters["root_element"].default == "Hardware"
    with pytest.raises(UnknownElement, match="unknown root element"):
        XentaraClient(plant.url, timeout=5)


@pytest.mark.parametrize("text", ["1e400", "-1.5e400", "1E+309"])
def test_write_refuses_a_number_beyond_float64(
    plant: Simulator, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    before = plant.get_value(FLOAT64)
    status, out, err = cli(capsys, "write", "--", plant.url, FLOAT64, text)
    assert status == 1, (out, err)
    assert "outside the range of float64" in err and "(-32105)" in err
    assert plant.get_value(FLOAT64) == before  # nothing written, not inf


def test_write_refuses_beyond_float32_alike_and_still_writes_inf(
    plant: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = cli(capsys, "write", plant.url, FLOAT32, "1e39")
    assert status == 1 and "outside the range of float32" in err
    status, _, err = cli(capsys, "write", plant.url, FLOAT32, "1e400", "--type", "float")
    assert status == 1 and "outside the range of float32" in err
    status, _, err = cli(capsys, "write", "--", plant.url, FLOAT64, "-inf")
    assert (status, err) == (0, "")
    assert plant.get_value(FLOAT64) == -math.inf
    cli(capsys, "write", "--", plant.url, FLOAT64, "-2.25")


def _event(timestamp: float) -> Event:
    return Event(timestamp, "Hardware.Signals.Sine", uuid.UUID(int=1), 1.0)


def test_watch_rounds_times_to_the_millisecond() -> None:
    second = time.mktime((2024, 1, 1, 11, 11, 11, 0, 1, -1))
    ticks = [second + n / 10 - 1e-7 for n in range(1, 10)]  # 100 ms ticks, as floats hold them
    shown = [format_event(_event(tick)).split()[0] for tick in ticks]
    assert shown == [f"11:11:11.{n}00" for n in range(1, 10)]
    assert format_event(_event(second + 0.9996)).startswith("11:11:12.000 ")
    stamp = json.loads(format_event(_event(1704107471.9999996), as_json=True))["time"]
    assert stamp == "2024-01-01T11:11:12.000000Z"


def test_a_user_without_a_password_is_told_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XENTARA_PASSWORD", raising=False)
    with Simulator(users={"admin": "s3cret-pw"}) as secured:
        with pytest.raises(AuthenticationFailed) as caught:
            XentaraClient(secured.url, username="admin", timeout=5)
        message = str(caught.value)
        assert "no password given for user 'admin'" in message
        assert "refused the credentials" not in message
        with pytest.raises(AuthenticationFailed, match="refused the credentials"):
            XentaraClient(secured.url, username="admin", password="wrong", timeout=5)
        status, _, err = cli(
            capsys, "read", secured.url, "--user", "admin", "Hardware.Registers.Counter"
        )
        assert status == 1
        assert "no password given for user 'admin'" in err
        assert "--password-file" in err
