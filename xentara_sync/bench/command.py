"""The ``bench`` command line: its arguments, and running it until done or stopped."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..tools.common import add_credential_arguments
from .plan import FULL, QUICK, TERMINATED, BenchError

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``bench`` arguments to *parser*."""
    parser.add_argument(
        "url",
        nargs="?",
        help="measure against this Xentara (ws://HOST:PORT/api/ws or wss://...; credentials: "
        "--user); default: start the embedded simulator in separate processes",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="a shorter run (under a minute)")
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="also write this run's JSON object to FILE (for a later --compare)",
    )
    parser.add_argument(
        "--compare",
        metavar="OTHER.json",
        help="print OTHER.json (a run saved with --output or --json) and this run side by "
        "side, with the change of each figure",
    )
    parser.add_argument(
        "--root", default="Hardware", help="the root element to browse (%(default)s)"
    )
    parser.add_argument(
        "--key",
        help="the element to read (default: ROOT.Registers.Counter if it exists, "
        "else the first readable data point under the root)",
    )
    parser.add_argument(
        "--no-verify",
        dest="insecure",
        action="store_true",
        help="accept any TLS certificate (self-signed ones) for wss://",
    )
    # Its former name, still accepted.
    parser.add_argument("--insecure", dest="insecure", action="store_true", help=argparse.SUPPRESS)
    add_credential_arguments(parser)
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
    other = _load(args.compare) if args.compare else None
    progress = None if args.json else _stderr_progress

    # SIGTERM ends the run like Ctrl-C does: the simulator processes are stopped.
    previous: Any = None
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        TERMINATED.clear()
        previous = signal.signal(signal.SIGTERM, _terminated)
    url = _with_credentials(args)
    try:
        result = measure(
            url,
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
    if args.output:
        Path(args.output).write_text(json.dumps(result, sort_keys=True) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(format_table(result))
    if other is not None:
        from .report import format_comparison

        stream = sys.stderr if args.json else sys.stdout
        print(file=stream)
        print(format_comparison(other, result, Path(args.compare).stem, "this run"), file=stream)
    return 0


def _load(path: str) -> dict[str, Any]:
    """The run saved in *path*, checked before measuring (a typo costs no minute)."""
    from ..tools.common import CommandError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--compare: cannot read {path}: {exc.strerror}") from None
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = None
    if not isinstance(loaded, dict) or "machine" not in loaded:
        raise CommandError(
            f"--compare: {path} is not a run of xentara-sync bench "
            "(save one with --output FILE or --json > FILE)"
        )
    return loaded


def _with_credentials(args: argparse.Namespace) -> str | None:
    """The URL to measure, with the credentials of ``--user`` in it (percent-encoded)."""
    import urllib.parse

    from ..tools.common import CommandError, credentials

    user, password = credentials(args)
    if user is None and password is None:
        return args.url  # type: ignore[no-any-return]
    if args.url is None:
        raise CommandError("--user and --password-file need a URL to measure")
    scheme, sep, rest = args.url.partition("://")
    if "@" in rest:
        raise CommandError("give the credentials in the URL or with --user, not both")
    quoted = urllib.parse.quote(user or "", safe="")
    if password is not None:
        quoted += ":" + urllib.parse.quote(password, safe="")
    return f"{scheme}{sep}{quoted}@{rest}"


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
