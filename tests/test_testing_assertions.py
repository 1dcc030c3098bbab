"""XentaraTestCase.assertHolds and assertValue's delta and places, run by
unittest's own runner against the real simulator."""

from __future__ import annotations

import threading

import pytest

from tests.test_testing import run_suite
from xentara_sync.testing import XentaraTestCase

SETPOINT = "Hardware.Registers.Setpoint"
COUNTER = "Hardware.Registers.Counter"


class Passing(XentaraTestCase):
    __test__ = False  # run by unittest's runner below, not collected by pytest
    xentara_timeout = 5.0

    def test_holds(self) -> None:
        self.client.write(COUNTER, 4)
        event = self.assertHolds(COUNTER, 4, seconds=0.2)
        assert event.value == 4
        self.assertHolds(COUNTER, lambda value: value > 3, seconds=0.2)

    def test_value_within_delta_or_places(self) -> None:
        self.client.write(SETPOINT, 2.5)
        self.assertValue(SETPOINT, 2.5)
        self.assertValue(SETPOINT, 2.45, delta=0.06)
        self.assertValue(SETPOINT, 2.5004, places=3)
        self.assertValue(SETPOINT, 2.5, delta=0)

    def test_delta_and_places_together_are_refused(self) -> None:
        with pytest.raises(TypeError, match="specify delta or places, not both"):
            self.assertValue(SETPOINT, 2.5, delta=0.1, places=2)


class Failing(XentaraTestCase):
    __test__ = False
    xentara_timeout = 5.0

    def test_holds_broken(self) -> None:
        self.client.write(SETPOINT, 2.5)
        timer = threading.Timer(0.2, self.client.write, (SETPOINT, 9.0))
        timer.start()
        try:
            self.assertHolds(SETPOINT, 2.5, seconds=30)
        finally:
            timer.join()

    def test_holds_broken_with_msg(self) -> None:
        self.client.write(COUNTER, 1)
        self.assertHolds(COUNTER, 2, seconds=30, msg="the counter must stay")

    def test_value_outside_delta(self) -> None:
        self.client.write(SETPOINT, 2.5)
        self.assertValue(SETPOINT, 2.4, delta=0.05)

    def test_value_outside_places(self) -> None:
        self.client.write(SETPOINT, 2.5)
        self.assertValue(SETPOINT, 2.51, places=2)

    def test_value_not_a_number(self) -> None:
        self.assertValue("Hardware.Registers.Label", 2.0, delta=1)


def test_passing_assertions() -> None:
    result, output = run_suite(Passing)
    assert result.wasSuccessful(), output
    assert result.testsRun == 3


def test_failing_assertions_are_failures_that_say_why() -> None:
    result, output = run_suite(Failing)
    assert result.errors == [], output
    messages = {test.id().rsplit(".", 1)[-1]: text for test, text in result.failures}
    assert len(messages) == 5, output
    assert f"{SETPOINT!r} did not stay 2.5 for 30 s: 9.0 at " in messages["test_holds_broken"]
    assert "s into the hold (2 values seen)" in messages["test_holds_broken"]
    broken = messages["test_holds_broken_with_msg"]
    assert "did not stay 2 for 30 s: 1 at" in broken and "0 s into the hold" in broken
    assert broken.endswith(" : the counter must stay\n")
    assert (
        f"{SETPOINT!r} is 2.5, expected 2.4 within 0.05 (off by "
        in messages["test_value_outside_delta"]
    )
    assert (
        f"{SETPOINT!r} is 2.5, expected 2.51 to 2 places (off by "
        in messages["test_value_outside_places"]
    )
    assert "is 'demo', not a number to compare with 2.0" in messages["test_value_not_a_number"]
