"""Numbers as users hold them: numpy scalars of every width, 0-d arrays, ``__index__``
and ``__float__``, in the value rule and on the wire in every flavour."""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.flavours import FLAVOURS, Flavour
from xentara_sync import IllegalValue, OutOfRange, TypeMismatch, XentaraClient, flat
from xentara_sync.protocol import DataType
from xentara_sync.protocol.cbor import encode
from xentara_sync.protocol.valuecheck import ValueRejected, check_value
from xentara_sync.simulator import Simulator, User

VALUE_TYPES = Path(__file__).resolve().parents[1] / "data" / "value-types.json"
REGISTER = "Types.Registers.{}"
SERVICE: dict[str, Any] = {"username": "service", "password": "service-pw"}

#: (register, numpy scalar, the plain value the server must hold).
WIDTHS: list[tuple[str, Any, Any]] = [
    ("Bool", np.bool_(False), False),
    ("Int8", np.int8(-128), -128),
    ("Int16", np.int16(-32768), -32768),
    ("Int32", np.int32(2**31 - 1), 2**31 - 1),
    ("Int64", np.int64(-(2**63)), -(2**63)),
    ("UInt8", np.uint8(255), 255),
    ("UInt16", np.uint16(65535), 65535),
    ("UInt32", np.uint32(2**32 - 1), 2**32 - 1),
    ("UInt64", np.uint64(2**64 - 1), 2**64 - 1),
    ("Float32", np.float32(0.1), float(np.float32(0.1))),
    ("Float64", np.float64(-0.1), -0.1),
    ("Float32", np.float16(1.5), 1.5),
    ("Float64", np.float32(2.5), 2.5),
    ("Int32", np.float64(12.0), 12),
    ("Float64", np.int16(-7), -7.0),
    ("Int16", np.array(-5, dtype=np.int8), -5),
    ("Bool", np.array(True), True),
    ("Float64", np.array(3.25), 3.25),
    ("String", np.str_("numpy text"), "numpy text"),
]

DATA_TYPES = {
    "Bool": DataType.BOOLEAN,
    "Int8": DataType.INT8,
    "Int16": DataType.INT16,
    "Int32": DataType.INT32,
    "Int64": DataType.INT64,
    "UInt8": DataType.UINT8,
    "UInt16": DataType.UINT16,
    "UInt32": DataType.UINT32,
    "UInt64": DataType.UINT64,
    "Float32": DataType.FLOAT32,
    "Float64": DataType.FLOAT64,
    "String": DataType.STRING,
}


def _ids(case: tuple[str, Any, Any]) -> str:
    register, value, _ = case
    return f"{type(value).__name__}-{register}"


@pytest.mark.parametrize("case", WIDTHS, ids=[_ids(c) for c in WIDTHS])
def test_the_value_rule_takes_numpy_scalars_as_plain_values(case: tuple[str, Any, Any]) -> None:
    register, value, plain = case
    checked = check_value(DATA_TYPES[register], value)
    assert checked == plain
    assert type(checked) is type(plain)  # plain int, float, bool, str: what goes on the wire
    assert encode(checked) == encode(plain)


@pytest.mark.parametrize(
    ("data_type", "value", "code"),
    [
        (DataType.INT8, np.int16(128), "OUT_OF_RANGE"),
        (DataType.INT8, np.int64(-129), "OUT_OF_RANGE"),
        (DataType.UINT8, np.int8(-1), "OUT_OF_RANGE"),
        (DataType.UINT16, np.uint32(65536), "OUT_OF_RANGE"),
        (DataType.INT32, np.int64(2**31), "OUT_OF_RANGE"),
        (DataType.UINT32, np.int64(-1), "OUT_OF_RANGE"),
        (DataType.INT64, np.uint64(2**63), "OUT_OF_RANGE"),
        (DataType.UINT64, np.int64(-1), "OUT_OF_RANGE"),
        (DataType.FLOAT32, np.float64(1e39), "OUT_OF_RANGE"),
        (DataType.INT16, np.float32(np.inf), "OUT_OF_RANGE"),
        (DataType.INT16, np.float64(2.5), "ILLEGAL_VALUE"),
        (DataType.INT16, np.float32(np.nan), "ILLEGAL_VALUE"),
        (DataType.INT32, np.bool_(True), "TYPE_MISMATCH"),
        (DataType.FLOAT64, np.bool_(True), "TYPE_MISMATCH"),
        (DataType.BOOLEAN, np.int8(1), "TYPE_MISMATCH"),
        (DataType.FLOAT64, np.complex128(1 + 2j), "TYPE_MISMATCH"),
        (DataType.INT16, np.array([1, 2]), "TYPE_MISMATCH"),
        (DataType.STRING, np.int32(5), "TYPE_MISMATCH"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, (DataType, str)) else str(v),
)
def test_the_value_rule_refuses_what_it_refused_before(
    data_type: DataType, value: Any, code: str
) -> None:
    with pytest.raises(ValueRejected) as caught:
        check_value(data_type, value)
    assert caught.value.code.name == code


def test_index_and_float_are_what_make_a_number() -> None:
    class Level:  # an integer of a user's own, as operator.index sees one
        def __index__(self) -> int:
            return 42

    class Reading:  # a float of a user's own
        def __float__(self) -> float:
            return 0.5

    assert check_value(DataType.UINT8, Level()) == 42
    assert check_value(DataType.FLOAT64, Level()) == 42.0
    assert check_value(DataType.FLOAT32, Reading()) == 0.5
    assert check_value(DataType.INT16, Decimal("7")) == 7
    assert check_value(DataType.FLOAT64, Fraction(1, 8)) == 0.125
    with pytest.raises(ValueRejected, match="not an integer"):
        check_value(DataType.INT16, Reading())
    with pytest.raises(ValueRejected, match="expected an int, got str"):
        check_value(DataType.INT16, "5")


def test_the_value_rule_does_not_import_numpy() -> None:
    code = (
        "import sys; from xentara_sync.protocol.valuecheck import check_value;"
        "from xentara_sync.protocol import DataType;"
        "import xentara_sync, xentara_sync.aio;"
        "check_value(DataType.INT16, 3); check_value(DataType.BOOLEAN, True);"
        "print('numpy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- on the wire


@pytest.fixture(scope="module")
def value_types() -> Iterator[Simulator]:
    users = [User("service", "service-pw"), User("operator", "operator-pw")]
    with Simulator(VALUE_TYPES, users=users) as simulator:
        yield simulator


def _wire_cases() -> list[tuple[str, Any, Any]]:
    return [case for case in WIDTHS if case[0] != "String"]


def test_blocking_writes_numpy_scalars_of_every_width(value_types: Simulator) -> None:
    with XentaraClient(value_types.url, root_element=None, timeout=5, **SERVICE) as client:
        for register, value, plain in _wire_cases():
            key = REGISTER.format(register)
            client.write(key, value)
            read = client.read(key)
            assert read == plain and type(read) is type(plain), (register, value)


@pytest.mark.parametrize("flavour", FLAVOURS, ids=lambda f: f.name)
def test_async_flavours_write_numpy_scalars_of_every_width(
    flavour: Flavour, value_types: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(
            value_types.url, root_element=None, timeout=5, **SERVICE
        ) as client:
            for register, value, plain in _wire_cases():
                key = REGISTER.format(register)
                await client.write(key, value)
                read = await client.read(key)
                assert read == plain and type(read) is type(plain), (register, value)
            with pytest.raises(OutOfRange):
                await client.write(REGISTER.format("Int8"), np.int16(300))
            with pytest.raises(TypeMismatch):
                await client.write(REGISTER.format("Int32"), np.bool_(True))

    flavour.run(main)


def _array_writes(client: Any) -> Callable[[], Any]:
    keys = [REGISTER.format(name) for name in ("Int8", "Int64", "UInt64", "Float32")]
    column = np.array([-3, 2**40, 7, 4], dtype=np.int64)
    flags = np.array([True, False])
    return lambda: client.write_many(
        {**dict(zip(keys, column, strict=True)), REGISTER.format("Bool"): flags[0]}
    )


def test_write_many_from_arrays_in_every_flavour(value_types: Simulator) -> None:
    expected = {"Int8": -3, "Int64": 2**40, "UInt64": 7, "Float32": 4.0, "Bool": True}

    def check(values: dict[str, Any]) -> None:
        for name, plain in expected.items():
            value = values[REGISTER.format(name)]
            assert value == plain and type(value) is type(plain), name

    keys = [REGISTER.format(name) for name in expected]
    with XentaraClient(value_types.url, root_element=None, timeout=5, **SERVICE) as client:
        client.write_many({key: np.int8(0) for key in keys[:4]})
        _array_writes(client)()
        check(client.read_many(keys))
        client.write_many({key: np.int8(0) for key in keys[:4]})

    for flavour in FLAVOURS:

        async def main(flavour: Flavour = flavour) -> None:
            async with flavour.XentaraClient(
                value_types.url, root_element=None, timeout=5, **SERVICE
            ) as client:
                await _array_writes(client)()
                check(await client.read_many(keys))
                await client.write_many({key: np.int8(0) for key in keys[:4]})

        flavour.run(main)


def test_the_flat_api_and_sub_sessions_take_numpy_scalars(value_types: Simulator) -> None:
    session = flat.open_session(value_types.url, "", True, 5.0, "service", "service-pw")
    try:
        flat.write(session, REGISTER.format("UInt16"), np.uint16(65535))
        flat.write(session, REGISTER.format("Float64"), np.float32(0.5))
        flat.write(session, REGISTER.format("Bool"), np.bool_(True))
        flat.write_many(
            session,
            [REGISTER.format("Int16"), REGISTER.format("Float32")],
            list(np.array([-2, 3], dtype=np.int16)),
        )
        assert flat.read_many(
            session,
            [REGISTER.format(n) for n in ("UInt16", "Float64", "Bool", "Int16", "Float32")],
        ) == [65535, 0.5, True, -2, 3.0]
        with pytest.raises(OutOfRange, match="-32105"):
            flat.write(session, REGISTER.format("UInt8"), np.int16(-1))
    finally:
        flat.close_session(session)
    with XentaraClient(value_types.url, root_element=None, timeout=5, **SERVICE) as client:
        with client.sub_session("operator", "operator-pw") as operator:
            operator.write(REGISTER.format("Int32"), np.int32(-77))
            operator.write(REGISTER.format("Float32"), np.float16(0.25))
            with pytest.raises(IllegalValue):
                operator.write(REGISTER.format("Int32"), np.float64(0.5))
        assert client.read(REGISTER.format("Int32")) == -77
        assert client.read(REGISTER.format("Float32")) == 0.25

    for flavour in FLAVOURS:

        async def main(flavour: Flavour = flavour) -> None:
            async with flavour.XentaraClient(
                value_types.url, root_element=None, timeout=5, **SERVICE
            ) as client:
                async with client.sub_session("operator", "operator-pw") as operator:
                    result = operator.write(REGISTER.format("UInt32"), np.uint32(9))
                    if inspect.isawaitable(result):
                        await result
                assert await client.read(REGISTER.format("UInt32")) == 9

        flavour.run(main)


def test_the_simulator_takes_numpy_defaults_as_plain_values() -> None:
    """The simulator applies the same rule to what it is given (set_value)."""
    with Simulator(VALUE_TYPES) as simulator:
        simulator.set_value(REGISTER.format("Int16"), np.int16(-9))
        assert type(simulator.get_value(REGISTER.format("Int16"))) is int
        with XentaraClient(simulator.url, root_element=None, timeout=5) as client:
            value = client.read(REGISTER.format("Int16"))
        assert value == -9 and type(value) is int
