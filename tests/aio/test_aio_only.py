"""What only the asyncio flavour has, apart from the suite that runs on both flavours.

Everything the two async clients share is tested once, on both, in
``test_async_clients.py``. This test stays here because it rests on asyncio's own
cancellation: ``Task.cancel()`` of a task waiting for an answer must reach that task
as :exc:`asyncio.CancelledError` (the client neither swallows it nor turns it into
an error of its own), and leave no request behind. trio has no task objects to
cancel; its cancel scopes are covered by the shared suite and ``test_trio_only.py``.
So does the request sent at once, which rests on asyncio's queue of ready callbacks.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import OUTPUTS
from tests.core.test_async_clients import pending_requests
from tests.flavours import AsyncioFlavour
from xentara_sync.aio import XentaraClient
from xentara_sync.simulator import Simulator


def test_task_cancel_reaches_the_task_and_leaves_the_client_usable(
    fresh_simulator: Simulator,
) -> None:
    async def main() -> None:
        async with XentaraClient(fresh_simulator.url) as client:
            with fresh_simulator.stalled():
                task = asyncio.create_task(client.read(OUTPUTS[0]))
                await asyncio.sleep(0.1)
                assert not task.done()  # waiting for the stalled server
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                assert task.cancelled()
            assert pending_requests(client) == 0
            assert isinstance(await client.read(OUTPUTS[0]), bool)

    AsyncioFlavour().run(main)


def test_an_awaited_read_leaves_at_once_and_requests_started_together_share_a_message(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read awaited after another is sent without waiting for a turn of the loop
    (two ``select`` calls per read: the answer, then the task resumed; three when the
    request waited for the next turn), while reads started together still leave in
    one message."""

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

    AsyncioFlavour().run(main)
