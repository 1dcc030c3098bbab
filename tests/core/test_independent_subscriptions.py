"""Every subscription behaves as if it were alone, in every flavour, on the simulator.

Events carry no subscription id, so a client with several subscriptions on one
(element, attribute) must keep each one's events, initial event and intervals apart
itself (the rule "Several subscriptions of one client" of docs/protocol.rst). Counts
of paced subscriptions are compared with what the same subscription gets alone over
the same time, with a tolerance far below what sharing the events gave (a 300 ms
heartbeat got every 50 ms heartbeat of its neighbour). Sequences of written values
are compared exactly.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from tests.conftest import FAST_SINE
from tests.core.test_reconnect import (
    FLAVOUR_NAMES,
    SETPOINT,
    Plant,
    async_flavour,
    reconnected,
)
from tests.flavours import FLAVOURS, AsyncClient, Flavour
from xentara_sync import RequestTimeout, SubscriptionEnded, XentaraClient, flat
from xentara_sync.simulator import Simulator

#: A register nobody writes but these tests: its events are the values written.
REGISTER = "Hardware.Registers.Setpoint"
#: How long paced subscriptions run for a count.
WINDOW = 1.2
_values = itertools.count(1)


def fresh_value() -> float:
    """A value the register has never had in this session."""
    return next(_values) + 0.25


def similar(together: int, alone: int) -> bool:
    """Whether a count made beside another subscription is the count made alone, up to
    timing (a tick of the interval either way, and a third of the count)."""
    return abs(together - alone) <= 2 + alone // 3


def check_counts(
    pair: list[tuple[str, int | None, int | None]],
    alone: list[list[Any]],
    together: list[list[Any]],
) -> None:
    """Each subscription of *pair* got beside the other what it got alone.

    A subscription with neither interval gets every change: how many depends on how
    fast the simulator ticks in that window (on a busy machine, by twice or more),
    so for it the check is that no event came twice, rather than its count.
    """
    slow_alone, fast_alone = (len(events) for events in alone)
    # the pair tells sharing apart: the slow one getting the fast one's events too
    # would be more than the tolerance (a busy machine may halve the fast one's count)
    assert not similar(slow_alone + fast_alone, slow_alone), (slow_alone, fast_alone)
    for (_key, high, low), events_alone, events_together in zip(pair, alone, together, strict=True):
        if high is None and low is None:
            stamps = [event.timestamp for event in events_together]
            assert len(stamps) == len(set(stamps)), "an event came twice"
            assert len(stamps) > 2 * slow_alone
        else:
            counts = len(events_together), len(events_alone)
            assert similar(*counts), counts


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def client(simulator: Simulator) -> Iterator[XentaraClient]:
    with XentaraClient(simulator.url, timeout=10) as blocking:
        yield blocking


# --------------------------------------------------------------------------- async helpers


async def drain(sub: Any, quiet: float = 0.05) -> list[Any]:
    """Every event queued in *sub* (waiting *quiet* s for more after the last)."""
    events = []
    while True:
        try:
            events.append(await sub.receive(timeout=quiet))
        except (RequestTimeout, SubscriptionEnded):
            return events


async def until(sub: Any, value: float, seen: list[Any]) -> None:
    """Receive into *seen* until *value* comes."""
    while True:
        event = await sub.receive(timeout=10)
        seen.append(event.value)
        if event.value == value:
            return


async def count_for(
    flavour: Flavour, client: AsyncClient, intervals: list[tuple[str, int | None, int | None]]
) -> list[list[Any]]:
    """The events each (key, maximum, minimum) subscription gets in WINDOW s, all
    running at once."""
    subs = [client.subscribe(key, high, low) for key, high, low in intervals]
    for sub in subs:
        await sub.start()
    await flavour.sleep(WINDOW)
    for sub in subs:
        await sub.stop()
    return [await drain(sub) for sub in subs]


def run(flavour: Flavour, simulator: Simulator, body: Callable[..., Awaitable[None]]) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url, timeout=10) as client:
            await body(client)

    flavour.run(main, timeout=60)


# --------------------------------------------------------------------------- intervals


PAIRS = [
    # (key, maximum_update_interval, minimum_update_interval) of two subscriptions
    pytest.param([(FAST_SINE, 200, None), (FAST_SINE, 20, None)], id="throttles"),
    pytest.param([(REGISTER, None, 300), (REGISTER, None, 50)], id="heartbeats"),
    pytest.param([(FAST_SINE, 500, 1000), (FAST_SINE, None, None)], id="issue"),
]


@pytest.mark.parametrize("pair", PAIRS)
def test_each_keeps_its_intervals_beside_another(
    flavour: Flavour, simulator: Simulator, pair: list[tuple[str, int | None, int | None]]
) -> None:
    async def body(client: AsyncClient) -> None:
        slow, fast = pair
        (slow_alone,) = await count_for(flavour, client, [slow])
        (fast_alone,) = await count_for(flavour, client, [fast])
        together = await count_for(flavour, client, [slow, fast])
        check_counts(pair, [slow_alone, fast_alone], together)

    run(flavour, simulator, body)


@pytest.mark.parametrize("pair", PAIRS)
def test_each_keeps_its_intervals_beside_another_blocking(
    client: XentaraClient, pair: list[tuple[str, int | None, int | None]]
) -> None:
    def count(intervals: list[tuple[str, int | None, int | None]]) -> list[list[Any]]:
        subs = [client.subscribe(key, high, low) for key, high, low in intervals]
        for sub in subs:
            sub.start()
        time.sleep(WINDOW)
        for sub in subs:
            sub.stop()
        return [list(sub) for sub in subs]

    slow, fast = pair
    (slow_alone,) = count([slow])
    (fast_alone,) = count([fast])
    check_counts(pair, [slow_alone, fast_alone], count([slow, fast]))


# --------------------------------------------------------------------------- open and close

#: The steps of the open/close test: open a subscription (with its intervals),
#: close one, or write a new value that every open subscription must get once.
STEPS: list[tuple[str, Any]] = [
    ("open", ("a", None, None)),
    ("write", None),
    ("open", ("b", 50, None)),
    ("write", None),
    ("open", ("c", None, None)),
    ("close", "a"),
    ("write", None),
    ("close", "c"),
    ("open", ("a", 20, None)),
    ("write", None),
    ("close", "b"),
    ("write", None),
    ("close", "a"),
    ("open", ("d", None, None)),
    ("write", None),
]


def test_open_and_close_in_any_order_repeat_nothing(flavour: Flavour, simulator: Simulator) -> None:
    async def body(client: AsyncClient) -> None:
        current = fresh_value()
        await client.write(REGISTER, current)
        subs: dict[str, Any] = {}
        seen: dict[str, list[Any]] = {}
        expected: dict[str, list[Any]] = {}
        for step, arg in STEPS:
            if step == "open":
                name, high, low = arg
                sub = subs[name] = client.subscribe(REGISTER, high, low)
                await sub.start()
                seen[name], expected[name] = [], [current]
                await until(sub, current, seen[name])
            elif step == "close":
                sub = subs.pop(arg)
                await sub.stop()
                seen[arg] += [e.value for e in await drain(sub)]
                assert seen[arg] == expected[arg], arg
            else:
                current = fresh_value()
                await client.write(REGISTER, current)
                for name, sub in subs.items():
                    expected[name].append(current)
                    await until(sub, current, seen[name])
        for name, sub in subs.items():
            await sub.stop()
            seen[name] += [e.value for e in await drain(sub)]
            assert seen[name] == expected[name], name

    run(flavour, simulator, body)


def test_open_and_close_in_any_order_repeat_nothing_blocking(client: XentaraClient) -> None:
    def until_blocking(sub: Any, value: float, seen: list[Any]) -> None:
        while True:
            event = sub.receive(timeout=10)
            seen.append(event.value)
            if event.value == value:
                return

    current = fresh_value()
    client.write(REGISTER, current)
    subs: dict[str, Any] = {}
    seen: dict[str, list[Any]] = {}
    expected: dict[str, list[Any]] = {}
    for step, arg in STEPS:
        if step == "open":
            name, high, low = arg
            sub = subs[name] = client.subscribe(REGISTER, high, low)
            sub.start()
            seen[name], expected[name] = [], [current]
            until_blocking(sub, current, seen[name])
        elif step == "close":
            sub = subs.pop(arg)
            sub.stop()
            seen[arg] += [e.value for e in sub]
            assert seen[arg] == expected[arg], arg
        else:
            current = fresh_value()
            client.write(REGISTER, current)
            for name, sub in subs.items():
                expected[name].append(current)
                until_blocking(sub, current, seen[name])
    for name, sub in subs.items():
        sub.stop()
        seen[name] += [e.value for e in sub]
        assert seen[name] == expected[name], name


# --------------------------------------------------------------------------- record, wait_until


def no_repeats(events: list[Any]) -> bool:
    """Whether no (time, value) comes twice in a row."""
    return all(
        (a.timestamp, a.value) != (b.timestamp, b.value) for a, b in itertools.pairwise(events)
    )


def test_record_beside_a_subscription(flavour: Flavour, simulator: Simulator) -> None:
    async def body(client: AsyncClient) -> None:
        alone = len((await count_for(flavour, client, [(FAST_SINE, 500, 1000)]))[0])
        sub = client.subscribe(FAST_SINE, 500, 1000)
        await sub.start()
        recording = await client.record(FAST_SINE, seconds=WINDOW)
        await sub.stop()
        together = len(await drain(sub))
        assert len(recording.events) > 4 * alone
        assert similar(together, alone), (together, alone)
        assert no_repeats(recording.events)

    run(flavour, simulator, body)


def test_record_beside_a_subscription_blocking(client: XentaraClient) -> None:
    with client.subscribe(FAST_SINE, 500, 1000) as sub:
        time.sleep(WINDOW)
    alone = len(list(sub))
    with client.subscribe(FAST_SINE, 500, 1000) as sub:
        recording = client.record(FAST_SINE, seconds=WINDOW)
    together = len(list(sub))
    assert len(recording.events) > 4 * alone
    assert similar(together, alone), (together, alone)
    assert no_repeats(recording.events)


def test_wait_until_beside_a_subscription(flavour: Flavour, simulator: Simulator) -> None:
    async def body(client: AsyncClient) -> None:
        first, second = fresh_value(), fresh_value()
        await client.write(REGISTER, first)
        async with client.subscribe(REGISTER, None, None) as sub:
            seen: list[Any] = []
            await until(sub, first, seen)
            met = await client.wait_until(REGISTER, first, timeout=10)
            assert met.value == first
            await client.write(REGISTER, second)
            assert (await client.wait_until(REGISTER, second, timeout=10)).value == second
            await until(sub, second, seen)
            seen += [e.value for e in await drain(sub)]
        assert seen == [first, second]

    run(flavour, simulator, body)


def test_wait_until_beside_a_subscription_blocking(client: XentaraClient) -> None:
    first, second = fresh_value(), fresh_value()
    client.write(REGISTER, first)
    with client.subscribe(REGISTER, None, None) as sub:
        assert sub.receive(timeout=10).value == first
        assert client.wait_until(REGISTER, first, timeout=10).value == first
        client.write(REGISTER, second)
        assert client.wait_until(REGISTER, second, timeout=10).value == second
        assert sub.receive(timeout=10).value == second
        with pytest.raises(RequestTimeout):
            sub.receive(timeout=0.2)


# --------------------------------------------------------------------------- flat API


def test_flat_next_event_never_repeats(simulator: Simulator) -> None:
    session = flat.open_session(simulator.url, "Hardware", True, 10.0)
    try:
        values = [fresh_value() for _ in range(4)]
        flat.write(session, REGISTER, values[0])
        first = flat.subscribe(session, REGISTER, 0, 0)
        got: list[tuple[float, str, Any]] = [flat.next_event(first, 10.0)]
        second = flat.subscribe(session, REGISTER, 100, 0)  # must not repeat first's
        for value in values[1:]:
            flat.write(session, REGISTER, value)
            while got[-1][2] != value:
                got.append(flat.next_event(first, 10.0))
        flat.unsubscribe(second)
        with pytest.raises(RequestTimeout):
            got.append(flat.next_event(first, 0.2))
        assert [value for _, _, value in got] == values
        assert len(set(got)) == len(got)
    finally:
        flat.close_session(session)


# --------------------------------------------------------------------------- renewal


@pytest.fixture
def plant() -> Iterator[Plant]:
    plant = Plant()
    try:
        yield plant
    finally:
        plant.stop()


@pytest.mark.parametrize("flavour_name", FLAVOUR_NAMES)
def test_shared_pairs_are_renewed_once_for_each(plant: Plant, flavour_name: str) -> None:
    """After a reconnection each subscription gets one fresh snapshot, then each
    change once; the one whose id the shared server subscription carries may stop."""
    if flavour_name == "blocking":
        with XentaraClient(plant.url, timeout=10) as client:
            client.write(SETPOINT, 33.25)
            with client.subscribe(SETPOINT, 0, 0) as first:
                second = client.subscribe(SETPOINT, 100, 0)
                second.start()
                for sub in (first, second):
                    assert sub.receive(timeout=10).value == 33.25
                plant.restart()  # the setpoint is back at its default
                for sub in (first, second):
                    assert sub.receive(timeout=10).value != 33.25
                    assert sub.interruptions == 1
                client.write(SETPOINT, 7.5)
                for sub in (first, second):
                    assert sub.receive(timeout=10).value == 7.5
            client.write(SETPOINT, 8.5)
            assert second.receive(timeout=10).value == 8.5
            with pytest.raises(RequestTimeout):
                second.receive(timeout=0.3)
            second.stop()
        return
    flavour = async_flavour(flavour_name)

    async def main() -> None:
        async with flavour.XentaraClient(plant.url, timeout=10) as client:
            await client.write(SETPOINT, 33.25)
            first = client.subscribe(SETPOINT, 0, 0)
            second = client.subscribe(SETPOINT, 100, 0)
            for sub in (first, second):
                await sub.start()
                assert (await sub.receive(timeout=10)).value == 33.25
            plant.restart()
            await reconnected(flavour, client)
            for sub in (first, second):
                assert (await sub.receive(timeout=10)).value != 33.25
            await client.write(SETPOINT, 7.5)
            for sub in (first, second):
                assert (await sub.receive(timeout=10)).value == 7.5
            await first.stop()
            await client.write(SETPOINT, 8.5)
            assert (await second.receive(timeout=10)).value == 8.5
            assert await drain(second, quiet=0.3) == []
            await second.stop()
            assert [e.value for e in await drain(first)] == []

    flavour.run(main, timeout=60)
