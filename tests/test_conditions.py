"""What wait_until's failures say, without a server."""

from __future__ import annotations

import uuid

import pytest

from xentara_sync import ConditionNotMet
from xentara_sync.conditions import Wait, describe
from xentara_sync.model import Event

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
    assert str(error).endswith(": 2 values seen, the last 2 at 2024-01-01T11:11:12.000000Z")
    assert error.timeout == 2.5


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
