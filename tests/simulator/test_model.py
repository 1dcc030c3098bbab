"""Model loading (real, demo, unknown types, generated) and the values it produces."""

from __future__ import annotations

import asyncio
import math
import struct
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from xentara_sync.protocol import (
    NIL_UUID,
    Category,
    DataChange,
    DataType,
    ErrorCode,
    Opcode,
    Request,
    TimePoint,
    decode_message,
    encode_message,
    unwrap,
)
from xentara_sync.simulator import (
    ModelError,
    Simulator,
    demo_model_path,
    generated_model,
    load_model,
)
from xentara_sync.simulator.datatypes import Rejected, coerce, convert, parse_data_type
from xentara_sync.simulator.engine import Engine, Session
from xentara_sync.simulator.model import Signal, parse_duration

from .conftest import with_client
from .rawclient import RawClient

# ----------------------------------------------------------------- the real sample model


def test_sample_model_loads_unchanged(sample_model: Path) -> None:
    model = load_model(sample_model)
    keys = [e.key for e in model.elements]
    assert keys[:3] == [
        "Semantic Sampler",
        "Semantic Sampler.Test Register",
        "Semantic Sampler.Pulse",
    ]
    assert len(model) == 19
    assert model.by_key["Sampler"].category is Category.DEVICE
    assert model.by_key["Sampler.Pulse"].category is Category.DATA_POINT
    assert model.by_key["Sampler Track"].category is Category.EXECUTION_TRACK
    assert model.by_key["Sampler Track.500ms Timer"].category is Category.TIMER
    assert model.by_key["Sampler Track.Pipeline"].category is Category.EXECUTION_PIPELINE
    assert model.by_key["Inspector"].category is Category.SPECIAL_PURPOSE
    register = model.by_key["Semantic Sampler.Test Register"]
    assert register.uuid == uuid.UUID("1f76606f-ebf4-4678-b345-86c15873a0d6")
    assert register.point is not None and register.point.data_type is DataType.INT64
    # data points take their values from the "io" source
    for name in ("Pulse", "Sine Wave", "Triangle", "Saw-Tooth", "Inverted Saw-Tooth", "Noise"):
        shown = model.by_key[f"Semantic Sampler.{name}"]
        source = model.by_key[f"Sampler.{name}"]
        assert shown.point is source.point
        assert isinstance(source.point, Signal)
        assert source.point.timer.period_ns == 500_000_000  # the pipeline's timer
    assert model.by_key["Sampler.Inverted Saw-Tooth"].point.data_type is DataType.UINT16  # type: ignore[union-attr]


def test_sample_model_served(sample_model: Path) -> None:
    with Simulator(sample_model) as sim:

        async def scenario(client: RawClient) -> None:
            tree = await client.call(Opcode.BROWSE, {0: NIL_UUID})
            assert [e[0] for e in tree] == [e.key for e in sim.model.elements]
            top = await client.call(Opcode.BROWSE, {0: NIL_UUID, 1: 1})
            assert [e[0] for e in top] == [
                "Semantic Sampler",
                "Sampler",
                "Sampler Track",
                "Inspector",
            ]
            register = await client.lookup("Semantic Sampler.Test Register")
            assert unwrap((await client.call(Opcode.READ, {0: register, 1: [11]}))[11]) == 0
            await client.call(Opcode.WRITE, {0: register, 1: 11, 2: -12345})
            assert unwrap((await client.call(Opcode.READ, {0: register, 1: [11]}))[11]) == -12345
            assert await client.error(Opcode.WRITE, {0: register, 1: 11, 2: 0.5}) == -32107
            sine = await client.lookup("Semantic Sampler.Sine Wave")
            info = await client.call(Opcode.SERVER_INFORMATION, {0: [2]})
            assert info[2].endswith("signal-sampler.json")
            await client.call(Opcode.SUBSCRIBE, {0: [{0: sine, 1: [11, 9, 7]}]})
            events = await client.wait_events(2, timeout=3)  # initial + a 500 ms tick
            assert all(e.element == sine for e in events)
            assert events[0].attributes[11] != events[1].attributes[11]
            assert events[0].attributes[9] == 0  # the initial event holds everything
            assert 9 not in events[1].attributes  # changes only what changed
            for event in events:
                assert 50 <= event.attributes[11] <= 100

        with_client(sim, scenario)


# ----------------------------------------------------------------- demo and other models


def test_demo_model_is_bundled_with_fresh_uuids(sample_model: Path) -> None:
    path = demo_model_path()
    assert path.name == "demo.json" and path.is_file()
    demo = load_model(path)
    sample = load_model(sample_model)
    assert not set(demo.by_uuid) & set(sample.by_uuid)
    assert 30 <= len(demo) <= 60
    for key in [f"Hardware.EtherCAT Bus.EL2624.Output {n}" for n in range(1, 5)]:
        element = demo.by_key[key]
        assert element.table.access[11] == 2 and element.table.types[11] == DataType.BOOLEAN
    for key in [f"Hardware.EtherCAT Bus.EL1004.Input {n}" for n in range(1, 5)]:
        assert demo.by_key[key].table.access[11] == 0
    assert demo.by_key["Hardware.EtherCAT Bus.EL3102.Channel 1"].table.types[11] == DataType.INT16
    assert demo.by_key["Hardware.EtherCAT Bus"].type == "@Skill.CoE.Bus"
    signal_types = {
        e.key.rsplit(".", 1)[1]: e.table.types[11] for e in demo.by_key["Hardware.Signals"].children
    }
    assert signal_types["Pulse"] == DataType.BOOLEAN
    assert signal_types["Sine"] == DataType.FLOAT64
    assert signal_types["Triangle"] == DataType.FLOAT32
    assert signal_types["Saw-Tooth"] == DataType.INT32
    assert signal_types["Noise"] == DataType.FLOAT64
    registers = {e.name: e.table.types[11] for e in demo.by_key["Hardware.Registers"].children}
    assert registers["Counter"] == DataType.INT64 and registers["Label"] == DataType.STRING
    assert registers["Setpoint"] == DataType.FLOAT64 and registers["Enable"] == DataType.BOOLEAN
    assert "Plant.Recipe" in demo.by_key


def test_unknown_driver_types_become_plain_elements() -> None:
    document = {
        "children": [
            {
                "@Skill.MQTT.Client": {
                    "name": "Broker",
                    "UUID": str(uuid.uuid4()),
                    "host": "mqtt.example",
                    "children": [
                        {"@Skill.MQTT.Topic": {"name": "Topic", "UUID": str(uuid.uuid4())}},
                        {
                            "@Group": {
                                "name": "Inner",
                                "UUID": str(uuid.uuid4()),
                                "children": [
                                    {
                                        "@Skill.SignalFlow.Register": {
                                            "name": "R",
                                            "UUID": str(uuid.uuid4()),
                                            "defaultValue": ["uint8", 7],
                                            "someDriverKey": {"x": [1, 2]},
                                        }
                                    }
                                ],
                            }
                        },
                    ],
                }
            },
            {"@Skill.CPP.Control": {"name": "Control", "UUID": str(uuid.uuid4())}},
        ]
    }
    with Simulator(document) as sim:

        async def scenario(client: RawClient) -> None:
            tree = await client.call(Opcode.BROWSE, {0: NIL_UUID})
            assert [(e[0], e[2]) for e in tree] == [
                ("Broker", Category.DEVICE),
                ("Broker.Topic", Category.SPECIAL_PURPOSE),
                ("Broker.Inner", Category.ELEMENT_GROUP),
                ("Broker.Inner.R", Category.DATA_POINT),
                ("Control", Category.SPECIAL_PURPOSE),
            ]
            broker = await client.lookup("Broker")
            result = await client.call(Opcode.READ, {0: broker, 1: [3, 11]})
            assert unwrap(result[3]) == "MQTT client"
            assert unwrap(result[11]).code == -32101
            register = await client.lookup("Broker.Inner.R")
            assert unwrap((await client.call(Opcode.READ, {0: register, 1: [11]}))[11]) == 7
            assert await client.error(Opcode.WRITE, {0: register, 1: 11, 2: 256}) == -32105

        with_client(sim, scenario)


def test_older_id_and_uuid_keys() -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    document = {
        "children": [
            {
                "@Group": {
                    "id": "Old",
                    "uuid": first,
                    "children": [
                        {
                            "@Skill.SignalFlow.Register": {
                                "id": "R",
                                "uuid": second,
                                "defaultValue": ["int8", 1],
                            }
                        },
                        {"@DataPoint": {"id": "Point", "uuid": str(uuid.uuid4()), "io": "Old.R"}},
                    ],
                }
            }
        ]
    }
    model = load_model(document)
    assert model.by_key["Old"].uuid == uuid.UUID(first)
    assert model.by_key["Old.R"].uuid == uuid.UUID(second)
    point = model.by_key["Old.Point"]
    assert point.category is Category.DATA_POINT and point.get(11) == 1


def test_unreadable_model_file(tmp_path: Path) -> None:
    broken = tmp_path / "model.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="cannot read"):
        load_model(broken)
    with pytest.raises(ModelError, match="cannot read"):
        load_model(tmp_path / "missing.json")


# ----------------------------------------------------------------- generated models


def test_generated_model_of_10k_elements_loads_and_browses_fast() -> None:
    document = generated_model(10_000)
    model = load_model(document)  # its time: benchmarks/simulator_bench.py
    assert len(model) == 10_000
    assert model.elements[0].key == "Hardware"
    assert {e.category for e in model.elements} == {Category.ELEMENT_GROUP, Category.DATA_POINT}

    async def browse() -> float:
        session = Session(Engine(model), None, lambda: None)
        session.handle(encode_message([Request(1, Opcode.CLIENT_HELLO, {0: 1, 1: 1})]))
        message = encode_message([Request(2, Opcode.BROWSE, {0: NIL_UUID})])
        # The browse's own processor time: a busy machine stretches the wall-clock
        # time, not this. Its bound catches a browse gone quadratic (10^8 steps).
        best = math.inf
        for _ in range(3):
            started = time.thread_time()
            answer, _ = session.handle(message)
            best = min(best, time.thread_time() - started)
        assert answer is not None
        (success,) = decode_message(answer)
        assert len(success.result) == 10_000  # type: ignore[union-attr]
        return best

    assert asyncio.run(browse()) < 0.5
    assert generated_model(10_000) == document
    assert len(load_model(generated_model(1))) == 1
    with pytest.raises(ValueError, match="at least 1 element"):
        generated_model(0)
    with pytest.raises(ValueError, match="at least 15 elements"):
        generated_model(14, signals=10)


# ----------------------------------------------------------------- values, types, ranges


def test_durations() -> None:
    assert parse_duration("5s", 0) == 5_000_000_000
    assert parse_duration("500ms", 0) == 500_000_000
    assert parse_duration("1ms", 0) == 1_000_000
    assert parse_duration("250us", 0) == 250_000
    assert parse_duration("1.5s", 0) == 1_500_000_000
    assert parse_duration("2min", 0) == 120_000_000_000
    assert parse_duration(2, 0) == 2_000_000_000
    assert parse_duration("soon", 9) == 9
    assert parse_duration("", 9) == 9
    assert parse_duration(True, 9) == 9


def _float32(value: float) -> float:
    result: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return result


def _check_in_type(data_type: DataType, value: Any, low: float, high: float) -> None:
    if data_type is DataType.BOOLEAN:
        assert type(value) is bool
        return
    bounds = data_type.integer_range
    if bounds is not None:
        assert type(value) is int
        assert bounds[0] <= value <= bounds[1]
        assert math.floor(low) <= value <= math.ceil(high)
        return
    assert type(value) is float
    assert (
        low - 1e-6 <= value <= high + 1e-6 or math.isclose(value, low) or math.isclose(value, high)
    )
    if data_type is DataType.FLOAT32:
        assert _float32(value) == value


@pytest.mark.parametrize("source", ["demo", "sample"])
def test_signals_stay_in_type_and_range_over_time(source: str, sample_model: Path) -> None:
    model = load_model(demo_model_path() if source == "demo" else sample_model)
    signals = [e.point for e in model.elements if isinstance(e.point, Signal)]
    assert len(signals) >= 6
    for signal in set(signals):
        assert isinstance(signal, Signal)
        low, high = sorted((signal.top, signal.bottom))
        start = time.time_ns() // signal.timer.period_ns
        values = [signal.value_at(start + n) for n in range(0, 20_000, 7)]
        for value in values:
            _check_in_type(signal.data_type, value, low, high)
        assert len(set(values)) > 1, signal.shape  # they do move
    # an inverted saw-tooth (top below bottom) falls
    if source == "sample":
        falling = model.by_key["Sampler.Inverted Saw-Tooth"].point
        assert isinstance(falling, Signal)
        tick = falling.timer.period_ns
        first = (falling.wave_ns - falling.phase_ns) // tick + 1  # start of a period
        assert falling.value_at(first) > falling.value_at(first + 3) >= 0


def test_pulse_change_time_is_the_edge() -> None:
    model = load_model(demo_model_path())
    pulse = model.by_key["Hardware.Fast Signals.Pulse"].point
    assert isinstance(pulse, Signal)
    time.sleep(0.025)
    # The three reads at one instant: on a running clock a tick may come between them.
    model.clock.frozen = model.clock.now_ns()
    value = pulse.get(11)
    change, update = pulse.get(7), pulse.get(6)
    assert isinstance(change, TimePoint) and isinstance(update, TimePoint)
    assert change <= update
    # the value was the same at every tick since the change time
    period = pulse.timer.period_ns
    for tick in range(change.ns // period, update.ns // period + 1):
        assert pulse.value_at(tick) == value
    assert pulse.value_at(change.ns // period - 1) != value


def test_signal_values_read_over_the_wire_stay_in_type(sim: Simulator) -> None:
    keys = [e.key for e in sim.model.elements if isinstance(e.point, Signal)]

    async def scenario(client: RawClient) -> None:
        ids = {key: await client.lookup(key) for key in keys}
        meta = {}
        for key, element in ids.items():
            result = await client.call(Opcode.META_DATA, {0: element, 1: [2]})
            meta[key] = {a[0]: a[3] for a in result[2]}["value"]
        for _ in range(15):
            for key, element in ids.items():
                value = unwrap((await client.call(Opcode.READ, {0: element, 1: [11]}))[11])
                signal = sim.model.by_key[key].point
                assert isinstance(signal, Signal)
                low, high = sorted((signal.top, signal.bottom))
                _check_in_type(DataType(meta[key]), value, low, high)
            await asyncio.sleep(0.01)

    with_client(sim, scenario)


@pytest.mark.parametrize(
    ("data_type", "value", "expected"),
    [
        (DataType.BOOLEAN, True, True),
        (DataType.INT8, -128, -128),
        (DataType.INT16, 12.0, 12),
        (DataType.UINT64, 2**64 - 1, 2**64 - 1),
        (DataType.FLOAT32, 0.1, _float32(0.1)),
        (DataType.FLOAT32, 3, 3.0),
        (DataType.FLOAT64, 2**70, float(2**70)),
        (DataType.FLOAT64, math.inf, math.inf),
        (DataType.STRING, "x", "x"),
    ],
)
def test_coerce_accepts(data_type: DataType, value: Any, expected: Any) -> None:
    result = coerce(data_type, value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("data_type", "value", "code"),
    [
        (DataType.BOOLEAN, 1, ErrorCode.TYPE_MISMATCH),
        (DataType.BOOLEAN, "true", ErrorCode.TYPE_MISMATCH),
        (DataType.INT8, 128, ErrorCode.OUT_OF_RANGE),
        (DataType.UINT8, -1, ErrorCode.OUT_OF_RANGE),
        (DataType.INT32, 1.5, ErrorCode.ILLEGAL_VALUE),
        (DataType.INT32, math.nan, ErrorCode.ILLEGAL_VALUE),
        (DataType.INT32, math.inf, ErrorCode.OUT_OF_RANGE),
        (DataType.INT8, 300.0, ErrorCode.OUT_OF_RANGE),
        (DataType.INT32, False, ErrorCode.TYPE_MISMATCH),
        (DataType.INT64, b"1", ErrorCode.TYPE_MISMATCH),
        (DataType.FLOAT32, 1e39, ErrorCode.OUT_OF_RANGE),
        (DataType.FLOAT64, 10**400, ErrorCode.OUT_OF_RANGE),
        (DataType.FLOAT64, True, ErrorCode.TYPE_MISMATCH),
        (DataType.FLOAT64, None, ErrorCode.TYPE_MISMATCH),
        (DataType.STRING, 1, ErrorCode.TYPE_MISMATCH),
        (DataType.STRING, "\x00", ErrorCode.ILLEGAL_VALUE),
        (DataType.UUID, "x", ErrorCode.TYPE_MISMATCH),
    ],
)
def test_coerce_rejects(data_type: DataType, value: Any, code: ErrorCode) -> None:
    with pytest.raises(Rejected) as info:
        coerce(data_type, value)
    assert info.value.code == code


def test_convert_and_type_names() -> None:
    assert convert(DataType.INT16, -1e9) == -32768
    assert convert(DataType.UINT8, 3.6) == 4
    assert convert(DataType.INT32, math.nan) == 0
    assert convert(DataType.BOOLEAN, 0.2) is False
    assert convert(DataType.STRING, 1.5) == "1.5"
    assert parse_data_type("BOOLEAN") is DataType.BOOLEAN
    assert parse_data_type("UNSIGNED32") is DataType.UINT32
    assert parse_data_type("REAL64") is DataType.FLOAT64
    assert parse_data_type("mystery", DataType.INT8) is DataType.INT8
    assert parse_data_type(None) is DataType.FLOAT64


def test_generated_signals_tick_together() -> None:
    document = generated_model(60, signals=10)
    with Simulator(document) as sim:
        assert len(sim.model) == 60
        assert sim.model.timers[0].period_ns == 1_000_000

        async def scenario(client: RawClient) -> None:
            entries = await client.call(Opcode.BROWSE, {0: NIL_UUID, 2: [Category.DATA_POINT]})
            signals = [e[1] for e in entries if e[0].startswith("Hardware.Signals.")]
            assert len(signals) == 10
            await client.call(Opcode.SUBSCRIBE, {0: [{0: s, 1: [11]} for s in signals]})
            await client.wait_events(10)
            messages = [await client.receive(5) for _ in range(50)]
            assert sum(map(len, messages)) / len(messages) > 9  # a tick in one message
            # the messages follow the ticks of the 1 ms timer (not how many a second: a
            # busy machine may send several ticks in one message, and a signal read
            # just before its tick was processed comes again stamped with that tick)
            ticks = [
                max(e.timestamp.ns for e in message if isinstance(e, DataChange))
                for message in messages
            ]
            assert ticks == sorted(ticks), ticks
            assert len(set(ticks)) > len(ticks) // 2, ticks
            assert all(ns % 1_000_000 == 0 for ns in ticks), ticks

        with_client(sim, scenario)
