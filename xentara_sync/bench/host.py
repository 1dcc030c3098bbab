"""Measurements of the host alone, without a server: import time, thread hand-over.

Also the description of the machine that goes into the result.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

__all__ = ["import_ms", "machine", "thread_hop_us"]


def import_ms(runs: int) -> list[float]:
    """Milliseconds ``import xentara_sync`` adds to a fresh interpreter, per run pair."""
    import subprocess

    def start(code: str) -> float:
        begin = time.perf_counter_ns()
        subprocess.run([sys.executable, "-c", code], check=True, stdin=subprocess.DEVNULL)
        return (time.perf_counter_ns() - begin) / 1e6

    start("import xentara_sync")  # warm the file system cache
    samples = []
    for number in range(runs):
        if number % 2:
            imported, bare = start("import xentara_sync"), start("pass")
        else:
            bare, imported = start("pass"), start("import xentara_sync")
        samples.append(imported - bare)
    return samples


def thread_hop_us(count: int) -> list[float]:
    """Round trips of a wake-up to an idle event loop thread and back, in µs.

    ``call_soon_threadsafe`` there, a lock released back: no network, no protocol.
    It is the floor of any blocking facade over an event loop thread, and on a
    virtual machine it can be a large part of a loopback round trip.
    """
    import _thread
    import asyncio
    import threading

    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, name="bench-hop", daemon=True)
    runner.start()
    samples = []
    try:
        for _ in range(count):
            lock = _thread.allocate_lock()
            lock.acquire()
            begin = time.perf_counter_ns()
            loop.call_soon_threadsafe(lock.release)
            lock.acquire()
            samples.append((time.perf_counter_ns() - begin) / 1000)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join(5)
        loop.close()
    return samples[count // 10 :]  # the first ones warm up


def machine() -> dict[str, Any]:
    """The machine the run measures on: CPU count, Python, platform."""
    import platform

    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "processor": platform.machine(),
    }
