"""Negative integers as Xentara's official client sends them: unsigned 64-bit.

The official client encodes -32768 for an int16 as 18446744073709518848 (CBOR
major type 0); the simulator reads such a number written to a signed attribute as
its 64-bit two's complement (docs/protocol.rst, "Negative integers").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xentara_sync.protocol import Opcode, unwrap
from xentara_sync.simulator import Simulator

from .conftest import with_client
from .rawclient import RawClient

MODEL = Path(__file__).resolve().parents[1] / "data" / "value-types.json"


def unsigned(number: int) -> int:
    """*number* as the official client sends it: 64-bit two's complement, unsigned."""
    return number % 2**64


@pytest.mark.parametrize(
    ("register", "number"),
    [("Int8", -128), ("Int16", -32768), ("Int32", -1), ("Int64", -(2**63)), ("Int64", -5)],
)
def test_a_signed_register_takes_the_official_clients_negative_numbers(
    register: str, number: int
) -> None:
    async def scenario(client: RawClient) -> None:
        element = await client.lookup(f"Types.Registers.{register}")
        assert unsigned(number) >= 2**63
        assert await client.call(Opcode.WRITE, {0: element, 1: 11, 2: unsigned(number)}) is None
        assert unwrap((await client.call(Opcode.READ, {0: element, 1: [11]}))[11]) == number
        # the plain CBOR negative integer means the same
        assert await client.call(Opcode.WRITE, {0: element, 1: 11, 2: number}) is None

    with Simulator(MODEL) as sim:
        with_client(sim, scenario)
        assert sim.get_value(f"Types.Registers.{register}") == number


def test_other_numbers_keep_their_cbor_meaning() -> None:
    async def scenario(client: RawClient) -> None:
        int16 = await client.lookup("Types.Registers.Int16")
        uint64 = await client.lookup("Types.Registers.UInt64")
        uint16 = await client.lookup("Types.Registers.UInt16")
        # below 2**63 an unsigned number is itself: out of range for an int16
        assert await client.error(Opcode.WRITE, {0: int16, 1: 11, 2: 40000}) == -32105
        assert await client.error(Opcode.WRITE, {0: int16, 1: 11, 2: 2**63 - 1}) == -32105
        # a wrapped number below the type's range is still out of range
        assert await client.error(Opcode.WRITE, {0: int16, 1: 11, 2: unsigned(-40000)}) == -32105
        # an unsigned type takes 2**63 and above as the number it is
        big = unsigned(-32768)
        assert await client.call(Opcode.WRITE, {0: uint64, 1: 11, 2: big}) is None
        assert unwrap((await client.call(Opcode.READ, {0: uint64, 1: [11]}))[11]) == big
        assert await client.error(Opcode.WRITE, {0: uint16, 1: 11, 2: big}) == -32105
        assert await client.error(Opcode.WRITE, {0: uint16, 1: 11, 2: -1}) == -32105

    with Simulator(MODEL) as sim:
        with_client(sim, scenario)
