"""Record elements: every value change for a while, as CSV and as a PNG plot.

Subscribes to every KEY (each change, unthrottled; the current values first) for
--seconds, then writes the events as CSV (time in UTC, ISO 8601; timestamp; key;
value; error, the fault of a value in error) to --csv FILE, and a plot of the
numeric and boolean values to --plot FILE.png (needs matplotlib: pip install
"xentara-sync[plot]"). Without --csv or --plot the CSV goes to stdout. While
recording, stderr shows one line of progress when it is a terminal. Ctrl-C ends
the recording early and keeps what was recorded.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from .common import (
    CommandError,
    add_connection_arguments,
    non_negative_int,
    positive_float,
    run_client,
    set_examples,
)

if TYPE_CHECKING:
    from ..recording import Recording
    from ..sync import XentaraClient

EXAMPLES = """
  xentara-sync record ws://127.0.0.1:8080/api/ws Hardware.Signals.Sine --seconds 10 \\
      --csv sine.csv --plot sine.png
  xentara-sync record ws://127.0.0.1:8080/api/ws Hardware.Signals.Sine Hardware.Signals.Pulse \\
      --seconds 5 > signals.csv
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``record`` arguments to *parser*."""
    add_connection_arguments(parser)
    parser.add_argument("keys", metavar="KEY", nargs="+", help="primary key of an element")
    parser.add_argument(
        "--seconds", metavar="S", type=positive_float, required=True, help="record S seconds"
    )
    parser.add_argument(
        "--count", metavar="N", type=non_negative_int, help="stop earlier, after N events"
    )
    parser.add_argument("--csv", metavar="FILE", help="write the events to FILE as CSV")
    parser.add_argument(
        "--plot", metavar="FILE.png", help="plot the numeric and boolean values to FILE.png"
    )
    set_examples(parser, EXAMPLES)


class ProgressLine:
    """One line on a terminal, rewritten in place: elapsed seconds and events."""

    def __init__(self, stream: TextIO, seconds: float) -> None:
        self.stream = stream
        self.seconds = seconds
        self.width = 0

    def __call__(self, elapsed: float, events: int) -> None:
        text = f"recording {min(elapsed, self.seconds):.1f}/{self.seconds:g} s, {events} events"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def end(self) -> None:
        if self.width:
            self.stream.write("\n")
            self.stream.flush()


def save(recording: Recording, args: argparse.Namespace) -> None:
    """Write *recording* where the options say."""
    if args.plot:
        try:
            recording.plot(args.plot)
        except ImportError as exc:
            raise CommandError(str(exc), 1) from None
        except ValueError as exc:
            raise CommandError(f"no plot: {exc}", 1) from None
    if args.csv:
        recording.to_csv(args.csv)
    elif not args.plot:
        recording.to_csv(sys.stdout)


def run(args: argparse.Namespace) -> int:
    """Record, then write the CSV and the plot; returns the exit status."""
    from ..recording import Limits, Recording
    from ..sync.recorder import collect

    keys = list(dict.fromkeys(args.keys))
    progress = ProgressLine(sys.stderr, args.seconds) if sys.stderr.isatty() else None

    def record(client: XentaraClient) -> int:
        subscription = client.subscribe(keys, None, None)
        limits = Limits(keys, args.seconds, args.count or None, client.timeout)
        recording = Recording(keys)
        try:
            collect(subscription, limits, recording=recording, progress=progress)
        except KeyboardInterrupt:
            pass  # keep what came before
        finally:
            if progress is not None:
                progress.end()
        save(recording, args)
        return 0

    try:
        return run_client(args, record)
    except KeyboardInterrupt:  # while connecting or closing
        return 130
