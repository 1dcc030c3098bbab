"""The blocking client against the real simulator: API, threads, timeouts, callbacks."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import FAST_SINE, OUTPUTS
from xentara_sync import (
    AuthenticationFailed,
    ClientClosed,
    ConnectionClosed,
    ConnectionFailed,
    Element,
    Event,
    RequestTimeout,
    Subscription,
    SubscriptionEnded,
    TypeMismatch,
    UnknownElement,
    UsageError,
    XentaraClient,
)
from xentara_sync.protocol import Quality, Stage
from xentara_sync.simulator import Simulator
from xentara_sync.sync import loop as loop_module

REGISTERS = [f"Hardware.Registers.R{n:02d}" for n in range(16)]


def register_model() -> dict[str, Any]:
    """A model of 16 int64 registers under Hardware.Registers."""
    registers = [
        {
            "@Skill.SignalFlow.Register": {
                "name": key.rsplit(".", 1)[1],
                "UUID": str(uuid.uuid4()),
                "defaultValue": ["int64", 0],
            }
        }
        for key in REGISTERS
    ]
    group = {"@Group": {"name": "Registers", "UUID": str(uuid.uuid4()), "children": registers}}
    return {
        "children": [
            {"@Group": {"name": "Hardware", "UUID": str(uuid.uuid4()), "children": [group]}}
        ]
    }


@pytest.fixture
def client(simulator: Simulator) -> Iterator[XentaraClient]:
    with XentaraClient(simulator.url, timeout=10) as client:
        yield client


def test_connects_before_returning(client: XentaraClient, simulator: Simulator) -> None:
    assert client.connected
    assert OUTPUTS[0] in client
    assert len(client) > 20
    assert list(client) == client.keys()
    assert isinstance(client[OUTPUTS[0]], Element)
    assert [e.name for e in client.values()] == client.keys()
    assert client.server_info is not None
    assert client.server_info.version == "2.0.7-simulator"
    text = repr(client)
    assert simulator.url in text
    assert "elements=" in text
    assert "connected" in text


def test_read_write_and_elements(client: XentaraClient) -> None:
    client.write(OUTPUTS[2], True)
    assert client.read(OUTPUTS[2]) is True
    element = client[OUTPUTS[2]]
    element.write(False)
    assert element.read() is False
    assert client.read_attributes(OUTPUTS[2], ["value", "quality"]) == {
        "value": False,
        "quality": Quality.GOOD,
    }
    assert client.read_many(OUTPUTS[:2]).keys() == {OUTPUTS[0], OUTPUTS[1]}
    assert client.metadata(OUTPUTS[2]).attributes["value"].access.writable
    assert client.get_stage() is Stage.OPERATIONAL
    assert client.server_information().version == "2.0.7-simulator"
    with pytest.raises(TypeMismatch):
        client.write(OUTPUTS[2], "yes")
    with pytest.raises(UnknownElement, match="did you mean"):
        client.read("Hardware.Registers.Countr")


def test_create_copy_and_close(simulator: Simulator) -> None:
    client = XentaraClient.create(simulator.url)
    other = client.copy()
    try:
        assert other is not client
        assert other.keys() == client.keys()
        assert other.read(OUTPUTS[0]) == client.read(OUTPUTS[0])
    finally:
        other.close()
        client.close()
    client.close()  # idempotent
    assert client.closed
    assert not client.connected
    with pytest.raises(ClientClosed):
        client.read(OUTPUTS[0])
    with pytest.raises(ClientClosed):
        client.subscribe(OUTPUTS[0])


def test_timeout_cancels_and_keeps_the_client_usable(fresh_simulator: Simulator) -> None:
    with XentaraClient(fresh_simulator.url) as client:
        with fresh_simulator.stalled():
            started = time.monotonic()
            with pytest.raises(RequestTimeout) as info:
                client.read(OUTPUTS[0], timeout=0.3)
            assert time.monotonic() - started < 10  # the stalled server never answers
            assert isinstance(info.value, TimeoutError)
            assert OUTPUTS[0] in str(info.value)
        assert isinstance(client.read(OUTPUTS[0]), bool)
        assert client.session is not None and client.session.pending == 0


def test_sixteen_threads_see_exactly_their_own_values() -> None:
    rounds = 400
    errors: list[str] = []
    with Simulator(register_model()) as sim, XentaraClient(sim.url) as client:
        barrier = threading.Barrier(len(REGISTERS))

        def worker(index: int) -> None:
            key = REGISTERS[index]
            barrier.wait()
            for n in range(rounds):
                value = index * 1_000_000 + n
                client.write(key, value)
                got = client.read(key)
                if got != value:
                    errors.append(f"{key}: wrote {value}, read {got}")
                    return

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(REGISTERS))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        final = client.read_many(REGISTERS)
        assert final == {key: i * 1_000_000 + rounds - 1 for i, key in enumerate(REGISTERS)}


def test_subscription_iterates_until_stopped(client: XentaraClient) -> None:
    sub = client.subscribe(FAST_SINE, maximum_update_interval=5)
    assert isinstance(sub, Subscription)
    seen: list[Event] = []
    stopper = threading.Timer(0.5, sub.stop)
    stopper.start()
    for event in sub:
        seen.append(event)
    stopper.join()
    assert len(seen) > 5
    assert all(isinstance(e, Event) and e.name == FAST_SINE for e in seen)
    assert sub.dropped == 0
    with pytest.raises(SubscriptionEnded):
        sub.receive(timeout=0.1)


def test_subscription_context_and_receive(client: XentaraClient) -> None:
    client.write("Hardware.Registers.Counter", 5)
    with client.subscribe("Hardware.Registers.Counter") as sub:
        assert sub.active
        assert sub.receive(timeout=5).value == 5
        client.write("Hardware.Registers.Counter", 6)
        assert sub.receive(timeout=5).value == 6
        with pytest.raises(RequestTimeout):
            sub.receive(timeout=0.2)
    assert "ended" in repr(sub)
    with sub:  # restartable
        assert sub.receive(timeout=5).value == 6


def test_iteration_ends_when_the_client_closes(simulator: Simulator) -> None:
    client = XentaraClient(simulator.url)
    sub = client.subscribe(FAST_SINE)
    sub.start()
    threading.Timer(0.3, client.close).start()
    count = sum(1 for _ in sub)
    assert count > 0
    assert client.closed


def test_without_reconnect_iteration_raises_when_the_connection_is_lost(
    fresh_simulator: Simulator,
) -> None:
    client = XentaraClient(fresh_simulator.url, reconnect=False)
    try:
        with client.subscribe(FAST_SINE) as sub:
            threading.Timer(0.3, fresh_simulator.disconnect_all).start()
            with pytest.raises(ConnectionClosed, match="lost"):
                for _ in sub:
                    pass
        with pytest.raises(ConnectionClosed):
            client.read(OUTPUTS[0])
    finally:
        client.close()


def test_callbacks_run_in_order_on_one_dispatcher_thread(client: XentaraClient) -> None:
    key = "Hardware.Registers.Counter"
    client.write(key, 0)
    seen: list[tuple[int, str]] = []
    threads: set[str] = set()
    done = threading.Event()

    def callback(event: Event) -> None:
        threads.add(threading.current_thread().name)
        # A callback may use the blocking API of its own client.
        seen.append((event.value, str(client.read(key))))
        if event.value == 5:
            done.set()

    def failing(event: Event) -> None:
        raise RuntimeError("boom")

    sub = client.subscribe(key, maximum_update_interval=None, callback=callback)
    sub.add_callback(failing)
    with sub:
        for n in range(1, 6):
            client.write(key, n)
            time.sleep(0.02)
        assert done.wait(5)
    values = [v for v, _ in seen]
    assert values == sorted(values)
    assert values[-1] == 5
    assert threads == {"xentara-sync-callbacks"}
    assert sub.callback_errors == len(seen)
    sub.remove_callback(failing)
    with pytest.raises(ValueError, match="not in list"):
        sub.remove_callback(failing)


def test_callback_errors_are_logged(client: XentaraClient, caplog: Any) -> None:
    got = threading.Event()

    def failing(event: Event) -> None:
        got.set()
        raise RuntimeError("callback failed on purpose")

    with (
        caplog.at_level(logging.ERROR, logger="xentara_sync"),
        client.subscribe("Hardware.Registers.Label", callback=failing),
    ):
        assert got.wait(5)
        time.sleep(0.1)
    assert "callback failed on purpose" in caplog.text


def test_calling_from_the_loop_thread_raises_at_once(client: XentaraClient) -> None:
    result: list[BaseException] = []
    done = threading.Event()

    def on_loop() -> None:
        try:
            client.read(OUTPUTS[0])
        except BaseException as exc:
            result.append(exc)
        done.set()

    client._thread.call_soon(on_loop)
    assert done.wait(5)
    assert isinstance(result[0], UsageError)
    assert "deadlock" in str(result[0])
    assert isinstance(client.read(OUTPUTS[0]), bool)


def test_works_from_a_thread_running_its_own_loop(client: XentaraClient) -> None:
    async def notebook_cell() -> Any:
        return client.read(OUTPUTS[0])  # a Jupyter cell: blocking call inside a loop

    assert isinstance(asyncio.run(notebook_cell()), bool)


def test_dead_loop_thread_is_reported_with_its_cause(simulator: Simulator) -> None:
    client = XentaraClient(simulator.url)

    def die() -> None:
        raise SystemExit("the loop died")

    client._thread.call_soon(die)
    client._thread.thread.join(5)
    with pytest.raises(UsageError, match="gone") as info:
        client.read(OUTPUTS[0])
    assert isinstance(info.value.__cause__, SystemExit)
    client.close()
    with XentaraClient(simulator.url) as fresh:  # a new loop thread starts
        assert isinstance(fresh.read(OUTPUTS[0]), bool)


def test_loop_thread_is_shared_and_stops_with_the_last_client(simulator: Simulator) -> None:
    first = XentaraClient(simulator.url)
    second = XentaraClient(simulator.url)
    assert first._thread is second._thread
    thread = first._thread.thread
    first.close()
    assert thread.is_alive()
    second.close()
    thread.join(5)
    assert not thread.is_alive()
    assert loop_module._current is None


def test_credentials_never_shown(simulator: Simulator, caplog: Any) -> None:
    secret = "pa55-w0rd-xyz"
    with Simulator(users={"admin": secret}) as sim:
        url = sim.url.replace("ws://", f"ws://admin:{secret}@")
        with caplog.at_level(logging.DEBUG):
            with XentaraClient(url) as client:
                assert client.read(OUTPUTS[0]) in (True, False)
                texts = [repr(client), str(client), client.url, repr(client._async._endpoint)]
                sub = client.subscribe(OUTPUTS[0])
                texts.append(repr(sub))
            bad = sim.url.replace("ws://", "ws://admin:wrong-secret@")
            with pytest.raises(AuthenticationFailed) as info:
                XentaraClient(bad)
            texts.append(str(info.value))
            with pytest.raises(AuthenticationFailed, match="requires credentials"):
                XentaraClient(sim.url)
    assert "admin" in texts[0]
    for text in texts:
        assert secret not in text
        assert "wrong-secret" not in text
    assert secret not in caplog.text


def test_event_and_element_classes_are_shared() -> None:
    from xentara_sync import aio

    assert aio.Event is Event
    assert aio.Element is Element


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda c: c.write(OUTPUTS[1], True, timeout=0.3), f"write {OUTPUTS[1]!r}"),
        (lambda c: c.read(OUTPUTS[1], timeout=0.3), f"read {OUTPUTS[1]!r}"),
        (lambda c: c.metadata(OUTPUTS[2] + ".quality", timeout=0.3), "meta_data"),
        (lambda c: c.read_attributes(OUTPUTS[3], timeout=0.3), f"read {OUTPUTS[3]!r}"),
        (lambda c: c.get_stage(timeout=0.3), "get_stage"),
    ],
    ids=["write", "read", "metadata", "read_attributes", "get_stage"],
)
def test_a_busy_loop_thread_does_not_stretch_a_timeout(
    simulator: Simulator, call: Any, named: str
) -> None:
    with XentaraClient(simulator.url) as client:
        client.write(OUTPUTS[1], False)  # metadata known: the write takes the plan path
        busy, released = threading.Event(), threading.Event()

        def hold_the_loop() -> None:
            busy.set()
            released.wait(30)

        # The loop thread is held until the call has raised: a timeout stretched by
        # the busy loop would take the whole 30 s.
        client._thread.call_soon(hold_the_loop)
        assert busy.wait(5)
        started = time.monotonic()
        try:
            with pytest.raises(RequestTimeout) as info:
                call(client)
            elapsed = time.monotonic() - started
        finally:
            released.set()
        assert 0.3 <= elapsed < 10, elapsed
        assert named in str(info.value) and "within 0.3 s" in str(info.value)
        assert client.read(OUTPUTS[1]) is False  # still usable


def test_a_refused_connection_says_nothing_listens() -> None:
    with Simulator() as sim:
        port = sim.port
    url = f"ws://user:pw-123@localhost:{port}/api/ws"
    with pytest.raises(ConnectionFailed) as info:
        XentaraClient(url, timeout=2)
    assert str(info.value) == (
        f"localhost refused the connection to port {port} "
        f"(ws://localhost:{port}/api/ws): nothing listens there; is Xentara "
        "running, and is the port right?"
    )
