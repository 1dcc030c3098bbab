"""A snapshot's answer messages read by byte patterns (snapshot.scans): the twin they
make is the one the decoder's path makes, byte for byte, and every message not in
the usual form takes that path."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from xentara_sync import XentaraClient
from xentara_sync.aio.backend import AsyncioBackend
from xentara_sync.core.pipeline import _Batch
from xentara_sync.protocol import (
    Category,
    Failure,
    Success,
    TimePoint,
    encode_message,
    wrap,
)
from xentara_sync.protocol.bulk import answers
from xentara_sync.protocol.index import ElementInfo
from xentara_sync.protocol.messages import decode_message
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.models import generated_model
from xentara_sync.snapshot import plans, scans
from xentara_sync.snapshot.twin import TwinBuilder

POINTS = [
    ElementInfo(f"Plant.Point {n}", uuid.UUID(int=n + 1), Category.DATA_POINT) for n in range(40)
]
GROUP = ElementInfo("Plant", uuid.UUID(int=1000), Category.ELEMENT_GROUP)


def first_read(value: Any, kind: str = "register", quality: int = 0) -> dict[int, Any]:
    return {11: wrap(value), 3: wrap(kind), 9: wrap(quality)}


def by_decoder(elements: list[ElementInfo], data: bytes) -> TwinBuilder:
    """The twin of the first reads in *data*, taken one by one as the decoder's path
    takes them (the answers' message ids are the elements' places)."""
    twin = TwinBuilder(elements)
    for packet in decode_message(data):
        assert type(packet) is Success
        twin.add_value(elements[packet.message_id], packet)
    return twin


def by_scan(elements: list[ElementInfo], data: bytes) -> TwinBuilder | None:
    twin = TwinBuilder(elements)
    found = scans.scan_reads(twin, elements, data)
    if found is None:
        return None
    message_ids, apply = found
    assert apply(message_ids)  # the places are the message ids
    return twin


def state(twin: TwinBuilder) -> Any:
    # repr: NaN equals itself, and 1 is not True.
    return repr((twin._values, twin._read, twin.skipped))


values = st.one_of(
    st.integers(-(2**64), 2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(width=32),
    st.booleans(),
    st.none(),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.uuids(),
    st.integers(-(2**63), 2**63 - 1).map(TimePoint),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(values, min_size=1, max_size=len(POINTS)))
def test_scanned_first_reads_give_the_twin_the_decoder_gives(read: list[Any]) -> None:
    elements = POINTS[: len(read)]
    data = encode_message([Success(n, first_read(v)) for n, v in enumerate(read)])
    scanned = by_scan(elements, data)
    if scanned is not None:
        assert state(scanned) == state(by_decoder(elements, data))
    plain = all(
        type(v) in (bool, float) or (type(v) is int and abs(v) < 2**63) or v is None for v in read
    )
    assert scanned is not None or not plain  # the usual values: the fast path


def test_a_group_s_type_is_taken_as_the_decoder_takes_it() -> None:
    elements = [GROUP, POINTS[0], ElementInfo("Plant.Odd", uuid.UUID(int=99), Category.TIMER)]
    data = encode_message(
        [Success(0, {3: wrap("group")}), Success(1, first_read(2.5)), Success(2, {3: wrap("odd")})]
    )
    scanned = by_scan(elements, data)
    assert scanned is not None
    assert state(scanned) == state(by_decoder(elements, data))
    assert scanned._read == {99: {3: "odd"}}  # not the timer's own type name: kept


@pytest.mark.parametrize(
    "answers_",
    [
        [Success(0, first_read(1, kind="Register"))],  # another type name: kept by the twin
        [Success(0, first_read(1, quality=1))],  # another quality: kept by the twin
        [Success(0, first_read("x" * 24))],  # a long text
        [Success(0, first_read(1)), Failure(1, -32108, "no")],  # a failure
        [Success(0, {11: wrap(1), 9: wrap(0), 3: wrap("register")})],  # another order
        [Success(0, {11: wrap(1)})],  # the value alone
        [Success(0, {3: wrap("x" * 30)})],  # a long type name
    ],
    ids=["type", "quality", "long-text", "failure", "order", "value-alone", "long-type"],
)
def test_reads_not_in_the_usual_form_are_not_scanned(answers_: list[Any]) -> None:
    assert scans.scan_reads(TwinBuilder(POINTS), POINTS, encode_message(answers_)) is None


def test_broken_messages_are_not_scanned() -> None:
    data = encode_message([Success(0, first_read(1)), Success(1, first_read(2))])
    twin = TwinBuilder(POINTS)
    for broken in (data[:-1], data + b"\x00", b"\x83" + data[1:], b"", b"\x80", data[:1]):
        assert scans.scan_reads(twin, POINTS, broken) is None
    text = encode_message([Success(0, first_read("abc"))])
    not_utf8 = text.replace(b"abc", b"a\xffc")
    assert scans.scan_reads(twin, POINTS, not_utf8) is None


def test_an_answer_of_the_wrong_kind_for_its_element_is_not_taken() -> None:
    elements = [GROUP, POINTS[0]]
    data = encode_message([Success(0, first_read(1)), Success(1, {3: wrap("group")})])
    twin = TwinBuilder(elements)
    found = scans.scan_reads(twin, elements, data)
    assert found is not None
    assert found[1]([0, 1]) is False  # a data point's answer for the group: not taken
    assert not twin._values and not twin._read


def test_alike_metadata_answers_are_scanned_once_known() -> None:
    attributes = {2: [{0: "value", 1: 11, 2: 2, 3: 9}]}
    other = {2: [{0: "value", 1: 11, 2: 0, 3: 4}]}
    twin = TwinBuilder(POINTS[:3])
    scan = scans.metadata_scanner(twin)
    first = encode_message([Success(5, attributes), Success(6, other)])
    assert scan(POINTS[:2], first) is None  # nothing known yet: the decoder's path
    answers(first, alike=twin.alike_answers)  # as the decoder's path fills the cache
    data = encode_message([Success(8, other), Success(7, attributes), Success(9, attributes)])
    found = scan(POINTS[:3], data)
    assert found is not None
    assert found[0] == [8, 7, 9]
    assert found[1]([1, 0, 2])
    reference = TwinBuilder(POINTS[:3])
    for place, packet in zip([1, 0, 2], decode_message(data), strict=True):
        reference.add_metadata(POINTS[place], packet)  # type: ignore[arg-type]
    assert reference._types == twin._types
    assert {k: v.entries for k, v in reference._lists.items()} == {
        k: v.entries for k, v in twin._lists.items()
    }
    unknown = encode_message([Success(10, {2: []})])
    assert scan(POINTS[:1], unknown) is None
    assert scan(POINTS[:1], encode_message([Success(10, attributes), Failure(11, 1, "x")])) is None


def test_a_batch_takes_a_scanned_message_only_if_all_of_it_is_its_own() -> None:
    async def scenario() -> None:
        backend = AsyncioBackend()
        applied: list[list[int]] = []

        def batch_of(scan_ids: list[int], verdict: Any = True) -> tuple[_Batch, Any]:
            def apply(places: list[int]) -> bool:
                if isinstance(verdict, Exception):
                    raise verdict
                applied.append(places)
                return bool(verdict)

            waiter = backend.create_waiter()
            batch = _Batch(waiter, 3, lambda i, p: None, None, lambda data: (scan_ids, apply))
            batch.places = {10: 0, 11: 1, 12: 2}
            return batch, waiter

        message = encode_message([Success(12, 1)])
        batch, waiter = batch_of([12, 10])
        assert batch.take_message(message) == []
        assert applied == [[2, 0]] and batch.missing == 1 and not waiter.done()

        def take_last(places: list[int]) -> bool:
            applied.append(places)
            return True

        batch.scan = lambda data: ([11], take_last)
        assert batch.take_message(message) == []
        assert await waiter.wait(1.0) == [None, None, None]
        # A stray id, an id twice, an answer taken before, apply saying no: not taken.
        for ids in ([12, 99], [12, 12]):
            batch, waiter = batch_of(ids)
            assert batch._take_scanned(message) is False
        batch, waiter = batch_of([12])
        assert batch._take_scanned(message)
        assert batch._take_scanned(message) is False
        batch, waiter = batch_of([12], verdict=False)
        assert batch._take_scanned(message) is False and batch.missing == 3
        # Not scanned: the message is taken as before.
        batch, waiter = batch_of([])
        batch.scan = lambda data: None
        assert batch.take_message(encode_message([Success(12, 1), Success(99, 2)])) == [
            Success(99, 2)
        ]
        assert batch.missing == 2
        batch, waiter = batch_of([10], verdict=ValueError("broken"))
        assert batch.take_message(message) == []
        with pytest.raises(ValueError, match="broken"):
            await waiter.wait(1.0)

    asyncio.run(scenario())


def _snapshot(url: str, path: Path) -> bytes:
    with XentaraClient(url, None, timeout=60) as client:
        result = client.snapshot(path)
    assert not result.skipped
    return path.read_bytes()


@pytest.mark.parametrize(
    "model",
    [DATA / "value-types.json", "generated", "demo"],
    ids=["value-types", "generated", "demo"],
)
def test_a_twin_read_by_scans_is_the_decoders_byte_for_byte(
    model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if model == "generated":
        model = tmp_path / "generated.json"
        model.write_text(json.dumps(generated_model(3000)), encoding="utf-8")
    taken: list[int] = []
    scan_reads, metadata_scanner = scans.scan_reads, scans.metadata_scanner

    def counted_reads(*args: Any) -> Any:
        found = scan_reads(*args)
        taken.append(found is not None)
        return found

    def counted_metadata(twin: TwinBuilder) -> Any:
        scan = metadata_scanner(twin)

        def counted(*args: Any) -> Any:
            found = scan(*args)
            taken.append(found is not None)
            return found

        return counted

    with Simulator(None if model == "demo" else model) as sim:
        monkeypatch.setattr(plans, "scan_reads", counted_reads)
        monkeypatch.setattr(plans, "metadata_scanner", counted_metadata)
        scanned = _snapshot(sim.url, tmp_path / "scanned.json")
        monkeypatch.setattr(plans, "scan_reads", lambda *args: None)
        monkeypatch.setattr(plans, "metadata_scanner", lambda twin: lambda *args: None)
        decoded = _snapshot(sim.url, tmp_path / "decoded.json")
    if model == "demo":  # live signals: the same twin but for their values
        assert len(scanned.splitlines()) == len(decoded.splitlines())
    else:
        assert scanned == decoded
    if isinstance(model, Path) and model.name == "generated.json":
        # Its messages are in the usual form but the first of meta_data answers.
        assert taken.count(True) >= len(taken) - 2 > 0


@settings(max_examples=100, deadline=None)
@given(st.frozensets(st.binary(max_size=12), min_size=1, max_size=12), st.binary(max_size=12))
def test_the_pattern_of_known_results_matches_each_and_nothing_else(
    texts: frozenset[bytes], other: bytes
) -> None:
    import re

    pattern = re.compile(scans._alternatives(texts), re.DOTALL)
    assert all(pattern.fullmatch(text) for text in texts)
    assert (pattern.fullmatch(other) is not None) == (other in texts)
