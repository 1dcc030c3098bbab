"""Write a twin of a running Xentara: a model file the simulator serves.

Browses the tree below --root (default: the whole model), reads every element's
metadata and every data point's value, and writes a model file (-o, default
model.json) with the same primary keys, UUIDs, categories, data types and access;
data points become registers holding the values read. With --record SECONDS, each
data point's changes are recorded for that long and the twin replays them in a
loop. Serve the twin with: xentara-sync simulate --model model.json

Elements whose metadata or value the server refuses are left out, each named on
stderr; the rest is written, and the exit status is 3 (a warning says so when no
data point at all could be read: the user may lack the read right). The file
holds no credentials.
"""

from __future__ import annotations

import argparse
import sys
import threading
import warnings
from typing import TYPE_CHECKING, Final

from .common import (
    PROG,
    add_connection_arguments,
    error,
    positive_float,
    run_client,
    scrub,
    set_examples,
)

if TYPE_CHECKING:
    from ..sync import XentaraClient

#: The exit status of a snapshot written with elements left out (the server refused
#: their metadata or value): a script can tell an incomplete twin from a complete one.
INCOMPLETE: Final = 3

EXAMPLES = """
  xentara-sync snapshot ws://bench:8080/api/ws -o bench.json
  xentara-sync snapshot ws://bench:8080/api/ws --root "Hardware.EtherCAT Bus" -o bus.json
  xentara-sync snapshot wss://bench:8080/api/ws --user tester --record 30 -o moving.json
  xentara-sync simulate --model bench.json        # serve the twin
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``snapshot`` arguments to *parser*."""
    add_connection_arguments(
        parser,
        root="",
        root_help="primary key of the element to snapshot (default: the whole model)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="model.json",
        help="the model file to write (default: %(default)s; replaced atomically)",
    )
    parser.add_argument(
        "--record",
        metavar="SECONDS",
        type=positive_float,
        help="also record each data point's changes for SECONDS; the twin replays them",
    )
    set_examples(parser, EXAMPLES)


class _Progress:
    """``elements done of total`` on one line of stderr, while the snapshot runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shown = False
        self._over = False

    def __call__(self, done: int, total: int) -> None:
        with self._lock:
            if self._over:
                return
            sys.stderr.write(f"\r{PROG} snapshot: {done:,} of {total:,} elements")
            sys.stderr.flush()
            self._shown = True

    def end(self, total: int | None) -> None:
        """The last line: *total* of *total* (None: the snapshot failed)."""
        with self._lock:
            self._over = True
            if total is not None:
                sys.stderr.write(f"\r{PROG} snapshot: {total:,} of {total:,} elements")
            if self._shown or total is not None:
                sys.stderr.write("\n")
                sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    """Take the snapshot; returns the exit status."""
    from ..snapshot import SnapshotWarning
    from ..snapshot.driver import output_problem, unread_warning

    problem = output_problem(args.output)
    if problem is not None:  # before connecting: a long snapshot for nothing
        return error(f"argument -o/--output: {problem}", 2)

    def snapshot(client: XentaraClient) -> int:
        progress = _Progress() if sys.stderr.isatty() else None
        total: int | None = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SnapshotWarning)  # printed below, one a line
                result = client.snapshot(
                    args.output, args.root or None, record=args.record, progress=progress
                )
            total = result.elements + len(result.skipped)
        finally:
            if progress is not None:
                progress.end(total)
        for key, reason in result.skipped.items():
            line = f"{PROG} snapshot: warning: {key!r} left out: {reason}"
            print(scrub(line, args), file=sys.stderr)
        recorded = f", {result.recorded} replayed" if args.record else ""
        print(
            f"wrote {result.path}: {result.elements} elements, "
            f"{result.data_points} data points{recorded}"
            + (f"; {len(result.skipped)} left out" if result.skipped else "")
        )
        if not result.skipped:
            return 0
        unread = unread_warning(result)
        if unread is not None:
            print(f"{PROG} snapshot: warning: {unread}", file=sys.stderr)
        print(
            f"{PROG} snapshot: {len(result.skipped)} of {total} elements left out: "
            f"the twin is incomplete (exit status {INCOMPLETE})",
            file=sys.stderr,
        )
        return INCOMPLETE

    return run_client(args, snapshot)
