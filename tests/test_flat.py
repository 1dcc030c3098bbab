"""The flat API (integer handles, plain values) against the real simulator."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.conftest import FAST_SINE, INPUT, OUTPUTS
from xentara_sync import (
    ConditionNotMet,
    ConnectionFailed,
    InvalidURL,
    ReadOnly,
    RequestTimeout,
    UnknownElement,
    UsageError,
    flat,
)
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


# --------------------------------------------------------------------------- the toolkit


def test_dir_shows_only_the_api() -> None:
    names = dir(flat)
    assert names == sorted(flat.__all__)
    assert {"threading", "uuid", "Any", "itertools", "annotations"}.isdisjoint(names)
    assert {"read_double", "wait_until", "write_many", "record_csv"} <= set(names)
    assert all(callable(getattr(flat, name)) for name in names)


def test_typed_reads(simulator: Simulator) -> None:
    session = flat.open_session(simulator.url)
    try:
        flat.write(session, "Hardware.Registers.Counter", 12.0)
        flat.write(session, "Hardware.Registers.Setpoint", 2.5)
        flat.write(session, "Hardware.Registers.Label", "batch 7")
        assert flat.read_double(session, "Hardware.Registers.Counter") == 12.0
        assert type(flat.read_double(session, "Hardware.Registers.Counter")) is float
        assert flat.read_int(session, "Hardware.Registers.Counter") == 12
        assert flat.read_bool(session, OUTPUTS[0]) in (True, False)
        assert flat.read_string(session, "Hardware.Registers.Label") == "batch 7"
        assert type(flat.read_double(session, "Hardware.Registers.Counter", "changeTime")) is float
        with pytest.raises(TypeError, match=r"^5011: 'Hardware.Registers.Label' is str"):
            flat.read_double(session, "Hardware.Registers.Label")
        with pytest.raises(TypeError, match=r"^5011: .* use read_double"):
            flat.read_int(session, "Hardware.Registers.Setpoint")
        with pytest.raises(TypeError, match=r"^5011: .* use read_int"):
            flat.read_bool(session, "Hardware.Registers.Counter")
        with pytest.raises(TypeError, match=r"^5011: .* use read_bool"):
            flat.read_string(session, OUTPUTS[0])
    finally:
        flat.close_session(session)


def test_next_event_is_a_tuple(simulator: Simulator) -> None:
    session = flat.open_session(simulator.url)
    try:
        sub = flat.subscribe(session, FAST_SINE, 10, 0)
        event = flat.next_event(sub, 5.0)
        assert type(event) is tuple
        assert [type(part) for part in event] == [float, str, float]
    finally:
        flat.close_session(session)


def test_wait_until_write_many_and_record_csv(simulator: Simulator, tmp_path: Path) -> None:
    session = flat.open_session(simulator.url)
    try:
        flat.write_many(session, [OUTPUTS[1], "Hardware.Registers.Counter"], [1.0, 33.0])
        assert flat.read_many(session, [OUTPUTS[1], "Hardware.Registers.Counter"]) == [True, 33]
        timestamp, key, value = flat.wait_until(session, "Hardware.Registers.Counter", 33.0, 2.0)
        assert (type(timestamp), key, value) == (float, "Hardware.Registers.Counter", 33)
        with pytest.raises(ConditionNotMet, match=r"^5003: .* the last 33 at "):
            flat.wait_until(session, "Hardware.Registers.Counter", 34, 0.2)
        with pytest.raises(ValueError, match=r"^5008: write_many got 2 keys but 1 values"):
            flat.write_many(session, [OUTPUTS[1], OUTPUTS[2]], [True])
        with pytest.raises(TypeError, match=r"^-32106: "):
            flat.write_many(session, [OUTPUTS[1], "Hardware.Registers.Counter"], [0.0, "x"])
        assert flat.read(session, OUTPUTS[1]) is True  # nothing was written
        path = tmp_path / "sine.csv"
        count = flat.record_csv(session, [FAST_SINE], 0.3, str(path))
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "seconds,time,timestamp,key,value,error"
        assert len(lines) == count + 1 > 2
        with pytest.raises(OSError, match=r"^5012: "):
            flat.record_csv(session, FAST_SINE, 0.1, str(tmp_path / "missing" / "x.csv"))
        # The path is checked before recording: an unknown key is never looked up.
        missing = tmp_path / "missing" / "x.csv"
        with pytest.raises(FileNotFoundError) as caught:
            flat.record_csv(session, "Hardware.Registers.Nothing", 60.0, str(missing))
        assert str(caught.value) == (
            f"5012: cannot write the CSV to {missing}: no directory {missing.parent}"
        )
        with pytest.raises(IsADirectoryError, match=r"^5012: .*: it is a directory$"):
            flat.record_csv(session, "Hardware.Registers.Nothing", 60.0, str(tmp_path))
        with pytest.raises(TypeError) as empty:
            flat.record_csv(session, [], 1.0, str(path))
        assert str(empty.value) == (
            "5008: record takes a primary key or a non-empty list of them, not []"
        )
    finally:
        flat.close_session(session)


def test_every_error_starts_with_its_code(simulator: Simulator) -> None:
    session = flat.open_session(simulator.url)
    try:
        with pytest.raises(UnknownElement, match=r"^-32100: .*did you mean"):
            flat.read(session, "Hardware.Registers.Countr")
        with pytest.raises(ReadOnly, match=r"^-32103: "):
            flat.write(session, INPUT, True)
        quiet = flat.subscribe(session, "Hardware.Registers.Label", 0, 0)
        flat.next_event(quiet, 5.0)
        with pytest.raises(RequestTimeout, match=r"^5002: "):
            flat.next_event(quiet, 0.1)
    finally:
        flat.close_session(session)
    with pytest.raises(UsageError, match=r"^5001: no open session"):
        flat.read(session, OUTPUTS[0])
    with pytest.raises(InvalidURL, match=r"^5008: "):
        flat.open_session("http://nowhere")
    with pytest.raises(ConnectionFailed, match=r"^5004: "):
        flat.open_session("ws://127.0.0.1:1/api/ws", "Hardware", True, 2.0)
