"""What a snapshot (:mod:`xentara_sync.snapshot`) needs of a connection: running
its plans, pipelined or one by one, waiting, and recording events for a while."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from ..protocol.plans import Plan
from ..protocol.session import ClientSession
from .interfaces import EventSink
from .subscribing import SubscribingHost
from .subscription import Subscription, SubscriptionHost

__all__ = ["LinkHost", "SnapshotLink"]


class LinkHost(SubscribingHost, SubscriptionHost, Protocol):
    """The client a snapshot runs on (:class:`~xentara_sync.core.client.ClientCore`)."""


class SnapshotLink:
    """What a snapshot needs of a connection (:class:`~xentara_sync.snapshot.driver.Link`)."""

    def __init__(self, core: LinkHost, session: ClientSession, timeout: float | None) -> None:
        self.core = core
        self.session = session
        self.timeout = timeout

    async def execute(self, plan: Plan) -> Any:
        return await self.core._execute(self.session, plan, self.timeout)

    async def pipeline(self, plans: Iterable[Plan], done: Callable[[Any], object]) -> None:
        from .pipeline import run_pipelined

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
