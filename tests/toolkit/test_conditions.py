"""What wait_until's and hold's failures say, without a server."""

from __future__ import annotations

import time
import uuid

import pytest

from xentara_sync import ConditionBroken, ConditionNotMet, InvalidArgument, RequestTimeout
from xentara_sync.protocol.index import Event
from xentara_sync.toolkit.conditions import Hold, Wait, describe

KEY = "Hardware.Registers.Counter"


def event(value: object, timestamp: float = 1704107471.25) -> Event:
    return Event(timestamp, KEY, uuid.UUID(int=1), value)


def test_no_value_seen() -> None:
    error = Wait(KEY, 3, 0.0).failure()
    assert str(error) == f"{KEY!r} did not become 3 within 0 s: no value seen"
    assert (error.seen, error.last) == (0, None)


def test_the_last_of_many_values_and_its_time() -> None:
    wait = Wait(KEY, lambda value: value > 10, 2.5)
    assert not wait.check(event(1))
    assert not wait.check(event(2, 1704107472.0))
    error = wait.failure()
    assert isinstance(error, ConditionNotMet)
    assert str(error).endswith(
        ": 2 values seen (lowest 1, highest 2), the last 2 at 2024-01-01T11:11:12.000000Z"
    )
    assert error.timeout == 2.5
    assert (error.lowest, error.highest) == (1, 2)


def test_the_lowest_and_highest_numbers_seen() -> None:
    wait = Wait(KEY, lambda value: value > 10, 2.5)
    for value in (5, -2.5, float("nan"), 9.75, 3):
        assert not wait.check(event(value))
    error = wait.failure()
    assert "5 values seen (lowest -2.5, highest 9.75), the last 3 at" in str(error)
    assert (error.lowest, error.highest) == (-2.5, 9.75)
    flags = Wait(KEY, "on", 1.0)
    for flag in (True, False, "off"):
        flags.check(event(flag))
    text = str(flags.failure())
    assert "3 values seen, the last 'off'" in text  # no numbers: no range
    assert flags.failure().lowest is None


def test_hold_breaks_on_the_first_value_that_fails() -> None:
    hold = Hold(KEY, lambda value: value < 10, 2.0, 5.0)
    assert hold.remaining() == pytest.approx(5.0, abs=0.5)  # waiting for the current value
    assert hold.check(event(3, 1704107400.0))  # minutes old: the hold starts now
    hold.started = 1704107471.0
    assert hold.check(event(7, 1704107471.5))
    bad = event(12, 1704107472.25)
    assert not hold.check(bad)
    error = hold.broken(bad)
    assert isinstance(error, ConditionBroken) and isinstance(error, AssertionError)
    assert (error.key, error.value, error.event, error.seen) == (KEY, 12, bad, 3)
    assert error.after == pytest.approx(1.25)
    assert error.timestamp == 1704107472.25 and error.seconds == 2.0
    assert str(error).startswith(f"{KEY!r} did not keep to satisfy <lambda> (")
    assert str(error).endswith(
        "for 2 s: 12 at 2024-01-01T11:11:12.250000Z, 1.25 s into the hold (3 values seen)"
    )


def test_hold_broken_by_the_current_value_breaks_at_0_s() -> None:
    hold = Hold(KEY, 3, 1.0, 1.0)
    first = event(4, 1704107400.0)
    assert not hold.check(first)
    error = hold.broken(first)
    assert error.after == 0.0
    assert str(error) == (
        f"{KEY!r} did not stay 3 for 1 s: 4 at 2024-01-01T11:10:00.000000Z, "
        "0 s into the hold (1 value seen)"
    )


def test_hold_ends_after_its_seconds_and_checks_its_arguments() -> None:
    hold = Hold(KEY, 3, 0.01, 1.0)
    hold.check(event(3))
    deadline = time.monotonic() + 5
    while hold.remaining() is not None:
        assert time.monotonic() < deadline
    with pytest.raises(InvalidArgument, match=r"^hold: seconds must be a finite number"):
        Hold(KEY, 3, 0, 1.0)
    with pytest.raises(InvalidArgument, match=r"^hold: timeout must be"):
        Hold(KEY, 3, 1.0, -1)
    with pytest.raises(TypeError, match=r"^hold takes one primary key"):
        Hold(5, 3, 1.0, 1.0)  # type: ignore[arg-type]
    late = Hold(KEY, 3, 1.0, 0.0)
    with pytest.raises(RequestTimeout, match=r"^hold: no value of"):
        late.remaining()


def test_remaining_raises_once_time_is_up() -> None:
    wait = Wait(KEY, 1, 0.0)
    with pytest.raises(ConditionNotMet):
        wait.remaining()


class Above:
    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, value: float) -> bool:
        return value > self.limit

    def __repr__(self) -> str:
        return f"Above({self.limit})"


def test_descriptions() -> None:
    assert describe(True) == "become True"
    assert describe(Above(3)) == "satisfy Above(3)"
    assert describe(str.isdigit) == "satisfy str.isdigit"
    assert describe(pytest.approx(2.5)).startswith("become 2.5")


def test_a_key_must_be_one_str() -> None:
    with pytest.raises(TypeError, match="one primary key"):
        Wait(["a", "b"], 1, 1.0)  # type: ignore[arg-type]
