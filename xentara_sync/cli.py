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

from ._version import __version__

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("xentara_sync.demo", "run the embedded simulator and show the client at work"),
    "simulate": ("xentara_sync.simulator.cli", "serve a Xentara model over the WebSocket API"),
    "browse": ("xentara_sync.tools.browse", "list the elements of a model with their categories"),
    "read": ("xentara_sync.tools.read", "read the values of elements"),
    "write": ("xentara_sync.tools.write", "write a value to an element"),
    "watch": ("xentara_sync.tools.watch", "print the value changes of elements as they come"),
    "bench": ("xentara_sync.bench", "measure latency, throughput, events, browsing, import time"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="xentara-sync",
        description="Read, write and watch Xentara data points; simulate a Xentara.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(
            name, help=help_text, description=(module.__doc__ or help_text).strip()
        )
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
