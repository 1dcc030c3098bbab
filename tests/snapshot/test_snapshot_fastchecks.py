"""The checks of a big twin told at once where they can be: the unfit elements of a
tree (none, usually), the value checks shared by equal values, and the more reads
asked for only when some element has such attributes."""

from __future__ import annotations

import uuid

import pytest

from xentara_sync.protocol import Access, Category, DataType, Success, wrap
from xentara_sync.protocol.index import ElementInfo
from xentara_sync.snapshot import checks
from xentara_sync.snapshot.checks import refuse_mismatched_values, refuse_unfit
from xentara_sync.snapshot.lists import register_list
from xentara_sync.snapshot.twin import TwinBuilder

GROUP = Category.ELEMENT_GROUP


def info(key: str, number: int, category: Category = Category.DATA_POINT) -> ElementInfo:
    return ElementInfo(key, uuid.UUID(int=number), category)


TREES = {
    "fit": [info("A", 1, GROUP), info("A.B", 2), info("A.C", 3)],
    "nul": [info("A", 1, GROUP), info("A.B\x00", 2)],
    "empty first": [info("", 1, GROUP), info("A", 2)],
    "empty name": [info("A", 1, GROUP), info("A..B", 2)],
    "leading dot": [info(".A", 1, GROUP), info("B", 2)],
    "trailing dot": [info("A", 1, GROUP), info("A.", 2)],
    "line break": [info("A", 1, GROUP), info("A.B\nC", 2), info("A.D", 3)],
    "twice": [info("A", 1, GROUP), info("A.B", 2), info("A.B", 3)],
    "same uuid": [info("A", 1, GROUP), info("A.B", 2), info("A.C", 2)],
    "nil uuid": [info("A", 1, GROUP), info("A.B", 0)],
    "outside": [info("A", 1, GROUP), info("A.B", 2), info("Z", 3)],
}


@pytest.mark.parametrize("root", [None, "A"])
@pytest.mark.parametrize("tree", list(TREES))
def test_the_tree_at_once_leaves_out_what_each_element_alone_does(
    tree: str, root: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = TwinBuilder(TREES[tree])
    refuse_unfit(fast, root)
    slow = TwinBuilder(TREES[tree])
    monkeypatch.setattr(checks, "_all_fit", lambda twin, root: False)
    refuse_unfit(slow, root)
    assert fast.skipped == slow.skipped
    fit = ("fit", "line break") if root else ("fit", "line break", "outside")
    assert bool(fast.skipped) == (tree not in fit)  # a line break: the name's own check


def test_a_fit_tree_is_told_at_once() -> None:
    assert checks._all_fit(TwinBuilder(TREES["fit"]), None)
    assert checks._all_fit(TwinBuilder(TREES["fit"]), "A")
    assert not checks._all_fit(TwinBuilder(TREES["fit"]), "A.B")


def metadata(data_type: DataType, access: Access = Access.READ_WRITE) -> Success:
    entries = register_list(data_type, access)
    return Success(1, {2: [{0: n, 1: i, 2: a, 3: t} for n, i, a, t in entries]})


def twin_of(values: list[tuple[DataType, object]]) -> TwinBuilder:
    elements = [info("G", 1, GROUP)] + [info(f"G.P{n}", 2 + n) for n in range(len(values))]
    twin = TwinBuilder(elements)
    for element, (data_type, value) in zip(elements[1:], values, strict=True):
        twin.add_metadata(element, metadata(data_type))
        twin.add_value(element, Success(2, {11: wrap(value)}))
    return twin


def test_equal_values_are_each_checked_as_their_type_wants() -> None:
    twin = twin_of(
        [
            (DataType.INT16, 300),
            (DataType.UINT8, 300),  # the same value, out of range for this type
            (DataType.UINT8, 300),  # and again: the remembered check still refuses it
            (DataType.BOOLEAN, True),
            (DataType.BOOLEAN, 1),  # equal to True, but no bool
            (DataType.INT16, True),  # equal to 1, a bool for an integer type
            (DataType.FLOAT64, 1.5),
            (DataType.FLOAT64, float("inf")),
            (DataType.FLOAT64, 1.5),
        ]
    )
    refuse_mismatched_values(twin)
    refused = {"G.P1", "G.P2", "G.P4", "G.P5"}
    assert set(twin.skipped) == refused
    for key in refused:
        assert twin.skipped[key].startswith("its value does not match its metadata")
    # Proven: what the loader takes as written; not the infinite float (written as text).
    assert twin.proven == {"G.P0", "G.P3", "G.P6", "G.P8"}


def test_more_reads_only_where_an_element_has_more() -> None:
    group, point = info("G", 1, GROUP), info("G.P", 2)
    twin = TwinBuilder([group, point])
    base = Success(1, {2: [{0: "key", 1: 0, 2: 0, 3: 11}, {0: "name", 1: 1, 2: 0, 3: 11}]})
    twin.add_metadata(group, base)
    twin.add_metadata(point, metadata(DataType.INT32))
    assert twin.more_reads() == []
    # A register's list on a group: its value and times are no group's attributes.
    other = TwinBuilder([group, point])
    other.add_metadata(group, metadata(DataType.INT32))
    other.add_metadata(point, metadata(DataType.INT32))
    [(element, keys)] = other.more_reads()
    assert element == group and 11 in keys


@pytest.mark.parametrize(
    ("read", "copied"),
    [
        ({3: "register", 9: 0}, None),  # the twin's own: nothing to copy
        ({3: "register", 9: False}, None),  # equal to 0, as before
        ({3: "register", 9: 2}, {"quality": 2}),
        ({3: "sensor", 9: 0}, {"type": "sensor"}),
        ({9: 1}, {"quality": 1}),  # no type read
        ({}, None),
    ],
)
def test_a_register_keeps_the_type_and_quality_its_twin_lacks(
    read: dict[int, object], copied: dict[str, object] | None
) -> None:
    group, point = info("G", 1, GROUP), info("G.P", 2)
    twin = TwinBuilder([group, point])
    twin.add_metadata(point, metadata(DataType.INT32))
    answer = {11: wrap(7), **{key: wrap(value) for key, value in read.items()}}
    twin.add_value(point, Success(2, answer))
    [register] = twin.model()["children"][0]["@Group"]["children"]
    body = register["@Skill.SignalFlow.Register"]
    assert body["defaultValue"] == ["int32", 7]
    assert body.get("attributeValues") == copied
