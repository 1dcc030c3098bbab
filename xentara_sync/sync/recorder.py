"""Recording with the blocking client: :func:`collect` records the events of a
subscription until the limits say stop (``record()`` and the ``record`` command),
and :class:`Recorder` records in the background while a block runs
(``recorder()``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from ..core.recorder import RecorderBase
from ..exceptions import RequestTimeout
from ..toolkit.recording import Limits, Recording
from .subscription import Subscription

if TYPE_CHECKING:
    from ..core.client import ClientCore

__all__ = ["Progress", "Recorder", "collect"]

#: Called with (seconds elapsed, events recorded) now and then while recording.
Progress = Callable[[float, int], object]
#: Runs a coroutine on the loop thread and waits for it (the client's ``_run``).
Runner = Callable[[Callable[[], Coroutine[Any, Any, Any]], float | None, str], Any]


def collect(
    subscription: Subscription,
    limits: Limits,
    *,
    recording: Recording | None = None,
    progress: Progress | None = None,
    every: float = 0.25,
) -> Recording:
    """Start *subscription*, record its events into *recording* (default: a new one)
    until *limits* end the recording, stop it. With *progress*, call it at most
    every *every* seconds (and once at the end). Ctrl-C stops the subscription and
    propagates; *recording* keeps what came before."""
    if recording is None:
        recording = Recording(subscription.keys)
    recording.begin()
    try:
        subscription.start()
        limits.start()
        started = shown = time.monotonic()
        while (wait := limits.next_wait(recording.received)) is not None:
            if progress is not None:
                now = time.monotonic()
                if now - shown >= every:
                    progress(now - started, recording.received)
                    shown = now
                wait = min(wait, every)
            try:
                event = subscription.receive(wait)
            except RequestTimeout:  # the limits decide: over, or too quiet
                continue
            recording.add(event)
            limits.recorded()
        if progress is not None:
            progress(time.monotonic() - started, recording.received)
    finally:
        try:
            if subscription.active:
                subscription.stop()
        finally:
            recording.finish()
    return recording


class Recorder(RecorderBase):
    """``client.recorder(keys)``: a context manager whose value is a
    :class:`~xentara_sync.toolkit.recording.Recording` that fills in the background (on
    the client's event loop, with no thread of its own) while the block runs, and
    keeps what it got when the block ends, by an exception or Ctrl-C too::

        with client.recorder(["Hardware.Signals.Sine"]) as recording:
            client.write("Hardware.Registers.Setpoint", 2.5)
            time.sleep(1)
        recording.plot("setpoint.png")

    A connection lost for good ends the recording; the block's end then raises
    the error (unless the block raised one of its own).
    """

    def __init__(
        self,
        client: ClientCore,
        keys: tuple[str, ...],
        max_events: int | None,
        run: Runner,
        to: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(client, keys, max_events, to)
        self._run = run
        self._what = ", ".join(keys)

    def __enter__(self) -> Recording:
        self.recording.begin()
        try:
            self._run(self.subscription.start, None, f"record {self._what}")
        except BaseException:
            self.recording.finish()
            raise
        return self.recording

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if self.subscription.active:
                self._run(self.subscription.stop, None, f"stop recording {self._what}")
        finally:
            self.recording.finish()
        self.raise_lost(exc)
