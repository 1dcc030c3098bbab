"""Who may stop the simulator, and how ``simulate`` takes a password without ``ps``
showing it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from xentara_sync.protocol import Failure, Opcode, Stage, Success
from xentara_sync.simulator import Simulator

from .conftest import run, with_client
from .rawclient import RawClient
from .test_cli import Process, stage_of

VARIABLE = "XENTARA_SIM_PASSWORD"
SECRET = "pw-4f9e1c-never-shown"


def test_shutdown_is_refused_by_default(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        answer = await client.request(Opcode.SHUTDOWN)
        assert isinstance(answer, Failure) and answer.code == -32102
        assert "--allow-shutdown" in answer.text and "allow_shutdown=True" in answer.text
        assert await client.call(Opcode.GET_STAGE) == Stage.OPERATIONAL

    with_client(sim, scenario)
    assert sim.serving and sim.stage is Stage.OPERATIONAL


def test_shutdown_is_allowed_with_the_keyword() -> None:
    async def main() -> None:
        async with Simulator(allow_shutdown=True) as sim:
            client = await RawClient.connect(sim.url)
            answer = await client.request(Opcode.SHUTDOWN)
            assert isinstance(answer, Success)
            await asyncio.wait_for(sim.wait_shutdown(), 5)
            assert sim.stage is Stage.POST_OPERATIONAL
            assert not sim.serving and "stopped" in repr(sim)
        assert not sim.serving

    run(main())


def serving(sim: Simulator) -> bool:
    return sim.serving  # read again each time (a plain attribute to the type checker)


def test_a_threaded_simulator_is_not_serving_after_an_allowed_shutdown() -> None:
    with Simulator(allow_shutdown=True) as sim:
        assert serving(sim)

        async def main() -> None:
            client = await RawClient.connect(sim.url)
            answer = await client.request(Opcode.SHUTDOWN)
            assert isinstance(answer, Success)
            # The server closes the connections once it stopped listening.
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(client.ws.recv(), 5)

        run(main())
        assert not serving(sim)
    assert not serving(sim)
    sim.start()  # it serves again once started
    try:
        assert serving(sim)
    finally:
        sim.stop()
    assert not serving(sim)


@pytest.fixture
def started() -> Iterator[list[Process]]:
    processes: list[Process] = []
    yield processes
    for process in processes:
        process.kill()


def test_cli_refuses_shutdown_without_the_flag(started: list[Process]) -> None:
    process = Process()
    started.append(process)

    async def main() -> None:
        client = await RawClient.connect(process.url)
        try:
            assert await client.error(Opcode.SHUTDOWN) == -32102
        finally:
            await client.close()

    run(main())
    assert process.popen.poll() is None  # still serving
    assert run(stage_of(process.url)) == Stage.OPERATIONAL
    status, _, err = process.stop(signal.SIGTERM)
    assert status == 0, err


@pytest.fixture
def no_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)


def check_login(process: Process) -> None:
    async def main() -> None:
        with pytest.raises(InvalidStatus) as info:
            await RawClient.connect(process.url, user="operator", password="wrong")
        assert info.value.response.status_code == 401
        assert await stage_of(process.url, user="operator", password=SECRET) == 2

    run(main())
    status, out, err = process.stop(signal.SIGTERM)
    assert status == 0, err
    assert SECRET not in process.line + out + err


def test_password_file_first_line(
    started: list[Process], tmp_path: Path, no_variable: None
) -> None:
    path = tmp_path / "password"
    path.write_text(f"{SECRET}\nsecond line is ignored\n", encoding="utf-8")
    process = Process("--user", "operator", "--password-file", os.fspath(path))
    started.append(process)
    check_login(process)


def test_password_from_the_environment(
    started: list[Process], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, SECRET)  # the child process inherits it
    process = Process("--user", "operator")
    started.append(process)
    assert SECRET not in " ".join(process.popen.args)  # type: ignore[arg-type]
    check_login(process)


def simulate(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != VARIABLE}
    return subprocess.run(
        [sys.executable, "-m", "xentara_sync", "simulate", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=20,
        env=environment,
    )


def test_missing_password_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "no-such-file"
    result = simulate("--user", "operator", "--password-file", os.fspath(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert os.fspath(path) in lines[0] and "password file" in lines[0]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_unreadable_password_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "locked"
    path.write_text(SECRET, encoding="utf-8")
    path.chmod(0)
    result = simulate("--user", "operator", "--password-file", os.fspath(path))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and os.fspath(path) in result.stderr
    assert SECRET not in result.stderr


def test_password_file_that_is_a_directory(tmp_path: Path) -> None:
    result = simulate("--user", "operator", "--password-file", os.fspath(tmp_path))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and os.fspath(tmp_path) in result.stderr


def test_password_file_and_password_exclude_each_other(tmp_path: Path) -> None:
    path = tmp_path / "password"
    path.write_text(SECRET, encoding="utf-8")
    result = simulate("--user", "u", "--password-file", os.fspath(path), "--password", SECRET)
    assert result.returncode == 2
    assert "exclude each other" in result.stderr and SECRET not in result.stderr


def test_help_warns_that_password_shows_in_the_process_list() -> None:
    result = simulate("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for option in ("--password-file", "--allow-shutdown", VARIABLE):
        assert option in text
    assert "process list" in text
