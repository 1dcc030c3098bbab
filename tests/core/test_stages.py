"""Stage commands that rely on no undocumented stage number, in every flavour.

Against :class:`~tests.core.stageserver.StageServer`, a server that numbers the
suspended stage 7 (Xentara documents 0 to 3 only), passes through post-operational
and closes the connection on shutdown without answering, and against the simulator.
"""

from __future__ import annotations

import pytest

from tests.core.stageserver import StageServer
from tests.flavours import FLAVOURS, Flavour
from xentara_sync import InvalidStageChange, RequestTimeout, XentaraClient
from xentara_sync.protocol import Opcode, Stage
from xentara_sync.simulator import Simulator


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


def test_an_unknown_suspended_stage_number(flavour: Flavour) -> None:
    with StageServer(suspended=7, steps=3) as server:

        async def main() -> None:
            async with flavour.XentaraClient(server.url, reconnect=False) as client:
                await client.suspend(timeout=5)
                stage = await client.get_stage()
                assert stage != Stage.OPERATIONAL
                # The server is still on its way (post-operational): the resume is
                # refused, and sent again until the server took the stage 7.
                await client.resume(timeout=5)
                assert await client.get_stage() == Stage.OPERATIONAL
                assert server.commands.count(Opcode.RESUME) >= 1
                while server.stage != 7:  # suspend again, and wait for the number
                    if server.stage == Stage.OPERATIONAL:
                        await client.suspend(timeout=5)
                    await client.get_stage()
                stage = await client.get_stage()
                assert stage == 7 and type(stage) is int
                with pytest.raises(InvalidStageChange):
                    await client.suspend(timeout=5)

        flavour.run(main)


def test_a_server_that_closes_on_shutdown_is_the_expected_end(flavour: Flavour) -> None:
    with StageServer(close_on_shutdown=True) as server:

        async def main() -> None:
            async with flavour.XentaraClient(server.url, reconnect=False) as client:
                await client.shutdown(timeout=5)
                assert server.commands == [Opcode.SHUTDOWN]

        flavour.run(main)


def test_a_resume_that_is_not_possible_still_raises(flavour: Flavour) -> None:
    with StageServer() as server:

        async def main() -> None:
            async with flavour.XentaraClient(server.url, reconnect=False) as client:
                with pytest.raises(InvalidStageChange):
                    await client.resume(timeout=5)  # operational: nothing to resume

        flavour.run(main)


def test_a_suspend_still_operational_at_the_deadline_names_the_stage(flavour: Flavour) -> None:
    with StageServer() as server:
        server._change = lambda opcode: True  # type: ignore[method-assign]  # accepts, stays

        async def main() -> None:
            async with flavour.XentaraClient(server.url, reconnect=False) as client:
                with pytest.raises(RequestTimeout, match="still in stage operational"):
                    await client.suspend(timeout=0.2)

        flavour.run(main)


def test_blocking_suspend_resume_shutdown() -> None:
    with (
        StageServer(suspended=5, steps=2) as server,
        XentaraClient(server.url, reconnect=False) as client,
    ):
        client.suspend(timeout=5)
        client.resume(timeout=5)
        assert client.get_stage() == Stage.OPERATIONAL
        client.shutdown(timeout=5)


def test_simulator_suspend_then_resume_at_once(flavour: Flavour) -> None:
    with Simulator(stage_step=0.05) as sim:

        async def main() -> None:
            async with flavour.XentaraClient(sim.url) as client:
                await client.suspend()
                assert await client.get_stage() != Stage.OPERATIONAL
                await client.resume()
                assert await client.get_stage() == Stage.OPERATIONAL

        flavour.run(main)
