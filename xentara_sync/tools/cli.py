"""The ``xentara-sync`` command line (also ``python -m xentara_sync``).

Each command lives in its own module with two functions: ``configure(parser)`` adds
its arguments (importing nothing heavy) and ``run(args) -> int`` does the work. The
command modules are imported only when the command line is built, never by
``import xentara_sync``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from .._version import __version__

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("xentara_sync.tools.demo", "run the embedded simulator and show the client at work"),
    "simulate": ("xentara_sync.simulator.cli", "serve a Xentara model over the WebSocket API"),
    "browse": ("xentara_sync.tools.browse", "list the elements of a model with their categories"),
    "read": ("xentara_sync.tools.read", "read the values of elements"),
    "write": ("xentara_sync.tools.write", "write a value to an element"),
    "watch": ("xentara_sync.tools.watch", "print the value changes of elements as they come"),
    "record": ("xentara_sync.tools.record", "record value changes as CSV and as a PNG plot"),
    "snapshot": ("xentara_sync.tools.snapshot", "write a twin of a Xentara as a model file"),
    "tui": ("xentara_sync.tui.command", "browse, watch, write and record in the terminal"),
    "bench": ("xentara_sync.bench", "measure latency, throughput, events, browsing, import time"),
}


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: ``xentara-sync CMD: error: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = Parser(
        prog="xentara-sync",
        description="Read, write and watch Xentara data points; simulate a Xentara.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(
            name, help=help_text, description=plain_text(module.__doc__ or help_text)
        )
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def plain_text(text: str) -> str:
    """*text* (a docstring) as ``--help`` shows it: without reStructuredText markup.

    >>> plain_text("Run ``xentara-sync demo``; see :class:`~xentara_sync.XentaraClient`.")
    'Run xentara-sync demo; see XentaraClient.'
    """
    import re

    text = re.sub(r":[a-z]+:`~?(?:[\w.]+\.)?([^`]+)`", r"\1", text.strip())
    return text.replace("``", "")


#: Options that name a file to read, by their ``dest``, in any command (a model
#: file is checked by the code that loads it, which says what is wrong with it).
FILE_OPTIONS = ("certfile", "keyfile", "cafile", "password_file", "token_file")


def check_arguments(args: argparse.Namespace) -> str | None:
    """What is wrong with the parsed command line, whatever command it is for; or None.

    The same option means the same thing in every command: a ``--port`` is 0 to
    65535, a file option names a readable file.
    """
    port = getattr(args, "port", None)
    if isinstance(port, int) and not 0 <= port <= 65535:
        return f"argument --port: must be 0 to 65535, not {port}"
    for dest in FILE_OPTIONS:
        path = getattr(args, dest, None)
        if dest == "keyfile" and getattr(args, "certfile", None) is None:
            continue  # the command says that --keyfile needs --certfile
        if isinstance(path, str):
            try:
                with open(path, "rb"):
                    pass
            except OSError as exc:
                option = "--" + dest.replace("_", "-")
                what = dest.replace("_", " ")
                return f"argument {option}: cannot read the {what} {path!r}: {exc.strerror or exc}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    A bad command line exits with status 2 (``SystemExit``), any other failure
    returns 1; either way stderr gets one line, never a traceback or a password.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = check_arguments(args)
    if problem is not None:
        prog = f"{parser.prog} {args.command}"
        parser.exit(2, f"{prog}: error: {problem} (see {prog} --help)\n")
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last net: one line, not a traceback
        from .common import CommandError, cli_terms, describe, error, scrub

        status = exc.status if isinstance(exc, CommandError) else 1
        return error(scrub(cli_terms(describe(exc)), args), status)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
