"""The simulator encodes a model's whole browse when it loads the model (and again
when it restarts with another), so that the first snapshot does not wait for it."""

from __future__ import annotations

import json
from pathlib import Path

from xentara_sync import XentaraClient
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.fastbrowse import browse_bytes
from xentara_sync.simulator.models import generated_model


def test_the_whole_browse_is_encoded_at_load_and_served(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps(generated_model(300)), encoding="utf-8")
    second.write_text(json.dumps(generated_model(40)), encoding="utf-8")
    with Simulator(first) as sim:
        model = sim._model
        assert model._full_browse_bytes == browse_bytes(model.full_browse())
        with XentaraClient(sim.url, None, timeout=30) as client:
            assert len(client.browse()) == 300  # every element
        sim.restart(second)
        assert sim._model is not model
        assert sim._model._full_browse_bytes == browse_bytes(sim._model.full_browse())
        with XentaraClient(sim.url, None, timeout=30) as client:
            assert [e.key for e in client.browse()] == [e.key for e in sim._model.elements]
