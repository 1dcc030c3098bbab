"""The simulator's values: every register type, io objects, defaults, the type attribute.

A raw client (no client-side checks) talks to a simulator serving
``tests/data/value-types.json``: a register of each of the fourteen types of the
register documentation, and ``@DataPoint`` elements whose ``io`` is an object.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xentara_sync.protocol import (
    Access,
    DataType,
    Opcode,
    TimePoint,
    unwrap,
)
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.model import ModelError, load_model

from .conftest import uid, with_client
from .rawclient import RawClient

MODEL = Path(__file__).resolve().parents[1] / "data" / "value-types.json"
REGISTERS = "Types.Registers"
STAMP = TimePoint(1_704_107_471_111_587_983)  # 2024-01-01T11:11:11.111587983Z
ID = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")

#: (register, data type number, default value as the simulator serves it)
TYPES = [
    ("Bool", 0, True),
    ("Int8", 1, -5),
    ("Int16", 2, -300),
    ("Int32", 3, 70000),
    ("Int64", 4, -(2**40)),
    ("UInt8", 5, 200),
    ("UInt16", 6, 60000),
    ("UInt32", 7, 4_000_000_000),
    ("UInt64", 8, 2**63),
    ("Float32", 9, 1.5),
    ("Float64", 10, -2.25),
    ("String", 11, "hello"),
    ("Stamp", 16, STAMP),
    ("Id", 17, ID),
]


@pytest.fixture(scope="module")
def types_sim() -> Iterator[Simulator]:
    with Simulator(MODEL) as simulator:
        yield simulator


async def value_metadata(client: RawClient, element: uuid.UUID) -> dict[str, Any]:
    result = await client.call(Opcode.META_DATA, {0: element, 1: [2]})
    return {entry[0]: entry for entry in result[2]}


# ----------------------------------------------------------------- the fourteen types


@pytest.mark.parametrize(("name", "number", "default"), TYPES, ids=[t[0] for t in TYPES])
def test_every_register_type_reads_its_default(
    types_sim: Simulator, name: str, number: int, default: object
) -> None:
    async def scenario(client: RawClient) -> None:
        element = await client.lookup(f"{REGISTERS}.{name}")
        metadata = await value_metadata(client, element)
        assert metadata["value"][3] == number
        assert metadata["value"][2] == Access.READ_WRITE
        value = unwrap((await client.call(Opcode.READ, {0: element, 1: [11]}))[11])
        assert value == default and type(value) is type(default)

    with_client(types_sim, scenario)


def test_time_stamp_and_uuid_registers_take_writes(types_sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        stamp = await client.lookup(f"{REGISTERS}.Stamp")
        ident = await client.lookup(f"{REGISTERS}.Id")
        later = TimePoint(STAMP.ns + 1)
        assert await client.call(Opcode.WRITE, {0: stamp, 1: 11, 2: later}) is None
        assert unwrap((await client.call(Opcode.READ, {0: stamp, 1: [11]}))[11]) == later
        fresh = uuid.uuid4()
        assert await client.call(Opcode.WRITE, {0: ident, 1: 11, 2: fresh}) is None
        assert types_sim.get_value(f"{REGISTERS}.Id") == fresh
        # the wrong kind is a type mismatch, UUID text included
        assert await client.error(Opcode.WRITE, {0: ident, 1: 11, 2: str(fresh)}) == -32106
        assert await client.error(Opcode.WRITE, {0: stamp, 1: 11, 2: "2024-01-01"}) == -32106
        assert await client.error(Opcode.WRITE, {0: stamp, 1: 11, 2: fresh}) == -32106
        # the extremes travel as ±Infinity and are stored as such
        for extreme in (TimePoint.MIN, TimePoint.MAX):
            await client.call(Opcode.WRITE, {0: stamp, 1: 11, 2: extreme})
            assert unwrap((await client.call(Opcode.READ, {0: stamp, 1: [11]}))[11]) == extreme

    with_client(types_sim, scenario)


# ------------------------------------------------------------ integral floats, raw


@pytest.mark.parametrize(
    ("name", "value", "code", "stored"),
    [
        ("Int16", 3.0, None, 3),
        ("Int16", -0.0, None, 0),
        ("UInt64", 2.0**63, None, 2**63),
        ("Int16", 3.5, -32107, None),
        ("Int16", float("nan"), -32107, None),
        ("Int16", float("inf"), -32105, None),
        ("UInt8", 256.0, -32105, None),
        ("Float32", 1e39, -32105, None),
        ("Bool", 1.0, -32106, None),
    ],
)
def test_the_simulator_applies_the_integral_float_rule(
    types_sim: Simulator, name: str, value: object, code: int | None, stored: object
) -> None:
    # The raw client sends what it is given: this is the simulator's own check.
    async def scenario(client: RawClient) -> None:
        element = await client.lookup(f"{REGISTERS}.{name}")
        before = types_sim.get_value(f"{REGISTERS}.{name}")
        if code is None:
            assert await client.call(Opcode.WRITE, {0: element, 1: 11, 2: value}) is None
            got = types_sim.get_value(f"{REGISTERS}.{name}")
            assert got == stored and type(got) is int
            types_sim.set_value(f"{REGISTERS}.{name}", before)
        else:
            assert await client.error(Opcode.WRITE, {0: element, 1: 11, 2: value}) == code
            assert types_sim.get_value(f"{REGISTERS}.{name}") == before

    with_client(types_sim, scenario)


# ----------------------------------------------------------------------- defaults


def register_model(default: object, element_type: str = "@Skill.SignalFlow.Register") -> Any:
    settings: dict[str, Any] = {"name": "Level", "UUID": uid(), "defaultValue": default}
    if element_type == "@Skill.CoE.Entry":
        settings = {"name": "Level", "UUID": uid(), "dataType": "INTEGER8", "defaultValue": default}
    return {
        "children": [
            {"@Group": {"name": "Plant", "UUID": uid(), "children": [{element_type: settings}]}}
        ]
    }


@pytest.mark.parametrize(
    ("default", "text"),
    [
        (["int8", 300], r"Plant\.Level: invalid default value 300 for int8: .*-128\.\.127"),
        (["uint16", -1], r"Plant\.Level: invalid default value -1 for uint16"),
        (["int32", 2.5], r"Plant\.Level: invalid default value 2\.5 for int32"),
        (["float32", 1e39], r"Plant\.Level: invalid default value 1e\+39 for float32"),
        (["bool", 1], r"Plant\.Level: invalid default value 1 for bool"),
        (["string", 5], r"Plant\.Level: invalid default value 5 for string"),
        (["timeStamp", "noon"], r"Plant\.Level: invalid default value 'noon' for timeStamp"),
        (["timeStamp", 5], r"Plant\.Level: invalid default value 5 for timeStamp"),
        (["UUID", "e3ee1071"], r"Plant\.Level: invalid default value 'e3ee1071' for UUID"),
        (["int128", 0], r"Plant\.Level: \"defaultValue\" names the unknown data type 'int128'"),
        ({"int8": 1}, r"Plant\.Level: \"defaultValue\" must be \[data type, value\]"),
        (["UUID"], r"Plant\.Level: \"defaultValue\" must be \[data type, value\]"),
        (5, r"Plant\.Level: \"defaultValue\" must be \[data type, value\]"),
    ],
)
def test_invalid_defaults_are_refused_naming_element_and_value(default: object, text: str) -> None:
    with pytest.raises(ModelError, match=text):
        load_model(register_model(default))


def test_an_entry_default_outside_its_type_is_refused() -> None:
    with pytest.raises(ModelError, match=r"Plant\.Level: invalid default value 300 for int8"):
        load_model(register_model(300, "@Skill.CoE.Entry"))


@pytest.mark.parametrize(
    ("default", "expected"),
    [
        (["int8", 3.0], 3),
        (["timeStamp", "2024-01-01T12:11:11.111587983+01:00"], STAMP),
        (["UUID", "E3EE1071-4D88-4BA1-8E5D-0F1E4CE25EE8"], ID),
    ],
)
def test_valid_defaults(default: object, expected: object) -> None:
    model = load_model(register_model(default))
    value = model.by_key["Plant.Level"].get(11)
    assert value == expected and type(value) is type(expected)


# ----------------------------------------------------------------------- io objects


def test_io_object_reads_its_input_and_writes_its_output(types_sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        joined = await client.lookup("Types.IO.Joined")
        metadata = await value_metadata(client, joined)
        assert metadata["value"][2] == Access.READ_WRITE
        assert metadata["value"][3] == DataType.FLOAT64
        types_sim.set_value("Types.IO.Sensor", 21.5)
        assert unwrap((await client.call(Opcode.READ, {0: joined, 1: [11]}))[11]) == 21.5
        await client.call(Opcode.WRITE, {0: joined, 1: 11, 2: 7.0})
        assert types_sim.get_value("Types.IO.Actuator") == 7.0
        assert types_sim.get_value("Types.IO.Sensor") == 21.5  # the input is not written
        read = await client.call(Opcode.READ, {0: joined, 1: [11, 8]})
        assert unwrap(read[11]) == 21.5
        assert unwrap(read[8]) == types_sim.model.by_key["Types.IO.Actuator"].get(8)
        # a subscription follows the input
        await client.call(Opcode.SUBSCRIBE, {0: [{0: joined, 1: [11]}]})
        await client.wait_events(1)
        types_sim.set_value("Types.IO.Sensor", 22.5)
        events = await client.wait_events(2)
        assert events[-1].element == joined and events[-1].attributes[11] == 22.5
        # key 0 is the change time of the input
        assert events[-1].timestamp == types_sim.model.by_key["Types.IO.Sensor"].get(7)

    with_client(types_sim, scenario)


def test_io_object_with_one_end(types_sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        reader = await client.lookup("Types.IO.Reader")
        writer = await client.lookup("Types.IO.Writer")
        assert (await value_metadata(client, reader))["value"][2] == Access.READ_ONLY
        assert (await value_metadata(client, writer))["value"][2] == Access.WRITE_ONLY
        assert await client.error(Opcode.WRITE, {0: reader, 1: 11, 2: 1.0}) == -32103
        await client.call(Opcode.WRITE, {0: writer, 1: 11, 2: 9.0})
        assert types_sim.get_value("Types.IO.Actuator") == 9.0
        read = await client.call(Opcode.READ, {0: writer, 1: [11]})
        assert unwrap(read[11]).code == -32104

    with_client(types_sim, scenario)


def test_io_output_that_cannot_be_written_is_refused() -> None:
    sampler = {
        "name": "Sampler",
        "UUID": uid(),
        "children": [
            {
                "@Skill.SignalGenerator.Signal": {
                    "name": "Sine",
                    "UUID": uid(),
                    "dataType": "float64",
                    "top": 1,
                    "bottom": 0,
                    "waveForm": {"@Noise": {}},
                }
            }
        ],
    }
    point = {
        "name": "Point",
        "UUID": uid(),
        "io": {"input": "Sampler.Sine", "output": "Sampler.Sine"},
    }
    with pytest.raises(ModelError, match=r"Point: \"io\" output 'Sampler.Sine' cannot be written"):
        load_model(
            {"children": [{"@Skill.SignalGenerator.Sampler": sampler}, {"@DataPoint": point}]}
        )


def test_io_input_and_output_of_different_types_are_refused() -> None:
    registers = [
        {
            "@Skill.SignalFlow.Register": {
                "name": "In",
                "UUID": uid(),
                "defaultValue": ["float64", 0.0],
            }
        },
        {
            "@Skill.SignalFlow.Register": {
                "name": "Out",
                "UUID": uid(),
                "defaultValue": ["int16", 0],
            }
        },
        {
            "@DataPoint": {
                "name": "Point",
                "UUID": uid(),
                "io": {"input": "G.In", "output": "G.Out"},
            }
        },
    ]
    with pytest.raises(ModelError, match=r"G\.Point: .* different data types \(float64, int16\)"):
        load_model({"children": [{"@Group": {"name": "G", "UUID": uid(), "children": registers}}]})


# ------------------------------------------------------------------- type attribute


def test_type_attribute_holds_the_documented_names(sim: Simulator) -> None:
    # docs.xentara.io: registers are "register", samplers "signal generator sampler",
    # signals "signal generator signal".
    expected = {
        "Hardware.Registers.Counter": "register",
        "Hardware.Signals": "signal generator sampler",
        "Hardware.Signals.Sine": "signal generator signal",
        "Hardware": "group",
        "Plant.Temperature": "data point",
        "Hardware.EtherCAT Bus.EL2624.Output 1": "CoE entry",
    }

    async def scenario(client: RawClient) -> None:
        for key, name in expected.items():
            element = await client.lookup(key)
            assert unwrap((await client.call(Opcode.READ, {0: element, 1: [3]}))[3]) == name

    with_client(sim, scenario)


def test_naive_datetime_is_utc() -> None:
    # check_value's datetime rule, as the client applies it before a write
    from xentara_sync.protocol.valuecheck import check_value

    naive = dt.datetime(2024, 1, 1, 11, 11, 11, 111587)
    assert check_value(DataType.TIME_POINT, naive) == TimePoint(STAMP.ns - 983)
