"""``snapshot100k_s``: a blocking snapshot of a generated 100,000-element model.

The simulator serves :func:`~xentara_sync.simulator.generated_model` in a process
of its own; the client connects with a small root (so that connecting browses
little) and times ``client.snapshot(path)`` of the whole model: browse, metadata
and values of every element, the twin built and written.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from .plan import SNAPSHOT_COUNT, START_TIMEOUT, BenchError
from .servers import SimulatorProcess

if TYPE_CHECKING:
    from pathlib import Path

    from .stats import Samples

__all__ = ["measure_snapshots", "snapshot_seconds"]


def snapshot_seconds(url: str, path: Path, count: int) -> float:
    """Seconds of one blocking ``snapshot`` of the whole model at *url* into *path*,
    which must hold *count* elements."""
    from .. import XentaraClient

    with XentaraClient(url, "Hardware.Group 0001", timeout=60.0) as client:
        started = time.perf_counter()
        result = client.snapshot(path)
        elapsed = time.perf_counter() - started
    if result.elements != count or result.skipped:
        raise BenchError(f"the snapshot holds {result.elements} elements, expected {count}")
    return elapsed


def measure_snapshots(
    directory: Path, servers: list[SimulatorProcess], runs: int, samples: Samples
) -> None:
    """Add *runs* samples of ``snapshot100k_s``, from a simulator process started here
    (appended to *servers*, which the caller stops)."""
    from ..simulator.models import generated_model

    model = directory / "generated-100k.json"
    model.write_text(json.dumps(generated_model(SNAPSHOT_COUNT)), encoding="utf-8")
    server = SimulatorProcess("generated-100k", model, directory)
    servers.append(server)
    url = server.url(START_TIMEOUT)
    for number in range(runs):
        twin = directory / f"twin-{number}.json"
        samples.add("snapshot100k_s", snapshot_seconds(url, twin, SNAPSHOT_COUNT))
        twin.unlink()
    server.stop()
