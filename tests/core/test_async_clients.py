"""The asyncio and the trio client against the real simulator: one suite, run on both.

Every test takes the ``flavour`` fixture and so runs twice, as ``test_name[asyncio]``
and ``test_name[trio]``. What only one flavour has lives in ``test_aio_only.py`` or
``test_trio_only.py``.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.conftest import FAST_SINE, INPUT, OUTPUTS
from tests.core.conftest import TLS_PASSWORD, TLS_USER, with_credentials
from tests.flavours import FLAVOURS, AsyncClient, Flavour
from xentara_sync import (
    AuthenticationFailed,
    ClientClosed,
    ConnectionClosed,
    ConnectionFailed,
    InvalidURL,
    OutOfRange,
    ReadOnly,
    RequestTimeout,
    TLSVerificationFailed,
    TypeMismatch,
    UnknownElement,
    WriteOnly,
)
from xentara_sync.aio.backend import AsyncioBackend
from xentara_sync.protocol import Category, Quality, Stage, TimePoint
from xentara_sync.simulator import Simulator

# --------------------------------------------------------------------------- internals
# The only places that reach into the client's private attributes: when the client's
# core changes, these helpers change, and no test does.


def record_sends(client: AsyncClient) -> list[bytes]:
    """Record every message the client sends from now on.

    The recording offers exactly the sending methods of the transport it wraps, so
    the client takes the same path with it as without it.
    """
    sent: list[bytes] = []
    inner: Any = client._transport

    class Recording:
        async def send(self, data: bytes) -> None:
            sent.append(data)
            await inner.send(data)

        async def recv(self) -> bytes:
            return await inner.recv()  # type: ignore[no-any-return]

        async def ping(self, timeout: float) -> bool:
            return await inner.ping(timeout)  # type: ignore[no-any-return]

        async def close(self) -> None:
            await inner.close()

    class RecordingNowait(Recording):
        def send_nowait(self, data: bytes) -> None:
            sent.append(data)
            inner.send_nowait(data)

    client._transport = RecordingNowait() if hasattr(inner, "send_nowait") else Recording()
    return sent


def pending_requests(client: AsyncClient) -> int:
    """How many requests still wait for their answer."""
    session = client.session
    assert session is not None
    return session.pending


def background_finished(client: AsyncClient) -> bool:
    """Whether every background task of the client's connection has ended."""
    backend: Any = client._backend
    if type(backend).__name__ == "TrioBackend":  # xentara_sync.trio may not import here
        host = backend._host  # the system task holding the connection's nursery
        assert host is not None
        return bool(host._finished.is_set())
    assert isinstance(backend, AsyncioBackend)
    return not backend._tasks


def socket_closed(client: AsyncClient) -> bool:
    """Whether the client's TCP connection is closed."""
    ws: Any = client._transport._ws  # type: ignore[union-attr]
    if hasattr(ws, "stream"):  # websockets.trio
        return ws.stream.socket.fileno() == -1  # type: ignore[no-any-return]
    return ws.transport.is_closing()  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    """Each async flavour in turn: asyncio, then trio."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def silent_host() -> Iterator[str]:
    """The URL of a host that accepts TCP but never answers the handshake (a stuck device)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/api/ws"
    finally:
        listener.close()


# --------------------------------------------------------------------------- connecting


def test_await_connects_and_browses(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        client = await flavour.XentaraClient(
            simulator.url, root_element="Hardware", verify_ssl=True
        )
        try:
            assert client.connected
            assert not background_finished(client)
            assert OUTPUTS[0] in client
            assert len(client) == len(client.keys()) > 20
            assert all(key.startswith("Hardware.") for key in client)
            assert client.keys()[0] == "Hardware.EtherCAT Bus"  # model order
            element = client[OUTPUTS[0]]
            assert isinstance(element, flavour.Element)
            assert element.category == Category.DATA_POINT
            assert [e.name for e in client.values()] == client.keys()
            assert dict(client.items())[OUTPUTS[1]] == client[OUTPUTS[1]]
            text = str(client)
            assert simulator.url in text
            assert "root='Hardware'" in text
            assert f"elements={len(client)}" in text
            assert "connected" in text and "2.0.7-simulator" in text
        finally:
            await client.close()
        assert "closed" in repr(client)
        assert background_finished(client)

    flavour.run(main)


def test_create_and_async_with(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        client = await flavour.XentaraClient.create(simulator.url, root_element="Hardware")
        assert isinstance(client, flavour.XentaraClient)
        await client.close()
        await client.close()  # idempotent
        async with flavour.XentaraClient(simulator.url) as client:
            assert client.connected
        assert client.closed
        assert background_finished(client)

    flavour.run(main)


def test_the_connection_outlives_the_task_that_opened_it(
    flavour: Flavour, simulator: Simulator
) -> None:
    """The connection's background tasks do not belong to the task that connected."""

    async def main() -> None:
        async def connect() -> AsyncClient:
            return await flavour.XentaraClient(simulator.url)

        [client] = await flavour.gather(connect)  # that task has ended now
        try:
            assert client.connected
            assert isinstance(await client.read(OUTPUTS[0]), bool)
        finally:
            await client.close()
        assert background_finished(client)

    flavour.run(main)


def test_forgotten_close_ends_cleanly(
    flavour: Flavour, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The background tasks are cancelled when the main task returns, quietly."""
    clients: list[AsyncClient] = []

    async def main() -> None:
        client = await flavour.XentaraClient(simulator.url)
        clients.append(client)
        assert isinstance(await client.read(OUTPUTS[0]), bool)

    with caplog.at_level(logging.WARNING, logger="xentara_sync"):
        flavour.run(main)
    assert caplog.records == []
    assert not clients[0].connected


# --------------------------------------------------------------------------- reading, writing


def test_write_then_read(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            for value in (True, False, True):
                await client.write(OUTPUTS[1], value)
                assert await client.read(OUTPUTS[1]) is value
                assert await client[OUTPUTS[1]].read() is value
            await client[OUTPUTS[1]].write(False)
            assert simulator.get_value(OUTPUTS[1]) is False

    flavour.run(main)


def test_read_attributes_and_attribute_keys(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        key = "Hardware.Registers.Counter"
        async with flavour.XentaraClient(simulator.url) as client:
            await client.write(key, 7)
            values = await client.read_attributes(key)
            assert values["value"] == 7
            assert values["quality"] is Quality.GOOD
            assert isinstance(values["changeTime"], TimePoint)
            assert isinstance(values["updateTime"], TimePoint)
            through_element = await client[key].read_attributes()
            assert through_element["value"] == 7
            assert through_element["quality"] is Quality.GOOD
            assert isinstance(through_element["changeTime"], TimePoint)
            quality = await client.read(f"{key}.quality")
            assert quality is Quality.GOOD
            assert await client.read(key, attribute="category") is Category.DATA_POINT
            name = await client.read(key, attribute="primary_key")
            assert name == key
            metadata = await client.metadata(key)
            assert "value" in metadata.attributes

    flavour.run(main)


def test_elements_outside_the_root_are_looked_up(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            assert "Plant.Mode" not in client
            with pytest.raises(UnknownElement):
                client["Plant.Mode"]
            await client.write("Plant.Mode", 3)
            assert await client.read("Plant.Mode") == 3
            assert await client["Plant.Mode"].read() == 3  # known after the look-up

    flavour.run(main)


def test_whole_model_without_root(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url, root_element=None) as client:
            assert "Hardware" in client and "Plant.Mode" in client
            assert await client.read("Plant.Recipe") == "default"

    flavour.run(main)


def test_unknown_element_suggests(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            with pytest.raises(UnknownElement) as info:
                await client.read("Hardware.EtherCAT Bus.EL2624.Ouptut 1")
            assert isinstance(info.value, KeyError)
            assert OUTPUTS[0] in info.value.suggestions
            message = str(info.value)
            assert "Ouptut 1" in message and "did you mean" in message
            assert message.startswith("lookup")

    flavour.run(main)


def test_unknown_root_element(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        with pytest.raises(UnknownElement, match="Hardwre"):
            await flavour.XentaraClient(simulator.url, root_element="Hardwre")

    flavour.run(main)


def test_bad_writes_fail_before_sending(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            await client.metadata(OUTPUTS[0])
            await client.metadata(INPUT)
            await client.metadata("Hardware.Registers.Small")
            sent = record_sends(client)
            with pytest.raises(TypeMismatch, match="expected True or False") as mismatch:
                await client.write(OUTPUTS[0], "on")
            assert isinstance(mismatch.value, TypeError)
            assert mismatch.value.element == OUTPUTS[0]
            with pytest.raises(TypeMismatch):
                await client.write(OUTPUTS[0], 1)
            with pytest.raises(OutOfRange, match="int8"):
                await client.write("Hardware.Registers.Small", 300)
            with pytest.raises(ReadOnly, match="Input 1"):
                await client.write(INPUT, True)
            assert sent == []

    flavour.run(main)


def test_server_errors_carry_code_and_element(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            with pytest.raises(WriteOnly) as info:
                await client.read("Hardware.Registers.Command")
            assert info.value.code == -32104
            assert info.value.operation == "read"
            assert info.value.element == "Hardware.Registers.Command"

    flavour.run(main)


def test_concurrent_requests_share_one_message(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            sent = record_sends(client)
            values = await flavour.gather(*(partial(client.read, key) for key in OUTPUTS))
            assert len(values) == 4 and all(isinstance(v, bool) for v in values)
            assert values == [simulator.get_value(key) for key in OUTPUTS]
            assert len(sent) == 1
            sent.clear()
            many = await client.read_many(OUTPUTS)
            assert list(many) == OUTPUTS
            assert len(sent) == 1

    flavour.run(main)


def test_a_cancelled_request_does_not_hold_back_its_batch(
    flavour: Flavour, simulator: Simulator
) -> None:
    """Whichever task opened the batch, the others' requests still leave."""

    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            sent = record_sends(client)

            async def cancelled() -> object:
                # Cancelled at its first wait, after its request joined the batch.
                assert await flavour.move_on_after(0, client.read, OUTPUTS[0])
                return None

            async def patient() -> object:
                return await client.read(OUTPUTS[1], timeout=2)

            for attempt in range(10):  # both orders (trio also shuffles tasks itself)
                sent.clear()
                order = (cancelled, patient) if attempt % 2 else (patient, cancelled)
                values = await flavour.gather(*order)
                value = values[order.index(patient)]
                assert isinstance(value, bool)
                assert len(sent) == 1
            assert pending_requests(client) == 0

    flavour.run(main)


def test_server_information_and_stage(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            info = await client.server_information()
            assert info.version == "2.0.7-simulator"
            assert await client.get_stage() is Stage.OPERATIONAL

    flavour.run(main)


def test_copy_has_its_own_connection(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            before = simulator.connection_count
            other = await client.copy()
            try:
                assert other is not client and isinstance(other, flavour.XentaraClient)
                assert simulator.connection_count == before + 1
                assert other.keys() == client.keys()
                assert other.timeout == client.timeout
                assert await other.read(OUTPUTS[0]) == await client.read(OUTPUTS[0])
            finally:
                await other.close()

    flavour.run(main)


# --------------------------------------------------------------------------- subscriptions


def test_subscription_initial_event_and_changes(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            key = "Hardware.Registers.Setpoint"
            await client.write(key, 1.5)
            async with client.subscribe(key, maximum_update_interval=10) as sub:
                assert isinstance(sub, flavour.Subscription)
                first = await sub.receive(timeout=5)
                assert isinstance(first, flavour.Event)
                assert tuple(first) == (first.timestamp, key, client[key].uuid, 1.5)
                assert isinstance(first.timestamp, float)
                await client.write(key, 2.5)
                second = await sub.receive(timeout=5)
                assert second.value == 2.5 and second.timestamp >= first.timestamp
            assert not sub.active

    flavour.run(main)


def test_async_iteration_ends_on_stop(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            for sub in (
                client.subscribe(FAST_SINE, maximum_update_interval=5),
                client[FAST_SINE].subscribe(maximum_update_interval=5),
            ):
                seen: list[Any] = []
                async for event in sub:  # starts by itself
                    seen.append(event)
                    if len(seen) == 5:
                        await sub.stop()
                assert len(seen) >= 5
                assert all(-1.0 <= e.value <= 1.0 for e in seen)
                assert all(e.name == FAST_SINE for e in seen)
                with pytest.raises(Exception, match="ended"):
                    await sub.receive(timeout=0.1)

    flavour.run(main)


def test_subscription_queue_drops_oldest(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with (
            flavour.XentaraClient(simulator.url) as client,
            client.subscribe(FAST_SINE, maximum_update_interval=None, max_queue=3) as sub,
        ):
            await flavour.sleep(0.3)
            assert sub.dropped > 0
            newest = [await sub.receive(timeout=1) for _ in range(3)]
            assert newest == sorted(newest, key=lambda e: e.timestamp)

    flavour.run(main)


def test_heartbeat_without_changes(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            async with client.subscribe(
                "Hardware.Registers.Label", minimum_update_interval=100
            ) as sub:
                events = [await sub.receive(timeout=2) for _ in range(4)]
            assert {e.value for e in events} == {await client.read("Hardware.Registers.Label")}

    flavour.run(main)


def test_receive_times_out(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            key = "Hardware.Registers.Label"
            async with client.subscribe(key, minimum_update_interval=None) as sub:
                await sub.receive(timeout=5)  # the initial event
                with pytest.raises(RequestTimeout, match="no event"):
                    await sub.receive(timeout=0.1)

    flavour.run(main)


# --------------------------------------------------------------------------- timeouts, ends


def test_timeout_leaves_the_client_usable(flavour: Flavour, fresh_simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(fresh_simulator.url) as client:
            with fresh_simulator.stalled():
                with pytest.raises(RequestTimeout, match="read 'Hardware") as info:
                    await client.read(OUTPUTS[0], timeout=0.2)
                assert isinstance(info.value, TimeoutError)
            assert isinstance(await client.read(OUTPUTS[0]), bool)
            assert pending_requests(client) == 0

    flavour.run(main)


def test_cancellation_propagates_and_leaves_the_client_usable(
    flavour: Flavour, fresh_simulator: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(fresh_simulator.url) as client:
            with fresh_simulator.stalled():
                assert await flavour.move_on_after(0.2, client.read, OUTPUTS[0])
            assert pending_requests(client) == 0
            assert isinstance(await client.read(OUTPUTS[0]), bool)

    flavour.run(main)


def test_close_fails_pending_calls_and_ends_subscriptions(
    flavour: Flavour, fresh_simulator: Simulator
) -> None:
    async def main() -> None:
        client = await flavour.XentaraClient(fresh_simulator.url)
        sub = client.subscribe(FAST_SINE)
        await sub.start()
        fresh_simulator.stall()

        async def pending() -> None:
            with pytest.raises(ClientClosed):
                await client.read(OUTPUTS[0])

        async def close_later() -> None:
            await flavour.sleep(0.1)
            await client.close()

        await flavour.gather(pending, close_later)
        received = [e async for e in sub]  # ends, does not hang
        assert isinstance(received, list)
        with pytest.raises(ClientClosed, match="closed"):
            await client.read(OUTPUTS[0])
        assert background_finished(client)
        fresh_simulator.unstall()

    flavour.run(main)


def test_without_reconnect_connection_loss_fails_calls_and_subscriptions(
    flavour: Flavour, fresh_simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        client = await flavour.XentaraClient(fresh_simulator.url, reconnect=False)
        sub = client.subscribe(FAST_SINE)
        await sub.start()
        fresh_simulator.stall()

        async def pending() -> None:
            with pytest.raises(ConnectionClosed, match="lost"):
                await client.read(OUTPUTS[0])

        async def disconnect_later() -> None:
            await flavour.sleep(0.1)
            fresh_simulator.disconnect_all()

        await flavour.gather(pending, disconnect_later)
        with pytest.raises(ConnectionClosed):
            async for _ in sub:
                pass
        with pytest.raises(ConnectionClosed):
            await client.read(OUTPUTS[0])
        assert "connection lost" in repr(client)
        await client.close()
        assert background_finished(client)
        fresh_simulator.unstall()

    with caplog.at_level(logging.WARNING, logger="xentara_sync"):
        flavour.run(main)
    assert any("was lost" in r.getMessage() for r in caplog.records)


def test_cancelled_close_still_tears_down(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        client = await flavour.XentaraClient(simulator.url)
        assert not socket_closed(client)
        assert await flavour.move_on_after(0, client.close)
        assert client.closed and not client.connected
        # The TCP connection and the background tasks end within a second (on trio,
        # before close() returns: see test_trio_only.py).
        for _ in range(100):
            if socket_closed(client) and background_finished(client):
                break
            await flavour.sleep(0.01)
        assert socket_closed(client)
        assert background_finished(client)
        with pytest.raises(ClientClosed):
            await client.read(OUTPUTS[0])

    flavour.run(main)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("http://127.0.0.1:8080/api/ws", "ws or wss"),
        ("127.0.0.1:8080", "scheme"),
        ("ws://:8080/api/ws", "no host"),
        ("ws://127.0.0.1:99999/api/ws", "invalid URL"),
    ],
)
def test_bad_urls(flavour: Flavour, url: str, match: str) -> None:
    with pytest.raises(InvalidURL, match=match):
        flavour.XentaraClient(url)


def test_not_connected_yet(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        client = flavour.XentaraClient(simulator.url)
        with pytest.raises(RuntimeError, match="not connected"):
            await client.read(OUTPUTS[0])

    flavour.run(main)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_refused_connection_is_clear(flavour: Flavour, host: str) -> None:
    """A port nothing listens on, by address and by a name of several addresses
    (``localhost``: ``::1`` too, or no route to it without IPv6)."""
    with Simulator() as sim:
        port = sim.port
    url = f"ws://{host}:{port}/api/ws"

    async def main() -> None:
        with pytest.raises(ConnectionFailed) as info:
            await flavour.XentaraClient(url, timeout=2)
        assert str(info.value) == (
            f"{host} refused the connection to port {port} ({url}): nothing listens "
            "there; is Xentara running, and is the port right?"
        )

    flavour.run(main)


def test_wrong_path_is_clear(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        with pytest.raises(ConnectionFailed, match="404"):
            await flavour.XentaraClient(simulator.url.replace("/api/ws", "/ws"))

    flavour.run(main)


def test_silent_host_times_out_clearly(flavour: Flavour, silent_host: str) -> None:
    async def connect() -> None:
        await flavour.XentaraClient(silent_host)

    async def main() -> None:
        with pytest.raises(ConnectionFailed, match=r"did not answer within 0\.5 s"):
            await flavour.XentaraClient(silent_host, connect_timeout=0.5)
        assert await flavour.move_on_after(0.2, connect)  # the caller's deadline bounds it too

    flavour.run(main)


def test_authentication(flavour: Flavour) -> None:
    with Simulator(users={"admin": "secret"}) as sim:
        wrong = with_credentials(sim.url, "admin", "nope")
        right = with_credentials(sim.url, "admin", "secret")

        async def main() -> None:
            with pytest.raises(AuthenticationFailed, match="requires credentials"):
                await flavour.XentaraClient(sim.url)
            with pytest.raises(AuthenticationFailed, match="user 'admin'") as info:
                await flavour.XentaraClient(wrong)
            assert "nope" not in str(info.value)
            async with flavour.XentaraClient(right) as client:
                assert client.username == "admin"
                assert "secret" not in repr(client)
                assert isinstance(await client.read(OUTPUTS[0]), bool)

        flavour.run(main)


# --------------------------------------------------------------------------- TLS


def test_self_signed_certificate_is_refused_with_a_hint(
    flavour: Flavour, tls_simulator: Simulator
) -> None:
    async def main() -> None:
        url = with_credentials(tls_simulator.url, TLS_USER, TLS_PASSWORD)
        with pytest.raises(TLSVerificationFailed) as info:
            await flavour.XentaraClient(url)
        assert "verify_ssl=False" in str(info.value)
        assert "s3cr3t" not in str(info.value)

    flavour.run(main)


def test_verify_ssl_false_and_cafile(
    flavour: Flavour, tls_simulator: Simulator, ca: trustme.CA, tmp_path: Path
) -> None:
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    url = with_credentials(tls_simulator.url, TLS_USER, TLS_PASSWORD)

    async def main() -> None:
        async with flavour.XentaraClient(url, verify_ssl=False) as client:
            await client.write(OUTPUTS[3], True)
            assert await client.read(OUTPUTS[3]) is True
        async with flavour.XentaraClient(url, cafile=str(cafile)) as client:
            assert await client.read(OUTPUTS[3]) is True

    flavour.run(main)


def test_tls_to_a_plain_server_is_clear(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        url = simulator.url.replace("ws://", "wss://")
        with pytest.raises(ConnectionFailed, match=r"TLS handshake.*ws:"):
            await flavour.XentaraClient(url, verify_ssl=False, timeout=3)

    flavour.run(main)


def test_plain_ws_to_a_tls_server_is_clear(flavour: Flavour, tls_simulator: Simulator) -> None:
    async def main() -> None:
        url = tls_simulator.url.replace("wss://", "ws://")
        with pytest.raises(ConnectionFailed, match="wss://"):
            await flavour.XentaraClient(url, timeout=3)

    flavour.run(main)


# --------------------------------------------------------------------------- real models


def test_sample_model(flavour: Flavour, sample_model: Path) -> None:
    async def main() -> None:
        with Simulator(sample_model) as sim:
            async with flavour.XentaraClient(sim.url, root_element=None) as client:
                register = "Semantic Sampler.Test Register"
                assert register in client
                await client.write(register, 12345)
                assert await client.read(register) == 12345
                signals = [k for k in client if k.startswith("Semantic Sampler.")]
                assert len(signals) > 3
                async with client.subscribe(register) as sub:
                    event = await sub.receive(timeout=5)
                    assert event.value == 12345
                    assert event.uuid == client[register].uuid
                    assert isinstance(event.uuid, uuid.UUID)

    flavour.run(main)
