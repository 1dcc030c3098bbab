"""Throughput of the simulator, measured from a raw client in another process.

Starts ``python -m xentara_sync simulate --port 0`` in a subprocess and, with a raw
websockets + cbor2 client, measures:

- single reads: one read request per message, sequential (request, wait, repeat);
- batched reads: 100 read requests in one message, sequential batches;
- events per second delivered to one subscriber of 20 signals on a 1 ms timer
  (a generated model), counted as (element, attribute) updates received;
- a full browse of a generated 10,000-element model (server-side time, measured
  in-process, and the round trip);
- the server-side time of one read message (one read, and 100 reads of the
  demo's data points), measured in-process without sockets.

Run: ``python benchmarks/simulator_bench.py [--seconds 3]`` (about 15 s in all).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

from xentara_sync.protocol import (
    NIL_UUID,
    Category,
    DataChange,
    Opcode,
    Request,
    Success,
    decode_message,
    encode_message,
    encode_read,
    join_packets,
)
from xentara_sync.simulator import generated_model, load_model
from xentara_sync.simulator.engine import Engine, Session
from xentara_sync.simulator.models import demo_model_path

ELEMENT = "Hardware.Registers.Setpoint"


def start_simulator(model: str | None = None) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "xentara_sync", "simulate", "--port", "0"]
    if model is not None:
        command += ["--model", model]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        process.kill()
        raise SystemExit(f"the simulator did not start: {line!r}")
    return process, line.removeprefix("listening on ")


async def measure(url: str, seconds: float) -> dict[str, float]:
    async with connect(url, compression=None, max_size=None) as ws:
        ids = iter(range(1, 10**9))

        async def call(requests: list[Request]) -> list[object]:
            await ws.send(encode_message(requests))
            data = await ws.recv()
            assert isinstance(data, bytes)
            return decode_message(data)  # type: ignore[return-value]

        await call([Request(next(ids), Opcode.CLIENT_HELLO, {0: 1, 1: 1})])
        (found,) = await call([Request(next(ids), Opcode.LOOKUP, {0: ELEMENT})])
        assert isinstance(found, Success)
        element = found.result
        params = {0: element, 1: [11, 9, 7]}

        results: dict[str, float] = {}
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(100):
                await call([Request(next(ids), Opcode.READ, params)])
            count += 100
        results["single reads/s"] = count / (time.perf_counter() - start)

        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            answers = await call([Request(next(ids), Opcode.READ, params) for _ in range(100)])
            assert len(answers) == 100
            count += 100
        results["batched reads/s (100 per message)"] = count / (time.perf_counter() - start)

        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 2:
            await call([Request(next(ids), Opcode.GET_STAGE)])
            count += 1
        results["get_stage round trips/s"] = count / (time.perf_counter() - start)
    return results


async def measure_browse(url: str) -> float:
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(encode_message([Request(1, Opcode.CLIENT_HELLO, {0: 1, 1: 1})]))
        await ws.recv()
        start = time.perf_counter()
        await ws.send(encode_message([Request(2, Opcode.BROWSE, {0: NIL_UUID})]))
        (answer,) = decode_message(await ws.recv())  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        assert isinstance(answer, Success)
        assert len(answer.result) == 10_000
        return elapsed


async def measure_events(url: str, seconds: float) -> tuple[float, float]:
    """(attribute updates/s, event messages/s) for a subscription of every signal."""
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(encode_message([Request(1, Opcode.CLIENT_HELLO, {0: 1, 1: 1})]))
        await ws.recv()
        await ws.send(encode_message([Request(2, Opcode.BROWSE, {0: NIL_UUID, 2: [2]})]))
        (answer,) = decode_message(await ws.recv())  # type: ignore[arg-type]
        assert isinstance(answer, Success)
        items = [{0: entry[1], 1: [11]} for entry in answer.result]
        await ws.send(encode_message([Request(3, Opcode.SUBSCRIBE, {0: items})]))
        await ws.recv()
        updates = messages = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            data = await ws.recv()
            assert isinstance(data, bytes)
            packets = decode_message(data)
            messages += 1
            updates += sum(len(p.attributes) for p in packets if isinstance(p, DataChange))
        elapsed = time.perf_counter() - start
        return updates / elapsed, messages / elapsed


def server_side_browse() -> tuple[float, float]:
    """(load time, server-side time of one full browse) for 10,000 elements."""
    document = generated_model(10_000)
    start = time.perf_counter()
    model = load_model(document)
    loaded = time.perf_counter() - start

    async def browse() -> float:
        session = Session(Engine(model), None, lambda: None)
        session.handle(encode_message([Request(1, Opcode.CLIENT_HELLO, {0: 1, 1: 1})]))
        message = encode_message([Request(2, Opcode.BROWSE, {0: NIL_UUID, 2: [2]})])
        session.handle(message)
        message = encode_message([Request(3, Opcode.BROWSE, {0: NIL_UUID})])
        start = time.perf_counter()
        session.handle(message)
        return time.perf_counter() - start

    return loaded, asyncio.run(browse())


def server_side_reads() -> dict[str, float]:
    """Microseconds :meth:`Session.handle` takes for read messages (best of 5 runs)."""
    model = load_model(demo_model_path())
    points = [
        e for e in model.elements if e.category is Category.DATA_POINT and 11 in e.table.readable
    ]
    element = model.by_key[ELEMENT]
    messages = {
        "server side: 1 read of [11] (us)": (
            join_packets([encode_read(7, element.uuid, [11])]),
            20_000,
        ),
        "server side: 1 read of [11, 9, 7] (us)": (
            join_packets([encode_read(7, element.uuid, [11, 9, 7])]),
            20_000,
        ),
        "server side: 100 reads of [11] (us)": (
            join_packets(
                [encode_read(1000 + i, points[i % len(points)].uuid, [11]) for i in range(100)]
            ),
            300,
        ),
    }

    async def run() -> dict[str, float]:
        session = Session(Engine(model), None, lambda: None)
        session.handle(encode_message([Request(1, Opcode.CLIENT_HELLO, {0: 1, 1: 1})]))
        results = {}
        for name, (message, count) in messages.items():
            best = float("inf")
            for _ in range(5):
                start = time.perf_counter()
                for _ in range(count):
                    session.handle(message)
                best = min(best, (time.perf_counter() - start) / count)
            results[name] = best * 1e6
        return results

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    args = parser.parse_args()
    process, url = start_simulator()
    try:
        results = asyncio.run(measure(url, args.seconds))
    finally:
        process.terminate()
        process.wait(10)
    for name, value in results.items():
        print(f"{name:40s} {value:10,.0f}")

    for name, value in server_side_reads().items():
        print(f"{name:40s} {value:10.1f}")

    loaded, browsed = server_side_browse()
    print(f"{'load 10k-element model (s)':40s} {loaded:10.3f}")
    print(f"{'full browse of 10k, server side (s)':40s} {browsed:10.3f}")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.json"
        path.write_text(json.dumps(generated_model(10_000)), encoding="utf-8")
        process, url = start_simulator(os.fspath(path))
        try:
            elapsed = asyncio.run(measure_browse(url))
        finally:
            process.terminate()
            process.wait(10)
        print(f"{'full browse of 10k, round trip (s)':40s} {elapsed:10.3f}")
        path.write_text(json.dumps(generated_model(100, signals=20)), encoding="utf-8")
        process, url = start_simulator(os.fspath(path))
        try:
            updates, messages = asyncio.run(measure_events(url, args.seconds))
        finally:
            process.terminate()
            process.wait(10)
        print(f"{'events/s (20 signals, 1 ms timer)':40s} {updates:10,.0f}")
        print(f"{'event messages/s (one per tick)':40s} {messages:10,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
