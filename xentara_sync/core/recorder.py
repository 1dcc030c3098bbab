"""Recording through a client: the subscription a recorder makes and where its
events go (straight into a :class:`~xentara_sync.toolkit.recording.Recording`).

The blocking client's recorder is :mod:`!xentara_sync.sync.recorder`; what a
recording holds and writes out is :mod:`xentara_sync.toolkit.recording`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..toolkit.recording import Recording
from .subscription import Subscription

if TYPE_CHECKING:
    from ..protocol.index import Event
    from .subscription import SubscriptionHost

__all__ = ["AsyncRecorder", "RecorderBase", "RecordingFeed", "recorder_subscription"]


class RecordingFeed:
    """The :class:`~xentara_sync.core.interfaces.EventSink` of a recorder's
    subscription: each event goes straight into the :class:`Recording`, where it
    arrives (no queue, no task)."""

    __slots__ = ("recording",)

    def __init__(self, recording: Recording) -> None:
        self.recording = recording

    @property
    def dropped(self) -> int:
        return self.recording.dropped

    def put(self, event: Event) -> None:
        self.recording.add(event)

    def close(self, error: BaseException | None) -> None:
        if error is not None and self.recording.error is None:
            self.recording.error = error


def recorder_subscription(
    client: SubscriptionHost, keys: tuple[str, ...], recording: Recording
) -> Subscription:
    """A subscription of *client* to every change of *keys* (unthrottled) that
    records into *recording*."""
    return Subscription(
        client,
        keys,
        maximum_update_interval=None,
        minimum_update_interval=None,
        attribute="value",
        max_queue=1,
        sink_factory=lambda: RecordingFeed(recording),
    )


class RecorderBase:
    """What the recorders of every flavour share: the :class:`Recording` a block
    fills and the subscription that fills it."""

    def __init__(
        self,
        client: SubscriptionHost,
        keys: tuple[str, ...],
        max_events: int | None,
        to: str | os.PathLike[str] | None = None,
    ) -> None:
        #: The recording this recorder fills.
        self.recording = Recording(keys, max_events=max_events, to=to)
        #: The subscription that fills it, started and stopped by the block.
        self.subscription = recorder_subscription(client, keys, self.recording)

    def raise_lost(self, exc: object) -> None:
        """At the block's end: raise the error that ended the recording, unless the
        block raised *exc*."""
        if exc is None and self.recording.error is not None:
            raise self.recording.error

    def __repr__(self) -> str:
        return f"<recorder: {self.recording!r}>"


class AsyncRecorder(RecorderBase):
    """``client.recorder(keys)`` of the async flavours: an async context manager
    whose value is a :class:`Recording` that fills in the background while the
    block runs, and keeps what it got when the block ends (by an exception, a
    cancellation or Ctrl-C too)::

        async with client.recorder(["Hardware.Signals.Sine"]) as recording:
            await client.write("Hardware.Registers.Setpoint", 2.5)
            await asyncio.sleep(1)          # or trio.sleep(1)
        recording.plot("setpoint.png")

    A connection lost for good ends the recording; the block's end then raises
    the error (unless the block raised one of its own).
    """

    async def __aenter__(self) -> Recording:
        self.recording.begin()
        try:
            await self.subscription.start()
        except BaseException:
            self.recording.finish()
            raise
        return self.recording

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if self.subscription.active:
                await self.subscription.stop()
        finally:
            self.recording.finish()
        self.raise_lost(exc)
