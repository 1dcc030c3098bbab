"""``read_many`` of the blocking client takes its answer message whole: one
decoding, no packet object and delivery each. Whatever a server does with the order
of the answers, or mixes in (strays, failures, events), the result is the same as
read one by one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.snapshot.test_snapshot_bulk import message_of, packets_of, reversed_answers, with_strays
from xentara_sync import XentaraClient
from xentara_sync.exceptions import XentaraError
from xentara_sync.protocol import (
    Category,
    DataChange,
    Failure,
    Success,
    TimePoint,
    encode_message,
)
from xentara_sync.protocol.session import parse_message
from xentara_sync.simulator import Simulator, generated_model
from xentara_sync.simulator.faults import Proxy
from xentara_sync.sync import bridge

KEYS = 40


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import json

    path = tmp_path_factory.mktemp("model") / "generated.json"
    path.write_text(json.dumps(generated_model(KEYS + 5)), encoding="utf-8")
    return path


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many answer messages a batch took whole (the real method runs)."""
    counts: list[int] = []
    original = bridge.BatchWaiter.take_message

    def counting(self: bridge.BatchWaiter, data: bytes) -> Any:
        rest = original(self, data)
        if rest is not None:
            counts.append(len(data))
        return rest

    monkeypatch.setattr(bridge.BatchWaiter, "take_message", counting)
    return counts


def keys_of(client: XentaraClient) -> list[str]:
    points = [info.key for info in client.elements(Category.DATA_POINT)]
    assert len(points) >= KEYS
    return points[:KEYS]


def one_by_one(url: str) -> dict[str, Any]:
    with XentaraClient(url, None, timeout=10) as client:
        return {key: client.read(key) for key in keys_of(client)}


@pytest.mark.parametrize("rewrite", [lambda data: data, reversed_answers, with_strays])
def test_read_many_equals_reads_one_by_one(rewrite: Any, model: Any, taken: list[int]) -> None:
    with Simulator(model) as simulator:
        expected = one_by_one(simulator.url)
        with Proxy(simulator.url, rewrite) as proxy, XentaraClient(proxy.url, None) as client:
            keys = keys_of(client)
            taken.clear()
            assert client.read_many(keys) == expected
            assert client.read_many(keys[:3]) == {key: expected[key] for key in keys[:3]}
    assert len(taken) == 1  # the 40 answers in one message; 3 are delivered one by one


def failing_third(message: bytes) -> bytes:
    """*message* with its third answer a failure, if it holds many answers."""
    parts = packets_of(message)
    if len(parts) < 8:
        return message
    answer = parse_message(message_of(parts[2:3]))[0]
    assert isinstance(answer, Success)
    message_id = answer.message_id
    parts[2] = encode_message([Failure(message_id, -32100, "element gone")])[1:]
    return message_of(parts)


def test_a_failure_within_raises_for_its_key(model: Any, taken: list[int]) -> None:
    with (
        Simulator(model) as simulator,
        Proxy(simulator.url, failing_third) as proxy,
        XentaraClient(proxy.url, None, timeout=10) as client,
    ):
        keys = keys_of(client)
        with pytest.raises(XentaraError, match="element gone") as failure:
            client.read_many(keys)
        assert keys[2] in str(failure.value)
        assert client.read_many(keys[:2]) == {key: client.read(key) for key in keys[:2]}
    assert taken  # the failure came in a message taken whole


def test_an_event_within_reaches_its_subscription(model: Any, taken: list[int]) -> None:
    element: list[uuid.UUID] = []

    def with_event(message: bytes) -> bytes:
        parts = packets_of(message)
        if len(parts) < 8 or not element:
            return message
        change = DataChange(TimePoint(1_700_000_000_000_000_000), element[0], {11: 123.5})
        return message_of([*parts[:5], encode_message([change])[1:], *parts[5:]])

    with (
        Simulator(model) as simulator,
        Proxy(simulator.url, with_event) as proxy,
        XentaraClient(proxy.url, None, timeout=10) as client,
    ):
        keys = keys_of(client)
        watched = keys[-1]
        element.append(client.element_info(watched).uuid)
        with client.subscribe(watched, None, None) as subscription:
            before = len(taken)
            values = client.read_many(keys)
            assert len(values) == KEYS and len(taken) == before + 1
            for event in subscription:
                if event.value == 123.5:
                    assert event.name == watched
                    assert event.timestamp == 1_700_000_000.0
                    break
