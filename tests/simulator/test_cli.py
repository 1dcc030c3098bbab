"""``xentara-sync simulate`` in a subprocess: the one line, signals, exit status."""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from websockets.exceptions import InvalidStatus

from xentara_sync.protocol import Opcode

from .conftest import run, uid
from .rawclient import RawClient

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

LINE = re.compile(r"^listening on (wss?)://127\.0\.0\.1:(\d+)/api/ws$")


class Process:
    """A running ``python -m xentara_sync simulate``."""

    def __init__(self, *args: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "xentara_sync", "simulate", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.line = self._first_line()
        match = LINE.match(self.line)
        assert match, f"unexpected first line {self.line!r}"
        self.url = f"{match.group(1)}://127.0.0.1:{match.group(2)}/api/ws"

    def _first_line(self) -> str:
        lines: list[str] = []
        assert self.popen.stdout is not None
        reader = threading.Thread(target=lambda: lines.append(self.popen.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(8)
        if not lines:
            self.popen.kill()
            raise AssertionError("the simulator printed nothing within 8 s")
        return lines[0].rstrip("\n")

    def stop(self, signum: int) -> tuple[int, str, str]:
        self.popen.send_signal(signum)
        out, err = self.popen.communicate(timeout=8)
        return self.popen.returncode, out, err

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.communicate(timeout=5)


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.kill()


async def stage_of(url: str, **kwargs: object) -> object:
    client = await RawClient.connect(url, **kwargs)  # type: ignore[arg-type]
    try:
        return await client.call(Opcode.GET_STAGE)
    finally:
        await client.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_signal_and_exits_0(processes: list[Process], signum: int) -> None:
    process = Process()
    processes.append(process)
    assert process.url.startswith("ws://")
    assert run(stage_of(process.url)) == 2
    status, out, err = process.stop(signum)
    assert status == 0, err
    assert out == ""  # exactly one line was printed
    assert "Traceback" not in err


def test_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "xentara_sync", "simulate", "--help"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0
    for option in ("--host", "--port", "--model", "--user", "--password", "--certfile"):
        assert option in result.stdout


def test_user_and_password(processes: list[Process]) -> None:
    process = Process("--user", "operator", "--password", "s3cr3t-pw")
    processes.append(process)

    async def main() -> None:
        with pytest.raises(InvalidStatus) as info:
            await RawClient.connect(process.url)
        assert info.value.response.status_code == 401
        assert await stage_of(process.url, user="operator", password="s3cr3t-pw") == 2

    run(main())
    status, out, err = process.stop(signal.SIGTERM)
    assert status == 0
    assert "s3cr3t-pw" not in process.line + out + err


def test_model_option_and_shutdown_command(processes: list[Process], sample_model: Path) -> None:
    process = Process("--model", os.fspath(sample_model), "--allow-shutdown")
    processes.append(process)

    async def main() -> None:
        client = await RawClient.connect(process.url)
        await client.lookup("Semantic Sampler.Test Register")
        assert await client.call(Opcode.SHUTDOWN) is None
        await client.close()

    run(main())
    assert process.popen.wait(8) == 0


def test_tls_files(processes: list[Process], tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    process = Process("--certfile", os.fspath(certfile), "--keyfile", os.fspath(keyfile))
    processes.append(process)
    assert process.url.startswith("wss://")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    assert run(stage_of(process.url, ssl=context)) == 2


@pytest.mark.parametrize(
    ("args", "status", "text"),
    [
        (["--model", "/nonexistent/model.json"], 2, "cannot read model file"),
        (["--user", "x"], 2, "--user needs a password"),
        (["--password", "x"], 2, "--password and --password-file need --user"),
        (["--keyfile", "k.pem"], 2, "--keyfile needs --certfile"),
    ],
)
def test_bad_arguments(args: list[str], status: int, text: str) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "XENTARA_SIM_PASSWORD"}
    result = subprocess.run(
        [sys.executable, "-m", "xentara_sync", "simulate", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=20,
        env=environment,
    )
    assert result.returncode == status
    assert result.stderr == f"xentara-sync: error: {text}" + result.stderr.split(text, 1)[1]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("default", "text"),
    [
        (["int8", 300], "Plant.Level: invalid default value 300 for int8"),
        (
            ["timeStamp", "yesterday"],
            "Plant.Level: invalid default value 'yesterday' for timeStamp",
        ),
        (["UUID", "not-a-uuid"], "Plant.Level: invalid default value 'not-a-uuid' for UUID"),
        (["int128", 0], "Plant.Level: \"defaultValue\" names the unknown data type 'int128'"),
    ],
)
def test_invalid_default_is_one_line_and_status_2(
    tmp_path: Path, default: list[object], text: str
) -> None:
    register = {"name": "Level", "UUID": "68462001-920e-46cb-8676-15f35aac68fc"}
    register["defaultValue"] = default  # type: ignore[assignment]
    group = {"name": "Plant", "UUID": uid(), "children": [{"@Skill.SignalFlow.Register": register}]}
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"children": [{"@Group": group}]}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "xentara_sync", "simulate", "--port", "0", "--model", str(model)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"xentara-sync: error: {text}")  # as docs/cli.rst says


@pytest.mark.parametrize(
    ("settings", "text"),
    [
        ({"replay": {"period": "1s", "values": [[float("nan"), 1]]}}, 'Plant.Level: "replay"'),
        ({"access": "sometimes"}, 'Plant.Level: "access" must be'),
    ],
)
def test_a_bad_extension_is_one_error_line_and_status_2(
    tmp_path: Path, settings: dict[str, object], text: str
) -> None:
    register = {"name": "Level", "UUID": uid(), "defaultValue": ["int16", 0], **settings}
    group = {"name": "Plant", "UUID": uid(), "children": [{"@Skill.SignalFlow.Register": register}]}
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"children": [{"@Group": group}]}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "xentara_sync", "simulate", "--port", "0", "--model", str(model)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"xentara-sync: error: {text}")
