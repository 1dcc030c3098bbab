"""One run of the benchmark: connect the contenders, warm them up, measure in rounds.

The contenders are measured in alternating rounds, so that the machine's drift
hits them all alike. Only the public API of the clients is used.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .plan import BATCH, FULL, SNAPSHOT_COUNT, TERMINATED, THREADS, BenchError, Workload
from .report import CPU_FIGURES, RATIOS
from .stats import Samples, median, rotate

if TYPE_CHECKING:
    import contextlib
    import uuid

    from ..aio import XentaraClient as AsyncClient
    from ..sync import XentaraClient
    from .raw_async import RawClient
    from .raw_sync import RawSyncClient
    from .runner import Runner
    from .servers import Targets

__all__ = ["measure"]


def measure(
    url: str | None = None,
    *,
    root: str = "Hardware",
    key: str | None = None,
    plan: Workload = FULL,
    verify_ssl: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every measurement; returns the result as a JSON-ready dict.

    Without *url*, the embedded simulator runs in separate processes, which are
    stopped before this returns (also on error or Ctrl-C).
    """
    import tempfile
    from pathlib import Path

    from .host import import_ms, thread_hop_us
    from .report import result
    from .servers import SimulatorProcess, Targets, start_firehose, start_simulators

    say = progress or (lambda text: None)
    samples = Samples()
    skipped: dict[str, str] = {}

    say(f"import time ({plan.import_runs} interpreter pairs)")
    samples.extend("import_ms", import_ms(plan.import_runs))
    say("thread hand-over floor")
    samples.extend("thread_hop_us", thread_hop_us(max(plan.reads, 200)))

    servers: list[SimulatorProcess] = []
    try:
        with tempfile.TemporaryDirectory(prefix="xentara-bench-") as directory:
            if url is None:
                say("starting the simulator processes")
                targets = start_simulators(Path(directory), servers)
            else:
                targets = Targets(url, url, url, None, embedded=False)
                skipped["browse10k_s"] = "needs the generated 10,000-element model"
            say("starting the event ceiling's server")
            targets = targets._replace(
                ceiling=start_firehose(Path(directory), servers, plan.ceiling_events)
            )
            read_key, event_source = _measure_rounds(
                targets, root, key, plan, verify_ssl, samples, say
            )
            if url is None:
                from .reconnect import measure_reconnects

                say(f"reconnection ({plan.rounds * 2} restarts of a simulator)")
                measure_reconnects(Path(directory), servers, plan.rounds * 2, samples)
            else:
                skipped["reconnect_ms"] = "needs a simulator it may restart"
            if url is None and plan.snapshot_runs:
                from .snapshot import measure_snapshots

                say(f"snapshot of {SNAPSHOT_COUNT:,} elements ({plan.snapshot_runs} runs)")
                measure_snapshots(Path(directory), servers, plan.snapshot_runs, samples)
            else:
                skipped["snapshot100k_s"] = (
                    "needs the generated 100,000-element model (a full run without a URL)"
                )
            if url is None and plan.record_stream_seconds:
                from .record_stream import RECORD_SIGNALS, measure_record_stream

                seconds = plan.record_stream_seconds
                say(f"recording {RECORD_SIGNALS} fast signals to a file ({seconds:g} s)")
                try:
                    measure_record_stream(Path(directory), servers, seconds, samples)
                except BenchError as exc:
                    skipped["record_stream_rss_mb"] = str(exc)
            else:
                skipped["record_stream_rss_mb"] = (
                    "needs a simulator of its own and a minute (a full run without a URL)"
                )
            if TERMINATED:
                raise KeyboardInterrupt
    finally:
        for server in servers:
            server.stop()
    return result(url, plan, samples, skipped, read_key, event_source)


@dataclass
class _Contenders:
    """The connected clients and what they read."""

    read_key: str
    element: uuid.UUID
    sync_client: XentaraClient
    async_client: AsyncClient
    raw: RawClient
    raw_events: RawClient
    raw_sync: RawSyncClient
    raw_sync_element: uuid.UUID
    batch_client: XentaraClient
    batch_keys: list[str]
    events_client: XentaraClient
    event_keys: list[str]
    busy_client: XentaraClient
    ceiling_client: XentaraClient | None
    ceiling_keys: list[str]
    event_uuids: list[uuid.UUID]

    def sync_read(self) -> Any:
        """One blocking ``client.read()``."""
        return self.sync_client.read(self.read_key)

    def async_read(self) -> Awaitable[Any]:
        """One ``client.read()`` of the asyncio client, to be awaited."""
        return self.async_client.read(self.read_key)

    def raw_read(self) -> Awaitable[Any]:
        """One read of the hand-written asyncio loop, to be awaited."""
        return self.raw.read(self.element)

    def raw_sync_read(self) -> Any:
        """One read of the hand-written blocking loop."""
        return self.raw_sync.read(self.raw_sync_element)

    def sequential(self) -> None:
        """The batch keys read one after the other."""
        for batch_key in self.batch_keys:
            self.batch_client.read(batch_key)

    def batched(self) -> None:
        """The batch keys read with one ``read_many()``."""
        self.batch_client.read_many(self.batch_keys)


def _connect(
    runner: Runner,
    stack: contextlib.ExitStack,
    targets: Targets,
    root: str,
    key: str | None,
    verify_ssl: bool,
) -> _Contenders:
    """Connect every contender; *stack* closes them."""
    from .. import XentaraClient
    from ..aio import XentaraClient as AsyncClient
    from .measurements import default_key, readable
    from .raw_async import RawClient
    from .raw_sync import RawSyncClient

    sync_client = stack.enter_context(
        XentaraClient(targets.reads, root_element=root, verify_ssl=verify_ssl)
    )
    read_key = key or default_key(sync_client, root)
    element = sync_client.element_info(read_key).uuid
    async_client: AsyncClient = runner.run(
        AsyncClient.create(targets.reads, root_element=root, verify_ssl=verify_ssl)
    )
    stack.callback(lambda: runner.run(async_client.close()))
    raw = runner.run(RawClient.connect(targets.reads, verify_ssl))
    stack.callback(lambda: runner.run(raw.close()))
    raw_events = raw
    if targets.events != targets.reads:
        raw_events = runner.run(RawClient.connect(targets.events, verify_ssl))
        stack.callback(lambda: runner.run(raw_events.close()))
    raw_sync = stack.enter_context(RawSyncClient.connect(targets.reads, verify_ssl))
    raw_sync_element = raw_sync.lookup(read_key)

    if targets.embedded:
        batch_client = stack.enter_context(XentaraClient(targets.batch, verify_ssl=verify_ssl))
        events_client = stack.enter_context(XentaraClient(targets.events, verify_ssl=verify_ssl))
        busy_client = stack.enter_context(XentaraClient(targets.events, verify_ssl=verify_ssl))
        batch_keys = readable(batch_client, BATCH)
        event_keys = [k for k in events_client if k.startswith("Hardware.Fast Signals.")]
    else:
        batch_client = events_client = sync_client
        busy_client = stack.enter_context(
            XentaraClient(targets.reads, root_element=root, verify_ssl=verify_ssl)
        )
        batch_keys = readable(sync_client, BATCH)
        event_keys = batch_keys
    ceiling_client = None
    ceiling_keys: list[str] = []
    if targets.ceiling is not None:
        from ..protocol import Category
        from .firehose import CHANNELS

        ceiling_client = stack.enter_context(XentaraClient(targets.ceiling, root_element=None))
        points = ceiling_client.elements(Category.DATA_POINT)
        ceiling_keys = [info.key for info in points][:CHANNELS]
    if not batch_keys:
        raise BenchError(f"no readable data point under {root!r}")
    if len(batch_keys) < BATCH:
        batch_keys = [batch_keys[i % len(batch_keys)] for i in range(BATCH)]
    return _Contenders(
        read_key=read_key,
        element=element,
        sync_client=sync_client,
        async_client=async_client,
        raw=raw,
        raw_events=raw_events,
        raw_sync=raw_sync,
        raw_sync_element=raw_sync_element,
        batch_client=batch_client,
        batch_keys=batch_keys,
        events_client=events_client,
        event_keys=event_keys,
        busy_client=busy_client,
        ceiling_client=ceiling_client,
        ceiling_keys=ceiling_keys,
        event_uuids=[events_client.element_info(k).uuid for k in event_keys],
    )


def _measure_rounds(
    targets: Targets,
    root: str,
    key: str | None,
    plan: Workload,
    verify_ssl: bool,
    samples: Samples,
    say: Callable[[str], None],
) -> tuple[str, str]:
    """Measure everything but the host; returns the key read and the event source."""
    import contextlib

    from .measurements import browse_seconds, reads_per_second, time_async, time_sync
    from .runner import runner as make_runner

    with make_runner() as runner, contextlib.ExitStack() as stack:
        say("connecting")
        c = _connect(runner, stack, targets, root, key, verify_ssl)

        say(f"warming up (reading {c.read_key!r})")
        runner.run(time_async(c.raw_read, plan.warmup))
        runner.run(time_async(c.async_read, plan.warmup))
        time_sync(c.raw_sync_read, plan.warmup)
        time_sync(c.sync_read, plan.warmup)
        reads_per_second(c.sync_read, THREADS, min(0.2, plan.thread_seconds))
        c.sequential()
        c.batched()
        if targets.browse is not None:
            browse_seconds(targets.browse, verify_ssl)

        for number in range(plan.rounds):
            if TERMINATED:
                raise KeyboardInterrupt
            say(f"round {number + 1}/{plan.rounds}")
            _latency_round(runner, c, plan, number, samples)
            _busy_round(runner, c, plan, number, samples)
            _threads_round(c, plan, number, samples)
            _answer_pings(runner)
            _batch_round(c, plan, samples)
            _answer_pings(runner)
            _events_round(runner, c, plan, number, samples)
            _ceiling_round(c, plan, samples)
            _answer_pings(runner)
            if targets.browse is not None:
                samples.add("browse10k_s", browse_seconds(targets.browse, verify_ssl))

    # After the rounds, with every connection closed: a large message keeps this
    # thread busy for seconds, longer than an idle raw contender may go unserviced.
    for number in range(max(2, plan.rounds // 2)):
        say(f"large message {number + 1}")
        _large_round(plan, samples)
    return c.read_key, f"{len(c.event_keys)} signals"


def _answer_pings(runner: Runner) -> None:
    """Run the asyncio contenders' event loop a moment, between the rounds' steps
    that do not use it.

    Between its turns that loop stands still, and a connection on it answers no
    keepalive ping: a server that pings every 20 s and waits 20 s for the pong (the
    simulator does, as websockets' servers do by default) closed the raw asyncio
    contender's connection with 1011 "keepalive ping timeout" when a round's other
    steps took longer, and the run failed.
    """
    import asyncio

    runner.run(asyncio.sleep(0.01))


def _latency_round(
    runner: Runner,
    c: _Contenders,
    plan: Workload,
    number: int,
    samples: Samples,
    suffix: str = "",
) -> None:
    """*plan.reads* reads of each latency contender, and the ratios of their medians.

    Each contender's process CPU time per read (every thread of this process: the
    caller's, the loop thread's) is sampled too, as ``<contender>_cpu_us``. With
    *suffix* (``"_busy"``), the figures are named for that set-up.
    """
    from .measurements import time_async, time_sync

    steps: list[tuple[str, Callable[[], list[float]]]] = [
        ("raw_rtt_us", lambda: runner.run(time_async(c.raw_read, plan.reads))),
        ("raw_sync_rtt_us", lambda: time_sync(c.raw_sync_read, plan.reads)),
        ("async_read_us", lambda: runner.run(time_async(c.async_read, plan.reads))),
        ("sync_read_us", lambda: time_sync(c.sync_read, plan.reads)),
    ]
    latency = {}
    for name, step in rotate(steps, number):
        cpu = time.process_time_ns()
        latency[name] = step()
        cpu_us = (time.process_time_ns() - cpu) / 1000 / len(latency[name])
        samples.extend(name + suffix, latency[name])
        samples.add(CPU_FIGURES[name] + suffix, cpu_us)
    medians = {name: median(values) for name, values in latency.items()}
    for ratio, (top, bottom) in RATIOS.items():
        samples.add(ratio + suffix, medians[top] / medians[bottom])


def _busy_round(
    runner: Runner, c: _Contenders, plan: Workload, number: int, samples: Samples
) -> None:
    """The latency round again, in a busy process (:mod:`.busy`)."""
    from .busy import busy_process

    with busy_process(c.busy_client, c.event_keys):
        _latency_round(runner, c, plan, number, samples, suffix="_busy")


def _threads_round(c: _Contenders, plan: Workload, number: int, samples: Samples) -> None:
    """One thread, then all threads, reading through the blocking client (or reversed)."""
    from .measurements import reads_per_second

    rates = {}
    for threads in rotate([1, THREADS], number):
        rates[threads] = reads_per_second(c.sync_read, threads, plan.thread_seconds)
    samples.add("threads1_reads_per_s", rates[1])
    samples.add("threads8_reads_per_s", rates[THREADS])
    samples.add("threads8_speedup", rates[THREADS] / rates[1])


def _batch_round(c: _Contenders, plan: Workload, samples: Samples) -> None:
    """Pairs of (sequential reads, one ``read_many``) of the batch keys."""
    sequential_ms: list[float] = []
    batched_ms: list[float] = []
    for repeat in range(plan.batch_repeats):
        for name, fn in rotate([("seq", c.sequential), ("batch", c.batched)], repeat):
            start = time.perf_counter_ns()
            fn()
            elapsed = (time.perf_counter_ns() - start) / 1e6
            (sequential_ms if name == "seq" else batched_ms).append(elapsed)
    samples.extend("batch100_sequential_ms", sequential_ms)
    samples.extend("batch100_read_many_ms", batched_ms)
    samples.add("batch100_speedup", median(sequential_ms) / median(batched_ms))


def _events_round(
    runner: Runner, c: _Contenders, plan: Workload, number: int, samples: Samples
) -> None:
    """The raw subscriber's event rate and the blocking iterator's (or reversed)."""
    from .measurements import events_per_second

    for name in rotate(["raw", "sync"], number):
        if name == "raw":
            rate = runner.run(c.raw_events.count_events(c.event_uuids, 0.1, plan.event_seconds))
            samples.add("events_raw_per_s", rate)
        else:
            rate, dropped = events_per_second(
                c.events_client, c.event_keys, 0.1, plan.event_seconds
            )
            samples.add("events_per_s", rate)
            samples.add("events_dropped", dropped)


def _ceiling_round(c: _Contenders, plan: Workload, samples: Samples) -> None:
    """Events a second through the blocking iterator from :mod:`.firehose`, and the
    rate of decoding the same messages alone (the floor), in the same round."""
    from .firehose import CHANNELS
    from .measurements import burst_per_second, decode_per_second

    if c.ceiling_client is None:
        return
    expected = max(1, plan.ceiling_events // CHANNELS) * len(c.ceiling_keys)
    rate, dropped = burst_per_second(c.ceiling_client, c.ceiling_keys, expected)
    samples.add("events_ceiling_per_s", rate)
    samples.add("events_ceiling_dropped", dropped)
    from .firehose import event_messages

    uuids = [c.ceiling_client.element_info(key).uuid for key in c.ceiling_keys]
    floor = decode_per_second(event_messages(uuids), min(plan.event_seconds, 0.5))
    samples.add("events_decode_floor_per_s", floor)
    # How many times slower the whole path is than decoding alone.
    samples.add("events_ceiling_over_floor", floor / rate)


def _large_round(plan: Workload, samples: Samples) -> None:
    """How fast the client takes one large event message (see
    :func:`~.measurements.large_message`), with the garbage collector left alone."""
    from .measurements import large_message

    rate, cpu = large_message(plan.large_message_bytes)
    samples.add("large_message_mb_per_s", rate)
    samples.add("large_message_cpu_s", cpu)
