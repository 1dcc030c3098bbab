"""The ``bench`` command line: its arguments, and running it until done or stopped."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .plan import FULL, QUICK, TERMINATED, BenchError

__all__ = ["configure", "run"]


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

    from .report import format_table
    from .rounds import measure

    plan = (QUICK if args.quick else FULL).scaled(rounds=args.rounds, reads=args.reads)
    progress = None if args.json else _stderr_progress

    # SIGTERM ends the run like Ctrl-C does: the simulator processes are stopped.
    previous: Any = None
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        TERMINATED.clear()
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


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM: stop as Ctrl-C does (asyncio's runner then cancels its task cleanly)."""
    import signal

    # Noted as well: an exception raised inside a C callback may be swallowed; the
    # rounds check this list and stop at the next one.
    TERMINATED.append(signum)
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    raise KeyboardInterrupt


def _stderr_progress(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)
