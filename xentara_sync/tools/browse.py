"""List the elements of a Xentara model: primary key and category of each.

Lists the elements below --root (default: the whole model), in model order, as a table
or, with --json, as a JSON array of {"key", "category", "uuid"} objects.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from .common import (
    add_connection_arguments,
    jsonable,
    parse_category,
    printable,
    run_client,
    set_examples,
)

if TYPE_CHECKING:
    from ..sync import XentaraClient

EXAMPLES = """
  xentara-sync browse ws://127.0.0.1:8080/api/ws
  xentara-sync browse wss://user:password@xentara:8080/api/ws --no-verify --category data_point
  xentara-sync browse ws://127.0.0.1:8080/api/ws --root "Hardware.EtherCAT Bus" --json
  xentara-sync browse ws://127.0.0.1:8080/api/ws --root Hardware   # below Hardware only
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``browse`` arguments to *parser*."""
    add_connection_arguments(parser)
    parser.add_argument(
        "--category",
        metavar="NAME",
        type=parse_category,
        help="list only elements of this category (data_point, device, element_group, ...)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    set_examples(parser, EXAMPLES)


def run(args: argparse.Namespace) -> int:
    """List the elements; returns the exit status."""

    def browse(client: XentaraClient) -> int:
        elements = client.elements(args.category)
        if args.json:
            rows = [
                {"key": e.key, "category": jsonable(e.category), "uuid": str(e.uuid)}
                for e in elements
            ]
            print(json.dumps(rows, indent=2))
            return 0
        keys = [printable(e.key) for e in elements]
        width = max((len(key) for key in keys), default=0)
        for key, element in zip(keys, elements, strict=True):
            print(f"{key:<{width}}  {jsonable(element.category)}")
        return 0

    return run_client(args, browse)
