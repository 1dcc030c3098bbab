"""The twin built from answers alone (no server): the sans-I/O part of snapshots."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from xentara_sync.protocol import (
    Access,
    Category,
    DataType,
    ErrorCode,
    Failure,
    Success,
    TimePoint,
    fault,
    wrap,
)
from xentara_sync.protocol.index import ElementInfo
from xentara_sync.simulator import load_model
from xentara_sync.snapshot.driver import model_text
from xentara_sync.snapshot.lists import register_list
from xentara_sync.snapshot.plans import plan_ancestors, plan_chunk
from xentara_sync.snapshot.twin import (
    CATEGORY_TYPES,
    ELEMENT_TYPE,
    TwinBuilder,
    model_value,
)


def info(key: str, number: int, category: Category = Category.DATA_POINT) -> ElementInfo:
    return ElementInfo(key, uuid.UUID(int=number), category)


def metadata(data_type: DataType, access: Access = Access.READ_WRITE) -> Success:
    """The metadata of a register of *data_type*, as the simulator lists it."""
    entries = register_list(data_type, access)
    return Success(1, {2: [{0: n, 1: i, 2: a, 3: t} for n, i, a, t in entries]})


def value(v: Any) -> Success:
    return Success(2, {11: wrap(v)})


def bodies(twin: TwinBuilder) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every element of the twin by primary key: (model type, settings)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    pending = [("", item) for item in twin.model()["children"]]
    while pending:
        prefix, item = pending.pop()
        ((element_type, body),) = item.items()
        key = f"{prefix}.{body['name']}" if prefix else body["name"]
        found[key] = (element_type, body)
        pending.extend((key, child) for child in body.get("children", []))
    return found


def test_time_points_and_uuids_are_written_as_the_format_says() -> None:
    stamp = TimePoint(1_704_107_471_111_587_983)
    assert model_value(DataType.TIME_POINT, stamp) == "2024-01-01T11:11:11.111587983Z"
    element = uuid.UUID("3f1a9c52-5b7e-4d2a-9c41-6e8f0b2d7a13")
    assert model_value(DataType.UUID, element) == "3f1a9c52-5b7e-4d2a-9c41-6e8f0b2d7a13"
    with pytest.raises(ValueError, match="a int64 value"):
        model_value(DataType.INT64, object())


def test_every_value_type_becomes_a_register_of_its_name() -> None:
    stamp = TimePoint(1_704_107_471_000_000_000)
    cases = [
        (DataType.BOOLEAN, True, "bool", True),
        (DataType.UINT64, 2**64 - 1, "uint64", 2**64 - 1),
        (DataType.FLOAT32, 0.5, "float32", 0.5),
        (DataType.WSTRING, "ä", "string", "ä"),
        (DataType.TIME_POINT, stamp, "timeStamp", "2024-01-01T11:11:11.000000000Z"),
        (DataType.UUID, uuid.UUID(int=5), "UUID", str(uuid.UUID(int=5))),
    ]
    elements = [info(f"P{n}", n + 1) for n in range(len(cases))]
    twin = TwinBuilder(elements)
    for element, (data_type, read, _, _) in zip(elements, cases, strict=True):
        twin.add_metadata(element, metadata(data_type))
        twin.add_value(element, value(read))
    found = bodies(twin)
    for element, (_, _, name, written) in zip(elements, cases, strict=True):
        assert found[element.key][1]["defaultValue"] == [name, written]
    assert twin.skipped == {}


def test_write_only_values_hold_the_zero_of_their_type() -> None:
    point = info("Command", 1)
    twin = TwinBuilder([point])
    twin.add_metadata(point, metadata(DataType.UINT32, Access.WRITE_ONLY))
    twin.add_value(point, Success(2, {11: fault(ErrorCode.WRITE_ONLY)}))
    assert bodies(twin)["Command"][1] == {
        "name": "Command",
        "UUID": str(point.uuid),
        "defaultValue": ["uint32", 0],
        "access": "writeOnly",
    }


def test_each_category_becomes_a_type_the_simulator_loads_with_that_category() -> None:
    elements = [
        info(f"E{int(c)}", int(c), c) for c in list(Category)[1:] if c != Category.DATA_POINT
    ]
    twin = TwinBuilder(elements)
    model = load_model(twin.model())
    for element in elements:
        assert model.by_key[element.key].category is element.category
        expected = CATEGORY_TYPES.get(element.category, ELEMENT_TYPE)
        assert model.by_key[element.key].type == expected


def test_a_refused_element_is_left_out_with_its_descendants() -> None:
    group = info("A", 1, Category.ELEMENT_GROUP)
    point = info("A.P", 2)
    child = info("A.P.Q", 3)
    other = info("A.R", 4)
    twin = TwinBuilder([group, point, child, other])
    twin.add_metadata(group, Failure(1, ErrorCode.ACCESS_DENIED, "no"))  # kept: browse knows it
    twin.add_metadata(point, metadata(DataType.INT8))
    twin.add_value(point, Success(2, {11: fault(ErrorCode.READ_ERROR, "unplugged")}))
    twin.add_metadata(child, metadata(DataType.INT8))
    twin.add_value(child, value(1))
    twin.add_metadata(other, metadata(DataType.QUALITY))
    twin.add_value(other, value(0))
    assert list(bodies(twin)) == ["A"]
    assert twin.skipped == {
        "A.P": "read refused: unplugged (-32108)",
        "A.P.Q": "its parent 'A.P' is left out",
        "A.R": "its value's data type QUALITY has no register",
    }


def test_names_may_hold_dots() -> None:
    # Xentara's names hold a dot only in brackets: "[Slot 1.2]".
    group = info("Bus", 1, Category.DEVICE)
    point = info("Bus.[Slot 1.2]", 2)
    twin = TwinBuilder([group, point])
    twin.add_metadata(point, metadata(DataType.INT8))
    twin.add_value(point, value(3))
    model = load_model(twin.model())
    assert model.by_key["Bus.[Slot 1.2]"].uuid == point.uuid
    assert model.by_key["Bus.[Slot 1.2]"].parent is model.by_key["Bus"]


def test_an_unchanging_recording_is_no_replay() -> None:
    point = info("P", 1)
    twin = TwinBuilder([point])
    twin.add_metadata(point, metadata(DataType.INT16))
    twin.add_value(point, value(1))
    assert not twin.add_recording(point, [(0.0, 1), (0.5, 1)], 1.0)
    assert twin.add_recording(point, [(0.0, 1), (0.25, 2), (3.0, 1)], 2.0)
    assert bodies(twin)["P"][1]["replay"] == {
        "period": "2s",
        "values": [[0.0, 1], [0.25, 2]],  # 3.0 came after the recording: not in the loop
    }
    load_model(twin.model())  # offsets below the period, as the simulator requires


def test_changes_after_the_recording_alone_are_no_replay() -> None:
    point = info("P", 1)
    twin = TwinBuilder([point])
    twin.add_metadata(point, metadata(DataType.INT16))
    assert not twin.add_recording(point, [(0.0, 1), (1.0, 2)], 1.0)


def test_a_short_recording_gets_a_period_the_simulator_reads() -> None:
    point = info("P", 1)
    twin = TwinBuilder([point])
    twin.add_metadata(point, metadata(DataType.INT16))
    twin.add_value(point, value(1))
    assert twin.add_recording(point, [(0.0, 1), (0.000004, 2)], 0.00001)
    assert bodies(twin)["P"][1]["replay"]["period"] == "10000ns"
    load_model(twin.model())


def test_a_chunk_asks_metadata_of_all_and_values_of_data_points() -> None:
    elements = [info("G", 1, Category.ELEMENT_GROUP), info("G.P", 2)]
    metadata_plan, read_plan = plan_chunk(TwinBuilder(elements), elements)
    assert [opcode for opcode, _ in metadata_plan.requests] == [2, 2]
    # every element's type; a data point's value and quality besides
    assert [(params or {})[0] for _, params in read_plan.requests] == [
        uuid.UUID(int=1),
        uuid.UUID(int=2),
    ]
    assert [(params or {})[1] for _, params in read_plan.requests] == [[3], [11, 3, 9]]


def test_the_ancestors_of_a_root_are_looked_up_top_down() -> None:
    plan = plan_ancestors("A.B.C")
    assert [(params or {})[0] for _, params in plan.requests] == ["A", "A.B", "A.B.C"]
    found = plan.finish(
        [
            Success(1, uuid.UUID(int=1)),
            Failure(2, ErrorCode.UNKNOWN_ELEMENT, "unknown element"),
            Success(3, uuid.UUID(int=3)),
        ]
    )
    assert found == [("A", uuid.UUID(int=1)), ("A.B.C", uuid.UUID(int=3))]


def test_the_text_has_one_element_per_line_and_loads() -> None:
    point = info("G.P", 2)
    twin = TwinBuilder([info("G", 1, Category.ELEMENT_GROUP), point])
    twin.add_metadata(point, metadata(DataType.STRING))
    twin.add_value(point, value('a "quoted" ] value'))
    text = model_text(twin.model())
    assert len(text.splitlines()) == 5
    import json

    assert json.loads(text) == twin.model()


def test_a_twin_with_time_stamp_and_uuid_registers_loads() -> None:
    # Served with their own data types once the simulator knows timeStamp and UUID
    # registers; until then it must at least load the file.
    stamp, ident = info("Stamp", 1), info("Ident", 2)
    twin = TwinBuilder([stamp, ident])
    twin.add_metadata(stamp, metadata(DataType.TIME_POINT, Access.READ_ONLY))
    twin.add_value(stamp, value(TimePoint(1_704_107_471_111_587_983)))
    twin.add_metadata(ident, metadata(DataType.UUID))
    twin.add_value(ident, value(uuid.UUID(int=9)))
    document = twin.model()
    assert [b["@Skill.SignalFlow.Register"]["defaultValue"][0] for b in document["children"]] == [
        "timeStamp",
        "UUID",
    ]
    model = load_model(document)
    assert model.by_key["Stamp"].uuid == stamp.uuid
    assert model.by_key["Ident"].uuid == ident.uuid
