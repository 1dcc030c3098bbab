"""``xentara-sync browse|read|write|watch`` against the session simulator."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.conftest import INPUT, OUTPUTS
from xentara_sync.simulator import Simulator
from xentara_sync.tools.cli import main

OUTPUT = OUTPUTS[0]
COUNTER = "Hardware.Registers.Counter"  # int64
SETPOINT = "Hardware.Registers.Setpoint"  # float64
ENABLE = "Hardware.Registers.Enable"  # bool
LABEL = "Hardware.Registers.Label"  # string
SMALL = "Hardware.Registers.Small"  # int8
SINE = "Hardware.Fast Signals.Sine"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line in-process: (status, stdout, stderr)."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def usage_status(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The status and stderr of a command line that argparse rejects."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(str(exit_info.value.code)), capsys.readouterr().err


def one_error_line(err: str) -> str:
    """The single ``xentara-sync: error: ...`` line of *err*."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("xentara-sync: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def secured() -> Iterator[tuple[Simulator, str]]:
    """A simulator with a password; the URL with the credentials."""
    with Simulator(users={"admin": "s3cret-pw"}) as sim:
        yield sim, sim.url.replace("ws://", "ws://admin:s3cret-pw@")


# --------------------------------------------------------------------------- browse


def test_browse_table(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "browse", simulator.url, "--root", "Hardware")
    assert (status, err) == (0, "")
    rows = [line.rsplit(None, 1) for line in out.splitlines()]
    assert [OUTPUT, "data_point"] in [[key.rstrip(), category] for key, category in rows]
    assert ["Hardware.EtherCAT Bus", "device"] in [[k.rstrip(), c] for k, c in rows]
    assert "Hardware" not in [key.rstrip() for key, _ in rows]  # the root itself


def test_browse_json_with_category_and_root(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = cli(
        capsys, "browse", simulator.url, "--root", "Hardware.Registers", "--category", "Data-Point"
    )
    assert status == 0
    assert out.splitlines()[0].split("  ")[0] == COUNTER
    status, out, _ = cli(
        capsys,
        "browse",
        simulator.url,
        "--root",
        "Hardware.Registers",
        "--category",
        "data_point",
        "--json",
    )
    assert status == 0
    rows = json.loads(out)
    assert [row["key"] for row in rows] == [
        COUNTER,
        SETPOINT,
        ENABLE,
        LABEL,
        SMALL,
        "Hardware.Registers.Command",
    ]
    assert {row["category"] for row in rows} == {"data_point"}
    assert all(len(row["uuid"]) == 36 for row in rows)


def test_browse_whole_model(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "browse", simulator.url, "--root", "", "--json")
    assert status == 0
    assert "Hardware" in [row["key"] for row in json.loads(out)]
    status, default, _ = cli(capsys, "browse", simulator.url, "--json")
    assert (status, default) == (0, out)  # the whole model is the default


def test_browse_unknown_category_is_a_usage_error(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = usage_status(capsys, "browse", simulator.url, "--category", "gadget")
    assert status == 2
    assert "unknown category 'gadget'" in err and "data_point" in err


# --------------------------------------------------------------------------- read


def test_read_one_value_prints_it_alone(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    simulator.set_value(INPUT, True)
    assert cli(capsys, "read", simulator.url, INPUT) == (0, "true\n", "")


def test_read_many_and_json(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    simulator.set_value(COUNTER, 12)
    simulator.set_value(LABEL, "two words")
    status, out, _ = cli(capsys, "read", simulator.url, COUNTER, LABEL, SINE)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == [COUNTER, "12"]
    assert lines[1] == f"{LABEL:<{len(SINE)}}  two words"
    float(lines[2].rsplit(None, 1)[1])

    status, out, _ = cli(capsys, "read", simulator.url, COUNTER, LABEL, SINE, "--json")
    assert status == 0
    values = json.loads(out)
    assert values[COUNTER] == 12 and values[LABEL] == "two words"
    assert isinstance(values[SINE], float)


def test_read_other_attributes(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "read", simulator.url, SINE, "--attribute", "quality") == (0, "good\n", "")
    status, out, _ = cli(capsys, "read", simulator.url, SINE, "--attribute", "changeTime", "--json")
    assert status == 0
    assert json.loads(out)[SINE].endswith("Z")


def test_read_unknown_attribute_names_the_elements_attributes(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = cli(capsys, "read", simulator.url, SINE, "--attribute", "colour")
    assert status == 1
    assert "no attribute 'colour'" in err and "its attributes: key, name" in err
    status, err = usage_status(capsys, "read", simulator.url, SINE, "--attribute", " ")
    assert status == 2 and "must not be empty" in err


def test_unknown_element_exits_1_with_a_suggestion(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = cli(capsys, "read", simulator.url, "Hardware.EtherCAT Bus.EL2624.Ouptut 1")
    assert (status, out) == (1, "")
    line = one_error_line(err)
    assert "unknown element" in line and f"did you mean {OUTPUT!r}" in line


def test_write_only_element_cannot_be_read(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = cli(capsys, "read", simulator.url, "Hardware.Registers.Command")
    assert status == 1
    assert "write only" in one_error_line(err)


# --------------------------------------------------------------------------- write


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        (OUTPUT, "true", True),
        (OUTPUT, "0", False),
        (ENABLE, "TRUE", True),
        (ENABLE, "false", False),
        (COUNTER, "-42", -42),
        (COUNTER, "0x1f", 31),
        (SETPOINT, "21.5", 21.5),
        (SETPOINT, "3", 3.0),
        (LABEL, "hello world", "hello world"),
        (LABEL, "42", "42"),
    ],
)
def test_write_converts_by_data_type(
    simulator: Simulator,
    capsys: pytest.CaptureFixture[str],
    key: str,
    text: str,
    expected: object,
) -> None:
    assert cli(capsys, "write", simulator.url, key, text) == (0, "", "")
    value = simulator.get_value(key)
    assert value == expected and type(value) is type(expected)


def test_write_integral_number_to_an_integer(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # the write rule: an integral number is the integer it equals
    before = simulator.get_value(COUNTER)
    assert cli(capsys, "write", simulator.url, COUNTER, "3.0") == (0, "", "")
    value = simulator.get_value(COUNTER)
    assert value == 3 and type(value) is int
    simulator.set_value(COUNTER, before)


def test_write_with_forced_type(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "write", simulator.url, SETPOINT, "7", "--type", "float") == (0, "", "")
    assert simulator.get_value(SETPOINT) == 7.0
    status, _, err = cli(capsys, "write", simulator.url, LABEL, "7", "--type", "int")
    assert status == 1
    assert "expected a str, got int 7" in one_error_line(err)


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        (ENABLE, "yes", "'yes' is not a boolean: use true, false, 1 or 0"),
        (COUNTER, "12.5", "'12.5' is not an integer (int64)"),
        (SETPOINT, "warm", "'warm' is not a number (float64)"),
    ],
)
def test_write_bad_value_is_a_clear_usage_error(
    simulator: Simulator, capsys: pytest.CaptureFixture[str], key: str, text: str, message: str
) -> None:
    status, _, err = cli(capsys, "write", simulator.url, key, text)
    assert status == 2
    assert one_error_line(err) == f"xentara-sync: error: cannot write to {key!r}: {message}"


def test_write_checks_range_and_access(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = cli(capsys, "write", simulator.url, SMALL, "300")
    assert status == 1
    assert "300 is outside int8 (-128..127)" in one_error_line(err)
    status, _, err = cli(capsys, "write", simulator.url, INPUT, "true")
    assert status == 1
    assert "read only" in one_error_line(err)


def test_write_then_read_round_trip(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "write", simulator.url, SMALL, "-7")[0] == 0
    assert cli(capsys, "read", simulator.url, SMALL) == (0, "-7\n", "")


# --------------------------------------------------------------------------- watch


def test_watch_count(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    status, out, err = cli(capsys, "watch", simulator.url, SINE, "--interval", "20", "--count", "3")
    assert (status, err) == (0, "")
    assert time.monotonic() - started < 5
    lines = out.splitlines()
    assert len(lines) == 3
    for line in lines:
        clock, key, value = line.split("  ")
        assert key == SINE
        time.strptime(clock.split(".")[0], "%H:%M:%S")
        float(value)


def test_watch_json_several_keys(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    simulator.set_value(ENABLE, True)
    status, out, _ = cli(capsys, "watch", simulator.url, ENABLE, COUNTER, "--count", "2", "--json")
    assert status == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert {event["key"] for event in events} == {ENABLE, COUNTER}
    assert next(e["value"] for e in events if e["key"] == ENABLE) is True
    assert all(event["time"].endswith("Z") for event in events)


def test_watch_seconds(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    status, out, _ = cli(capsys, "watch", simulator.url, COUNTER, "--seconds", "0.5")
    elapsed = time.monotonic() - started
    assert status == 0
    assert 0.4 < elapsed < 5
    assert out.splitlines()[0].endswith(f"  {COUNTER}  {simulator.get_value(COUNTER)}")


def test_watch_rejects_a_negative_interval(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = usage_status(capsys, "watch", simulator.url, SINE, "--interval", "-5")
    assert status == 2
    assert "must not be negative" in err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_watch_ctrl_c_exits_0_without_traceback(simulator: Simulator) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "xentara_sync", "watch", simulator.url, SINE, "--interval", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal gives it, even under a shell that ignores it for its
        # background jobs (the child would then never see a KeyboardInterrupt).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # events are flowing
        assert SINE in first
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert err == ""


# --------------------------------------------------------------------------- connecting


def test_wrong_password_is_one_line_without_the_password(
    secured: tuple[Simulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = secured
    status, _, err = cli(capsys, "read", url.replace("s3cret-pw", "wrong-pw"), INPUT)
    assert status == 1
    line = one_error_line(err)
    assert "refused the credentials of user 'admin'" in line
    assert "wrong-pw" not in line
    assert cli(capsys, "read", url, INPUT)[0::2] == (0, "")


def test_missing_credentials(
    secured: tuple[Simulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sim, _ = secured
    status, _, err = cli(capsys, "browse", sim.url)
    assert status == 1
    assert "requires credentials" in one_error_line(err)


def test_unreachable_host(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(
        capsys, "read", "ws://me:pw-123@127.0.0.1:1/api/ws", INPUT, "--timeout", "3"
    )
    assert status == 1
    line = one_error_line(err)
    assert "127.0.0.1 refused the connection to port 1 (ws://127.0.0.1:1/api/ws)" in line
    assert "pw-123" not in line


def test_invalid_url_hides_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "browse", "https://me:pw-123@plant/api/ws")
    assert status == 1
    line = one_error_line(err)
    assert "use ws:// or wss://" in line and "pw-123" not in line


@pytest.fixture(scope="module")
def tls_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Path]]:
    """A ``wss://`` simulator with a certificate of a private CA; the CA's file."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    cafile = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    with Simulator(ssl=context) as sim:
        yield sim, cafile


def test_tls_failure_names_the_options(
    tls_simulator: tuple[Simulator, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sim, cafile = tls_simulator
    status, _, err = cli(capsys, "read", sim.url, OUTPUT)
    assert status == 1
    line = one_error_line(err)
    assert "could not be verified" in line
    assert "--no-verify" in line and "--cafile" in line and "verify_ssl" not in line
    assert cli(capsys, "read", sim.url, OUTPUT, "--no-verify")[0] == 0
    assert cli(capsys, "read", sim.url, OUTPUT, "--cafile", str(cafile))[0] == 0


def test_missing_cafile_is_a_usage_error(
    tls_simulator: tuple[Simulator, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sim, _ = tls_simulator
    missing = str(tmp_path / "none.pem")
    status, err = usage_status(capsys, "read", sim.url, OUTPUT, "--cafile", missing)
    assert status == 2
    assert f"argument --cafile: cannot read {missing!r}: No such file or directory" in err


# --------------------------------------------------------------------------- help, process


@pytest.mark.parametrize("command", ["browse", "read", "write", "watch"])
def test_help_has_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"xentara-sync {command} ws://" in out
    for option in ("--root", "--timeout", "--no-verify", "--cafile"):
        assert option in out


def test_importing_the_commands_stays_light() -> None:
    code = (
        "import sys, xentara_sync.tools; "
        "assert not [n for n in vars(xentara_sync.tools) if not n.startswith('__')]; "
        "import xentara_sync.tools.browse, xentara_sync.tools.read, "
        "xentara_sync.tools.write, xentara_sync.tools.watch; "
        "heavy = {'asyncio', 'websockets', 'cbor2', 'xentara_sync.core'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_status(capsys, "read", "ws://127.0.0.1:8080/api/ws")[0] == 2
    assert usage_status(capsys, "write", "ws://127.0.0.1:8080/api/ws", OUTPUT)[0] == 2


def test_read_and_write_as_a_process(simulator: Simulator) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "xentara_sync", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )

    done = run("write", simulator.url, OUTPUTS[3], "1")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    done = run("read", simulator.url, OUTPUTS[3], "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {OUTPUTS[3]: True}
    done = run("read", simulator.url, "Hardware.Nowhere")
    assert done.returncode == 1
    assert done.stderr.startswith("xentara-sync: error: ") and "Traceback" not in done.stderr


def test_watch_rides_through_a_lost_connection(
    fresh_simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    timer = threading.Timer(0.5, fresh_simulator.disconnect_all)
    timer.start()
    try:
        status, out, err = cli(
            capsys, "watch", fresh_simulator.url, SINE, "--interval", "20", "--seconds", "1.5"
        )
    finally:
        timer.cancel()
    assert status == 0
    assert err.splitlines() == [
        f"connection lost to {fresh_simulator.url}; reconnecting",
        f"reconnected to {fresh_simulator.url}",
    ]
    assert len(out.splitlines()) > 20  # events before and after
