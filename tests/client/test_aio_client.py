"""The asyncio client against the real simulator."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.conftest import FAST_SINE, INPUT, OUTPUTS, run
from xentara_sync import (
    ClientClosed,
    ConnectionClosed,
    ConnectionFailed,
    InvalidURL,
    OutOfRange,
    ReadOnly,
    RequestTimeout,
    TypeMismatch,
    UnknownElement,
    WriteOnly,
)
from xentara_sync.aio import Element, Event, Subscription, XentaraClient
from xentara_sync.protocol import Category, Quality, Stage, TimePoint
from xentara_sync.simulator import Simulator


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
            assert simulator.url in text
            assert "root='Hardware'" in text
            assert f"elements={len(client)}" in text
            assert "connected" in text and "2.0.7-simulator" in text
        finally:
            await client.close()
        assert "closed" in repr(client)

    run(main())


def test_create_and_async_with(simulator: Simulator) -> None:
    async def main() -> None:
        client = await XentaraClient.create(simulator.url, root_element="Hardware")
        await client.close()
        await client.close()  # idempotent
        async with XentaraClient(simulator.url) as client:
            assert client.connected
        assert client.closed

    run(main())


def test_write_then_read(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            for value in (True, False, True):
                await client.write(OUTPUTS[1], value)
                assert await client.read(OUTPUTS[1]) is value
                assert await client[OUTPUTS[1]].read() is value
            await client[OUTPUTS[1]].write(False)
            assert simulator.get_value(OUTPUTS[1]) is False

    run(main())


def test_read_attributes_and_attribute_keys(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            await client.write("Hardware.Registers.Counter", 7)
            values = await client.read_attributes("Hardware.Registers.Counter")
            assert values["value"] == 7
            assert values["quality"] is Quality.GOOD
            assert isinstance(values["changeTime"], TimePoint)
            assert isinstance(values["updateTime"], TimePoint)
            quality = await client.read("Hardware.Registers.Counter.quality")
            assert quality is Quality.GOOD
            assert await client.read("Hardware.Registers.Counter", attribute="category") is (
                Category.DATA_POINT
            )
            name = await client.read("Hardware.Registers.Counter", attribute="primary_key")
            assert name == "Hardware.Registers.Counter"

    run(main())


def test_elements_outside_the_root_are_looked_up(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            assert "Plant.Mode" not in client
            with pytest.raises(UnknownElement):
                client["Plant.Mode"]
            await client.write("Plant.Mode", 3)
            assert await client.read("Plant.Mode") == 3
            assert await client["Plant.Mode"].read() == 3  # known after the look-up

    run(main())


def test_whole_model_without_root(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url, root_element=None) as client:
            assert "Hardware" in client and "Plant.Mode" in client
            assert await client.read("Plant.Recipe") == "default"

    run(main())


def test_unknown_element_suggests(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            with pytest.raises(UnknownElement) as info:
                await client.read("Hardware.EtherCAT Bus.EL2624.Ouptut 1")
            assert isinstance(info.value, KeyError)
            assert OUTPUTS[0] in info.value.suggestions
            message = str(info.value)
            assert "Ouptut 1" in message and "did you mean" in message
            assert message.startswith("lookup")

    run(main())


def test_unknown_root_element(simulator: Simulator) -> None:
    async def main() -> None:
        with pytest.raises(UnknownElement, match="Hardwre"):
            await XentaraClient(simulator.url, root_element="Hardwre")

    run(main())


def test_bad_writes_fail_before_sending(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            await client.metadata(OUTPUTS[0])
            await client.metadata(INPUT)
            await client.metadata("Hardware.Registers.Small")
            sent = count_sends(client)
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

    run(main())


def test_server_errors_carry_code_and_element(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            with pytest.raises(WriteOnly) as info:
                await client.read("Hardware.Registers.Command")
            assert info.value.code == -32104
            assert info.value.operation == "read"
            assert info.value.element == "Hardware.Registers.Command"

    run(main())


def test_concurrent_requests_share_one_message(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            sent = count_sends(client)
            values = await asyncio.gather(*(client.read(key) for key in OUTPUTS))
            assert len(values) == 4 and all(isinstance(v, bool) for v in values)
            assert len(sent) == 1
            sent.clear()
            many = await client.read_many(OUTPUTS)
            assert list(many) == OUTPUTS
            assert len(sent) == 1

    run(main())


def test_server_information_and_stage(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            info = await client.server_information()
            assert info.version == "2.0.7-simulator"
            assert await client.get_stage() is Stage.OPERATIONAL

    run(main())


def test_copy_has_its_own_connection(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            before = simulator.connection_count
            other = await client.copy()
            try:
                assert other is not client
                assert simulator.connection_count == before + 1
                assert other.keys() == client.keys()
                assert other.timeout == client.timeout
                assert await other.read(OUTPUTS[0]) == await client.read(OUTPUTS[0])
            finally:
                await other.close()

    run(main())


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
                assert isinstance(first.timestamp, float)
                await client.write(key, 2.5)
                second = await sub.receive(timeout=5)
                assert second.value == 2.5 and second.timestamp >= first.timestamp
            assert not sub.active

    run(main())


def test_async_iteration_ends_on_stop(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            sub = client.subscribe(FAST_SINE, maximum_update_interval=5)
            seen: list[Event] = []
            async for event in sub:  # starts by itself
                seen.append(event)
                if len(seen) == 5:
                    await sub.stop()
            assert len(seen) >= 5
            assert all(-1.0 <= e.value <= 1.0 for e in seen)
            assert all(e.name == FAST_SINE for e in seen)
            with pytest.raises(Exception, match="ended"):
                await sub.receive(timeout=0.1)

    run(main())


def test_subscription_queue_drops_oldest(simulator: Simulator) -> None:
    async def main() -> None:
        async with (
            XentaraClient(simulator.url) as client,
            client.subscribe(FAST_SINE, maximum_update_interval=None, max_queue=3) as sub,
        ):
            await asyncio.sleep(0.3)
            assert sub.dropped > 0
            newest = [await sub.receive(timeout=1) for _ in range(3)]
            assert newest == sorted(newest, key=lambda e: e.timestamp)

    run(main())


def test_heartbeat_without_changes(simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            async with client.subscribe(
                "Hardware.Registers.Label", minimum_update_interval=100
            ) as sub:
                events = [await sub.receive(timeout=2) for _ in range(4)]
            assert {e.value for e in events} == {await client.read("Hardware.Registers.Label")}

    run(main())


def test_close_fails_pending_calls_and_ends_subscriptions(fresh_simulator: Simulator) -> None:
    async def main() -> None:
        client = await XentaraClient(fresh_simulator.url)
        sub = client.subscribe(FAST_SINE)
        await sub.start()
        fresh_simulator.stall()
        pending = asyncio.ensure_future(client.read(OUTPUTS[0]))
        await asyncio.sleep(0.1)
        await client.close()
        with pytest.raises(ClientClosed):
            await pending
        received = [e async for e in sub]  # ends, does not hang
        assert isinstance(received, list)
        with pytest.raises(ClientClosed, match="closed"):
            await client.read(OUTPUTS[0])
        fresh_simulator.unstall()

    run(main())


def test_timeout_leaves_the_client_usable(fresh_simulator: Simulator) -> None:
    async def main() -> None:
        async with XentaraClient(fresh_simulator.url) as client:
            with fresh_simulator.stalled():
                with pytest.raises(RequestTimeout, match="read 'Hardware") as info:
                    await client.read(OUTPUTS[0], timeout=0.2)
                assert isinstance(info.value, TimeoutError)
            assert isinstance(await client.read(OUTPUTS[0]), bool)
            assert client.session.pending == 0

    run(main())


def test_connection_loss_fails_calls_and_subscriptions(fresh_simulator: Simulator) -> None:
    async def main() -> None:
        client = await XentaraClient(fresh_simulator.url)
        sub = client.subscribe(FAST_SINE)
        await sub.start()
        fresh_simulator.stall()
        pending = asyncio.ensure_future(client.read(OUTPUTS[0]))
        await asyncio.sleep(0.1)
        fresh_simulator.disconnect_all()
        with pytest.raises(ConnectionClosed, match="lost"):
            await pending
        with pytest.raises(ConnectionClosed):
            async for _ in sub:
                pass
        with pytest.raises(ConnectionClosed):
            await client.read(OUTPUTS[0])
        assert "connection lost" in repr(client)
        await client.close()
        fresh_simulator.unstall()

    run(main())


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("http://127.0.0.1:8080/api/ws", "ws or wss"),
        ("127.0.0.1:8080", "scheme"),
        ("ws://:8080/api/ws", "no host"),
        ("ws://127.0.0.1:99999/api/ws", "invalid URL"),
    ],
)
def test_bad_urls(url: str, match: str) -> None:
    with pytest.raises(InvalidURL, match=match):
        XentaraClient(url)


def test_refused_connection_is_clear() -> None:
    async def main() -> None:
        with Simulator() as sim:
            url = sim.url
        with pytest.raises(ConnectionFailed, match=r"cannot connect to ws://127\.0\.0\.1"):
            await XentaraClient(url, timeout=2)

    run(main())


def test_wrong_path_is_clear(simulator: Simulator) -> None:
    async def main() -> None:
        url = simulator.url.replace("/api/ws", "/ws")
        with pytest.raises(ConnectionFailed, match="404"):
            await XentaraClient(url)

    run(main())


def test_not_connected_yet(simulator: Simulator) -> None:
    async def main() -> None:
        client = XentaraClient(simulator.url)
        with pytest.raises(RuntimeError, match="not connected"):
            await client.read(OUTPUTS[0])

    run(main())


def test_sample_model(sample_model: Any) -> None:
    async def main() -> None:
        with Simulator(sample_model) as sim:
            async with XentaraClient(sim.url, root_element=None) as client:
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

    run(main())


def test_silent_host_times_out_clearly() -> None:
    """A host that accepts TCP but never answers the handshake (as a stuck device)."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    async def main() -> None:
        with pytest.raises(ConnectionFailed, match=r"did not answer within 0\.5 s"):
            await XentaraClient(f"ws://127.0.0.1:{port}/api/ws", connect_timeout=0.5)

    try:
        run(main())
    finally:
        listener.close()
