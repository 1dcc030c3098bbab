"""A snapshot's chunks in bulk: requests framed at once, each answer message taken
whole; whatever a server does with the order of answers, or mixes in, gives the
same twin."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from pathlib import Path
from typing import Any

import cbor2
import pytest

from tests.conftest import DATA
from tests.flavours import FLAVOURS, Flavour
from xentara_sync import XentaraClient
from xentara_sync.aio.backend import AsyncioBackend
from xentara_sync.core.pipeline import _Batch
from xentara_sync.protocol import Failure, Success, encode_message
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.faults import Proxy
from xentara_sync.snapshot import SnapshotResult, SnapshotWarning

MODEL = DATA / "value-types.json"  # static values: two twins of it are equal


def packets_of(message: bytes) -> list[bytes]:
    """The packets of *message*, each as its own bytes."""
    stream = io.BytesIO(message)
    decoder = cbor2.CBORDecoder(stream)
    head = message[0]
    width = {24: 1, 25: 2, 26: 4, 27: 8}.get(head & 31, 0)
    count = int.from_bytes(message[1 : 1 + width], "big") if width else head & 31
    stream.seek(1 + width)
    parts = []
    for _ in range(count):
        start = stream.tell()
        decoder.decode()
        parts.append(message[start : stream.tell()])
    return parts


def message_of(parts: list[bytes]) -> bytes:
    return cbor2.dumps([None] * len(parts))[: -len(parts)] + b"".join(parts)


def reversed_answers(message: bytes) -> bytes:
    """The answers of *message* in the opposite order."""
    return message_of(packets_of(message)[::-1])


def with_strays(message: bytes) -> bytes:
    """*message*, its answers reversed, with an answer to no request and a
    failure of another inside."""
    parts = packets_of(message)[::-1]
    stray = encode_message([Success(9_999_999, {2: []}), Failure(9_999_998, -32100, "gone")])
    return message_of([*parts[:1], *packets_of(stray), *parts[1:]])


def twin_of(url: str, path: Path) -> SnapshotResult:
    with XentaraClient(url, None, timeout=30) as client:
        return client.snapshot(path)


@pytest.mark.parametrize("rewrite", [reversed_answers, with_strays])
def test_answers_in_any_order_and_strays_give_the_same_twin(
    rewrite: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    direct, proxied = tmp_path / "direct.json", tmp_path / "proxied.json"
    with Simulator(MODEL) as original:
        first = twin_of(original.url, direct)
        with Proxy(original.url, rewrite) as proxy, caplog.at_level(logging.WARNING):
            second = twin_of(proxy.url, proxied)
    assert first.elements == second.elements > 10 and not second.skipped
    assert proxied.read_bytes() == direct.read_bytes()


@pytest.mark.parametrize("flavour", FLAVOURS, ids=lambda f: f.name)
def test_failures_mixed_into_a_chunk_fail_their_elements_alone(
    flavour: Flavour, tmp_path: Path
) -> None:
    """The server refuses the meta_data of one register and the read of another,
    in the middle of answers taken whole, in every flavour."""
    with Simulator(MODEL) as original:
        with XentaraClient(original.url, None) as client:
            keys = [e.key for e in client.browse() if e.category.name == "DATA_POINT"]
            no_metadata, no_read = (client.element_info(k).uuid for k in keys[2:4])
        refused = {keys[2]: "meta_data refused", keys[3]: "read refused"}
        with _refusing(original, no_metadata, no_read):
            path = tmp_path / f"{flavour.name}.json"

            async def main() -> SnapshotResult:
                async with flavour.XentaraClient(original.url, None) as client:
                    return await client.snapshot(path)

            with pytest.warns(SnapshotWarning) as caught:
                result = flavour.run(main)
    assert set(result.skipped) == set(refused)
    for key, reason in refused.items():
        assert result.skipped[key].startswith(reason), result.skipped
    assert len(caught) == 2
    text = path.read_text(encoding="utf-8")
    assert all(f'"{key.rpartition(".")[2]}"' not in text for key in refused)


class _refusing:
    """The simulator's handlers refuse the meta_data of one element and the read of
    another (the read fast path off, so that every read goes through them)."""

    def __init__(self, sim: Simulator, no_metadata: uuid.UUID, no_read: uuid.UUID) -> None:
        self.patch = pytest.MonkeyPatch()
        self.sim, self.no_metadata, self.no_read = sim, no_metadata, no_read

    def __enter__(self) -> None:
        from xentara_sync.protocol import ErrorCode, Opcode
        from xentara_sync.simulator import engine
        from xentara_sync.simulator.engine import Session
        from xentara_sync.simulator.params import Fail

        meta_data, read = Session.meta_data, Session.read
        no_metadata, no_read = self.no_metadata, self.no_read

        def refuse_meta_data(session: Session, params: Any) -> Any:
            if params.get(0) == no_metadata:
                raise Fail(ErrorCode.ACCESS_DENIED, "access denied: not for you")
            return meta_data(session, params)

        def refuse_read(session: Session, params: Any) -> Any:
            if params.get(0) == no_read:
                raise Fail(ErrorCode.READ_ERROR, "read error: sensor unplugged")
            return read(session, params)

        self.patch.setattr(Session, "fast_reads", False)
        self.patch.setitem(engine._HANDLERS, Opcode.META_DATA, refuse_meta_data)
        self.patch.setitem(engine._HANDLERS, Opcode.READ, refuse_read)

    def __exit__(self, *exc: object) -> None:
        self.patch.undo()


def test_a_batch_takes_its_answers_of_a_message_and_returns_the_rest() -> None:
    async def scenario() -> None:
        backend = AsyncioBackend()
        taken: list[tuple[int, Any]] = []
        waiter = backend.create_waiter()
        batch = _Batch(waiter, 3, lambda index, packet: taken.append((index, packet)), {})
        batch.places = {10: 0, 11: 1, 12: 2}
        message = encode_message(
            [Success(12, "c"), Success(99, "stray"), Failure(11, -32108, "no"), Success(12, "x")]
        )
        rest = batch.take_message(message)
        assert taken == [(2, Success(12, "c"))]  # the second answer to 12 is ignored
        assert rest == [Success(99, "stray"), Failure(11, -32108, "no")]
        assert not waiter.done()
        batch.set_result(Failure(11, -32108, "no"))  # as the session hands it back
        assert batch.take_message(encode_message([Success(10, "a")])) == []
        assert [index for index, _ in taken] == [2, 1, 0]
        assert await waiter.wait(1.0) == [None, None, None]

        def broken(index: int, packet: Any) -> None:
            raise ValueError("a broken answer")

        failing = backend.create_waiter()
        batch = _Batch(failing, 1, broken, {})
        batch.places = {13: 0}
        assert batch.take_message(encode_message([Success(13, "x")])) == []
        with pytest.raises(ValueError, match="a broken answer"):
            await failing.wait(1.0)
        assert batch.take_message(b"\x01") is None  # not taken: the careful path's

    asyncio.run(scenario())
