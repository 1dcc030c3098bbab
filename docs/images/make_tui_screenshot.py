"""Make docs/images/tui.svg from the real program (and tui.png, to look at, with rsvg-convert).

Run from the repository's root: ``python docs/images/make_tui_screenshot.py``. It
serves the demo model with the embedded simulator, runs ``xentara-sync tui``'s
application headless in 80x24, walks through it with the keys and saves the screen.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

from xentara_sync.aio import XentaraClient
from xentara_sync.simulator import Simulator
from xentara_sync.tui.app import XentaraApp

HERE = Path(__file__).resolve().parent
PINS = [
    "Hardware.Fast Signals.Sine",
    "Hardware.Signals.Pulse",
    "Hardware.Signals.Triangle",
    "Hardware.Registers.Counter",
    "Hardware.Registers.Command",
]


async def main() -> None:
    async with Simulator() as sim:
        client = await XentaraClient(sim.url, root_element="Hardware")
        app = XentaraApp(client, pins=PINS)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.5)
            await pilot.press("slash", *"signals.sine", "enter")  # search: open Signals
            await pilot.pause(2.0)  # the sparklines fill
            app.save_screenshot("tui.svg", str(HERE))
            await pilot.press("q")
        await client.close()
    if shutil.which("rsvg-convert"):
        subprocess.run(
            ["rsvg-convert", "-w", "1000", str(HERE / "tui.svg"), "-o", str(HERE / "tui.png")],
            check=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
