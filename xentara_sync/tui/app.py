"""The Textual application of ``xentara-sync tui``.

:class:`XentaraApp` takes a connected asyncio
:class:`~xentara_sync.aio.XentaraClient` and runs on the same event loop: every
request is awaited in a Textual worker, nothing blocks the loop. :func:`main` is
what the command runs: connect, check the keys to pin, run the app, close.

In a test, drive it with Textual's pilot::

    client = await XentaraClient(sim.url)
    app = XentaraApp(client, pins=["Hardware.Signals.Sine"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import time
from collections.abc import Iterable
from typing import Any, ClassVar, Final, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, Static, Tree
from textual.widgets.tree import TreeNode
from textual.worker import Worker, WorkerState

from ..aio import XentaraClient
from ..exceptions import XentaraError
from ..protocol import Access, Category, Quality
from ..protocol.index import Event
from ..toolkit.recording import Recording
from .screens import RecordScreen, WriteScreen
from .view import Pin, access_text, change_time, type_text, value_text

__all__ = ["XentaraApp", "main", "save_recording"]

_W = TypeVar("_W", bound=Widget)

#: Seconds between two reads of the pinned keys' qualities.
QUALITY_PERIOD: Final = 1.0
#: Seconds an unsubscribe may take when the pins change or the view ends.
UNSUBSCRIBE_TIMEOUT: Final = 1.0
#: Seconds between two repaints of the pinned values that changed.
PAINT_PERIOD: Final = 0.1


class XentaraApp(App[int]):
    """Browse, watch, write and record a Xentara through *client* (asyncio, connected).

    *root* is the key of the tree's top element (``""``: the model root); *pins*
    are pinned at the start; *interval* (ms, 0: every change) throttles the one
    subscription of the pinned keys.
    """

    TITLE = "xentara-sync tui"
    CSS = """
    #status { height: 1; background: $primary-background; }
    #top { height: 3fr; }
    #tree { width: 28; border-right: solid $primary; }
    #details { width: 1fr; }
    #heading { height: auto; max-height: 3; }
    #attributes { height: 1fr; }
    #pins { height: 2fr; border-top: solid $primary; }
    #message { height: 1; }
    #search { dock: bottom; display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("slash", "search", "Search"),
        Binding("n", "next_match", "Next", show=False),
        Binding("p", "pin", "Pin"),
        Binding("w", "write", "Write"),
        Binding("r", "record", "Record"),
        Binding("escape", "close_search", "Close search", show=False),
    ]

    def __init__(
        self,
        client: XentaraClient,
        *,
        root: str = "Hardware",
        pins: Iterable[str] = (),
        interval: int = 100,
    ) -> None:
        super().__init__()
        self.client = client
        self.root = root
        self.interval = interval
        self.pins: dict[str, Pin] = {key: Pin(key) for key in pins}
        self.losses = 0
        self.lost_at: float | None = None
        self.recording: Recording | None = None
        self.record_path: str | None = None
        self._main_screen: Screen[Any] | None = None
        self._tree_nodes: dict[str, TreeNode[str]] = {}
        self._loading: dict[str, asyncio.Task[None]] = {}
        known = client.keys()
        self._parents = {key.rpartition(".")[0] for key in known}
        self._dirty: set[str] = set()
        self._matches: list[str] = []
        self._match = 0

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="top"):
            tree: Tree[str] = Tree(self.root or "(model)", data=self.root, id="tree")
            tree.show_root = True
            yield tree
            with Vertical(id="details"):
                yield Static("", id="heading")
                yield DataTable(id="attributes", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="pins", cursor_type="row")
        yield Static("", id="message")
        yield Input(placeholder="search a name; Enter: go, n: next match, Esc: close", id="search")
        yield Footer()

    def widget(self, selector: str, kind: type[_W]) -> _W:
        """The widget *selector* of the main screen, whichever screen is on top."""
        return (self._main_screen or self.screen).query_one(selector, kind)

    def on_mount(self) -> None:
        self._main_screen = self.screen
        attributes = self.widget("#attributes", DataTable)
        attributes.add_column("attribute")
        attributes.add_column("value", width=14)
        attributes.add_column("type")
        pins = self.widget("#pins", DataTable)
        pins.add_column("pinned key", key="key", width=21)
        pins.add_column("value", key="value", width=18)
        pins.add_column("quality", key="quality", width=7)
        pins.add_column("changed", key="changed", width=12)
        pins.add_column("trend", key="trend")
        for key in self.pins:
            pins.add_row(*self._row(self.pins[key]), key=key)
        tree = self.widget("#tree", Tree)
        self._tree_nodes[self.root] = tree.root
        tree.root.expand()
        tree.focus()
        self.client.add_connection_callback(self._connection_changed)
        self._show_status()
        self.set_interval(0.25, self._show_status)
        self.set_interval(PAINT_PERIOD, self._paint)
        self.set_interval(QUALITY_PERIOD, self._read_qualities)
        self._follow_pins()
        self._read_qualities()

    def on_unmount(self) -> None:
        try:
            self.client.remove_connection_callback(self._connection_changed)
        except ValueError:  # never added: the mount failed
            pass

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """An unexpected error in a task of the view: say it, and go on."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.say(Text(f"{event.worker.name}: {type(error).__name__}: {error}", "red"))

    def say(self, text: str | Text) -> None:
        """Show *text* on the message line."""
        try:
            self.widget("#message", Static).update(text)
        except NoMatches:  # the view is closing
            pass

    # ------------------------------------------------------------------ status

    def _connection_changed(self, connected: bool) -> None:
        if connected:
            self.lost_at = None
        else:
            self.losses += 1
            self.lost_at = time.monotonic()
        self._show_status()

    def status_text(self) -> Text:
        """The status line: the server, the connection's state, the recording."""
        client = self.client
        if client.closed:
            state = Text("✖ closed", style="bold red")
        elif client.connected:
            state = Text("● connected", style="bold green")
            if client.reconnects:
                state.append(f" · reconnects: {client.reconnects}", style="green")
        else:
            since = 0.0 if self.lost_at is None else time.monotonic() - self.lost_at
            state = Text(
                f"◌ reconnecting {since:.0f} s · connection lost: {self.losses}",
                style="bold yellow",
            )
        line = Text.assemble(" ", state, " │ ", client.url)
        if self.recording is not None:
            recording = self.recording
            full = f", {recording.dropped} not kept" if recording.dropped else ""
            line.append(f"  ⏺ REC {len(recording.events)}{full} → {self.record_path}", "bold red")
        return line

    def _show_status(self) -> None:
        try:
            self.widget("#status", Static).update(self.status_text())
        except NoMatches:  # the view is closing: a last tick of the timer
            pass

    # ------------------------------------------------------------------ the tree

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[str]) -> None:
        self._load(event.node)

    @work(group="browse", exit_on_error=False)
    async def _load(self, node: TreeNode[str]) -> None:
        try:
            await self.children_of(node)
        except XentaraError as exc:
            self.say(Text(f"cannot browse {node.data or 'the model'}: {exc}", "red"))

    async def children_of(self, node: TreeNode[str]) -> None:
        """Browse *node*'s children (once) and add them to the tree."""
        key = node.data if node.data is not None else ""
        if key in self._loading:
            await asyncio.shield(self._loading[key])
            return
        task = asyncio.ensure_future(self._browse_into(node, key))
        self._loading[key] = task
        try:
            await asyncio.shield(task)
        except BaseException:
            if task.done():  # a failed browse may be tried again
                self._loading.pop(key, None)
            raise

    async def _browse_into(self, node: TreeNode[str], key: str) -> None:
        children = await self.client.browse(key or None, depth=1)
        node.remove_children()
        for child in children:
            name = (
                child.key[len(key) + 1 :] if key and child.key.startswith(key + ".") else child.key
            )
            expandable = child.key in self._parents or child.category != Category.DATA_POINT
            label = Text(name, style="" if child.category == Category.DATA_POINT else "bold")
            self._tree_nodes[child.key] = node.add(label, data=child.key, allow_expand=expandable)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[str]) -> None:
        if event.node.data and not event.node.allow_expand:
            self.action_pin()

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node.data:
            self._show_details(event.node.data)

    @on(DataTable.RowHighlighted, "#pins")
    def _pin_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self._show_details(event.row_key.value)

    @work(exclusive=True, group="details", exit_on_error=False)
    async def _show_details(self, key: str) -> None:
        await asyncio.sleep(0.05)  # moving through the tree: only the last one
        heading = self.widget("#heading", Static)
        table = self.widget("#attributes", DataTable)
        try:
            metadata = await self.client.metadata(key)
        except XentaraError as exc:
            heading.update(Text(f"{key}\n{exc}", "red"))
            table.clear()
            return
        readable = [a for a in metadata.attributes.values() if a.access != Access.WRITE_ONLY]
        values = await asyncio.gather(
            *(self.client.read(key, attribute=a.id) for a in readable), return_exceptions=True
        )
        found = dict(zip((a.name for a in readable), values, strict=True))
        kind = found.get("type")
        value = metadata.attribute("value")
        lines = Text(key, "bold")
        lines.append(f"\n{metadata.category.name.lower().replace('_', ' ')}")
        if isinstance(kind, str):
            lines.append(f" · {kind}")
        if value is not None:
            lines.append(
                f"\nvalue: {value.data_type.name.lower()}, {access_text(value.access)}", "cyan"
            )
        heading.update(lines)
        table.clear()
        for attribute in metadata.attributes.values():
            shown: str | Text
            if attribute.access == Access.WRITE_ONLY:
                shown = Text("(write only)", "dim")
            else:
                result = found.get(attribute.name)
                if isinstance(result, BaseException):
                    shown = Text(f"error: {result}", "red")
                else:
                    shown = value_text(result)
            table.add_row(attribute.name, shown, type_text(attribute))

    def selected_key(self) -> str | None:
        """The key the next action is for: the pinned row if the pins have the focus,
        else the tree's cursor."""
        pins = self.widget("#pins", DataTable)
        if self.focused is pins and pins.row_count:
            row_key, _ = pins.coordinate_to_cell_key(pins.cursor_coordinate)
            return row_key.value
        node = self.widget("#tree", Tree).cursor_node
        return node.data if node is not None and node.data else None

    # ------------------------------------------------------------------ search

    def action_search(self) -> None:
        search = self.widget("#search", Input)
        search.display = True
        # At once, not after the next refresh: keys typed right behind the / go to it.
        self.screen.set_focus(search)

    def action_close_search(self) -> None:
        search = self.widget("#search", Input)
        if search.display:
            search.display = False
            self.widget("#tree", Tree).focus()

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        wanted = event.value.strip().lower()
        event.input.display = False
        self.widget("#tree", Tree).focus()
        if not wanted:
            return
        known = self.client.keys()
        self._matches = [key for key in known if wanted in key.lower()]
        self._match = 0
        if not self._matches:
            self.say(Text(f"no element matches {event.value.strip()!r}", "yellow"))
            return
        self._reveal(self._matches[0])

    def action_next_match(self) -> None:
        if self._matches:
            self._match = (self._match + 1) % len(self._matches)
            self._reveal(self._matches[self._match])

    @work(exclusive=True, group="reveal", exit_on_error=False)
    async def _reveal(self, key: str) -> None:
        """Open the tree down to *key* (browsing as need be) and put the cursor on it."""
        tree: Tree[str] = self.widget("#tree", Tree)
        node = tree.root
        prefix = f"{self.root}." if self.root else ""
        path = key[len(prefix) :].split(".") if key.startswith(prefix) else key.split(".")
        current = self.root
        try:
            for part in path:
                current = f"{current}.{part}" if current else part
                if current not in self._tree_nodes:
                    await self.children_of(node)
                    node.expand()
                child = self._tree_nodes.get(current)
                if child is None:
                    continue  # a name with a dot in it: the next part completes it
                node = child
        except XentaraError as exc:
            self.say(Text(f"cannot browse to {key}: {exc}", "red"))
            return
        if node is tree.root:
            return
        # The tree numbers its lines when it next refreshes: move the cursor then.
        tree.call_after_refresh(tree.move_cursor, node)
        self.say(f"match {self._match + 1} of {len(self._matches)}: {key} (n: next)")

    # ------------------------------------------------------------------ pinned keys

    def action_pin(self) -> None:
        key = self.selected_key()
        if key is None:
            return
        if key in self.pins:
            del self.pins[key]
            self.widget("#pins", DataTable).remove_row(key)
            self.say(f"unpinned {key}")
            self._follow_pins()
        else:
            self._pin(key)

    @work(group="pin", exit_on_error=False)
    async def _pin(self, key: str) -> None:
        try:
            metadata = await self.client.metadata(key)
        except XentaraError as exc:
            self.say(Text(str(exc), "red"))
            return
        if metadata.attribute("value") is None:
            self.say(Text(f"{key} has no value to pin", "yellow"))
            return
        if key in self.pins:
            return
        pin = self.pins[key] = Pin(key)
        self.widget("#pins", DataTable).add_row(*self._row(pin), key=key)
        self.say(f"pinned {key}")
        self._follow_pins()
        self._read_qualities()

    @work(exclusive=True, group="pins", exit_on_error=False)
    async def _follow_pins(self) -> None:
        """One subscription of every pinned key; a new one when the pins change."""
        keys = list(self.pins)
        if not keys:
            return
        subscription = self.client.subscribe(keys, self.interval or None, None)
        try:
            await subscription.start()
        except XentaraError as exc:
            self.say(Text(f"cannot follow the pinned keys: {exc}", "red"))
            return
        try:
            async for event in subscription:
                self._take(event)
        except XentaraError as exc:
            self.say(Text(f"the live values stopped: {exc}", "red"))
        finally:
            try:  # a courtesy to the server: closing the connection ends it too
                await subscription.stop(timeout=UNSUBSCRIBE_TIMEOUT)
            except XentaraError:
                pass

    def _take(self, event: Event) -> None:
        pin = self.pins.get(event.name)
        if pin is not None:
            pin.update(event)
            self._dirty.add(event.name)
        recording = self.recording
        if recording is not None and event.name in recording.keys:
            recording.add(event)  # at most its max_events kept; later ones counted
            if recording.dropped == 1:
                self.say(
                    Text(
                        f"the recording is full ({len(recording.events)} events): later "
                        "ones are not kept; r stops and saves",
                        "yellow",
                    )
                )

    def _row(self, pin: Pin) -> tuple[str | Text, ...]:
        prefix = f"{self.root}." if self.root else ""
        name = pin.key[len(prefix) :] if prefix and pin.key.startswith(prefix) else pin.key
        value = Text(pin.text(), "red" if pin.in_error else "bold")
        good = pin.quality is None or pin.quality == Quality.GOOD
        quality = Text(pin.quality_text(), "green" if good else "yellow")
        return (name, value, quality, change_time(pin.timestamp), pin.trend())

    def _paint(self) -> None:
        if not self._dirty:
            return
        try:
            table = self.widget("#pins", DataTable)
        except NoMatches:  # the view is closing: a last tick of the timer
            return
        dirty, self._dirty = self._dirty, set()
        for key in dirty:
            pin = self.pins.get(key)
            if pin is None:
                continue
            _, *cells = self._row(pin)
            for column, cell in zip(("value", "quality", "changed", "trend"), cells, strict=True):
                table.update_cell(key, column, cell)

    def _offline(self) -> bool:
        return not self.client.connected

    @work(exclusive=True, group="quality", exit_on_error=False)
    async def _read_qualities(self) -> None:
        keys = list(self.pins)
        if not keys or not self.client.connected:
            return
        try:
            found: dict[str, Any] = await self.client.read_many(keys, attribute="quality")
        except XentaraError:  # one of them fails: each on its own
            if self._offline():
                return  # the connection is the problem: the next read tells
            results = await asyncio.gather(
                *(self.client.read(key, attribute="quality") for key in keys),
                return_exceptions=True,
            )
            found = dict(zip(keys, results, strict=True))
        for key, quality in found.items():
            pin = self.pins.get(key)
            if pin is not None and pin.quality != quality:
                pin.quality = quality
                self._dirty.add(key)

    # ------------------------------------------------------------------ writing

    def action_write(self) -> None:
        key = self.selected_key()
        if key is not None:
            self._ask_write(key)

    @work(group="write", exit_on_error=False)
    async def _ask_write(self, key: str) -> None:
        try:
            metadata = await self.client.metadata(key)
        except XentaraError as exc:
            self.say(Text(str(exc), "red"))
            return
        info = metadata.attribute("value")
        if info is None:
            self.say(Text(f"{key} has no value to write", "yellow"))
            return
        answer = await self.push_screen_wait(WriteScreen(key, info))
        if answer is None:
            self.say("write cancelled")
            return
        (value,) = answer
        self.say(f"writing {value_text(value)} to {key}…")
        try:
            await self.client.write(key, value)
        except XentaraError as exc:
            self.say(Text(f"the write was refused: {exc}", "bold red"))
            return
        self.say(Text(f"{key} ← {value_text(value)}: the server accepted the write", "green"))

    # ------------------------------------------------------------------ recording

    def action_record(self) -> None:
        if self.recording is not None:
            self._stop_recording()
            return
        if not self.pins:
            self.say(Text("pin keys to record first (p or Enter)", "yellow"))
            return
        default = _dt.datetime.now().strftime("xentara-%Y%m%d-%H%M%S.csv")
        self.push_screen(RecordScreen(list(self.pins), default), self._start_recording)

    def _start_recording(self, path: str | None) -> None:
        if path is None or self.recording is not None:
            return
        self.recording = Recording(list(self.pins))
        self.recording.begin()
        self.record_path = path
        self.say(f"recording {len(self.pins)} key(s) to {path}; r stops")
        self._show_status()

    def _stop_recording(self) -> None:
        recording, path = self.recording, self.record_path
        self.recording = self.record_path = None
        if recording is not None and path is not None:
            recording.finish()
            self._save(recording, path)
        self._show_status()

    @work(group="save", exit_on_error=False)
    async def _save(self, recording: Recording, path: str) -> None:
        try:
            await asyncio.to_thread(save_recording, recording, path)
        except (OSError, ValueError, ImportError) as exc:
            self.say(Text(f"cannot save the recording: {exc}", "red"))
            return
        self.say(f"recorded {len(recording.events)} events to {path}")

    # ------------------------------------------------------------------ quitting

    async def action_quit(self) -> None:
        recording, path = self.recording, self.record_path
        self.recording = None
        if recording is not None and path is not None:
            recording.finish()
            try:
                await asyncio.to_thread(save_recording, recording, path)
            except (OSError, ValueError, ImportError):
                pass
        self.exit(0)


def save_recording(recording: Recording, path: str) -> None:
    """Write *recording* to *path*: a plot for a ``.png``, CSV otherwise (the
    formats of ``xentara-sync record``)."""
    if path.lower().endswith(".png"):
        recording.plot(path)
    else:
        recording.to_csv(path)


async def main(args: argparse.Namespace) -> int:
    """Connect as the command line says, check the keys to pin, run the app.

    A failure to connect or an unknown key raises (one line on stderr, exit 1);
    quitting returns 0.
    """
    from ..tools.common import client_options

    client = await XentaraClient(**client_options(args))
    try:
        keys = list(dict.fromkeys(args.keys))
        for key in keys:  # an unknown key says so before the screen changes
            await client.metadata(key)
        app = XentaraApp(client, root=args.root, pins=keys, interval=args.interval)
        await app.run_async()
    finally:
        try:
            await asyncio.wait_for(client.close(), 2.0)
        except (asyncio.TimeoutError, XentaraError, OSError):
            pass
    return 0 if app.return_code is None else app.return_code
