"""The twin's text made without a model object per plain register (``twin_text``,
what ``snapshot`` writes) is the text of the verified model (``twin_model``), byte
for byte, and leaves out the same elements."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA
from xentara_sync.aio import XentaraClient
from xentara_sync.core.snapshotlink import SnapshotLink
from xentara_sync.protocol import Access, Category, DataType, Success, wrap
from xentara_sync.protocol.index import ElementInfo
from xentara_sync.simulator import Simulator, generated_model, load_model
from xentara_sync.simulator.model import ModelError
from xentara_sync.snapshot import driver
from xentara_sync.snapshot.checks import refuse_unfit
from xentara_sync.snapshot.lists import register_list
from xentara_sync.snapshot.twin import TwinBuilder


def both(twin: TwinBuilder) -> tuple[str, dict[str, str]]:
    """The text of each path, asserted equal, and what was left out."""
    other = copy.deepcopy(twin)
    expected = driver.model_text(driver.twin_model(twin))
    text = driver.twin_text(other)
    assert text == expected
    assert other.skipped == twin.skipped
    return text, other.skipped


async def snapshot_twin(url: str) -> TwinBuilder:
    async with XentaraClient(url, None, timeout=30) as client:
        session = await client._ready(None)
        twin, _ = await driver.take_snapshot(SnapshotLink(client, session, 30), None)
        return twin


@pytest.mark.parametrize("model", ["demo", "signal-sampler", "value-types", "generated"])
def test_a_snapshot_of_the_simulator_gives_the_same_text(model: str, tmp_path: Path) -> None:
    if model == "demo":
        path: Path | None = None
    elif model == "generated":
        path = tmp_path / "generated.json"
        path.write_text(json.dumps(generated_model(1_500, signals=5)), encoding="utf-8")
    else:
        path = DATA / f"{model}.json"
    with Simulator(path) as simulator:
        twin = asyncio.run(snapshot_twin(simulator.url))
    text, skipped = both(twin)
    assert not skipped
    written = tmp_path / "twin.json"
    driver.write_twin(written, twin)
    assert written.read_text(encoding="utf-8") == text
    loaded = load_model(json.loads(text))
    assert len(loaded.elements) == len(twin.elements)


def info(key: str, number: int, category: Category = Category.DATA_POINT) -> ElementInfo:
    return ElementInfo(key, uuid.UUID(int=number), category)


def metadata(data_type: DataType, access: Access = Access.READ_WRITE) -> Success:
    entries = register_list(data_type, access)
    return Success(1, {2: [{0: n, 1: i, 2: a, 3: t} for n, i, a, t in entries]})


def twin_of(points: list[tuple[Any, ...]]) -> TwinBuilder:
    """A group ``G`` of registers ``(name, data type, value[, access])``; a name with a
    dot is a register below the one before."""
    elements = [info("G", 1, Category.ELEMENT_GROUP)]
    elements += [info(f"G.{point[0]}", 2 + n) for n, point in enumerate(points)]
    twin = TwinBuilder(elements)
    refuse_unfit(twin, None)
    for element, (_, data_type, value, *access) in zip(elements[1:], points, strict=True):
        twin.add_metadata(element, metadata(data_type, *access))
        twin.add_value(element, Success(2, {11: wrap(value)}))
    return twin


VALUES: list[tuple[DataType, Any]] = [
    (DataType.BOOLEAN, True),
    (DataType.BOOLEAN, False),
    (DataType.INT64, -(2**62)),
    (DataType.UINT64, 2**64 - 1),
    (DataType.INT16, 0),
    (DataType.FLOAT64, 1.5),
    (DataType.FLOAT64, -0.0),
    (DataType.FLOAT64, 1e300),
    (DataType.FLOAT64, 0.1 + 0.2),
    (DataType.FLOAT32, 3.140000104904175),
    (DataType.STRING, ""),
    (DataType.STRING, 'tab\t "quote" \\ back ü € \U0001f600 \x01 \u2028'),
]


@pytest.mark.parametrize("access", [Access.READ_WRITE, Access.READ_ONLY])
def test_every_plain_value_as_the_encoder_writes_it(access: Access) -> None:
    # Three of each, of every kind of value the lines are made for.
    points = [
        (f"P{n} {copy_}", data_type, value, access)
        for n, (data_type, value) in enumerate(VALUES)
        for copy_ in range(3)
    ]
    points.append(('Ünïcödé "name"', DataType.INT32, 5, access))
    text, skipped = both(twin_of(points))
    assert not skipped
    assert text.count('"access": "readOnly"') == (len(points) if access == Access.READ_ONLY else 0)


def test_odd_names_and_values_are_left_out_alike() -> None:
    twin = twin_of(
        [
            ("Speed", DataType.FLOAT32, 1.5),
            ("[Speed", DataType.FLOAT32, 1.5),  # no name of a model file
            ("Small", DataType.INT8, 1000),  # does not match its metadata
            ('Quote "and" é', DataType.STRING, 'line\nbreak "quoted" ü'),
            ("Inf", DataType.FLOAT64, float("inf")),  # written as text
            ("Parent", DataType.INT32, 1),
            ("Parent.Child", DataType.INT32, 2),  # a register below a register: not plain
        ]
    )
    text, skipped = both(twin)
    assert set(skipped) == {"G.[Speed", "G.Small"}
    assert '"defaultValue": ["float64", "inf"]' in text
    assert '"Quote \\"and\\" é"' in text


def test_a_refused_kind_is_left_out_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    import xentara_sync.simulator.model as loader

    twin = twin_of([(f"P{n}", DataType.INT16, n) for n in range(5)])

    def surprising(key: str, settings: Any) -> Any:
        return ModelError(f"{key}: surprise") if key in ("G.P0", "G.P3") else None

    monkeypatch.setattr(loader, "register_refusal", surprising)
    text, skipped = both(twin)
    assert set(skipped) == {"G.P0", "G.P3"}
    assert sorted(load_model(json.loads(text)).by_key) == ["G", "G.P1", "G.P2", "G.P4"]
