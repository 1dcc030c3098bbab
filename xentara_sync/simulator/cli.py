"""Serve a Xentara model over the WebSocket API (the embedded simulator).

Prints one line, ``listening on ws://HOST:PORT/api/ws``, once connections are
accepted, and serves until interrupted (SIGINT or SIGTERM), or until a client sends
the ``shutdown`` command if ``--allow-shutdown`` was given; then exits with status 0.

The password of ``--user`` comes from ``--password-file`` (its first line), from
the environment variable ``XENTARA_SIM_PASSWORD``, or from ``--password`` (which
shows in the process list), in this order. A Bearer token comes the same ways:
``--token-file``, ``XENTARA_SIM_TOKEN``, ``--token``; it belongs to ``--user``
(then the user may authenticate either way), or to a user called ``bearer``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Final

from ..protocol.quoting import quote

#: The environment variable that may hold the password of ``--user``.
PASSWORD_VARIABLE: Final = "XENTARA_SIM_PASSWORD"
#: The environment variable that may hold the Bearer token.
TOKEN_VARIABLE: Final = "XENTARA_SIM_TOKEN"
#: The name of the user a token belongs to without ``--user``.
TOKEN_USER: Final = "bearer"

#: Every failure is one line starting with this, as in the rest of the command line.
_PREFIX: Final = "xentara-sync: error"


class _Usage(Exception):
    """A command-line mistake: one line on stderr, exit status 2."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``simulate`` arguments to *parser*."""
    for flag, options in _options():
        parser.add_argument(flag, **options)


def _options() -> tuple[tuple[str, dict[str, Any]], ...]:
    """The options of ``simulate``: (flag, add_argument's keywords)."""
    return (
        ("--host", {"default": "127.0.0.1", "help": "address to listen on (%(default)s)"}),
        (
            "--port",
            {
                "type": int,
                "default": 8080,
                "help": "port to listen on; 0 picks a free one (%(default)s)",
            },
        ),
        (
            "--model",
            {
                "metavar": "PATH",
                "help": "model.json to serve (default: the bundled demo model)",
            },
        ),
        ("--user", {"metavar": "NAME", "help": "require HTTP Basic auth as this user"}),
        (
            "--password-file",
            {
                "metavar": "PATH",
                "help": "read the password of --user from the first line of this file",
            },
        ),
        (
            "--password",
            {
                "metavar": "PW",
                "help": "the password of --user; it shows in the process list (ps): prefer "
                f"--password-file or the environment variable {PASSWORD_VARIABLE}",
            },
        ),
        (
            "--token-file",
            {
                "metavar": "PATH",
                "help": "accept the Bearer token on the first line of this file (for --user, "
                f"or a user called {TOKEN_USER})",
            },
        ),
        (
            "--token",
            {
                "metavar": "TOKEN",
                "help": "accept this Bearer token; it shows in the process list (ps): prefer "
                f"--token-file or the environment variable {TOKEN_VARIABLE}",
            },
        ),
        ("--certfile", {"metavar": "F", "help": "TLS certificate (PEM): serve wss://"}),
        ("--keyfile", {"metavar": "F", "help": "TLS private key (PEM) of --certfile"}),
        (
            "--drop-every",
            {
                "type": _positive_seconds,
                "metavar": "SECONDS",
                "help": "drop every client connection this often (no closing handshake): a "
                "soak test of a script's reconnection (xentara_sync.simulator.faults.drop_every)",
            },
        ),
        (
            "--allow-shutdown",
            {
                "action": "store_true",
                "help": "let any client stop the simulator with the shutdown command (off: "
                "access denied)",
            },
        ),
    )


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return seconds


def _password_from_file(path: str, what: str = "password") -> str:
    """The first line of the file *path* (without its line end)."""
    try:
        with open(path, encoding="utf-8") as file:
            line = file.readline()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise _Usage(f"cannot read the {what} file {quote(path)}: {reason}") from None
    password = line.rstrip("\r\n")
    if not password:
        raise _Usage(f"the {what} file {quote(path)} has an empty first line")
    return password


def password(args: argparse.Namespace) -> str | None:
    """The password of ``--user``: from ``--password-file``, ``XENTARA_SIM_PASSWORD``
    or ``--password``; ``None`` if none is given. Raises :class:`_Usage` for a
    password file that cannot be read, or for two of ``--password-file`` and
    ``--password``."""
    if args.password_file is not None:
        if args.password is not None:
            raise _Usage("--password-file and --password exclude each other")
        return _password_from_file(args.password_file)
    if args.password is not None:
        return str(args.password)
    from_environment = os.environ.get(PASSWORD_VARIABLE)
    return from_environment or None


def token(args: argparse.Namespace) -> str | None:
    """The Bearer token: from ``--token-file``, ``XENTARA_SIM_TOKEN`` or ``--token``;
    ``None`` if none is given. Raises :class:`_Usage` as :func:`password` does."""
    token_file = getattr(args, "token_file", None)
    given = getattr(args, "token", None)
    if token_file is not None:
        if given is not None:
            raise _Usage("--token-file and --token exclude each other")
        return _password_from_file(token_file, "token").strip()
    if given is not None:
        return str(given).strip() or None
    return os.environ.get(TOKEN_VARIABLE, "").strip() or None


def users(name: str | None, secret: str | None, bearer: str | None) -> list[Any] | None:
    """The simulator's users: ``--user`` with its password and/or token, or the
    token's own user; ``None`` (authentication off) without either."""
    from .users import User

    if name is None and bearer is None:
        return None
    return [User(name or TOKEN_USER, secret, token=bearer)]


def run(args: argparse.Namespace) -> int:
    """Run the simulator until SIGINT, SIGTERM or an allowed ``shutdown``; returns 0
    (2 for a command-line mistake or a model file that cannot be loaded, with one
    line naming the element and value at fault; 1 when the simulator cannot start)."""
    import asyncio
    import signal
    import sys

    from .faults import drop_every
    from .model import ModelError
    from .server import Simulator

    try:
        secret = password(args)
        bearer = token(args)
        if args.user is None and (args.password is not None or args.password_file is not None):
            raise _Usage("--password and --password-file need --user")
        if args.user is not None and secret is None and bearer is None:
            raise _Usage(
                f"--user needs a password: --password-file, {PASSWORD_VARIABLE} or --password "
                f"(or a token: --token-file, {TOKEN_VARIABLE} or --token)"
            )
        if args.keyfile is not None and args.certfile is None:
            raise _Usage("--keyfile needs --certfile")
    except _Usage as exc:
        print(f"{_PREFIX}: {exc}", file=sys.stderr)
        return 2
    try:
        simulator = Simulator(
            args.model,
            host=args.host,
            port=args.port,
            users=users(args.user, secret if args.user is not None else None, bearer),
            certfile=args.certfile,
            keyfile=args.keyfile,
            allow_shutdown=args.allow_shutdown,
        )
    except ModelError as exc:  # the model file is the user's input: status 2, one line
        print(f"{_PREFIX}: {' '.join(str(exc).splitlines())}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{_PREFIX}: {exc}", file=sys.stderr)
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
            dropping = None
            if args.drop_every is not None:
                dropping = asyncio.ensure_future(drop_every(simulator, args.drop_every, dropped))
            stopping = asyncio.ensure_future(stop.wait())
            shut = asyncio.ensure_future(simulator.wait_shutdown())
            await asyncio.wait({stopping, shut}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            shut.cancel()
            if dropping is not None:
                dropping.cancel()

    def dropped(count: int) -> None:
        print(f"dropped {count} connection(s)", file=sys.stderr, flush=True)

    try:
        asyncio.run(serve())
    except OSError as exc:
        print(f"{_PREFIX}: {exc}", file=sys.stderr)
        return 1
    return 0
