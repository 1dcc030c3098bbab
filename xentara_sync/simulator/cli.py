"""Serve a Xentara model over the WebSocket API (the embedded simulator).

Prints one line, ``listening on ws://HOST:PORT/api/ws``, once connections are
accepted, and serves until interrupted (SIGINT or SIGTERM) or until a client sends
the ``shutdown`` command; then exits with status 0.
"""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``simulate`` arguments to *parser*."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on; 0 picks a free one (%(default)s)"
    )
    parser.add_argument(
        "--model", metavar="PATH", help="model.json to serve (default: the bundled demo model)"
    )
    parser.add_argument("--user", metavar="NAME", help="require HTTP Basic auth as this user")
    parser.add_argument("--password", metavar="PW", help="the password of --user")
    parser.add_argument("--certfile", metavar="F", help="TLS certificate (PEM): serve wss://")
    parser.add_argument("--keyfile", metavar="F", help="TLS private key (PEM) of --certfile")


def run(args: argparse.Namespace) -> int:
    """Run the simulator until SIGINT, SIGTERM or a ``shutdown`` command; returns 0."""
    import asyncio
    import signal
    import sys

    from .model import ModelError
    from .server import Simulator

    if (args.user is None) != (args.password is None):
        print("xentara-sync simulate: --user and --password go together", file=sys.stderr)
        return 2
    if args.keyfile is not None and args.certfile is None:
        print("xentara-sync simulate: --keyfile needs --certfile", file=sys.stderr)
        return 2
    try:
        simulator = Simulator(
            args.model,
            host=args.host,
            port=args.port,
            users={args.user: args.password} if args.user is not None else None,
            certfile=args.certfile,
            keyfile=args.keyfile,
        )
    except (ModelError, OSError) as exc:
        print(f"xentara-sync simulate: {exc}", file=sys.stderr)
        return 1

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
                signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
        async with simulator:
            print(f"listening on {simulator.url}", flush=True)
            stopping = asyncio.ensure_future(stop.wait())
            shut = asyncio.ensure_future(simulator.wait_shutdown())
            await asyncio.wait({stopping, shut}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            shut.cancel()

    try:
        asyncio.run(serve())
    except OSError as exc:
        print(f"xentara-sync simulate: {exc}", file=sys.stderr)
        return 1
    return 0
