"""Every flavour against a server that breaks the protocol: a clear error, at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.client.faulty import FaultyServer
from tests.client.flavours import FLAVOURS
from xentara_sync import ConnectionClosed, ProtocolError, RequestTimeout, XentaraClient

#: Each client below connects with this timeout: a fault must be reported long before.
CONNECT_TIMEOUT = 10.0


def blocking(url: str) -> None:
    XentaraClient(url, connect_timeout=CONNECT_TIMEOUT).close()


def async_connect(flavour: Any) -> Callable[[str], None]:
    def connect(url: str) -> None:
        async def main() -> None:
            client = await flavour.XentaraClient(url, connect_timeout=CONNECT_TIMEOUT)
            await client.close()

        flavour.run(main)

    return connect


CONNECTORS = {"blocking": blocking, **{f.name: async_connect(f) for f in FLAVOURS}}


@pytest.fixture(params=list(CONNECTORS))
def connect(request: pytest.FixtureRequest) -> Callable[[str], None]:
    return CONNECTORS[request.param]


@pytest.mark.parametrize(
    "mode", ["garbage", "not-packets", "huge-broken-packet", "shared-reference-bomb"]
)
def test_a_broken_answer_to_the_hello_is_a_protocol_error_at_once(
    connect: Callable[[str], None], mode: str
) -> None:
    with FaultyServer(mode) as server:
        started = time.monotonic()
        with pytest.raises(ProtocolError) as info:
            connect(server.url)
        assert time.monotonic() - started < 2.0
    message = str(info.value)
    assert "Xentara WebSocket protocol" in message
    assert len(message) < 1000


def test_a_server_that_closes_is_a_closed_connection_at_once(
    connect: Callable[[str], None],
) -> None:
    with FaultyServer("close") as server:
        started = time.monotonic()
        with pytest.raises(ConnectionClosed):
            connect(server.url)
        assert time.monotonic() - started < 2.0


def test_a_silent_server_is_a_timeout_naming_the_hello() -> None:
    with FaultyServer("silent") as server:
        started = time.monotonic()
        with pytest.raises(RequestTimeout, match="client hello"):
            XentaraClient(server.url, connect_timeout=0.5)
        assert time.monotonic() - started < 2.0
