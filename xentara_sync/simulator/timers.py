"""The server's timers: they make the model's timers tick while someone watches.

Signals are computed from the clock when read. A timer ticks (in a small thread of
its own, which hands each tick to the event loop) only while some subscription
watches one of its signals; all changes of one tick go out in one event message per
connection. When the loop falls behind, ticks coalesce: subscribers get the newest
tick's values.

The loop's own timers have a granularity of a millisecond (and always oversleep),
which would skip ticks of a 1 ms timer; a thread waits precisely and hands each tick
to the loop, at most one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterable

from ..threads import start as start_thread
from .signals import Timer

__all__ = ["TimerThreads"]


class TimerThreads:
    """Runs the timers of a model for a server on *loop*, from :meth:`start` to
    :meth:`stop`.

    A timer's thread starts when its first signal becomes watched (the timer's
    :attr:`~.signals.Timer.on_watched` hook) and ends when none is watched any more.
    """

    def __init__(self, timers: Iterable[Timer], loop: asyncio.AbstractEventLoop) -> None:
        self._timers = list(timers)
        self._loop = loop
        self._threads: dict[Timer, threading.Thread] = {}
        self._stopping = threading.Event()

    def start(self) -> None:
        """Tick each timer while one of its signals is watched, from now on."""
        for timer in self._timers:
            timer.on_watched = self._start_timer
            if timer.watched:
                self._start_timer(timer)

    def stop(self) -> None:
        """Stop every timer thread (at server stop)."""
        self._stopping.set()
        for timer in self._timers:
            if timer.on_watched == self._start_timer:
                timer.on_watched = None
        self._threads.clear()

    def _start_timer(self, timer: Timer) -> None:
        if timer in self._threads or self._stopping.is_set():
            return
        thread = threading.Thread(
            target=self._run,
            args=(timer,),
            name=f"xentara-simulator timer {timer.key}",
            daemon=True,
        )
        self._threads[timer] = thread
        start_thread(thread)

    def _run(self, timer: Timer) -> None:
        # The timer's thread: wait for each tick, hand it to the loop.
        loop = self._loop
        period = timer.period_ns
        stopping = self._stopping
        due = threading.Event()
        try:
            while timer.watched:
                if stopping.wait((period - time.time_ns() % period) / 1e9):
                    return
                if not due.is_set():
                    due.set()
                    loop.call_soon_threadsafe(self._tick, timer, due)
        except RuntimeError:  # the loop is closed
            return
        finally:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._ended, timer)

    @staticmethod
    def _tick(timer: Timer, due: threading.Event) -> None:
        due.clear()
        for signal in list(timer.watched):
            signal.refresh()

    def _ended(self, timer: Timer) -> None:
        self._threads.pop(timer, None)
        if timer.watched:
            self._start_timer(timer)
