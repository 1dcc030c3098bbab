"""What only the asyncio flavour has, apart from the suite that runs on both flavours.

Everything the two async clients share is tested once, on both, in
``test_async_clients.py``. This test stays here because it rests on asyncio's own
cancellation: ``Task.cancel()`` of a task waiting for an answer must reach that task
as :exc:`asyncio.CancelledError` (the client neither swallows it nor turns it into
an error of its own), and leave no request behind. trio has no task objects to
cancel; its cancel scopes are covered by the shared suite and ``test_trio_only.py``.
"""

from __future__ import annotations

import asyncio

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
