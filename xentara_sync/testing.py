"""unittest support: :class:`XentaraTestCase`, a test case with a connected client.

::

    import unittest
    from xentara_sync.testing import XentaraTestCase

    class OutputTest(XentaraTestCase):
        def test_output_follows_write(self):
            self.client.write("Hardware.EtherCAT Bus.EL2624.Output 1", True)
            self.assertEventually("Hardware.EtherCAT Bus.EL2624.Output 1", True, timeout=2)

    if __name__ == "__main__":
        unittest.main()

The Xentara under test is the class attribute :attr:`~XentaraTestCase.xentara_url`,
else the ``XENTARA_URL`` environment variable, else an embedded simulator serving
the demo model, started once per class (:attr:`~XentaraTestCase.simulator`).
"""

from __future__ import annotations

import os
import unittest
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .conditions import Condition
    from .model import Event
    from .simulator import Simulator
    from .sync import XentaraClient

__all__ = ["URL_VARIABLE", "XentaraTestCase"]

#: The environment variable naming the Xentara to test against.
URL_VARIABLE = "XENTARA_URL"


class XentaraTestCase(unittest.TestCase):
    """A :class:`unittest.TestCase` whose tests get ``self.client``, a connected
    blocking :class:`~xentara_sync.XentaraClient` (a new one per test, closed after
    it), and assertions that wait for values.

    A subclass that defines ``setUpClass`` or ``setUp`` calls the ``super()``
    method first; without it, ``self.client`` (or ``setUp``) raises an
    :class:`AttributeError` that says so.
    """

    #: The URL to test against; None: ``$XENTARA_URL``, else an embedded simulator.
    xentara_url: ClassVar[str | None] = None
    #: The root element of ``self.client`` (None: the whole model).
    xentara_root: ClassVar[str | None] = "Hardware"
    #: ``False`` accepts any TLS certificate (self-signed ones).
    xentara_verify_ssl: ClassVar[bool] = True
    #: The client's default timeout (s): of every call, and of ``assertEventually``.
    xentara_timeout: ClassVar[float] = 10.0

    #: The embedded simulator, when no URL was given (its hooks, e.g.
    #: ``set_value``, change what clients see); None otherwise.
    simulator: ClassVar[Simulator | None] = None
    #: The URL the tests of this class run against.
    url: ClassVar[str]

    client: XentaraClient

    if not TYPE_CHECKING:  # at run time only: type checkers keep flagging misspelt names

        def __getattr__(self, name: str) -> Any:
            # Only for attributes not found: self.client before (or without) setUp.
            if name == "client":
                raise AttributeError(
                    f"{type(self).__name__}.client is not set: XentaraTestCase.setUp "
                    "connects it, so a subclass's setUp must call super().setUp() first"
                )
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        url = cls.xentara_url or os.environ.get(URL_VARIABLE) or None
        if url is None:
            from .simulator import Simulator

            simulator = Simulator(host="127.0.0.1", port=0)
            simulator.start()
            cls.addClassCleanup(cls._stop_simulator)
            cls.simulator = simulator
            url = simulator.url
        cls.url = url

    @classmethod
    def _stop_simulator(cls) -> None:
        simulator, cls.simulator = cls.simulator, None
        if simulator is not None:
            simulator.stop()

    def setUp(self) -> None:
        super().setUp()
        from .sync import XentaraClient

        url = getattr(type(self), "url", None)
        if url is None:
            raise AttributeError(
                f"{type(self).__name__}.url is not set: XentaraTestCase.setUpClass sets it, "
                "so a subclass's setUpClass must call super().setUpClass() first"
            )
        self.client = XentaraClient(
            url,
            root_element=self.xentara_root,
            verify_ssl=self.xentara_verify_ssl,
            timeout=self.xentara_timeout,
        )
        self.addCleanup(self.client.close)

    def assertEventually(
        self,
        key: str,
        condition: Condition,
        timeout: float | None = None,
        msg: Any = None,
    ) -> Event:
        """Assert that *key*'s value meets *condition* (a value, or a predicate)
        within *timeout* seconds (None: :attr:`xentara_timeout`); returns the event
        that did. The failure names the last value seen and its time."""
        from .exceptions import ConditionNotMet

        try:
            return self.client.wait_until(key, condition, timeout=timeout)
        except ConditionNotMet as exc:
            if msg is None:
                raise
            failure = self.failureException(self._formatMessage(msg, str(exc)))
        raise failure

    def assertHolds(
        self,
        key: str,
        condition: Condition,
        *,
        seconds: float,
        attribute: str = "value",
        timeout: float | None = None,
        msg: Any = None,
    ) -> Event:
        """Assert that *key*'s value meets *condition* (a value, or a predicate) for
        *seconds*, from its current value on; returns the last event checked. The
        failure names the first value that broke it and when (see
        :meth:`~xentara_sync.XentaraClient.hold`)."""
        from .exceptions import ConditionBroken

        try:
            return self.client.hold(
                key, condition, seconds=seconds, attribute=attribute, timeout=timeout
            )
        except ConditionBroken as exc:
            if msg is None:
                raise
            failure = self.failureException(self._formatMessage(msg, str(exc)))
        raise failure

    def assertValue(
        self,
        key: str,
        expected: Any,
        msg: Any = None,
        *,
        delta: float | None = None,
        places: int | None = None,
        attribute: str = "value",
    ) -> None:
        """Assert that *key*'s value (read now) is *expected*: equal to it without
        *delta* and *places* (the default), else as
        :meth:`~unittest.TestCase.assertAlmostEqual` has it: at most *delta* away,
        or equal when the difference is rounded to *places* decimal places. Giving
        both raises :class:`TypeError`, as ``assertAlmostEqual`` does.

        ::

            self.assertValue("Hardware.Registers.Setpoint", 2.5, delta=0.01)
        """
        if delta is not None and places is not None:
            raise TypeError("assertValue: specify delta or places, not both")
        value = self.client.read(key, attribute=attribute)
        shown = key if attribute == "value" else f"{key} ({attribute})"
        if delta is None and places is None:
            if value == expected:
                return
            standard = f"{shown!r} is {value!r}, expected {expected!r}"
            raise self.failureException(self._formatMessage(msg, standard))
        if value == expected:
            return
        try:
            difference = abs(value - expected)
        except TypeError:
            standard = f"{shown!r} is {value!r}, not a number to compare with {expected!r}"
            raise self.failureException(self._formatMessage(msg, standard)) from None
        if delta is not None:
            if difference <= delta:
                return
            standard = (
                f"{shown!r} is {value!r}, expected {expected!r} within {delta!r} "
                f"(off by {difference!r})"
            )
        else:
            assert places is not None
            if round(difference, places) == 0:
                return
            standard = (
                f"{shown!r} is {value!r}, expected {expected!r} to {places} places "
                f"(off by {difference!r})"
            )
        raise self.failureException(self._formatMessage(msg, standard))
