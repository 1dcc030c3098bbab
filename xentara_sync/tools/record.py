"""Record elements: every value change for a while, as CSV and as a PNG plot.

Subscribes to every KEY (each change, unthrottled; the current values first) for
--seconds, or until --count events (whichever comes first; at least one of them),
then writes the events in time order as CSV (seconds since the recording started,
a key's value at the start counting from 0; time in UTC, ISO 8601; timestamp; key;
value; error, the fault of a value in error) to --csv FILE, and a plot of every key
over the recording's seconds (values held between changes; strings as labelled
steps) to --plot FILE (a PNG whatever FILE's name; needs matplotlib: pip install
"xentara-sync[plot]"). --out FILE streams the events to FILE as they come
(flushed at least every second, memory bounded however long the recording), in
the format its suffix names: .csv, .parquet (needs pyarrow: pip install
"xentara-sync[parquet]") or .tdms (needs npTDMS: pip install "xentara-sync[tdms]").
Without --csv, --plot or --out the CSV goes to stdout.
The files are checked before connecting (their directory must exist, and neither
may be a directory); the CSV is written first and kept when the plot fails. While
recording, stderr shows one line of progress when it is a terminal. Ctrl-C ends
the recording early and keeps what was recorded.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

from .common import (
    CommandError,
    add_keys,
    error,
    positive_float,
    positive_int,
    run_client,
    set_examples,
)

if TYPE_CHECKING:
    from ..sync import XentaraClient
    from ..toolkit.recording import Recording

EXAMPLES = """
  xentara-sync record ws://127.0.0.1:8080/api/ws Hardware.Signals.Sine --seconds 10 \\
      --csv sine.csv --plot sine.png
  xentara-sync record ws://127.0.0.1:8080/api/ws Hardware.Signals.Sine Hardware.Signals.Pulse \\
      --seconds 5 > signals.csv
  xentara-sync record ws://127.0.0.1:8080/api/ws Hardware.Signals.Sine --seconds 600 \
      --out run.parquet
"""


#: The options of ``record``, after its keys: (flag, add_argument's keywords).
OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--seconds", {"metavar": "S", "type": positive_float, "help": "record S seconds"}),
    (
        "--count",
        {
            "metavar": "N",
            "type": positive_int,
            "help": "stop after N events (with --seconds: whichever comes first)",
        },
    ),
    ("--csv", {"metavar": "FILE", "help": "write the events to FILE as CSV"}),
    (
        "--out",
        {
            "metavar": "FILE",
            "help": "stream the events to FILE as they come: .csv, .parquet or .tdms",
        },
    ),
    (
        "--plot",
        {"metavar": "FILE.png", "help": "plot every key to FILE.png (a PNG, whatever the name)"},
    ),
)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``record`` arguments to *parser*."""
    add_keys(parser)
    for flag, options in OPTIONS:
        parser.add_argument(flag, **options)
    set_examples(parser, EXAMPLES)


class ProgressLine:
    """One line on a terminal, rewritten in place: elapsed seconds and events."""

    def __init__(self, stream: TextIO, seconds: float | None, count: int | None = None) -> None:
        self.stream = stream
        self.seconds = seconds
        self.count = count
        self.width = 0

    def __call__(self, elapsed: float, events: int) -> None:
        if self.seconds is None:
            time_text = f"{elapsed:.1f} s"
        else:
            time_text = f"{min(elapsed, self.seconds):.1f}/{self.seconds:g} s"
        count_text = f"{events}" if self.count is None else f"{events}/{self.count}"
        text = f"recording {time_text}, {count_text} events"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def end(self) -> None:
        if self.width:
            self.stream.write("\n")
            self.stream.flush()


def check_outputs(args: argparse.Namespace) -> None:
    """Check, before connecting, that --csv, --plot and --out name files that can
    be written; a :class:`CommandError` (status 2) otherwise."""
    from ..exceptions import InvalidArgument
    from ..toolkit.recordfile import check_stream_path
    from ..toolkit.recording import check_output

    if args.seconds is None and args.count is None:
        raise CommandError("record needs --seconds S or --count N (or both)", 2)
    for path, what in ((args.csv, "CSV"), (args.plot, "plot")):
        if path:
            try:
                check_output(path, what)
            except OSError as exc:
                raise CommandError(str(exc), 2) from None
    if args.out:
        try:
            check_stream_path(args.out)
        except InvalidArgument as exc:
            raise CommandError(str(exc).replace("to= takes", "--out takes"), 2) from None
        except (ImportError, OSError) as exc:
            raise CommandError(str(exc), 2) from None


def save(recording: Recording, args: argparse.Namespace) -> None:
    """Write *recording* where the options say: the CSV first, then the plot. A
    plot that fails leaves the CSV written and raises :class:`CommandError`."""
    if args.csv:
        recording.to_csv(args.csv)
    elif not args.plot and not args.out:
        recording.to_csv(sys.stdout)
    if args.out:
        print(f"recorded {recording.written} events to {args.out}", file=sys.stderr)
    if args.plot:
        kept = f" (the CSV was written to {args.csv})" if args.csv else ""
        try:
            recording.plot(args.plot)
        except (ImportError, ValueError) as exc:
            raise CommandError(f"{exc}{kept}", 1) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CommandError(f"cannot write the plot to {args.plot}: {reason}{kept}", 1) from None


def run(args: argparse.Namespace) -> int:
    """Record, then write the CSV and the plot; returns the exit status."""
    from ..sync.recorder import collect
    from ..toolkit.recording import DEFAULT_MAX_EVENTS, Limits, Recording

    try:
        check_outputs(args)
    except CommandError as exc:
        return error(str(exc), exc.status)
    keys = list(dict.fromkeys(args.keys))
    progress = ProgressLine(sys.stderr, args.seconds, args.count) if sys.stderr.isatty() else None

    def record(client: XentaraClient) -> int:
        subscription = client.subscribe(keys, None, None)
        limits = Limits(keys, args.seconds, args.count, client.timeout)
        # Streamed to --out alone, nothing stays in memory; --csv and --plot need it.
        memory = DEFAULT_MAX_EVENTS if args.csv or args.plot or not args.out else None
        recording = Recording(keys, max_events=memory, to=args.out or None)
        try:
            collect(subscription, limits, recording=recording, progress=progress)
        except KeyboardInterrupt:
            pass  # keep what came before (the file is closed)
        finally:
            if progress is not None:
                progress.end()
        save(recording, args)
        return 0

    try:
        return run_client(args, record)
    except KeyboardInterrupt:  # while connecting or closing
        return 130
