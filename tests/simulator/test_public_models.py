"""Every real model file we have loads, browses, reads and snapshots; templates are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATA
from xentara_sync import XentaraClient
from xentara_sync.protocol import NIL_UUID, AttributeFault, Category, ErrorCode, Opcode, unwrap
from xentara_sync.simulator import ModelError, Simulator, demo_model_path, load_model

from .conftest import with_client
from .rawclient import RawClient

PUBLIC = DATA / "public"
TEMPLATES = sorted(PUBLIC.glob("wago-template-*.json"))
MODELS = [
    *sorted(p for p in PUBLIC.glob("*.json") if p not in TEMPLATES),
    DATA / "signal-sampler.json",
    DATA / "value-types.json",
    demo_model_path(),
]


def test_the_test_data_holds_the_public_models() -> None:
    assert len(MODELS) == 10 and len(TEMPLATES) == 2


@pytest.mark.parametrize("path", MODELS, ids=[p.name for p in MODELS])
def test_a_real_model_loads_browses_and_every_value_reads(path: Path) -> None:
    with Simulator(path) as sim:
        model = sim.model
        assert len(model) > 0

        async def scenario(client: RawClient) -> None:
            tree = await client.call(Opcode.BROWSE, {0: NIL_UUID})
            assert [(e[0], e[1]) for e in tree] == [(e.key, e.uuid) for e in model.elements]
            points = [(e[0], e[1]) for e in tree if e[2] == Category.DATA_POINT]
            assert len(points) == sum(e.category == Category.DATA_POINT for e in model.elements)
            for key, element_uuid in points:
                result = await client.call(Opcode.READ, {0: element_uuid, 1: [11]})
                value = unwrap(result[11])
                if model.by_key[key].table.access[11].readable:
                    assert not isinstance(value, AttributeFault), (key, value)
                else:
                    assert isinstance(value, AttributeFault), key
                    assert value.code == ErrorCode.WRITE_ONLY

        with_client(sim, scenario)


@pytest.mark.parametrize("path", MODELS, ids=[p.name for p in MODELS])
def test_the_twin_of_a_real_model_loads(path: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin.json"
    with Simulator(path) as sim, XentaraClient(sim.url, None) as client:
        result = client.snapshot(twin, root=None)
        original = [(e.key, e.uuid, e.category) for e in sim.model.elements]
    assert not result.skipped
    loaded = load_model(twin)
    assert [(e.key, e.uuid, e.category) for e in loaded.elements] == original


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_a_template_is_refused(path: Path) -> None:
    with pytest.raises(ModelError) as info:
        load_model(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith("children[0]: an element is an object with one key")
    assert "template's placeholder" in text
