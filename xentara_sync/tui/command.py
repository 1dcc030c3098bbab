"""A live view of a Xentara in the terminal.

The element tree on the left (Enter opens a group or pins a data point; / searches
by name, n goes to the next match), the details of the selected element (type,
category, data type, access, every attribute and its value) on the right, and
below the pinned keys with their live values, quality, time of change and a
sparkline. w writes the selected data point (after a confirmation), r starts and
stops recording the pinned keys (CSV as record writes it; .png: a plot), q or
Ctrl-C quits. The status line says whether the connection is up or being
re-established. Needs Textual: pip install "xentara-sync[tui]".
"""

from __future__ import annotations

import argparse

from ..tools.common import (
    add_interval,
    add_keys,
    error,
    set_examples,
)

EXAMPLES = """
  xentara-sync tui ws://127.0.0.1:8080/api/ws
  xentara-sync tui ws://127.0.0.1:8080/api/ws Hardware.Signals.Sine Hardware.Registers.Counter
  xentara-sync tui wss://xentara:8080/api/ws --user operator --password-file pw.txt --root ''
"""

#: The line that says what is missing when Textual is not installed.
NEEDS_TEXTUAL = 'the tui needs Textual: pip install "xentara-sync[tui]"'


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``tui`` arguments to *parser*."""
    add_keys(parser, "*", "pin this element at the start")
    add_interval(parser, 100, "value per pinned element")
    set_examples(parser, EXAMPLES)


def run(args: argparse.Namespace) -> int:
    """Run the view until q or Ctrl-C; returns the exit status."""
    import asyncio

    try:
        import textual  # noqa: F401
    except ImportError:
        return error(NEEDS_TEXTUAL, 2)
    from .app import main

    try:
        return asyncio.run(main(args))
    except KeyboardInterrupt:  # while connecting or closing
        return 0
