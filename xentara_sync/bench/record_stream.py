"""``record_stream_rss_mb``: memory of a long recording streamed to a file.

The simulator serves the demo model with 100 signals on its 1 ms sampler, in a
process of its own. A blocking client records all of them with
``record(..., to="run.csv")`` for the plan's ``record_stream_seconds``; a thread
samples the process's resident memory (RSS) every quarter second. The figure is
the highest RSS during the recording minus the RSS just before it (after a short
recording that warms up the same code), in MB; ``record_stream_events_per_s`` is
the rate recorded, for scale.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
from typing import TYPE_CHECKING

from .plan import START_TIMEOUT, BenchError
from .servers import SimulatorProcess, fast_model

if TYPE_CHECKING:
    from pathlib import Path

    from .stats import Samples

__all__ = ["RECORD_SIGNALS", "measure_record_stream", "rss_bytes"]

#: Signals recorded (the demo's four fast signals and 96 more).
RECORD_SIGNALS = 100


def rss_bytes() -> int | None:
    """This process's resident memory in bytes, or None where it cannot be read
    (Linux: ``/proc/self/statm``; Windows: ``GetProcessMemoryInfo``)."""
    if sys.platform == "win32":  # pragma: no cover - Windows
        import ctypes
        from ctypes import wintypes

        class Counters(ctypes.Structure):
            _fields_ = [
                ("cb", wintypes.DWORD),
                ("PageFaultCount", wintypes.DWORD),
                ("PeakWorkingSetSize", ctypes.c_size_t),
                ("WorkingSetSize", ctypes.c_size_t),
                ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
                ("QuotaPagedPoolUsage", ctypes.c_size_t),
                ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
                ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                ("PagefileUsage", ctypes.c_size_t),
                ("PeakPagefileUsage", ctypes.c_size_t),
            ]

        counters = Counters()
        counters.cb = ctypes.sizeof(Counters)
        windll = getattr(ctypes, "windll", None)
        if windll is None:
            return None
        handle = windll.kernel32.GetCurrentProcess()
        if not windll.psapi.GetProcessMemoryInfo(handle, ctypes.byref(counters), counters.cb):
            return None
        return int(counters.WorkingSetSize)
    try:
        with open("/proc/self/statm", encoding="ascii") as file:
            pages = int(file.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def measure_record_stream(
    directory: Path, servers: list[SimulatorProcess], seconds: float, samples: Samples
) -> None:
    """Add one sample of ``record_stream_rss_mb`` and ``record_stream_events_per_s``:
    a recording of :data:`RECORD_SIGNALS` fast signals streamed to a CSV file for
    *seconds*, from a simulator process started here (appended to *servers*, which
    the caller stops)."""
    from .. import XentaraClient

    if rss_bytes() is None:
        raise BenchError("cannot read this process's resident memory here")
    model = directory / "record-stream.json"
    model.write_text(json.dumps(fast_model(RECORD_SIGNALS - 4)), encoding="utf-8")
    server = SimulatorProcess("record-stream", model, directory)
    servers.append(server)
    url = server.url(START_TIMEOUT)
    path = directory / "record-stream.csv"
    with XentaraClient(url, timeout=30.0) as client:
        keys = [key for key in client if key.startswith("Hardware.Fast Signals.")]
        if len(keys) != RECORD_SIGNALS:
            raise BenchError(f"the model has {len(keys)} fast signals, not {RECORD_SIGNALS}")
        client.record(keys, seconds=min(2.0, seconds), to=path)  # warm up the same code
        path.unlink()
        gc.collect()
        before = rss_bytes() or 0
        highest = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.25):
                highest[0] = max(highest[0], rss_bytes() or 0)

        sampler = threading.Thread(target=sample, name="bench RSS", daemon=True)
        sampler.start()
        try:
            recording = client.record(keys, seconds=seconds, to=path)
        finally:
            done.set()
            sampler.join(5.0)
        highest[0] = max(highest[0], rss_bytes() or 0)
    path.unlink()
    server.stop()
    samples.add("record_stream_rss_mb", (highest[0] - before) / 1e6)
    samples.add("record_stream_events_per_s", recording.received / seconds)
