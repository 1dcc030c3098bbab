"""XentaraTestCase, run by unittest's own runner against the real simulator."""

from __future__ import annotations

import io
import threading
import unittest
from typing import ClassVar

import pytest

from tests.conftest import OUTPUTS
from xentara_sync.simulator import Simulator
from xentara_sync.testing import XentaraTestCase

COUNTER = "Hardware.Registers.Counter"


def run_suite(case: type[unittest.TestCase]) -> tuple[unittest.TestResult, str]:
    stream = io.StringIO()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    result = unittest.TextTestRunner(stream=stream, verbosity=2).run(suite)
    return result, stream.getvalue()


class Passing(XentaraTestCase):
    __test__ = False  # run by unittest's runner below, not collected by pytest

    def test_output_follows_write(self) -> None:
        self.client.write(OUTPUTS[0], True)
        event = self.assertEventually(OUTPUTS[0], True, timeout=2)
        assert event.value is True
        self.assertValue(OUTPUTS[0], True)

    def test_change_from_the_simulator(self) -> None:
        assert self.simulator is not None
        timer = threading.Timer(0.1, self.simulator.set_value, (COUNTER, 777))
        timer.start()
        try:
            self.assertEventually(COUNTER, lambda value: value == 777)
        finally:
            timer.join()


class Failing(XentaraTestCase):
    __test__ = False
    xentara_timeout = 0.3

    def test_eventually(self) -> None:
        self.client.write(COUNTER, 5)
        self.assertEventually(COUNTER, 6)

    def test_eventually_with_msg(self) -> None:
        self.client.write(COUNTER, 5)
        self.assertEventually(COUNTER, 6, timeout=0.2, msg="the counter must count")

    def test_value(self) -> None:
        self.client.write(COUNTER, 5)
        self.assertValue(COUNTER, 6)


class NoSuperSetUp(XentaraTestCase):
    __test__ = False

    def setUp(self) -> None:
        pass  # forgets super().setUp(): no client

    def test_read(self) -> None:
        self.client.read(COUNTER)


def test_a_setup_without_super_says_to_call_it() -> None:
    result, _ = run_suite(NoSuperSetUp)
    ((_, traceback),) = result.errors
    last = traceback.strip().splitlines()[-1]
    assert last == (
        "AttributeError: NoSuperSetUp.client is not set: XentaraTestCase.setUp connects it, "
        "so a subclass's setUp must call super().setUp() first"
    )
    case = NoSuperSetUp("test_read")
    misspelt = "clinet"
    with pytest.raises(AttributeError) as other:  # other names: Python's own message
        getattr(case, misspelt)
    assert str(other.value) == "'NoSuperSetUp' object has no attribute 'clinet'"


class NoSuperSetUpClass(XentaraTestCase):
    __test__ = False

    @classmethod
    def setUpClass(cls) -> None:
        pass  # forgets super().setUpClass(): no URL, no simulator

    def test_read(self) -> None:
        self.client.read(COUNTER)


def test_a_setup_class_without_super_says_to_call_it() -> None:
    result, _ = run_suite(NoSuperSetUpClass)
    ((_, traceback),) = result.errors
    assert traceback.strip().splitlines()[-1] == (
        "AttributeError: NoSuperSetUpClass.url is not set: XentaraTestCase.setUpClass sets "
        "it, so a subclass's setUpClass must call super().setUpClass() first"
    )


def test_a_class_gets_a_simulator_and_each_test_a_client() -> None:
    result, output = run_suite(Passing)
    assert result.wasSuccessful(), output
    assert result.testsRun == 2
    assert Passing.simulator is None  # stopped after the class


def test_unmet_conditions_are_failures_not_errors() -> None:
    result, output = run_suite(Failing)
    assert result.errors == [], output
    messages = {test.id().rsplit(".", 1)[-1]: text for test, text in result.failures}
    assert sorted(messages) == ["test_eventually", "test_eventually_with_msg", "test_value"]
    assert (
        "did not become 6 within 0.3 s: 1 value seen, the last 5 at " in messages["test_eventually"]
    )
    assert "the last 5 at " in messages["test_eventually_with_msg"]
    assert messages["test_eventually_with_msg"].endswith(" : the counter must count\n")
    assert f"{COUNTER!r} is 5, expected 6" in messages["test_value"]


def test_the_url_comes_from_the_class_or_the_environment(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    class Given(XentaraTestCase):
        xentara_url: ClassVar[str | None] = simulator.url

        def test_url(self) -> None:
            seen.append(self.client.url)
            assert self.simulator is None

    class FromEnvironment(XentaraTestCase):
        def test_url(self) -> None:
            seen.append(self.client.url)
            assert self.simulator is None

    monkeypatch.setenv("XENTARA_URL", simulator.url)
    for case in (Given, FromEnvironment):
        result, output = run_suite(case)
        assert result.wasSuccessful(), output
    assert seen == [simulator.url, simulator.url]


def test_an_unreachable_url_is_an_error_of_the_test() -> None:
    class Unreachable(XentaraTestCase):
        xentara_url = "ws://127.0.0.1:1/api/ws"
        xentara_timeout = 2.0

        def test_nothing(self) -> None:
            raise AssertionError("not reached")

    result, output = run_suite(Unreachable)
    assert len(result.errors) == 1, output
    assert "ConnectionFailed" in result.errors[0][1]
