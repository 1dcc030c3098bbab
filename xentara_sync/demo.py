"""Start the embedded simulator and show the blocking client at work.

Serves the bundled demo model (or the one of --model) on a free port of
127.0.0.1, connects, browses, writes and reads, shows the exceptions of common
mistakes, and watches a live signal for --seconds, printing what it does; then
stops the simulator and exits. It needs no Xentara and takes no URL: against your
own Xentara, use the browse, read, write and watch commands.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

OUTPUTS = [f"Hardware.EtherCAT Bus.EL2624.Output {n}" for n in range(1, 5)]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the demo's arguments."""
    parser.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        help="how long to watch the live signal (default: 3)",
    )
    parser.add_argument(
        "--model",
        metavar="PATH",
        help="serve this model.json instead of the bundled demo model",
    )


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit status."""
    from . import ReadOnly, UnknownElement, XentaraClient
    from .protocol import Category
    from .simulator import Simulator

    def show(text: str, value: Any = "") -> None:
        print(f"  {text:<52} {value}", flush=True)

    with Simulator(args.model) as sim:
        print(f"Simulator listening on {sim.url}\n")
        with XentaraClient(sim.url, root_element="Hardware") as client:
            print(f"Connected: {client}\n")

            points = client.elements(Category.DATA_POINT)
            print(f"Browsed {len(client)} elements under 'Hardware', {len(points)} data points:")
            for info in points[:12]:
                show(info.key, info.category.name.lower())
            if len(points) > 12:
                show(f"... and {len(points) - 12} more")

            print("\nWrite the four outputs, read them back (one message for all four):")
            for number, key in enumerate(OUTPUTS):
                client.write(key, number % 2 == 0)
            for key, value in client.read_many(OUTPUTS).items():
                show(key, value)

            print("\nRead a few values:")
            for info in points[:6]:
                show(info.key, repr(client[info.key].read()))

            register = next((p.key for p in points if "Register" in p.key), None)
            if register is not None:
                meta = client.metadata(register)
                value_type = meta.attributes["value"].data_type.name.lower()
                print(f"\nA register ({value_type}): write, then read with quality and time:")
                sample = {"string": "hello", "boolean": True}.get(value_type, 42)
                if value_type.startswith("float"):
                    sample = 2.5
                client.write(register, sample)
                for name, value in client.read_attributes(register).items():
                    show(f"{register}.{name}", getattr(value, "name", value))

            print("\nWhat goes wrong gets a clear exception:")
            try:
                client.read("Hardware.EtherCAT Bus.EL2624.Ouptut 1")
            except UnknownElement as exc:
                show("UnknownElement:", exc)
            read_only = next((p.key for p in points if "Input" in p.key), None)
            if read_only is not None:
                try:
                    client.write(read_only, True)
                except (ReadOnly, TypeError) as exc:
                    show(f"{type(exc).__name__}:", exc)

            live = next((p.key for p in points if "Sine" in p.key or "Saw" in p.key), points[0].key)
            print(f"\nWatch {live} for {args.seconds:g} s (at most one event per 250 ms):")
            deadline = time.monotonic() + args.seconds
            with client.subscribe(live, maximum_update_interval=250) as sub:
                while time.monotonic() < deadline:
                    try:
                        event = sub.receive(timeout=max(0.01, deadline - time.monotonic()))
                    except TimeoutError:
                        break
                    stamp = time.strftime("%H:%M:%S", time.localtime(event.timestamp))
                    frac = f"{event.timestamp % 1:.3f}"[1:]
                    show(f"{stamp}{frac} {event.name}", f"{event.value!r}")
            stage = client.get_stage()
            print(f"\nStage: {getattr(stage, 'name', stage)}; server: {client.server_info}")
        print("\nClosed. Done.")
    return 0
