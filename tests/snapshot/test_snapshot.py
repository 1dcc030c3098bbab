"""Snapshots: a twin of a running simulator, served by another simulator.

Real simulators on 127.0.0.1, real sockets: the original serves the demo model or
``signal-sampler.json``, the twin serves the snapshot's file.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA
from tests.core.conftest import with_credentials
from tests.flavours import FLAVOURS, Flavour
from xentara_sync import InvalidArgument, ReadOnly, UnknownElement, WriteOnly, XentaraClient
from xentara_sync.protocol import Access, Category, DataType, ErrorCode, Opcode, TimePoint
from xentara_sync.simulator import Simulator, engine, generated_model, load_model
from xentara_sync.simulator.engine import Session
from xentara_sync.simulator.params import Fail
from xentara_sync.simulator.users import User
from xentara_sync.snapshot import SnapshotResult, SnapshotWarning

MODELS = {
    "demo": None,
    "signal-sampler": DATA / "signal-sampler.json",
    "value-types": DATA / "value-types.json",  # all fourteen types, io objects
}


@pytest.fixture(params=list(MODELS), ids=list(MODELS))
def original(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    """A simulator of its own (snapshots must not see other tests' writes)."""
    with Simulator(MODELS[request.param]) as sim:
        yield sim


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


def uid() -> str:
    return str(uuid.uuid4())


def snapshot(url: str, path: Path, **kwargs: Any) -> SnapshotResult:
    with XentaraClient(url, None) as client:
        return client.snapshot(path, **kwargs)


def describe(url: str) -> dict[str, tuple[Any, ...]]:
    """Every element as the client sees it: UUID, category, and for data points
    the value's data type, access and (if readable) value."""
    found: dict[str, tuple[Any, ...]] = {}
    with XentaraClient(url, None) as client:
        for element in client.elements():
            row: tuple[Any, ...] = (element.uuid, element.category)
            if element.category == Category.DATA_POINT:
                value = client.metadata(element.key).attribute("value")
                assert value is not None
                row += (value.data_type, value.access)
                if value.access.readable:
                    row += (type(client.read(element.key)),)
            found[element.key] = row
    return found


# --------------------------------------------------------------------------- the twin


def test_the_twin_has_the_same_keys_uuids_types_and_access(
    original: Simulator, tmp_path: Path
) -> None:
    path = tmp_path / "twin.json"
    result = snapshot(original.url, path)
    assert result.path == str(path)
    assert result.skipped == {}
    with Simulator(path) as twin:
        assert describe(twin.url) == describe(original.url)
    assert result.elements == len(original.model.elements)


def test_a_snapshot_of_the_twin_equals_the_first(original: Simulator, tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    snapshot(original.url, first)
    with Simulator(first) as twin:
        snapshot(twin.url, second)
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")


def test_registers_keep_their_values(tmp_path: Path) -> None:
    path = tmp_path / "twin.json"
    with Simulator() as original, XentaraClient(original.url, None) as client:
        client.write("Hardware.Registers.Setpoint", 42.25)
        client.write("Hardware.Registers.Label", "bench 7 ünïcode")
        client.write("Plant.Mode", -3)
        client.snapshot(path)
        wanted = client.read_many(["Hardware.Registers.Setpoint", "Plant.Mode"])
    with Simulator(path) as twin, XentaraClient(twin.url, None) as copy:
        assert copy.read_many(["Hardware.Registers.Setpoint", "Plant.Mode"]) == wanted
        assert copy.read("Hardware.Registers.Label") == "bench 7 ünïcode"


def test_every_value_type_keeps_its_value(tmp_path: Path) -> None:
    path = tmp_path / "twin.json"
    with (
        Simulator(DATA / "value-types.json") as original,
        XentaraClient(original.url, None) as client,
    ):
        readable = []
        for element in client.elements(Category.DATA_POINT):
            value = client.metadata(element.key).attribute("value")
            if value is not None and value.access.readable:
                readable.append(element.key)
        wanted = client.read_many(readable)
        client.snapshot(path)
    types = {type(value) for value in wanted.values()}
    assert {bool, int, float, str, uuid.UUID, TimePoint}.issubset(types), types
    with Simulator(path) as twin, XentaraClient(twin.url, None) as copy:
        assert copy.read_many(readable) == wanted


def test_each_signal_holds_the_value_read(tmp_path: Path) -> None:
    path = tmp_path / "twin.json"
    with Simulator() as original, XentaraClient(original.url, None) as client:
        client.snapshot(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    with Simulator(path) as twin, XentaraClient(twin.url, None) as copy:
        body = _find(document, "Triangle")
        assert body["defaultValue"][0] == "float32"
        assert copy.read("Hardware.Signals.Triangle") == body["defaultValue"][1]


def _find(document: dict[str, Any], name: str) -> dict[str, Any]:
    pending = list(document["children"])
    while pending:
        ((_, body),) = pending.pop(0).items()
        if body["name"] == name:
            return body  # type: ignore[no-any-return]
        pending.extend(body.get("children", []))
    raise AssertionError(name)


def script(client: XentaraClient) -> list[Any]:
    """A test script written against the demo bench."""
    seen: list[Any] = []
    client.write("Hardware.Registers.Counter", 7)
    seen.append(client.read("Hardware.Registers.Counter"))
    client["Hardware.EtherCAT Bus.EL2624.Output 2"] = True
    seen.append(client.read("Hardware.EtherCAT Bus.EL2624.Output 2"))
    with pytest.raises(ReadOnly):
        client.write("Hardware.EtherCAT Bus.EL1004.Input 1", True)
    with pytest.raises(WriteOnly):
        client.read("Hardware.Registers.Command")
    client.write("Hardware.Registers.Command", 5)
    seen.append(type(client.read("Hardware.Fast Signals.Sine")))
    seen.append(client.metadata("Hardware.Signals.Saw-Tooth").attribute("value").data_type)  # type: ignore[union-attr]
    seen.append(client.element_info("Sampling").category)
    with pytest.raises(UnknownElement):
        client.read("Hardware.Registers.Nope")
    return seen


def test_a_script_written_against_the_bench_passes_against_the_twin(tmp_path: Path) -> None:
    path = tmp_path / "twin.json"
    with Simulator() as original:
        snapshot(original.url, path)
        with XentaraClient(original.url, None) as client:
            on_the_bench = script(client)
    with Simulator(path) as twin, XentaraClient(twin.url, None) as copy:
        assert script(copy) == on_the_bench
    assert on_the_bench == [7, True, float, DataType.INT32, Category.EXECUTION_TRACK]


def test_a_root_keeps_its_ancestors_so_that_keys_stay_the_same(tmp_path: Path) -> None:
    path = tmp_path / "bus.json"
    with Simulator() as original:
        result = snapshot(original.url, path, root="Hardware.EtherCAT Bus")
        bus = original.model.by_key["Hardware.EtherCAT Bus"]
    model = load_model(path)
    assert [e.key for e in model.elements][:3] == [
        "Hardware",
        "Hardware.EtherCAT Bus",
        "Hardware.EtherCAT Bus.EL2624",
    ]
    assert model.by_key["Hardware.EtherCAT Bus"].uuid == bus.uuid
    assert len(model.elements) == 2 + len(bus.descendants()) == result.elements
    assert "Plant" not in model.by_key


def test_an_unknown_root_raises(simulator: Simulator, tmp_path: Path) -> None:
    with pytest.raises(UnknownElement, match=r"Hardware\.Nowhere"):
        snapshot(simulator.url, tmp_path / "x.json", root="Hardware.Nowhere")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"record": 0}, InvalidArgument, "positive number of seconds"),
        ({"record": True}, InvalidArgument, "positive number of seconds"),
        ({"root": 7}, TypeError, "primary key"),
    ],
)
def test_bad_arguments_raise_before_anything_is_sent(
    simulator: Simulator, tmp_path: Path, kwargs: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        snapshot(simulator.url, tmp_path / "x.json", **kwargs)


def test_an_unknown_root_suggests_keys_like_every_lookup(
    simulator: Simulator, tmp_path: Path
) -> None:
    with pytest.raises(UnknownElement, match=r"did you mean 'Hardware\.Registers'"):
        snapshot(simulator.url, tmp_path / "x.json", root="Hardware.Registres")


def test_an_empty_root_is_the_whole_model_as_on_the_command_line(
    simulator: Simulator, tmp_path: Path
) -> None:
    result = snapshot(simulator.url, tmp_path / "x.json", root="")
    assert result.elements == len(simulator.model.elements)


def test_a_directory_is_refused_before_anything_is_read(
    simulator: Simulator, tmp_path: Path
) -> None:
    with pytest.raises(InvalidArgument, match=r"cannot write .*: it is a directory$"):
        snapshot(simulator.url, tmp_path)
    assert list(tmp_path.iterdir()) == []  # and no temporary file left behind


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_a_new_file_gets_the_usual_mode_and_an_existing_one_keeps_its_own(
    simulator: Simulator, tmp_path: Path
) -> None:
    umask = os.umask(0o022)
    try:
        new = tmp_path / "new.json"
        snapshot(simulator.url, new, root="Plant")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        existing = tmp_path / "existing.json"
        existing.write_text("{}", encoding="utf-8")
        existing.chmod(0o664)
        snapshot(simulator.url, existing, root="Plant")
        assert stat.S_IMODE(existing.stat().st_mode) == 0o664
        assert load_model(existing).by_key["Plant"]
    finally:
        os.umask(umask)


def test_an_existing_file_keeps_its_mode_on_every_platform(
    simulator: Simulator, tmp_path: Path
) -> None:
    existing = tmp_path / "existing.json"
    existing.write_text("{}", encoding="utf-8")
    before = stat.S_IMODE(existing.stat().st_mode)
    snapshot(simulator.url, existing, root="Plant")
    assert stat.S_IMODE(existing.stat().st_mode) == before


def test_a_missing_directory_raises_before_anything_is_read(
    simulator: Simulator, tmp_path: Path
) -> None:
    with pytest.raises(InvalidArgument, match="no directory"):
        snapshot(simulator.url, tmp_path / "nowhere" / "x.json")


def test_the_file_holds_no_credentials(tmp_path: Path) -> None:
    path = tmp_path / "twin.json"
    with Simulator(users={"inspector": "pa55:word@x"}) as original:
        url = with_credentials(original.url, "inspector", "pa55:word@x")
        snapshot(url, path)
    text = path.read_text(encoding="utf-8")
    assert "pa55" not in text and "inspector" not in text and "127.0.0.1" not in text
    assert load_model(path).by_key["Hardware.Registers.Counter"]


def test_the_file_is_replaced_atomically(simulator: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "twin.json"
    path.write_text("old", encoding="utf-8")
    snapshot(simulator.url, path, root="Plant")
    assert json.loads(path.read_text(encoding="utf-8"))["children"][0]["@Group"]["name"] == "Plant"
    assert [p.name for p in tmp_path.iterdir()] == ["twin.json"]


def test_progress_counts_elements_on_the_dispatcher_thread_before_returning(
    simulator: Simulator, tmp_path: Path
) -> None:
    import threading

    calls: list[tuple[int, int, str]] = []

    def progress(count: int, total: int) -> None:
        calls.append((count, total, threading.current_thread().name))

    snapshot(simulator.url, tmp_path / "twin.json", progress=progress)
    total = len(simulator.model.elements)
    assert calls[0][:2] == (0, total) and calls[-1][:2] == (total, total)
    assert all(name == "xentara-sync-callbacks" for *_, name in calls)


# --------------------------------------------------------------------------- refusals


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """A simulator that refuses the metadata of one data point and reads of another
    (the read fast path off, so that every read goes through ``Session.read``)."""
    with Simulator() as sim:
        model = sim.model
        no_metadata = model.by_key["Hardware.Registers.Label"].uuid
        no_read = model.by_key["Hardware.Signals.Sine"].uuid
        meta_data, read = Session.meta_data, Session.read

        def refuse_meta_data(self: Session, params: Any) -> Any:
            if params.get(0) == no_metadata:
                raise Fail(ErrorCode.ACCESS_DENIED, "access denied: not for you")
            return meta_data(self, params)

        def refuse_read(self: Session, params: Any) -> Any:
            if params.get(0) == no_read:
                raise Fail(ErrorCode.READ_ERROR, "read error: sensor unplugged")
            return read(self, params)

        monkeypatch.setattr(Session, "fast_reads", False)
        monkeypatch.setitem(engine._HANDLERS, Opcode.META_DATA, refuse_meta_data)
        monkeypatch.setitem(engine._HANDLERS, Opcode.READ, refuse_read)
        yield sim


def test_refused_elements_are_left_out_with_a_warning_naming_them(
    refusing: Simulator, tmp_path: Path
) -> None:
    path = tmp_path / "twin.json"
    with pytest.warns(SnapshotWarning) as caught:
        result = snapshot(refusing.url, path)
    messages = sorted(str(w.message) for w in caught)
    assert messages == [
        "snapshot: 'Hardware.Registers.Label' left out: meta_data refused: "
        "access denied: not for you (-32102)",
        "snapshot: 'Hardware.Signals.Sine' left out: read refused: "
        "read error: sensor unplugged (-32108)",
    ]
    assert set(result.skipped) == {"Hardware.Registers.Label", "Hardware.Signals.Sine"}
    model = load_model(path)
    assert "Hardware.Registers.Label" not in model.by_key
    assert "Hardware.Signals.Sine" not in model.by_key
    assert "Hardware.Registers.Counter" in model.by_key
    assert result.elements == len(model.elements) == len(refusing.model.elements) - 2


def test_no_readable_data_point_is_one_more_warning(tmp_path: Path) -> None:
    path = tmp_path / "twin.json"
    with Simulator(users=[User("viewer", "pw-viewer", read=False)]) as sim:
        url = with_credentials(sim.url, "viewer", "pw-viewer")
        with pytest.warns(SnapshotWarning) as caught:
            result = snapshot(url, path, root="Plant")
    assert (result.elements, result.data_points, len(result.skipped)) == (1, 0, 4)
    assert str(caught[-1].message) == (
        "snapshot: no data point could be read (4 elements left out): the twin holds no "
        "values; does the user have the read right?"
    )
    assert len(caught) == 5


# --------------------------------------------------------------------------- recording


def test_recording_a_snapshot_leaves_the_users_subscription_alone(tmp_path: Path) -> None:
    counter = "Hardware.Registers.Counter"
    with (
        Simulator() as original,
        XentaraClient(original.url, timeout=10) as client,
        client.subscribe(counter, None, None) as mine,
    ):
        first = mine.receive()  # its own initial event
        result = client.snapshot(tmp_path / "twin.json", "Hardware.Registers", record=0.5)
        client.write(counter, first.value + 1)
        later = mine.receive()
        # The snapshot's subscription did not hand its initial event to mine.
        assert later.value == first.value + 1, (first, later)
        with pytest.raises(TimeoutError):
            mine.receive(timeout=0.3)
    assert result.elements > 0


def test_the_twin_replays_what_was_recorded(tmp_path: Path) -> None:
    path = tmp_path / "moving.json"
    with Simulator() as original:
        result = snapshot(original.url, path, root="Hardware.Signals", record=1.5)
    assert result.recorded >= 1
    body = _find(json.loads(path.read_text(encoding="utf-8")), "Pulse")
    recorded = {value for _, value in body["replay"]["values"]}
    assert recorded == {True, False}
    assert body["replay"]["period"] == "1.5s"
    with Simulator(path) as twin, XentaraClient(twin.url, None) as copy:
        seen = set()
        with copy.subscribe("Hardware.Signals.Pulse", None, None) as events:
            for event in events:
                seen.add(event.value)
                if len(seen) == 2:
                    break
    assert seen == recorded


# --------------------------------------------------------------------------- flavours


def test_every_async_flavour_writes_the_same_twin(flavour: Flavour, tmp_path: Path) -> None:
    blocking, awaited = tmp_path / "blocking.json", tmp_path / "awaited.json"
    with Simulator(DATA / "signal-sampler.json") as original:
        snapshot(original.url, blocking, root="Semantic Sampler.Test Register")
        events: list[tuple[int, int]] = []

        async def main() -> SnapshotResult:
            async with flavour.XentaraClient(original.url, None) as client:
                return await client.snapshot(
                    awaited, "Semantic Sampler.Test Register", progress=_append(events)
                )

        result = flavour.run(main)
    assert result.elements == 2 and result.data_points == 1
    assert awaited.read_text(encoding="utf-8") == blocking.read_text(encoding="utf-8")
    assert events[-1] == (2, 2)


def _append(target: list[tuple[int, int]]) -> Callable[[int, int], None]:
    return lambda done, total: target.append((done, total))


def test_warnings_show_in_every_flavour(
    flavour: Flavour, refusing: Simulator, tmp_path: Path
) -> None:
    async def main() -> SnapshotResult:
        async with flavour.XentaraClient(refusing.url, None) as client:
            return await client.snapshot(tmp_path / "twin.json", "Hardware.Registers")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = flavour.run(main)
    assert list(result.skipped) == ["Hardware.Registers.Label"]
    assert [w.category for w in caught] == [SnapshotWarning]


def test_access_of_the_twin_is_enforced_by_the_simulator(tmp_path: Path) -> None:
    path = tmp_path / "twin.json"
    with Simulator() as original:
        snapshot(original.url, path, root="Hardware.EtherCAT Bus.EL1004")
    with Simulator(path) as twin, XentaraClient(twin.url, None) as copy:
        key = "Hardware.EtherCAT Bus.EL1004.Input 1"
        value = copy.metadata(key).attribute("value")
        assert value is not None and value.access is Access.READ_ONLY
        assert copy.metadata(key).attribute("sourceTime") is not None
        with pytest.raises(ReadOnly):
            copy.write(key, True)
    assert uuid.UUID(str(load_model(path).by_key[key].uuid))


def test_a_tree_of_many_messages_in_every_flavour(flavour: Flavour, tmp_path: Path) -> None:
    from xentara_sync.snapshot.plans import CHUNK

    path = tmp_path / "big.json"
    count = 2 * CHUNK + 500  # several messages of metadata and of reads, in flight together
    with Simulator(generated_model(count)) as original:

        async def main() -> SnapshotResult:
            async with flavour.XentaraClient(original.url, None) as client:
                return await client.snapshot(path)

        result = flavour.run(main)
        wanted = [(e.key, e.uuid, e.category) for e in original.model.elements]
    assert (result.elements, result.skipped) == (count, {})
    assert [(e.key, e.uuid, e.category) for e in load_model(path).elements] == wanted


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"not strict JSON: {name}")


def test_nan_and_infinities_are_strict_json_and_come_back(tmp_path: Path) -> None:
    model = {
        "children": [
            {
                "@Group": {
                    "name": "P",
                    "UUID": uid(),
                    "children": [
                        {
                            "@Skill.SignalFlow.Register": {
                                "name": n,
                                "UUID": uid(),
                                "defaultValue": [t, 0.0],
                            }
                        }
                        for n, t in [("A", "float64"), ("B", "float32"), ("C", "float64")]
                    ],
                }
            }
        ]
    }
    path = tmp_path / "twin.json"
    with Simulator(model) as original:
        with XentaraClient(original.url, None) as client:
            client.write("P.A", float("nan"))
            client.write("P.B", float("inf"))
            client.write("P.C", float("-inf"))
        snapshot(original.url, path, record=0.05)
    text = path.read_text(encoding="utf-8")
    json.loads(text, parse_constant=_refuse_constant)
    assert '["float64", "nan"]' in text and '["float32", "inf"]' in text
    with Simulator(path) as twin, XentaraClient(twin.url, None) as client:
        a, b, c = client.read("P.A"), client.read("P.B"), client.read("P.C")
    assert a != a and (b, c) == (float("inf"), float("-inf"))


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "+Infinity", "NaN"])
def test_only_float_registers_take_nan_and_infinity_as_text(text: str) -> None:
    def register(data_type: str) -> dict[str, Any]:
        return {
            "children": [
                {
                    "@Skill.SignalFlow.Register": {
                        "name": "R",
                        "UUID": uid(),
                        "defaultValue": [data_type, text],
                    }
                }
            ]
        }

    for data_type in ("float32", "float64"):
        load_model(register(data_type))
    for data_type in ("int32", "uint8", "bool"):
        expected = re.escape(f"R: invalid default value '{text}' for {data_type}")
        with pytest.raises(ValueError, match=expected):
            load_model(register(data_type))
