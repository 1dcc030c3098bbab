"""The flat API (integer handles, plain values) against the real simulator."""

from __future__ import annotations

import threading
import time

import pytest

from tests.conftest import FAST_SINE, INPUT, OUTPUTS
from xentara_sync import ReadOnly, RequestTimeout, UnknownElement, UsageError, flat
from xentara_sync.simulator import Simulator


def test_session_read_write_and_plain_values(simulator: Simulator) -> None:
    session = flat.open_session(simulator.url, "Hardware", True, 10.0)
    try:
        assert isinstance(session, int)
        assert OUTPUTS[0] in flat.keys(session)
        flat.write(session, OUTPUTS[0], 1.0)  # LabVIEW numerics arrive as floats
        assert flat.read(session, OUTPUTS[0]) is True
        flat.write(session, "Hardware.Registers.Counter", 41.0)
        assert flat.read(session, "Hardware.Registers.Counter") == 41
        assert type(flat.read(session, "Hardware.Registers.Counter")) is int
        assert flat.read(session, "Hardware.Registers.Counter", "quality") == 0
        change = flat.read(session, "Hardware.Registers.Counter", "changeTime")
        assert type(change) is float
        assert flat.read_many(session, OUTPUTS[:2]) == [True, flat.read(session, OUTPUTS[1])]
        with pytest.raises(UnknownElement, match="did you mean"):
            flat.read(session, "Hardware.Registers.Countr")
        with pytest.raises(ReadOnly):
            flat.write(session, INPUT, True)
    finally:
        flat.close_session(session)
    flat.close_session(session)  # closing twice does nothing
    with pytest.raises(UsageError, match="no open session"):
        flat.read(session, OUTPUTS[0])


def test_subscription_handles(simulator: Simulator) -> None:
    session = flat.open_session(simulator.url)
    try:
        sub = flat.subscribe(session, FAST_SINE, 10, 0)
        timestamp, name, value = flat.next_event(sub, 5.0)
        assert (type(timestamp), name, type(value)) == (float, FAST_SINE, float)
        flat.unsubscribe(sub)
        flat.unsubscribe(sub)
        with pytest.raises(UsageError, match="no subscription"):
            flat.next_event(sub, 0.1)
        quiet = flat.subscribe(session, "Hardware.Registers.Label", 0, 0)
        flat.next_event(quiet, 5.0)  # the initial value
        with pytest.raises(RequestTimeout):
            flat.next_event(quiet, 0.2)
    finally:
        flat.close_all()
    with pytest.raises(UsageError):
        flat.next_event(quiet, 0.1)


def test_handles_from_many_threads(simulator: Simulator) -> None:
    handles: list[int] = []

    def worker() -> None:
        handle = flat.open_session(simulator.url)
        flat.read(handle, OUTPUTS[0])
        handles.append(handle)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert len(set(handles)) == 4
    finally:
        flat.close_all()


def test_connection_state_and_reconnects(fresh_simulator: Simulator) -> None:
    session = flat.open_session(fresh_simulator.url)
    try:
        assert flat.is_connected(session) is True
        assert flat.reconnects(session) == 0
        fresh_simulator.disconnect_all()
        deadline = time.monotonic() + 10
        while flat.reconnects(session) < 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert flat.is_connected(session)
        assert flat.read(session, OUTPUTS[0], "quality") == 0
    finally:
        flat.close_session(session)
