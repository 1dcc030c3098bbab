"""Measure the clients: read latency, threads, batching, events, browsing, import time.

Without a URL, starts the embedded simulator in separate processes (so the server
does not share the client's interpreter) and stops them at the end, also on Ctrl-C
or error. With the URL of your own Xentara, measures against it (the figures that
need a generated model are skipped). The contenders are measured in alternating
rounds, so that the machine's drift hits them all alike; the table shows the median
and the slow tail (p90) of each figure, and the ratios the targets are set on.

``--json`` prints one JSON object instead of the table; ``--quick`` finishes in well
under 30 seconds (the full run takes about a minute).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

if TYPE_CHECKING:
    import subprocess
    import uuid
    from pathlib import Path

    from websockets.asyncio.client import ClientConnection

    from .aio import XentaraClient as AsyncClient
    from .sync import XentaraClient as SyncClient

__all__ = [
    "FIGURES",
    "FULL",
    "QUICK",
    "TARGETS",
    "BenchError",
    "Plan",
    "configure",
    "format_table",
    "measure",
    "percentile",
    "run",
]

#: The per-figure keys of the JSON result (each a number, or ``null`` when skipped).
FIGURES: Final = (
    "raw_rtt_us",
    "async_read_us",
    "sync_read_us",
    "sync_over_async",
    "async_over_raw",
    "threads8_speedup",
    "batch100_speedup",
    "events_per_s",
    "browse10k_s",
    "import_ms",
)

#: The team's targets: figure -> (comparison, bound).
TARGETS: Final[dict[str, tuple[str, float]]] = {
    "sync_over_async": ("<=", 1.10),
    "async_over_raw": ("<=", 1.15),
    "threads8_speedup": (">=", 3.0),
    "batch100_speedup": (">=", 20.0),
    "events_per_s": (">=", 20_000.0),
    "browse10k_s": ("<=", 1.0),
    "import_ms": ("<=", 150.0),
}

#: Figures where a bigger number is better (their slow tail is the low percentile).
_HIGHER_IS_BETTER: Final = frozenset(
    {
        "threads8_speedup",
        "threads1_reads_per_s",
        "threads8_reads_per_s",
        "batch100_speedup",
        "events_per_s",
        "events_raw_per_s",
    }
)

#: Element count of the generated model that is browsed.
BROWSE_COUNT: Final = 10_000
#: Reads compared with one ``read_many``.
BATCH: Final = 100
#: Threads sharing one blocking client.
THREADS: Final = 8
#: Extra 1 ms signals added to the demo model's four for the event measurement.
EXTRA_FAST_SIGNALS: Final = 28
#: Seconds a simulator process may take to start listening.
START_TIMEOUT: Final = 60.0
#: The well-known attribute number of ``value``.
_VALUE: Final = 11


class BenchError(Exception):
    """The benchmark cannot run (a simulator did not start, no readable element...)."""


class Plan(NamedTuple):
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

    def scaled(self, *, rounds: int | None = None, reads: int | None = None) -> Plan:
        """This plan with *rounds* and *reads* replaced (a tiny run for the tests)."""
        plan = self
        if rounds is not None:
            plan = plan._replace(rounds=max(1, rounds))
        if reads is not None:
            reads = max(1, reads)
            plan = plan._replace(reads=reads, warmup=min(plan.warmup, reads))
        return plan


#: The full run: about a minute on two cores.
FULL: Final = Plan(
    rounds=8,
    reads=2000,
    warmup=300,
    thread_seconds=1.0,
    event_seconds=1.0,
    batch_repeats=10,
    import_runs=15,
)
#: ``--quick``: well under 30 seconds on two cores.
QUICK: Final = Plan(
    rounds=4,
    reads=800,
    warmup=100,
    thread_seconds=0.4,
    event_seconds=0.5,
    batch_repeats=5,
    import_runs=7,
)


# --------------------------------------------------------------------------- command line


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``bench`` arguments to *parser*."""
    parser.add_argument(
        "url",
        nargs="?",
        help="measure against this Xentara (ws://... or wss://user:password@...); "
        "default: start the embedded simulator in separate processes",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="a shorter run (under 30 s)")
    parser.add_argument(
        "--root", default="Hardware", help="the root element to browse (%(default)s)"
    )
    parser.add_argument(
        "--key",
        help="the element to read (default: ROOT.Registers.Counter if it exists, "
        "else the first readable data point under the root)",
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="accept any TLS certificate (a self-signed one) with wss://",
    )
    # Internal: a tiny run for the test suite.
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reads", type=int, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print the table (or the JSON object); returns 0."""
    import signal
    import threading

    plan = (QUICK if args.quick else FULL).scaled(rounds=args.rounds, reads=args.reads)
    progress = None if args.json else _stderr_progress

    # SIGTERM ends the run like Ctrl-C does: the simulator processes are stopped.
    previous: Any = None
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        _TERMINATED.clear()
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        result = measure(
            args.url,
            root=args.root,
            key=args.key,
            plan=plan,
            verify_ssl=not args.insecure,
            progress=progress,
        )
    except BenchError as exc:
        print(f"xentara-sync bench: {exc}", file=sys.stderr)
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(format_table(result))
    return 0


#: Signals received that ask the run to stop.
_TERMINATED: list[int] = []


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM: stop as Ctrl-C does (asyncio's runner then cancels its task cleanly)."""
    import signal

    # Noted as well: an exception raised inside a C callback may be swallowed; the
    # rounds check this list and stop at the next one.
    _TERMINATED.append(signum)
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    raise KeyboardInterrupt


def _stderr_progress(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], fraction: float) -> float:
    """The *fraction* quantile of *values*, interpolated between the closest ranks.

    >>> percentile([1, 2, 3, 4], 0.5)
    2.5
    >>> percentile([5.0], 0.9)
    5.0
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _median(values: Sequence[float]) -> float:
    return percentile(values, 0.5)


def _tail(name: str, values: Sequence[float]) -> float:
    """The slow tail: 90 % of the samples are at least this good."""
    return percentile(values, 0.1 if name in _HIGHER_IS_BETTER else 0.9)


class _Samples:
    """Samples of every figure, by name."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def extend(self, name: str, values: Sequence[float]) -> None:
        self.values.setdefault(name, []).extend(values)

    def summary(self, name: str) -> tuple[float, float] | None:
        values = self.values.get(name)
        if not values:
            return None
        return _median(values), _tail(name, values)


# --------------------------------------------------------------------------- simulators


class _Server:
    """One ``xentara-sync simulate`` process."""

    def __init__(self, name: str, model: Path | None, directory: Path) -> None:
        import subprocess

        self.name = name
        self.log = directory / f"{name}.log"
        command = [sys.executable, "-m", "xentara_sync", "simulate", "--port", "0"]
        if model is not None:
            command += ["--model", os.fspath(model)]
        with self.log.open("wb") as log:
            self.process: subprocess.Popen[str] = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )

    def url(self, timeout: float) -> str:
        """The URL the process prints once it listens; raises :class:`BenchError`."""
        import threading

        lines: list[str] = []
        stream = self.process.stdout
        assert stream is not None
        reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        line = lines[0].strip() if lines else ""
        if not line.startswith("listening on "):
            self.stop()
            detail = self.log.read_text(errors="replace").strip()[-2000:]
            raise BenchError(
                f"the {self.name} simulator did not start (got {line!r})"
                + (f":\n{detail}" if detail else "")
            )
        return line.removeprefix("listening on ")

    def stop(self) -> None:
        """Terminate the process and wait for it (kill it if it lingers)."""
        import subprocess

        process = self.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


def fast_model(extra: int = EXTRA_FAST_SIGNALS) -> dict[str, Any]:
    """The demo model with *extra* more signals on its 1 ms sampler (``Fast Signals``).

    The demo's four fast signals change at most 4,000 times a second in all; with
    28 more, the simulator offers about 30,000 changes a second.
    """
    import copy
    import uuid

    from .simulator.models import demo_model_path

    document: dict[str, Any] = json.loads(demo_model_path().read_text(encoding="utf-8"))
    namespace = uuid.UUID("5b1f0c44-7d0e-4f43-9a57-0f3e2f4b9d11")
    for group in document["children"]:
        for child in group.get("@Group", {}).get("children", []):
            sampler = child.get("@Skill.SignalGenerator.Sampler")
            if sampler is None or sampler.get("name") != "Fast Signals":
                continue
            signals = sampler["children"]
            templates = [
                s
                for s in signals
                if s["@Skill.SignalGenerator.Signal"]["name"] in ("Sine", "Noise", "Saw-Tooth")
            ]
            for number in range(extra):
                clone = copy.deepcopy(templates[number % len(templates)])
                body = clone["@Skill.SignalGenerator.Signal"]
                body["name"] = f"{body['name']} {number + 2}"
                body["UUID"] = str(uuid.uuid5(namespace, body["name"]))
                signals.append(clone)
            return document
    raise BenchError("the demo model has no 'Fast Signals' sampler")


class _Targets(NamedTuple):
    """Where each measurement runs."""

    reads: str
    batch: str
    events: str
    browse: str | None
    embedded: bool


def _start_simulators(directory: Path, servers: list[_Server]) -> _Targets:
    """Start the simulator processes (all at once) and wait until each listens."""
    from pathlib import Path

    from .simulator.models import generated_model

    models: dict[str, Path | None] = {"demo": None}
    for name, document in (
        ("generated-200", generated_model(2 * BATCH)),
        ("fast-signals", fast_model()),
        ("generated-10k", generated_model(BROWSE_COUNT)),
    ):
        path = Path(directory) / f"{name}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        models[name] = path
    for name, model in models.items():
        servers.append(_Server(name, model, directory))
    urls = {server.name: server.url(START_TIMEOUT) for server in servers}
    return _Targets(
        reads=urls["demo"],
        batch=urls["generated-200"],
        events=urls["fast-signals"],
        browse=urls["generated-10k"],
        embedded=True,
    )


# --------------------------------------------------------------------------- raw client


class _RawClient:
    """The floor: a hand-written websockets + cbor2 loop, one request per message."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._id = 0

    @classmethod
    async def connect(cls, url: str, verify_ssl: bool) -> _RawClient:
        from websockets.asyncio.client import connect

        from .endpoint import Endpoint, make_ssl_context

        endpoint = Endpoint.parse(url)
        ws = await connect(
            endpoint.url,
            additional_headers=endpoint.headers(),
            ssl=make_ssl_context(verify_ssl) if endpoint.secure else None,
            compression=None,
            max_size=None,
            proxy=None,
        )
        client = cls(ws)
        await client.call(14, {0: 1, 1: 1})  # client hello
        return client

    async def call(self, opcode: int, params: dict[int, Any]) -> Any:
        """Send one request; the result of its response (skipping events)."""
        import cbor2

        self._id += 1
        message_id = self._id
        await self._ws.send(cbor2.dumps([[0, message_id, opcode, params]]))
        while True:
            for packet in cbor2.loads(await self._ws.recv(decode=False)):
                if packet[0] in (1, 2) and packet[1] == message_id:
                    if packet[0] == 2:
                        raise BenchError(f"the raw request {opcode} failed: {packet[2]!r}")
                    return packet[2] if len(packet) > 2 else None

    async def read(self, element: uuid.UUID) -> Any:
        """One read of *element*'s value: encode, send, receive, decode."""
        import cbor2

        self._id += 1
        await self._ws.send(cbor2.dumps([[0, self._id, 4, {0: element, 1: [_VALUE]}]]))
        (packet,) = cbor2.loads(await self._ws.recv(decode=False))
        return packet[2][_VALUE].value

    async def count_events(
        self, elements: Sequence[uuid.UUID], warm: float, seconds: float
    ) -> float:
        """Subscribe (no throttle) and count value changes for *seconds*, after *warm*."""
        import asyncio
        import uuid

        import cbor2

        subscription = uuid.uuid4()
        items = [{0: element, 1: [_VALUE]} for element in elements]
        await self.call(6, {0: items, 3: subscription})
        loop = asyncio.get_running_loop()
        start = loop.time() + warm
        end = start + seconds
        count = 0
        try:
            async with asyncio.timeout_at(end):
                while True:
                    data = await self._ws.recv(decode=False)
                    if loop.time() < start:
                        continue
                    for packet in cbor2.loads(data):
                        if packet[0] == 8:
                            count += len(packet[2].get(2, ()))
        except TimeoutError:
            pass
        await self.call(7, {0: subscription})
        return count / seconds

    async def close(self) -> None:
        await self._ws.close()


# --------------------------------------------------------------------------- measurements


def _rotate(items: list[Any], by: int) -> list[Any]:
    by %= len(items)
    return items[by:] + items[:by]


async def _time_async(read: Callable[[], Any], count: int) -> list[float]:
    """Microseconds of each of *count* awaited calls of ``read()``."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(count):
        start = clock()
        await read()
        samples.append((clock() - start) / 1000)
    return samples


def _time_sync(read: Callable[[], Any], count: int) -> list[float]:
    """Microseconds of each of *count* calls of ``read()``."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(count):
        start = clock()
        read()
        samples.append((clock() - start) / 1000)
    return samples


def _throughput(read: Callable[[], Any], threads: int, seconds: float) -> float:
    """Reads per second of *threads* threads calling ``read()`` for *seconds*.

    The threads start together at a barrier; the clock runs from the barrier until
    the last thread has finished its last read, and every read counts.
    """
    import threading

    stop = threading.Event()
    counts: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        count = 0
        try:
            barrier.wait()
            stopped = stop.is_set
            while not stopped():
                read()
                count += 1
        except threading.BrokenBarrierError:
            return
        except Exception as exc:
            errors.append(exc)
            return
        counts.append(count)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        barrier.wait()
        start = time.perf_counter_ns()
        time.sleep(seconds)
    finally:  # also on Ctrl-C: no thread keeps reading from a closing client
        stop.set()
        barrier.abort()
        for worker in workers:
            worker.join()
    elapsed = (time.perf_counter_ns() - start) / 1e9
    if errors:
        raise BenchError(f"a reading thread failed: {errors[0]!r}") from errors[0]
    return sum(counts) / elapsed


def _events(
    client: SyncClient, keys: Sequence[str], warm: float, seconds: float
) -> tuple[float, int]:
    """Events per second through the blocking iterator, and the events dropped.

    Subscribes without throttle or heartbeat; counts the events the iterator yields
    from *warm* seconds after the start until the subscription is stopped (by a
    timer, so a silent source cannot hang the run), including the queued backlog.
    """
    import threading

    clock = time.perf_counter_ns
    with client.subscribe(list(keys), None, None) as subscription:
        begin = clock()
        start = begin + int(warm * 1e9)
        timer = threading.Timer(warm + seconds, subscription.stop)
        timer.start()
        count = 0
        try:
            for _ in subscription:
                if clock() >= start:
                    count += 1
            end = clock()
        finally:
            timer.cancel()
        dropped = subscription.dropped
    return count / max((end - start) / 1e9, 1e-9), dropped


def _browse(url: str, verify_ssl: bool) -> float:
    """Seconds of a blocking connect + browse of the whole model at *url*."""
    from . import XentaraClient

    start = time.perf_counter_ns()
    client = XentaraClient(url, root_element=None, verify_ssl=verify_ssl, timeout=60)
    elapsed = (time.perf_counter_ns() - start) / 1e9
    try:
        if len(client) < BROWSE_COUNT:
            raise BenchError(f"browsed {len(client)} elements, expected {BROWSE_COUNT}")
    finally:
        client.close()
    return elapsed


def _import_ms(runs: int) -> list[float]:
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


def _thread_hop_us(count: int) -> list[float]:
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


def _readable(client: SyncClient, limit: int) -> list[str]:
    """Up to *limit* data points of *client* that read without error, in model order."""
    from .exceptions import XentaraError
    from .protocol import Category

    keys = []
    for info in client.elements(Category.DATA_POINT):
        try:
            client.read(info.key)
        except XentaraError:
            continue
        keys.append(info.key)
        if len(keys) >= limit:
            break
    return keys


def _default_key(client: SyncClient, root: str) -> str:
    preferred = f"{root}.Registers.Counter"
    if preferred in client:
        return preferred
    keys = _readable(client, 1)
    if not keys:
        raise BenchError(f"no readable data point under {root!r}; choose one with --key")
    return keys[0]


def _machine() -> dict[str, Any]:
    import platform

    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "processor": platform.machine(),
    }


def measure(
    url: str | None = None,
    *,
    root: str = "Hardware",
    key: str | None = None,
    plan: Plan = FULL,
    verify_ssl: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every measurement; returns the result as a JSON-ready dict.

    Without *url*, the embedded simulator runs in separate processes, which are
    stopped before this returns (also on error or Ctrl-C).
    """
    import tempfile
    from pathlib import Path

    say = progress or (lambda text: None)
    samples = _Samples()
    skipped: dict[str, str] = {}

    say(f"import time ({plan.import_runs} interpreter pairs)")
    samples.extend("import_ms", _import_ms(plan.import_runs))
    say("thread hand-over floor")
    samples.extend("thread_hop_us", _thread_hop_us(max(plan.reads, 200)))

    servers: list[_Server] = []
    try:
        with tempfile.TemporaryDirectory(prefix="xentara-bench-") as directory:
            if url is None:
                say("starting the simulator processes")
                targets = _start_simulators(Path(directory), servers)
            else:
                targets = _Targets(url, url, url, None, embedded=False)
                skipped["browse10k_s"] = "needs the generated 10,000-element model"
            read_key, event_source = _measure_rounds(
                targets, root, key, plan, verify_ssl, samples, skipped, say
            )
            if _TERMINATED:
                raise KeyboardInterrupt
    finally:
        for server in servers:
            server.stop()
    return _result(url, plan, samples, skipped, read_key, event_source)


def _measure_rounds(
    targets: _Targets,
    root: str,
    key: str | None,
    plan: Plan,
    verify_ssl: bool,
    samples: _Samples,
    skipped: dict[str, str],
    say: Callable[[str], None],
) -> tuple[str, str]:
    """Measure everything but the import time; returns the key read and the event source."""
    import asyncio
    import contextlib

    from . import XentaraClient
    from .aio import XentaraClient as AsyncClient

    with asyncio.Runner() as runner, contextlib.ExitStack() as stack:
        say("connecting")
        sync_client = stack.enter_context(
            XentaraClient(targets.reads, root_element=root, verify_ssl=verify_ssl)
        )
        read_key = key or _default_key(sync_client, root)
        element = sync_client.element_info(read_key).uuid
        async_client: AsyncClient = runner.run(
            AsyncClient.create(targets.reads, root_element=root, verify_ssl=verify_ssl)
        )
        stack.callback(lambda: runner.run(async_client.close()))
        raw = runner.run(_RawClient.connect(targets.reads, verify_ssl))
        stack.callback(lambda: runner.run(raw.close()))
        raw_events = raw
        if targets.events != targets.reads:
            raw_events = runner.run(_RawClient.connect(targets.events, verify_ssl))
            stack.callback(lambda: runner.run(raw_events.close()))

        if targets.embedded:
            batch_client = stack.enter_context(XentaraClient(targets.batch, verify_ssl=verify_ssl))
            events_client = stack.enter_context(
                XentaraClient(targets.events, verify_ssl=verify_ssl)
            )
            batch_keys = _readable(batch_client, BATCH)
            event_keys = [k for k in events_client if k.startswith("Hardware.Fast Signals.")]
        else:
            batch_client = events_client = sync_client
            batch_keys = _readable(sync_client, BATCH)
            event_keys = batch_keys
        if not batch_keys:
            raise BenchError(f"no readable data point under {root!r}")
        if len(batch_keys) < BATCH:
            batch_keys = [batch_keys[i % len(batch_keys)] for i in range(BATCH)]
        event_uuids = [events_client.element_info(k).uuid for k in event_keys]

        def sync_read() -> Any:
            return sync_client.read(read_key)

        def async_read() -> Any:
            return async_client.read(read_key)

        def raw_read() -> Any:
            return raw.read(element)

        def sequential() -> None:
            for batch_key in batch_keys:
                batch_client.read(batch_key)

        def batched() -> None:
            batch_client.read_many(batch_keys)

        say(f"warming up (reading {read_key!r})")
        runner.run(_time_async(raw_read, plan.warmup))
        runner.run(_time_async(async_read, plan.warmup))
        _time_sync(sync_read, plan.warmup)
        _throughput(sync_read, THREADS, min(0.2, plan.thread_seconds))
        sequential()
        batched()
        if targets.browse is not None:
            _browse(targets.browse, verify_ssl)

        for number in range(plan.rounds):
            if _TERMINATED:
                raise KeyboardInterrupt
            say(f"round {number + 1}/{plan.rounds}")
            latency = {}
            for name, step in _rotate(
                [
                    ("raw_rtt_us", lambda: runner.run(_time_async(raw_read, plan.reads))),
                    ("async_read_us", lambda: runner.run(_time_async(async_read, plan.reads))),
                    ("sync_read_us", lambda: _time_sync(sync_read, plan.reads)),
                ],
                number,
            ):
                latency[name] = step()
                samples.extend(name, latency[name])
            medians = {name: _median(values) for name, values in latency.items()}
            samples.add("sync_over_async", medians["sync_read_us"] / medians["async_read_us"])
            samples.add("async_over_raw", medians["async_read_us"] / medians["raw_rtt_us"])

            rates = {}
            for threads in _rotate([1, THREADS], number):
                rates[threads] = _throughput(sync_read, threads, plan.thread_seconds)
            samples.add("threads1_reads_per_s", rates[1])
            samples.add("threads8_reads_per_s", rates[THREADS])
            samples.add("threads8_speedup", rates[THREADS] / rates[1])

            sequential_ms: list[float] = []
            batched_ms: list[float] = []
            for repeat in range(plan.batch_repeats):
                for name, fn in _rotate([("seq", sequential), ("batch", batched)], repeat):
                    start = time.perf_counter_ns()
                    fn()
                    elapsed = (time.perf_counter_ns() - start) / 1e6
                    (sequential_ms if name == "seq" else batched_ms).append(elapsed)
            samples.extend("batch100_sequential_ms", sequential_ms)
            samples.extend("batch100_read_many_ms", batched_ms)
            samples.add("batch100_speedup", _median(sequential_ms) / _median(batched_ms))

            for name in _rotate(["raw", "sync"], number):
                if name == "raw":
                    rate = runner.run(raw_events.count_events(event_uuids, 0.1, plan.event_seconds))
                    samples.add("events_raw_per_s", rate)
                else:
                    rate, dropped = _events(events_client, event_keys, 0.1, plan.event_seconds)
                    samples.add("events_per_s", rate)
                    samples.add("events_dropped", dropped)

            if targets.browse is not None:
                samples.add("browse10k_s", _browse(targets.browse, verify_ssl))

    return read_key, f"{len(event_keys)} signals"


def _result(
    url: str | None,
    plan: Plan,
    samples: _Samples,
    skipped: dict[str, str],
    read_key: str,
    event_source: str,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in FIGURES:
        result[name] = None
        result[f"{name}_p90"] = None
    for name in samples.values:
        summary = samples.summary(name)
        if summary is not None:
            result[name], result[f"{name}_p90"] = summary
    # The ratios are those of the medians; their p90 is over the per-round ratios.
    for ratio, top, bottom in (
        ("sync_over_async", "sync_read_us", "async_read_us"),
        ("async_over_raw", "async_read_us", "raw_rtt_us"),
    ):
        if result.get(top) and result.get(bottom):
            result[ratio] = result[top] / result[bottom]
    if result.get("sync_read_us") and result.get("async_read_us"):
        result["sync_minus_async_us"] = result["sync_read_us"] - result["async_read_us"]
    dropped = samples.values.get("events_dropped", [])
    result["events_dropped"] = int(sum(dropped))
    result.pop("events_dropped_p90", None)
    result["events_dropped_max"] = int(max(dropped, default=0))
    result["targets"] = {
        name: {
            "target": f"{op} {bound:g}",
            "met": None
            if result.get(name) is None
            else (result[name] <= bound if op == "<=" else result[name] >= bound),
        }
        for name, (op, bound) in TARGETS.items()
    }
    if result["targets"]["events_per_s"]["met"] and result["events_dropped"]:
        result["targets"]["events_per_s"]["met"] = False
    result["skipped"] = skipped
    result["server"] = "embedded simulator (separate processes)" if url is None else _safe(url)
    result["key"] = read_key
    result["event_source"] = event_source
    result["plan"] = plan._asdict()
    result["machine"] = _machine()
    return result


def _safe(url: str) -> str:
    from .endpoint import Endpoint

    try:
        return Endpoint.parse(url).url
    except Exception:
        return "?"


# --------------------------------------------------------------------------- table


#: (key, label, unit, format) of each table row.
_ROWS: Final = (
    ("raw_rtt_us", "raw websockets + cbor2 round trip", "us", "{:,.1f}"),
    ("async_read_us", "await client.read() (asyncio)", "us", "{:,.1f}"),
    ("sync_read_us", "client.read() (blocking)", "us", "{:,.1f}"),
    ("sync_over_async", "  blocking / asyncio", "x", "{:.2f}"),
    ("sync_minus_async_us", "  blocking - asyncio", "us", "{:,.1f}"),
    ("thread_hop_us", "  floor: wake a loop thread and back", "us", "{:,.1f}"),
    ("async_over_raw", "  asyncio / raw", "x", "{:.2f}"),
    ("threads1_reads_per_s", "1 thread, blocking reads", "/s", "{:,.0f}"),
    ("threads8_reads_per_s", "8 threads sharing the client", "/s", "{:,.0f}"),
    ("threads8_speedup", "  8 threads / 1 thread", "x", "{:.2f}"),
    ("batch100_sequential_ms", "100 sequential blocking reads", "ms", "{:,.2f}"),
    ("batch100_read_many_ms", "read_many() of the same 100", "ms", "{:,.2f}"),
    ("batch100_speedup", "  sequential / read_many", "x", "{:.1f}"),
    ("events_raw_per_s", "events offered (raw subscriber)", "/s", "{:,.0f}"),
    ("events_per_s", "events through the blocking iterator", "/s", "{:,.0f}"),
    ("browse10k_s", "connect + browse 10,000 elements", "s", "{:.3f}"),
    ("import_ms", "import xentara_sync (fresh process)", "ms", "{:.1f}"),
)


def format_table(result: dict[str, Any]) -> str:
    """The result as a text table: median, slow tail (p90) and target of each figure."""
    machine = result["machine"]
    plan = result["plan"]
    lines = [
        f"xentara-sync bench against {result['server']}",
        f"Python {machine['python']} ({machine['implementation']}) on {machine['platform']}, "
        f"{machine['cpu_count']} CPUs; {plan['rounds']} rounds x {plan['reads']} reads; "
        f"reading {result['key']!r}",
        "",
        f"{'figure':<40} {'median':>12} {'p90':>12} {'unit':<4}  target",
        "-" * 84,
    ]
    for name, label, unit, number in _ROWS:
        value = result.get(name)
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            met = result["targets"][name]["met"]
            state = "-" if met is None else ("ok" if met else "MISSED")
            verdict = f"{target[0]} {target[1]:g}  {state}"
        if value is None:
            reason = result["skipped"].get(name, "not measured")
            lines.append(f"{label:<40} {'skipped: ' + reason}")
            continue
        tail = result.get(f"{name}_p90")
        tail_text = number.format(tail) if tail is not None else ""
        lines.append(f"{label:<40} {number.format(value):>12} {tail_text:>12} {unit:<4}  {verdict}")
    lines += [
        "",
        f"events dropped: {result['events_dropped']} "
        f"(source: {result['event_source']}, no throttle)",
        "p90 is the slow tail: 90 % of the samples were at least this good (for times the "
        "90th percentile,",
        "for rates and speedups the 10th). Ratios are those of the medians; their p90 is "
        "over the rounds.",
    ]
    return "\n".join(lines)
