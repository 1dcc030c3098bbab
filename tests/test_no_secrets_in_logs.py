"""No credentials in any log record, at any level, in any flavour or the simulator.

Credentials: the connection's password (HTTP Basic), its Bearer token, and the
password of a sub-session (which travels inside a request, not in the handshake).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest

from tests.conftest import OUTPUTS
from tests.core.conftest import with_credentials
from tests.flavours import FLAVOURS
from xentara_sync import XentaraClient
from xentara_sync.simulator import Simulator, User

USER = "operator"
PASSWORD = "Pa55-w0rd-that-must-not-leak"
TOKEN = "T0ken-that-must-not-leak.eyJzdWIiOiJvcGVyYXRvciJ9"
SUB_USER = "viewer"
SUB_PASSWORD = "Sub-Pa55-that-must-not-leak"


def secret_forms() -> list[str]:
    pair = f"{USER}:{PASSWORD}".encode()
    return [
        PASSWORD,
        base64.b64encode(pair).decode(),
        base64.b64encode(PASSWORD.encode()).decode(),
        base64.urlsafe_b64encode(pair).decode(),
        TOKEN,
        "T0ken-that",
        SUB_PASSWORD,
        SUB_PASSWORD.encode().hex(),
    ]


class Everything(logging.Handler):
    """Keeps every record of every logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def everything() -> Iterator[Everything]:
    root = logging.getLogger()
    handler = Everything()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def session(url: str, flavour: str, token: str | None = None) -> None:
    if flavour == "blocking":
        with XentaraClient(url, token=token) as client:
            client.write(OUTPUTS[0], True)
            assert client.read(OUTPUTS[0]) is True
            with client.sub_session(SUB_USER, SUB_PASSWORD) as viewer:
                assert viewer.read(OUTPUTS[0]) is True
            with pytest.raises(Exception, match="wrong user name or password"):
                client.sub_session(SUB_USER, SUB_PASSWORD + "-wrong")
        return
    (async_flavour,) = [f for f in FLAVOURS if f.name == flavour]

    async def main() -> None:
        async with async_flavour.XentaraClient(url, token=token) as client:
            await client.write(OUTPUTS[0], False)
            assert await client.read(OUTPUTS[0]) is False
            async with client.sub_session(SUB_USER, SUB_PASSWORD) as viewer:
                assert await viewer.read(OUTPUTS[0]) is False
            with pytest.raises(Exception, match="wrong user name or password"):
                await client.sub_session(SUB_USER, SUB_PASSWORD + "-wrong")

    async_flavour.run(main)


@pytest.mark.parametrize("flavour", ["blocking", *[f.name for f in FLAVOURS]])
def test_a_session_at_debug_level_logs_no_secret(everything: Everything, flavour: str) -> None:
    users = [User(USER, PASSWORD, token=TOKEN), User(SUB_USER, SUB_PASSWORD, write=False)]
    with Simulator(users=users) as sim:
        session(with_credentials(sim.url, USER, PASSWORD), flavour)
        session(sim.url, flavour, token=TOKEN)
        with pytest.raises(Exception, match="refused"):  # a wrong password is logged too
            session(with_credentials(sim.url, USER, PASSWORD + "-wrong"), flavour)
        with pytest.raises(Exception, match="refused"):  # and a wrong token
            session(sim.url, flavour, token=TOKEN + "-wrong")
    assert len(everything.records) > 10  # the handshake was logged
    assert any("Authorization" in r.getMessage() for r in everything.records)
    assert any("create_sub_session" in r.getMessage() for r in everything.records)
    for record in everything.records:
        text = " ".join([record.getMessage(), repr(record.args), str(record.exc_info)])
        for secret in secret_forms():
            assert secret not in text, (record.name, record.getMessage())
