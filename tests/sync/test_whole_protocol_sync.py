"""The blocking client's browse, stage changes, sub-sessions and Bearer tokens."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.conftest import OUTPUTS
from tests.core.test_whole_protocol import SERVICE, USERS
from xentara_sync import (
    AccessDenied,
    AuthenticationFailed,
    ClientClosed,
    InvalidArgument,
    InvalidStageChange,
    SubSessionClosed,
    XentaraClient,
)
from xentara_sync.protocol import Category, Stage
from xentara_sync.simulator import Simulator


@pytest.fixture(scope="module")
def users_simulator() -> Iterator[Simulator]:
    with Simulator(users=USERS) as sim:
        yield sim


def test_browse(simulator: Simulator) -> None:
    with XentaraClient(simulator.url) as client:
        assert client.browse() == client.elements()
        assert [e.key for e in client.browse(depth=1, category=Category.ELEMENT_GROUP)] == [
            "Hardware.Registers"
        ]
        plant = client.browse("Plant", depth=1)  # outside the root: looked up, then browsed
        assert "Plant.Temperature" in [e.key for e in plant]
        assert client["Plant.Temperature"].category == Category.DATA_POINT
        with pytest.raises(InvalidArgument):
            client.browse(depth=-1)


def test_browse_from_many_threads(simulator: Simulator) -> None:
    with XentaraClient(simulator.url) as client:
        expected = client.browse("Hardware.EtherCAT Bus")
        results: list[object] = []

        def work() -> None:
            results.append(client.browse("Hardware.EtherCAT Bus"))

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert results == [expected] * 8


def test_suspend_and_resume(fresh_simulator: Simulator) -> None:
    with XentaraClient(fresh_simulator.url) as client:
        client.suspend()
        assert client.get_stage() in (Stage.POST_OPERATIONAL, Stage.SUSPENDED)
        with pytest.raises(InvalidStageChange):
            client.suspend()
        client.resume()
        assert client.get_stage() == Stage.OPERATIONAL


def test_shutdown(simulator: Simulator) -> None:
    with XentaraClient(simulator.url) as client, pytest.raises(AccessDenied, match="allow_"):
        client.shutdown()
    with Simulator(allow_shutdown=True) as sim, XentaraClient(sim.url, reconnect=False) as client:
        client.shutdown()
        assert sim.stage == Stage.POST_OPERATIONAL


def test_a_sub_session_in_a_with_block(users_simulator: Simulator) -> None:
    with XentaraClient(users_simulator.url, **SERVICE) as client:
        client.write(OUTPUTS[2], True)
        with client.sub_session("viewer", "viewer-pw") as viewer:
            assert viewer.check_access() == (True, False)
            assert viewer.read(OUTPUTS[2]) is True
            with pytest.raises(AccessDenied):
                viewer.write(OUTPUTS[2], False)
            assert "viewer-pw" not in repr(viewer)
        assert viewer.closed
        with pytest.raises(SubSessionClosed):
            viewer.read(OUTPUTS[2])
        service = client.sub_session("service", "service-pw", timeout=5)
        service.write(OUTPUTS[2], False)
        assert client.read(OUTPUTS[2]) is False
        service.close()
        service.close()
        with pytest.raises(AccessDenied) as caught:
            client.sub_session("viewer", "Wr0ng-S3cret")
        assert "Wr0ng" not in str(caught.value)


def test_closing_the_client_closes_its_sub_sessions(users_simulator: Simulator) -> None:
    client = XentaraClient(users_simulator.url, **SERVICE)
    sub = client.sub_session("viewer", "viewer-pw")
    client.close()
    assert sub.closed
    sub.close()  # nothing to send, no error
    with pytest.raises(ClientClosed):
        sub.read(OUTPUTS[0])
    with pytest.raises(ClientClosed):
        client.sub_session("viewer", "viewer-pw")


def test_a_sub_session_does_not_survive_a_reconnection() -> None:
    with Simulator(users=USERS) as sim, XentaraClient(sim.url, **SERVICE) as client:
        sub = client.sub_session("viewer", "viewer-pw")
        sim.disconnect_all()
        deadline = time.monotonic() + 20
        while not (client.reconnects and client.connected) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert client.reconnects
        with pytest.raises(SubSessionClosed, match=r"client\.sub_session"):
            sub.check_access()


def test_a_bearer_token(users_simulator: Simulator) -> None:
    with XentaraClient(users_simulator.url, token="service-token-0123") as client:
        client.write(OUTPUTS[3], True)
        assert client.read(OUTPUTS[3]) is True
        assert "service-token" not in repr(client)
        twin = client.copy()  # the same settings, the token included
        assert twin.read(OUTPUTS[3]) is True
        twin.close()
    with pytest.raises(AuthenticationFailed, match="refused the Bearer token"):
        XentaraClient(users_simulator.url, token="Wr0ng")
    with pytest.raises(InvalidArgument, match="not both"):
        XentaraClient(users_simulator.url, token="service-token-0123", **SERVICE)
