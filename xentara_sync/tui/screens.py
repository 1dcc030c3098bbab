"""The dialogs of ``xentara-sync tui``: the value to write, the file to record to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from ..exceptions import XentaraError
from ..protocol.index import AttributeInfo, check_write
from ..toolkit.recording import check_output
from ..tools.common import parse_value
from .view import access_text, value_text

__all__ = ["RecordScreen", "WriteScreen"]


class WriteScreen(ModalScreen[tuple[Any] | None]):
    """Ask for the value to write to *key*, check it, then ask to confirm.

    The text is converted as ``xentara-sync write`` converts it and checked by the
    client's rule (access, data type, range) before the confirmation; the screen
    returns ``(value,)`` once confirmed with ``y``, None when cancelled.
    """

    DEFAULT_CSS = """
    WriteScreen { align: center middle; }
    WriteScreen > Vertical {
        width: 72; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    WriteScreen #problem { color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "confirm", "Yes", show=False),
        Binding("n", "cancel", "No", show=False),
    ]

    def __init__(self, key: str, info: AttributeInfo) -> None:
        super().__init__()
        self.key = key
        self.info = info
        self.value: tuple[Any] | None = None

    def compose(self) -> ComposeResult:
        data_type = self.info.data_type.name.lower()
        with Vertical():
            yield Label(f"Write to {self.key} ({data_type}, {access_text(self.info.access)})")
            yield Input(placeholder=f"a {data_type} value; Enter to check, Esc to cancel")
            yield Label("", id="problem")

    @on(Input.Submitted)
    def check(self, event: Input.Submitted) -> None:
        """Convert and check the text; ask to confirm a value that passes."""
        try:
            value = parse_value(event.value, self.info.data_type)
            value = check_write(self.info, value, element=self.key)
        except (ValueError, XentaraError) as exc:
            self.query_one("#problem", Label).update(str(exc))
            return
        self.value = (value,)
        event.input.display = False
        self.query_one("#problem", Label).update(
            Text.assemble(
                (f"Write {value_text(value)} to {self.key}? ", "bold"),
                "y: write, n or Esc: cancel",
            )
        )
        self.focus()

    def action_confirm(self) -> None:
        if self.value is not None:
            self.dismiss(self.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RecordScreen(ModalScreen[str | None]):
    """Ask for the file to record the pinned keys to (``.png``: a plot)."""

    DEFAULT_CSS = """
    RecordScreen { align: center middle; }
    RecordScreen > Vertical {
        width: 72; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    RecordScreen #problem { color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, keys: Sequence[str], default: str) -> None:
        super().__init__()
        self.keys = keys
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Record {len(self.keys)} pinned key(s) to (CSV; .png: a plot):")
            yield Input(value=self.default)
            yield Label("", id="problem")

    @on(Input.Submitted)
    def check(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        what = "plot" if path.lower().endswith(".png") else "CSV"
        try:
            if not path:
                raise ValueError("give a file name")
            check_output(path, what)
        except (OSError, ValueError) as exc:
            self.query_one("#problem", Label).update(str(exc))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
