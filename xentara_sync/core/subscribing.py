"""Subscribing: the server subscriptions that cover the user's subscriptions.

One server subscription per (element, attribute) and connection, shared by every
subscription on it (see :mod:`.fanout` and docs/protocol.rst, "Several
subscriptions of one client"). :class:`Subscribing` keeps the subscriptions the
user holds, which outlive a connection, and renews them on a new one.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from functools import partial
from typing import Any, Protocol

from ..exceptions import ConnectionClosed, SubscriptionEnded, UnknownElement, XentaraError
from ..protocol.index import ElementInfo
from ..protocol.plans import Plan
from ..protocol.session import ClientSession
from .fanout import Fanout, Feed, Hub, Pacer, Route
from .interfaces import Backend, EventSink
from .lookups import element_metadata, resolve
from .subscription import Subscription

__all__ = ["Subscribing", "SubscribingHost"]

log = logging.getLogger("xentara_sync")


class SubscribingHost(Protocol):
    """What subscribing needs of its connection
    (:class:`~xentara_sync.core.connection.Connection`)."""

    _backend: Backend
    _session: ClientSession | None
    timeout: float
    connect_timeout: float

    @property
    def connected(self) -> bool: ...

    async def _ready(self, timeout: float | None) -> ClientSession: ...

    async def _execute(self, session: ClientSession, plan: Plan, timeout: float | None) -> Any: ...

    def _check_open(self) -> ClientSession: ...


class Subscribing:
    """The subscriptions the user holds on one client, and the server subscriptions
    of the current connection that cover them."""

    def __init__(self, host: SubscribingHost) -> None:
        self._host = host
        #: The subscriptions the user holds, with the sink of each: renewed on reconnection.
        self.held: dict[Subscription, EventSink] = {}
        #: The shared server subscriptions of the current connection.
        self._hub: Hub | None = None

    def interrupt(self) -> None:
        """The connection was lost and is being re-established: tell every subscription."""
        for subscription in self.held:
            subscription._interrupted()

    def end(self, error: BaseException | None) -> None:
        """The client is done with connecting: end every subscription (*error*: why)."""
        subscriptions, self.held = self.held, {}
        for subscription in subscriptions:
            subscription._end(error)

    async def start(
        self, subscription: Subscription, sink: EventSink, timeout: float | None
    ) -> uuid.UUID:
        """Subscribe; returns the subscription's id.

        Its events go through a :class:`~xentara_sync.core.fanout.Pacer` of its own, which
        keeps its intervals whatever else covers the same attributes (see
        :mod:`!xentara_sync.core.fanout`).
        """
        session = await self._host._ready(timeout)
        subscription_id = uuid.uuid4()
        pacer = Pacer(
            self._host._backend,
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
        self.held[subscription] = sink
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
        elements = [
            (await resolve(self._host._execute, session, key, timeout))[0]
            for key in subscription.keys
        ]
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
            self._host._backend.spawn(partial(self._resubscribe, session, shared, timeout))
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
                await self._host._execute(session, plan, timeout)
                feed.settle(None)
            feeds = {id(f.feed): f.feed for f in pacer.fanouts}
            await self._shared_feeds_ready(session, subscription, feeds.values(), timeout)
        except BaseException as exc:
            if feed is not None and not feed.ready:
                feed.settle(exc if isinstance(exc, Exception) else _cancelled(subscription))
                self._drop_feed(session, hub, feed)
            unused = self._leave(session, hub, pacer)
            if unused:  # confirmed, yet nobody uses them now: end them on the server
                self._host._backend.spawn(
                    lambda: self._unsubscribe(session, unused, timeout, quiet=True)
                )
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
        those that had the pair's last event (see :class:`~xentara_sync.core.fanout.Fanout`).

        A task of the connection, so that a subscription whose start is cancelled
        meanwhile leaves no feed half renewed; the subscriptions that share the feed
        wait for it (:meth:`_shared_feeds_ready`)."""
        keys = ", ".join(feed.keys)
        try:
            await self._feeds_ready(session, [feed], timeout, keys, renewal=False)
            feed.ready = False
            await self._host._execute(
                session, session.plan_unsubscribe(feed.keys, feed.id), timeout
            )
            feed.id = uuid.uuid4()
            for fanout in feed.fanouts:
                fanout.settling = True
            plan = session.plan_subscribe(
                feed.keys, feed.elements, list(feed.wires), feed.id, None, None
            )
            await self._host._execute(session, plan, timeout)
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
        wait = self._host.timeout if timeout is None else timeout
        deadline = None if wait is None else time.monotonic() + wait
        for feed in feeds:
            while (not feed.ready or (renewal and feed.renewing)) and feed.error is None:
                waiter = self._host._backend.create_waiter()
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
                await element_metadata(self._host._execute, session, element, key, timeout)
                wire = session.attribute_wire(element, subscription.attribute, key, "subscribe")
            assert wire is not None
            wires.append(wire)
        return wires

    async def renew(self) -> None:
        """Subscribe again with the same ids: keys are looked up anew (a restarted
        server may give elements new UUIDs); a key that is gone ends its subscription
        with :class:`UnknownElement`."""
        session = self._host._check_open()
        for subscription in list(self.held):
            pacer = subscription._pacer
            if pacer is None:
                continue
            pacer.detach()
            subscription_id = subscription.id or uuid.uuid4()
            try:
                await self._subscribe(
                    session, subscription, pacer, subscription_id, self._host.connect_timeout
                )
            except UnknownElement as exc:
                self.held.pop(subscription, None)
                subscription._end(exc)

    async def stop(
        self, subscription: Subscription, sink: EventSink, timeout: float | None
    ) -> None:
        """Leave the shared pairs; unsubscribe the feeds nobody uses any more (if the
        connection is still there)."""
        self.held.pop(subscription, None)
        pacer, subscription._pacer = subscription._pacer, None
        if pacer is None:
            return
        pacer.stop()
        session = self._host._session
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
            if not self._host.connected or session is not self._host._session:
                return
            try:
                await self._host._execute(
                    session, session.plan_unsubscribe(feed.keys, feed.id), timeout
                )
            except ConnectionClosed:
                pass
            except XentaraError as exc:
                if not quiet:
                    raise
                log.info("unsubscribing %s failed: %s", ", ".join(feed.keys), exc)


def _cancelled(subscription: Subscription) -> SubscriptionEnded:
    """What subscriptions sharing a feed learn when its subscribe was cancelled."""
    keys = ", ".join(subscription.keys)
    return SubscriptionEnded(f"subscribing to {keys} was cancelled; start again")
