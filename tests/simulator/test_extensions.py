"""The simulator's extensions of the model format: access, categories, replays."""

from __future__ import annotations

from typing import Any

import pytest

from xentara_sync.protocol import Access, Attribute, Category, DataType
from xentara_sync.simulator import ModelError, load_model
from xentara_sync.simulator.extensions import REPLAY_TICK_NS, Replay
from xentara_sync.simulator.signals import Clock, Timer

from .conftest import uid


def register(name: str, **settings: Any) -> dict[str, Any]:
    return {"@Skill.SignalFlow.Register": {"name": name, "UUID": uid(), **settings}}


def test_a_read_only_register_reads_but_refuses_writes_and_has_a_source_time() -> None:
    model = load_model({"children": [register("R", defaultValue=["int16", 5], access="readOnly")]})
    element = model.by_key["R"]
    assert element.table.access[Attribute.VALUE] is Access.READ_ONLY
    assert Attribute.SOURCE_TIME in element.table.access
    assert Attribute.WRITE_TIME not in element.table.access
    assert element.get(Attribute.VALUE) == 5


def test_write_only_and_default_access_are_unchanged() -> None:
    model = load_model(
        {
            "children": [
                register("W", defaultValue=["uint32", 0], access="writeOnly"),
                register("RW", defaultValue=["bool", True]),
            ]
        }
    )
    assert model.by_key["W"].table.access[Attribute.VALUE] is Access.WRITE_ONLY
    assert model.by_key["RW"].table.access[Attribute.VALUE] is Access.READ_WRITE


@pytest.mark.parametrize("category", list(Category)[1:])
def test_a_simulator_element_has_the_category_it_names(category: Category) -> None:
    element = {
        "@Simulator.Element": {"name": "E", "UUID": uid(), "category": category.name.lower()}
    }
    assert load_model({"children": [element]}).by_key["E"].category is category


def test_an_unknown_category_is_a_model_error_naming_the_element() -> None:
    element = {"@Simulator.Element": {"name": "E", "UUID": uid(), "category": "gizmo"}}
    group = {"@Group": {"name": "Plant", "UUID": uid(), "children": [element]}}
    with pytest.raises(ModelError, match=r"^Plant\.E: .*unknown category 'gizmo'"):
        load_model({"children": [group]})


@pytest.mark.parametrize("access", ["sometimes", 1, None, True, ["readOnly"]])
@pytest.mark.parametrize("element_type", ["@Skill.SignalFlow.Register", "@DataPoint"])
def test_an_unknown_access_is_a_model_error_naming_the_element_and_the_values(
    access: Any, element_type: str
) -> None:
    required = {"defaultValue": ["int16", 0]} if "Register" in element_type else {"io": "Plant.In"}
    element = {element_type: {"name": "R", "UUID": uid(), "access": access, **required}}
    driver = {"@Skill.Custom.Input": {"name": "In", "UUID": uid()}}
    group = {"@Group": {"name": "Plant", "UUID": uid(), "children": [driver, element]}}
    expected = r'^Plant\.R: "access" must be "readOnly", "writeOnly" or "readWrite", not '
    with pytest.raises(ModelError, match=expected):
        load_model({"children": [group]})


@pytest.mark.parametrize(
    ("text", "access"),
    [
        ("readWrite", Access.READ_WRITE),
        ("read-only", Access.READ_ONLY),
        ("WRITE_ONLY", Access.WRITE_ONLY),
    ],
)
def test_access_ignores_case_dashes_and_underscores(text: str, access: Access) -> None:
    model = load_model({"children": [register("R", defaultValue=["int16", 5], access=text)]})
    assert model.by_key["R"].table.access[Attribute.VALUE] is access


@pytest.mark.parametrize(
    "replay",
    [
        [[0, 1]],
        {"period": "1s"},
        {"period": "1s", "values": []},
        {"period": "1s", "values": [[-1, 2]]},
        {"period": "1s", "values": [["0", 2]]},
        {"period": "1s", "values": [[0]]},
        {"period": "1s", "values": [[float("nan"), 1]]},
        {"period": "1s", "values": [[float("inf"), 1]]},
        {"period": "1s", "values": [[True, 1]]},
        {"period": "1s", "values": [[0.5, 1], [0.25, 2]]},  # out of order
        {"period": "1s", "values": [[0, 1], [1, 2]]},  # not below the period
        {"period": "0s", "values": [[0, 1]]},
        {"period": 1, "values": [[0, 1]]},  # a number: which unit?
        {"period": "soon", "values": [[0, 1]]},
        {"values": [[0, 1]]},
    ],
)
def test_a_malformed_replay_is_a_model_error_naming_the_element(replay: Any) -> None:
    with pytest.raises(ModelError, match=r"^Plant\.R: \"replay\""):
        load_model(
            {
                "children": [
                    {
                        "@Group": {
                            "name": "Plant",
                            "UUID": uid(),
                            "children": [register("R", defaultValue=["int16", 0], replay=replay)],
                        }
                    }
                ]
            }
        )


def test_a_replay_plays_the_samples_in_a_loop() -> None:
    clock = Clock()
    clock.frozen = 1_000 * REPLAY_TICK_NS  # the start of the loop
    timer = Timer("replay", REPLAY_TICK_NS)
    second = 1_000_000_000
    replay = Replay(
        DataType.INT32, timer, clock, [(0, 1), (second // 2, 2), (second, 3)], 2 * second
    )
    start = 1_000
    ticks_per_second = second // REPLAY_TICK_NS
    assert replay.value == 1
    assert replay.value_at(start + ticks_per_second // 2 - 1) == 1
    assert replay.value_at(start + ticks_per_second // 2) == 2
    assert replay.value_at(start + ticks_per_second) == 3
    assert replay.value_at(start + 2 * ticks_per_second - 1) == 3
    assert replay.value_at(start + 2 * ticks_per_second) == 1  # round again


def test_a_loaded_replay_moves_with_the_clock_and_is_converted_to_its_type() -> None:
    model = load_model(
        {
            "children": [
                register(
                    "R",
                    defaultValue=["int16", 0],
                    access="readOnly",
                    replay={"period": "1s", "values": [[0, 4.0], [0.5, 30000]]},
                )
            ]
        }
    )
    point = model.by_key["R"].point
    assert isinstance(point, Replay)
    assert point.samples == [4, 30000]  # 4.0 is integral: 4
    assert [t.key for t in model.timers] == ["<replay>"]
    model.clock.frozen = point.start_ns + 600_000_000
    assert point.get(Attribute.VALUE) == 30000


def test_a_replayed_value_outside_its_type_is_a_model_error() -> None:
    spec = {"period": "1s", "values": [[0, 4], [0.5, 99999]]}
    with pytest.raises(ModelError, match=r"R: \"replay\": invalid value 99999 for int16"):
        load_model({"children": [register("R", defaultValue=["int16", 0], replay=spec)]})


def test_a_replay_loops_with_exactly_its_period() -> None:
    spec = {"period": "1s", "values": [[0, 1], [0.5, 2]]}
    model = load_model({"children": [register("R", defaultValue=["int16", 0], replay=spec)]})
    point = model.by_key["R"].point
    assert isinstance(point, Replay)
    assert point.loop_ns == 1_000_000_000  # the period given, nothing added
    seen = []
    for n in range(8):
        model.clock.frozen = point.start_ns + n * 250_000_000 + REPLAY_TICK_NS
        seen.append(point.get(Attribute.VALUE))
    assert seen == [1, 1, 2, 2, 1, 1, 2, 2]
