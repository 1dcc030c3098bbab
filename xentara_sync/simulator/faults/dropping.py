"""Dropping every connection of a simulator or a relay at a fixed period."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

from ...exceptions import InvalidArgument
from ...threads import start as start_thread

__all__ = ["Droppable", "drop_every", "dropping_every"]


class Droppable(Protocol):
    """What :func:`drop_every` drops: a :class:`~xentara_sync.simulator.Simulator`
    or a :class:`~xentara_sync.simulator.faults.Relay`."""

    @property
    def connection_count(self) -> int: ...

    def disconnect_all(self) -> None: ...


def _check_period(seconds: float) -> float:
    if not isinstance(seconds, (int, float)) or not 0 < seconds < float("inf"):
        raise InvalidArgument(f"seconds: a period above 0 seconds, not {seconds!r}")
    return float(seconds)


def _drop(target: Droppable, on_drop: Callable[[int], object] | None) -> None:
    count = target.connection_count
    target.disconnect_all()
    if on_drop is not None:
        on_drop(count)


async def drop_every(
    target: Droppable, seconds: float, on_drop: Callable[[int], object] | None = None
) -> None:
    """Drop every connection of *target* every *seconds*, until cancelled (asyncio).

    After each drop, ``on_drop(count)`` gets the number of connections dropped. A
    soak test of a script's reconnection; ``xentara-sync simulate --drop-every``.
    """
    seconds = _check_period(seconds)
    while True:
        await asyncio.sleep(seconds)
        _drop(target, on_drop)


@contextlib.contextmanager
def dropping_every(
    target: Droppable, seconds: float, on_drop: Callable[[int], object] | None = None
) -> Iterator[None]:
    """Inside the ``with`` block, drop every connection of *target* every *seconds*
    (from a daemon thread); as :func:`drop_every`, for blocking code.

    >>> from xentara_sync import XentaraClient
    >>> from xentara_sync.simulator import Simulator
    >>> import time
    >>> with Simulator() as sim, XentaraClient(sim.url, max_reconnect_delay=0.1) as client:
    ...     with dropping_every(sim, 0.2):
    ...         deadline = time.monotonic() + 10
    ...         while client.reconnects < 2 and time.monotonic() < deadline:
    ...             time.sleep(0.05)
    ...     client.reconnects >= 2
    True
    """
    seconds = _check_period(seconds)
    done = threading.Event()

    def run() -> None:
        while not done.wait(seconds):
            _drop(target, on_drop)

    thread = threading.Thread(target=run, name="xentara-sync dropping", daemon=True)
    start_thread(thread)
    try:
        yield
    finally:
        done.set()
        thread.join(5)
