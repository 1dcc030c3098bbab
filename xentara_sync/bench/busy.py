"""A busy process: the work a bench's Python often does beside the reads.

A test bench's Python rarely does one thing: another client's traffic (an OPC UA
client and its server, a second Xentara connection) and some computation run beside
the reads. :func:`busy_process` stands for them while a latency round runs: a thread
that computes in short bursts, and a second blocking client that takes every event of
a subscription. What a read costs then is what a user's process sees.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..sync import XentaraClient

__all__ = ["BURST_S", "busy_process"]

#: Seconds of each burst of computation; the thread sleeps as long between bursts.
BURST_S = 0.001


@contextlib.contextmanager
def busy_process(client: XentaraClient, keys: Sequence[str]) -> Iterator[None]:
    """Run a computing thread and *client*'s subscription to *keys* while inside.

    Both stop when the block ends, also on error or Ctrl-C; the subscription's events
    are taken in a thread of their own, as a user's callback would take them.
    """
    stop = threading.Event()

    def compute() -> None:
        clock = time.perf_counter
        while not stop.is_set():
            until = clock() + BURST_S
            total = 0
            while clock() < until:
                total += sum(range(100))
            stop.wait(BURST_S)

    threads = [threading.Thread(target=compute, name="bench-busy-compute", daemon=True)]
    with contextlib.ExitStack() as stack:
        if keys:
            subscription = stack.enter_context(client.subscribe(list(keys), 50, None))

            def take() -> None:
                for _ in subscription:
                    if stop.is_set():
                        break

            threads.append(threading.Thread(target=take, name="bench-busy-events", daemon=True))
            stack.callback(subscription.stop)
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            stop.set()
    for thread in threads:
        thread.join(timeout=5)
