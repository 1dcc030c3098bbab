"""Every flavour against a server that breaks the protocol: a clear error, at once."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import OUTPUTS
from tests.flavours import FLAVOURS
from xentara_sync import ConnectionClosed, ProtocolError, RequestTimeout, XentaraClient
from xentara_sync.core.settings import DEFAULT_KEEPALIVE
from xentara_sync.protocol.session import parse_message
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.faults import FaultyServer, Relay, flood_messages

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


def connect_within(flavour: str, url: str, connect_timeout: float) -> None:
    if flavour == "blocking":
        XentaraClient(url, connect_timeout=connect_timeout).close()
    else:
        module = next(f for f in FLAVOURS if f.name == flavour)

        async def main() -> None:
            client = await module.XentaraClient(url, connect_timeout=connect_timeout)
            await client.close()

        module.run(main)


@pytest.mark.parametrize("flavour", list(CONNECTORS))
@pytest.mark.parametrize("handshake_delay", [0.0, 0.8])
def test_a_silent_server_is_a_timeout_naming_the_hello(
    flavour: str, handshake_delay: float
) -> None:
    # connect_timeout bounds connecting as a whole, the handshake included, and
    # the error names the step that got no answer, however long the handshake took.
    with FaultyServer("silent", handshake_delay=handshake_delay) as server:
        started = time.monotonic()
        with pytest.raises(RequestTimeout, match=r"client hello.* within 1\.5 s"):
            connect_within(flavour, server.url, 1.5)
        elapsed = time.monotonic() - started
        assert 1.4 < elapsed < 1.5 + 0.6


def test_the_default_keepalive_notices_a_frozen_server_within_ten_seconds() -> None:
    assert DEFAULT_KEEPALIVE is not None and 2 * DEFAULT_KEEPALIVE <= 10
    for flavour in FLAVOURS:
        params = inspect.signature(flavour.XentaraClient).parameters
        assert params["keepalive"].default == DEFAULT_KEEPALIVE
    assert inspect.signature(XentaraClient).parameters["keepalive"].default == DEFAULT_KEEPALIVE


@pytest.mark.parametrize("flavour", ["blocking", *[f.name for f in FLAVOURS]])
def test_a_frozen_server_is_noticed_by_the_keepalive(simulator: Simulator, flavour: str) -> None:
    with Relay(urlsplit(simulator.url).port or 0) as relay:
        url = f"ws://127.0.0.1:{relay.port}/api/ws"
        started = time.monotonic()
        if flavour == "blocking":
            with XentaraClient(url, keepalive=0.3) as client:
                relay.freeze()
                with pytest.raises(ConnectionClosed, match="lost"):
                    client.read(OUTPUTS[0], timeout=5)
        else:
            (async_flavour,) = [f for f in FLAVOURS if f.name == flavour]

            async def main() -> None:
                async with async_flavour.XentaraClient(url, keepalive=0.3) as client:
                    relay.freeze()
                    with pytest.raises(ConnectionClosed, match="lost"):
                        await client.read(OUTPUTS[0], timeout=5)

            async_flavour.run(main)
        assert time.monotonic() - started < 3.0


@pytest.fixture(scope="module")
def flood() -> list[bytes]:
    return flood_messages()


def test_a_huge_message_to_one_client_does_not_stall_another(
    simulator: Simulator, flood: list[bytes]
) -> None:
    """Two blocking clients share the loop thread; one gets 3 x 13 MB of events."""
    assert len(flood[0]) > 12_000_000
    with FaultyServer("flood", flood) as server, XentaraClient(simulator.url) as other:
        other.read(OUTPUTS[0])
        latencies = []
        with XentaraClient(server.url, root_element="Hardware"):
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline:
                started = time.monotonic()
                other.read(OUTPUTS[0], timeout=5)
                latencies.append(time.monotonic() - started)
    # A stalled loop thread would hold a read up for a whole message's parsing, at
    # least its processor time (a busy machine stretches the wall-clock time more):
    # that of a tenth of a message, ten times over, measured here.
    tenth = flood_messages(1, 30_000)[0]
    started = time.thread_time()
    parse_message(tenth)  # what the client does with a message, on a worker thread
    stall = 10 * (time.thread_time() - started)
    assert max(latencies) < max(0.5, stall / 2), (max(latencies), stall)
