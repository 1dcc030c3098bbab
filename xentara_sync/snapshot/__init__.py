"""Snapshots: a running Xentara's element tree as a model file the simulator serves.

:meth:`XentaraClient.snapshot <xentara_sync.XentaraClient.snapshot>` (every
flavour) and ``xentara-sync snapshot URL`` browse the tree, read every element's
metadata and every data point's value, many per message, and write a *twin*: a
model file with the same primary keys, UUIDs, categories, data types and access,
whose data points are registers holding the values read (see
:mod:`.twin` for the mapping and the simulator's extensions of the format).

- :mod:`.twin`: the model built from the answers (sans I/O);
- :mod:`.plans`: the requests, many elements per message (sans I/O);
- :mod:`.driver`: the steps, awaiting a connection; writing the file.
"""

from __future__ import annotations

from .driver import SnapshotResult, SnapshotWarning, take_snapshot, write_model
from .twin import TwinBuilder

__all__ = ["SnapshotResult", "SnapshotWarning", "TwinBuilder", "take_snapshot", "write_model"]
