"""``xentara-sync tui`` driven by Textual's headless pilot against the real simulator."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Static, Tree

from tests.conftest import run
from xentara_sync.aio import XentaraClient
from xentara_sync.simulator import Simulator, User
from xentara_sync.toolkit.recording import CSV_COLUMNS
from xentara_sync.tui.app import XentaraApp

COUNTER = "Hardware.Registers.Counter"
SINE = "Hardware.Signals.Sine"
SIZE = (80, 24)


async def until(
    pilot: Pilot[Any], check: Callable[[], object], what: str, limit: float = 10.0
) -> None:
    """Let the app run until *check()* is true; fail after *limit* seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not check():
        if loop.time() > deadline:
            pytest.fail(f"the view never showed {what}")
        await pilot.pause(0.02)


def text_of(app: XentaraApp, selector: str) -> str:
    return str(app.query_one(selector, Static).content)


def pin_cell(app: XentaraApp, key: str, column: str) -> str:
    return str(app.query_one("#pins", DataTable).get_cell(key, column))


def child_labels(app: XentaraApp) -> list[str]:
    tree: Tree[str] = app.query_one("#tree", Tree)
    return [str(node.label) for node in tree.root.children]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


def with_app(
    url: str,
    scenario: Callable[[XentaraApp, Pilot[Any]], Awaitable[None]],
    *,
    pins: tuple[str, ...] = (),
    **options: Any,
) -> XentaraApp:
    """Connect, run the app headless in 80x24 through *scenario*, close."""

    async def main() -> XentaraApp:
        client = await XentaraClient(url, timeout=5.0, max_reconnect_delay=0.2, **options)
        try:
            app = XentaraApp(client, pins=pins)
            async with app.run_test(size=SIZE) as pilot:
                await until(pilot, lambda: child_labels(app), "the tree")
                await scenario(app, pilot)
            return app
        finally:
            await client.close()

    return run(main())


def test_the_tree_loads_lazily(sim: Simulator) -> None:
    async def scenario(app: XentaraApp, pilot: Pilot[Any]) -> None:
        assert child_labels(app) == ["EtherCAT Bus", "Signals", "Fast Signals", "Registers"]
        tree: Tree[str] = app.query_one("#tree", Tree)
        signals = tree.root.children[1]
        assert not signals.children  # not browsed before it is opened
        await pilot.press("down", "down", "enter")  # open Signals
        await until(pilot, lambda: signals.children, "the children of Signals")
        assert [str(n.label) for n in signals.children][:2] == ["Pulse", "Sine"]
        await pilot.press("down", "down")  # the cursor on Sine: its details
        await until(pilot, lambda: SINE in text_of(app, "#heading"), "the details of Sine")
        heading = text_of(app, "#heading")
        assert "data point" in heading
        assert "value: float64, read-only" in heading
        table = app.query_one("#attributes", DataTable)
        await until(pilot, lambda: table.row_count > 5, "the attributes")
        rows = {str(table.get_row_at(i)[0]): table.get_row_at(i) for i in range(table.row_count)}
        assert str(rows["name"][1]) == "Sine"
        assert str(rows["quality"][1]) == "good"
        assert str(rows["value"][2]) == "float64 r"

    with_app(sim.url, scenario)


def test_search_finds_a_key(sim: Simulator) -> None:
    async def scenario(app: XentaraApp, pilot: Pilot[Any]) -> None:
        await pilot.press("slash", *"count", "enter")
        tree: Tree[str] = app.query_one("#tree", Tree)
        await until(
            pilot,
            lambda: tree.cursor_node is not None and tree.cursor_node.data == COUNTER,
            "the counter under the cursor",
        )
        assert "match 1 of 1" in text_of(app, "#message")
        await pilot.press("slash", *"zz", "enter")
        await until(pilot, lambda: "no element matches" in text_of(app, "#message"), "no match")

    with_app(sim.url, scenario)


def test_a_pinned_value_updates(sim: Simulator) -> None:
    async def scenario(app: XentaraApp, pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: pin_cell(app, COUNTER, "value") == "0", "the first value")
        await until(pilot, lambda: pin_cell(app, COUNTER, "quality") == "good", "the quality")
        first_change = pin_cell(app, COUNTER, "changed")
        sim.set_value(COUNTER, 42)
        await until(pilot, lambda: pin_cell(app, COUNTER, "value") == "42", "the new value")
        assert pin_cell(app, COUNTER, "changed") != first_change
        assert pin_cell(app, COUNTER, "trend") == "▁█"

    sim.set_value(COUNTER, 0)
    with_app(sim.url, scenario, pins=(COUNTER,))


def test_pinning_with_enter_follows_a_data_point(sim: Simulator) -> None:
    async def scenario(app: XentaraApp, pilot: Pilot[Any]) -> None:
        await pilot.press("slash", *"pulse", "enter")
        tree: Tree[str] = app.query_one("#tree", Tree)
        await until(
            pilot,
            lambda: tree.cursor_node is not None and tree.cursor_node.data == PULSE,
            "the pulse under the cursor",
        )
        await pilot.press("enter")
        await until(
            pilot, lambda: pin_cell(app, PULSE, "value") in ("true", "false"), "a boolean word"
        )

    with_app(sim.url, scenario)


PULSE = "Hardware.Signals.Pulse"


async def select(app: XentaraApp, pilot: Pilot[Any], name: str, key: str) -> None:
    await pilot.press("slash", *name, "enter")
    tree: Tree[str] = app.query_one("#tree", Tree)
    await until(pilot, lambda: tree.cursor_node is not None and tree.cursor_node.data == key, key)


def test_a_write_reaches_the_simulator(sim: Simulator) -> None:
    async def scenario(app: XentaraApp, pilot: Pilot[Any]) -> None:
        await select(app, pilot, "count", COUNTER)
        await pilot.press("w")
        await until(pilot, lambda: len(app.screen_stack) > 1, "the write prompt")
        await pilot.press(*"1.5", "enter")  # the client's rule: not an int64
        problem = app.screen.query_one("#problem", Label)
        await until(pilot, lambda: "not an integer" in str(problem.content), "the problem")
        await pilot.press(*["backspace"] * 3, *"7", "enter")
        await until(pilot, lambda: "Write 7 to" in str(problem.content), "the confirmation")
        assert sim.get_value(COUNTER) == 0  # nothing is written before the confirmation
        await pilot.press("y")
        await until(pilot, lambda: "accepted" in text_of(app, "#message"), "the answer")
        assert sim.get_value(COUNTER) == 7

    sim.set_value(COUNTER, 0)
    with_app(sim.url, scenario)


def test_a_cancelled_write_writes_nothing(sim: Simulator) -> None:
    async def scenario(app: XentaraApp, pilot: Pilot[Any]) -> None:
        await select(app, pilot, "count", COUNTER)
        await pilot.press("w", *"5", "enter")
        problem = app.screen.query_one("#problem", Label)
        await until(pilot, lambda: "Write 5 to" in str(problem.content), "the confirmation")
        await pilot.press("n")
        await until(pilot, lambda: "cancelled" in text_of(app, "#message"), "the cancel")
        assert sim.get_value(COUNTER) == 0

    sim.set_value(COUNTER, 0)
    with_app(sim.url, scenario)


def test_a_refused_write_shows_the_servers_message() -> None:
    viewer = User("viewer", "pw", write=False)
    with Simulator(users=[viewer]) as sim:

        async def refusal() -> str:
            async with XentaraClient(sim.url, username="viewer", password="pw") as client:
                try:
                    await client.write(COUNTER, 3)
                except Exception as exc:
                    return str(exc)
            raise AssertionError("the simulator took a write of a user without the right")

        expected = run(refusal())

        async def scenario(app: XentaraApp, pilot: Pilot[Any]) -> None:
            await select(app, pilot, "count", COUNTER)
            await pilot.press("w", *"3", "enter", "y")
            await until(pilot, lambda: "refused" in text_of(app, "#message"), "the refusal")
            assert expected in text_of(app, "#message")
            assert sim.get_value(COUNTER) == 0

        with_app(sim.url, scenario, username="viewer", password="pw")


def test_reconnection_shows_in_the_status(sim: Simulator) -> None:
    async def scenario(app: XentaraApp, pilot: Pilot[Any]) -> None:
        assert "● connected" in text_of(app, "#status")
        await until(pilot, lambda: pin_cell(app, COUNTER, "value") == "0", "the first value")
        await asyncio.to_thread(sim.stop)
        await until(pilot, lambda: "reconnecting" in text_of(app, "#status"), "reconnecting")
        assert "connection lost: 1" in text_of(app, "#status")
        await asyncio.to_thread(sim.start)  # the same port, the values back at defaults
        await until(pilot, lambda: "reconnects: 1" in text_of(app, "#status"), "reconnected")
        sim.set_value(COUNTER, 9)
        await until(pilot, lambda: pin_cell(app, COUNTER, "value") == "9", "a value after it")

    sim.set_value(COUNTER, 0)
    with_app(sim.url, scenario, pins=(COUNTER,))


def test_recording_writes_records_csv(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "run.csv"

    async def scenario(app: XentaraApp, pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: pin_cell(app, COUNTER, "value") == "0", "the first value")
        await pilot.press("r")
        await until(pilot, lambda: len(app.screen_stack) > 1, "the file prompt")
        app.screen.query_one(Input).value = str(path)  # typing it takes a while
        await pilot.press("enter")
        await until(pilot, lambda: app.recording is not None, "the recording")
        sim.set_value(COUNTER, 5)
        await until(pilot, lambda: "REC 1" in text_of(app, "#status"), "one event recorded")
        await pilot.press("r")
        await until(pilot, lambda: "recorded 1 events" in text_of(app, "#message"), "saved")

    sim.set_value(COUNTER, 0)
    with_app(sim.url, scenario, pins=(COUNTER,))
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    header = rows[0]
    assert tuple(header) == CSV_COLUMNS  # record's CSV
    key, value = header.index("key"), header.index("value")
    assert [(row[key], row[value]) for row in rows[1:]] == [(COUNTER, "5")]


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
def test_q_and_ctrl_c_quit_with_status_0(sim: Simulator, key: str) -> None:
    async def scenario(app: XentaraApp, pilot: Pilot[Any]) -> None:
        await pilot.press(key)
        await until(pilot, lambda: not app.is_running, "the app ending")

    app = with_app(sim.url, scenario)
    assert app.return_code == 0
