"""Any attribute an element's metadata lists, by its name, in every flavour.

``units`` and ``displayName`` are data point attributes without a number in the
protocol: the client finds their UUIDs in the element's metadata. The simulator
serves them for ``@DataPoint`` elements as Xentara's data point page describes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flavours import FLAVOURS, Flavour
from xentara_sync import MissingAttribute, ReadOnly, XentaraClient
from xentara_sync.simulator import Simulator

MODEL = {
    "children": [
        {
            "@Group": {
                "name": "Plant",
                "UUID": "5b8a3c1e-0f2d-4e6a-9c7b-1d2e3f405162",
                "children": [
                    {
                        "@Skill.SignalFlow.Register": {
                            "name": "Raw",
                            "UUID": "5b8a3c1e-0f2d-4e6a-9c7b-1d2e3f405163",
                            "defaultValue": ["float64", 21.5],
                        }
                    },
                    {
                        "@DataPoint": {
                            "name": "Temperature",
                            "UUID": "5b8a3c1e-0f2d-4e6a-9c7b-1d2e3f405164",
                            "units": "°C",
                            "displayName": "Exhaust temperature",
                            "io": "Plant.Raw",
                        }
                    },
                    {
                        "@DataPoint": {
                            "name": "Plain",
                            "UUID": "5b8a3c1e-0f2d-4e6a-9c7b-1d2e3f405165",
                            "io": "Plant.Raw",
                        }
                    },
                ],
            }
        }
    ]
}
POINT = "Plant.Temperature"


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(MODEL) as simulator:
        yield simulator


def test_units_and_display_name_by_name(flavour: Flavour, sim: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(sim.url, root_element=None) as client:
            metadata = await client.metadata(POINT)
            units = metadata.attribute("units")
            assert units is not None and isinstance(units.id, uuid.UUID)
            assert await client.read(POINT, attribute="units") == "°C"
            assert await client.read(f"{POINT}.displayName") == "Exhaust temperature"
            assert await client.read(f"{POINT}.displayName") == "Exhaust temperature"  # cached
            # omitted in the model: an empty string, and the primary key
            assert await client.read("Plant.Plain", attribute="units") == ""
            assert await client.read("Plant.Plain.displayName") == "Plant.Plain"
            assert await client.read("Plant.Plain", attribute="key") == "Plant.Plain"
            both = await client.read_attributes(POINT, ["value", "units", "displayName"])
            assert both == {"value": 21.5, "units": "°C", "displayName": "Exhaust temperature"}
            many = await client.read_many([POINT, "Plant.Plain"], attribute="units")
            assert many == {POINT: "°C", "Plant.Plain": ""}
            async with client.subscribe(POINT, None, None, attribute="displayName") as sub:
                event = await sub.receive(5)
                assert event.value == "Exhaust temperature" and event.name == POINT
            with pytest.raises(ReadOnly):
                await client.write(POINT, "K", attribute="units")
            with pytest.raises(MissingAttribute, match=r"did you mean 'units'.*displayName"):
                await client.read(POINT, attribute="unit")
            with pytest.raises(MissingAttribute, match="did you mean 'units'"):
                await client.write(POINT, "K", attribute="unit")
            with pytest.raises(MissingAttribute, match="its attributes: key, name"):
                async with client.subscribe(POINT, None, None, attribute="colour"):
                    pass
            # registers list no error attributes (the register page has none)
            register = await client.metadata("Plant.Raw")
            assert "error" not in register.attributes and "units" not in register.attributes

    flavour.run(main)


def test_blocking_client_by_name(sim: Simulator, tmp_path: Path) -> None:
    with XentaraClient(sim.url, root_element=None) as client:
        assert client.read(POINT, attribute="units") == "°C"
        assert client.read(f"{POINT}.units") == "°C"
        assert client.read_many([POINT], attribute="displayName") == {POINT: "Exhaust temperature"}
        with pytest.raises(MissingAttribute, match="its attributes"):
            client.read(POINT, attribute="nope")
