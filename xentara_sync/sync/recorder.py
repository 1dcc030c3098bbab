"""Recording with the blocking client: the events of a subscription until the limits
say stop, with an optional progress report."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..exceptions import RequestTimeout
from ..recording import Limits, Recording
from .subscription import Subscription

__all__ = ["Progress", "collect"]

#: Called with (seconds elapsed, events recorded) now and then while recording.
Progress = Callable[[float, int], object]


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
    events = recording.events
    subscription.start()
    try:
        limits.start()
        started = shown = time.monotonic()
        while (wait := limits.next_wait(len(events))) is not None:
            if progress is not None:
                now = time.monotonic()
                if now - shown >= every:
                    progress(now - started, len(events))
                    shown = now
                wait = min(wait, every)
            try:
                event = subscription.receive(wait)
            except RequestTimeout:  # the limits decide: over, or too quiet
                continue
            events.append(event)
            limits.recorded()
        if progress is not None:
            progress(time.monotonic() - started, len(events))
    finally:
        if subscription.active:
            subscription.stop()
    return recording
