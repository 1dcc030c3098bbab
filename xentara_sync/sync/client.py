"""The blocking client: the async API without ``await``, safe from any thread."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..aio import XentaraClient as AsyncClient
from ..core.describe import safe_repr
from ..core.element import Element
from ..core.settings import Settings, takes_settings
from ..core.subsession import Certificate
from ..exceptions import ClientClosed
from ..protocol import Category, Stage
from ..protocol import arguments as check
from ..protocol.arguments import key_list, subscription_keys, write_many_values
from ..protocol.index import ElementInfo, ElementMetadata, ServerInfo
from ..protocol.session import ClientSession, Plan
from ..secret import hide
from ..toolkit.conditions import Condition, Hold, Wait
from . import loop as _loop
from .bridge import execute
from .subscription import Callback, ConnectionCallbacks, Dispatcher, Subscription, watch
from .subsession import SubSession

if TYPE_CHECKING:
    from typing import Unpack

    from ..protocol.index import Event
    from ..toolkit.recording import Recording
    from .recorder import Recorder

if TYPE_CHECKING:
    from ..snapshot import SnapshotResult

__all__ = ["XentaraClient"]

T = TypeVar("T")


@takes_settings
class XentaraClient:
    """A blocking client of one Xentara WebSocket server.

    The same API as :class:`xentara_sync.aio.XentaraClient`, without ``await``. The
    constructor connects, sends the client hello and browses *root_element* before
    it returns. Every method takes ``timeout=`` (seconds; ``None``: the client's
    default) and never waits longer. One client may be shared by many threads.

    >>> from xentara_sync import XentaraClient
    >>> from xentara_sync.simulator import Simulator
    >>> with Simulator() as sim, XentaraClient(sim.url) as client:
    ...     client.write("Hardware.EtherCAT Bus.EL2624.Output 1", True)
    ...     client["Hardware.EtherCAT Bus.EL2624.Output 1"].read()
    True
    """

    def __init__(
        self,
        url: str,
        root_element: str | None = "Hardware",
        verify_ssl: bool = True,
        **settings: Unpack[Settings],
    ) -> None:
        # The client takes a Secret for any str that it hides; a traceback with
        # locals shows only the wrappers.
        hidden_url = cast(str, hide(url))
        del url
        for secret in ("password", "token"):
            if secret in settings:
                settings[secret] = cast("str | None", hide(settings[secret]))
        # Parse the settings here, in the caller's thread: a bad URL raises at once.
        client = AsyncClient(hidden_url, root_element, verify_ssl, **settings)
        self._attach(
            lambda thread: thread.run(
                client.__aenter__,
                client.connect_timeout,
                f"connecting to {client.url}",
                _loop.CONNECT_GRACE,
            )
        )

    def _attach(self, connect: Callable[[_loop.LoopThread], AsyncClient]) -> None:
        """Take a user of the loop thread and connect there with *connect*."""
        self._lock = threading.Lock()
        self._dispatcher_thread: Dispatcher | None = None
        self._closed = False
        self._thread = _loop.loop_thread()
        try:
            self._async = connect(self._thread)
        except BaseException:
            self._closed = True
            _loop.release(self._thread)
            raise
        self._callbacks = ConnectionCallbacks(self._async, self._dispatcher)
        self._undo_exit_hook = _loop.on_exit(self._close_at_exit)

    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> XentaraClient:
        """Create a connected client: the same as ``XentaraClient(...)``."""
        return cls(*args, **kwargs)

    def copy(self) -> XentaraClient:
        """A new client with its own connection and the same settings."""
        if self._closed:
            raise ClientClosed(f"the client for {self.url} is closed")
        original = self._async
        twin = object.__new__(type(self))
        twin._attach(
            lambda thread: thread.run(
                original.copy,
                original.connect_timeout,
                f"connecting to {original.url}",
                _loop.CONNECT_GRACE,
            )
        )
        return twin

    # ------------------------------------------------------------------ plumbing

    def _run(
        self,
        coroutine: Callable[[], Coroutine[Any, Any, T]],
        timeout: float | None,
        what: str,
    ) -> T:
        """Run ``coroutine()`` on the loop thread (see :meth:`LoopThread.run`)."""
        if self._closed:
            _loop.park_if_exiting()
            raise ClientClosed(f"the client for {self.url} is closed")
        wait = self._async.timeout if timeout is None else check.call_timeout(timeout)
        return self._thread.run(coroutine, wait, f"{what} from {self.url}")

    def _dispatcher(self) -> Dispatcher:
        with self._lock:
            if self._dispatcher_thread is None:
                self._dispatcher_thread = Dispatcher("xentara-sync-callbacks")
            return self._dispatcher_thread

    def _plan(
        self, make: Callable[[ClientSession], Plan | None]
    ) -> tuple[ClientSession, Plan] | None:
        """The plan *make* builds on the live session, with that session; or None
        (closed, reconnecting, or the operation needs a look-up first: then the
        coroutine path runs, and waits for the connection if need be).

        The plan is sent on the session it was built on: if that connection ends
        meanwhile, sending raises instead of carrying its UUIDs to the next one.
        """
        session = self._async.session
        if self._closed or session is None or not session.open:
            return None
        plan = make(session)
        return None if plan is None else (session, plan)

    def _execute(self, planned: tuple[ClientSession, Plan], timeout: float | None) -> Any:
        session, plan = planned
        wait = self._async.timeout if timeout is None else check.call_timeout(timeout)
        return execute(session, self._thread, plan, wait)

    # ------------------------------------------------------------------ closing

    def close(self, *, timeout: float | None = None) -> None:
        """Close the connection and release the loop thread. Idempotent.

        Pending calls fail with :class:`ClientClosed`; subscriptions end.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            dispatcher, self._dispatcher_thread = self._dispatcher_thread, None
        self._undo_exit_hook()
        try:
            if self._thread.alive:
                self._thread.run(
                    self._async.close, timeout or self._async.timeout, f"closing {self.url}"
                )
        finally:
            if dispatcher is not None:
                dispatcher.stop(1.0)
            _loop.release(self._thread)

    def _close_at_exit(self) -> None:
        try:
            self.close(timeout=_loop.EXIT_TIMEOUT)
        except Exception:
            pass

    def __enter__(self) -> XentaraClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    @property
    def connected(self) -> bool:
        """Whether the connection is open."""
        return self._async.connected

    # ------------------------------------------------------------------ settings

    @property
    def url(self) -> str:
        """The server's URL, without credentials."""
        return self._async.url

    @property
    def username(self) -> str | None:
        """The user name the client authenticates with, if any."""
        return self._async.username

    @property
    def root_element(self) -> str | None:
        """The element whose descendants the client knows."""
        return self._async.root_element

    @property
    def verify_ssl(self) -> bool:
        """Whether TLS certificates are checked."""
        return self._async.verify_ssl

    @property
    def timeout(self) -> float:
        """The default timeout of every call, in seconds."""
        return self._async.timeout

    @property
    def reconnects(self) -> int:
        """Successful reconnections so far."""
        return self._async.reconnects

    def add_connection_callback(self, callback: Callable[[bool], object]) -> None:
        """Call ``callback(connected)`` on the dispatcher thread when the connection is
        lost (False) and when it is back (True)."""
        self._callbacks.add(callback)

    def remove_connection_callback(self, callback: Callable[[bool], object]) -> None:
        """Stop calling *callback*; raises :class:`ValueError` if it was not added."""
        self._callbacks.remove(callback)

    @property
    def session(self) -> ClientSession | None:
        """The connection's sans-I/O state (see :attr:`xentara_sync.aio.XentaraClient.session`)."""
        return self._async.session

    @property
    def server_info(self) -> ServerInfo | None:
        """Version, user and model path of the server, as read when connecting."""
        return self._async.server_info

    @safe_repr
    def __repr__(self) -> str:
        return repr(self._async).replace("<XentaraClient", "<xentara_sync.XentaraClient", 1)

    __str__ = __repr__

    # ------------------------------------------------------------------ mapping

    def element_info(self, key: str) -> ElementInfo:
        """UUID and category of a known element; raises :class:`UnknownElement`."""
        return self._async.element_info(key)

    def __getitem__(self, key: str) -> Element:
        """The element *key* (a primary key under the root, or one looked up before)."""
        self._async.element_info(key)
        return Element(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._async

    def __iter__(self) -> Iterator[str]:
        return iter(self._async.keys())

    def __len__(self) -> int:
        return len(self._async)

    def keys(self) -> list[str]:
        """Primary keys of every element under the root, in model order."""
        return self._async.keys()

    def values(self) -> list[Element]:
        """An :class:`Element` for every element under the root."""
        return [Element(self, key) for key in self._async]

    def items(self) -> list[tuple[str, Element]]:
        """``(primary key, Element)`` for every element under the root."""
        return [(key, Element(self, key)) for key in self._async]

    def elements(self, category: Category | str | None = None) -> list[ElementInfo]:
        """UUID and category of every element under the root, optionally of one category.

        *category* is a :class:`~xentara_sync.protocol.Category` or its name
        (``"data_point"``, ``"DATA_POINT"``); an unknown one raises :class:`ValueError`.
        """
        return self._async.elements(category)

    # ------------------------------------------------------------------ reading and writing

    def read(
        self,
        key: str,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> Any:
        """The current value of element *key* (or of another *attribute*)."""
        planned = self._plan(lambda session: session.plan_read(key, attribute))
        if planned is None:  # a look-up first: the general path
            return self._run(
                lambda: self._async.read(key, attribute=attribute, timeout=timeout),
                timeout,
                f"read {key!r}",
            )
        return self._execute(planned, timeout)

    def read_attributes(
        self,
        key: str,
        attributes: Iterable[str | int | uuid.UUID] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[Any, Any]:
        """Several attributes of one element in one request."""
        return self._run(
            lambda: self._async.read_attributes(key, attributes, timeout=timeout),
            timeout,
            f"read {key!r}",
        )

    def read_many(
        self,
        keys: Iterable[str],
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """The values of many elements, read in one message: ``{key: value}``."""
        keys = key_list(keys, "read_many")
        planned = self._plan(lambda session: session.plan_read_many(keys, attribute))
        if planned is None:
            return self._run(
                lambda: self._async.read_many(keys, attribute=attribute, timeout=timeout),
                timeout,
                "read_many",
            )
        return self._execute(planned, timeout)  # type: ignore[no-any-return]

    def __setitem__(self, key: str, value: Any) -> None:
        """``client[key] = value``: the same as ``client.write(key, value)``."""
        self.write(key, value)

    def write(
        self,
        key: str,
        value: Any,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> None:
        """Write *value* to element *key*, checked against its data type first."""
        planned = self._plan(lambda session: session.plan_write(key, value, attribute))
        if planned is None:  # unknown name or no metadata yet: the general path asks
            self._run(
                lambda: self._async.write(key, value, attribute=attribute, timeout=timeout),
                timeout,
                f"write {key!r}",
            )
            return
        self._execute(planned, timeout)

    def metadata(self, key: str, *, timeout: float | None = None) -> ElementMetadata:
        """The element's category and attributes (names, access, data types)."""
        return self._run(
            lambda: self._async.metadata(key, timeout=timeout), timeout, f"meta_data {key!r}"
        )

    def server_information(self, *, timeout: float | None = None) -> ServerInfo:
        """Version, user name and model file path of the server."""
        return self._run(
            lambda: self._async.server_information(timeout=timeout), timeout, "server_information"
        )

    def get_stage(self, *, timeout: float | None = None) -> Stage | int:
        """The server's operational stage."""
        return self._run(lambda: self._async.get_stage(timeout=timeout), timeout, "get_stage")

    # ------------------------------------------------------------ browse, stages, sub-sessions

    def browse(
        self,
        key: str | None = None,
        *,
        depth: int | None = None,
        category: Category | str | Iterable[Category | str] | None = None,
        timeout: float | None = None,
    ) -> list[ElementInfo]:
        """The elements below *key* (None: the root), asked of the server now.

        *depth* None: every descendant; 1: the children. *category*: one or several
        categories to list. See :meth:`xentara_sync.aio.XentaraClient.browse`.
        """
        planned = self._plan(
            lambda session: session.plan_browse(key, depth=depth, category=category)
        )
        if planned is None:  # a look-up first: the general path
            return self._run(
                lambda: self._async.browse(key, depth=depth, category=category, timeout=timeout),
                timeout,
                f"browse {key!r}" if key is not None else "browse",
            )
        return self._execute(planned, timeout)  # type: ignore[no-any-return]

    def suspend(self, *, timeout: float | None = None) -> None:
        """Suspend the server: operational to suspended (``suspend``); returns once
        it is suspended."""
        self._run(lambda: self._async.suspend(timeout=timeout), timeout, "suspend")

    def resume(self, *, timeout: float | None = None) -> None:
        """Resume a suspended server (``resume``); returns once it is operational."""
        self._run(lambda: self._async.resume(timeout=timeout), timeout, "resume")

    def shutdown(self, *, timeout: float | None = None) -> None:
        """Stop the server (``shutdown``); it closes the connection then, so close
        the client when you are done."""
        self._run(lambda: self._async.shutdown(timeout=timeout), timeout, "shutdown")

    def sub_session(
        self,
        username: str | None = None,
        password: str | None = None,
        *,
        token: str | None = None,
        certificate: Certificate | None = None,
        timeout: float | None = None,
    ) -> SubSession:
        """Open a sub-session: reads and writes with another user's rights.

        One login: *username* and *password*, an OAuth 2.0 *token*, or a
        *certificate* (DER or PEM bytes, PEM text, or a file's path).
        ``with client.sub_session(user, password) as s: s.read(key)`` closes it at
        the end of the block. Wrong credentials raise :class:`AccessDenied`.
        """
        hidden, hidden_token = hide(password), hide(token)
        del password, token  # a traceback with locals shows only the wrappers
        if self._closed:
            raise ClientClosed(f"the client for {self.url} is closed")
        sub = self._async.sub_session(
            username, cast(str, hidden), token=cast(str, hidden_token), certificate=certificate
        )
        self._run(lambda: sub.open(timeout=timeout), timeout, f"create_sub_session {sub.label}")
        return SubSession(sub, self._run)

    # ------------------------------------------------------------------ subscriptions

    def subscribe(
        self,
        key: str | Iterable[str],
        maximum_update_interval: int | None = 500,
        minimum_update_interval: int | None = 1000,
        *,
        attribute: str | int | uuid.UUID = "value",
        max_queue: int | None = None,
        callback: Callback | None = None,
    ) -> Subscription:
        """A subscription to one element's value (or to several elements).

        Nothing is sent before it starts (``with``, ``start()`` or iteration).
        With *callback*, each event is passed to it on the dispatcher thread.
        """
        if self._closed:
            raise ClientClosed(f"the client for {self.url} is closed")
        return Subscription(
            self._async,
            subscription_keys(key),
            maximum_update_interval=maximum_update_interval,
            minimum_update_interval=minimum_update_interval,
            attribute=attribute,
            max_queue=check.count(max_queue, "max_queue", none=True) or self._async.max_queue,
            run=self._run,
            dispatcher=self._dispatcher,
            timeout=self._async.timeout,
            callback=callback,
        )

    # ------------------------------------------------------------------ testing toolkit

    def wait_until(
        self,
        key: str,
        condition: Condition,
        *,
        timeout: float | None = None,
        attribute: str | int | uuid.UUID = "value",
    ) -> Event:
        """Wait until element *key*'s value (or another *attribute*) meets *condition*;
        returns the :class:`~xentara_sync.Event` that met it.

        *condition* is a value (met when the value equals it) or a callable
        predicate, called in this thread (met when it returns something true; an
        exception it raises propagates; a str also matches an enum member by
        name, case-insensitively). The wait subscribes to every change, without
        polling; the current value counts, even with ``timeout=0`` (the first
        event may take up to the client's timeout). A value in error raises what
        :meth:`read` raises (:class:`WriteOnly`...) at once; a negative or NaN
        *timeout* raises :class:`InvalidArgument`. After *timeout* seconds
        (``None``: the client's timeout) it raises
        :class:`~xentara_sync.ConditionNotMet`, a :class:`TimeoutError` and an
        :class:`AssertionError` (a failed test in unittest and pytest)::

            client.write("Hardware.EtherCAT Bus.EL2624.Output 1", True)
            client.wait_until("Hardware.EtherCAT Bus.EL1004.Input 1", True, timeout=2)
            client.wait_until("Hardware.Signals.Sine", lambda v: v > 0.9, timeout=5)

        Ctrl-C interrupts the wait and ends its subscription.
        """
        __tracebackhide__ = True  # pytest: a failure shows the caller's line
        wait = Wait(key, condition, self.timeout if timeout is None else timeout, self.timeout)
        return watch(self.subscribe(key, None, None, attribute=attribute), wait)

    def write_many(self, values: Mapping[str, Any], *, timeout: float | None = None) -> None:
        """Write ``{key: value, ...}`` in one message, every value checked first.

        One value that cannot be written raises (:class:`TypeError` or
        :class:`ValueError` subclasses, :class:`ReadOnly`...) and nothing is sent;
        keys the server refuses raise :class:`~xentara_sync.WriteError`, naming each
        (the others were written).
        """
        values = write_many_values(values)
        if not values:
            return
        planned = self._plan(lambda session: session.plan_write_many(values))
        if planned is None:  # unknown names or metadata: the general path asks
            self._run(
                lambda: self._async.write_many(values, timeout=timeout), timeout, "write_many"
            )
            return
        self._execute(planned, timeout)

    def hold(
        self,
        key: str,
        condition: Condition,
        *,
        seconds: float,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> Event:
        """Check that element *key*'s value (or another *attribute*) meets
        *condition* for *seconds*; returns the last :class:`~xentara_sync.Event`
        checked::

            client.write("Hardware.Registers.Enable", True)
            client.hold("Hardware.Registers.Enable", True, seconds=2)
            client.hold("Hardware.Signals.Sine", lambda v: -100 <= v <= 100, seconds=5)

        *condition* is what :meth:`wait_until` takes (a value, or a predicate
        called in this thread). The current value is checked first, then every
        change, until *seconds* after the current value came. The first value that
        does not meet it raises :class:`~xentara_sync.ConditionBroken` (an
        :class:`AssertionError`: a failed test), which names it, its time stamp and
        how far into the hold it came. *timeout* (``None``: the client's timeout)
        bounds the wait for the current value (:class:`RequestTimeout`). A value
        in error raises what :meth:`read` raises. Ctrl-C interrupts the hold and
        ends its subscription.
        """
        __tracebackhide__ = True  # pytest: a failure shows the caller's line
        hold = Hold(
            key, condition, seconds, self.timeout if timeout is None else timeout, self.timeout
        )
        return watch(self.subscribe(key, None, None, attribute=attribute), hold)

    def record(
        self,
        keys: str | Iterable[str],
        *,
        seconds: float | None = None,
        count: int | None = None,
        max_events: int | None = None,
        to: str | os.PathLike[str] | None = None,
    ) -> Recording:
        """Record every value change of *keys* for *seconds*, or until *count* events
        (whichever comes first; at least one is needed)::

            recording = client.record(["Hardware.Signals.Sine"], seconds=5)
            recording.to_csv("sine.csv")
            recording.plot("sine.png")

        The :class:`~xentara_sync.toolkit.recording.Recording` starts with each key's current
        value; its outputs are in time order. With *count* alone, each event must
        come within the client's timeout of the one before (:class:`RequestTimeout`
        otherwise). At most *max_events* are kept in memory (None:
        :data:`~xentara_sync.toolkit.recording.DEFAULT_MAX_EVENTS`; the rest are counted in
        ``dropped``). Ctrl-C raises :class:`~xentara_sync.RecordingInterrupted` (a
        :class:`KeyboardInterrupt`), whose ``recording`` holds what was recorded.

        *to* (a path ending in ``.csv``, ``.parquet`` or ``.tdms``) streams the
        events to that file as they come, flushed at least every second, and keeps
        none in memory unless *max_events* is given (see
        :mod:`xentara_sync.toolkit.recordfile`)::

            recording = client.record(keys, seconds=600, to="run.parquet")
            frame = recording.to_dataframe()    # read back from run.parquet
        """
        from ..toolkit.recording import (
            Limits,
            Recording,
            RecordingInterrupted,
        )  # csv and all: only when used
        from .recorder import collect

        subscription = self.subscribe(subscription_keys(keys, "record"), None, None)
        limits = Limits(subscription.keys, seconds, count, self.timeout)
        recording = Recording(subscription.keys, max_events=max_events, to=to)
        try:
            return collect(subscription, limits, recording=recording)
        except RecordingInterrupted:
            raise
        except KeyboardInterrupt as exc:
            raise RecordingInterrupted(recording) from exc

    def recorder(
        self,
        keys: str | Iterable[str],
        *,
        max_events: int | None = None,
        to: str | os.PathLike[str] | None = None,
    ) -> Recorder:
        """Record every value change of *keys* in the background while a block runs::

            with client.recorder(["Hardware.Signals.Sine"]) as recording:
                client.write("Hardware.Registers.Setpoint", 2.5)
                time.sleep(1)
            recording.plot("run.png")

        The :class:`~xentara_sync.toolkit.recording.Recording` fills as the events come
        (each key's current value first; on the client's event loop, no thread of
        its own) and keeps what it got when the block ends, whether it ends
        normally, by an exception or by Ctrl-C. At most *max_events* are kept in
        memory (None: :data:`~xentara_sync.toolkit.recording.DEFAULT_MAX_EVENTS`; the rest
        are counted in ``dropped``). *to* streams the events to a file as
        :meth:`record` does: the file is written by a thread of its own.
        """
        from .recorder import Recorder

        if self._closed:
            raise ClientClosed(f"the client for {self.url} is closed")
        return Recorder(self._async, subscription_keys(keys, "recorder"), max_events, self._run, to)

    # ------------------------------------------------------------------ snapshot

    def snapshot(
        self,
        path: str | os.PathLike[str],
        root: str | None = None,
        *,
        record: float | None = None,
        progress: Callable[[int, int], object] | None = None,
        timeout: float | None = None,
    ) -> SnapshotResult:
        """Write a twin of the element tree below *root* (None: the whole model) to
        the model file *path*, which the simulator serves (see
        :meth:`xentara_sync.aio.XentaraClient.snapshot`).

        *progress* is called on the dispatcher thread, every call before this
        returns. *timeout* bounds the answer
        to each message; the snapshot as a whole takes as many messages as the
        tree needs (and *record* seconds more), so it has no overall limit;
        Ctrl-C cancels it.
        """
        from ..snapshot.driver import check_arguments

        check_arguments(path, root, record, progress)
        dispatcher = relay = None
        if progress is not None:  # called on the loop thread: handed on
            dispatcher = self._dispatcher()
            relay = dispatcher.relay(progress)
        if self._closed:
            raise ClientClosed(f"the client for {self.url} is closed")
        try:
            return self._thread.run(
                lambda: self._async.snapshot(
                    path, root, record=record, progress=relay, timeout=timeout
                ),
                None,
                f"snapshot of {self.url}",
            )
        finally:
            if dispatcher is not None:  # every progress call made before returning
                dispatcher.drain(self._async.timeout)
