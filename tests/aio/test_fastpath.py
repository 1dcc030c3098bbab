"""The asyncio flavour's shortcuts through websockets' internals, and their fallback.

:mod:`xentara_sync.aio.fastpath` relies on undocumented parts of websockets. These
tests fail loudly when a tested release breaks an assumption, and check that the
public-API fallback gives the same results and is taken on any other release (older,
as CI's run on the oldest release allowed, or newer: websockets has no upper bound).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.protocol import Protocol
from websockets.version import version

from tests.conftest import OUTPUTS
from xentara_sync.aio import XentaraClient, backend, fastpath
from xentara_sync.simulator import Simulator

#: The oldest websockets release allowed (``setup.cfg``; ``.ci/run`` runs the suite on
#: it): 14.x has no ``proxy=`` argument to ``connect``, which the client passes so that
#: no system proxy stands between it and Xentara. It takes the public path.
OLDEST: Final = (15, 0)

#: The oldest release with ``websockets.trio`` (on Python 3.11+), which the trio extra needs.
OLDEST_WITH_TRIO: Final = (17, 0)


def shortcuts_tested() -> bool:
    """Whether the installed websockets is a release the shortcuts were tested with."""
    release = fastpath._release(version)
    return release is not None and fastpath.TESTED[0] <= release <= fastpath.TESTED[1]


def test_the_installed_websockets_is_a_tested_release_or_takes_the_public_path() -> None:
    if not shortcuts_tested():
        # Another release (older, as CI's run on OLDEST, or newer than TESTED): the
        # shortcuts stay off and the public path runs (the whole suite tests it). The
        # skip says so, so that the shortcuts are tested again before TESTED grows.
        assert not fastpath.available()
        assert not backend.FAST_PATH
        pytest.skip(
            f"websockets {version} is outside the releases the asyncio shortcuts were "
            f"tested with ({fastpath.TESTED}): the public path runs; to use the shortcuts "
            "with it, check xentara_sync/aio/fastpath.py against it and widen TESTED"
        )
    assert fastpath.available()
    assert backend.FAST_PATH


def test_the_internals_the_shortcuts_use_are_there() -> None:
    if not shortcuts_tested():
        pytest.skip(f"websockets {version}: the shortcuts are not used with it")
    assert callable(ClientConnection.process_event)
    assert callable(ClientConnection.send_data)
    assert callable(Protocol.send_binary)
    assert fastpath.DirectConnection.process_event is not ClientConnection.process_event


def test_other_releases_take_the_public_path() -> None:
    assert not fastpath.available("18.0")
    assert not fastpath.available(f"{fastpath.TESTED[1][0]}.{fastpath.TESTED[1][1] + 1}")
    assert not fastpath.available("16.1")
    assert not fastpath.available("garbage")


def exchange(url: str) -> tuple[list[Any], type, int]:
    """Write, read back, read many; the transport type; messages handed over directly."""

    async def main() -> tuple[list[Any], type, int]:
        async with XentaraClient(url) as client:
            transport: Any = client._transport
            direct = 0
            receiver = None
            if isinstance(transport, backend.FastTransport):
                ws: Any = transport._ws
                receiver = ws.receiver

                def counting(data: bytes) -> None:
                    nonlocal direct
                    direct += 1
                    assert receiver is not None
                    receiver(data)

                ws.receiver = counting
            await client.write(OUTPUTS[0], True)
            values = [await client.read(OUTPUTS[0])]
            values.append(await client.read_many(OUTPUTS))
            values.extend(await asyncio.gather(*(client.read(key) for key in OUTPUTS)))
            return values, type(transport), direct

    return asyncio.run(asyncio.wait_for(main(), 30))


def test_shortcuts_and_public_path_give_the_same_answers(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not shortcuts_tested():
        public, public_type, _ = exchange(simulator.url)
        assert public_type is backend.PublicTransport
        assert public[0] is True
        assert public[1] == dict(zip(OUTPUTS, public[2:], strict=True))  # read_many, then each read
        return
    fast, fast_type, direct = exchange(simulator.url)
    assert fast_type is backend.FastTransport
    assert direct >= 4  # every answer came through the receiver, none through recv()
    monkeypatch.setattr(backend, "FAST_PATH", False)
    public, public_type, _ = exchange(simulator.url)
    assert public_type is backend.PublicTransport
    assert public == fast
    assert fast[0] is True


#: Connects with the installed websockets seen as an untested release.
UNTESTED_RELEASE_SCRIPT = """
import asyncio, sys
import websockets.version

websockets.version.version = sys.argv[2]

from xentara_sync.aio import XentaraClient, backend

async def main():
    async with XentaraClient(sys.argv[1]) as client:
        await client.write("Hardware.EtherCAT Bus.EL2624.Output 2", True)
        value = await client.read("Hardware.EtherCAT Bus.EL2624.Output 2")
        print(backend.FAST_PATH, type(client._transport).__name__, value)

asyncio.run(asyncio.wait_for(main(), 30))
"""


@pytest.mark.parametrize("release", ["99.0", "{}.{}".format(*OLDEST)])
def test_an_untested_release_takes_the_public_path(
    fresh_simulator: Simulator, release: str
) -> None:
    # In a process of its own: the choice is made when xentara_sync.aio is imported.
    done = subprocess.run(
        [sys.executable, "-c", UNTESTED_RELEASE_SCRIPT, fresh_simulator.url, release],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "PublicTransport", "True"]


def test_the_dependency_has_a_lower_bound_and_no_upper_one() -> None:
    setup = (Path(__file__).resolve().parents[2] / "setup.cfg").read_text()
    pins = [line.strip() for line in setup.splitlines() if line.strip().startswith("websockets")]
    assert pins == [
        "websockets>={}.{}".format(*OLDEST),
        'websockets>={}.{}; python_version >= "3.11"'.format(*OLDEST_WITH_TRIO),
    ]
    release = fastpath._release(version)
    assert release is not None
    assert release >= OLDEST


def test_the_oldest_release_allowed_takes_the_public_path() -> None:
    assert not fastpath.available("{}.{}".format(*OLDEST))
    assert fastpath.TESTED[0] > OLDEST


def test_an_awaited_read_leaves_at_once_and_requests_started_together_share_a_message(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read awaited after another is sent without waiting for a turn of the loop
    (two ``select`` calls per read: the answer, then the task resumed; three when the
    request waited for the next turn), while reads started together still leave in
    one message. The public path sends from a task of its own, a turn later anyway."""
    if not backend.FAST_PATH:
        pytest.skip(f"websockets {version}: the shortcuts are not used with it")

    async def main() -> None:
        async with XentaraClient(simulator.url) as client:
            selector = asyncio.get_running_loop()._selector  # type: ignore[attr-defined]
            transport: Any = type(client._transport)
            turns = 0
            sent: list[bytes] = []
            select, send_nowait = selector.select, transport.send_nowait

            def counting(timeout: float | None = None) -> object:
                nonlocal turns
                turns += 1
                return select(timeout)

            def sending(self: object, data: bytes) -> None:
                sent.append(data)
                send_nowait(self, data)

            monkeypatch.setattr(selector, "select", counting)  # this loop's only
            monkeypatch.setattr(transport, "send_nowait", sending)
            for _ in range(50):
                await client.read(OUTPUTS[0])
            reads = turns
            sent.clear()
            await asyncio.gather(*(client.read(key) for key in OUTPUTS))
            assert reads <= 50 * 2.4, reads  # three turns a read: 150
            assert len(sent) == 1, sent

    asyncio.run(asyncio.wait_for(main(), 30))


def test_both_ends_read_at_most_64_kib_a_recv(simulator: Simulator) -> None:
    """asyncio's selector transport asks 256 KiB of each ``recv``, above glibc's
    ``mmap`` threshold: each message received would map and unmap a fresh buffer.
    The client's transport and the simulator's read 64 KiB at a time; a message far
    larger still arrives whole."""

    async def main() -> tuple[Any, list[Any], int]:
        async with XentaraClient(simulator.url, None) as client:
            transport = client._transport._ws.transport  # type: ignore[union-attr]
            served = [c.transport for c in simulator._connections]
            keys = [info.key for info in client.elements()] * 40
            values = await client.read_many(keys[:4000], attribute="name")
            return transport, served, len(values)

    transport, served, count = asyncio.run(asyncio.wait_for(main(), 60))
    plain: Any = fastpath._SOCKET_TRANSPORT
    if type(transport) is not plain:
        pytest.skip(f"not asyncio's selector transport: {type(transport).__name__}")
    assert transport.max_size == fastpath.READ_SIZE == 64 * 1024
    assert served and all(t.max_size == 64 * 1024 for t in served if type(t) is plain)
    assert count > 10


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536, 70_000])
def test_a_thread_s_frames_are_what_websockets_reads_each_with_its_own_mask(size: int) -> None:
    from websockets.frames import Frame, Opcode
    from websockets.streams import StreamReader

    connection = object.__new__(fastpath.DirectConnection)  # framing needs no connection
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    frames = [connection._binary_frame(data) for _ in range(fastpath.MASKS_AT_ONCE + 2)]
    masks = set()
    for frame in frames:
        reader = StreamReader()
        reader.feed_data(frame)
        parser = Frame.parse(reader.read_exact, mask=True)
        try:
            next(parser)
        except StopIteration as done:
            parsed = done.value
        else:  # pragma: no cover - the whole frame was fed
            raise AssertionError("the frame is incomplete")
        assert (parsed.opcode, parsed.fin, parsed.data) == (Opcode.BINARY, True, data)
        head = 2 + (0 if size < 126 else 2 if size < 65_536 else 8)
        masks.add(frame[head : head + 4])
        assert len(frame) == head + 4 + size
    # A new mask per frame, also across the refill of the pool (chance of a repeat
    # among 1,026 random 32-bit masks: about 1 in 8,000).
    assert len(masks) >= len(frames) - 1
