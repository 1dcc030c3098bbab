"""Subscriptions of a session and the event messages they produce.

A :class:`Subscription` keeps its pending changes as "(element, attributes) that
changed", never as queued messages; :func:`collect_events` reads the values when it
builds the event message, so that a slow subscriber gets the newest value of each
attribute, never a backlog. The policy (throttle, heartbeat, coalescing) is
described in :mod:`.engine`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from ..protocol import DataChange, TimePoint, encode_message
from .elements import Element, Watch

__all__ = ["Owner", "Subscription", "collect_events"]


class Owner(Protocol):
    """What a subscription belongs to (a session), woken when events become due."""

    def wake(self) -> None: ...


class Subscription:
    """One subscription of a session: its watches, rates and pending changes.

    *throttle* (``maximum_update_rate``) and *heartbeat* (``minimum_update_rate``)
    are in seconds; 0 turns them off.
    """

    __slots__ = (
        "active",
        "force",
        "heartbeat",
        "id",
        "last_sent",
        "pending",
        "session",
        "throttle",
        "watches",
    )

    def __init__(
        self, session: Owner, subscription_id: uuid.UUID, throttle: float, heartbeat: float
    ) -> None:
        self.session = session
        self.id = subscription_id
        self.throttle = throttle
        self.heartbeat = heartbeat
        self.watches: list[Watch] = []
        self.pending: dict[Watch, int] = {}
        self.last_sent = 0.0
        self.active = False
        self.force = False

    def mark(self, watch: Watch, mask: int) -> None:
        """Note that the attributes in *mask* of *watch*'s element changed."""
        pending = self.pending
        pending[watch] = pending.get(watch, 0) | mask
        if self.active:
            self.session.wake()

    def mark_all(self) -> None:
        """Note every subscribed attribute as changed (initial event, heartbeat)."""
        pending = self.pending
        for watch in self.watches:
            pending[watch] = watch.mask

    def activate(self) -> None:
        """Start sending events, beginning with the initial one."""
        self.active = True
        self.force = True
        self.mark_all()
        self.session.wake()

    def detach(self) -> None:
        """Stop watching (unsubscribe, replacement, connection end)."""
        self.active = False
        for watch in self.watches:
            point = watch.element.point
            if point is not None:
                point.remove_watch(watch)
        self.pending.clear()


def collect_events(
    subscriptions: Iterable[Subscription], now: float, started: TimePoint
) -> tuple[bytes | None, float | None]:
    """The event message of *subscriptions* due at loop time *now* (or ``None``), and
    the loop time at which the next one may become due (or ``None``: only on a change).

    All of them go into one message, one packet per element (several subscriptions
    covering one element share its packet). *started* is the time stamp of the
    elements that have no value (and so no change time).
    """
    out: dict[Element, dict[Any, Any]] = {}
    deadline: float | None = None
    for subscription in subscriptions:
        if not subscription.active:
            continue
        heartbeat = subscription.heartbeat
        if heartbeat and now >= subscription.last_sent + heartbeat:
            subscription.mark_all()
        pending = subscription.pending
        if pending:
            throttle = subscription.throttle
            if subscription.force or not throttle or now >= subscription.last_sent + throttle:
                for watch, mask in pending.items():
                    element = watch.element
                    attributes = out.get(element)
                    if attributes is None:
                        attributes = out[element] = {}
                    get = element.get
                    for key, attribute in watch.keys:
                        if mask >> attribute & 1:
                            attributes[key] = get(attribute)
                subscription.pending = {}
                subscription.last_sent = now
                subscription.force = False
            else:
                due = subscription.last_sent + throttle
                deadline = due if deadline is None or due < deadline else deadline
        if heartbeat:
            due = subscription.last_sent + heartbeat
            deadline = due if deadline is None or due < deadline else deadline
    if not out:
        return None, deadline
    packets = [
        DataChange(
            element.point.change if element.point is not None else started,
            element.uuid,
            attributes,
        )
        for element, attributes in out.items()
    ]
    return encode_message(packets), deadline
