"""How much the benchmark measures: the plan of a run, the sizes, the stop request."""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = [
    "BATCH",
    "BROWSE_COUNT",
    "EXTRA_FAST_SIGNALS",
    "FULL",
    "QUICK",
    "SNAPSHOT_COUNT",
    "START_TIMEOUT",
    "TERMINATED",
    "THREADS",
    "BenchError",
    "Workload",
]

#: Element count of the generated model that is browsed.
BROWSE_COUNT: Final = 10_000
#: Element count of the generated model that is snapshotted.
SNAPSHOT_COUNT: Final = 100_000
#: Reads compared with one ``read_many``.
BATCH: Final = 100
#: Threads sharing one blocking client.
THREADS: Final = 8
#: Extra 1 ms signals added to the demo model's four for the event measurement.
EXTRA_FAST_SIGNALS: Final = 28
#: Seconds a simulator process may take to start listening.
START_TIMEOUT: Final = 60.0

#: Signals received that ask the run to stop; the rounds check this list and stop at
#: the next one (an exception raised inside a C callback may be swallowed).
TERMINATED: list[int] = []


class BenchError(Exception):
    """The benchmark cannot run (a simulator did not start, no readable element...)."""


class Workload(NamedTuple):
    """How much to measure."""

    rounds: int
    """Rounds; every contender is measured once per round, in rotating order."""
    reads: int
    """Reads per latency contender per round."""
    warmup: int
    """Reads per latency contender before the first round."""
    thread_seconds: float
    """Duration of each 1-thread and 8-thread throughput run."""
    event_seconds: float
    """Duration of each event-rate run."""
    batch_repeats: int
    """Pairs of (100 sequential reads, one read_many) per round."""
    import_runs: int
    """Pairs of fresh interpreters (bare, importing xentara_sync)."""
    snapshot_runs: int = 0
    """Snapshots of the generated 100,000-element model (each about 10 s)."""
    ceiling_events: int = 50_000
    """Events of each burst of the event ceiling's server (100 channels)."""
    record_stream_seconds: float = 0.0
    """Seconds of the recording of 100 fast signals streamed to a file (0: none)."""
    large_message_bytes: int = 15_000_000
    """Size of the large event message taken once a round (``large_message_*``)."""

    def scaled(self, *, rounds: int | None = None, reads: int | None = None) -> Workload:
        """This plan with *rounds* and *reads* replaced (a tiny run for the tests).

        >>> QUICK.scaled(rounds=0, reads=20)[:3]
        (1, 20, 20)
        """
        plan = self
        if rounds is not None:
            plan = plan._replace(rounds=max(1, rounds))
        if reads is not None:
            reads = max(1, reads)
            plan = plan._replace(
                reads=reads,
                warmup=min(plan.warmup, reads),
                ceiling_events=min(plan.ceiling_events, reads * 100),
                large_message_bytes=min(plan.large_message_bytes, reads * 5600),
            )
        return plan


#: The full run: about two minutes on two cores (one of them recording to a file).
FULL: Final = Workload(
    rounds=8,
    reads=2000,
    warmup=300,
    thread_seconds=1.0,
    event_seconds=1.0,
    batch_repeats=10,
    import_runs=15,
    snapshot_runs=2,
    ceiling_events=200_000,
    record_stream_seconds=60.0,
)
#: ``--quick``: under a minute on two cores (45 s with other work on them).
QUICK: Final = Workload(
    rounds=4,
    reads=800,
    warmup=100,
    thread_seconds=0.4,
    event_seconds=0.5,
    batch_repeats=5,
    import_runs=7,
)
