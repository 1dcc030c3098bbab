"""Events handed to subscription queues in runs (``core.fanout.deliver`` and the
queues' ``put_many``) arrive as one put each would bring them: in order, the
oldest dropped when full, each fanout's last event kept, other sinks in place."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from xentara_sync.core.fanout import Fanout, Feed, Pacer, deliver
from xentara_sync.core.subscription import EventQueue
from xentara_sync.protocol.index import Event
from xentara_sync.sync.subscription import ThreadEventQueue


def event(number: int) -> Event:
    return Event(float(number), f"k{number % 3}", uuid.UUID(int=number % 3 + 1), number)


def fanout(number: int, sink: Any, *, throttle: float = 0.0) -> Fanout:
    route = (uuid.UUID(int=number), 11)
    made = Fanout(route, Feed(uuid.UUID(int=99), [f"k{number}"]))
    made.add(Pacer(None, sink, throttle, 0.0))  # type: ignore[arg-type]
    return made


class Plain:
    """A sink without ``put_many``: it takes each event by itself."""

    dropped = 0

    def __init__(self, log: list[Any]) -> None:
        self.log = log

    def put(self, event: Event) -> None:
        self.log.append(("plain", event.value))

    def close(self, error: BaseException | None) -> None:
        pass


@pytest.mark.parametrize("maxsize", [1, 3, 5, 100])
@pytest.mark.parametrize(
    "make",
    [ThreadEventQueue, lambda size: EventQueue(None, size)],  # type: ignore[arg-type]
    ids=["blocking", "async"],
)
def test_put_many_is_put_of_each(make: Any, maxsize: int) -> None:
    one, many = make(maxsize), make(maxsize)
    events = [event(number) for number in range(7)]
    for item in events[:2]:
        one.put(item)
        many.put(item)
    for item in events[2:]:
        one.put(item)
    many.put_many(events[2:])
    assert list(many._items) == list(one._items)
    assert many.dropped == one.dropped == max(0, len(events) - maxsize)


def test_runs_keep_order_and_each_fanouts_last_event() -> None:
    first, second = ThreadEventQueue(100), ThreadEventQueue(100)
    log: list[Any] = []
    fanouts = [fanout(1, first), fanout(2, first), fanout(3, second), fanout(4, Plain(log))]
    shared = fanout(5, first)
    shared.add(Pacer(None, second, 0.0, 0.0))  # type: ignore[arg-type]
    assert [f.queue for f in fanouts] == [first, first, second, None]
    assert shared.queue is None  # two pacers: each event to both, one by one
    order = [0, 1, 0, 2, 3, 1, 4, 0, 2]
    items = [(([*fanouts, shared])[index], event(number)) for number, index in enumerate(order)]
    deliver(items)
    assert [e.value for e in first._items] == [0, 1, 2, 5, 6, 7]
    assert [e.value for e in second._items] == [3, 6, 8]
    assert log == [("plain", 4)]
    assert [f.last.value for f in fanouts] == [7, 5, 8, 4]  # type: ignore[union-attr]
    assert shared.last.value == 6  # type: ignore[union-attr]


def test_a_settling_or_paced_fanout_takes_each_event_itself() -> None:
    queue = ThreadEventQueue(100)
    settling = fanout(1, queue)
    paced = fanout(2, queue, throttle=1.0)
    assert settling.queue is queue and paced.queue is None
    settling.settling = True
    assert not settling.queue
    settling.settling = False
    assert settling.queue is queue
    settling.remove(settling.pacers[0])
    assert not settling.queue
