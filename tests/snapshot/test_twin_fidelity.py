"""A twin is indistinguishable from its original by metadata and attribute values.

The original: the simulator serving ``tests/data/public/wago-example-8di8do.json``,
an unmodified copy of ``model/example-8di8do.json`` of
github.com/WagoAlex/wago-xentara-example (commit 4ba3b611, MPL-2.0): CoE entries
(type "CoE entry", some with a source time), ``@DataPoint`` elements showing them
(``units``, ``displayName``), a bus, a device, a track, a timer and a pipeline.
The snapshot's twin is served by a second simulator; every element's metadata and
every readable attribute but the time stamps must match.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xentara_sync import XentaraClient
from xentara_sync.protocol import Access, AttributeFault, DataType
from xentara_sync.simulator import Simulator

WAGO = Path(__file__).resolve().parents[1] / "data" / "public" / "wago-example-8di8do.json"
#: Attributes whose values a twin cannot copy: the moments things happened.
TIMES = {DataType.TIME_POINT}


def everything(client: XentaraClient) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Every element's metadata and the values of its readable attributes but times."""
    found: dict[str, tuple[Any, dict[str, Any]]] = {}
    for info in client.browse():
        metadata = client.metadata(info.key)
        names = [
            name
            for name, attribute in metadata.attributes.items()
            if attribute.access is not Access.WRITE_ONLY and attribute.data_type not in TIMES
        ]
        values = client.read_attributes(info.key, names) if names else {}
        found[info.key] = (metadata, values)
    return found


@pytest.mark.parametrize("record", [None, 0.3])
def test_the_twin_of_a_wago_model_has_the_originals_metadata(
    tmp_path: Path, record: float | None
) -> None:
    twin = tmp_path / "twin.json"
    with Simulator(WAGO) as original, XentaraClient(original.url, root_element=None) as client:
        before = everything(client)
        result = client.snapshot(twin, record=record)
    assert result.skipped == {}
    written = json.loads(twin.read_text())
    assert "attributeList" in json.dumps(written)  # the CoE entries' lists differ from a register's
    with Simulator(twin) as copy, XentaraClient(copy.url, root_element=None) as client:
        after = everything(client)
    assert list(after) == list(before)
    for key, (metadata, values) in before.items():
        assert after[key][0] == metadata, key
        assert after[key][1] == values, key
    # what the comparison covers
    point = next(k for k, (m, _) in before.items() if "units" in m.attributes)
    assert {"units", "displayName"} <= set(before[point][1])
    types = {values.get("type") for _, values in before.values()}
    assert "CoE entry" in types
    writable_with_source_time = [
        key
        for key, (m, _) in before.items()
        if "sourceTime" in m.attributes and m.attributes["value"].access is Access.READ_WRITE
    ]
    assert len(writable_with_source_time) >= 8  # the CoE outputs


def test_a_read_error_of_an_attribute_is_the_same_in_the_twin(tmp_path: Path) -> None:
    twin = tmp_path / "twin.json"
    with Simulator(WAGO) as original, XentaraClient(original.url, root_element=None) as client:
        client.snapshot(twin)
        keys = [info.key for info in client.browse()]
        faults = {
            key: client.read_attributes(key, ["error"]).get("error")
            for key in keys
            if "error" in client.metadata(key).attributes
        }
    with Simulator(twin) as copy, XentaraClient(copy.url, root_element=None) as client:
        for key, error in faults.items():
            assert not isinstance(error, AttributeFault)
            assert client.read_attributes(key, ["error"])["error"] == error, key


def test_the_twin_of_a_model_with_signals_has_the_originals_metadata(tmp_path: Path) -> None:
    model = Path(__file__).resolve().parents[1] / "data" / "signal-sampler.json"
    twin = tmp_path / "twin.json"
    with Simulator(model) as original, XentaraClient(original.url, root_element=None) as client:
        before = {info.key: client.metadata(info.key) for info in client.browse()}
        display = client.read("Semantic Sampler.Pulse", attribute="displayName")
        client.snapshot(twin)
    with Simulator(twin) as copy, XentaraClient(copy.url, root_element=None) as client:
        after = {info.key: client.metadata(info.key) for info in client.browse()}
        assert client.read("Semantic Sampler.Pulse", attribute="displayName") == display
        assert client.read("Sampler.Pulse.type") == "signal generator signal"
    assert after == before
    assert display == "A synthetic pulse wave"
