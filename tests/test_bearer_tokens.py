"""Bearer tokens on the command line (the client commands and ``simulate``) and in
the flat API; the clients' own tests are in ``tests/core/test_whole_protocol.py``
and ``tests/sync/test_whole_protocol_sync.py``."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.simulator.test_cli import Process
from tests.simulator.test_shutdown_and_passwords import simulate
from xentara_sync import XentaraClient, flat
from xentara_sync.simulator import Simulator, User
from xentara_sync.simulator import cli as simulate_cli

from .conftest import INPUT
from .tools.test_cli_client import cli, one_error_line

TOKEN = "tok-9d2f-never-shown"


@pytest.fixture
def token_simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    for variable in ("XENTARA_TOKEN", "XENTARA_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    with Simulator(users=[User("admin", "s3cret-pw", token=TOKEN)]) as sim:
        yield sim


def test_token_file(
    token_simulator: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "token"
    path.write_text(f"{TOKEN}\n", encoding="utf-8")
    status, out, err = cli(capsys, "read", token_simulator.url, INPUT, "--token-file", str(path))
    assert (status, err) == (0, "")
    assert out.strip() in ("true", "false")


def test_token_from_the_environment(
    token_simulator: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XENTARA_TOKEN", TOKEN)
    assert cli(capsys, "read", token_simulator.url, INPUT)[0::2] == (0, "")
    # A user name means Basic: the variable's token is not used then.
    monkeypatch.setenv("XENTARA_PASSWORD", "s3cret-pw")
    assert cli(capsys, "read", token_simulator.url, INPUT, "--user", "admin")[0::2] == (0, "")


def test_token_option(token_simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "browse", token_simulator.url, "--token", TOKEN)[0] == 0


def test_wrong_token_is_one_line_without_the_token(
    token_simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = cli(capsys, "read", token_simulator.url, INPUT, "--token", TOKEN + "-x")
    assert status == 1
    line = one_error_line(err)
    assert "refused the Bearer token" in line and TOKEN not in line


def test_token_and_user_exclude_each_other(
    token_simulator: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XENTARA_PASSWORD", "s3cret-pw")
    status, _, err = cli(
        capsys, "read", token_simulator.url, INPUT, "--user", "admin", "--token", TOKEN
    )
    assert status == 1
    line = one_error_line(err)
    assert "not both" in line and TOKEN not in line


def test_the_simulator_offers_both_schemes_and_refuses_a_wrong_token(
    token_simulator: Simulator,
) -> None:
    async def refused(headers: dict[str, str]) -> InvalidStatus:
        with pytest.raises(InvalidStatus) as caught:
            async with connect(token_simulator.url, additional_headers=headers):
                pass
        return caught.value

    async def main() -> None:
        missing = await refused({})
        assert missing.response.status_code == 401
        assert missing.response.headers.get_all("WWW-Authenticate") == [
            'Basic realm="Xentara"',
            'Bearer realm="Xentara"',
        ]
        wrong = await refused({"Authorization": f"Bearer {TOKEN}x"})
        assert wrong.response.status_code == 401
        async with connect(
            token_simulator.url, additional_headers={"Authorization": f"bearer  {TOKEN}"}
        ):
            pass  # the scheme's case and spaces around the token do not matter

    asyncio.run(asyncio.wait_for(main(), 20))


def test_flat_open_session_with_a_token(token_simulator: Simulator) -> None:
    handle = flat.open_session(token_simulator.url, "Hardware", True, 10.0, token=TOKEN)
    try:
        assert flat.read(handle, INPUT) in (True, False)
    finally:
        flat.close_session(handle)


# --------------------------------------------------------------------------- simulate


def namespace(**given: str | None) -> argparse.Namespace:
    values = {"token": None, "token_file": None, **given}
    return argparse.Namespace(**values)


def test_simulate_takes_the_token_from_an_option_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(simulate_cli.TOKEN_VARIABLE, raising=False)
    assert simulate_cli.token(namespace()) is None
    assert simulate_cli.token(namespace(token=TOKEN)) == TOKEN
    monkeypatch.setenv(simulate_cli.TOKEN_VARIABLE, TOKEN)
    assert simulate_cli.token(namespace()) == TOKEN
    (user,) = simulate_cli.users(None, None, TOKEN) or []
    assert (user.name, user.password, user.token) == ("bearer", None, TOKEN)
    (user,) = simulate_cli.users("operator", "pw", TOKEN) or []
    assert (user.name, user.password, user.token) == ("operator", "pw", TOKEN)
    assert simulate_cli.users(None, None, None) is None


def test_simulate_with_a_token_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(simulate_cli.TOKEN_VARIABLE, raising=False)
    path = tmp_path / "token"
    path.write_text(f"{TOKEN}\n", encoding="utf-8")
    process = Process("--token-file", os.fspath(path))
    try:
        with XentaraClient(process.url, token=TOKEN, timeout=10) as client:
            assert client.read(INPUT) in (True, False)
        with pytest.raises(Exception, match="refused the Bearer token"):
            XentaraClient(process.url, token="wrong", timeout=10)
        status, out, err = process.stop(signal.SIGTERM)
    finally:
        process.kill()
    assert status == 0, err
    assert TOKEN not in process.line + out + err


def test_simulate_token_file_and_token_exclude_each_other(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(TOKEN, encoding="utf-8")
    result = simulate("--token-file", os.fspath(path), "--token", TOKEN)
    assert result.returncode == 2
    assert "exclude each other" in result.stderr and TOKEN not in result.stderr
