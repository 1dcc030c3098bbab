"""The meta_data fast path answers exactly as the general path does, or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from xentara_sync.protocol import NIL_UUID, MetaData, Opcode, Request, encode_message
from xentara_sync.simulator import load_model
from xentara_sync.simulator.engine import Engine, Session
from xentara_sync.simulator.fastmeta import answer_meta_data
from xentara_sync.simulator.models import demo_model_path

ITEMS = [
    [MetaData.ATTRIBUTES],
    [MetaData.CATEGORY, MetaData.HAS_CHILDREN],
    [MetaData.PRIMARY_KEY, MetaData.CATEGORY, MetaData.ATTRIBUTES, MetaData.HAS_CHILDREN],
    [MetaData.HAS_CHILDREN, MetaData.ATTRIBUTES],
]


def general(engine: Engine, message: bytes) -> bytes:
    session = Session(engine, None, lambda: None)
    session.fast_reads = False
    session.hello = True
    answer, _ = session.handle(message)
    assert answer is not None
    return answer


@pytest.mark.parametrize("model", ["demo", "signal-sampler"])
@pytest.mark.parametrize("items", ITEMS, ids=lambda items: "-".join(i.name for i in items))
def test_both_paths_give_the_same_bytes(
    model: str, items: list[MetaData], sample_model: Path
) -> None:
    engine = Engine(load_model(demo_model_path() if model == "demo" else sample_model))
    elements = engine.model.elements
    for first_id in (1, 250, 70_000, 2**40):
        requests = [
            Request(first_id + n, Opcode.META_DATA, {0: e.uuid, 1: [int(i) for i in items]})
            for n, e in enumerate(elements)
        ]
        message = encode_message(requests)
        fast = answer_meta_data(engine.by_uuid_bytes, message)
        assert fast is not None
        assert fast == (general(engine, message), len(elements))


@pytest.mark.parametrize(
    "params",
    [
        {0: NIL_UUID, 1: [2]},  # the model root: not in the index
        {0: "not a uuid", 1: [2]},
        {0: None, 1: [2, 2]},  # a repeated item
        {0: None, 1: [4]},  # not a meta_data item
        {0: None, 1: []},
    ],
)
def test_the_general_path_answers_what_the_fast_path_does_not(params: dict[int, object]) -> None:
    engine = Engine(load_model(demo_model_path()))
    element = engine.model.elements[0].uuid
    params = {k: element if v is None else v for k, v in params.items()}
    message = encode_message([Request(1, Opcode.META_DATA, params)])
    assert answer_meta_data(engine.by_uuid_bytes, message) is None


def test_a_mixed_message_or_an_answer_over_the_limit_takes_the_general_path() -> None:
    engine = Engine(load_model(demo_model_path()))
    element = engine.model.elements[0].uuid
    meta = Request(1, Opcode.META_DATA, {0: element, 1: [2]})
    read = Request(2, Opcode.READ, {0: element, 1: [11]})
    assert answer_meta_data(engine.by_uuid_bytes, encode_message([meta, read])) is None
    assert answer_meta_data(engine.by_uuid_bytes, encode_message([meta]), limit=10) is None
    assert answer_meta_data(engine.by_uuid_bytes, encode_message([meta])) is not None
