"""Every command of the Xentara WebSocket API, with its error codes, over a real socket."""

from __future__ import annotations

import asyncio
import itertools
import uuid

import cbor2
import pytest

from xentara_sync.protocol import (
    NIL_UUID,
    Attribute,
    AttributeFault,
    Category,
    DataType,
    Failure,
    Opcode,
    Stage,
    Success,
    TimePoint,
    unwrap,
)
from xentara_sync.simulator import Simulator, User

from .conftest import run, with_client
from .rawclient import RawClient

COUNTER = "Hardware.Registers.Counter"
SETPOINT = "Hardware.Registers.Setpoint"
INPUT = "Hardware.EtherCAT Bus.EL1004.Input 1"
OUTPUT = "Hardware.EtherCAT Bus.EL2624.Output 1"
SINE = "Hardware.Signals.Sine"
UNKNOWN = uuid.UUID("12345678-1234-4234-8234-123456789abc")


# ----------------------------------------------------------------- client hello


def test_hello_must_come_first(sim: Simulator) -> None:
    async def scenario() -> None:
        client = await RawClient.connect(sim.url, hello=False)
        assert await client.error(Opcode.GET_STAGE) == -32000
        assert await client.error(Opcode.LOOKUP, {0: COUNTER}) == -32000
        assert await client.call(Opcode.CLIENT_HELLO, {0: 1, 1: 1}) == {0: 1}
        assert await client.error(Opcode.CLIENT_HELLO, {0: 1, 1: 1}) == -32001
        assert await client.call(Opcode.GET_STAGE) == Stage.OPERATIONAL
        await client.close()

    run(scenario())


@pytest.mark.parametrize(
    "params",
    [{0: 2, 1: 5}, {0: 0, 1: 0}, {0: 2, 1: 1}, {0: 1}, {1: 1}, {0: "1", 1: 1}, {0: -1, 1: 1}, None],
)
def test_hello_rejects_versions_without_1(sim: Simulator, params: dict[int, object] | None) -> None:
    async def scenario() -> None:
        client = await RawClient.connect(sim.url, hello=False)
        answer = await client.request(Opcode.CLIENT_HELLO, params)
        assert isinstance(answer, Failure) and answer.code == -32602, answer
        assert answer.text
        # a failed hello is no hello
        assert await client.error(Opcode.GET_STAGE) == -32000
        assert await client.call(Opcode.CLIENT_HELLO, {0: 0, 1: 3}) == {0: 1}
        await client.close()

    run(scenario())


def test_hello_and_requests_in_one_batch_run_in_order(sim: Simulator) -> None:
    async def scenario() -> None:
        client = await RawClient.connect(sim.url, hello=False)
        answers = await client.batch(
            [
                (Opcode.GET_STAGE, None),
                (Opcode.CLIENT_HELLO, {0: 1, 1: 1}),
                (Opcode.GET_STAGE, None),
            ]
        )
        assert isinstance(answers[0], Failure) and answers[0].code == -32000
        assert isinstance(answers[1], Success) and answers[1].result == {0: 1}
        assert isinstance(answers[2], Success) and answers[2].result == 2
        await client.close()

    run(scenario())


# ----------------------------------------------------------------- server information


def test_server_information(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        info = await client.call(Opcode.SERVER_INFORMATION, {0: [0, 1, 2]})
        assert set(info) == {0, 1, 2}
        assert info[0] == "2.0.7-simulator"
        assert isinstance(info[1], str) and info[1]
        assert info[2].endswith("demo.json")
        assert await client.call(Opcode.SERVER_INFORMATION, {0: [2]}) == {2: info[2]}
        assert await client.error(Opcode.SERVER_INFORMATION, {0: [0, 7]}) == -32602
        assert await client.error(Opcode.SERVER_INFORMATION, {}) == -32602
        assert await client.error(Opcode.SERVER_INFORMATION, {0: 0}) == -32602

    with_client(sim, scenario)


# ----------------------------------------------------------------- browse


def test_browse_whole_tree_in_model_order(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        entries = await client.call(Opcode.BROWSE, {0: NIL_UUID})
        keys = [e[0] for e in entries]
        assert keys == [e.key for e in sim.model.elements]
        assert keys[0] == "Hardware"
        assert keys.index("Hardware.EtherCAT Bus") < keys.index("Hardware.EtherCAT Bus.EL2624")
        assert "Plant.Recipe" in keys
        for entry in entries:
            assert set(entry) == {0, 1, 2}
            assert isinstance(entry[1], uuid.UUID)
            assert entry[1] == sim.model.by_key[entry[0]].uuid
        categories = {e[0]: e[2] for e in entries}
        assert categories["Hardware"] == Category.ELEMENT_GROUP
        assert categories["Hardware.EtherCAT Bus"] == Category.DEVICE
        assert categories["Hardware.EtherCAT Bus.EL2624"] == Category.SUB_DEVICE
        assert categories[OUTPUT] == Category.DATA_POINT
        assert categories["Hardware.Signals"] == Category.DEVICE
        assert categories["Sampling.100ms Timer"] == Category.TIMER
        assert categories["Sampling"] == Category.EXECUTION_TRACK
        assert categories["Sampling.Signal Pipeline"] == Category.EXECUTION_PIPELINE
        assert categories["Logger"] == Category.SPECIAL_PURPOSE

    with_client(sim, scenario)


def test_browse_depth_filter_and_start(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        top = await client.call(Opcode.BROWSE, {0: NIL_UUID, 1: 1})
        assert [e[0] for e in top] == ["Hardware", "Plant", "Sampling", "Logger"]
        bus = await client.lookup("Hardware.EtherCAT Bus")
        children = await client.call(Opcode.BROWSE, {0: bus, 1: 1})
        assert [e[0] for e in children] == [
            "Hardware.EtherCAT Bus.EL2624",
            "Hardware.EtherCAT Bus.EL1004",
            "Hardware.EtherCAT Bus.EL3102",
        ]
        everything = await client.call(Opcode.BROWSE, {0: bus})
        assert len(everything) == 3 + 4 + 4 + 2
        assert "Hardware.EtherCAT Bus" not in [e[0] for e in everything]
        two = await client.call(Opcode.BROWSE, {0: bus, 1: 2})
        assert two == everything
        assert await client.call(Opcode.BROWSE, {0: bus, 1: 0}) == []
        points = await client.call(Opcode.BROWSE, {0: NIL_UUID, 2: [Category.DATA_POINT]})
        assert points and all(e[2] == Category.DATA_POINT for e in points)
        assert OUTPUT in [e[0] for e in points]
        groups = await client.call(Opcode.BROWSE, {0: NIL_UUID, 1: 2, 2: [1, 6]})
        assert [e[0] for e in groups] == [
            "Hardware",
            "Hardware.EtherCAT Bus",
            "Hardware.Signals",
            "Hardware.Fast Signals",
            "Hardware.Registers",
            "Plant",
        ]
        leaf = await client.lookup(COUNTER)
        assert await client.call(Opcode.BROWSE, {0: leaf}) == []

    with_client(sim, scenario)


def test_browse_errors(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        assert await client.error(Opcode.BROWSE, {0: UNKNOWN}) == -32100
        assert await client.error(Opcode.BROWSE, {}) == -32602
        assert await client.error(Opcode.BROWSE, {0: "Hardware"}) == -32602
        assert await client.error(Opcode.BROWSE, {0: NIL_UUID, 1: -1}) == -32602
        assert await client.error(Opcode.BROWSE, {0: NIL_UUID, 1: True}) == -32602
        assert await client.error(Opcode.BROWSE, {0: NIL_UUID, 2: 1}) == -32602

    with_client(sim, scenario)


# ----------------------------------------------------------------- meta data


def test_meta_data(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        meta = await client.call(Opcode.META_DATA, {0: counter, 1: [0, 1, 2, 3]})
        assert meta[0] == COUNTER
        assert meta[1] == Category.DATA_POINT
        assert meta[3] is False
        attributes = {a[0]: a for a in meta[2]}
        assert attributes["value"] == {0: "value", 1: 11, 2: 2, 3: DataType.INT64}
        assert attributes["quality"] == {0: "quality", 1: 9, 2: 0, 3: DataType.QUALITY}
        assert attributes["writeTime"][2] == 0
        for name in ("key", "name", "UUID", "type", "category", "changeTime"):
            assert name in attributes
        assert "updateTime" in attributes
        # the register page lists no error attributes: a register cannot fail
        assert "error" not in attributes and "writeError" not in attributes
        for entry in meta[2]:
            assert entry[0] == Attribute(entry[1]).wire_name
        assert await client.call(Opcode.META_DATA, {0: counter, 1: [1]}) == {1: 2}

        sine = await client.lookup(SINE)
        meta = await client.call(Opcode.META_DATA, {0: sine, 1: [2]})
        attributes = {a[0]: a for a in meta[2]}
        assert attributes["value"][2] == 0  # read only
        assert attributes["value"][3] == DataType.FLOAT64
        assert "sourceTime" in attributes and "writeTime" not in attributes

        group = await client.lookup("Hardware")
        meta = await client.call(Opcode.META_DATA, {0: group, 1: [0, 1, 2, 3]})
        assert meta[1] == Category.ELEMENT_GROUP and meta[3] is True
        assert [a[1] for a in meta[2]] == [0, 1, 2, 3, 4]

        command = await client.lookup("Hardware.Registers.Command")
        meta = await client.call(Opcode.META_DATA, {0: command, 1: [2]})
        assert {a[0]: a[2] for a in meta[2]}["value"] == 1  # write only

        root = await client.call(Opcode.META_DATA, {0: NIL_UUID, 1: [0, 1, 3]})
        assert root == {0: "", 1: 0, 3: True}

    with_client(sim, scenario)


def test_meta_data_errors(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        answer = await client.request(Opcode.META_DATA, {0: counter, 1: [0, 83]})
        assert answer == Failure(answer.message_id, -32602, "invalid meta data identifier")  # type: ignore[union-attr]
        assert await client.error(Opcode.META_DATA, {0: UNKNOWN, 1: [0]}) == -32100
        assert await client.error(Opcode.META_DATA, {0: counter}) == -32602

    with_client(sim, scenario)


# ----------------------------------------------------------------- lookup


def test_lookup(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        assert await client.lookup(COUNTER) == sim.model.by_key[COUNTER].uuid
        assert await client.lookup("Plant.Recipe") == sim.model.by_key["Plant.Recipe"].uuid
        assert await client.error(Opcode.LOOKUP, {0: "Hardware.Nothing"}) == -32100
        assert await client.error(Opcode.LOOKUP, {0: ""}) == -32602
        assert await client.error(Opcode.LOOKUP, {0: 5}) == -32602
        assert await client.error(Opcode.LOOKUP, {}) == -32602

    with_client(sim, scenario)


# ----------------------------------------------------------------- read


def test_read_every_attribute(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        element = sim.model.by_key[SETPOINT]
        result = await client.call(
            Opcode.READ, {0: element.uuid, 1: [0, 1, 2, 3, 4, 11, 9, 7, 6, 8, 12, 13]}
        )
        values = {k: unwrap(v) for k, v in result.items()}
        assert values[0] == SETPOINT
        assert values[1] == "Setpoint"
        assert values[2] == element.uuid
        assert values[3] == "register"  # the documented type name
        assert values[4] == Category.DATA_POINT
        assert values[11] == 21.5
        assert values[9] == 0
        for key in (7, 6, 8):
            assert isinstance(values[key], TimePoint)
        assert values[6] == values[8]  # a register's update time is its write time
        # a register has no error attributes (the register page lists none)
        assert values[12] == values[13] == AttributeFault(-32101, "missing attribute")

    with_client(sim, scenario)


def test_read_keys_as_given_and_attribute_errors(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        value_uuid = Attribute.VALUE.uuid
        result = await client.call(
            Opcode.READ, {0: counter, 1: [value_uuid, 9, 5, 10, 77, Attribute.SOURCE_TIME.uuid]}
        )
        assert set(result) == {value_uuid, 9, 5, 10, 77, Attribute.SOURCE_TIME.uuid}
        assert unwrap(result[value_uuid]) == 0
        assert unwrap(result[9]) == 0
        for key in (5, 10, 77, Attribute.SOURCE_TIME.uuid):
            fault = unwrap(result[key])
            assert fault.code == -32101, key
        command = await client.lookup("Hardware.Registers.Command")
        result = await client.call(Opcode.READ, {0: command, 1: [11, 9]})
        assert unwrap(result[11]).code == -32104
        assert unwrap(result[9]) == 0
        group = await client.lookup("Hardware")
        result = await client.call(Opcode.READ, {0: group, 1: [0, 11]})
        assert unwrap(result[0]) == "Hardware" and unwrap(result[11]).code == -32101

    with_client(sim, scenario)


def test_read_errors(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        assert await client.error(Opcode.READ, {0: UNKNOWN, 1: [11]}) == -32100
        assert await client.error(Opcode.READ, {0: NIL_UUID, 1: [11]}) == -32100
        assert await client.error(Opcode.READ, {0: counter}) == -32602
        assert await client.error(Opcode.READ, {0: counter, 1: 11}) == -32602
        assert await client.error(Opcode.READ, {0: counter, 1: ["value"]}) == -32602
        assert await client.error(Opcode.READ, {1: [11]}) == -32602

    with_client(sim, scenario)


# ----------------------------------------------------------------- write


def test_write_register_updates_times(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        before = await client.call(Opcode.READ, {0: counter, 1: [7, 6, 8]})
        answer = await client.request(Opcode.WRITE, {0: counter, 1: 11, 2: 42})
        assert answer == Success(answer.message_id)  # type: ignore[union-attr]
        after = {
            k: unwrap(v)
            for k, v in (await client.call(Opcode.READ, {0: counter, 1: [11, 7, 6, 8]})).items()
        }
        assert after[11] == 42
        assert after[7] > unwrap(before[7])
        assert after[6] == after[8] > unwrap(before[8])
        # the same value again: update and write time move, change time does not
        await client.call(Opcode.WRITE, {0: counter, 1: Attribute.VALUE.uuid, 2: 42})
        again = {
            k: unwrap(v)
            for k, v in (await client.call(Opcode.READ, {0: counter, 1: [7, 6, 8]})).items()
        }
        assert again[7] == after[7]
        assert again[6] == again[8] > after[8]
        assert sim.get_value(COUNTER) == 42

    with_client(sim, scenario)


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        (COUNTER, 2**63 - 1, 2**63 - 1),
        (COUNTER, 7.0, 7),
        (COUNTER, 2**64 - 5, -5),  # Xentara's official client sends -5 so
        (SETPOINT, 3, 3.0),
        (SETPOINT, -1.25, -1.25),
        ("Hardware.Registers.Enable", True, True),
        ("Hardware.Registers.Label", "hello wörld", "hello wörld"),
        ("Hardware.Registers.Small", -128, -128),
        (OUTPUT, True, True),
        ("Plant.Motor On", True, True),
        ("Plant.Mode", 32767, 32767),
    ],
)
def test_write_accepts(sim: Simulator, key: str, value: object, stored: object) -> None:
    async def scenario(client: RawClient) -> None:
        element = await client.lookup(key)
        await client.call(Opcode.WRITE, {0: element, 1: 11, 2: value})
        result = await client.call(Opcode.READ, {0: element, 1: [11]})
        got = unwrap(result[11])
        assert got == stored and type(got) is type(stored)

    with_client(sim, scenario)


def test_write_through_io_data_point_reaches_source(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        motor = await client.lookup("Plant.Motor On")
        await client.call(Opcode.WRITE, {0: motor, 1: 11, 2: True})
        assert sim.get_value(OUTPUT) is True

    with_client(sim, scenario)


@pytest.mark.parametrize(
    ("key", "attribute", "value", "code"),
    [
        (COUNTER, 11, "12", -32106),
        (COUNTER, 11, 1.5, -32107),
        (COUNTER, 11, True, -32106),
        (COUNTER, 11, -(2**63) - 1, -32105),  # 2**63 is -2**63 (docs: negative integers)
        ("Hardware.Registers.Small", 11, 128, -32105),
        ("Plant.Mode", 11, -32769, -32105),
        (SETPOINT, 11, "1.0", -32106),
        (SETPOINT, 11, False, -32106),
        ("Hardware.Registers.Enable", 11, 1, -32106),
        ("Hardware.Registers.Label", 11, 5, -32106),
        ("Hardware.Registers.Label", 11, "a\x00b", -32107),
        ("Hardware.Registers.Command", 11, -1, -32105),
        (INPUT, 11, True, -32103),
        (SINE, 11, 1.0, -32103),
        ("Plant.Temperature", 11, 1.0, -32103),
        (COUNTER, 9, 1, -32103),
        (COUNTER, 7, 1, -32103),
        (COUNTER, 0, "x", -32103),
        (COUNTER, 5, 1, -32101),
        (COUNTER, 99, 1, -32101),
        ("Hardware", 11, 1, -32101),
    ],
)
def test_write_errors(sim: Simulator, key: str, attribute: int, value: object, code: int) -> None:
    async def scenario(client: RawClient) -> None:
        element = await client.lookup(key)
        before = sim.get_value(key) if sim.model.by_key[key].point is not None else None
        assert await client.error(Opcode.WRITE, {0: element, 1: attribute, 2: value}) == code
        if before is not None and key != SINE and key != "Plant.Temperature":
            assert sim.get_value(key) == before

    with_client(sim, scenario)


def test_write_parameter_errors(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = await client.lookup(COUNTER)
        assert await client.error(Opcode.WRITE, {0: UNKNOWN, 1: 11, 2: 1}) == -32100
        assert await client.error(Opcode.WRITE, {0: counter, 1: 11}) == -32602
        assert await client.error(Opcode.WRITE, {0: counter, 2: 1}) == -32602
        assert await client.error(Opcode.WRITE, {0: counter, 1: "value", 2: 1}) == -32602
        assert await client.error(Opcode.WRITE, {0: counter, 1: 11, 2: 1, 3: UNKNOWN}) == -32111
        assert await client.error(Opcode.WRITE, {0: counter, 1: 11, 2: 1, 3: "s"}) == -32602

    with_client(sim, scenario)


# ----------------------------------------------------------------- unknown command, stages


def test_unknown_opcode(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        answer = await client.request(42)
        assert answer == Failure(answer.message_id, -32601, "command not found: opcode 42")  # type: ignore[union-attr]
        assert await client.error(-1) == -32601

    with_client(sim, scenario)


def test_stage_machine(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        assert await client.call(Opcode.GET_STAGE) == Stage.OPERATIONAL
        assert await client.error(Opcode.RESUME) == -32112
        assert await client.call(Opcode.SUSPEND) is None
        await asyncio.sleep(0.03)  # past the 20 ms of post-operational
        assert await client.call(Opcode.GET_STAGE) == Stage.SUSPENDED
        assert sim.stage is Stage.SUSPENDED
        assert await client.error(Opcode.SUSPEND) == -32112
        assert await client.call(Opcode.RESUME, {}) is None
        await asyncio.sleep(0.03)  # past the 20 ms of pre-operational
        assert await client.call(Opcode.GET_STAGE) == Stage.OPERATIONAL
        assert await client.error(Opcode.SUSPEND, {0: UNKNOWN}) == -32111

    with_client(sim, scenario)


def test_stage_changes_pass_the_intermediate_stage(sim: Simulator) -> None:
    # Reference §4.11 / §13.1: suspend is operational -> post-operational ->
    # suspended, resume suspended -> pre-operational -> operational.
    async def scenario(client: RawClient) -> None:
        sim.stage_step = 3600.0  # the intermediate stage lasts until the step shrinks
        assert await client.call(Opcode.SUSPEND) is None
        assert await client.call(Opcode.GET_STAGE) == Stage.POST_OPERATIONAL
        assert sim.stage is Stage.POST_OPERATIONAL
        # nothing else while a change is in progress
        assert await client.error(Opcode.RESUME) == -32112
        assert await client.error(Opcode.SUSPEND) == -32112
        sim.stage_step = 0.0
        assert await client.call(Opcode.GET_STAGE) == Stage.SUSPENDED
        sim.stage_step = 3600.0
        assert await client.call(Opcode.RESUME) is None
        assert await client.call(Opcode.GET_STAGE) == Stage.PRE_OPERATIONAL
        assert await client.error(Opcode.SUSPEND) == -32112
        sim.stage_step = 0.0
        assert await client.call(Opcode.GET_STAGE) == Stage.OPERATIONAL

    with_client(sim, scenario)


def test_polling_sees_the_stages_in_order(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        seen: list[int] = []
        await client.call(Opcode.SUSPEND)
        while not seen or seen[-1] != Stage.SUSPENDED:
            seen.append(await client.call(Opcode.GET_STAGE))
        await client.call(Opcode.RESUME)
        while seen[-1] != Stage.OPERATIONAL:
            seen.append(await client.call(Opcode.GET_STAGE))
        stages = [stage for stage, _ in itertools.groupby(seen)]
        # each intermediate stage lasts 20 ms: a poll may or may not land in it
        assert stages in (
            [Stage.POST_OPERATIONAL, Stage.SUSPENDED, Stage.PRE_OPERATIONAL, Stage.OPERATIONAL],
            [Stage.POST_OPERATIONAL, Stage.SUSPENDED, Stage.OPERATIONAL],
            [Stage.SUSPENDED, Stage.PRE_OPERATIONAL, Stage.OPERATIONAL],
            [Stage.SUSPENDED, Stage.OPERATIONAL],
        )

    with_client(sim, scenario)


def test_suspended_signals_stop_changing(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        sine = await client.lookup("Hardware.Fast Signals.Sine")
        await client.call(Opcode.SUSPEND)
        first = await client.call(Opcode.READ, {0: sine, 1: [11, 6]})
        await asyncio.sleep(0.05)
        second = await client.call(Opcode.READ, {0: sine, 1: [11, 6]})
        assert unwrap(first[11]) == unwrap(second[11])
        assert unwrap(first[6]) == unwrap(second[6])
        # writes still work while suspended
        counter = await client.lookup(COUNTER)
        await client.call(Opcode.WRITE, {0: counter, 1: 11, 2: 5})
        await client.call(Opcode.RESUME)
        await asyncio.sleep(0.02)
        third = await client.call(Opcode.READ, {0: sine, 1: [11, 6]})
        assert unwrap(third[6]) > unwrap(second[6])

    with_client(sim, scenario)


def test_shutdown_answers_then_closes_connections() -> None:
    async def scenario(sim: Simulator) -> None:
        client = await RawClient.connect(sim.url)
        other = await RawClient.connect(sim.url)
        answer = await client.request(Opcode.SHUTDOWN)
        assert answer == Success(answer.message_id)  # type: ignore[union-attr]
        await sim.wait_shutdown()
        assert sim.stage is Stage.POST_OPERATIONAL
        from websockets.exceptions import ConnectionClosed

        for c in (client, other):
            with pytest.raises(ConnectionClosed) as info:
                await c.receive(5)
            assert info.value.rcvd is not None and info.value.rcvd.code == 1001
        with pytest.raises(ConnectionRefusedError):
            await RawClient.connect(sim.url)

    async def main() -> None:
        async with Simulator(allow_shutdown=True) as sim:
            await scenario(sim)

    run(main())


def test_shutdown_twice_is_an_invalid_stage_change() -> None:
    async def main() -> None:
        async with Simulator(allow_shutdown=True) as sim:
            client = await RawClient.connect(sim.url)
            answers = await client.batch(
                [
                    (Opcode.SHUTDOWN, None),
                    (Opcode.SHUTDOWN, None),
                    (Opcode.RESUME, None),
                    (Opcode.GET_STAGE, None),
                ]
            )
            assert isinstance(answers[0], Success)
            assert [getattr(a, "code", None) for a in answers[1:3]] == [-32112, -32112]
            assert isinstance(answers[3], Success) and answers[3].result == 3

    run(main())


# ----------------------------------------------------------------- sub-sessions and rights

USERS = [
    User("admin", "secret"),
    User("viewer", "look", write=False),
    User("blind", "dark", read=False, write=False),
]


def password(name: str, secret: str) -> cbor2.CBORTag:
    return cbor2.CBORTag(123, {0: name, 1: secret})


def test_sub_sessions() -> None:
    with Simulator(users=USERS) as sim:

        async def scenario(client: RawClient) -> None:
            counter = await client.lookup(COUNTER)
            admin = await client.call(Opcode.CREATE_SUB_SESSION, {0: password("admin", "secret")})
            assert isinstance(admin, uuid.UUID)
            wanted = uuid.uuid4()
            viewer = await client.call(
                Opcode.CREATE_SUB_SESSION, {0: password("viewer", "look"), 1: wanted}
            )
            assert viewer == wanted
            assert await client.call(Opcode.CHECK_ACCESS, {0: admin}) == {0: True, 1: True}
            assert await client.call(Opcode.CHECK_ACCESS, {0: viewer}) == {0: True, 1: False}
            # write with a sub-session: both the connection and the sub-session must be allowed
            assert await client.call(Opcode.WRITE, {0: counter, 1: 11, 2: 1, 3: admin}) is None
            assert await client.error(Opcode.WRITE, {0: counter, 1: 11, 2: 2, 3: viewer}) == -32102
            assert sim.get_value(COUNTER) == 1
            assert await client.error(Opcode.SUSPEND, {0: viewer}) == -32102
            assert await client.call(Opcode.SUSPEND, {0: admin}) is None
            await asyncio.sleep(0.03)  # past the 20 ms of post-operational
            assert await client.call(Opcode.RESUME, {0: admin}) is None
            # an existing id is replaced
            again = await client.call(
                Opcode.CREATE_SUB_SESSION, {0: password("admin", "secret"), 1: wanted}
            )
            assert again == wanted
            assert await client.call(Opcode.CHECK_ACCESS, {0: wanted}) == {0: True, 1: True}
            assert await client.call(Opcode.CLOSE_SUB_SESSION, {0: wanted}) is None
            assert await client.error(Opcode.CLOSE_SUB_SESSION, {0: wanted}) == -32111
            assert await client.error(Opcode.CHECK_ACCESS, {0: wanted}) == -32111
            assert await client.error(Opcode.WRITE, {0: counter, 1: 11, 2: 3, 3: wanted}) == -32111
            # bad credentials and unsupported methods
            bad = {0: password("admin", "wrong")}
            assert await client.error(Opcode.CREATE_SUB_SESSION, bad) == -32102
            nobody = {0: password("nobody", "secret")}
            assert await client.error(Opcode.CREATE_SUB_SESSION, nobody) == -32102
            oauth = {0: cbor2.CBORTag(121, {0: "token"})}
            assert await client.error(Opcode.CREATE_SUB_SESSION, oauth) == -32102
            cert = {0: cbor2.CBORTag(122, {0: b"\x30\x00"})}
            assert await client.error(Opcode.CREATE_SUB_SESSION, cert) == -32102
            assert await client.error(Opcode.CREATE_SUB_SESSION, {0: "admin"}) == -32602
            broken = {0: cbor2.CBORTag(123, {0: "admin"})}
            assert await client.error(Opcode.CREATE_SUB_SESSION, broken) == -32602
            nil = {0: password("admin", "secret"), 1: NIL_UUID}
            assert await client.error(Opcode.CREATE_SUB_SESSION, nil) == -32602
            assert await client.error(Opcode.CHECK_ACCESS, {}) == -32602

        with_client(sim, scenario, user="admin", password="secret")


def test_connection_user_rights() -> None:
    with Simulator(users=USERS, allow_shutdown=True) as sim:

        async def viewer(client: RawClient) -> None:
            counter = await client.lookup(COUNTER)
            assert unwrap((await client.call(Opcode.READ, {0: counter, 1: [11]}))[11]) == 0
            assert await client.error(Opcode.WRITE, {0: counter, 1: 11, 2: 1}) == -32102
            admin = await client.call(Opcode.CREATE_SUB_SESSION, {0: password("admin", "secret")})
            # the connection's user lacks the right: the sub-session cannot lend it
            assert await client.error(Opcode.WRITE, {0: counter, 1: 11, 2: 1, 3: admin}) == -32102
            assert await client.call(Opcode.CHECK_ACCESS, {0: admin}) == {0: True, 1: False}
            assert await client.error(Opcode.SHUTDOWN) == -32102

        with_client(sim, viewer, user="viewer", password="look")

        async def blind(client: RawClient) -> None:
            counter = await client.lookup(COUNTER)
            assert await client.error(Opcode.READ, {0: counter, 1: [11]}) == -32102
            assert await client.error(Opcode.SUBSCRIBE, {0: [{0: counter, 1: [11]}]}) == -32102

        with_client(sim, blind, user="blind", password="dark")
        assert sim.get_value(COUNTER) == 0


def test_sub_sessions_without_users_accept_any_password(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        session = await client.call(Opcode.CREATE_SUB_SESSION, {0: password("anyone", "x")})
        assert await client.call(Opcode.CHECK_ACCESS, {0: session}) == {0: True, 1: True}

    with_client(sim, scenario)


# ----------------------------------------------------------------- batches


def test_batch_answered_in_order_in_one_message(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        counter = sim.model.by_key[COUNTER].uuid
        requests: list[tuple[int, dict[int, object] | None]] = []
        for n in range(50):
            requests.append((Opcode.WRITE, {0: counter, 1: 11, 2: n}))
            requests.append((Opcode.READ, {0: counter, 1: [11]}))
        requests.append((Opcode.LOOKUP, {0: "nope"}))
        requests.append((Opcode.GET_STAGE, None))
        answers = await client.batch(requests)  # one message, ids checked in order
        assert len(answers) == len(requests)
        reads = [unwrap(a.result[11]) for a in answers[1:100:2]]  # type: ignore[union-attr]
        assert reads == list(range(50))
        assert isinstance(answers[-2], Failure) and answers[-2].code == -32100
        assert isinstance(answers[-1], Success) and answers[-1].result == 2

    with_client(sim, scenario)


def test_request_count(sim: Simulator) -> None:
    before = sim.request_count

    async def scenario(client: RawClient) -> None:
        await client.batch([(Opcode.GET_STAGE, None)] * 10)

    with_client(sim, scenario)
    assert sim.request_count == before + 11  # hello + 10
