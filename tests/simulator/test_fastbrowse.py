"""The full browse of a model, encoded by hand once, gives the general encoder's bytes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from websockets.sync.client import connect

from xentara_sync.protocol import (
    NIL_UUID,
    PROTOCOL_VERSION,
    BrowseParam,
    ClientHelloParam,
    Opcode,
    Request,
    Success,
    decode,
    encode,
    encode_message,
    encode_packet,
)
from xentara_sync.simulator import Simulator, load_model
from xentara_sync.simulator.engine import Engine, Session
from xentara_sync.simulator.fastbrowse import answer_bytes, browse_bytes
from xentara_sync.simulator.models import demo_model_path, generated_model


def odd_model() -> dict[str, object]:
    """Names of every length class and script, so that text heads of each size are used."""
    names = ["x" * 23, "y" * 24, "z" * 200, "Größe €", "温度 センサー", "emoji \U0001f600"]
    return {
        "children": [
            {
                "@Group": {
                    "name": "G",
                    "UUID": str(uuid.UUID(int=1)),
                    "children": [
                        {
                            "@Skill.SignalFlow.Register": {
                                "name": name,
                                "UUID": str(uuid.UUID(int=2 + n)),
                                "defaultValue": ["int32", n],
                            }
                        }
                        for n, name in enumerate(names)
                    ],
                }
            }
        ]
    }


@pytest.mark.parametrize("model", ["demo", "sample", "generated", "odd"])
def test_browse_bytes_are_the_general_encoding(
    model: str, sample_model: Path, tmp_path: Path
) -> None:
    if model == "demo":
        path = demo_model_path()
    elif model == "sample":
        path = sample_model
    else:
        path = tmp_path / "model.json"
        document = generated_model(1_000) if model == "generated" else odd_model()
        path.write_text(json.dumps(document), encoding="utf-8")
    entries = load_model(path).full_browse()
    assert browse_bytes(entries) == encode(entries)


def test_unusual_entries_take_the_general_encoder() -> None:
    element = uuid.UUID(int=5)
    entries = [
        {0: "A", 1: element, 2: 1},
        {2: 1, 0: "B", 1: element},  # another order
        {0: "C", 1: element, 2: 300},  # a category of two bytes
        {0: "D" * 300, 1: element, 2: 1},  # a key of 300 bytes
        {0: "E", 1: str(element), 2: 1},  # a UUID as text
        {0: "F", 1: element},
        [1, 2, 3],
    ]
    assert browse_bytes(entries) == encode(entries)  # type: ignore[arg-type]


def test_answer_bytes_is_the_packet() -> None:
    for message_id in (0, 23, 24, 255, 256, 70_000, 2**40):
        assert answer_bytes(message_id, encode(["a", 1])) == encode_packet(
            Success(message_id, ["a", 1])
        )


def general_browse(engine: Engine, message_id: int) -> bytes:
    """The answer of the general encoder to a browse of the whole model."""
    return encode_message([Success(message_id, engine.model.full_browse())])


def test_the_session_answers_a_whole_browse_with_the_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(generated_model(500)), encoding="utf-8")
    engine = Engine(load_model(path))
    session = Session(engine, None, lambda: None)
    session.hello = True
    for message_id in (1, 300, 1):  # encoded once, then taken as it is
        request = Request(message_id, Opcode.BROWSE, {BrowseParam.ELEMENT: NIL_UUID})
        answer, _ = session.handle(encode_message([request]))
        assert answer == general_browse(engine, message_id)
    # A browse below the root or to a depth is not the whole model's.
    group = engine.model.elements[0].uuid
    request = Request(9, Opcode.BROWSE, {BrowseParam.ELEMENT: group})
    answer, _ = session.handle(encode_message([request]))
    assert answer is not None
    [[_, _, entries]] = decode(answer)
    assert len(entries) == len(engine.model.elements) - 1


def test_a_client_browses_the_whole_model_twice_over_a_socket(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(generated_model(300)), encoding="utf-8")
    expected = load_model(path).full_browse()
    with Simulator(path) as simulator, connect(simulator.url, open_timeout=10) as socket:
        hello: dict[int, int] = {
            ClientHelloParam.MINIMUM_VERSION: PROTOCOL_VERSION,
            ClientHelloParam.MAXIMUM_VERSION: PROTOCOL_VERSION,
        }
        socket.send(encode_message([Request(1, Opcode.CLIENT_HELLO, hello)]))
        [[kind, _, _]] = decode(socket.recv(timeout=10, decode=False))
        assert kind == 1  # success
        for message_id in (2, 3):
            request = Request(message_id, Opcode.BROWSE, {BrowseParam.ELEMENT: NIL_UUID})
            socket.send(encode_message([request]))
            [[_, answered, entries]] = decode(socket.recv(timeout=10, decode=False))
            assert answered == message_id
            assert entries == expected
