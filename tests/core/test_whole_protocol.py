"""browse with depth and categories, stage changes, sub-sessions and Bearer tokens.

The async flavours against the real simulator (each test runs on asyncio and on
trio through the ``flavour`` fixture); the blocking client's twins are in
``test_whole_protocol_sync.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import OUTPUTS
from tests.flavours import FLAVOURS, Flavour
from xentara_sync import (
    AccessDenied,
    AuthenticationFailed,
    InvalidArgument,
    InvalidStageChange,
    SubSessionClosed,
    UnknownElement,
    UsageError,
)
from xentara_sync.protocol import Category, Stage
from xentara_sync.simulator import Simulator, User

#: The connection's user may do everything; the others are logged in as sub-sessions.
USERS = [
    User("service", "service-pw", token="service-token-0123"),
    User("viewer", "viewer-pw", write=False),
    User("blind", "blind-pw", read=False, write=False),
    User("dashboard", token="dashboard-token-4567", write=False),
]
SERVICE: dict[str, Any] = {"username": "service", "password": "service-pw"}


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def users_simulator() -> Iterator[Simulator]:
    with Simulator(users=USERS) as sim:
        yield sim


# --------------------------------------------------------------------------- browse


def test_browse_defaults_to_the_whole_subtree_of_the_root(
    flavour: Flavour, simulator: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            found = await client.browse()
            assert [e.key for e in found] == client.keys()  # the root's every descendant
            assert found == client.elements()

    flavour.run(main)


def test_browse_one_level_and_a_category_filter(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            children = await client.browse(depth=1)
            assert [e.key for e in children] == [
                "Hardware.EtherCAT Bus",
                "Hardware.Signals",
                "Hardware.Fast Signals",
                "Hardware.Registers",
            ]
            bus = await client.browse("Hardware.EtherCAT Bus", depth=2, category="data_point")
            assert [e.key for e in bus] == [
                *OUTPUTS,
                *[f"Hardware.EtherCAT Bus.EL1004.Input {n}" for n in range(1, 5)],
                "Hardware.EtherCAT Bus.EL3102.Channel 1",
                "Hardware.EtherCAT Bus.EL3102.Channel 2",
            ]
            assert (
                await client.browse("Hardware.EtherCAT Bus", depth=1, category="data_point") == []
            )
            assert {e.category for e in bus} == {Category.DATA_POINT}
            two = await client.browse(category=[Category.DEVICE, "element_group"])
            assert {e.category for e in two} == {Category.DEVICE, Category.ELEMENT_GROUP}
            assert await client.browse(OUTPUTS[0]) == []  # a leaf has no descendants

    flavour.run(main)


def test_browse_outside_the_root_teaches_the_client_those_keys(
    flavour: Flavour, simulator: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            assert "Plant.Temperature" not in client
            with pytest.raises(UnknownElement):
                client["Plant.Temperature"]
            plant = await client.browse("Plant")
            assert "Plant.Temperature" in [e.key for e in plant]
            info = client.element_info("Plant.Temperature")  # known now, no look-up
            assert info.category == Category.DATA_POINT
            assert client["Plant.Temperature"].uuid == info.uuid
            assert "Plant.Temperature" not in list(client)  # keys() stays the root's

    flavour.run(main)


def test_browse_of_the_model_root_without_a_root_element(
    flavour: Flavour, simulator: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url, root_element=None) as client:
            top = await client.browse(depth=1)
            assert [e.key for e in top] == ["Hardware", "Plant", "Sampling", "Logger"]

    flavour.run(main)


def test_browse_refuses_bad_arguments_before_sending(
    flavour: Flavour, simulator: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            with pytest.raises(InvalidArgument, match="depth must be an int from 1 to 4294967295"):
                await client.browse(depth=0)
            with pytest.raises(TypeError, match="depth must be an int"):
                await client.browse(depth=True)
            with pytest.raises(InvalidArgument, match="unknown category 'sensor'"):
                await client.browse(category="sensor")
            with pytest.raises(InvalidArgument, match="at least one category"):
                await client.browse(category=[])
            with pytest.raises(UnknownElement) as caught:
                await client.browse("Hardware.EtherCAT Bux")
            assert "Hardware.EtherCAT Bus" in caught.value.suggestions

    flavour.run(main)


# --------------------------------------------------------------------------- stages


def test_suspend_and_resume(flavour: Flavour, fresh_simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(fresh_simulator.url) as client:
            await client.suspend()
            assert await client.get_stage() in (Stage.POST_OPERATIONAL, Stage.SUSPENDED)
            with pytest.raises(InvalidStageChange, match="suspend in stage"):
                await client.suspend()
            await client.resume()
            assert await client.get_stage() == Stage.OPERATIONAL
            with pytest.raises(InvalidStageChange):
                await client.resume()

    flavour.run(main)


def test_a_suspend_returns_once_the_server_left_operation(flavour: Flavour) -> None:
    with Simulator(stage_step=30.0) as sim:  # the server stays post-operational

        async def main() -> None:
            async with flavour.XentaraClient(sim.url) as client:
                await client.suspend(timeout=5)
                assert await client.get_stage() == Stage.POST_OPERATIONAL
                with pytest.raises(InvalidStageChange):  # still on its way after 0.3 s
                    await client.resume(timeout=0.3)

        flavour.run(main)


def test_shutdown_is_refused_unless_allowed(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            with pytest.raises(AccessDenied, match="allow_shutdown"):
                await client.shutdown()
            assert simulator.serving

    flavour.run(main)


def test_shutdown_stops_a_simulator_that_allows_it(flavour: Flavour) -> None:
    with Simulator(allow_shutdown=True) as sim:

        async def main() -> None:
            async with flavour.XentaraClient(sim.url, reconnect=False) as client:
                await client.shutdown()
                assert sim.stage == Stage.POST_OPERATIONAL
                for _ in range(500):  # the server closes the connection after answering
                    if not client.connected:
                        break
                    await flavour.sleep(0.01)
                assert not client.connected

        flavour.run(main)


# --------------------------------------------------------------------------- sub-sessions


def test_a_sub_session_acts_with_its_users_rights(
    flavour: Flavour, users_simulator: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(users_simulator.url, **SERVICE) as client:
            await client.write(OUTPUTS[0], True)
            async with client.sub_session("viewer", "viewer-pw") as viewer:
                assert isinstance(viewer.id, uuid.UUID)
                assert await viewer.check_access() == (True, False)
                assert await viewer.read(OUTPUTS[0]) is True
                with pytest.raises(AccessDenied, match="no write right"):
                    await viewer.write(OUTPUTS[0], False)
                with pytest.raises(AccessDenied):
                    await viewer.suspend()
            assert viewer.closed
            async with client.sub_session("blind", "blind-pw") as blind:
                assert await blind.check_access() == (False, False)
                with pytest.raises(AccessDenied, match="'blind' may not read") as caught:
                    await blind.read(OUTPUTS[0])
                assert caught.value.element == OUTPUTS[0]
            service = await client.sub_session("service", "service-pw")
            await service.write(OUTPUTS[0], False)
            assert await client.read(OUTPUTS[0]) is False
            await service.close()
            await service.close()  # idempotent
            with pytest.raises(SubSessionClosed, match="open a new one"):
                await service.read(OUTPUTS[0])

    flavour.run(main)


def test_a_sub_session_with_a_wrong_password_is_refused_without_showing_it(
    flavour: Flavour, users_simulator: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(users_simulator.url, **SERVICE) as client:
            sub = client.sub_session("viewer", "Wr0ng-S3cret")
            assert "Wr0ng" not in repr(sub)
            with pytest.raises(AccessDenied) as caught:
                await sub.open()
            assert "Wr0ng" not in str(caught.value) and "viewer" in str(caught.value)
            assert sub.closed
            with pytest.raises(SubSessionClosed):
                await sub.open()  # the password is gone: make a new one
            with pytest.raises(TypeError):
                client.sub_session("viewer", None)

    flavour.run(main)


def test_a_sub_session_must_be_opened_before_use(
    flavour: Flavour, users_simulator: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(users_simulator.url, **SERVICE) as client:
            sub = client.sub_session("viewer", "viewer-pw")
            with pytest.raises(UsageError, match="not open yet"):
                await sub.read(OUTPUTS[0])
            await sub.close()

    flavour.run(main)


def test_closing_the_client_closes_its_sub_sessions(
    flavour: Flavour, users_simulator: Simulator
) -> None:
    async def main() -> None:
        client = await flavour.XentaraClient(users_simulator.url, **SERVICE)
        sub = await client.sub_session("viewer", "viewer-pw")
        states = [sub.closed]
        await client.close()
        states.append(sub.closed)
        assert states == [False, True]
        with pytest.raises(SubSessionClosed, match="closed with its client"):
            await sub.check_access()
        await sub.close()  # nothing to send

    flavour.run(main)


def test_a_sub_session_does_not_survive_a_reconnection(flavour: Flavour) -> None:
    with Simulator(users=USERS) as sim:

        async def main() -> None:
            async with flavour.XentaraClient(sim.url, **SERVICE) as client:
                sub = await client.sub_session("viewer", "viewer-pw")
                before = client.reconnects
                sim.disconnect_all()
                for _ in range(500):
                    if client.reconnects > before and client.connected:
                        break
                    await flavour.sleep(0.01)
                assert client.reconnects > before
                assert sub.closed
                with pytest.raises(SubSessionClosed, match="reconnection does not restore"):
                    await sub.read(OUTPUTS[0])
                async with client.sub_session("viewer", "viewer-pw") as again:
                    assert await again.check_access() == (True, False)

        flavour.run(main)


# --------------------------------------------------------------------------- Bearer tokens


def test_a_bearer_token_authenticates(flavour: Flavour, users_simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(
            users_simulator.url, token="dashboard-token-4567"
        ) as client:
            assert await client.read(OUTPUTS[1]) in (True, False)
            assert "dashboard-token" not in repr(client)
            with pytest.raises(AccessDenied):  # the dashboard may not write
                await client.write(OUTPUTS[1], True)

    flavour.run(main)


def test_a_wrong_token_is_refused_like_a_wrong_password(
    flavour: Flavour, users_simulator: Simulator
) -> None:
    async def main() -> None:
        with pytest.raises(AuthenticationFailed, match="refused the Bearer token") as caught:
            await flavour.XentaraClient(users_simulator.url, token="Wr0ng-t0ken")
        assert "Wr0ng" not in str(caught.value)

    flavour.run(main)


def test_a_token_and_a_password_together_are_refused(flavour: Flavour) -> None:
    with pytest.raises(InvalidArgument, match="not both") as caught:
        flavour.XentaraClient("ws://127.0.0.1:1/api/ws", token="t0ken-x", **SERVICE)
    assert "t0ken-x" not in str(caught.value)
    with pytest.raises(InvalidArgument, match="not both"):
        flavour.XentaraClient("ws://service:pw@127.0.0.1:1/api/ws", token="t0ken-x")
