"""Show the blocking client at work: on the embedded simulator, or on your Xentara.

Without a URL, serves the bundled demo model (or the one of --model) on a free
port of 127.0.0.1 and uses that. With a URL, connects to that Xentara instead and
only reads: it writes nothing to a real installation. Either way it browses,
reads, shows the exceptions of common mistakes and watches a live signal for
--seconds, printing what it does; then closes (and stops the simulator).
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from .common import (
    CommandError,
    add_connection_arguments,
    non_negative_float,
    run_client,
    set_examples,
)

if TYPE_CHECKING:
    from ..protocol.index import ElementInfo
    from ..sync import XentaraClient

#: The root element browsed when --root is not given, if the server has it.
DEFAULT_ROOT = "Hardware"

EXAMPLES = """
  xentara-sync demo
  xentara-sync demo --model path/to/model.json --seconds 10
  xentara-sync demo wss://xentara:8080/api/ws --user operator --password-file pw.txt
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the demo's arguments."""
    add_connection_arguments(
        parser,
        url_optional=True,
        url_help="a Xentara to show (ws://HOST:PORT/api/ws or wss://...); it is only read. "
        "Default: the embedded simulator",
    )
    parser.set_defaults(root=None)
    for action in parser._actions:
        if action.dest == "root":
            action.help = (
                f"primary key of the element the client browses from (default: {DEFAULT_ROOT} "
                "if the server has it, else the whole model; '' for the whole model)"
            )
    parser.add_argument(
        "--seconds",
        type=non_negative_float,
        default=3.0,
        help="how long to watch the live signal (default: %(default)g)",
    )
    parser.add_argument(
        "--model",
        metavar="PATH",
        help="serve this model.json instead of the bundled demo model (without URL)",
    )
    set_examples(parser, EXAMPLES)


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit status."""
    if args.url is not None:
        if args.model is not None:
            raise CommandError("--model is for the embedded simulator; give it without a URL")
        return run_client(
            args, lambda client: show_client(client, args.seconds, writes=False), connect
        )

    from ..simulator import Simulator

    with Simulator(args.model) as sim:
        print(f"Simulator listening on {sim.url}\n")
        args.url = sim.url
        status = run_client(
            args, lambda client: show_client(client, args.seconds, writes=True), connect
        )
    if status == 0:
        print("Simulator stopped. Done.")
    return status


def connect(args: argparse.Namespace) -> XentaraClient:
    """A client connected as *args* say; without --root, to Hardware if it exists."""
    from ..exceptions import UnknownElement
    from .common import connect as connect_as

    if args.root is not None:
        return connect_as(args)
    try:
        return connect_as(argparse.Namespace(**{**vars(args), "root": DEFAULT_ROOT}))
    except UnknownElement as exc:
        if exc.element != DEFAULT_ROOT:
            raise
    return connect_as(argparse.Namespace(**{**vars(args), "root": ""}))


def show(text: str, value: Any = "") -> None:
    """One line of the demo: a label and a value."""
    print(f"  {text:<52} {value}", flush=True)


def show_client(client: XentaraClient, seconds: float, *, writes: bool) -> int:
    """Browse, read (and, with *writes*, write), show errors, watch; returns 0."""
    from ..protocol import Category

    print(f"Connected: {client}\n")
    root = repr(client.root_element) if client.root_element else "the whole model"
    points = client.elements(Category.DATA_POINT)
    print(f"Browsed {len(client)} elements under {root}, {len(points)} data points:")
    for info in points[:12]:
        show(info.key, info.category)
    if len(points) > 12:
        show(f"... and {len(points) - 12} more")
    if not points:
        print("\nNo data points to show.")
        return 0

    if writes:
        _write_and_read_back(client, points)
    else:
        print("\n(Nothing is written: this is not the embedded simulator.)")

    print("\nRead a few values:")
    for info in points[:6]:
        show(info.key, repr(client[info.key].read()))

    _show_mistakes(client, points, writes)
    _watch(client, points, seconds)
    print(f"\nStage: {client.get_stage()}; server: {client.server_info}")
    return 0


def _write_and_read_back(client: XentaraClient, points: list[ElementInfo]) -> None:
    outputs = [p.key for p in points if "Output" in p.key][:4]
    if outputs:
        print(f"\nWrite {len(outputs)} outputs, read them back (one message for all):")
        for number, key in enumerate(outputs):
            client.write(key, number % 2 == 0)
        for key, value in client.read_many(outputs).items():
            show(key, value)

    register = next((p.key for p in points if "Register" in p.key), None)
    if register is not None:
        meta = client.metadata(register)
        value_type = meta.attributes["value"].data_type.name.lower()
        print(f"\nA register ({value_type}): write, then read with quality and time:")
        sample: Any = {"string": "hello", "boolean": True}.get(value_type, 42)
        if value_type.startswith("float"):
            sample = 2.5
        client.write(register, sample)
        for name, value in client.read_attributes(register).items():
            show(f"{register}.{name}", value)


def _show_mistakes(client: XentaraClient, points: list[ElementInfo], writes: bool) -> None:
    from ..exceptions import ReadOnly, UnknownElement

    print("\nWhat goes wrong gets a clear exception:")
    key = points[0].key
    typo = key[:-2] + key[-1] + key[-2] if len(key) > 2 else key + "x"
    try:
        client.read(typo)
    except UnknownElement as exc:
        show("UnknownElement:", exc)
    read_only = next((p.key for p in points if "Input" in p.key), None)
    if writes and read_only is not None:
        try:
            client.write(read_only, True)
        except (ReadOnly, TypeError) as exc:
            show(f"{type(exc).__name__}:", exc)


def _watch(client: XentaraClient, points: list[ElementInfo], seconds: float) -> None:
    live = next((p.key for p in points if "Sine" in p.key or "Saw" in p.key), points[0].key)
    print(f"\nWatch {live} for {seconds:g} s (at most one event per 250 ms):")
    deadline = time.monotonic() + seconds
    with client.subscribe(live, maximum_update_interval=250) as sub:
        while time.monotonic() < deadline:
            try:
                event = sub.receive(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            stamp = time.strftime("%H:%M:%S", time.localtime(event.timestamp))
            fraction = f"{event.timestamp % 1:.3f}"[1:]
            show(f"{stamp}{fraction} {event.name}", f"{event.value!r}")
