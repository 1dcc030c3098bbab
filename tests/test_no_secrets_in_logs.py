"""No credentials in any log record, at any level, in any flavour or the simulator."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest

from tests.client.conftest import with_credentials
from tests.client.flavours import FLAVOURS
from tests.conftest import OUTPUTS
from xentara_sync import XentaraClient
from xentara_sync.simulator import Simulator

USER = "operator"
PASSWORD = "Pa55-w0rd-that-must-not-leak"


def secret_forms() -> list[str]:
    pair = f"{USER}:{PASSWORD}".encode()
    return [
        PASSWORD,
        base64.b64encode(pair).decode(),
        base64.b64encode(PASSWORD.encode()).decode(),
        base64.urlsafe_b64encode(pair).decode(),
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


def session(url: str, flavour: str) -> None:
    if flavour == "blocking":
        with XentaraClient(url) as client:
            client.write(OUTPUTS[0], True)
            assert client.read(OUTPUTS[0]) is True
        return
    (async_flavour,) = [f for f in FLAVOURS if f.name == flavour]

    async def main() -> None:
        async with async_flavour.XentaraClient(url) as client:
            await client.write(OUTPUTS[0], False)
            assert await client.read(OUTPUTS[0]) is False

    async_flavour.run(main)


@pytest.mark.parametrize("flavour", ["blocking", *[f.name for f in FLAVOURS]])
def test_a_session_at_debug_level_logs_no_secret(everything: Everything, flavour: str) -> None:
    with Simulator(users={USER: PASSWORD}) as sim:
        session(with_credentials(sim.url, USER, PASSWORD), flavour)
        with pytest.raises(Exception, match="refused"):  # a wrong password is logged too
            session(with_credentials(sim.url, USER, PASSWORD + "-wrong"), flavour)
    assert len(everything.records) > 10  # the handshake was logged
    assert any("Authorization" in r.getMessage() for r in everything.records)
    for record in everything.records:
        text = " ".join([record.getMessage(), repr(record.args), str(record.exc_info)])
        for secret in secret_forms():
            assert secret not in text, (record.name, record.getMessage())
