"""The trio client against the real simulator."""

from __future__ import annotations

import logging
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import trio
import trustme

from tests.conftest import FAST_SINE, INPUT, OUTPUTS
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
from xentara_sync.protocol import Category, Quality, Stage, TimePoint
from xentara_sync.simulator import Simulator
from xentara_sync.trio import Element, Event, Subscription, XentaraClient
from xentara_sync.trio.backend import TrioBackend


def run(main: Callable[[], Awaitable[None]], timeout: float = 10.0) -> None:
    """Run *main* in a fresh ``trio.run``, bounded in time."""

    async def bounded() -> None:
        with trio.fail_after(timeout):
            await main()

    trio.run(bounded)


def count_sends(client: XentaraClient) -> list[bytes]:
    """Record every message the client sends from now on."""
    sent: list[bytes] = []
    inner: Any = client._transport

    class Recording:
        async def send(self, data: bytes) -> None:
            sent.append(data)
            await inner.send(data)

        async def recv(self) -> bytes:
            return await inner.recv()  # type: ignore[no-any-return]

        async def close(self) -> None:
            await inner.close()

    client._transport = Recording()
    return sent


def background_finished(client: XentaraClient) -> bool:
    """Whether every background task of the client's connection has ended."""
    backend = client._backend
    assert isinstance(backend, TrioBackend)
    host = backend._host
    assert host is not None
    return host._finished.is_set()


# --------------------------------------------------------------------------- connecting


def test_await_connects_and_browses(simulator: Simulator) -> None:
    async def main() -> None:
        client = await XentaraClient(simulator.url, root_element="Hardware", verify_ssl=True)
        try:
            assert client.connected
            assert OUTPUTS[0] in client
            assert len(client) == len(client.keys()) > 20
            assert all(key.startswith("Hardware.") for key in client)
            assert client.keys()[0] == "Hardware.EtherCAT Bus"  # model order
            element = client[OUTPUTS[0]]
            assert isinstance(element, Element)
            assert element.category == Category.DATA_POINT
            assert [e.name for e in client.values()] == client.keys()
            assert dict(client.items())[OUTPUTS[1]] == client[OUTPUTS[1]]
            text = str(client)
            assert simulator.url in text and "root='Hardware'" in text
            assert "connected" in text and "2.0.7-simulator" in text
        finally:
            await client.close()
        assert "closed" in repr(client)
        assert background_finished(client)

    run(main)


def test_create_and_async_with(simulator: Simulator) -> None:
    async def main() -> None:
        client = await XentaraClient.create(simulator.url, root_element="Hardware")
        await client.close()
        await client.close()  # idempotent
        async with XentaraClient(simulator.url) as client:
            assert client.connected
        assert client.closed
        assert background_finished(client)

    run(main)


def test_forgotten_close_ends_cleanly(
    simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The background tasks are cancelled when the main task returns, quietly."""
    clients: list[XentaraClient] = []

    async def main() -> None:
        client = await XentaraClient(simulator.url)
        clients.append(client)
        assert isinstance(await client.read(OUTPUTS[0]), bool)

    with caplog.at_level(logging.WARNING, logger="xentara_sync"):
        run(main)
    assert caplog.records == []
    assert not clients[0].connected


# --------------------------------------------------------------------------- reading, writing


def test_write_then_read(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            for value in (True, False, True):
                await client.write(OUTPUTS[1], value)
                assert await client.read(OUTPUTS[1]) is value
                assert await client[OUTPUTS[1]].read() is value
            await client[OUTPUTS[1]].write(False)
            assert simulator.get_value(OUTPUTS[1]) is False

    run(main)


def test_read_attributes_and_attribute_keys(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            await client.write("Hardware.Registers.Counter", 7)
            values = await client["Hardware.Registers.Counter"].read_attributes()
            assert values["value"] == 7
            assert values["quality"] is Quality.GOOD
            assert isinstance(values["changeTime"], TimePoint)
            assert await client.read("Hardware.Registers.Counter.quality") is Quality.GOOD
            assert await client.read("Hardware.Registers.Counter", attribute="category") is (
                Category.DATA_POINT
            )
            metadata = await client.metadata("Hardware.Registers.Counter")
            assert "value" in metadata.attributes

    run(main)


def test_elements_outside_the_root_are_looked_up(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            assert "Plant.Mode" not in client
            with pytest.raises(UnknownElement):
                client["Plant.Mode"]
            await client.write("Plant.Mode", 3)
            assert await client.read("Plant.Mode") == 3
            assert await client["Plant.Mode"].read() == 3  # known after the look-up

    run(main)


def test_unknown_element_suggests(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            with pytest.raises(UnknownElement) as info:
                await client.read("Hardware.EtherCAT Bus.EL2624.Ouptut 1")
            assert isinstance(info.value, KeyError)
            assert OUTPUTS[0] in info.value.suggestions
            assert "did you mean" in str(info.value)

    run(main)


def test_unknown_root_element(simulator: Simulator) -> None:
    async def main() -> None:
        with pytest.raises(UnknownElement, match="Hardwre"):
            await XentaraClient(simulator.url, root_element="Hardwre")

    run(main)


def test_bad_writes_fail_before_sending(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            await client.metadata(OUTPUTS[0])
            await client.metadata(INPUT)
            await client.metadata("Hardware.Registers.Small")
            sent = count_sends(client)
            with pytest.raises(TypeMismatch, match="expected True or False") as mismatch:
                await client.write(OUTPUTS[0], "on")
            assert mismatch.value.element == OUTPUTS[0]
            with pytest.raises(OutOfRange, match="int8"):
                await client.write("Hardware.Registers.Small", 300)
            with pytest.raises(ReadOnly, match="Input 1"):
                await client.write(INPUT, True)
            assert sent == []

    run(main)


def test_server_errors_carry_code_and_element(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            with pytest.raises(WriteOnly) as info:
                await client.read("Hardware.Registers.Command")
            assert info.value.code == -32104
            assert info.value.element == "Hardware.Registers.Command"

    run(main)


def test_concurrent_requests_share_one_message(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            sent = count_sends(client)
            values: dict[str, Any] = {}

            async def read(key: str) -> None:
                values[key] = await client.read(key)

            async with trio.open_nursery() as nursery:
                for key in OUTPUTS:
                    nursery.start_soon(read, key)
            assert sorted(values) == sorted(OUTPUTS)
            assert all(isinstance(v, bool) for v in values.values())
            assert len(sent) == 1
            sent.clear()
            many = await client.read_many(OUTPUTS)
            assert list(many) == OUTPUTS
            assert len(sent) == 1

    run(main)


def test_server_information_stage_and_copy(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            info = await client.server_information()
            assert info.version == "2.0.7-simulator"
            assert await client.get_stage() is Stage.OPERATIONAL
            before = simulator.connection_count
            other = await client.copy()
            try:
                assert other is not client and isinstance(other, XentaraClient)
                assert simulator.connection_count == before + 1
                assert other.keys() == client.keys()
                assert await other.read(OUTPUTS[0]) == await client.read(OUTPUTS[0])
            finally:
                await other.close()

    run(main)


# --------------------------------------------------------------------------- subscriptions


def test_subscription_initial_event_and_changes(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            key = "Hardware.Registers.Setpoint"
            await client.write(key, 1.5)
            async with client.subscribe(key, maximum_update_interval=10) as sub:
                assert isinstance(sub, Subscription)
                first = await sub.receive(timeout=5)
                assert isinstance(first, Event)
                assert tuple(first) == (first.timestamp, key, client[key].uuid, 1.5)
                await client.write(key, 2.5)
                second = await sub.receive(timeout=5)
                assert second.value == 2.5 and second.timestamp >= first.timestamp
            assert not sub.active

    run(main)


def test_async_iteration_ends_on_stop(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            sub = client[FAST_SINE].subscribe(maximum_update_interval=5)
            seen: list[Event] = []
            async for event in sub:  # starts by itself
                seen.append(event)
                if len(seen) == 5:
                    await sub.stop()
            assert len(seen) >= 5
            assert all(-1.0 <= e.value <= 1.0 and e.name == FAST_SINE for e in seen)
            with pytest.raises(Exception, match="ended"):
                await sub.receive(timeout=0.1)

    run(main)


def test_subscription_queue_drops_oldest(simulator: Simulator) -> None:
    async def main() -> None:
        async with (
            XentaraClient(simulator.url) as client,
            client.subscribe(FAST_SINE, maximum_update_interval=None, max_queue=3) as sub,
        ):
            await trio.sleep(0.3)
            assert sub.dropped > 0
            newest = [await sub.receive(timeout=1) for _ in range(3)]
            assert newest == sorted(newest, key=lambda e: e.timestamp)

    run(main)


def test_receive_times_out(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            key = "Hardware.Registers.Label"
            async with client.subscribe(key, minimum_update_interval=None) as sub:
                await sub.receive(timeout=5)  # the initial event
                with pytest.raises(RequestTimeout, match="no event"):
                    await sub.receive(timeout=0.1)

    run(main)


# --------------------------------------------------------------------------- timeouts, ends


def test_timeout_leaves_the_client_usable(fresh_simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(fresh_simulator.url) as client:
            with fresh_simulator.stalled():
                with pytest.raises(RequestTimeout, match="read 'Hardware") as info:
                    await client.read(OUTPUTS[0], timeout=0.2)
                assert isinstance(info.value, TimeoutError)
            assert isinstance(await client.read(OUTPUTS[0]), bool)
            assert client.session.pending == 0

    run(main)


def test_cancellation_propagates_and_leaves_the_client_usable(
    fresh_simulator: Simulator,
) -> None:
    async def main() -> None:
        async with XentaraClient(fresh_simulator.url) as client:
            with fresh_simulator.stalled():
                with trio.move_on_after(0.2) as scope:
                    await client.read(OUTPUTS[0])
                assert scope.cancelled_caught
            assert client.session.pending == 0
            assert isinstance(await client.read(OUTPUTS[0]), bool)

    run(main)


def test_close_fails_pending_calls_and_ends_subscriptions(fresh_simulator: Simulator) -> None:
    async def main() -> None:
        client = await XentaraClient(fresh_simulator.url)
        sub = client.subscribe(FAST_SINE)
        await sub.start()
        fresh_simulator.stall()
        errors: list[BaseException] = []

        async def pending() -> None:
            try:
                await client.read(OUTPUTS[0])
            except ClientClosed as exc:
                errors.append(exc)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(pending)
            await trio.sleep(0.1)
            await client.close()
        assert len(errors) == 1
        received = [e async for e in sub]  # ends, does not hang
        assert isinstance(received, list)
        with pytest.raises(ClientClosed, match="closed"):
            await client.read(OUTPUTS[0])
        assert background_finished(client)
        fresh_simulator.unstall()

    run(main)


def test_connection_loss_fails_calls_and_subscriptions(
    fresh_simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        client = await XentaraClient(fresh_simulator.url)
        sub = client.subscribe(FAST_SINE)
        await sub.start()
        fresh_simulator.stall()
        errors: list[BaseException] = []

        async def pending() -> None:
            try:
                await client.read(OUTPUTS[0])
            except ConnectionClosed as exc:
                errors.append(exc)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(pending)
            await trio.sleep(0.1)
            fresh_simulator.disconnect_all()
        assert len(errors) == 1 and "lost" in str(errors[0])
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
        run(main)
    assert any("was lost" in r.getMessage() for r in caplog.records)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("http://127.0.0.1:8080/api/ws", "ws or wss"),
        ("ws://:8080/api/ws", "no host"),
    ],
)
def test_bad_urls(url: str, match: str) -> None:
    with pytest.raises(InvalidURL, match=match):
        XentaraClient(url)


def test_not_connected_yet(simulator: Simulator) -> None:
    async def main() -> None:
        client = XentaraClient(simulator.url)
        with pytest.raises(RuntimeError, match="not connected"):
            await client.read(OUTPUTS[0])

    run(main)


def test_refused_connection_is_clear() -> None:
    with Simulator() as sim:
        url = sim.url

    async def main() -> None:
        with pytest.raises(ConnectionFailed, match=r"cannot connect to ws://127\.0\.0\.1"):
            await XentaraClient(url, timeout=2)

    run(main)


def test_wrong_path_is_clear(simulator: Simulator) -> None:
    async def main() -> None:
        with pytest.raises(ConnectionFailed, match="404"):
            await XentaraClient(simulator.url.replace("/api/ws", "/ws"))

    run(main)


def test_silent_host_times_out_clearly() -> None:
    """A host that accepts TCP but never answers the handshake (as a stuck device)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    async def main() -> None:
        with pytest.raises(ConnectionFailed, match=r"did not answer within 0\.5 s"):
            await XentaraClient(f"ws://127.0.0.1:{port}/api/ws", connect_timeout=0.5)
        with trio.move_on_after(0.2) as scope:  # the caller's own deadline bounds it too
            await XentaraClient(f"ws://127.0.0.1:{port}/api/ws")
        assert scope.cancelled_caught

    try:
        run(main)
    finally:
        listener.close()


def test_authentication(fresh_simulator: Simulator) -> None:
    with Simulator(users={"admin": "secret"}) as sim:
        wrong = sim.url.replace("://", "://admin:nope@", 1)
        right = sim.url.replace("://", "://admin:secret@", 1)

        async def main() -> None:
            with pytest.raises(AuthenticationFailed, match="requires credentials"):
                await XentaraClient(sim.url)
            with pytest.raises(AuthenticationFailed, match="user 'admin'") as info:
                await XentaraClient(wrong)
            assert "nope" not in str(info.value)
            async with XentaraClient(right) as client:
                assert client.username == "admin"
                assert "secret" not in repr(client)
                assert isinstance(await client.read(OUTPUTS[0]), bool)

        run(main)


# --------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_simulator(ca: trustme.CA) -> Iterator[Simulator]:
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    with Simulator(ssl=server, users={"operator": "s3cr3t:pw@x"}) as sim:
        yield sim


def tls_url(sim: Simulator) -> str:
    return sim.url.replace("://", f"://operator:{quote('s3cr3t:pw@x', safe='')}@", 1)


def test_self_signed_certificate_is_refused_with_a_hint(tls_simulator: Simulator) -> None:
    async def main() -> None:
        with pytest.raises(TLSVerificationFailed) as info:
            await XentaraClient(tls_url(tls_simulator))
        assert "verify_ssl=False" in str(info.value)
        assert "s3cr3t" not in str(info.value)

    run(main)


def test_verify_ssl_false_and_cafile(
    tls_simulator: Simulator, ca: trustme.CA, tmp_path: Path
) -> None:
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))

    async def main() -> None:
        async with XentaraClient(tls_url(tls_simulator), verify_ssl=False) as client:
            await client.write(OUTPUTS[3], True)
            assert await client.read(OUTPUTS[3]) is True
        async with XentaraClient(tls_url(tls_simulator), cafile=str(cafile)) as client:
            assert await client.read(OUTPUTS[3]) is True

    run(main)


def test_tls_to_a_plain_server_is_clear(simulator: Simulator) -> None:
    async def main() -> None:
        url = simulator.url.replace("ws://", "wss://")
        with pytest.raises(ConnectionFailed, match=r"TLS handshake.*ws:"):
            await XentaraClient(url, verify_ssl=False, timeout=3)

    run(main)


def test_plain_ws_to_a_tls_server_is_clear(tls_simulator: Simulator) -> None:
    async def main() -> None:
        url = tls_simulator.url.replace("wss://", "ws://")
        with pytest.raises(ConnectionFailed, match="wss://"):
            await XentaraClient(url, timeout=3)

    run(main)


def test_sample_model(sample_model: Any) -> None:
    async def main() -> None:
        with Simulator(sample_model) as sim:
            async with XentaraClient(sim.url, root_element=None) as client:
                register = "Semantic Sampler.Test Register"
                await client.write(register, 12345)
                async with client.subscribe(register) as sub:
                    event = await sub.receive(timeout=5)
                    assert event.value == 12345
                    assert isinstance(event.uuid, uuid.UUID)

    run(main)


def test_only_the_trio_module_imports_trio() -> None:
    code = (
        "import sys, xentara_sync, xentara_sync.aio; assert 'trio' not in sys.modules; "
        "import xentara_sync.trio; assert 'trio' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_cancelled_close_still_tears_down(simulator: Simulator) -> None:
    async def main() -> None:
        client = await XentaraClient(simulator.url)
        with trio.CancelScope() as scope:
            scope.cancel()
            await client.close()
        assert client.closed and not client.connected
        ws: Any = client._transport._ws  # type: ignore[union-attr]
        assert ws.stream.socket.fileno() == -1  # the TCP connection is gone
        with trio.fail_after(1):
            while not background_finished(client):
                await trio.sleep(0.01)
        with pytest.raises(ClientClosed):
            await client.read(OUTPUTS[0])

    run(main)


def test_a_cancelled_request_does_not_hold_back_its_batch(simulator: Simulator) -> None:
    """Whichever task opened the batch, the others' requests still leave."""

    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            sent = count_sends(client)
            values: list[Any] = []
            for _ in range(10):  # trio runs a batch of tasks in either order
                sent.clear()
                values.clear()

                async def cancelled() -> None:
                    with trio.CancelScope() as scope:
                        scope.cancel()
                        await client.read(OUTPUTS[0])

                async def patient() -> None:
                    values.append(await client.read(OUTPUTS[1], timeout=2))

                async with trio.open_nursery() as nursery:
                    nursery.start_soon(cancelled)
                    nursery.start_soon(patient)
                assert len(values) == 1 and isinstance(values[0], bool)
                assert len(sent) == 1
            assert client.session.pending == 0

    run(main)
