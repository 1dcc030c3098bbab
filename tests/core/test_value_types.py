"""The client with every value type, in every flavour, against the real simulator.

Time stamps read as :class:`TimePoint` and take ``TimePoint`` or ``datetime``;
UUIDs read as :class:`uuid.UUID` and take only ``uuid.UUID``. The client's checks
are the simulator's (``protocol/valuecheck.py``): an integral float is written to
an integer point as an int, 3.5 is an illegal value, 10**400 out of range.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flavours import FLAVOURS, Flavour
from xentara_sync import IllegalValue, OutOfRange, TypeMismatch, XentaraClient
from xentara_sync.protocol import TimePoint
from xentara_sync.simulator import Simulator

MODEL = Path(__file__).resolve().parents[1] / "data" / "value-types.json"
STAMP = "Types.Registers.Stamp"
ID = "Types.Registers.Id"
INT16 = "Types.Registers.Int16"
FLOAT64 = "Types.Registers.Float64"
DEFAULT_STAMP = TimePoint(1_704_107_471_111_587_983)
DEFAULT_ID = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")


@pytest.fixture(scope="module")
def types_sim() -> Iterator[Simulator]:
    with Simulator(MODEL) as simulator:
        yield simulator


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


def test_time_stamp_and_uuid_points_async(flavour: Flavour, types_sim: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(types_sim.url, root_element="Types") as client:
            stamp = await client.read(STAMP)
            assert type(stamp) is TimePoint and stamp == DEFAULT_STAMP
            ident = await client.read(ID)
            assert type(ident) is uuid.UUID and ident == DEFAULT_ID
            when = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.timezone.utc)
            await client.write(STAMP, when)
            assert await client.read(STAMP) == TimePoint.from_datetime(when)
            await client.write(STAMP, TimePoint.MAX)
            assert await client.read(STAMP) == TimePoint.MAX
            fresh = uuid.uuid4()
            await client.write(ID, fresh)
            assert await client.read(ID) == fresh
            with pytest.raises(TypeMismatch, match=r"pass uuid\.UUID\(text\)"):
                await client.write(ID, str(fresh))
            with pytest.raises(TypeMismatch, match="TimePoint or datetime"):
                await client.write(STAMP, "2025-06-01T08:30:00Z")
            await client.write(STAMP, DEFAULT_STAMP)
            await client.write(ID, DEFAULT_ID)

    flavour.run(main)


def test_integral_floats_and_overflow_async(flavour: Flavour, types_sim: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(types_sim.url, root_element="Types") as client:
            await client.write(INT16, 3.0)
            value = await client.read(INT16)
            assert value == 3 and type(value) is int
            with pytest.raises(IllegalValue, match=r"3\.5 is not an integer, as int16") as bad:
                await client.write(INT16, 3.5)
            assert isinstance(bad.value, ValueError) and bad.value.element == INT16
            with pytest.raises(OutOfRange, match="outside the range of float64") as big:
                await client.write(FLOAT64, 10**400)
            assert big.value.element == FLOAT64
            assert types_sim.get_value(INT16) == 3
            await client.write(INT16, -300)

    flavour.run(main)


def test_value_types_blocking(types_sim: Simulator) -> None:
    with XentaraClient(types_sim.url, root_element="Types", timeout=10) as client:
        assert client.read(STAMP) == DEFAULT_STAMP
        assert client.read(ID) == DEFAULT_ID
        naive = dt.datetime(2025, 6, 1, 8, 30)  # naive means UTC
        client.write(STAMP, naive)
        assert client.read(STAMP) == TimePoint.from_datetime(naive.replace(tzinfo=dt.timezone.utc))
        client.write(STAMP, TimePoint.MIN)
        assert client.read(STAMP) == TimePoint.MIN
        client.write(INT16, 7.0)
        assert types_sim.get_value(INT16) == 7
        with pytest.raises(IllegalValue):
            client.write(INT16, 7.25)
        with pytest.raises(OutOfRange):
            client.write(FLOAT64, 10**400)
        with pytest.raises(TypeMismatch):
            client.write(ID, str(DEFAULT_ID))
        client.write(STAMP, DEFAULT_STAMP)
        client.write(INT16, -300)
