"""Surviving the plant: a lost connection comes back, in every flavour."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import OUTPUTS
from tests.flavours import FLAVOURS, Flavour
from xentara_sync import (
    AuthenticationFailed,
    ConnectionLost,
    UnknownElement,
    XentaraClient,
)
from xentara_sync.simulator import Simulator, demo_model_path

SETPOINT = "Hardware.Registers.Setpoint"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def renumbered(path: Path, tmp: Path, *, without: str | None = None) -> Path:
    """A copy of the model at *path* with new UUIDs (and, optionally, without the
    element whose name is the last part of *without*)."""
    text = _UUID.sub(lambda _: str(uuid.uuid4()), path.read_text())
    if without is not None:
        name = without.rsplit(".", 1)[-1]

        def drop(node: Any) -> Any:
            if isinstance(node, dict):
                return {k: drop(v) for k, v in node.items()}
            if isinstance(node, list):
                return [
                    drop(v)
                    for v in node
                    if not (
                        isinstance(v, dict)
                        and any(
                            isinstance(inner, dict) and inner.get("name") == name
                            for inner in v.values()
                        )
                    )
                ]
            return node

        text = json.dumps(drop(json.loads(text)))
        assert name not in text
    copy = tmp / f"model-{uuid.uuid4().hex[:8]}.json"
    copy.write_text(text)
    return copy


class Plant:
    """A simulator that can be restarted on the same port, with another model."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self.sim = Simulator(**kwargs)
        self.sim.start()
        self.port = urlsplit(self.sim.url).port or 0
        self.url = self.sim.url

    def stop(self) -> None:
        self.sim.stop()

    def start(self, model: Path | None = None, **kwargs: Any) -> None:
        settings = {**self._kwargs, **kwargs}
        if model is not None:
            settings["model"] = model
        self.sim = Simulator(port=self.port, **settings)
        self.sim.start()

    def restart(self, model: Path | None = None, **kwargs: Any) -> None:
        self.stop()
        self.start(model, **kwargs)


@pytest.fixture
def plant() -> Iterator[Plant]:
    plant = Plant()
    try:
        yield plant
    finally:
        plant.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition was not met in time"
        time.sleep(0.02)


FLAVOUR_NAMES = ["blocking", *[f.name for f in FLAVOURS]]


async def reconnected(flavour: Flavour, client: Any, count: int = 1) -> None:
    """Wait until *client* has reconnected *count* times (the event loop was blocked
    while the test restarted the server, so the loss is noticed only now)."""
    deadline = time.monotonic() + 10
    while client.reconnects < count:
        assert time.monotonic() < deadline, "no reconnection in time"
        await flavour.sleep(0.02)


def async_flavour(name: str) -> Flavour:
    (flavour,) = [f for f in FLAVOURS if f.name == name]
    return flavour


@pytest.mark.parametrize("flavour", FLAVOUR_NAMES)
def test_reads_resume_after_a_restart_with_new_uuids(
    plant: Plant, tmp_path: Path, flavour: str
) -> None:
    model = renumbered(demo_model_path(), tmp_path)
    if flavour == "blocking":
        with XentaraClient(plant.url) as client:
            before = client.element_info(OUTPUTS[0]).uuid
            states: list[bool] = []
            client.add_connection_callback(states.append)
            plant.restart(model)
            # Made while reconnecting (or after): waits for the connection.
            assert client.read(OUTPUTS[0], timeout=10) in (True, False)
            wait_for(lambda: states == [False, True])
            assert client.connected and client.reconnects == 1
            assert client.element_info(OUTPUTS[0]).uuid != before
            assert "connected" in repr(client)
        return
    flavour_ = async_flavour(flavour)

    async def main() -> None:
        async with flavour_.XentaraClient(plant.url) as client:
            before = client.element_info(OUTPUTS[0]).uuid
            states: list[bool] = []
            client.add_connection_callback(states.append)
            plant.restart(model)  # (this blocks the event loop meanwhile)
            await reconnected(flavour_, client)
            await client.write(OUTPUTS[0], True, timeout=10)
            assert await client.read(OUTPUTS[0], timeout=10) is True
            assert states == [False, True]
            assert client.connected and client.reconnects == 1
            assert client.element_info(OUTPUTS[0]).uuid != before

    flavour_.run(main)


@pytest.mark.parametrize("flavour", FLAVOUR_NAMES)
def test_a_call_in_flight_raises_connection_lost_at_once(plant: Plant, flavour: str) -> None:
    if flavour == "blocking":
        with XentaraClient(plant.url) as client:
            plant.sim.stall()
            threading.Timer(0.2, plant.sim.disconnect_all).start()
            started = time.monotonic()
            with pytest.raises(ConnectionLost):
                client.write(OUTPUTS[1], True, timeout=8)
            assert time.monotonic() - started < 4  # not at the call's 8 s timeout
            plant.sim.unstall()
            client.write(OUTPUTS[1], False, timeout=10)  # the client is back
            assert client.read(OUTPUTS[1]) is False
        return
    flavour_ = async_flavour(flavour)

    async def main() -> None:
        async with flavour_.XentaraClient(plant.url) as client:
            plant.sim.stall()

            async def in_flight() -> None:
                with pytest.raises(ConnectionLost):
                    await client.read(OUTPUTS[1], timeout=8)

            async def drop() -> None:
                await flavour_.sleep(0.2)
                plant.sim.disconnect_all()

            started = time.monotonic()
            await flavour_.gather(in_flight, drop)
            assert time.monotonic() - started < 4  # not at the call's 8 s timeout
            plant.sim.unstall()
            assert await client.read(OUTPUTS[1], timeout=10) in (True, False)

    flavour_.run(main)


@pytest.mark.parametrize("flavour", FLAVOUR_NAMES)
def test_subscriptions_go_on_with_a_fresh_snapshot(plant: Plant, flavour: str) -> None:
    if flavour == "blocking":
        with XentaraClient(plant.url) as client:
            client.write(SETPOINT, 33.25)
            with client.subscribe(SETPOINT, 0, 0) as sub:
                assert sub.receive(timeout=5).value == 33.25  # the initial snapshot
                plant.restart()  # the setpoint is back at its default
                event = sub.receive(timeout=10)
                assert event.value != 33.25 and event.name == SETPOINT
                assert sub.interruptions == 1 and sub.active
                client.write(SETPOINT, 7.5)
                assert sub.receive(timeout=5).value == 7.5
        return
    flavour_ = async_flavour(flavour)

    async def main() -> None:
        async with flavour_.XentaraClient(plant.url) as client:
            await client.write(SETPOINT, 33.25)
            async with client.subscribe(SETPOINT, 0, 0) as sub:
                assert (await sub.receive(timeout=5)).value == 33.25
                plant.restart()
                await reconnected(flavour_, client)
                event = await sub.receive(timeout=10)
                assert event.value != 33.25
                assert sub.interruptions == 1 and sub.active

    flavour_.run(main)


def test_an_element_gone_after_a_restart_ends_its_subscription(
    plant: Plant, tmp_path: Path
) -> None:
    model = renumbered(demo_model_path(), tmp_path, without=SETPOINT)
    with XentaraClient(plant.url) as client:
        sub = client.subscribe(SETPOINT, 0, 0)
        other = client.subscribe(OUTPUTS[0], 0, 0)
        with sub, other:
            sub.receive(timeout=5)
            other.receive(timeout=5)
            plant.restart(model)
            with pytest.raises(UnknownElement, match="Setpoint"):
                for _ in sub:
                    pass
            assert other.receive(timeout=10).name == OUTPUTS[0]  # the other one goes on


def test_refused_credentials_stop_the_reconnecting() -> None:
    plant = Plant(users={"operator": "first"})
    try:
        url = plant.url.replace("ws://", "ws://operator:first@")
        with XentaraClient(url) as client:
            sub = client.subscribe(SETPOINT, 0, 0)
            sub.start()
            plant.restart(users={"operator": "changed"})
            with pytest.raises(AuthenticationFailed):
                for _ in sub:
                    pass
            with pytest.raises(AuthenticationFailed):
                client.read(OUTPUTS[0], timeout=5)
            assert client.reconnects == 0 and not client.connected
    finally:
        plant.stop()


def test_a_call_made_while_the_server_stays_away_times_out(plant: Plant) -> None:
    with XentaraClient(plant.url, max_reconnect_delay=0.2) as client:
        plant.stop()
        wait_for(lambda: not client.connected)
        started = time.monotonic()
        with pytest.raises(ConnectionLost, match=r"not back within 0\.5 s"):
            client.read(OUTPUTS[0], timeout=0.5)
        assert time.monotonic() - started < 0.5 + 4  # the reconnecting goes on for ever
        plant.start()
        assert client.read(OUTPUTS[0], timeout=10) in (True, False)


@pytest.mark.parametrize("flavour", FLAVOUR_NAMES)
def test_close_during_reconnection_is_prompt(plant: Plant, flavour: str) -> None:
    if flavour == "blocking":
        client = XentaraClient(plant.url, max_reconnect_delay=0.2)
        plant.stop()
        wait_for(lambda: not client.connected)
        time.sleep(0.3)  # a few failed tries
        started = time.monotonic()
        client.close()
        assert time.monotonic() - started < 4  # the reconnecting goes on for ever
        return
    flavour_ = async_flavour(flavour)

    async def main() -> None:
        client = await flavour_.XentaraClient(plant.url, max_reconnect_delay=0.2)
        plant.stop()
        while client.connected:
            await flavour_.sleep(0.02)
        await flavour_.sleep(0.3)
        started = time.monotonic()
        await client.close()
        assert time.monotonic() - started < 4  # the reconnecting goes on for ever

    flavour_.run(main)


def count_descriptors() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


def test_fifty_disconnects_in_a_row_lose_no_acknowledged_write(plant: Plant) -> None:
    with XentaraClient(plant.url) as warm:
        warm.read(OUTPUTS[0])  # the loop thread and the dispatcher exist before counting
    threads, descriptors = threading.active_count(), count_descriptors()
    seen: list[Any] = []
    # Connections dropped within seconds of each other back off up to the longest
    # delay; a short one keeps the fifty rounds quick.
    with XentaraClient(plant.url, max_reconnect_delay=0.05) as client:
        iterated = client.subscribe(SETPOINT, 0, 0)
        called = client.subscribe(OUTPUTS[2], 0, 0, callback=seen.append)
        with iterated, called:
            acknowledged = None
            for round_ in range(50):
                plant.sim.disconnect_all()
                try:  # races with the drop: answered before it, or failed, never re-sent
                    client.write(SETPOINT, round_ + 0.5, timeout=10)
                except ConnectionLost:
                    pass

                def back(count: int = round_ + 1) -> bool:
                    return client.reconnects == count

                wait_for(back)
                client.write(SETPOINT, float(round_), timeout=10)  # after the reconnection
                acknowledged = float(round_)
            assert acknowledged is not None
            assert client.read(SETPOINT, timeout=10) == acknowledged
            assert client.reconnects == 50
            assert iterated.interruptions == called.interruptions == 50
            last = None
            deadline = time.monotonic() + 5
            while last != acknowledged and time.monotonic() < deadline:
                last = iterated.receive(timeout=5).value
            assert last == acknowledged
        wait_for(lambda: len(seen) >= 2)
    wait_for(lambda: threading.active_count() <= threads + 1)  # the dispatcher winds down
    assert count_descriptors() <= descriptors + 2


@pytest.mark.parametrize("flavour", FLAVOUR_NAMES)
def test_a_killed_server_process_restarted_with_new_uuids(tmp_path: Path, flavour: str) -> None:
    from xentara_sync.bench.servers import SimulatorProcess

    server = SimulatorProcess("first", None, tmp_path)
    try:
        url = server.url(30)
        port = urlsplit(url).port or 0

        def restart() -> None:
            nonlocal server
            server.kill()  # SIGKILL: no closing handshake, as when the plant's computer fails
            server = SimulatorProcess(
                "second", renumbered(demo_model_path(), tmp_path), tmp_path, port=port
            )
            server.url(30)

        if flavour == "blocking":
            with XentaraClient(url) as client:
                before = client.element_info(OUTPUTS[0]).uuid
                restart()
                client.write(OUTPUTS[0], True, timeout=10)
                assert client.read(OUTPUTS[0]) is True
                assert client.element_info(OUTPUTS[0]).uuid != before
                assert client.reconnects == 1
            return
        flavour_ = async_flavour(flavour)

        async def main() -> None:
            async with flavour_.XentaraClient(url) as client:
                before = client.element_info(OUTPUTS[0]).uuid
                restart()
                await reconnected(flavour_, client)
                await client.write(OUTPUTS[0], True, timeout=10)
                assert await client.read(OUTPUTS[0]) is True
                assert client.element_info(OUTPUTS[0]).uuid != before

        flavour_.run(main)
    finally:
        server.stop()


def test_simulator_restart_serves_another_model_on_the_same_port(tmp_path: Path) -> None:
    with Simulator() as sim, XentaraClient(sim.url) as client:
        url = sim.url
        before = client.element_info(OUTPUTS[0]).uuid
        sim.restart(renumbered(demo_model_path(), tmp_path))
        assert sim.url == url
        # A read planned on the old connection while the client has not yet seen it
        # close raises ConnectionLost (by design: its UUIDs are the old model's); the
        # client must be back before the new model is read.
        wait_for(lambda: client.reconnects >= 1)
        assert client.read(OUTPUTS[0], timeout=10) is False  # back at its default
        assert client.element_info(OUTPUTS[0]).uuid != before


def test_simulate_drop_every_for_soak_tests(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "xentara_sync", "simulate", "--port", "0", "--drop-every", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        url = process.stdout.readline().split()[-1]
        # Connect right after a drop: a drop during the first connecting would fail it
        # (only an established connection is renewed).
        while not process.stderr.readline().startswith("dropped 0 connection(s)"):
            pass
        with XentaraClient(url) as client, client.subscribe(SETPOINT, 0, 0) as sub:
            sub.receive(timeout=5)
            # counted from the subscription's first event: a drop before it ran is
            # no interruption of it
            before = client.reconnects
            wait_for(lambda: client.reconnects >= before + 2)
            assert sub.receive(timeout=5).name == SETPOINT
            assert sub.interruptions >= 2
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert err.count("dropped 1 connection(s)") >= 2


def test_drop_every_needs_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    from xentara_sync.tools.cli import main

    for bad in ("0", "-1", "soon"):
        with pytest.raises(SystemExit) as info:
            main(["simulate", "--drop-every", bad])
        assert info.value.code == 2
        assert "--drop-every" in capsys.readouterr().err


@pytest.mark.parametrize("flavour", [f.name for f in FLAVOURS])
def test_fifty_disconnects_in_a_row_in_the_async_flavours(plant: Plant, flavour: str) -> None:
    flavour_ = async_flavour(flavour)

    async def main() -> None:
        client = await flavour_.XentaraClient(plant.url, max_reconnect_delay=0.05)
        async with client, client.subscribe(SETPOINT, 0, 0) as sub:
            await sub.receive(timeout=5)
            acknowledged = None
            for round_ in range(50):
                plant.sim.disconnect_all()
                await reconnected(flavour_, client, round_ + 1)
                await client.write(SETPOINT, float(round_), timeout=10)
                acknowledged = float(round_)
            assert await client.read(SETPOINT, timeout=10) == acknowledged
            assert client.reconnects == 50 and sub.interruptions == 50
            last = None
            while last != acknowledged:
                last = (await sub.receive(timeout=5)).value

    threads = threading.active_count()
    flavour_.run(main, timeout=60)
    wait_for(lambda: threading.active_count() <= threads)
