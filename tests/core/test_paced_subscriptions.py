"""A subscription alone on its pairs costs what it cost before they could be shared.

The server paces a lone subscription (its subscribe carries its intervals), so a
throttled subscription on a fast signal gets few event packets on the wire, not
every change. When a second subscription comes to share the pair, the feed is
subscribed again for every change and both are paced in the client; the server's
new initial event is no repeated event for the first. The same holds after a
reconnection. Every flavour, on the simulator.

What reaches the client session is counted by wrapping
:class:`~xentara_sync.protocol.session.ClientSession` (the sans-I/O protocol core
all flavours share): each event packet it routes, and each subscribe and
unsubscribe it plans.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import FAST_SINE
from tests.core.test_independent_subscriptions import (
    REGISTER,
    WINDOW,
    drain,
    fresh_value,
)
from tests.core.test_reconnect import (
    FLAVOUR_NAMES,
    SETPOINT,
    Plant,
    async_flavour,
    reconnected,
)
from tests.flavours import FLAVOURS, Flavour
from xentara_sync import RequestTimeout, SubscriptionEnded, XentaraClient
from xentara_sync.core.receiving import Receiver
from xentara_sync.protocol.session import ClientSession
from xentara_sync.simulator import Simulator

#: The Sine's throttle: far fewer events than the signal's changes in WINDOW.
THROTTLE = 200


class Wire:
    """What the client sessions of this test received and asked for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Event packets routed, by element UUID.
        self.packets: dict[uuid.UUID, int] = {}
        #: ("subscribe", id, keys, maximum, minimum) or ("unsubscribe", id, keys).
        self.requests: list[tuple[Any, ...]] = []

    def count(self) -> int:
        """Event packets routed (the tests subscribe one element at a time)."""
        with self._lock:
            return sum(self.packets.values())

    def reset(self) -> None:
        with self._lock:
            self.packets.clear()
            self.requests.clear()

    def subscribes(self) -> list[tuple[Any, ...]]:
        with self._lock:
            return [r for r in self.requests if r[0] == "subscribe"]


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    seen = Wire()
    deliver = Receiver._deliver
    subscribe = ClientSession.plan_subscribe
    unsubscribe = ClientSession.plan_unsubscribe

    def counting_deliver(self: Receiver, session: ClientSession, received: Any) -> None:
        # Every message's answers and events reach the client here. A packet routed
        # to the subscriptions' side gives events of its element and time stamp (one
        # per sink): count each (element, time stamp) once.
        routed = {(event.uuid, event.timestamp) for _, event in received.events}
        with seen._lock:
            for element, _ in routed:
                seen.packets[element] = seen.packets.get(element, 0) + 1
        deliver(self, session, received)

    def logged_subscribe(
        self: ClientSession, keys: Any, elements: Any, attribute: Any, sid: Any, high: Any, low: Any
    ) -> Any:
        with seen._lock:
            seen.requests.append(("subscribe", sid, tuple(keys), high, low))
        return subscribe(self, keys, elements, attribute, sid, high, low)

    def logged_unsubscribe(self: ClientSession, keys: Any, sid: Any) -> Any:
        with seen._lock:
            seen.requests.append(("unsubscribe", sid, tuple(keys)))
        return unsubscribe(self, keys, sid)

    monkeypatch.setattr(Receiver, "_deliver", counting_deliver)
    monkeypatch.setattr(ClientSession, "plan_subscribe", logged_subscribe)
    monkeypatch.setattr(ClientSession, "plan_unsubscribe", logged_unsubscribe)
    return seen


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def client(simulator: Simulator) -> Iterator[XentaraClient]:
    with XentaraClient(simulator.url, timeout=10) as blocking:
        yield blocking


def throttled(packets: int) -> bool:
    """Whether *packets* in WINDOW s are what a 200 ms throttle lets through (one
    per interval, the initial event and a tick of slack), far below the changes."""
    return 1 <= packets <= WINDOW * 1000 / THROTTLE + 3


def every_change(packets: int) -> bool:
    """Whether *packets* in WINDOW s are clearly more than a 200 ms throttle gives."""
    return packets > 3 * (WINDOW * 1000 / THROTTLE + 3)


# --------------------------------------------------------------------------- alone


def test_a_lone_throttled_subscription_is_throttled_on_the_wire(
    flavour: Flavour, simulator: Simulator, wire: Wire
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url, timeout=10) as client:
            sub = client.subscribe(FAST_SINE, THROTTLE, 1000)
            await sub.start()
            await flavour.sleep(WINDOW)
            await sub.stop()
            events = await drain(sub)
            packets = wire.count()
            assert throttled(packets), packets
            assert wire.subscribes() == [("subscribe", sub.id, (FAST_SINE,), THROTTLE, 1000)]
            assert len(events) == packets  # each paced event reaches the queue, once
            # The same signal without intervals: every change is on the wire.
            wire.reset()
            fast = client.subscribe(FAST_SINE, None, None)
            await fast.start()
            await flavour.sleep(WINDOW)
            await fast.stop()
            assert every_change(wire.count()), wire.count()

    flavour.run(main, timeout=60)


def test_a_lone_throttled_subscription_is_throttled_on_the_wire_blocking(
    client: XentaraClient, wire: Wire
) -> None:
    with client.subscribe(FAST_SINE, THROTTLE, 1000) as sub:
        threading.Event().wait(WINDOW)
    events = drain_blocking(sub, quiet=0.05)
    packets = wire.count()
    assert throttled(packets), packets
    assert wire.subscribes() == [("subscribe", sub.id, (FAST_SINE,), THROTTLE, 1000)]
    assert len(events) == packets


# --------------------------------------------------------------------------- joined


def test_a_second_subscription_joins_a_throttled_one(
    flavour: Flavour, simulator: Simulator, wire: Wire
) -> None:
    """The feed is subscribed again for every change; the first gets no repeated
    event, the second its own initial event; both get each later change once."""

    async def main() -> None:
        async with flavour.XentaraClient(simulator.url, timeout=10) as client:
            before, after = fresh_value(), fresh_value()
            await client.write(REGISTER, before)
            first = client.subscribe(REGISTER, 100, None)
            await first.start()
            assert (await first.receive(timeout=10)).value == before
            (alone,) = wire.subscribes()
            assert alone[1:] == (first.id, (REGISTER,), 100, None)
            second = client.subscribe(REGISTER, None, None)
            await second.start()
            assert (await second.receive(timeout=10)).value == before
            assert await drain(first, quiet=0.3) == []  # no repeated initial event
            assert wire.requests[1][:2] == ("unsubscribe", first.id)
            (shared,) = wire.subscribes()[1:]
            assert shared[2:] == ((REGISTER,), None, None)  # every change
            await client.write(REGISTER, after)
            for sub in (first, second):
                assert (await sub.receive(timeout=10)).value == after
                assert await drain(sub, quiet=0.3) == []
            await first.stop()
            await second.stop()
            assert wire.requests[-1][:2] == ("unsubscribe", shared[1])

    flavour.run(main, timeout=60)


def test_a_joining_start_cancelled_leaves_the_first_served(
    flavour: Flavour, simulator: Simulator, wire: Wire
) -> None:
    """A second subscription whose start is cancelled at its first wait: the feed it
    began to share is still subscribed again whole, the first keeps getting each
    change once, and no server subscription is left behind."""

    async def main() -> None:
        async with flavour.XentaraClient(simulator.url, timeout=10) as client:
            before, after = fresh_value(), fresh_value()
            await client.write(REGISTER, before)
            first = client.subscribe(REGISTER, 100, None)
            await first.start()
            assert (await first.receive(timeout=10)).value == before
            second = client.subscribe(REGISTER, None, None)
            assert await flavour.move_on_after(0, second.start)
            await client.write(REGISTER, after)
            assert (await first.receive(timeout=10)).value == after
            assert await drain(first, quiet=0.3) == []
            await first.stop()
            for _ in range(500):  # the renewal may still be on its way: wait for it
                if not open_ids(wire):
                    break
                await flavour.sleep(0.02)
            assert open_ids(wire) == set()

    flavour.run(main, timeout=60)


def open_ids(wire: Wire) -> set[Any]:
    """Server subscriptions subscribed and not unsubscribed."""
    with wire._lock:
        requests = list(wire.requests)
    subscribed = {r[1] for r in requests if r[0] == "subscribe"}
    return subscribed - {r[1] for r in requests if r[0] == "unsubscribe"}


def test_a_second_subscription_joins_a_throttled_one_blocking(
    client: XentaraClient, wire: Wire
) -> None:
    before, after = fresh_value(), fresh_value()
    client.write(REGISTER, before)
    with client.subscribe(REGISTER, 100, None) as first:
        assert first.receive(timeout=10).value == before
        with client.subscribe(REGISTER, None, None) as second:
            assert second.receive(timeout=10).value == before
            assert [e.value for e in drain_blocking(first)] == []
            client.write(REGISTER, after)
            for sub in (first, second):
                assert sub.receive(timeout=10).value == after
                assert drain_blocking(sub) == []
    requests = wire.requests
    assert [r[0] for r in requests] == ["subscribe", "unsubscribe", "subscribe", "unsubscribe"]
    assert requests[0][3:] == (100, None)  # alone: paced by the server
    assert requests[1][1] == requests[0][1] == first.id
    assert requests[2][3:] == (None, None)  # shared: every change
    assert requests[3][1] == requests[2][1]


def drain_blocking(sub: Any, quiet: float = 0.3) -> list[Any]:
    """Every event queued in *sub* (waiting *quiet* s for more after the last)."""
    events = []
    while True:
        try:
            events.append(sub.receive(timeout=quiet))
        except (RequestTimeout, SubscriptionEnded):
            return events


# --------------------------------------------------------------------------- renewal


@pytest.fixture
def plant() -> Iterator[Plant]:
    plant = Plant()
    try:
        yield plant
    finally:
        plant.stop()


@pytest.mark.parametrize("flavour_name", FLAVOUR_NAMES)
def test_a_lone_subscription_is_renewed_with_its_intervals(
    plant: Plant, flavour_name: str, wire: Wire
) -> None:
    """After a reconnection a lone throttled subscription is throttled on the wire
    again; two on one pair are renewed as one every-change feed, each paced here."""

    async def main(flavour: Flavour) -> None:
        async with flavour.XentaraClient(plant.url, timeout=10) as client:
            sub = client.subscribe(FAST_SINE, THROTTLE, None)
            await sub.start()
            await sub.receive(timeout=10)
            plant.restart()
            await reconnected(flavour, client)
            await sub.receive(timeout=10)  # the renewal's initial event
            await drain(sub, quiet=0.01)
            wire.reset()
            await flavour.sleep(WINDOW)
            assert throttled(wire.count()), wire.count()
            await sub.stop()

    if flavour_name == "blocking":
        with XentaraClient(plant.url, timeout=10) as client:
            with client.subscribe(FAST_SINE, THROTTLE, None) as sub:
                sub.receive(timeout=10)
                plant.restart()
                sub.receive(timeout=10)  # the renewal's initial event
                wire.reset()
                threading.Event().wait(WINDOW)
                packets = wire.count()
            assert sub.interruptions == 1
            assert throttled(packets), packets
        return
    flavour = async_flavour(flavour_name)
    flavour.run(main, flavour, timeout=60)


@pytest.mark.parametrize("flavour_name", FLAVOUR_NAMES)
def test_a_throttled_subscription_shared_again_after_a_renewal(
    plant: Plant, flavour_name: str, wire: Wire
) -> None:
    """A throttled subscription and a second one on its pair: after a reconnection
    each gets one fresh snapshot, then each change once, nothing repeated."""
    if flavour_name == "blocking":
        with XentaraClient(plant.url, timeout=10) as client:
            client.write(SETPOINT, 33.25)
            with client.subscribe(SETPOINT, 100, None) as first:
                assert first.receive(timeout=10).value == 33.25
                with client.subscribe(SETPOINT, 0, 0) as second:
                    assert second.receive(timeout=10).value == 33.25
                    plant.restart()  # the setpoint is back at its default
                    for sub in (first, second):
                        assert sub.receive(timeout=10).value != 33.25
                        assert drain_blocking(sub) == []
                    client.write(SETPOINT, 7.5)
                    for sub in (first, second):
                        assert sub.receive(timeout=10).value == 7.5
                        assert drain_blocking(sub) == []
        return
    flavour = async_flavour(flavour_name)

    async def main() -> None:
        async with flavour.XentaraClient(plant.url, timeout=10) as client:
            await client.write(SETPOINT, 33.25)
            first = client.subscribe(SETPOINT, 100, None)
            second = client.subscribe(SETPOINT, 0, 0)
            for sub in (first, second):
                await sub.start()
                assert (await sub.receive(timeout=10)).value == 33.25
            plant.restart()
            await reconnected(flavour, client)
            for sub in (first, second):
                assert (await sub.receive(timeout=10)).value != 33.25
                assert await drain(sub, quiet=0.3) == []
            await client.write(SETPOINT, 7.5)
            for sub in (first, second):
                assert (await sub.receive(timeout=10)).value == 7.5
                assert await drain(sub, quiet=0.3) == []
            await first.stop()
            await second.stop()

    flavour.run(main, timeout=60)
