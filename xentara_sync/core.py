"""The client's behaviour, written once for every flavour: the documented API.

:class:`ClientCore` is the Xentara client independent of the event loop. Each method
asks the connection's :class:`~xentara_sync.protocol.session.ClientSession` for the
operation's :class:`~xentara_sync.protocol.plans.Plan` (the session builds requests
and reads answers; nothing here parses or frames) and awaits it through
:class:`~xentara_sync.connection.Connection`. The flavours
(:mod:`xentara_sync.aio`, :mod:`xentara_sync.trio`) supply a
:class:`~xentara_sync.interfaces.Backend` and are otherwise this class.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from .conditions import Condition, Hold, Wait
from .connection import DEFAULT_TIMEOUT, Connection
from .element import Element
from .exceptions import (
    ConnectionClosed,
    ConnectionLost,
    InvalidArgument,
    InvalidStageChange,
    MissingAttribute,
    RecordingInterrupted,
    RequestTimeout,
    SubscriptionEnded,
    UnknownElement,
    XentaraError,
)
from .fanout import Fanout, Feed, Hub, Pacer, Route
from .interfaces import EventSink
from .model import ElementInfo, ElementMetadata, ServerInfo
from .protocol import Category, Opcode, Stage
from .protocol import arguments as check
from .protocol.plans import Plan, attribute_list
from .protocol.quoting import quote
from .protocol.session import ClientSession
from .secret import hide
from .subscription import DEFAULT_MAX_QUEUE, Subscription
from .subsession import Certificate, SubSession

if TYPE_CHECKING:
    from .model import Event
    from .recording import AsyncRecorder, Recording
    from .snapshot import SnapshotResult

log = logging.getLogger("xentara_sync")

__all__ = [
    "DEFAULT_MAX_QUEUE",
    "DEFAULT_TIMEOUT",
    "ClientCore",
    "key_list",
    "subscription_keys",
    "write_many_values",
]


def _stage_name(stage: Stage | int) -> str:
    """A stage as messages name it: ``post_operational``, or the number if unknown."""
    return stage.name.lower() if isinstance(stage, Stage) else str(stage)


class ClientCore(Connection):
    """The Xentara client, independent of the event loop.

    See :class:`xentara_sync.aio.XentaraClient` for the documented API; the flavours
    add only their :class:`~xentara_sync.interfaces.Backend`.
    """

    #: The shared server subscriptions of the current connection.
    _hub: Hub | None = None

    # ------------------------------------------------------------------ names

    def element_info(self, key: str) -> ElementInfo:
        """UUID and category of a known element; raises :class:`UnknownElement`."""
        session = self._session
        if session is None:
            raise UnknownElement(operation="find", element=key)
        return session.element_info(key)

    async def _resolve(
        self, session: ClientSession, key: str, timeout: float | None
    ) -> tuple[ElementInfo, int | uuid.UUID | None]:
        """The element a key names on *session*, and the attribute if the key ends with
        one (``"Hardware.Sensor.quality"``, ``"Plant.Speed.units"``: a well-known name,
        or one the element's metadata lists). Unknown keys are looked up on the server."""
        found = session.known(key)
        if found is not None:
            return found
        try:
            info = await self._execute(session, session.plan_lookup(key), timeout)
        except UnknownElement:
            prefix, _, last = key.rpartition(".")
            if prefix:
                try:
                    element, attribute = await self._resolve(session, prefix, timeout)
                except UnknownElement:
                    pass
                else:
                    if attribute is None:
                        wire = await self._attribute_wire(session, element, last, prefix, timeout)
                        if wire is not None:
                            session.remember_attribute(key, element, wire)
                            return element, wire
            raise session.unknown(key, "lookup") from None
        return info, None

    async def _attribute_wire(
        self,
        session: ClientSession,
        element: ElementInfo,
        attribute: str | int | uuid.UUID,
        key: str,
        timeout: float | None,
    ) -> int | uuid.UUID | None:
        """The wire key of *attribute* of *element*, its metadata asked for if need be;
        None if the element has no attribute of that name."""
        try:
            wire = session.attribute_wire(element, attribute, key, "read")
            if wire is None:
                await self._element_metadata(session, element, key, timeout)
                wire = session.attribute_wire(element, attribute, key, "read")
        except MissingAttribute:
            return None
        return wire

    # ------------------------------------------------------------------ mapping

    def __getitem__(self, key: str) -> Element:
        """The element *key* (a primary key under the root, or one looked up before)."""
        self.element_info(key)
        return Element(self, key)

    def _index_keys(self) -> Iterable[str]:
        session = self._session
        return session.index if session is not None else ()

    def __contains__(self, key: object) -> bool:
        session = self._session
        return session is not None and key in session.index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index_keys())

    def __len__(self) -> int:
        return self._element_count()

    def keys(self) -> list[str]:
        """Primary keys of every element under the root, in model order."""
        return list(self._index_keys())

    def values(self) -> list[Element]:
        """An :class:`Element` for every element under the root."""
        return [Element(self, key) for key in self._index_keys()]

    def items(self) -> list[tuple[str, Element]]:
        """``(primary key, Element)`` for every element under the root."""
        return [(key, Element(self, key)) for key in self._index_keys()]

    def elements(self, category: Category | str | None = None) -> list[ElementInfo]:
        """UUID and category of every element under the root, optionally of one category.

        *category* is a :class:`~xentara_sync.protocol.Category` or its name
        (``"data_point"``, ``"DATA_POINT"``); an unknown one raises :class:`ValueError`.
        """
        wanted = None if category is None else Category.parse(category)
        session = self._session
        if session is None:
            return []
        if wanted is None:
            return list(session.index.values())
        return [e for e in session.index.values() if e.category == wanted]

    # ------------------------------------------------------------------ reading

    async def read(
        self,
        key: str,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> Any:
        """The current value of element *key* (or of another *attribute*).

        ``key`` may also end with an attribute name: ``"Hardware.Sensor.quality"``.
        """
        session = await self._ready(timeout)
        # The hot path (a known key) plans without another coroutine.
        plan = session.plan_read(key, attribute) or await self._read_plan(
            session, key, attribute, timeout
        )
        return await self._execute(session, plan, timeout)

    async def _read_plan(
        self,
        session: ClientSession,
        key: str,
        attribute: str | int | uuid.UUID,
        timeout: float | None,
    ) -> Plan:
        """The plan of a read on *session*, the key looked up first if need be."""
        plan = session.plan_read(key, attribute)
        if plan is None:  # not known here: look it up first
            element = await self._resolve(session, key, timeout)
            plan = session.plan_read(key, attribute, element=element)
            if plan is None:  # an attribute name only the element's metadata lists
                await self._element_metadata(session, element[0], key, timeout)
                plan = session.plan_read(key, attribute, element=element)
        assert plan is not None
        return plan

    async def read_attributes(
        self,
        key: str,
        attributes: Iterable[str | int | uuid.UUID] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[Any, Any]:
        """Several attributes of one element in one request.

        *attributes* defaults to value, quality, change time and update time; the
        result is keyed by the attributes as given. A failing attribute raises.
        """
        session = await self._ready(timeout)
        element, _ = await self._resolve(session, key, timeout)
        if attributes is not None:
            attributes = attribute_list(attributes)
        plan = session.plan_read_attributes(key, element, attributes)
        if plan is None:  # names only the element's metadata lists
            await self._element_metadata(session, element, key, timeout)
            plan = session.plan_read_attributes(key, element, attributes)
        assert plan is not None
        return await self._execute(session, plan, timeout)  # type: ignore[no-any-return]

    async def read_many(
        self,
        keys: Iterable[str],
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """The values of many elements, read in one message: ``{key: value}``.

        The first failing element raises (its error names it).
        """
        keys = key_list(keys, "read_many")
        session = await self._ready(timeout)
        plan = session.plan_read_many(keys, attribute)
        if plan is None:
            elements = [await self._resolve(session, key, timeout) for key in keys]
            plan = session.plan_read_many(keys, attribute, elements=elements)
            if plan is None:  # an attribute name only the elements' metadata lists
                for key, (element, _) in zip(keys, elements, strict=True):
                    await self._element_metadata(session, element, key, timeout)
                plan = session.plan_read_many(keys, attribute, elements=elements)
        assert plan is not None
        return await self._execute(session, plan, timeout)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ metadata

    async def metadata(self, key: str, *, timeout: float | None = None) -> ElementMetadata:
        """The element's category and attributes (names, access, data types)."""
        session = await self._ready(timeout)
        element, _ = await self._resolve(session, key, timeout)
        return await self._element_metadata(session, element, key, timeout)

    async def _element_metadata(
        self, session: ClientSession, element: ElementInfo, key: str, timeout: float | None
    ) -> ElementMetadata:
        cached = session.metadata(element.uuid)
        if cached is not None:
            return cached
        plan = session.plan_metadata(key, element)
        return await self._execute(session, plan, timeout)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ writing

    async def write(
        self,
        key: str,
        value: Any,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> None:
        """Write *value* to element *key* (or to another *attribute*).

        The value is checked against the attribute's access and data type first
        (:class:`ReadOnly`, :class:`TypeMismatch`, :class:`OutOfRange`); a write
        that cannot succeed never leaves the client.
        """
        session = await self._ready(timeout)
        await self._write(session, key, value, attribute, timeout)

    async def _write(
        self,
        session: ClientSession,
        key: str,
        value: Any,
        attribute: str | int | uuid.UUID,
        timeout: float | None,
        sub_session: uuid.UUID | None = None,
    ) -> None:
        """A write on *session*, as the connection's user or a sub-session's."""
        plan = session.plan_write(key, value, attribute, sub_session=sub_session)
        if plan is None:  # the name or the metadata must be asked for first
            element = await self._resolve(session, key, timeout)
            await self._element_metadata(session, element[0], key, timeout)
            plan = session.plan_write(
                key, value, attribute, element=element, sub_session=sub_session
            )
        assert plan is not None
        await self._execute(session, plan, timeout)

    # ------------------------------------------------------------------ testing toolkit

    async def wait_until(
        self,
        key: str,
        condition: Condition,
        *,
        timeout: float | None = None,
        attribute: str | int | uuid.UUID = "value",
    ) -> Event:
        """Wait until element *key*'s value (or another *attribute*) meets *condition*;
        returns the :class:`~xentara_sync.Event` that met it.

        *condition* is a value (met when the value equals it) or a callable
        predicate (met when it returns something true; an exception it raises
        propagates; a str also matches an enum member by name, case-insensitively).
        The wait subscribes to every change, without polling; the current value
        counts, so a condition that holds already returns at once, even with
        ``timeout=0`` (the first event may take up to the client's timeout).
        After *timeout* seconds (``None``: the client's timeout) it raises
        :class:`~xentara_sync.ConditionNotMet` (a :class:`TimeoutError` and an
        :class:`AssertionError`), which names the last value seen and its time.
        A value in error raises what :meth:`read` raises (:class:`WriteOnly`...)
        at once; a negative or NaN *timeout* raises :class:`InvalidArgument`.
        """
        __tracebackhide__ = True  # pytest: a failure shows the caller's line
        wait = Wait(key, condition, self.timeout if timeout is None else timeout, self.timeout)
        # Every change, unthrottled and without heartbeats. The current value is the
        # event the server sends right after the subscribe succeeds (the protocol
        # decision "Initial event" of docs/protocol.rst; the reference, §11 and
        # §13.2, leaves it open for a real Xentara).
        subscription = self.subscribe(key, None, None, attribute=attribute)
        await subscription.start(timeout=wait.remaining())
        try:
            while True:
                try:
                    event = await subscription.receive(wait.remaining())
                except RequestTimeout:
                    raise wait.failure() from None
                if wait.check(event):
                    return event
        finally:
            await subscription.stop()

    async def write_many(self, values: Mapping[str, Any], *, timeout: float | None = None) -> None:
        """Write ``{key: value, ...}`` in one message.

        Every value is checked against its attribute's access and data type before
        anything is sent: one bad value raises (:class:`TypeMismatch`,
        :class:`OutOfRange`, :class:`ReadOnly`...) and nothing is written. If the
        server refuses some writes, :class:`~xentara_sync.WriteError` names each
        failed key (``errors``); the other keys were written.
        """
        values = write_many_values(values)
        if not values:
            return
        session = await self._ready(timeout)
        plan = session.plan_write_many(values)
        if plan is None:  # names or metadata must be asked for first
            elements = {}
            for key in values:
                element = await self._resolve(session, key, timeout)
                await self._element_metadata(session, element[0], key, timeout)
                elements[key] = element
            plan = session.plan_write_many(values, elements=elements)
        assert plan is not None
        await self._execute(session, plan, timeout)

    async def hold(
        self,
        key: str,
        condition: Condition,
        *,
        seconds: float,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> Event:
        """Check that element *key*'s value (or another *attribute*) meets
        *condition* for *seconds*; returns the last :class:`~xentara_sync.Event`
        checked.

        *condition* is what :meth:`wait_until` takes (a value or a predicate). The
        current value is checked first, then every change, until *seconds* after
        the current value came. The first value that does not meet it raises
        :class:`~xentara_sync.ConditionBroken` (an :class:`AssertionError`), which
        names it, its time stamp and how far into the hold it came. *timeout*
        (``None``: the client's timeout) bounds the wait for the current value
        (:class:`RequestTimeout`). A value in error raises what :meth:`read`
        raises::

            await client.hold("Hardware.Registers.Enable", True, seconds=2)
            await client.hold("Hardware.Signals.Sine", lambda v: -100 <= v <= 100, seconds=5)
        """
        __tracebackhide__ = True  # pytest: a failure shows the caller's line
        hold = Hold(
            key, condition, seconds, self.timeout if timeout is None else timeout, self.timeout
        )
        subscription = self.subscribe(key, None, None, attribute=attribute)
        first = hold.remaining()
        await subscription.start(timeout=first)
        try:
            while (wait := hold.remaining()) is not None:
                try:
                    event = await subscription.receive(wait)
                except RequestTimeout:  # hold.remaining() decides: over, or no value
                    continue
                if not hold.check(event):
                    raise hold.broken(event)
            assert hold.last is not None
            return hold.last
        finally:
            await subscription.stop()

    async def record(
        self,
        keys: str | Iterable[str],
        *,
        seconds: float | None = None,
        count: int | None = None,
        max_events: int | None = None,
        to: str | os.PathLike[str] | None = None,
    ) -> Recording:
        """Record every value change of *keys* for *seconds*, or until *count* events
        (whichever comes first; at least one is needed).

        The :class:`~xentara_sync.recording.Recording` starts with each key's current
        value; it writes CSV, a pandas DataFrame or a plot, in time order. With
        *count* alone, each event must come within the client's timeout of the one
        before (:class:`RequestTimeout` otherwise). At most *max_events* are kept in
        memory (None: :data:`~xentara_sync.recording.DEFAULT_MAX_EVENTS`; the rest
        are counted in ``dropped``). Ctrl-C raises
        :class:`~xentara_sync.RecordingInterrupted`, whose ``recording`` holds what
        was recorded.

        *to* (a path ending in ``.csv``, ``.parquet`` or ``.tdms``) streams the
        events to that file as they come, flushed at least every second, and keeps
        none in memory unless *max_events* is given (see
        :mod:`xentara_sync.recordfile`)::

            recording = await client.record(keys, seconds=600, to="run.parquet")
            frame = recording.to_dataframe()    # read back from run.parquet
        """
        from .recording import Limits, Recording, interrupted_by_ctrl_c

        subscription = self.subscribe(subscription_keys(keys, "record"), None, None)
        limits = Limits(subscription.keys, seconds, count, self.timeout)
        recording = Recording(subscription.keys, max_events=max_events, to=to)
        try:
            recording.begin()
            await subscription.start()
            try:
                limits.start()
                while (wait := limits.next_wait(recording.received)) is not None:
                    try:
                        event = await subscription.receive(wait)
                    except RequestTimeout:  # the limits decide: over, or too quiet
                        continue
                    recording.add(event)
                    limits.recorded()
            finally:
                await subscription.stop()
        except BaseException as exc:
            if interrupted_by_ctrl_c(exc):
                raise RecordingInterrupted(recording) from exc
            raise
        finally:
            recording.finish()
        return recording

    def recorder(
        self,
        keys: str | Iterable[str],
        *,
        max_events: int | None = None,
        to: str | os.PathLike[str] | None = None,
    ) -> AsyncRecorder:
        """Record every value change of *keys* in the background while a block runs::

            async with client.recorder(["Hardware.Signals.Sine"]) as recording:
                await client.write("Hardware.Registers.Setpoint", 2.5)
                ...
            recording.plot("run.png")

        The :class:`~xentara_sync.recording.Recording` fills as the events come
        (each key's current value first) and keeps what it got when the block ends,
        whether it ends normally, by an exception or by Ctrl-C. At most *max_events*
        are kept in memory (None: :data:`~xentara_sync.recording.DEFAULT_MAX_EVENTS`;
        the rest are counted in ``dropped``). *to* streams the events to a file as
        :meth:`record` does.
        """
        from .recording import AsyncRecorder

        return AsyncRecorder(self, subscription_keys(keys, "recorder"), max_events, to)

    # ------------------------------------------------------------------ subscriptions

    def subscribe(
        self,
        key: str | Iterable[str],
        maximum_update_interval: int | None = 500,
        minimum_update_interval: int | None = 1000,
        *,
        attribute: str | int | uuid.UUID = "value",
        max_queue: int | None = None,
    ) -> Subscription:
        """A subscription to one element's value (or to several elements).

        *maximum_update_interval* (ms) throttles: at most one event per interval.
        *minimum_update_interval* (ms) is a heartbeat: at least one event per
        interval, changed or not. ``None`` or 0 leaves either out. Nothing is sent
        before the subscription starts (``async with``, ``start()`` or iteration).
        """
        return Subscription(
            self,
            subscription_keys(key),
            maximum_update_interval=maximum_update_interval,
            minimum_update_interval=minimum_update_interval,
            attribute=attribute,
            max_queue=check.count(max_queue, "max_queue", none=True) or self.max_queue,
        )

    async def _start_subscription(
        self, subscription: Subscription, sink: EventSink, timeout: float | None
    ) -> uuid.UUID:
        """Subscribe; returns the subscription's id.

        Its events go through a :class:`~xentara_sync.fanout.Pacer` of its own, which
        keeps its intervals whatever else covers the same attributes (see
        :mod:`!xentara_sync.fanout`).
        """
        session = await self._ready(timeout)
        subscription_id = uuid.uuid4()
        pacer = Pacer(
            self._backend,
            sink,
            (subscription.maximum_update_interval or 0) / 1000,
            (subscription.minimum_update_interval or 0) / 1000,
        )
        subscription._pacer = pacer
        try:
            await self._subscribe(session, subscription, pacer, subscription_id, timeout)
        except BaseException:
            subscription._pacer = None
            raise
        pacer.start()
        self._subscriptions[subscription] = sink
        return subscription_id

    def _hub_of(self, session: ClientSession) -> Hub:
        """The fanouts and feeds of *session* (a new connection starts with none)."""
        hub = self._hub
        if hub is None or hub.session is not session:
            hub = self._hub = Hub(session)
        return hub

    async def _subscribe(
        self,
        session: ClientSession,
        subscription: Subscription,
        pacer: Pacer,
        subscription_id: uuid.UUID,
        timeout: float | None,
    ) -> None:
        """Cover the subscription's attributes: those no feed of the connection covers
        yet get a new feed (one server subscription, id *subscription_id*); the others
        are shared (the rule of docs/protocol.rst, "Several subscriptions of one
        client"). A subscription alone on all its pairs gets a feed with its own
        intervals, paced by the server; a feed it comes to share that is paced so is
        subscribed again for every change first."""
        elements = [(await self._resolve(session, key, timeout))[0] for key in subscription.keys]
        wires = await self._subscribed_keys(session, subscription, elements, timeout)
        hub = self._hub_of(session)
        routes = [(element.uuid, wire) for element, wire in zip(elements, wires, strict=True)]
        subscription.routes = routes
        new: dict[Route, tuple[str, ElementInfo]] = {}
        for key, element, route in zip(subscription.keys, elements, routes, strict=True):
            if route not in hub.fanouts and route not in new:
                new[route] = (key, element)
        # Feeds paced for one other subscription that this one comes to share.
        paced = list(
            {
                id(fanout.feed): fanout.feed
                for route in routes
                if (fanout := hub.fanouts.get(route)) is not None
                and fanout.feed.intervals is not None
            }.values()
        )
        intervals = None
        if len(new) == len(set(routes)) and not pacer.direct:
            intervals = (
                subscription.maximum_update_interval,
                subscription.minimum_update_interval,
            )
        pacer.pace_on_server(intervals is not None)
        feed = None
        if new:
            feed = Feed(
                subscription_id,
                [key for key, _ in new.values()],
                [element for _, element in new.values()],
                [wire for _, wire in new],
                intervals,
            )
            # Route before asking: the initial event may arrive right behind the response.
            for route in new:
                fanout = hub.fanouts[route] = Fanout(route, feed)
                feed.fanouts.append(fanout)
                session.add_routes((route,), fanout)
        for shared in paced:
            self._unpace(shared)
            self._backend.spawn(partial(self._resubscribe, session, shared, timeout))
        for route in routes:
            fanout = hub.fanouts[route]
            pacer.attach(fanout, joining=fanout.feed.renewing)
        try:
            if feed is not None:
                plan = session.plan_subscribe(
                    feed.keys,
                    feed.elements,
                    list(feed.wires),
                    feed.id,
                    *(intervals or (None, None)),
                )
                await self._execute(session, plan, timeout)
                feed.settle(None)
            feeds = {id(f.feed): f.feed for f in pacer.fanouts}
            await self._shared_feeds_ready(session, subscription, feeds.values(), timeout)
        except BaseException as exc:
            if feed is not None and not feed.ready:
                feed.settle(exc if isinstance(exc, Exception) else _cancelled(subscription))
                self._drop_feed(session, hub, feed)
            unused = self._leave(session, hub, pacer)
            if unused:  # confirmed, yet nobody uses them now: end them on the server
                self._backend.spawn(lambda: self._unsubscribe(session, unused, timeout, quiet=True))
            raise

    def _unpace(self, feed: Feed) -> None:
        """*feed* is paced by the server for one subscription and another comes to share
        it: from now on it is an every-change feed and its pacers pace in the client
        (continuing from when they last delivered)."""
        feed.intervals = None
        feed.renewing = True
        for pacer in feed.pacers():
            pacer.pace_on_server(False)

    async def _resubscribe(self, session: ClientSession, feed: Feed, timeout: float | None) -> None:
        """Subscribe *feed* again for every change, once its first subscribe is
        confirmed: unsubscribe it, then subscribe its pairs anew under a new id,
        without intervals. The server's initial event that follows is no change for
        those that had the pair's last event (see :class:`~xentara_sync.fanout.Fanout`).

        A task of the connection, so that a subscription whose start is cancelled
        meanwhile leaves no feed half renewed; the subscriptions that share the feed
        wait for it (:meth:`_shared_feeds_ready`)."""
        keys = ", ".join(feed.keys)
        try:
            await self._feeds_ready(session, [feed], timeout, keys, renewal=False)
            feed.ready = False
            await self._execute(session, session.plan_unsubscribe(feed.keys, feed.id), timeout)
            feed.id = uuid.uuid4()
            for fanout in feed.fanouts:
                fanout.settling = True
            plan = session.plan_subscribe(
                feed.keys, feed.elements, list(feed.wires), feed.id, None, None
            )
            await self._execute(session, plan, timeout)
        except BaseException as exc:
            feed.renewing = False
            if feed.error is None:
                error = (
                    exc
                    if isinstance(exc, Exception)
                    else ConnectionClosed(f"subscribing {keys} for every change was cancelled")
                )
                feed.settle(error)
            if isinstance(exc, Exception):
                log.info("subscribing %s for every change failed: %s", keys, exc)
                return
            raise
        feed.renewing = False
        feed.settle(None)
        if feed.unused():  # every subscription on it stopped meanwhile
            await self._unsubscribe(session, [feed], timeout, quiet=True)

    async def _shared_feeds_ready(
        self,
        session: ClientSession,
        subscription: Subscription,
        feeds: Iterable[Feed],
        timeout: float | None,
    ) -> None:
        """Wait until the server confirmed the feeds another subscription is starting
        (or subscribing again for every change)."""
        await self._feeds_ready(session, feeds, timeout, ", ".join(subscription.keys))

    async def _feeds_ready(
        self,
        session: ClientSession,
        feeds: Iterable[Feed],
        timeout: float | None,
        keys: str,
        *,
        renewal: bool = True,
    ) -> None:
        """Wait until *feeds* are confirmed (and, with *renewal*, subscribed again for
        every change if they are being so); raise the error of one that failed."""
        wait = self.timeout if timeout is None else timeout
        deadline = None if wait is None else time.monotonic() + wait
        for feed in feeds:
            while (not feed.ready or (renewal and feed.renewing)) and feed.error is None:
                waiter = self._backend.create_waiter()
                feed.waiters.append(waiter)
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    await waiter.wait(left)
                except TimeoutError:
                    raise session.timeout_error("subscribe", keys, wait) from None
            if feed.error is not None:
                raise feed.error

    def _drop_feed(self, session: ClientSession, hub: Hub, feed: Feed) -> None:
        """Stop routing the pairs of *feed* (unused, or refused by the server)."""
        for fanout in feed.fanouts:
            if hub.fanouts.get(fanout.route) is fanout:
                del hub.fanouts[fanout.route]
            session.remove_routes((fanout.route,), fanout)

    def _leave(self, session: ClientSession, hub: Hub, pacer: Pacer) -> list[Feed]:
        """Take *pacer* off its pairs; returns the confirmed feeds nobody uses any more."""
        unused: list[Feed] = []
        for fanout in pacer.detach():
            feed = fanout.feed
            if feed not in unused and feed.unused():
                unused.append(feed)
        for feed in unused:
            self._drop_feed(session, hub, feed)
        return [feed for feed in unused if feed.ready]

    async def _subscribed_keys(
        self,
        session: ClientSession,
        subscription: Subscription,
        elements: list[ElementInfo],
        timeout: float | None,
    ) -> list[int | uuid.UUID]:
        """Each element's wire key of the subscription's attribute (a name only an
        element's metadata lists is found there; :class:`MissingAttribute` if not)."""
        wires: list[int | uuid.UUID] = []
        for key, element in zip(subscription.keys, elements, strict=True):
            wire = session.attribute_wire(element, subscription.attribute, key, "subscribe")
            if wire is None:
                await self._element_metadata(session, element, key, timeout)
                wire = session.attribute_wire(element, subscription.attribute, key, "subscribe")
            assert wire is not None
            wires.append(wire)
        return wires

    async def _renew_subscriptions(self) -> None:
        """Subscribe again with the same ids: keys are looked up anew (a restarted
        server may give elements new UUIDs); a key that is gone ends its subscription
        with :class:`UnknownElement`."""
        session = self._check_open()
        for subscription in list(self._subscriptions):
            pacer = subscription._pacer
            if pacer is None:
                continue
            pacer.detach()
            subscription_id = subscription.id or uuid.uuid4()
            try:
                await self._subscribe(
                    session, subscription, pacer, subscription_id, self.connect_timeout
                )
            except UnknownElement as exc:
                self._subscriptions.pop(subscription, None)
                subscription._end(exc)

    async def _stop_subscription(
        self, subscription: Subscription, sink: EventSink, timeout: float | None
    ) -> None:
        """Leave the shared pairs; unsubscribe the feeds nobody uses any more (if the
        connection is still there)."""
        self._subscriptions.pop(subscription, None)
        pacer, subscription._pacer = subscription._pacer, None
        if pacer is None:
            return
        pacer.stop()
        session = self._session
        hub = self._hub
        if session is None or hub is None or hub.session is not session:
            pacer.detach()
            return
        await self._unsubscribe(session, self._leave(session, hub, pacer), timeout)

    async def _unsubscribe(
        self,
        session: ClientSession,
        feeds: list[Feed],
        timeout: float | None,
        *,
        quiet: bool = False,
    ) -> None:
        """End *feeds* on the server (if the connection is still there); *quiet*: in
        the background, where nobody could take an error."""
        for feed in feeds:
            if not self.connected or session is not self._session:
                return
            try:
                await self._execute(session, session.plan_unsubscribe(feed.keys, feed.id), timeout)
            except ConnectionClosed:
                pass
            except XentaraError as exc:
                if not quiet:
                    raise
                log.info("unsubscribing %s failed: %s", ", ".join(feed.keys), exc)

    # ------------------------------------------------------------------ server

    async def server_information(self, *, timeout: float | None = None) -> ServerInfo:
        """Version, user name and model file path of the server."""
        session = await self._ready(timeout)
        return await self._execute(session, session.plan_server_information(), timeout)  # type: ignore[no-any-return]

    async def get_stage(self, *, timeout: float | None = None) -> Stage | int:
        """The server's operational stage (:class:`~xentara_sync.protocol.Stage`)."""
        session = await self._ready(timeout)
        return await self._execute(session, session.plan_get_stage(), timeout)  # type: ignore[no-any-return]

    # ------------------------------------------------------------ browse, stages, sub-sessions

    async def browse(
        self,
        key: str | None = None,
        *,
        depth: int | None = None,
        category: Category | str | Iterable[Category | str] | None = None,
        timeout: float | None = None,
    ) -> list[ElementInfo]:
        """The elements below *key*, asked of the server now (``browse``).

        *key* None starts at the client's root element (the model root for
        ``root_element=None``); any other element is looked up if need be. *depth*
        None lists every descendant (Xentara's default); 1 the children, 2 down to
        the grandchildren... *category* (a :class:`~xentara_sync.protocol.Category`,
        its name, or several of them) lists only those categories; the server
        filters. The start element is not listed; the order is the model's. The
        elements seen are remembered: ``client[key]``, reads and writes then find
        them without a look-up, even outside the root. :meth:`keys` still lists
        the root's elements only, as browsed when connecting.
        """
        session = await self._ready(timeout)
        plan = session.plan_browse(key, depth=depth, category=category)
        if plan is None:  # a key outside the index: look it up first
            assert key is not None
            element, attribute = await self._resolve(session, key, timeout)
            if attribute is not None:
                raise session.unknown(key, "browse")
            plan = session.plan_browse(key, depth=depth, category=category, element=element)
        assert plan is not None
        return await self._execute(session, plan, timeout)  # type: ignore[no-any-return]

    async def suspend(self, *, timeout: float | None = None) -> None:
        """Suspend the server (``suspend``); returns once it has left the operational
        stage.

        Xentara numbers only four stages on the WebSocket interface (0 start-up,
        1 pre-operational, 2 operational, 3 post-operational); the suspended stage
        has no documented number, so any stage other than operational counts as
        left (:meth:`get_stage` gives an unknown number as a plain int). A
        connection the server closes after accepting the suspend ends the wait too.
        Raises :class:`InvalidStageChange` in another stage, :class:`AccessDenied`
        if the user may not write, :class:`RequestTimeout` if the server is still
        operational after *timeout*.
        """
        await self._stage_change(await self._ready(timeout), Opcode.SUSPEND, timeout)

    async def resume(self, *, timeout: float | None = None) -> None:
        """Resume a suspended server (``resume``, opcode 9); returns once the server
        is operational again.

        A resume refused while the server is still post-operational (a suspend on
        its way to the suspended stage) is tried again until *timeout*. Raises
        :class:`InvalidStageChange` if the server is not suspended.
        """
        await self._stage_change(await self._ready(timeout), Opcode.RESUME, timeout)

    async def shutdown(self, *, timeout: float | None = None) -> None:
        """Stop the server (``shutdown``); returns once the server accepted it, or
        closed the connection in answer (the expected end of a shutdown).

        The client reconnects if the server comes back (``reconnect=True``), so
        close the client when you are done. Raises :class:`AccessDenied` if the
        user may not (the simulator allows it only when started with
        ``allow_shutdown``).
        """
        await self._stage_change(await self._ready(timeout), Opcode.SHUTDOWN, timeout)

    async def _stage_change(
        self,
        session: ClientSession,
        opcode: Opcode,
        timeout: float | None,
        sub_session: uuid.UUID | None = None,
    ) -> None:
        """Send a stage change; for suspend and resume, return once it is done.

        The server accepts the command at once and then passes an intermediate
        stage: post-operational on the way to suspended, pre-operational on the way
        back (reference, section 4.11 and its note on opcode 9). Suspend is done
        when the server reports any stage but operational (the suspended stage's
        number is not documented), resume when it reports operational. A resume
        sent while a suspend is still post-operational gets -32112 from a server
        that finishes one change before it takes the next: it is sent again while
        the server stays post-operational, so ``suspend(); resume()`` works as
        written.
        """
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        plan = session.plan_stage_change(opcode, sub_session=sub_session)
        if opcode == Opcode.SHUTDOWN:
            try:
                await self._execute(session, plan, timeout)
            except ConnectionLost:
                pass  # the server went away before its answer came: what shutdown does
            return
        if opcode == Opcode.RESUME:
            await self._send_resume(session, plan, deadline, limit)
        else:
            await self._execute(session, plan, timeout)
        pause = 0.002
        while True:
            # Each poll may take the whole timeout: the deadline is checked between
            # answers, so a slow answer is not mistaken for a stage that stayed.
            try:
                stage = await self._execute(session, session.plan_get_stage(), limit)
            except ConnectionLost:
                if opcode == Opcode.SUSPEND:
                    return  # accepted, and the server then closed: it left operation
                raise
            if (stage == Stage.OPERATIONAL) == (opcode == Opcode.RESUME):
                return
            left = deadline - time.monotonic()
            if left <= 0:
                expected = "operational" if opcode == Opcode.RESUME else "any but operational"
                raise RequestTimeout(
                    f"{opcode.name.lower()}: the server was still in stage "
                    f"{_stage_name(stage)} after {limit:g} s (expected {expected}); ask "
                    "get_stage() later, or pass a longer timeout"
                )
            await self._backend.sleep(min(pause, max(left, 0.0)))
            pause = min(pause * 2, 0.05)

    async def _send_resume(
        self, session: ClientSession, plan: Plan, deadline: float, limit: float
    ) -> None:
        """Send *plan* (a resume); again while a suspend is still post-operational,
        and once more when the server reports another stage but operational (the
        suspend may have ended between the refusal and the poll)."""
        pause = 0.002
        another_try = True
        while True:
            try:
                await self._execute(session, plan, limit)
                return
            except InvalidStageChange:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                stage = await self._execute(session, session.plan_get_stage(), limit)
                if stage == Stage.POST_OPERATIONAL:
                    another_try = True
                elif another_try and stage != Stage.OPERATIONAL:
                    another_try = False
                else:
                    raise
                await self._backend.sleep(min(pause, max(left, 0.0)))
                pause = min(pause * 2, 0.05)

    def sub_session(
        self,
        username: str | None = None,
        password: str | None = None,
        *,
        token: str | None = None,
        certificate: Certificate | None = None,
    ) -> SubSession:
        """A sub-session: reads and writes with another user's rights.

        The user logs in with one of the three logins of ``create_sub_session``:
        *username* and *password*, an OAuth 2.0 access *token*, or an X.509
        *certificate* (DER or PEM bytes, PEM text, or a file's path; the server
        does not check that you hold its private key). ``async with
        client.sub_session(user, password) as s:`` opens it and closes it at the
        end; ``s = await client.sub_session(token=token)`` opens it (then ``await
        s.close()``). See :class:`~xentara_sync.subsession.SubSession`. No login,
        or more than one, raises :class:`~xentara_sync.exceptions.InvalidArgument`.
        """
        hidden, hidden_token = hide(password), hide(token)
        del password, token  # a traceback with locals shows only the wrappers
        return SubSession(self, username, hidden, token=hidden_token, certificate=certificate)

    # ------------------------------------------------------------------ snapshot

    async def snapshot(
        self,
        path: str | os.PathLike[str],
        root: str | None = None,
        *,
        record: float | None = None,
        progress: Callable[[int, int], object] | None = None,
        timeout: float | None = None,
    ) -> SnapshotResult:
        """Write a twin of the element tree below *root* (None or ``""``: the whole
        model) to the model file *path*, which the simulator serves.

        Same primary keys, UUIDs and categories; data points become registers of
        the same data type and access holding the value read. With *record*, each
        data point's changes are recorded for that many seconds and the twin
        replays them in a loop. Elements whose metadata or value the server
        refuses are left out, each with a :class:`~xentara_sync.snapshot.SnapshotWarning`
        (and one more if no data point at all could be read: the user may lack the
        read right); the file is still written.
        ``progress(done, total)`` is called as elements are read. *timeout*
        bounds each message's answer. The file is written atomically.

        Example (then ``xentara-sync simulate --model bench.json`` serves the twin)::

            result = await client.snapshot("bench.json", record=30)
            print(f"{result.elements} elements, {len(result.skipped)} left out")
        """
        from .snapshot import driver

        driver.check_arguments(path, root, record, progress)
        session = await self._ready(timeout)
        link = _SnapshotLink(self, session, timeout)
        twin, recorded = await driver.take_snapshot(link, root, record=record, progress=progress)
        # Building the model and writing it take a while for a big tree: not on the
        # event loop, whose other tasks (subscriptions, keepalive) must go on.
        written = await self._backend.run_in_thread(
            lambda: driver.write_model(path, driver.twin_model(twin))
        )
        result = driver.result_of(twin, written, recorded)
        for key, reason in result.skipped.items():
            warnings.warn(
                f"snapshot: {key!r} left out: {reason}", driver.SnapshotWarning, stacklevel=2
            )
        unread = driver.unread_warning(result)
        if unread is not None:
            warnings.warn(f"snapshot: {unread}", driver.SnapshotWarning, stacklevel=2)
        return result


class _SnapshotLink:
    """What a snapshot needs of a connection (:class:`~xentara_sync.snapshot.driver.Link`)."""

    def __init__(self, core: ClientCore, session: ClientSession, timeout: float | None) -> None:
        self.core = core
        self.session = session
        self.timeout = timeout

    async def execute(self, plan: Plan) -> Any:
        return await self.core._execute(self.session, plan, self.timeout)

    async def pipeline(self, plans: Iterable[Plan], done: Callable[[Any], object]) -> None:
        from .snapshot.pipeline import run_pipelined

        backend = self.core._backend
        await run_pipelined(
            self.session,
            plans,
            done,
            create_waiter=backend.create_waiter,
            checkpoint=backend.checkpoint,
            timeout=self.core.timeout if self.timeout is None else self.timeout,
        )

    async def sleep(self, seconds: float) -> None:
        await self.core._backend.sleep(seconds)

    async def record(self, keys: Sequence[str], sink: EventSink, seconds: float) -> None:
        # A subscription like any other: it shares the server's subscriptions with
        # the user's, and neither sees the other's events.
        subscription = Subscription(
            self.core,
            tuple(keys),
            maximum_update_interval=None,
            minimum_update_interval=None,
            attribute="value",
            max_queue=1,
            sink_factory=lambda: sink,
        )
        await subscription.start(timeout=self.timeout)
        try:
            await self.core._backend.sleep(seconds)
        finally:
            await subscription.stop(timeout=self.timeout)


def _cancelled(subscription: Subscription) -> SubscriptionEnded:
    """What subscriptions sharing a feed learn when its subscribe was cancelled."""
    keys = ", ".join(subscription.keys)
    return SubscriptionEnded(f"subscribing to {keys} was cancelled; start again")


def subscription_keys(key: str | Iterable[str], operation: str = "subscribe") -> tuple[str, ...]:
    """The keys of a subscription: one primary key or a non-empty list of them;
    the error names *operation* (``subscribe``, ``record``).

    >>> try:
    ...     subscription_keys([], "record")
    ... except InvalidArgument as exc:
    ...     print(exc)
    record takes a primary key or a non-empty list of them, not []
    """
    if isinstance(key, str):
        return (key,)
    try:
        keys = tuple(key)
    except TypeError:
        keys = ()
    if not keys or not all(isinstance(k, str) for k in keys):
        raise InvalidArgument(
            f"{operation} takes a primary key or a non-empty list of them, not {quote(key)}"
        )
    return keys


def key_list(keys: Iterable[str], operation: str) -> list[str]:
    """The primary keys of *operation* (``read_many``): a list (or other iterable) of
    str, not one str.

    >>> key_list("Hardware.Speed", "read_many")
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: read_many takes a list of primary keys, not one str
    """
    if isinstance(keys, str):
        raise InvalidArgument(f"{operation} takes a list of primary keys, not one str")
    try:
        found = list(keys)
    except TypeError:
        raise InvalidArgument(
            f"{operation} takes a list of primary keys, not {type(keys).__name__} {quote(keys)}"
        ) from None
    for key in found:
        if not isinstance(key, str) or not key:
            raise InvalidArgument(
                f"{operation}: a key must be a primary key, a non-empty str, not "
                f"{type(key).__name__} {quote(key)}"
            )
    return found


def write_many_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``{key: value}`` of a ``write_many``, checked to be a mapping.

    >>> try:
    ...     write_many_values(None)
    ... except InvalidArgument as exc:
    ...     print(exc)
    write_many takes a mapping of primary keys to values ({key: value, ...}), not None
    """
    if not isinstance(values, Mapping):
        raise InvalidArgument(
            "write_many takes a mapping of primary keys to values ({key: value, ...}), "
            f"not {quote(values)}"
        )
    return dict(values)
