"""Read the values of elements (or another attribute of them).

With one KEY, prints the value alone; with several, one "KEY  VALUE" line each.
Booleans print as true/false, qualities and categories by name, time points as
ISO 8601 text in UTC. --json prints a JSON object {KEY: VALUE}. All keys are
read in one message.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from .common import (
    add_keys,
    display,
    jsonable,
    parse_attribute,
    printable,
    run_client,
    set_examples,
)

if TYPE_CHECKING:
    from ..sync import XentaraClient

EXAMPLES = """
  xentara-sync read ws://127.0.0.1:8080/api/ws "Hardware.EtherCAT Bus.EL2624.Output 1"
  xentara-sync read ws://127.0.0.1:8080/api/ws Hardware.Registers.Counter Hardware.Signals.Sine
  xentara-sync read ws://127.0.0.1:8080/api/ws Hardware.Signals.Sine --attribute changeTime
  xentara-sync read wss://user:password@xentara:8080/api/ws Hardware.Registers.Counter --json
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``read`` arguments to *parser*."""
    add_keys(parser)
    parser.add_argument(
        "--attribute",
        metavar="NAME",
        default="value",
        type=parse_attribute,
        help="the attribute to read: value, quality, changeTime, updateTime, ... "
        "(default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object {KEY: VALUE}")
    set_examples(parser, EXAMPLES)


def run(args: argparse.Namespace) -> int:
    """Read and print the values; returns the exit status."""

    def read(client: XentaraClient) -> int:
        keys = list(dict.fromkeys(args.keys))
        values = client.read_many(keys, attribute=args.attribute)
        if args.json:
            print(json.dumps({key: jsonable(values[key]) for key in keys}, indent=2))
        elif len(keys) == 1:
            print(display(values[keys[0]]))
        else:
            width = max(len(printable(key)) for key in keys)
            for key in keys:
                print(f"{printable(key):<{width}}  {display(values[key])}")
        return 0

    return run_client(args, read)
