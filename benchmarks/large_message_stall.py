"""How long a huge message to one client holds up another client of the same process.

Two blocking clients share the loop thread. One connects to a server that sends it
three messages of 300,000 value changes (about 15 MB each); the other reads a value
from the embedded simulator as fast as it can meanwhile. Prints the other client's
read latencies, with the large-message path on and (``--off``) off.

    python benchmarks/large_message_stall.py [--off]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import xentara_sync.core.receiving as receiving
from xentara_sync import XentaraClient
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.faults import FaultyServer, flood_messages

KEY = "Hardware.EtherCAT Bus.EL2624.Output 1"


def main() -> None:
    off = "--off" in sys.argv
    if off:  # every message parsed on the loop thread, as before
        receiving.LARGE_MESSAGE = 1 << 62
    flood = flood_messages()
    with (
        Simulator() as sim,
        FaultyServer("flood", flood) as server,
        XentaraClient(sim.url) as other,
    ):
        other.read(KEY)
        latencies = []
        with XentaraClient(server.url):
            deadline = time.monotonic() + 4.0
            while time.monotonic() < deadline:
                started = time.monotonic()
                other.read(KEY, timeout=10)
                latencies.append(time.monotonic() - started)
    print(
        f"large-message path {'off' if off else 'on'}: {len(flood)} messages of "
        f"{len(flood[0]) / 1e6:.1f} MB; the other client's reads: {len(latencies)}, "
        f"median {statistics.median(latencies) * 1e3:.1f} ms, "
        f"max {max(latencies) * 1e3:.0f} ms"
    )


if __name__ == "__main__":
    main()
