"""Subscriptions: the initial event, change events, throttle, heartbeat, coalescing."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from xentara_sync.protocol import (
    Attribute,
    AttributeFault,
    DataChange,
    Opcode,
    Request,
    Success,
    TimePoint,
    decode_message,
    encode_message,
)
from xentara_sync.simulator import Simulator, demo_model_path, load_model
from xentara_sync.simulator.engine import Engine, Session, Subscription
from xentara_sync.simulator.model import Watch

from .conftest import run, with_client
from .rawclient import RawClient, find

COUNTER = "Hardware.Registers.Counter"
INPUT = "Hardware.EtherCAT Bus.EL1004.Input 1"
FAST = [f"Hardware.Fast Signals.{n}" for n in ("Sine", "Saw-Tooth", "Noise", "Pulse")]
SLOW = [
    f"Hardware.Signals.{n}"
    for n in ("Pulse", "Sine", "Triangle", "Saw-Tooth", "Falling Saw-Tooth", "Noise")
]


async def subscribe(
    client: RawClient, items: Sequence[tuple[uuid.UUID, Sequence[object]]], **rates: object
) -> uuid.UUID:
    params: dict[int, object] = {0: [{0: e, 1: keys} for e, keys in items]}
    for name, key in (("throttle", 1), ("heartbeat", 2), ("desired", 3)):
        if name in rates:
            params[key] = rates[name]
    result = await client.call(Opcode.SUBSCRIBE, params)
    assert isinstance(result, uuid.UUID)
    return result


def test_initial_event_follows_the_response(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        group = await client.lookup("Hardware")
        desired = uuid.uuid4()
        params = {0: [{0: counter, 1: [11, 9, 7]}, {0: group, 1: [0, 1]}], 3: desired}
        await client.send(encode_message([Request(50, Opcode.SUBSCRIBE, params)]))
        first = await client.receive()
        assert first == [Success(50, desired)]  # the response comes first, alone
        second = await client.receive()
        assert all(isinstance(p, DataChange) for p in second)
        by_element = {p.element: p for p in second if isinstance(p, DataChange)}
        assert set(by_element) == {counter, group}
        event = by_element[counter]
        assert event.attributes[11] == 0 and event.attributes[9] == 0
        assert isinstance(event.timestamp, TimePoint)
        assert event.timestamp == event.attributes[7]  # key 0 is the change time
        assert by_element[group].attributes == {0: "Hardware", 1: "Hardware"}

    with_client(sim, scenario)


def test_mixed_attribute_lists_send_what_each_element_has(sim: Simulator) -> None:
    # The official UI subscribes one attribute list for elements of several kinds.
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        group = await client.lookup("Hardware")
        entry = await client.lookup(INPUT)
        value, quality, name, source_time = 11, 9, 1, 5
        keys = [value, quality, name, source_time, Attribute.VALUE.uuid]
        await subscribe(client, [(counter, keys), (group, keys), (entry, keys)])
        initial = {e.element: e.attributes for e in await client.wait_events(3)}
        assert set(initial[counter]) == {value, quality, name, Attribute.VALUE.uuid}
        assert set(initial[group]) == {name}
        assert set(initial[entry]) == {value, quality, name, source_time, Attribute.VALUE.uuid}
        assert 5 not in initial[counter]  # a register has no source time
        await client.call(Opcode.WRITE, {0: counter, 1: 11, 2: 4})
        events = await client.wait_events(4)
        assert events[-1].element == counter and events[-1].attributes[value] == 4
        # only when no element has any requested attribute does the request fail
        assert await client.error(Opcode.SUBSCRIBE, {0: [{0: group, 1: [11, 5]}]}) == -32101

    with_client(sim, scenario)


def test_change_events_for_writes_and_set_value(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        entry = await client.lookup(INPUT)
        await subscribe(client, [(counter, [11, 7]), (entry, [11, Attribute.QUALITY.uuid])])
        await client.wait_events(2)  # the initial event (two packets)
        client.events.clear()
        await client.call(Opcode.WRITE, {0: counter, 1: 11, 2: 7})
        events = await client.wait_events(1)
        (change,) = find(events, counter)
        assert change.attributes[11] == 7
        assert change.timestamp == change.attributes[7]
        client.events.clear()
        await asyncio.get_running_loop().run_in_executor(None, sim.set_value, INPUT, True)
        events = await client.wait_events(1)
        assert find(events, entry)[0].attributes == {11: True}  # quality did not change

    with_client(sim, scenario)


def test_no_event_without_change(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        await subscribe(client, [(counter, [11])])
        await client.wait_events(1)
        client.events.clear()
        await client.call(Opcode.WRITE, {0: counter, 1: 11, 2: 0})  # same value
        await asyncio.sleep(0.1)
        assert await client.call(Opcode.GET_STAGE) == 2
        assert client.events == []

    with_client(sim, scenario)


def test_one_message_per_tick_for_all_signals(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        items = [(await client.lookup(key), [11]) for key in SLOW]
        await subscribe(client, items)
        await client.wait_events(len(SLOW))  # initial event
        start_messages, start_events = client.event_messages, len(client.events)
        deadline = time.monotonic() + 0.45
        while time.monotonic() < deadline:
            await client.receive(2)
        ticks = client.event_messages - start_messages
        events = len(client.events) - start_events
        # 100 ms timer: about 4 ticks; sine, triangle and noise change at every tick
        assert 2 <= ticks <= 6, ticks
        assert events >= 3 * ticks

    with_client(sim, scenario)


def test_fast_timer_events(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        items = [(await client.lookup(key), [11, 6]) for key in FAST]
        await subscribe(client, items)
        await client.wait_events(4)
        start = time.monotonic()
        messages = client.event_messages
        while time.monotonic() - start < 0.5:
            await client.receive(2)
        rate = (client.event_messages - messages) / (time.monotonic() - start)
        assert rate > 100, rate  # a 1 ms timer: hundreds of ticks per second
        for event in client.events[-20:]:
            assert 11 in event.attributes or 6 in event.attributes

    with_client(sim, scenario)


def test_throttle_limits_the_event_rate(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        sine = await client.lookup(FAST[0])
        await subscribe(client, [(sine, [11])], throttle=100)
        await client.wait_events(1)
        start = time.monotonic()
        while time.monotonic() - start < 0.55:
            await client.receive(2)
        # the initial event plus about one per 100 ms
        assert 4 <= len(client.events) <= 8, len(client.events)
        assert client.events[-1].attributes[11] != client.events[-2].attributes[11]

    with_client(sim, scenario)


def test_throttle_sends_the_newest_value(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        await subscribe(client, [(counter, [11])], throttle=200)
        await client.wait_events(1)
        started = time.monotonic()
        for n in range(1, 21):
            await client.call(Opcode.WRITE, {0: counter, 1: 11, 2: n})
        while client.events[-1].attributes != {11: 20}:  # the newest comes
            await client.receive(5)
        elapsed = time.monotonic() - started
        values = [event.attributes[11] for event in client.events[1:]]
        assert values == sorted(set(values)), values
        # at most one event a 200 ms (the writes took longer than that on a busy machine)
        assert len(values) <= elapsed / 0.2 + 1, (values, elapsed)

    with_client(sim, scenario)


def test_heartbeat_resends_without_changes(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        await subscribe(client, [(counter, [11, 9])], heartbeat=50)
        start = time.monotonic()
        await client.wait_events(5, timeout=3)
        elapsed = time.monotonic() - start
        assert elapsed >= 0.15
        for event in client.events[:5]:
            assert event.attributes == {11: 0, 9: 0}

    with_client(sim, scenario)


def test_desired_id_is_honoured_and_replaced(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        entry = await client.lookup(INPUT)
        desired = uuid.uuid4()
        assert await subscribe(client, [(counter, [11])], desired=desired) == desired
        await client.wait_events(1)
        assert await subscribe(client, [(entry, [11])], desired=desired) == desired
        await client.wait_events(2)
        client.events.clear()
        await client.call(Opcode.WRITE, {0: counter, 1: 11, 2: 3})
        await asyncio.get_running_loop().run_in_executor(None, sim.set_value, INPUT, True)
        events = await client.wait_events(1)
        await asyncio.sleep(0.05)
        assert await client.call(Opcode.GET_STAGE) == 2
        assert [e.element for e in client.events] == [entry]
        assert events[0].attributes == {11: True}
        assert await client.call(Opcode.UNSUBSCRIBE, {0: desired}) is None
        assert await client.error(Opcode.UNSUBSCRIBE, {0: desired}) == -32110

    with_client(sim, scenario)


def test_unsubscribe_stops_events(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        sine = await client.lookup(FAST[0])
        subscription = await subscribe(client, [(sine, [11])])
        await client.wait_events(3)
        answer = await client.request(Opcode.UNSUBSCRIBE, {0: subscription})
        assert answer == Success(answer.message_id)  # type: ignore[union-attr]
        await asyncio.sleep(0.05)
        count = len(client.events)
        await asyncio.sleep(0.1)
        assert await client.call(Opcode.GET_STAGE) == 2
        assert len(client.events) == count
        assert not sim.model.by_key[FAST[0]].point.watches  # type: ignore[union-attr]

    with_client(sim, scenario)


def test_several_subscriptions_share_one_packet_per_element(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        await subscribe(client, [(counter, [11])])
        await subscribe(client, [(counter, [Attribute.CHANGE_TIME.uuid])])
        await client.wait_events(2)
        client.events.clear()
        await client.call(Opcode.WRITE, {0: counter, 1: 11, 2: 9})
        events = await client.wait_events(1)
        await asyncio.sleep(0.05)
        assert await client.call(Opcode.GET_STAGE) == 2
        assert len(client.events) == 1
        assert set(events[0].attributes) == {11, Attribute.CHANGE_TIME.uuid}
        assert events[0].attributes[11] == 9

    with_client(sim, scenario)


def test_subscribe_by_attribute_uuid_and_write_only(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        command = await client.lookup("Hardware.Registers.Command")
        await subscribe(client, [(command, [Attribute.VALUE.uuid, 9])])
        (event,) = await client.wait_events(1)
        fault = event.attributes[Attribute.VALUE.uuid]
        assert isinstance(fault, AttributeFault) and fault.code == -32104
        assert event.attributes[9] == 0

    with_client(sim, scenario)


def test_subscribe_errors(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        unknown = uuid.uuid4()
        assert await client.error(Opcode.SUBSCRIBE, {0: [{0: unknown, 1: [11]}]}) == -32100
        assert await client.error(Opcode.SUBSCRIBE, {0: [{0: counter, 1: [5]}]}) == -32101
        params: dict[int, Any]
        for params in (
            {},
            {0: []},
            {0: [{0: counter}]},
            {0: [{0: counter, 1: []}]},
            {0: [{0: counter, 1: ["value"]}]},
            {0: [[counter, [11]]]},
            {0: [{0: counter, 1: [11]}], 1: -5},
            {0: [{0: counter, 1: [11]}], 2: "x"},
            {0: [{0: counter, 1: [11]}], 3: "id"},
        ):
            assert await client.error(Opcode.SUBSCRIBE, params) == -32602, params
        assert await client.error(Opcode.UNSUBSCRIBE, {0: unknown}) == -32110
        assert await client.error(Opcode.UNSUBSCRIBE, {}) == -32602
        await asyncio.sleep(0.05)
        assert await client.call(Opcode.GET_STAGE) == 2
        assert client.events == []  # failed subscriptions send nothing

    with_client(sim, scenario)


def test_events_never_mix_with_responses(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        items = [(await client.lookup(key), [11, 6, 7]) for key in FAST]
        await subscribe(client, items)
        counter = sim.model.by_key[COUNTER].uuid
        for n in range(100):  # every receive() checks that no message mixes kinds
            answers = await client.batch(
                [(Opcode.WRITE, {0: counter, 1: 11, 2: n}), (Opcode.READ, {0: counter, 1: [11]})]
            )
            assert isinstance(answers[0], Success) and isinstance(answers[1], Success)
        assert client.event_messages > 0

    with_client(sim, scenario)


def test_suspend_stops_signal_events(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        sine = await client.lookup(FAST[0])
        await subscribe(client, [(sine, [11])])
        await client.wait_events(2)
        await client.call(Opcode.SUSPEND)
        await asyncio.sleep(0.03)
        assert await client.call(Opcode.GET_STAGE) == 4
        count = len(client.events)
        await asyncio.sleep(0.1)
        assert await client.call(Opcode.GET_STAGE) == 4
        assert len(client.events) == count
        await client.call(Opcode.RESUME)
        await client.wait_events(count + 3)

    with_client(sim, scenario)


def test_io_data_point_follows_its_source(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        temperature = await client.lookup("Plant.Temperature")
        await subscribe(client, [(temperature, [11])])
        await client.wait_events(3, timeout=3)
        assert {e.element for e in client.events} == {temperature}
        values = [e.attributes[11] for e in client.events]
        # An event per change: each value differs from the one before (a sine may
        # come back to a value it had, around its peak: 99.8, 100.0, 99.8).
        assert all(before != after for before, after in itertools.pairwise(values))
        source = sim.get_value("Hardware.Signals.Sine")
        read = await client.call(Opcode.READ, {0: temperature, 1: [11]})
        assert abs(read[11].value - source) <= 200

    with_client(sim, scenario)


def test_set_value_hooks_from_threads(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        await subscribe(client, [(counter, [11])])
        await client.wait_events(1)

        def writer() -> None:
            for n in range(1, 51):
                sim.set_value(COUNTER, n)

        threads = [threading.Thread(target=writer) for _ in range(4)]
        loop = asyncio.get_running_loop()
        for thread in threads:
            thread.start()
        for thread in threads:
            await loop.run_in_executor(None, thread.join, 5)
        while client.events[-1].attributes[11] != 50:
            await client.receive(2)
        assert sim.get_value(COUNTER) == 50

    with_client(sim, scenario)


def test_hook_errors(sim: Simulator) -> None:
    with pytest.raises(KeyError):
        sim.set_value("Hardware.Nothing", 1)
    with pytest.raises(KeyError):
        sim.set_value("Hardware", 1)
    with pytest.raises(TypeError):
        sim.set_value(COUNTER, "one")
    with pytest.raises(ValueError, match="outside int8"):
        sim.set_value("Hardware.Registers.Small", 1000)
    with pytest.raises(KeyError):
        sim.get_value("Hardware")
    sim.set_value("Hardware.Signals.Sine", 1.5)  # an override until the next tick
    assert sim.get_value("Hardware.EtherCAT Bus.EL3102.Channel 1") == 0


def test_slow_subscriber_is_coalesced(sim: Simulator) -> None:
    """A client that does not read: once the socket is full, the server keeps at most
    one pending change per (element, attribute) and a bounded write buffer, and then
    sends the newest values."""

    async def main() -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        sock.connect((sim.host, sim.port))
        client = await RawClient.connect(sim.url, sock=sock, max_queue=1)
        (connection,) = sim._connections
        server_socket = connection.transport.get_extra_info("socket")
        server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        items = [(await client.lookup(key), [0, 1, 2, 3, 4, 11, 6, 7, 5, 9]) for key in FAST]
        await subscribe(client, items)
        buffered, pending, samples = 0, 0, 0
        # Not reading; the server ticks every millisecond. The bounds hold at every
        # look, until the socket is full and for ten looks more (a busy machine
        # takes longer to fill it).
        while samples < 10:
            await asyncio.sleep(0.1)
            (session,) = sim._sessions
            (subscription,) = session.subscriptions.values()
            pending = max(pending, len(subscription.pending))
            buffered = max(buffered, connection.transport.get_write_buffer_size())
            assert len(subscription.pending) <= len(FAST)
            assert buffered < 2**16 + 4096
            if pending > 0 and buffered > 0:
                samples += 1
        await client.close()

    run(main(), timeout=40)  # a timeout here: the test did not fill the socket


def test_pending_changes_are_bounded_without_a_transport() -> None:
    model = load_model(demo_model_path())
    session = Session(Engine(model), None, lambda: None)
    counter = model.by_key[COUNTER]
    subscription = Subscription(session, uuid.uuid4(), 0.0, 0.0)
    watch = Watch(subscription, counter, [(11, 11), (7, 7)])
    subscription.watches.append(watch)
    counter.point.add_watch(watch)  # type: ignore[union-attr]
    session.subscriptions[subscription.id] = subscription
    subscription.activate()
    for n in range(10_000):
        counter.point.set(n)  # type: ignore[union-attr]
    assert len(subscription.pending) == 1
    message, deadline = session.collect_events(0.0)
    assert deadline is None and message is not None
    (event,) = decode_message(message)
    assert isinstance(event, DataChange) and event.attributes[11] == 9999
    assert session.collect_events(1.0) == (None, None)
