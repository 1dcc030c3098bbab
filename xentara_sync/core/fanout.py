"""Independent subscriptions over shared server subscriptions.

Events carry no subscription id (protocol reference, section 3.4): a client can only
tell which (element, attribute) an event is about, never which of its subscriptions
the server sent it for, and the server merges the events of overlapping
subscriptions. So the client never lets two of its server subscriptions cover the
same (element, attribute), and it keeps each subscription's intervals itself where
subscriptions share a pair:

* A :class:`Feed` is one server subscription. It covers the (element, attribute)
  pairs that no other feed of the connection covers when a subscription starts, and
  ends when no subscription uses any of its pairs any more. A feed made for a
  subscription alone on all its pairs carries that subscription's intervals (keys 1
  and 2, as a subscription without any sharing sends them): the server paces it.
  Any other feed asks for every change, without a throttle or a heartbeat. When a
  second subscription comes to share a pair of a feed paced by the server, the
  client unsubscribes the feed and subscribes its pairs anew under a new id for
  every change (:attr:`Feed.renewing` meanwhile); it stays so until it ends.
* A :class:`Fanout` is one (element, attribute) pair of a connection: the session's
  only sink for it. It keeps the last event (the current value on an every-change
  feed) and hands each event to every :class:`Pacer` that covers it. The first event
  after its feed was subscribed anew (the server's initial event) is handed to the
  pacers that were there only if it is a change (not the time stamp and value of the
  last event); it is the initial event of the pacers that joined meanwhile.
* A :class:`Pacer` is one subscription's side: it delivers to the subscription's
  queue what the server would have sent that subscription had it been alone. On a
  feed paced for it, every event goes straight to the queue (:meth:`Pacer.passed`).
  Otherwise its initial event is the cached value of each pair, or the feed's
  initial event for a pair that has none yet; ``maximum_update_interval``
  (throttle) and ``minimum_update_interval`` (heartbeat) follow the simulator's
  rules (see :mod:`!xentara_sync.simulator.subscriptions`), timed by a task of the
  pacer, counting from its last delivery (also one the server paced). A
  subscription with neither interval gets each event as it comes, with no timer.

The rule is written down on the protocol page (``docs/protocol.rst``, "Several
subscriptions of one client").
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..protocol.index import Event
    from .interfaces import Backend, EventSink, TaskHandle, Waiter

__all__ = ["Fanout", "Feed", "Hub", "Pacer", "Route", "RunSink", "deliver"]

#: An (element UUID, attribute key) pair: what an event is about.
Route = tuple[uuid.UUID, Any]


class Feed:
    """One server subscription: its id, the pairs it covers and its state."""

    __slots__ = (
        "elements",
        "error",
        "fanouts",
        "id",
        "intervals",
        "keys",
        "ready",
        "renewing",
        "waiters",
        "wires",
    )

    def __init__(
        self,
        feed_id: uuid.UUID,
        keys: Sequence[str],
        elements: Sequence[Any] = (),
        wires: Sequence[Any] = (),
        intervals: tuple[int | None, int | None] | None = None,
    ) -> None:
        self.id = feed_id
        #: The primary keys it covers (for messages).
        self.keys = tuple(keys)
        #: The elements and attribute keys it covers (to subscribe them again).
        self.elements = tuple(elements)
        self.wires = tuple(wires)
        #: ``(maximum_update_interval, minimum_update_interval)`` in ms the server
        #: paces it with, for the one subscription that uses it; None: every change.
        self.intervals = intervals
        self.fanouts: list[Fanout] = []
        #: Whether the server confirmed it.
        self.ready = False
        #: It is being subscribed again for every change (it was paced for one
        #: subscription and another came to share it).
        self.renewing = False
        #: Why subscribing failed, if it did.
        self.error: BaseException | None = None
        #: Subscriptions that wait for the server's answer to share the feed.
        self.waiters: list[Waiter] = []

    def unused(self) -> bool:
        """Whether no subscription covers any of its pairs."""
        return not any(fanout.used() for fanout in self.fanouts)

    def pacers(self) -> list[Pacer]:
        """The pacers that take its events (each once)."""
        pacers: dict[int, Pacer] = {}
        for fanout in self.fanouts:
            for pacer in fanout.pacers:
                pacers[id(pacer)] = pacer
        return list(pacers.values())

    def settle(self, error: BaseException | None) -> None:
        """The server answered: wake those that wait to share the feed."""
        self.ready = error is None
        self.error = error
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


class Fanout:
    """One (element, attribute) pair of a connection: the session's sink for it."""

    __slots__ = ("_puts", "_settling", "feed", "joiners", "last", "pacers", "queue", "route")

    #: Nothing is queued here, so nothing is dropped (the pacers' queues count).
    dropped = 0

    def __init__(self, route: Route, feed: Feed) -> None:
        self.route = route
        self.feed = feed
        #: The last event: the current value (the feed sends every change).
        self.last: Event | None = None
        self.pacers: list[Pacer] = []
        #: Where each pacer takes an event: a queue's ``put`` for a pacer without
        #: intervals (the hot path: one call), the pacer's ``passed`` for one the
        #: server paces, else the pacer's ``offer``.
        self._puts: list[Callable[[Event], None]] = []
        #: Pacers that joined while the feed turns into an every-change feed: they
        #: take the new feed's first event of the pair as their initial event.
        self.joiners: list[Pacer] = []
        self._settling = False
        #: The queue that takes each event as it is, in runs (``put_many``), if that
        #: is all :meth:`put` does: one pacer without intervals, and not settling.
        self.queue: RunSink | None = None

    @property
    def settling(self) -> bool:
        """The feed was subscribed again: its next event may repeat :attr:`last`."""
        return self._settling

    @settling.setter
    def settling(self, settling: bool) -> None:
        self._settling = settling
        self._find_queue()

    def _find_queue(self) -> None:
        queue = None
        if len(self.pacers) == 1 and not self._settling:
            pacer = self.pacers[0]
            if pacer.direct and hasattr(pacer.sink, "put_many"):
                queue = pacer.sink
        self.queue = queue  # type: ignore[assignment]

    def add(self, pacer: Pacer) -> None:
        self.pacers.append(pacer)
        self._puts.append(self._put_of(pacer))
        self._find_queue()

    def _put_of(self, pacer: Pacer) -> Callable[[Event], None]:
        if pacer.direct:
            return pacer.sink.put
        if pacer.server_paced:
            return partial(pacer.passed, self.route)
        return partial(pacer.offer, self.route)

    def refresh(self, pacer: Pacer) -> None:
        """*pacer* changed how it takes events (its pacing moved to the client)."""
        if pacer in self.pacers:
            self._puts[self.pacers.index(pacer)] = self._put_of(pacer)
        self._find_queue()

    def remove(self, pacer: Pacer) -> None:
        if pacer in self.pacers:
            del self._puts[self.pacers.index(pacer)]
            self.pacers.remove(pacer)
            self._find_queue()
        if pacer in self.joiners:
            self.joiners.remove(pacer)

    def used(self) -> bool:
        return bool(self.pacers or self.joiners)

    def put(self, event: Event) -> None:
        if self._settling:
            self._settle(event)
            return
        self.last = event
        for put in self._puts:
            put(event)

    def _settle(self, event: Event) -> None:
        """The first event after the feed was subscribed again (the server's initial
        event): not a change for those that had the pair's last event already if it
        repeats it (same time stamp and value); the initial event of the joiners."""
        self.settling = False
        last = self.last
        if last is None or not _repeats(last, event):
            self.last = event
            for put in self._puts:
                put(event)
        joiners, self.joiners = self.joiners, []
        for pacer in joiners:
            self.add(pacer)
            pacer.initial(self.route, event)

    def close(self, error: BaseException | None) -> None:
        """Nothing to do: each subscription closes its own queue."""


class RunSink(Protocol):
    """A queue that also takes a run of events at once."""

    def put_many(self, events: list[Event]) -> None: ...


def deliver(events: Iterable[tuple[EventSink, Event]]) -> None:
    """Hand each event to its sink (a :class:`Fanout`, or any other), in order.

    The events of a message mostly go to fanouts that hand each event straight to
    one subscription's queue (:attr:`Fanout.queue`): those are handed to the queue
    in runs, with one wake-up of its reader a run rather than one an event.

    >>> class Queue:
    ...     def __init__(self): self.calls = []
    ...     def put(self, event): self.calls.append([event])
    ...     def put_many(self, events): self.calls.append(events)
    >>> queue = Queue()
    >>> fanouts = [Fanout((uuid.UUID(int=n), 11), Feed(uuid.UUID(int=9), ["k"])) for n in (1, 2)]
    >>> for fanout in fanouts:
    ...     fanout.add(Pacer(None, queue, 0.0, 0.0))
    >>> deliver([(fanouts[0], "a"), (fanouts[1], "b"), (fanouts[0], "c")])
    >>> queue.calls, fanouts[0].last
    ([['a', 'b', 'c']], 'c')
    """
    queue: Any = None
    run: list[Event] = []
    fanout_type = Fanout
    for sink, event in events:
        target = sink.queue if type(sink) is fanout_type else None
        if target is None:
            if run:
                queue.put_many(run)
                queue, run = None, []
            sink.put(event)
            continue
        sink.last = event  # type: ignore[attr-defined]
        if target is not queue:
            if run:
                queue.put_many(run)
                run = []
            queue = target
        run.append(event)
    if run:
        queue.put_many(run)


def _repeats(last: Event, event: Event) -> bool:
    """Whether *event* is *last* again: the same time stamp and value (NaN too)."""
    if last.timestamp != event.timestamp:
        return False
    a, b = last.value, event.value
    return bool(a == b) or (a != a and b != b)


class Hub:
    """The fanouts and feeds of one connection (one session)."""

    __slots__ = ("fanouts", "session")

    def __init__(self, session: object) -> None:
        self.session = session
        self.fanouts: dict[Route, Fanout] = {}


class Pacer:
    """One subscription's events: its initial event, throttle and heartbeat.

    *throttle* and *heartbeat* are in seconds (0: none). Runs on the event loop;
    :meth:`offer` never blocks.
    """

    __slots__ = (
        "_backend",
        "_due",
        "_started",
        "_task",
        "_waiter",
        "direct",
        "fanouts",
        "fresh",
        "heartbeat",
        "last_sent",
        "pending",
        "server_paced",
        "sink",
        "throttle",
    )

    def __init__(
        self, backend: Backend, sink: EventSink, throttle: float, heartbeat: float
    ) -> None:
        self._backend = backend
        self.sink = sink
        self.throttle = throttle
        self.heartbeat = heartbeat
        #: Neither interval: every event goes straight to the queue.
        self.direct = not throttle and not heartbeat
        #: Its feed carries its intervals (it is alone on its pairs): the server
        #: paces its events and each goes straight to the queue.
        self.server_paced = False
        self.fanouts: list[Fanout] = []
        #: Pairs whose initial event has not come yet.
        self.fresh: set[Route] = set()
        #: The newest event of each pair held back by the throttle.
        self.pending: dict[Route, Event] = {}
        self.last_sent = 0.0
        self._task: TaskHandle | None = None
        self._started = False
        self._waiter: Waiter | None = None
        self._due: float | None = None

    # ------------------------------------------------------------------ membership

    def attach(self, fanout: Fanout, *, joining: bool = False) -> None:
        """Cover *fanout*'s pair; its cached value, if any, is this pacer's initial event.

        *joining*: the pair's feed is being subscribed again as an every-change feed;
        the new feed's first event of the pair is this pacer's initial event."""
        if fanout in self.fanouts:
            return
        self.fanouts.append(fanout)
        last = fanout.last
        if joining:
            fanout.joiners.append(self)
            self.fresh.add(fanout.route)
            return
        fanout.add(self)
        if last is None:
            self.fresh.add(fanout.route)
        else:
            self._initial(fanout.route, last)
        if not self.direct:
            self._wake(0.0)  # the heartbeat counts again (after a reconnection too)

    def pace_on_server(self, on: bool) -> None:
        """Let the server pace this pacer's events (its feed carries its intervals),
        or pace them here from now on, counting from when it last delivered. Called
        before :meth:`attach` (the feed is new), or when another subscription comes
        to share the feed."""
        if on == self.server_paced or self.direct:
            return
        self.server_paced = on
        for fanout in self.fanouts:
            fanout.refresh(self)
        if on:
            self._halt()
        else:
            self._spawn()

    def detach(self) -> list[Fanout]:
        """Leave every pair (stop, connection lost); returns the fanouts left."""
        fanouts, self.fanouts = self.fanouts, []
        for fanout in fanouts:
            fanout.remove(self)
        self.pace_on_server(False)
        self.fresh.clear()
        self.pending.clear()
        return fanouts

    def start(self) -> None:
        """Start the timer task (only a pacer that paces in the client has one)."""
        self._started = True
        self._spawn()

    def stop(self) -> None:
        """Stop the timer task."""
        self._started = False
        self._halt()

    def _spawn(self) -> None:
        if self._started and not self.direct and not self.server_paced and self._task is None:
            self._task = self._backend.spawn(self._run, detached=True)

    def _halt(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()

    # ------------------------------------------------------------------ events

    def offer(self, route: Route, event: Event) -> None:
        """An event of one of the pacer's pairs came (called by its fanout; a pacer
        without intervals is skipped: its queue takes the events)."""
        if route in self.fresh:
            self._initial(route, event)
            return
        self.pending[route] = event
        now = time.monotonic()
        if not self.throttle or now >= self.last_sent + self.throttle:
            self._flush(now)
        else:
            self._wake(self.last_sent + self.throttle)

    def passed(self, route: Route, event: Event) -> None:
        """An event the server paced for this pacer alone: straight to the queue."""
        self.fresh.discard(route)
        self.sink.put(event)
        self.last_sent = time.monotonic()

    def initial(self, route: Route, event: Event) -> None:
        """The initial event of a pair this pacer joined (see :meth:`attach`)."""
        self._initial(route, event)
        if not self.direct:
            self._wake(0.0)

    def _initial(self, route: Route, event: Event) -> None:
        """The initial event of a pair: never held back (the server's "force")."""
        self.fresh.discard(route)
        if self.direct:
            self.sink.put(event)
            return
        self.pending.pop(route, None)
        self.sink.put(event)
        self.last_sent = time.monotonic()

    def _flush(self, now: float) -> None:
        pending, self.pending = self.pending, {}
        put = self.sink.put
        for event in pending.values():
            put(event)
        self.last_sent = now

    def _wake(self, due: float) -> None:
        """Make the timer task look again if it sleeps past *due*."""
        waiter = self._waiter
        if waiter is not None and (self._due is None or due < self._due) and not waiter.done():
            waiter.set_result(None)

    def _next_due(self) -> float | None:
        if self.pending:  # a heartbeat only marks pairs: these wait for the throttle
            return self.last_sent + self.throttle
        if self.heartbeat and self.fanouts:
            return self.last_sent + self.heartbeat
        return None

    def _tick(self, now: float) -> None:
        """What is due at *now*: a heartbeat marks every pair with a value; the
        throttle lets the pending events out (as the simulator's ``collect_events``)."""
        if self.heartbeat and now >= self.last_sent + self.heartbeat:
            for fanout in self.fanouts:
                if fanout.last is not None and fanout.route not in self.fresh:
                    self.pending[fanout.route] = fanout.last
            if not self.pending:  # nothing to repeat yet: the next beat counts from now
                self.last_sent = now
        if self.pending and (not self.throttle or now >= self.last_sent + self.throttle):
            self._flush(now)

    async def _run(self) -> None:
        backend = self._backend
        while True:
            now = time.monotonic()
            due = self._next_due()
            if due is not None and due <= now:
                self._tick(now)
                continue
            waiter = self._waiter = backend.create_waiter()
            self._due = due
            try:
                await waiter.wait(None if due is None else due - now)
            except TimeoutError:
                pass
            finally:
                self._waiter = None
