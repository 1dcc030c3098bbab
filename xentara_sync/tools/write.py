"""Write a value to an element.

VALUE is converted to the data type the element's metadata gives its value:
true/false/1/0 for booleans, integers (also 0x.. hex) for integer types, numbers
for floating point types, the text as is for strings, ISO 8601 for time points.
--type forces a conversion instead. Prints nothing on success.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from .common import CommandError, add_connection_arguments, parse_value, run_client, set_examples

if TYPE_CHECKING:
    from ..sync import XentaraClient

EXAMPLES = """
  xentara-sync write ws://127.0.0.1:8080/api/ws "Hardware.EtherCAT Bus.EL2624.Output 1" true
  xentara-sync write ws://127.0.0.1:8080/api/ws Hardware.Registers.Setpoint 21.5
  xentara-sync write ws://127.0.0.1:8080/api/ws Hardware.Registers.Label "hello world"
  xentara-sync write wss://user:password@xentara:8080/api/ws Hardware.Registers.Label 42 --type str
"""

TYPES = ("auto", "bool", "int", "float", "str")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``write`` arguments to *parser*."""
    add_connection_arguments(parser)
    parser.add_argument("key", metavar="KEY", help="primary key of the element")
    parser.add_argument("value", metavar="VALUE", help="the value to write, as text")
    parser.add_argument(
        "--type",
        choices=TYPES,
        default="auto",
        help="how to convert VALUE; auto: by the element's data type (default: %(default)s)",
    )
    set_examples(parser, EXAMPLES)


def run(args: argparse.Namespace) -> int:
    """Convert and write the value; returns the exit status."""

    def write(client: XentaraClient) -> int:
        client.write(args.key, _convert(client, args.key, args.value, args.type))
        return 0

    return run_client(args, write)


def _convert(client: XentaraClient, key: str, text: str, kind: str) -> Any:
    if kind != "auto":
        data_type: Any = kind
    else:
        info = client.metadata(key).attribute("value")
        if info is None:
            raise CommandError(f"{key!r} has no value attribute", 1)
        data_type = info.data_type
    try:
        return parse_value(text, data_type)
    except ValueError as exc:
        raise CommandError(f"cannot write to {key!r}: {exc}") from None
