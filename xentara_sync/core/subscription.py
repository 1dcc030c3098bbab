"""Subscriptions of the async clients (asyncio and trio) and their event queue."""

from __future__ import annotations

import collections
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from ..exceptions import RequestTimeout, SubscriptionEnded, UsageError
from ..protocol import arguments as check
from ..protocol.index import Event, attribute_key
from .describe import safe_repr
from .fanout import Pacer
from .interfaces import Backend, EventSink, Waiter
from .settings import DEFAULT_MAX_QUEUE

__all__ = ["EventQueue", "Subscription", "SubscriptionHost"]

#: A consumer draining a backlog yields to the event loop this often.
_CHECKPOINT_EVERY = 64


class SubscriptionHost(Protocol):
    """What a subscription needs of its client (:class:`~xentara_sync.core.client.ClientCore`)."""

    _backend: Backend
    timeout: float

    async def _start_subscription(
        self, subscription: Subscription, sink: EventSink, timeout: float | None
    ) -> uuid.UUID: ...

    async def _stop_subscription(
        self, subscription: Subscription, sink: EventSink, timeout: float | None
    ) -> None: ...


class EventQueue:
    """A bounded event queue for the async flavours.

    Overflow policy: when full, the **oldest** event is dropped (and counted in
    :attr:`dropped`), so a slow consumer always sees the newest values.
    """

    __slots__ = (
        "_backend",
        "_closed",
        "_error",
        "_gets",
        "_items",
        "_waiters",
        "dropped",
        "maxsize",
    )

    def __init__(self, backend: Backend, maxsize: int = DEFAULT_MAX_QUEUE) -> None:
        if maxsize < 1:
            raise ValueError("max_queue must be at least 1")
        self._backend = backend
        self.maxsize = maxsize
        self._items: collections.deque[Event] = collections.deque()
        self._waiters: collections.deque[Waiter] = collections.deque()
        self._closed = False
        self._error: BaseException | None = None
        self._gets = 0
        #: Events lost because the queue was full.
        self.dropped = 0

    def put(self, event: Event) -> None:
        if len(self._items) >= self.maxsize:
            self._items.popleft()
            self.dropped += 1
        self._items.append(event)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def put_many(self, events: list[Event]) -> None:
        """Put *events* in order, as :meth:`put` would put each."""
        items = self._items
        items.extend(events)
        excess = len(items) - self.maxsize
        if excess > 0:
            for _ in range(excess):
                items.popleft()
            self.dropped += excess
        woken = 0
        waiters = self._waiters
        while waiters and woken < len(events):
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                woken += 1

    def close(self, error: BaseException | None) -> None:
        self._closed = True
        self._error = error
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def __len__(self) -> int:
        return len(self._items)

    async def get(self, timeout: float | None) -> Event:
        """The next event; raises :class:`SubscriptionEnded` (or the connection's error)
        once closed and empty, :class:`TimeoutError` after *timeout*."""
        self._gets += 1
        if self._items and self._gets % _CHECKPOINT_EVERY == 0:
            # A backlog must not make the consumer uncancellable (trio's rule).
            await self._backend.checkpoint()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._items:
            if self._closed:
                if self._error is not None:
                    raise self._error
                raise SubscriptionEnded("the subscription has ended")
            waiter = self._backend.create_waiter()
            self._waiters.append(waiter)
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                await waiter.wait(remaining)
            finally:
                if not waiter.done():  # timed out or cancelled: the next put wakes another
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)
        return self._items.popleft()


class Subscription:
    """A subscription of an async client (asyncio or trio).

    An async context manager (enter starts, exit stops) and an async iterator; the
    iteration ends when the subscription is stopped or the client closed, and raises
    if the connection was lost::

        async with client.subscribe("Hardware.Signals.Sine") as sub:
            async for event in sub:
                print(event.name, event.value)

    Every subscription behaves as if it were alone: it gets each event of its keys
    once, its own initial event only, and its own intervals, whatever else subscribes
    to the same elements in the same client (see :mod:`!xentara_sync.core.fanout`).

    *sink_factory* makes the queue of each run (the blocking client gives a
    thread-safe one); by default an :class:`EventQueue` of *max_queue* events.
    """

    def __init__(
        self,
        client: SubscriptionHost,
        keys: tuple[str, ...],
        *,
        maximum_update_interval: int | None,
        minimum_update_interval: int | None,
        attribute: str | int | uuid.UUID,
        max_queue: int,
        sink_factory: Callable[[], EventSink] | None = None,
    ) -> None:
        self._client = client
        self.keys = keys
        self.maximum_update_interval = check.interval(
            maximum_update_interval, "maximum_update_interval"
        )
        self.minimum_update_interval = check.interval(
            minimum_update_interval, "minimum_update_interval"
        )
        if not isinstance(attribute, str):  # a name may need the element's metadata
            attribute_key(attribute)  # a wrong number or type raises now, not when starting
        self.attribute = attribute
        self.max_queue = max_queue
        self._sink_factory = sink_factory or (lambda: EventQueue(client._backend, max_queue))
        self._sink: EventSink = self._sink_factory()
        #: The (element UUID, attribute) pairs routed to this subscription while it runs.
        self.routes: list[tuple[uuid.UUID, Any]] = []
        #: The subscription's id on the server while it runs.
        self.id: uuid.UUID | None = None
        self._active = False
        self._ended = False
        self._interruptions = 0
        #: Paces its events while it runs (set by the client core).
        self._pacer: Pacer | None = None

    @property
    def interruptions(self) -> int:
        """How often the connection was lost while the subscription ran (each loss is a
        gap in its events; the first event after one is a fresh snapshot)."""
        return self._interruptions

    def _interrupted(self) -> None:
        """Called by the client core when the connection is lost."""
        self._interruptions += 1
        if self._pacer is not None:  # nothing comes until the renewal's initial event
            self._pacer.detach()

    @property
    def active(self) -> bool:
        """Whether the subscription is running."""
        return self._active

    @property
    def dropped(self) -> int:
        """Events lost because the queue was full (the oldest are dropped)."""
        return self._sink.dropped

    async def start(self, *, timeout: float | None = None) -> None:
        """Subscribe on the server. Does nothing if already running."""
        if self._active:
            return
        if self._ended:  # restarted: a fresh queue
            self._sink = self._sink_factory()
            self._ended = False
        self.id = await self._client._start_subscription(self, self._sink, timeout)
        self._active = True

    async def stop(self, *, timeout: float | None = None) -> None:
        """Unsubscribe and end the iteration. Does nothing if not running."""
        if not self._active:
            return
        self._active = False
        try:
            await self._client._stop_subscription(self, self._sink, timeout)
        finally:
            self._end(None)

    def _end(self, error: BaseException | None) -> None:
        """The subscription is over (stopped, closed or lost): end its iteration.

        Called by the client core too (the two modules are one layer)."""
        self._active = False
        self._ended = True
        pacer, self._pacer = self._pacer, None
        if pacer is not None:
            pacer.stop()
            pacer.detach()
        self._sink.close(error)

    async def receive(self, timeout: float | None = None) -> Event:
        """The next event; waits at most *timeout* seconds (None: the client's timeout).

        A subscription not started yet is started first, as iteration does. Raises
        :class:`RequestTimeout` when none comes in time, and
        :class:`SubscriptionEnded` once the subscription has ended.
        """
        if not isinstance(self._sink, EventQueue):
            raise UsageError("this subscription delivers its events elsewhere")
        if not self._active and not self._ended:
            await self.start(timeout=timeout)
        sink = self._sink
        assert isinstance(sink, EventQueue)
        wait = self._client.timeout if timeout is None else check.call_timeout(timeout)
        try:
            return await sink.get(wait)
        except TimeoutError:
            raise RequestTimeout(
                f"no event from {', '.join(self.keys)} within {wait:g} s"
            ) from None

    async def __aenter__(self) -> Subscription:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        if not self._active and not self._ended:
            await self.start()
        sink = self._sink
        assert isinstance(sink, EventQueue)
        while True:
            try:
                yield await sink.get(None)
            except SubscriptionEnded:
                return

    @safe_repr
    def __repr__(self) -> str:
        state = "active" if self._active else ("ended" if self._ended else "not started")
        keys = ", ".join(self.keys)
        return f"<Subscription {keys} {state} dropped={self.dropped}>"
