"""Measure the clients: read latency, threads, batching, events, browsing, import time.

Without a URL, starts the embedded simulator in separate processes (so the server
does not share the client's interpreter) and stops them at the end, also on Ctrl-C
or error. With the URL of your own Xentara, measures against it (the figures that
need a generated model are skipped). The contenders are measured in alternating
rounds, so that the machine's drift hits them all alike; the table shows the median
and the slow tail (p90) of each figure, and the ratios the targets are set on.

Each read contender is also measured in a busy process (a computing thread and a
second client's subscription beside the reads, as a bench's Python often has), and
its process CPU time per read is reported beside its wall time.

``--json`` prints one JSON object instead of the table; ``--quick`` finishes in
under a minute (the full run takes about 4 minutes on two cores). ``--output FILE`` saves the
run's JSON object; ``--compare OTHER.json`` prints a saved run and this one side by
side, with the change of each figure.
"""

# This docstring is also the description of ``xentara-sync bench --help``.
#
# The modules, one idea each (importing this package imports none of the heavy ones:
# the clients, asyncio, websockets and cbor2 are imported when a run starts):
#
#   command       the command line: arguments, SIGTERM, progress
#   plan          how much to measure (the plan), the sizes, the stop request
#   servers       the simulator processes and the models they serve
#   raw_wire      the packets of the hand-written contenders (cbor2, named numbers)
#   raw_async     the hand-written asyncio floor (websockets.asyncio + cbor2)
#   raw_sync      the hand-written blocking floor (websockets.sync + cbor2)
#   measurements  timed reads, threads sharing a client, events, browsing
#   busy          the busy process: a computing thread, another client's events
#   host          the host alone: import time, thread hand-over, the machine
#   rounds        one run: connect, warm up, measure in rotating rounds
#   stats         percentiles, the slow tail, samples by figure
#   report        the figures, the targets, the JSON result and the table

from __future__ import annotations

from .command import configure, run
from .plan import FULL, QUICK, BenchError, Workload
from .report import FIGURES, TARGETS, compare, format_comparison, format_table
from .rounds import measure
from .servers import fast_model
from .stats import percentile

__all__ = [
    "FIGURES",
    "FULL",
    "QUICK",
    "TARGETS",
    "BenchError",
    "Workload",
    "compare",
    "configure",
    "fast_model",
    "format_comparison",
    "format_table",
    "measure",
    "percentile",
    "run",
]
