"""Simulator.reset() (the model's default values again, nobody dropped) and the users a
sub-session may log in as, with and without users for connections."""

from __future__ import annotations

import time

import pytest

from xentara_sync import AccessDenied, XentaraClient
from xentara_sync.protocol import Quality, Stage
from xentara_sync.simulator import Simulator, User, generated_model

OUTPUT = "Hardware.EtherCAT Bus.EL2624.Output 1"
INPUT = "Hardware.EtherCAT Bus.EL1004.Input 1"
COUNTER = "Hardware.Registers.Counter"
SINE = "Hardware.Signals.Sine"


def test_reset_restores_values_and_keeps_connections_and_subscriptions() -> None:
    with Simulator() as sim, XentaraClient(sim.url, timeout=5) as client:
        client.write(OUTPUT, True)
        client.write(COUNTER, 41)
        sim.set_value(INPUT, True)
        with client.subscribe(COUNTER, None, None) as subscription:
            assert subscription.receive(5).value == 41  # the current value first
            sim.reset()
            assert subscription.receive(5).value == 0  # subscribers see the reset
            assert subscription.active
        assert sim.connection_count == 1
        assert client.read(OUTPUT) is False
        assert client.read(COUNTER) == 0
        assert client.read(INPUT) is False
        assert client.read_many([OUTPUT, COUNTER, INPUT]) == {
            OUTPUT: False,
            COUNTER: 0,
            INPUT: False,
        }


def test_reset_restores_the_stage_quality_and_releases_held_requests() -> None:
    model = generated_model(3)
    with Simulator(model) as sim, XentaraClient(sim.url, root_element=None, timeout=5) as client:
        client.suspend()
        deadline = time.monotonic() + 5
        while sim.stage is not Stage.SUSPENDED and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sim.stage is Stage.SUSPENDED
        point = sim.model.by_key["Hardware.Group 0001.Point 001"].point
        assert point is not None
        point.quality = int(Quality.BAD)
        sim.stall()
        sim.reset()
        stage: Stage = sim.stage  # changed by reset(), which mypy cannot see
        assert stage is Stage.OPERATIONAL
        assert client.read("Hardware.Group 0001.Point 001", attribute="quality") == Quality.GOOD


def test_reset_leaves_signals_to_their_clock_and_is_cheap_to_repeat() -> None:
    with Simulator() as sim, XentaraClient(sim.url, timeout=5) as client:
        before = client.read(COUNTER)
        for _ in range(3):
            sim.reset()
        assert client.read(COUNTER) == before
        assert isinstance(client.read(SINE), float)


def test_reset_after_restart_uses_the_new_model_defaults() -> None:
    with Simulator() as sim:
        sim.restart(generated_model(5))
        key = "Hardware.Group 0001.Point 003"
        sim.set_value(key, 9)
        sim.reset()
        assert sim.get_value(key) == 0


def test_sub_session_users_without_connection_users() -> None:
    with (
        Simulator(sub_session_users={"operator": "op/pw#1?"}) as sim,
        XentaraClient(sim.url, timeout=5) as client,  # no credentials needed
    ):
        with client.sub_session("operator", "op/pw#1?") as operator:
            assert operator.read(COUNTER) == 0
        with pytest.raises(AccessDenied, match="wrong user name or password"):
            client.sub_session("operator", "wrong")
        with pytest.raises(AccessDenied, match="wrong user name or password"):
            client.sub_session("nobody", "op/pw#1?")


def test_sub_session_users_override_the_connection_users() -> None:
    with (
        Simulator(
            users={"tester": "t-pw"}, sub_session_users=[User("viewer", "v-pw", write=False)]
        ) as sim,
        XentaraClient(sim.url, username="tester", password="t-pw", timeout=5) as client,
    ):
        with pytest.raises(AccessDenied):
            client.sub_session("tester", "t-pw")  # a connection user only
        with client.sub_session("viewer", "v-pw") as viewer, pytest.raises(AccessDenied):
            viewer.write(COUNTER, 1)


def test_no_sub_session_users_refuses_every_sub_session() -> None:
    with (
        Simulator(sub_session_users={}) as sim,
        XentaraClient(sim.url, timeout=5) as client,
        pytest.raises(AccessDenied),
    ):
        client.sub_session("anyone", "anything")


def test_without_any_users_every_password_sub_session_is_accepted() -> None:
    with Simulator() as sim, XentaraClient(sim.url, timeout=5) as client:
        with client.sub_session("anyone", "anything") as sub:
            sub.write(COUNTER, 3)
        assert client.read(COUNTER) == 3


def test_connection_users_serve_sub_sessions_without_sub_session_users() -> None:
    with (
        Simulator(users={"tester": "t-pw"}) as sim,
        XentaraClient(sim.url, username="tester", password="t-pw", timeout=5) as client,
    ):
        with client.sub_session("tester", "t-pw") as sub:
            assert sub.read(COUNTER) == 0
        with pytest.raises(AccessDenied):
            client.sub_session("tester", "wrong")
