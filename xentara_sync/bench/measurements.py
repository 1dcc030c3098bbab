"""The client measurements: timed reads, threads sharing a client, events, browsing.

Each takes the callables or clients to measure and returns plain numbers; the
rounds (:mod:`.rounds`) decide what is measured when. They use the public API of
the clients only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from .plan import BROWSE_COUNT, BenchError

if TYPE_CHECKING:
    from ..sync import XentaraClient

__all__ = [
    "browse_seconds",
    "burst_per_second",
    "decode_per_second",
    "default_key",
    "events_per_second",
    "readable",
    "reads_per_second",
    "time_async",
    "time_sync",
]


async def time_async(read: Callable[[], Awaitable[Any]], count: int) -> list[float]:
    """Microseconds of each of *count* awaited calls of ``read()``."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(count):
        start = clock()
        await read()
        samples.append((clock() - start) / 1000)
    return samples


def time_sync(read: Callable[[], Any], count: int) -> list[float]:
    """Microseconds of each of *count* calls of ``read()``."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(count):
        start = clock()
        read()
        samples.append((clock() - start) / 1000)
    return samples


def reads_per_second(read: Callable[[], Any], threads: int, seconds: float) -> float:
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


def events_per_second(
    client: XentaraClient, keys: Sequence[str], warm: float, seconds: float
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


def burst_per_second(
    client: XentaraClient,
    keys: Sequence[str],
    expected: int,
    timeout: float = 120.0,
    quiet: float = 2.0,
) -> tuple[float, int]:
    """Events per second through the blocking iterator from a burst of *expected*
    events (:mod:`.firehose`), and the events missing at the end (dropped or lost).

    The clock runs from the first event to the last. A watcher thread stops the
    subscription (ending the iteration) once no event came for *quiet* seconds
    after the first (the burst is over: what is missing was dropped), or after
    *timeout* seconds in all, so that a short burst cannot hang the run, nor hold
    it for long: meanwhile the other contenders' connections stand idle.
    """
    import threading

    clock = time.perf_counter_ns
    count = 0
    first = last = 0
    done = threading.Event()
    with client.subscribe(list(keys), None, None) as subscription:
        started = clock()
        # Where the count stood when the watcher last saw it move (read: no lock).
        moved = [0, started]

        def watch() -> None:
            while not done.wait(0.05):
                now = clock()
                if count != moved[0]:
                    moved[:] = [count, now]
                elif (count and now - moved[1] > quiet * 1e9) or now - started > timeout * 1e9:
                    subscription.stop()
                    return

        watcher = threading.Thread(target=watch, name="bench-burst-watch", daemon=True)
        watcher.start()
        try:
            for _ in subscription:
                count += 1
                if count == 1:
                    first = clock()
                elif count >= expected:
                    break
            last = clock() if count >= expected else moved[1]
        finally:
            done.set()
            watcher.join()
    if count < 2:
        raise BenchError(f"the event ceiling's server sent {count} of {expected} events")
    return (count - 1) / max((last - first) / 1e9, 1e-9), expected - count


def decode_per_second(messages: Sequence[bytes], seconds: float) -> float:
    """Attribute changes a second that the client's message parser alone takes from
    *messages* (decoded in turn for about *seconds*): the floor of the event path."""
    from ..protocol.session import parse_message

    clock = time.perf_counter_ns
    count = 0
    start = clock()
    until = start + int(seconds * 1e9)
    while True:
        for message in messages:
            for packet in parse_message(message):
                count += len(getattr(packet, "attributes", ()))
        now = clock()
        if now >= until:
            break
    return count / max((now - start) / 1e9, 1e-9)


def large_message(size: int, rounds: int = 1) -> tuple[float, float]:
    """Megabytes a second that the client takes of one event message of about *size*
    bytes (decoded, routed to a subscription's sink, in slices as the receiving
    side does), and the process CPU seconds per message; the best of *rounds*.

    The process's garbage collector stays as the user has it (enabled), and a few
    hundred thousand other live objects stand beside the message, as in a user's
    process: what a collection during the parse has to walk.
    """
    import uuid

    from ..core.receiving import PACKETS_PER_SLICE
    from ..protocol import Category, DataChange, TimePoint, encode_message
    from ..protocol.index import ElementInfo
    from ..protocol.session import ClientSession, parse_message

    elements = [uuid.UUID(int=number + 1) for number in range(100)]
    start = TimePoint.now().ns
    count = max(1, size // 56)  # about 56 bytes an event
    data = encode_message(
        [
            DataChange(TimePoint(start + number * 1000), elements[number % 100], {11: number / 7})
            for number in range(count)
        ]
    )

    class Sink:
        dropped = 0
        taken = 0

        def put(self, event: object) -> None:
            self.taken += 1

        def close(self, error: BaseException | None) -> None:
            pass

    session = ClientSession("ws://127.0.0.1/api/ws")
    session.set_index(
        [
            ElementInfo(f"Hardware.Channel {number}", element, Category.DATA_POINT)
            for number, element in enumerate(elements)
        ]
    )
    sink = Sink()
    session.add_routes([(element, 11) for element in elements], sink)
    ballast = [{number: [number]} for number in range(300_000)]
    best_wall = best_cpu = math.inf
    for _ in range(rounds):
        wall = time.perf_counter_ns()
        cpu = time.process_time_ns()
        packets = parse_message(data)
        while packets:
            for waiting, event in session.receive_packets(packets[:PACKETS_PER_SLICE]).events:
                waiting.put(event)
            del packets[:PACKETS_PER_SLICE]
        best_cpu = min(best_cpu, (time.process_time_ns() - cpu) / 1e9)
        best_wall = min(best_wall, (time.perf_counter_ns() - wall) / 1e9)
    del ballast
    if sink.taken != count * rounds:
        raise BenchError(f"the large message gave {sink.taken} of {count * rounds} events")
    return len(data) / 1e6 / max(best_wall, 1e-9), best_cpu


def browse_seconds(url: str, verify_ssl: bool) -> float:
    """Seconds of a blocking connect + browse of the whole model at *url*."""
    from .. import XentaraClient

    start = time.perf_counter_ns()
    client = XentaraClient(url, root_element=None, verify_ssl=verify_ssl, timeout=60)
    elapsed = (time.perf_counter_ns() - start) / 1e9
    try:
        if len(client) < BROWSE_COUNT:
            raise BenchError(f"browsed {len(client)} elements, expected {BROWSE_COUNT}")
    finally:
        client.close()
    return elapsed


def readable(client: XentaraClient, limit: int) -> list[str]:
    """Up to *limit* data points of *client* that read without error, in model order."""
    from ..exceptions import XentaraError
    from ..protocol import Category

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


def default_key(client: XentaraClient, root: str) -> str:
    """``ROOT.Registers.Counter`` if *client* has it, else its first readable data point."""
    preferred = f"{root}.Registers.Counter"
    if preferred in client:
        return preferred
    keys = readable(client, 1)
    if not keys:
        raise BenchError(f"no readable data point under {root!r}; choose one with --key")
    return keys[0]
