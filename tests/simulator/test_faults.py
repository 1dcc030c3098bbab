"""The faults of :mod:`xentara_sync.simulator.faults`, each seen by a real client."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect

from xentara_sync import InvalidArgument, ProtocolError, RequestTimeout, XentaraClient
from xentara_sync.protocol import (
    Opcode,
    Request,
    Success,
    decode_message,
    encode_message,
)
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.faults import (
    MODES,
    FaultyServer,
    Relay,
    answer,
    connect_answers,
    drop_every,
    dropping_every,
    events_message,
)

KEY = "Hardware.EtherCAT Bus.EL2624.Output 1"


@pytest.fixture
def simulator(simulator: Simulator) -> Simulator:
    """The session's simulator with *KEY* False, as these tests read it: other tests
    write it and may run before them in the same process."""
    simulator.set_value(KEY, False)
    return simulator


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def test_the_relay_forwards_and_drops_every_connection(simulator: Simulator) -> None:
    with Relay(simulator.url) as relay:
        assert relay.url.startswith("ws://127.0.0.1:") and relay.url.endswith("/api/ws")
        with XentaraClient(relay.url, max_reconnect_delay=0.1) as client:
            assert client.read(KEY) is False
            wait_for(lambda: relay.connection_count == 1)
            relay.disconnect_all()
            wait_for(lambda: client.reconnects == 1)
            assert client.read(KEY, timeout=10) is False
            assert relay.connection_count == 1
        wait_for(lambda: relay.connection_count == 0)


def test_a_frozen_relay_holds_everything_back_until_the_thaw(simulator: Simulator) -> None:
    with (
        Relay(simulator.url) as relay,
        XentaraClient(relay.url, keepalive=None, reconnect=False) as client,
    ):
        client.read(KEY)
        relay.freeze()
        assert relay.frozen
        with pytest.raises(RequestTimeout):
            client.read(KEY, timeout=0.5)
        relay.thaw()
        # Nothing was lost: the same connection answers again.
        assert client.read(KEY, timeout=10) is False
        assert client.reconnects == 0


def test_a_delay_longer_than_the_timeout_times_out(simulator: Simulator) -> None:
    with Relay(simulator.url) as relay, XentaraClient(relay.url, keepalive=None) as client:
        relay.delay = 2.0
        with pytest.raises(RequestTimeout):
            client.read(KEY, timeout=0.3)
        relay.delay = 0
        assert client.read(KEY, timeout=10) is False


def test_a_relay_stops_within_its_timeout_with_a_frozen_connection(
    simulator: Simulator,
) -> None:
    relay = Relay(simulator.url)
    relay.start()
    with connect(relay.url, open_timeout=10) as websocket:
        relay.freeze()
        relay.stop(timeout=5)
        assert relay.connection_count == 0
        with pytest.raises(ConnectionRefusedError):  # the listener is closed
            socket.create_connection(("127.0.0.1", relay.port), timeout=5).close()
        del websocket


def test_dropping_every_drops_a_simulator_at_its_period() -> None:
    drops: list[int] = []
    with Simulator() as sim, XentaraClient(sim.url, max_reconnect_delay=0.1) as client:
        with dropping_every(sim, 0.2, drops.append):
            wait_for(lambda: client.reconnects >= 2)
        assert sum(drops) >= 2
        assert client.read(KEY, timeout=10) is False


def test_drop_every_drops_a_relay_from_asyncio(simulator: Simulator) -> None:
    from xentara_sync import aio

    drops: list[int] = []

    async def main() -> int:
        with Relay(simulator.url) as relay:
            task = asyncio.ensure_future(drop_every(relay, 0.2, drops.append))
            try:
                async with aio.XentaraClient(relay.url, max_reconnect_delay=0.1) as client:
                    deadline = time.monotonic() + 10
                    while client.reconnects < 2 and time.monotonic() < deadline:
                        await asyncio.sleep(0.02)
                    return client.reconnects
            finally:
                task.cancel()

    assert asyncio.run(main()) >= 2
    assert sum(drops) >= 2


@pytest.mark.parametrize("mode", [m for m in MODES if m not in ("close", "flood", "silent")])
def test_every_broken_answer_is_a_protocol_error(mode: str) -> None:
    with FaultyServer(mode) as server:
        with pytest.raises(ProtocolError):
            XentaraClient(server.url, connect_timeout=10)
        assert server.messages >= 1


def test_a_repeating_flood_goes_on_until_the_client_goes() -> None:
    message = events_message(10_000)
    with (
        FaultyServer("flood", [message], repeat=True) as server,
        XentaraClient(server.url, root_element="Hardware"),
    ):
        wait_for(lambda: server.sent > 20)


def test_the_connecting_answers_are_successes() -> None:
    requests = [Request(1, Opcode.CLIENT_HELLO, {0: 1}), Request(2, Opcode.BROWSE, {})]
    answers = decode_message(connect_answers(encode_message(requests)))
    assert answers == [Success(1, None), Success(2, [])]
    assert answer("silent", b"") is None


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: FaultyServer("rude"), "mode"),
        (lambda: FaultyServer("flood"), "flood"),
        (lambda: answer("rude", b""), "mode"),
        (lambda: Relay("http://127.0.0.1:1/"), "upstream"),
        (lambda: Relay(None), "upstream"),  # type: ignore[arg-type]
        (lambda: Relay(1, delay=-1), "delay"),
        (lambda: dropping_every(object(), 0).__enter__(), "seconds"),  # type: ignore[arg-type]
        (lambda: events_message(0), "size"),
    ],
)
def test_bad_arguments_name_themselves(make: Callable[[], object], argument: str) -> None:
    with pytest.raises(InvalidArgument, match=f"^{argument}:"):
        make()


def test_a_relay_whose_server_is_gone_drops_the_client() -> None:
    # A port bound but not listening: a connection to it is refused (and no other
    # server can take the port while the test runs).
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
        with (
            Relay(port) as relay,
            pytest.raises((InvalidHandshake, ConnectionClosed)),  # not a TimeoutError
            connect(relay.url, open_timeout=10),
        ):
            pass
