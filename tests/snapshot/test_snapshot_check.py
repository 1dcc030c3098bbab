"""How a snapshot checks its twin without loading all of it: the plain registers
of groups with the loader's own checks (``register_refusal``), the rest loaded;
and the pipeline that takes each answer as it comes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from xentara_sync.aio.backend import AsyncioBackend
from xentara_sync.core.pipeline import _Batch
from xentara_sync.protocol import Access, Category, DataType, Success, wrap
from xentara_sync.protocol.index import ElementInfo
from xentara_sync.simulator import load_model
from xentara_sync.simulator.model import ModelError, register_refusal
from xentara_sync.snapshot.checks import refuse_unfit, split_plain_registers
from xentara_sync.snapshot.driver import twin_model
from xentara_sync.snapshot.lists import register_list
from xentara_sync.snapshot.twin import REGISTER_TYPE, TwinBuilder

_UUID = "00000000-0000-0000-0000-00000000000a"


def info(key: str, number: int, category: Category = Category.DATA_POINT) -> ElementInfo:
    return ElementInfo(key, uuid.UUID(int=number), category)


def metadata(data_type: DataType, access: Access = Access.READ_WRITE) -> Success:
    entries = register_list(data_type, access)
    return Success(1, {2: [{0: n, 1: i, 2: a, 3: t} for n, i, a, t in entries]})


def loads(settings: dict[str, Any]) -> bool:
    """Whether the loader takes a group holding a register of *settings*."""
    group = {"name": "G", "UUID": "00000000-0000-0000-0000-000000000001"}
    model = {"children": [{"@Group": {**group, "children": [{REGISTER_TYPE: settings}]}}]}
    try:
        load_model(model)
    except ModelError:
        return False
    return True


@pytest.mark.parametrize(
    "settings",
    [
        {"name": "P", "UUID": _UUID, "defaultValue": ["float32", 1.5]},
        {"name": "P", "UUID": _UUID, "defaultValue": ["int8", 300]},
        {"name": "P", "UUID": _UUID, "defaultValue": ["int8", 1.5]},
        {"name": "P", "UUID": _UUID, "defaultValue": ["uint16", -1]},
        {"name": "P", "UUID": _UUID, "defaultValue": ["bool", "yes"]},
        {"name": "P", "UUID": _UUID, "defaultValue": ["float64", "nan"]},
        {"name": "P", "UUID": _UUID, "defaultValue": ["timeStamp", "yesterday"]},
        {"name": "P", "UUID": _UUID, "defaultValue": ["UUID", _UUID]},
        {"name": "P", "UUID": _UUID, "defaultValue": ["wide", 1]},
        {"name": "P", "UUID": _UUID, "defaultValue": ["string"]},
        {"name": "P", "UUID": _UUID, "defaultValue": ["string", "x"], "access": "readOnly"},
        {"name": "P", "UUID": _UUID, "defaultValue": ["string", "x"], "access": "sometimes"},
        {"name": "P", "UUID": "not-a-uuid", "defaultValue": ["int32", 1]},
        {"name": "[P", "UUID": _UUID, "defaultValue": ["int32", 1]},
        {"name": "P.Q", "UUID": _UUID, "defaultValue": ["int32", 1]},
        {"name": 7, "UUID": _UUID, "defaultValue": ["int32", 1]},
        {"UUID": _UUID, "defaultValue": ["int32", 1]},
        {"name": "P", "UUID": _UUID},
    ],
)
def test_a_register_is_refused_alone_as_the_loader_refuses_it(settings: dict[str, Any]) -> None:
    refusal = register_refusal("G." + str(settings.get("name")), settings)
    assert (refusal is None) == loads(settings), refusal


def test_only_plain_settings_are_checked_alone() -> None:
    with pytest.raises(ValueError, match="replay"):
        register_refusal("G.P", {"name": "P", "UUID": _UUID, "replay": {}})


def test_plain_registers_of_groups_are_split_off_and_the_rest_kept_whole() -> None:
    plain = {"name": "P", "UUID": _UUID, "defaultValue": ["bool", True]}
    listed = {**plain, "name": "L", "attributeList": [["value", 11, "readWrite", "bool"]]}
    device = {
        "name": "D",
        "UUID": "00000000-0000-0000-0000-000000000003",
        "children": [{REGISTER_TYPE: {**plain, "name": "Q"}}],
    }
    group = {
        "name": "G",
        "UUID": "00000000-0000-0000-0000-000000000001",
        "children": [
            {REGISTER_TYPE: plain},
            {REGISTER_TYPE: listed},
            {"@Skill.SignalGenerator.Sampler": device},
        ],
    }
    model = {"children": [{"@Group": group}, {REGISTER_TYPE: {**plain, "name": "Top"}}]}
    rest, registers = split_plain_registers(model)
    assert [key for key, _ in registers] == ["Top", "G.P"]
    kept = rest["children"][0]["@Group"]["children"]
    assert [next(iter(item.values()))["name"] for item in kept] == ["L", "D"]  # a device's stay
    assert len(rest["children"]) == 1
    assert len(group["children"]) == 3  # the model itself is not changed


def test_deep_trees_are_split_without_recursion() -> None:
    depth = 3000
    top: dict[str, Any] = {"children": []}
    children = top["children"]
    for level in range(depth):
        body = {
            "name": f"G{level}",
            "UUID": str(uuid.UUID(int=2 * level + 1)),
            "children": [
                {
                    REGISTER_TYPE: {
                        "name": "P",
                        "UUID": str(uuid.UUID(int=2 * level + 2)),
                        "defaultValue": ["int32", level],
                    }
                }
            ],
        }
        children.append({"@Group": body})
        children = body["children"]
    rest, registers = split_plain_registers(top)
    assert len(registers) == depth
    assert registers[-1][0] == ".".join(f"G{n}" for n in range(depth)) + ".P"
    assert len(load_model(rest)) == depth


def test_a_name_the_loader_would_refuse_is_left_out_and_the_twin_loads() -> None:
    # "[Speed" passes refuse_unfit (no NUL, no empty part) but no model name is so.
    group = info("G", 1, Category.ELEMENT_GROUP)
    good, odd = info("G.Speed", 2), info("G.[Speed", 3)
    listed = info("G.[Listed", 4)  # not plain: checked by loading
    twin = TwinBuilder([group, good, odd, listed])
    refuse_unfit(twin, None)
    for element in (good, odd):
        twin.add_metadata(element, metadata(DataType.FLOAT32))
        twin.add_value(element, Success(2, {11: wrap(1.5)}))
    only_value = Success(1, {2: [{0: "value", 1: 11, 2: 0, 3: 9}]})  # read only float32
    twin.add_metadata(listed, only_value)
    twin.add_value(listed, Success(2, {11: wrap(2.5)}))
    model = twin_model(twin)
    assert set(twin.skipped) == {"G.[Speed", "G.[Listed"}
    assert all("no name of a model file" in why for why in twin.skipped.values())
    loaded = load_model(model)
    assert sorted(loaded.by_key) == ["G", "G.Speed"]


def test_a_mismatched_value_is_still_left_out() -> None:
    group = info("G", 1, Category.ELEMENT_GROUP)
    small, fine = info("G.Small", 2), info("G.Fine", 3)
    twin = TwinBuilder([group, small, fine])
    for element, number in ((small, 1000), (fine, 100)):
        twin.add_metadata(element, metadata(DataType.INT8))
        twin.add_value(element, Success(2, {11: wrap(number)}))
    loaded = load_model(twin_model(twin))
    assert "does not match its metadata" in twin.skipped["G.Small"]
    assert sorted(loaded.by_key) == ["G", "G.Fine"]


def test_a_nil_uuid_is_left_out_before_the_check() -> None:
    twin = TwinBuilder([info("G", 1, Category.ELEMENT_GROUP), info("G.Nil", 0)])
    refuse_unfit(twin, None)
    assert "nil UUID" in twin.skipped["G.Nil"]


# ----------------------------------------------------------------- the pipeline's batches


def test_a_batch_takes_each_answer_in_its_place_and_fails_with_its_taker() -> None:
    async def scenario() -> None:
        backend = AsyncioBackend()
        taken: list[tuple[int, Any]] = []
        waiter = backend.create_waiter()
        batch = _Batch(waiter, 2, lambda index, packet: taken.append((index, packet.result)))
        batch.places = {10: 0, 11: 1}
        batch.set_result(Success(11, "b"))
        batch.set_result(Success(99, "stray"))  # not of this message: ignored
        assert not waiter.done()
        batch.set_result(Success(10, "a"))
        assert taken == [(1, "b"), (0, "a")]
        assert await waiter.wait(1.0) == [None, None]

        def broken(index: int, packet: Any) -> None:
            raise ValueError("a broken answer")

        failing = backend.create_waiter()
        batch = _Batch(failing, 1, broken)
        batch.places = {12: 0}
        batch.set_result(Success(12, "x"))  # raises nowhere but in the waiter
        with pytest.raises(ValueError, match="a broken answer"):
            await failing.wait(1.0)

    asyncio.run(scenario())


def test_proven_registers_are_checked_once_per_kind_until_one_surprises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A register whose value passed the loader's value check is not checked again,
    but for one of each data type and access; if that one is refused all are."""
    import xentara_sync.simulator.model as loader

    group = info("G", 1, Category.ELEMENT_GROUP)
    points = [info(f"G.P{n}", n + 2) for n in range(4)]
    twin = TwinBuilder([group, *points])
    for number, element in enumerate(points):
        twin.add_metadata(element, metadata(DataType.INT16))
        twin.add_value(element, Success(2, {11: wrap(number)}))
    checked: list[str] = []
    refusal = loader.register_refusal

    def counting(key: str, settings: Any) -> Any:
        checked.append(key)
        return refusal(key, settings)

    monkeypatch.setattr(loader, "register_refusal", counting)
    twin_model(twin)
    assert checked == ["G.P0"] and twin.proven == {e.key for e in points}

    def surprising(key: str, settings: Any) -> Any:
        checked.append(key)
        return ModelError(f"{key}: surprise") if key in ("G.P0", "G.P2") else None

    checked.clear()
    monkeypatch.setattr(loader, "register_refusal", surprising)
    loaded = load_model(twin_model(twin))
    assert set(twin.skipped) == {"G.P0", "G.P2"}
    assert sorted(loaded.by_key) == ["G", "G.P1", "G.P3"]
    assert checked[:4] == ["G.P0", "G.P1", "G.P2", "G.P3"]
