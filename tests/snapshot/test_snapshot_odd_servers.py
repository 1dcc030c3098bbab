"""Snapshots of odd servers: what a twin cannot hold is left out with a warning each,
the twin written always loads, and deep trees work."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.tools.test_cli_hostile_server import hostile_names
from xentara_sync import XentaraClient
from xentara_sync.protocol import Category, Success, decode, encode, wrap
from xentara_sync.protocol.index import ElementInfo
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.faults import Proxy
from xentara_sync.simulator.model import load_model
from xentara_sync.snapshot import SnapshotWarning
from xentara_sync.snapshot.driver import twin_model
from xentara_sync.snapshot.twin import TwinBuilder

LABEL = "Hardware.Registers.Label"
ENABLE = "Hardware.Registers.Enable"
DEPTH = 1000


def deep_model(depth: int) -> dict[str, Any]:
    """Groups *depth* levels deep, a register at the bottom."""
    bottom: dict[str, Any] = {
        "@Skill.SignalFlow.Register": {
            "name": "Value",
            "UUID": str(uuid.UUID(int=depth + 1)),
            "defaultValue": ["float64", 2.5],
        }
    }
    for level in range(depth, 0, -1):
        bottom = {
            "@Group": {"name": f"L{level}", "UUID": str(uuid.UUID(int=level)), "children": [bottom]}
        }
    return {"children": [bottom]}


def test_a_tree_a_thousand_levels_deep(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    with (
        Simulator(model=deep_model(DEPTH)) as sim,
        XentaraClient(sim.url, root_element=None) as client,
    ):
        result = client.snapshot(str(path))
    assert result.elements == DEPTH + 1 and not result.skipped
    model = load_model(str(path))  # the file, as the simulator reads it
    assert len(model) >= DEPTH + 1
    with Simulator(model=str(path)) as twin, XentaraClient(twin.url, root_element=None) as client:
        key = ".".join(f"L{n}" for n in range(1, DEPTH + 1)) + ".Value"
        assert client.read(key) == 2.5


def test_nul_characters_and_duplicate_uuids_are_left_out(
    simulator: Simulator, tmp_path: Path
) -> None:
    with XentaraClient(simulator.url) as client:
        label, enable = client.element_info(LABEL).uuid, client.element_info(ENABLE).uuid

    def odd(message: bytes) -> bytes:
        """Names with NUL characters; Label's UUID is Enable's as well."""

        def spoil(value: Any) -> Any:
            if isinstance(value, str):
                return value.replace("Fast Signals", "Fast\x00Signals")
            if value == label:
                return enable
            if isinstance(value, list):
                return [spoil(v) for v in value]
            if isinstance(value, dict):
                return {k: spoil(v) for k, v in value.items()}
            return value

        return encode(spoil(decode(message)))

    path = tmp_path / "odd.json"
    with (
        Proxy(simulator.url, odd) as proxy,
        XentaraClient(proxy.url) as client,
        pytest.warns(SnapshotWarning) as caught,
    ):
        result = client.snapshot(str(path))
    messages = [str(w.message) for w in caught]
    assert any("NUL" in m for m in messages), messages
    assert any("UUID" in m and "Registers" in m for m in messages), messages
    assert len(messages) == len(result.skipped)
    assert any("Fast\x00Signals" in key for key in result.skipped)
    load_model(str(path))  # the twin written loads
    with Simulator(model=str(path)):
        pass


def test_escapes_in_names_still_give_a_twin_that_loads(
    simulator: Simulator, tmp_path: Path
) -> None:
    path = tmp_path / "escapes.json"
    with Proxy(simulator.url, hostile_names) as proxy, XentaraClient(proxy.url) as client:
        client.snapshot(str(path))
    load_model(str(path))


def test_a_value_that_differs_from_its_metadata_is_left_out() -> None:
    group = ElementInfo("Plant", uuid.UUID(int=1), Category.ELEMENT_GROUP)
    flag = ElementInfo("Plant.Flag", uuid.UUID(int=2), Category.DATA_POINT)
    speed = ElementInfo("Plant.Speed", uuid.UUID(int=3), Category.DATA_POINT)
    twin = TwinBuilder([group, flag, speed])
    boolean = {0: "value", 1: 11, 2: 0, 3: 1}  # read only, bool
    real = {0: "value", 1: 11, 2: 0, 3: 9}  # read only, float32
    twin.add_metadata(flag, Success(1, {1: 2, 2: [boolean]}))
    twin.add_metadata(speed, Success(2, {1: 2, 2: [real]}))
    twin.add_value(flag, Success(3, {11: wrap("not a bool")}))
    twin.add_value(speed, Success(4, {11: wrap(21.5)}))
    model = twin_model(twin)
    assert "Plant.Flag" in twin.skipped and "Plant.Speed" not in twin.skipped
    assert "metadata" in twin.skipped["Plant.Flag"]
    load_model(model)
