"""Subscriptions of the blocking client: thread-safe iterators and callbacks."""

from __future__ import annotations

import _thread
import collections
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any

from ..core.describe import safe_repr
from ..core.subscription import Subscription as CoreSubscription
from ..core.subscription import SubscriptionHost
from ..exceptions import InvalidArgument, RequestTimeout, SubscriptionEnded
from ..protocol import arguments as check
from ..protocol.index import Event
from ..threads import start as start_thread
from .loop import park_if_exiting, wait_lock

if TYPE_CHECKING:
    from ..core.client import ClientCore as AsyncClient
    from ..toolkit.conditions import Wait

#: Runs a coroutine on the loop thread and waits for it (the client's ``_run``), with
#: a timeout and the name of the call for the timeout's message.
Runner = Callable[[Callable[[], Coroutine[Any, Any, Any]], float | None, str], Any]

__all__ = [
    "Callback",
    "ConnectionCallbacks",
    "Dispatcher",
    "Subscription",
    "ThreadEventQueue",
    "watch",
]

log = logging.getLogger("xentara_sync")

#: A subscription callback: called with each :class:`Event`.
Callback = Callable[[Event], Any]


class ThreadEventQueue:
    """A bounded, thread-safe event queue filled by the loop thread.

    Overflow policy: when full, the oldest event is dropped and counted.

    The loop thread never waits here for anything a user thread holds: a user
    thread can be interrupted anywhere by Ctrl-C, and a lock it held would stay
    held. Events live in a :class:`collections.deque` (atomic appends and pops);
    a waiting reader sleeps on a *bell*, a lock that is held while there is no
    news and that the loop thread releases after each change.
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("max_queue must be at least 1")
        self.maxsize = maxsize
        self._items: collections.deque[Event] = collections.deque()
        self._bell = _thread.allocate_lock()
        self._bell.acquire()
        self._closed = False
        self._error: BaseException | None = None
        self.dropped = 0
        #: Called (on the loop thread) after each put, to wake a dispatcher.
        self.on_put: Callable[[], None] | None = None

    def _ring(self) -> None:
        bell = self._bell
        if not bell.locked():  # already rung and not yet heard (the usual case in a stream)
            return
        try:
            bell.release()
        except RuntimeError:  # rung by another thread meanwhile
            pass

    def put(self, event: Event) -> None:
        items = self._items
        items.append(event)
        if len(items) > self.maxsize:
            try:
                items.popleft()
            except IndexError:  # a reader took it meanwhile
                pass
            else:
                self.dropped += 1
        if self._bell.locked():  # else rung and not yet heard: the usual case in a stream
            self._ring()
        on_put = self.on_put
        if on_put is not None:
            on_put()

    def put_many(self, events: list[Event]) -> None:
        """Put *events* in order, as :meth:`put` would put each, waking the reader once."""
        items = self._items
        items.extend(events)
        excess = len(items) - self.maxsize
        while excess > 0:
            excess -= 1
            try:
                items.popleft()
            except IndexError:  # a reader took them meanwhile
                break
            self.dropped += 1
        if self._bell.locked():
            self._ring()
        on_put = self.on_put
        if on_put is not None:
            on_put()

    @property
    def closed(self) -> bool:
        """Whether the queue was closed (its subscription ended)."""
        return self._closed

    def close(self, error: BaseException | None) -> None:
        self._error = error
        self._closed = True
        self._ring()
        on_put = self.on_put
        if on_put is not None:
            on_put()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, timeout: float | None) -> Event:
        """The next event. Raises :class:`SubscriptionEnded` (or the connection's
        error) once closed and empty, :class:`TimeoutError` after *timeout*."""
        deadline = None if timeout is None else time.monotonic() + timeout
        items = self._items
        while True:
            try:
                event = items.popleft()
            except IndexError:
                pass
            else:
                if items and self._bell.locked():  # more for another reader
                    self._ring()
                return event
            if self._closed:
                self._ring()  # the others waiting see it too
                park_if_exiting()
                if self._error is not None:
                    raise self._error
                raise SubscriptionEnded("the subscription has ended")
            if deadline is None:
                wait_lock(self._bell, None)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            wait_lock(self._bell, remaining)

    def events(self) -> Iterator[Event]:
        """Each event, as :meth:`get` without a timeout gives them, until the queue is
        closed and empty (then the connection's error is raised, or the iteration
        ends). Queued events are taken without a call of :meth:`get` each: a stream."""
        items = self._items
        bell = self._bell
        while True:
            try:
                event = items.popleft()
            except IndexError:
                try:
                    event = self.get(None)
                except SubscriptionEnded:
                    return
            else:
                if items and bell.locked():  # more for another reader
                    self._ring()
            yield event

    def drain(self) -> list[Event]:
        """Every queued event, at once."""
        items = self._items
        drained = []
        try:
            while True:
                drained.append(items.popleft())
        except IndexError:
            return drained


class Dispatcher:
    """One thread that runs the callbacks of a client (its subscriptions' and its
    connection's), in order."""

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[Subscription | Callable[[], object] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        start_thread(self._thread)

    def notify(self, subscription: Subscription) -> None:
        self._queue.put(subscription)

    def call(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on the dispatcher thread (after what is queued)."""
        self._queue.put(fn)

    def relay(self, fn: Callable[..., object]) -> Callable[..., None]:
        """A function that, called on any thread, runs ``fn`` with its arguments on the
        dispatcher thread."""
        return lambda *args: self.call(lambda: fn(*args))

    def drain(self, timeout: float) -> None:
        """Wait (at most *timeout* seconds) until what is queued now has run."""
        drained = threading.Event()
        self.call(drained.set)
        drained.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, Subscription):
                for event in item._queue.drain():
                    item._run_callbacks(event)
                continue
            try:
                item()
            except Exception:
                log.exception("a connection callback failed")

    def in_thread(self) -> bool:
        return threading.get_ident() == self._thread.ident

    def stop(self, timeout: float) -> None:
        self._queue.put(None)
        if not self.in_thread():
            self._thread.join(timeout)


class Subscription:
    """A subscription of the blocking client.

    A context manager (enter starts, exit stops) and an iterator that ends when the
    subscription is stopped or the client closed, and raises if the connection was
    lost::

        with client.subscribe("Hardware.Signals.Sine") as sub:
            for event in sub:
                print(event.value)

    Or callbacks, which run in order on one dispatcher thread of the client::

        sub = client.subscribe("Hardware.Signals.Sine", callback=print)
        sub.start()

    A subscription with callbacks delivers its events to them, not to the iterator.
    Its queue is bounded (``max_queue``); when full, the oldest event is dropped and
    counted in :attr:`dropped`.
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
        run: Runner,
        dispatcher: Callable[[], Dispatcher],
        timeout: float,
        callback: Callback | None = None,
    ) -> None:
        self._run = run
        self._dispatcher = dispatcher
        self._timeout = timeout
        self._callbacks: list[Callback] = []
        self._callbacks_lock = threading.Lock()
        #: Exceptions raised by callbacks (each is logged).
        self.callback_errors = 0
        self._queue = ThreadEventQueue(max_queue)
        self._core = CoreSubscription(
            client,
            keys,
            maximum_update_interval=maximum_update_interval,
            minimum_update_interval=minimum_update_interval,
            attribute=attribute,
            max_queue=max_queue,
            sink_factory=self._next_queue,
        )
        if callback is not None:
            self.add_callback(callback)

    def _next_queue(self) -> ThreadEventQueue:
        """The queue of the next run: the first one, then a fresh one per restart."""
        queue = self._queue
        if queue.closed:
            queue = self._queue = ThreadEventQueue(queue.maxsize)
            if self._callbacks:
                self._connect_dispatcher()
        return queue

    @property
    def keys(self) -> tuple[str, ...]:
        """The subscribed primary keys."""
        return self._core.keys

    @property
    def id(self) -> Any:
        """The subscription's id on the server while it runs."""
        return self._core.id

    @property
    def active(self) -> bool:
        """Whether the subscription is running."""
        return self._core.active

    @property
    def dropped(self) -> int:
        """Events lost because the queue was full."""
        return self._core.dropped

    @property
    def interruptions(self) -> int:
        """How often the connection was lost while the subscription ran (each loss is a
        gap in its events; the first event after one is a fresh snapshot)."""
        return self._core.interruptions

    def start(self, *, timeout: float | None = None) -> None:
        """Subscribe on the server. Does nothing if already running."""
        self._run(
            lambda: self._core.start(timeout=timeout), timeout, f"subscribe {', '.join(self.keys)}"
        )

    def stop(self, *, timeout: float | None = None) -> None:
        """Unsubscribe and end the iteration. Does nothing if not running."""
        self._run(
            lambda: self._core.stop(timeout=timeout), timeout, f"unsubscribe {', '.join(self.keys)}"
        )

    def receive(self, timeout: float | None = None) -> Event:
        """The next event, waiting at most *timeout* seconds (None: the client's timeout).

        A subscription not started yet is started first, as iteration does. Raises
        :class:`RequestTimeout` (a :class:`TimeoutError`) when none comes in time and
        :class:`SubscriptionEnded` once the subscription has ended.
        """
        if not self._core.active and not self._queue.closed:
            self.start(timeout=timeout)
        wait = self._timeout if timeout is None else check.call_timeout(timeout)
        try:
            return self._queue.get(wait)
        except TimeoutError:
            raise RequestTimeout(
                f"no event from {', '.join(self.keys)} within {wait:g} s"
            ) from None

    def __iter__(self) -> Iterator[Event]:
        if not self._core.active and not self._queue.closed:
            self.start()
        yield from self._queue.events()

    def __enter__(self) -> Subscription:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._core.active:  # ended already (stopped, closed or lost)
            return
        self.stop()

    # ------------------------------------------------------------------ callbacks

    def add_callback(self, callback: Callback) -> None:
        """Call *callback(event)* for every event, on the client's dispatcher thread."""
        if not callable(callback):
            raise InvalidArgument(f"callback must be a callable, not {callback!r:.80}")
        with self._callbacks_lock:
            self._callbacks.append(callback)
        self._connect_dispatcher()

    def remove_callback(self, callback: Callback) -> None:
        """Stop calling *callback*; raises :class:`ValueError` if it was not added."""
        with self._callbacks_lock:
            self._callbacks.remove(callback)
            if not self._callbacks:
                self._queue.on_put = None

    def _connect_dispatcher(self) -> None:
        dispatcher = self._dispatcher()
        self._queue.on_put = lambda: dispatcher.notify(self)
        if len(self._queue):
            dispatcher.notify(self)

    def _run_callbacks(self, event: Event) -> None:
        with self._callbacks_lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:
                self.callback_errors += 1
                log.exception("a callback of the subscription to %s failed", ", ".join(self.keys))

    @safe_repr
    def __repr__(self) -> str:
        return repr(self._core).replace("<Subscription", "<xentara_sync.Subscription", 1)


class ConnectionCallbacks:
    """The blocking client's connection callbacks: each runs on the client's
    dispatcher thread, never on the loop thread, in the order of the events."""

    def __init__(self, client: AsyncClient, dispatcher: Callable[[], Dispatcher]) -> None:
        self._client = client
        self._dispatcher = dispatcher
        self._lock = threading.Lock()
        self._relays: list[tuple[Callable[[bool], object], Callable[[bool], None]]] = []

    def add(self, callback: Callable[[bool], object]) -> None:
        """Call ``callback(connected)`` on the dispatcher thread."""
        if not callable(callback):
            raise InvalidArgument(f"callback must be a callable, not {callback!r:.80}")
        dispatcher = self._dispatcher()

        def relay(connected: bool) -> None:  # on the loop thread: hand it on
            dispatcher.call(lambda: callback(connected))

        with self._lock:
            self._relays.append((callback, relay))
        self._client.add_connection_callback(relay)

    def remove(self, callback: Callable[[bool], object]) -> None:
        """Stop calling *callback*; raises :class:`ValueError` if it was not added."""
        with self._lock:
            found = [pair for pair in self._relays if pair[0] is callback]
            if not found:
                raise ValueError(f"{callback!r} is not a connection callback of this client")
            self._relays.remove(found[0])
        self._client.remove_connection_callback(found[0][1])


def watch(subscription: Subscription, watch: Wait) -> Event:
    """Start *subscription* (of every change of one key) and show *watch* (a
    :class:`~xentara_sync.toolkit.conditions.Wait` or ``Hold``) its events, in this
    thread, until it is over; returns its result, and stops the subscription
    (see :meth:`xentara_sync.core.client.ClientCore._watch`)."""
    __tracebackhide__ = True  # pytest: a failure shows the caller's line
    subscription.start(timeout=watch.next_wait())
    try:
        while (left := watch.next_wait()) is not None:
            try:
                event: Event | None = subscription.receive(left)
            except TimeoutError:  # RequestTimeout: no event in the time left
                event = None
            watch.take(event)
        return watch.result()
    finally:
        if subscription.active:
            subscription.stop()
