"""Watch elements: print their value changes as they come.

Subscribes to every KEY and prints one line per event, "TIME  KEY  VALUE" (TIME
is local, to the millisecond), or with --json one JSON object per line. Runs until
Ctrl-C (exit status 0), or until --count events or --seconds have passed. The
server sends each element's current value first.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

from .common import (
    add_interval,
    add_keys,
    display,
    jsonable,
    non_negative_int,
    positive_float,
    printable,
    run_client,
    set_examples,
)

if TYPE_CHECKING:
    from ..protocol.index import Event
    from ..sync import XentaraClient

EXAMPLES = """
  xentara-sync watch ws://127.0.0.1:8080/api/ws Hardware.Signals.Sine
  xentara-sync watch ws://127.0.0.1:8080/api/ws Hardware.Signals.Sine Hardware.Signals.Pulse \\
      --interval 100 --seconds 10
  xentara-sync watch ws://127.0.0.1:8080/api/ws Hardware.Registers.Counter --heartbeat 1000
  xentara-sync watch ws://127.0.0.1:8080/api/ws Hardware.Signals.Sine --count 20 --json
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``watch`` arguments to *parser*."""
    add_keys(parser)
    add_interval(parser, 500, "event per element")
    parser.add_argument(
        "--heartbeat",
        metavar="MS",
        type=non_negative_int,
        default=0,
        help="at least one event per element every MS milliseconds, changed or not; "
        "0: none (default: %(default)s)",
    )
    parser.add_argument("--count", metavar="N", type=non_negative_int, help="stop after N events")
    parser.add_argument("--seconds", metavar="S", type=positive_float, help="stop after S seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON object per event")
    set_examples(parser, EXAMPLES)


def format_event(event: Event, as_json: bool = False) -> str:
    """One printed line for *event*.

    >>> import uuid
    >>> from xentara_sync.protocol.index import Event
    >>> event = Event(1704107471.25, "Hardware.Registers.Enable", uuid.UUID(int=1), True)
    >>> format_event(event, as_json=True)  # doctest: +NORMALIZE_WHITESPACE
    '{"time": "2024-01-01T11:11:11.250000Z", "timestamp": 1704107471.25,
      "key": "Hardware.Registers.Enable", "value": true}'
    >>> format_event(event).endswith("  Hardware.Registers.Enable  true")
    True
    """
    if as_json:
        from ..toolkit.conditions import utc_text

        return json.dumps(
            {
                "time": utc_text(event.timestamp),
                "timestamp": event.timestamp,
                "key": event.name,
                "value": jsonable(event.value),
            }
        )
    return f"{clock_text(event.timestamp)}  {printable(event.name)}  {display(event.value)}"


def clock_text(timestamp: float) -> str:
    """The local time of *timestamp* to the millisecond, rounded: a tick 100 ms after
    a second, held as ``.0999999`` by a float, is ``.100``, and ``.9996`` is the next
    second's ``.000``.

    >>> import time
    >>> second = time.mktime((2024, 1, 1, 11, 11, 11, 0, 1, -1))
    >>> clock_text(second + 0.0999999), clock_text(second + 0.9996)
    ('11:11:11.100', '11:11:12.000')
    """
    whole, millis = divmod(round(timestamp * 1000), 1000)
    return f"{time.strftime('%H:%M:%S', time.localtime(whole))}.{millis:03d}"


def run(args: argparse.Namespace) -> int:
    """Print events until Ctrl-C or a limit; returns the exit status."""

    def watch(client: XentaraClient) -> int:
        deadline = None if args.seconds is None else time.monotonic() + args.seconds
        seen = 0
        client.add_connection_callback(
            lambda connected: print(
                f"{'reconnected to' if connected else 'connection lost to'} {client.url}"
                + ("" if connected else "; reconnecting"),
                file=sys.stderr,
                flush=True,
            )
        )
        subscription = client.subscribe(
            list(dict.fromkeys(args.keys)),
            maximum_update_interval=args.interval or None,
            minimum_update_interval=args.heartbeat or None,
        )
        try:
            with subscription:
                while args.count is None or seen < args.count:
                    if deadline is None:
                        wait = 3600.0
                    else:
                        wait = deadline - time.monotonic()
                        if wait <= 0:
                            break
                    try:
                        event = subscription.receive(timeout=wait)
                    except TimeoutError:
                        continue
                    print(format_event(event, args.json), flush=True)
                    seen += 1
        except KeyboardInterrupt:
            pass
        return 0

    try:
        return run_client(args, watch)
    except KeyboardInterrupt:  # while connecting or closing
        return 0
