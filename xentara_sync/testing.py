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
the demo model, started once per class (:attr:`~XentaraTestCase.simulator`) and
reset to the model's default values before each test method
(:meth:`~xentara_sync.simulator.Simulator.reset`).

A failed assertion shows the test's line and the message, without the frames of
this package (``__unittest``, as unittest's own assertions). ``self.recorder(keys)``
records in the background during a test; when the test fails, the CSV and PNG are
kept and named in the failure message::

    class InputTest(XentaraTestCase):
        def test_input_follows_output(self):
            self.recorder(["Hardware.EtherCAT Bus.EL2624.Output 1"])
            self.client.write("Hardware.EtherCAT Bus.EL2624.Output 1", True)
            self.assertEventually("Hardware.EtherCAT Bus.EL2624.Output 1", True, timeout=2)
"""

from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .protocol.index import Event
    from .simulator import Simulator
    from .sync import XentaraClient
    from .testrecorder import SignalRecorder
    from .toolkit.conditions import Condition

__all__ = ["RECORD_DIR_VARIABLE", "URL_VARIABLE", "XentaraTestCase"]

#: unittest leaves this module's frames out of failure tracebacks.
__unittest = True

#: The environment variable naming the Xentara to test against.
URL_VARIABLE = "XENTARA_URL"
#: The environment variable naming where recordings of failed tests are kept.
RECORD_DIR_VARIABLE = "XENTARA_RECORD_DIR"


def _hidden(tb: TracebackType) -> bool:
    """Whether a frame is the library's: ``__unittest`` or ``__tracebackhide__``."""
    frame = tb.tb_frame
    return "__unittest" in frame.f_globals or bool(frame.f_locals.get("__tracebackhide__"))


def _cut_library_frames(tb: TracebackType | None) -> TracebackType | None:
    """*tb* from the first frame that is not the library's, up to the next one that is
    (as unittest does for its own assertions, for every kind of failure)."""
    while tb is not None and _hidden(tb):
        tb = tb.tb_next
    current = tb
    while current is not None and current.tb_next is not None:
        if _hidden(current.tb_next):
            current.tb_next = None
            break
        current = current.tb_next
    return tb


class _Result:
    """The test result a :class:`XentaraTestCase` reports to, passed through: failures
    lose the library's frames and name the recording of the test."""

    def __init__(self, result: unittest.TestResult, case: XentaraTestCase) -> None:
        self._result = result
        self._case = case

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)

    def _failed(self, test: Any, err: Any) -> Any:
        if test is not self._case or not isinstance(err, tuple):
            return err
        exc_type, exc, tb = err
        if isinstance(exc, AssertionError):
            tb = _cut_library_frames(tb)
        note = self._case._keep_recording()
        if note:
            if hasattr(exc, "add_note"):
                exc.add_note(note)
            elif exc.args and isinstance(exc.args[0], str):  # Python 3.10
                exc.args = (f"{exc.args[0]}\n{note}", *exc.args[1:])
        return (exc_type, exc, tb)

    def addFailure(self, test: Any, err: Any) -> None:
        self._result.addFailure(test, self._failed(test, err))

    def addError(self, test: Any, err: Any) -> None:
        self._result.addError(test, self._failed(test, err))

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        if err is not None:
            err = self._failed(test, err)
        self._result.addSubTest(test, subtest, err)

    def addSuccess(self, test: Any) -> None:
        if test is self._case and self._case.xentara_record_all:
            self._case._keep_recording()
        self._result.addSuccess(test)


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
    #: Where :meth:`recorder` keeps the CSV and PNG of failed tests; None:
    #: ``$XENTARA_RECORD_DIR``, else ``xentara-recordings`` in the temporary directory.
    xentara_record_dir: ClassVar[str | os.PathLike[str] | None] = None
    #: Keep the recordings of passed tests too.
    xentara_record_all: ClassVar[bool] = False

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

    def run(self, result: unittest.TestResult | None = None) -> unittest.TestResult | None:
        """Run the test, reporting failures without the library's frames and with the
        files of its recording."""
        self._xentara_recorder: SignalRecorder | None = None
        if result is None:
            return super().run(result)
        super().run(_Result(result, self))  # type: ignore[arg-type]
        return result

    def recorder(self, keys: str | list[str] | tuple[str, ...]) -> SignalRecorder:
        """Record *keys* (one key or several) in the background until the test ends.

        When the test fails, the recording is kept as ``<test id>.csv`` and ``.png``
        in :attr:`xentara_record_dir` and the failure message names both files;
        passed tests keep nothing unless :attr:`xentara_record_all`. Called again,
        it records more keys into the same recording.
        """
        from .testrecorder import SignalRecorder

        recorder = getattr(self, "_xentara_recorder", None)
        if recorder is None:
            recorder = SignalRecorder(self.client, self.id())
            self._xentara_recorder = recorder
            self.addCleanup(recorder.stop)
        recorder.record(keys)
        return recorder

    def _keep_recording(self) -> str | None:
        """Save the recording of this test, if any; the lines that name its files."""
        recorder: SignalRecorder | None = getattr(self, "_xentara_recorder", None)
        if recorder is None or not recorder.keys:
            return None
        self._xentara_recorder = None
        directory = self.xentara_record_dir or os.environ.get(RECORD_DIR_VARIABLE)
        if not directory:
            directory = Path(tempfile.gettempdir()) / "xentara-recordings"
        try:
            recorder.save(directory)
        except Exception as exc:  # the failure itself matters more
            return f"xentara recording not kept: {type(exc).__name__}: {exc}"
        return recorder.describe()

    def setUp(self) -> None:
        super().setUp()
        from .sync import XentaraClient

        url = getattr(type(self), "url", None)
        if url is None:
            raise AttributeError(
                f"{type(self).__name__}.url is not set: XentaraTestCase.setUpClass sets it, "
                "so a subclass's setUpClass must call super().setUpClass() first"
            )
        simulator = type(self).simulator
        if simulator is not None:
            simulator.reset()
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
