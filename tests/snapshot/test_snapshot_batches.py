"""What a snapshot takes a chunk at a time (alike ``meta_data`` results, the first
reads it asks for) and the register lines the model walk makes at once: each the
same as the careful path, one element at a time."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.snapshot.test_snapshot_text import both, twin_of
from xentara_sync.protocol import Access, Category, DataType, Success
from xentara_sync.protocol.index import ElementInfo
from xentara_sync.snapshot import plans
from xentara_sync.snapshot.lists import register_list
from xentara_sync.snapshot.twin import OTHER_READ, POINT_READ, TwinBuilder


def _listed(data_type: DataType, access: Access, extra: bool) -> dict[int, Any]:
    entries = [{0: n, 1: i, 2: a, 3: t} for n, i, a, t in register_list(data_type, access)]
    if extra:
        entries.append({0: "units", 1: 23, 2: 0, 3: 24})
    return {2: entries}


#: ``meta_data`` results: registers' lists, an extra attribute, a group's, no list,
#: no value attribute.
RESULTS: list[Any] = [
    _listed(DataType.FLOAT32, Access.READ_ONLY, False),
    _listed(DataType.INT16, Access.READ_WRITE, False),
    _listed(DataType.STRING, Access.WRITE_ONLY, True),
    {2: [{0: "key", 1: 0, 2: 0, 3: 12}, {0: "name", 1: 1, 2: 0, 3: 12}]},
    {1: 2},
    {2: []},
    "not a map",
]
CATEGORIES = [Category.DATA_POINT, Category.ELEMENT_GROUP, Category.DEVICE, 2, 99]


def _state(twin: TwinBuilder) -> Any:
    return (
        {number: listed.entries for number, listed in twin._lists.items()},
        twin._types,
        sorted(listed.entries for listed in twin._other_lists.values()),
        twin.skipped,
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(range(len(RESULTS))), max_size=5),
    st.lists(
        st.tuples(st.sampled_from(range(len(RESULTS))), st.sampled_from(CATEGORIES)),
        min_size=1,
        max_size=30,
    ),
)
def test_results_taken_a_chunk_at_a_time_as_one_by_one(
    met: list[int], chunk: list[tuple[int, Any]]
) -> None:
    # Results met before (as the decoder's path meets them), then a chunk of results
    # (the same objects, as the scan hands them over), met or not.
    elements = [
        ElementInfo(f"E{n}", uuid.UUID(int=n + 1), category)
        for n, (_, category) in enumerate(chunk)
    ]
    before = [ElementInfo(f"B{n}", uuid.UUID(int=1000 + n), 2) for n in range(len(met))]
    results = [RESULTS[index] for index, _ in chunk]
    twins = TwinBuilder(before + elements), TwinBuilder(before + elements)
    for twin in twins:
        for element, index in zip(before, met, strict=True):
            twin.add_metadata(element, Success(1, RESULTS[index]))
    batched, reference = twins
    batched.add_results(elements, results)
    for element, result in zip(elements, results, strict=True):
        reference.add_metadata(element, Success(2, result))
    assert _state(batched) == _state(reference)


def test_a_chunk_asks_each_element_what_one_by_one_asks() -> None:
    usual = [
        ElementInfo(f"E{n}", uuid.UUID(int=n + 1), category)
        for n, category in enumerate([*CATEGORIES, 2.0])
    ]
    odd = [*usual, usual[0]._replace(category=[2])]  # no number: compared one by one
    for elements in (usual, odd):
        twin = TwinBuilder(elements)
        read = plans.plan_chunk(twin, elements)[1].requests
        asked = [read[n][1][1] for n in range(len(elements))]
        assert asked == list(map(twin.first_read, elements))
        assert asked[:2] == [POINT_READ, OTHER_READ]


#: Register kinds: data type, access, and values of it (and some of another type).
KINDS = [
    (DataType.BOOLEAN, st.one_of(st.booleans(), st.integers(0, 1))),
    (DataType.INT16, st.one_of(st.integers(-(2**15), 2**15 - 1), st.integers(2**15, 2**16))),
    (DataType.UINT64, st.integers(0, 2**64 - 1)),
    (DataType.FLOAT64, st.floats(allow_nan=True, allow_infinity=True)),
    (DataType.FLOAT32, st.floats(width=32)),
    (DataType.STRING, st.one_of(st.text(max_size=8), st.integers(0, 3))),
]
ACCESSES = [Access.READ_WRITE, Access.READ_ONLY, Access.WRITE_ONLY]
NAMES = st.sampled_from(["P", "Q r", "Ü", '"q"', "[x", "P.C", "a\\b", "ok"])


@st.composite
def registers(draw: Any) -> list[tuple[Any, ...]]:
    points = []
    for n in range(draw(st.integers(1, 25))):
        data_type, values = draw(st.sampled_from(KINDS))
        name = f"{draw(NAMES)}{n}" if draw(st.booleans()) else f"N{n}"
        points.append((name, data_type, draw(values), draw(st.sampled_from(ACCESSES))))
    return points


@settings(max_examples=150, deadline=None)
@given(registers(), st.data())
def test_register_lines_made_at_once_are_the_careful_text(
    points: list[tuple[Any, ...]], data: Any
) -> None:
    twin = twin_of(points)
    # Some registers with more to write: a replay, another attribute's value.
    for element in twin.elements[1:]:
        extra = data.draw(st.sampled_from(["", "", "replay", "read"]))
        if extra == "replay":
            twin.add_recording(element, [(0.0, 1), (0.5, 2)], 1.0)
        elif extra == "read":
            twin._read[element.uuid.int] = {9: 2}  # quality not good
    both(twin)
