"""The client's behaviour, written once for every flavour: the documented API.

:class:`ClientCore` is the Xentara client independent of the event loop. Each method
asks the connection's :class:`~xentara_sync.protocol.session.ClientSession` for the
operation's :class:`~xentara_sync.protocol.plans.Plan` (the session builds requests
and reads answers; nothing here parses or frames) and awaits it through
:class:`~xentara_sync.core.connection.Connection`. The flavours
(:mod:`xentara_sync.aio`, :mod:`xentara_sync.trio`) supply a
:class:`~xentara_sync.core.interfaces.Backend` and are otherwise this class.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..exceptions import (
    RequestTimeout,
    UnknownElement,
)
from ..protocol import Category, Opcode, Stage
from ..protocol import arguments as check
from ..protocol.arguments import key_list, subscription_keys, write_many_values
from ..protocol.index import ElementInfo, ElementMetadata, ServerInfo
from ..protocol.plans import Plan, attribute_list
from ..protocol.session import ClientSession
from ..secret import hide
from ..toolkit.conditions import Condition, Hold, Wait
from .connection import Connection
from .element import Element
from .interfaces import EventSink
from .lookups import element_metadata, resolve, writable_element
from .settings import DEFAULT_MAX_QUEUE, DEFAULT_TIMEOUT
from .snapshotlink import SnapshotLink
from .stages import change_stage
from .subscription import Subscription
from .subsession import Certificate, SubSession

if TYPE_CHECKING:
    from ..protocol.index import Event
    from ..snapshot import SnapshotResult
    from ..toolkit.recording import Recording
    from .recorder import AsyncRecorder

log = logging.getLogger("xentara_sync")

__all__ = [
    "DEFAULT_MAX_QUEUE",
    "DEFAULT_TIMEOUT",
    "ClientCore",
]


class ClientCore(Connection):
    """The Xentara client, independent of the event loop.

    See :class:`xentara_sync.aio.XentaraClient` for the documented API; the flavours
    add only their :class:`~xentara_sync.core.interfaces.Backend`.
    """

    # ------------------------------------------------------------------ names

    def element_info(self, key: str) -> ElementInfo:
        """UUID and category of a known element; raises :class:`UnknownElement`."""
        session = self._session
        if session is None:
            raise UnknownElement(operation="find", element=key)
        return session.element_info(key)

    # ------------------------------------------------------------------ mapping

    def __getitem__(self, key: str) -> Element:
        """The element *key* (a primary key under the root, or one looked up before)."""
        self.element_info(key)
        return Element(self, key)

    def _index_keys(self) -> Iterable[str]:
        session = self._session
        return session.index if session is not None else ()

    def __contains__(self, key: object) -> bool:
        session = self._session
        return session is not None and key in session.index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index_keys())

    def __len__(self) -> int:
        return self._element_count()

    def keys(self) -> list[str]:
        """Primary keys of every element under the root, in model order."""
        return list(self._index_keys())

    def values(self) -> list[Element]:
        """An :class:`Element` for every element under the root."""
        return [Element(self, key) for key in self._index_keys()]

    def items(self) -> list[tuple[str, Element]]:
        """``(primary key, Element)`` for every element under the root."""
        return [(key, Element(self, key)) for key in self._index_keys()]

    def elements(self, category: Category | str | None = None) -> list[ElementInfo]:
        """UUID and category of every element under the root, optionally of one category.

        *category* is a :class:`~xentara_sync.protocol.Category` or its name
        (``"data_point"``, ``"DATA_POINT"``); an unknown one raises :class:`ValueError`.
        """
        wanted = None if category is None else Category.parse(category)
        session = self._session
        if session is None:
            return []
        if wanted is None:
            return list(session.index.values())
        return [e for e in session.index.values() if e.category == wanted]

    # ------------------------------------------------------------------ reading

    async def read(
        self,
        key: str,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> Any:
        """The current value of element *key* (or of another *attribute*).

        ``key`` may also end with an attribute name: ``"Hardware.Sensor.quality"``.
        """
        session = await self._ready(timeout)
        # The hot path (a known key) plans without another coroutine.
        plan = session.plan_read(key, attribute) or await self._read_plan(
            session, key, attribute, timeout
        )
        return await self._execute(session, plan, timeout)

    async def _read_plan(
        self,
        session: ClientSession,
        key: str,
        attribute: str | int | uuid.UUID,
        timeout: float | None,
    ) -> Plan:
        """The plan of a read on *session*, the key looked up first if need be."""
        plan = session.plan_read(key, attribute)
        if plan is None:  # not known here: look it up first
            element = await resolve(self._execute, session, key, timeout)
            plan = session.plan_read(key, attribute, element=element)
            if plan is None:  # an attribute name only the element's metadata lists
                await element_metadata(self._execute, session, element[0], key, timeout)
                plan = session.plan_read(key, attribute, element=element)
        assert plan is not None
        return plan

    async def read_attributes(
        self,
        key: str,
        attributes: Iterable[str | int | uuid.UUID] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[Any, Any]:
        """Several attributes of one element in one request.

        *attributes* defaults to value, quality, change time and update time; the
        result is keyed by the attributes as given. A failing attribute raises.
        """
        session = await self._ready(timeout)
        element, _ = await resolve(self._execute, session, key, timeout)
        if attributes is not None:
            attributes = attribute_list(attributes)
        plan = session.plan_read_attributes(key, element, attributes)
        if plan is None:  # names only the element's metadata lists
            await element_metadata(self._execute, session, element, key, timeout)
            plan = session.plan_read_attributes(key, element, attributes)
        assert plan is not None
        return await self._execute(session, plan, timeout)  # type: ignore[no-any-return]

    async def read_many(
        self,
        keys: Iterable[str],
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """The values of many elements, read in one message: ``{key: value}``.

        The first failing element raises (its error names it).
        """
        keys = key_list(keys, "read_many")
        session = await self._ready(timeout)
        plan = session.plan_read_many(keys, attribute)
        if plan is None:
            elements = [await resolve(self._execute, session, key, timeout) for key in keys]
            plan = session.plan_read_many(keys, attribute, elements=elements)
            if plan is None:  # an attribute name only the elements' metadata lists
                for key, (element, _) in zip(keys, elements, strict=True):
                    await element_metadata(self._execute, session, element, key, timeout)
                plan = session.plan_read_many(keys, attribute, elements=elements)
        assert plan is not None
        return await self._execute(session, plan, timeout)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ metadata

    async def metadata(self, key: str, *, timeout: float | None = None) -> ElementMetadata:
        """The element's category and attributes (names, access, data types)."""
        session = await self._ready(timeout)
        element, _ = await resolve(self._execute, session, key, timeout)
        return await element_metadata(self._execute, session, element, key, timeout)

    # ------------------------------------------------------------------ writing

    async def write(
        self,
        key: str,
        value: Any,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> None:
        """Write *value* to element *key* (or to another *attribute*).

        The value is checked against the attribute's access and data type first
        (:class:`ReadOnly`, :class:`TypeMismatch`, :class:`OutOfRange`); a write
        that cannot succeed never leaves the client.
        """
        session = await self._ready(timeout)
        await self._write(session, key, value, attribute, timeout)

    async def _write(
        self,
        session: ClientSession,
        key: str,
        value: Any,
        attribute: str | int | uuid.UUID,
        timeout: float | None,
        sub_session: uuid.UUID | None = None,
    ) -> None:
        """A write on *session*, as the connection's user or a sub-session's."""
        plan = session.plan_write(key, value, attribute, sub_session=sub_session)
        if plan is None:  # the name or the metadata must be asked for first
            element = await writable_element(self._execute, session, key, timeout)
            plan = session.plan_write(
                key, value, attribute, element=element, sub_session=sub_session
            )
        assert plan is not None
        await self._execute(session, plan, timeout)

    async def write_many(self, values: Mapping[str, Any], *, timeout: float | None = None) -> None:
        """Write ``{key: value, ...}`` in one message.

        Every value is checked against its attribute's access and data type before
        anything is sent: one bad value raises (:class:`TypeMismatch`,
        :class:`OutOfRange`, :class:`ReadOnly`...) and nothing is written. If the
        server refuses some writes, :class:`~xentara_sync.WriteError` names each
        failed key (``errors``); the other keys were written.
        """
        values = write_many_values(values)
        if not values:
            return
        session = await self._ready(timeout)
        plan = session.plan_write_many(values)
        if plan is None:  # names or metadata must be asked for first
            elements = {
                key: await writable_element(self._execute, session, key, timeout) for key in values
            }
            plan = session.plan_write_many(values, elements=elements)
        assert plan is not None
        await self._execute(session, plan, timeout)

    # ------------------------------------------------------------------ testing toolkit

    async def wait_until(
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
        predicate (met when it returns something true; an exception it raises
        propagates; a str also matches an enum member by name, case-insensitively).
        The wait subscribes to every change, without polling; the current value
        counts, so a condition that holds already returns at once, even with
        ``timeout=0`` (the first event may take up to the client's timeout).
        After *timeout* seconds (``None``: the client's timeout) it raises
        :class:`~xentara_sync.ConditionNotMet` (a :class:`TimeoutError` and an
        :class:`AssertionError`), which names the last value seen and its time.
        A value in error raises what :meth:`read` raises (:class:`WriteOnly`...)
        at once; a negative or NaN *timeout* raises :class:`InvalidArgument`.
        """
        __tracebackhide__ = True  # pytest: a failure shows the caller's line
        wait = Wait(key, condition, self.timeout if timeout is None else timeout, self.timeout)
        return await self._watch(key, attribute, wait)

    async def _watch(self, key: str, attribute: str | int | uuid.UUID, watch: Wait) -> Event:
        """Show *watch* (a :class:`Wait` or :class:`Hold`) every change of *key* until
        it is over; its result.

        Every change, unthrottled and without heartbeats. The current value is the
        event the server sends right after the subscribe succeeds (the protocol
        decision "Initial event" of docs/protocol.rst; the reference, §11 and §13.2,
        leaves it open for a real Xentara)."""
        __tracebackhide__ = True
        subscription = self.subscribe(key, None, None, attribute=attribute)
        await subscription.start(timeout=watch.next_wait())
        try:
            while (left := watch.next_wait()) is not None:
                try:
                    event: Event | None = await subscription.receive(left)
                except RequestTimeout:
                    event = None
                watch.take(event)
            return watch.result()
        finally:
            await subscription.stop()

    async def hold(
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
        checked.

        *condition* is what :meth:`wait_until` takes (a value or a predicate). The
        current value is checked first, then every change, until *seconds* after
        the current value came. The first value that does not meet it raises
        :class:`~xentara_sync.ConditionBroken` (an :class:`AssertionError`), which
        names it, its time stamp and how far into the hold it came. *timeout*
        (``None``: the client's timeout) bounds the wait for the current value
        (:class:`RequestTimeout`). A value in error raises what :meth:`read`
        raises::

            await client.hold("Hardware.Registers.Enable", True, seconds=2)
            await client.hold("Hardware.Signals.Sine", lambda v: -100 <= v <= 100, seconds=5)
        """
        __tracebackhide__ = True  # pytest: a failure shows the caller's line
        hold = Hold(
            key, condition, seconds, self.timeout if timeout is None else timeout, self.timeout
        )
        return await self._watch(key, attribute, hold)

    async def record(
        self,
        keys: str | Iterable[str],
        *,
        seconds: float | None = None,
        count: int | None = None,
        max_events: int | None = None,
        to: str | os.PathLike[str] | None = None,
    ) -> Recording:
        """Record every value change of *keys* for *seconds*, or until *count* events
        (whichever comes first; at least one is needed).

        The :class:`~xentara_sync.toolkit.recording.Recording` starts with each key's current
        value; it writes CSV, a pandas DataFrame or a plot, in time order. With
        *count* alone, each event must come within the client's timeout of the one
        before (:class:`RequestTimeout` otherwise). At most *max_events* are kept in
        memory (None: :data:`~xentara_sync.toolkit.recording.DEFAULT_MAX_EVENTS`; the rest
        are counted in ``dropped``). Ctrl-C raises
        :class:`~xentara_sync.RecordingInterrupted`, whose ``recording`` holds what
        was recorded.

        *to* (a path ending in ``.csv``, ``.parquet`` or ``.tdms``) streams the
        events to that file as they come, flushed at least every second, and keeps
        none in memory unless *max_events* is given (see
        :mod:`xentara_sync.toolkit.recordfile`)::

            recording = await client.record(keys, seconds=600, to="run.parquet")
            frame = recording.to_dataframe()    # read back from run.parquet
        """
        from ..toolkit.recording import (
            Limits,
            Recording,
            RecordingInterrupted,
            interrupted_by_ctrl_c,
        )

        subscription = self.subscribe(subscription_keys(keys, "record"), None, None)
        limits = Limits(subscription.keys, seconds, count, self.timeout)
        recording = Recording(subscription.keys, max_events=max_events, to=to)
        try:
            recording.begin()
            await subscription.start()
            try:
                limits.start()
                while (wait := limits.next_wait(recording.received)) is not None:
                    try:
                        event = await subscription.receive(wait)
                    except RequestTimeout:  # the limits decide: over, or too quiet
                        continue
                    recording.add(event)
                    limits.recorded()
            finally:
                await subscription.stop()
        except BaseException as exc:
            if interrupted_by_ctrl_c(exc):
                raise RecordingInterrupted(recording) from exc
            raise
        finally:
            recording.finish()
        return recording

    def recorder(
        self,
        keys: str | Iterable[str],
        *,
        max_events: int | None = None,
        to: str | os.PathLike[str] | None = None,
    ) -> AsyncRecorder:
        """Record every value change of *keys* in the background while a block runs::

            async with client.recorder(["Hardware.Signals.Sine"]) as recording:
                await client.write("Hardware.Registers.Setpoint", 2.5)
                ...
            recording.plot("run.png")

        The :class:`~xentara_sync.toolkit.recording.Recording` fills as the events come
        (each key's current value first) and keeps what it got when the block ends,
        whether it ends normally, by an exception or by Ctrl-C. At most *max_events*
        are kept in memory (None: :data:`~xentara_sync.toolkit.recording.DEFAULT_MAX_EVENTS`;
        the rest are counted in ``dropped``). *to* streams the events to a file as
        :meth:`record` does.
        """
        from .recorder import AsyncRecorder

        return AsyncRecorder(self, subscription_keys(keys, "recorder"), max_events, to)

    # ------------------------------------------------------------------ subscriptions

    def subscribe(
        self,
        key: str | Iterable[str],
        maximum_update_interval: int | None = 500,
        minimum_update_interval: int | None = 1000,
        *,
        attribute: str | int | uuid.UUID = "value",
        max_queue: int | None = None,
    ) -> Subscription:
        """A subscription to one element's value (or to several elements).

        *maximum_update_interval* (ms) throttles: at most one event per interval.
        *minimum_update_interval* (ms) is a heartbeat: at least one event per
        interval, changed or not. ``None`` or 0 leaves either out. Nothing is sent
        before the subscription starts (``async with``, ``start()`` or iteration).
        """
        return Subscription(
            self,
            subscription_keys(key),
            maximum_update_interval=maximum_update_interval,
            minimum_update_interval=minimum_update_interval,
            attribute=attribute,
            max_queue=check.count(max_queue, "max_queue", none=True) or self.max_queue,
        )

    async def _start_subscription(
        self, subscription: Subscription, sink: EventSink, timeout: float | None
    ) -> uuid.UUID:
        return await self._subscribing.start(subscription, sink, timeout)

    async def _stop_subscription(
        self, subscription: Subscription, sink: EventSink, timeout: float | None
    ) -> None:
        await self._subscribing.stop(subscription, sink, timeout)

    # ------------------------------------------------------------------ server

    async def server_information(self, *, timeout: float | None = None) -> ServerInfo:
        """Version, user name and model file path of the server."""
        session = await self._ready(timeout)
        return await self._execute(session, session.plan_server_information(), timeout)  # type: ignore[no-any-return]

    async def get_stage(self, *, timeout: float | None = None) -> Stage | int:
        """The server's operational stage (:class:`~xentara_sync.protocol.Stage`)."""
        session = await self._ready(timeout)
        return await self._execute(session, session.plan_get_stage(), timeout)  # type: ignore[no-any-return]

    # ------------------------------------------------------------ browse, stages, sub-sessions

    async def browse(
        self,
        key: str | None = None,
        *,
        depth: int | None = None,
        category: Category | str | Iterable[Category | str] | None = None,
        timeout: float | None = None,
    ) -> list[ElementInfo]:
        """The elements below *key*, asked of the server now (``browse``).

        *key* None starts at the client's root element (the model root for
        ``root_element=None``); any other element is looked up if need be. *depth*
        None lists every descendant (Xentara's default); 1 the children, 2 down to
        the grandchildren... *category* (a :class:`~xentara_sync.protocol.Category`,
        its name, or several of them) lists only those categories; the server
        filters. The start element is not listed; the order is the model's. The
        elements seen are remembered: ``client[key]``, reads and writes then find
        them without a look-up, even outside the root. :meth:`keys` still lists
        the root's elements only, as browsed when connecting.
        """
        session = await self._ready(timeout)
        plan = session.plan_browse(key, depth=depth, category=category)
        if plan is None:  # a key outside the index: look it up first
            assert key is not None
            element, attribute = await resolve(self._execute, session, key, timeout)
            if attribute is not None:
                raise session.unknown(key, "browse")
            plan = session.plan_browse(key, depth=depth, category=category, element=element)
        assert plan is not None
        return await self._execute(session, plan, timeout)  # type: ignore[no-any-return]

    async def suspend(self, *, timeout: float | None = None) -> None:
        """Suspend the server (``suspend``); returns once it has left the operational
        stage.

        Xentara numbers only four stages on the WebSocket interface (0 start-up,
        1 pre-operational, 2 operational, 3 post-operational); the suspended stage
        has no documented number, so any stage other than operational counts as
        left (:meth:`get_stage` gives an unknown number as a plain int). A
        connection the server closes after accepting the suspend ends the wait too.
        Raises :class:`InvalidStageChange` in another stage, :class:`AccessDenied`
        if the user may not write, :class:`RequestTimeout` if the server is still
        operational after *timeout*.
        """
        await self._stage_change(await self._ready(timeout), Opcode.SUSPEND, timeout)

    async def resume(self, *, timeout: float | None = None) -> None:
        """Resume a suspended server (``resume``, opcode 9); returns once the server
        is operational again.

        A resume refused while the server is still post-operational (a suspend on
        its way to the suspended stage) is tried again until *timeout*. Raises
        :class:`InvalidStageChange` if the server is not suspended.
        """
        await self._stage_change(await self._ready(timeout), Opcode.RESUME, timeout)

    async def shutdown(self, *, timeout: float | None = None) -> None:
        """Stop the server (``shutdown``); returns once the server accepted it, or
        closed the connection in answer (the expected end of a shutdown).

        The client reconnects if the server comes back (``reconnect=True``), so
        close the client when you are done. Raises :class:`AccessDenied` if the
        user may not (the simulator allows it only when started with
        ``allow_shutdown``).
        """
        await self._stage_change(await self._ready(timeout), Opcode.SHUTDOWN, timeout)

    async def _stage_change(
        self,
        session: ClientSession,
        opcode: Opcode,
        timeout: float | None,
        sub_session: uuid.UUID | None = None,
    ) -> None:
        await change_stage(self, session, opcode, timeout, sub_session)

    def sub_session(
        self,
        username: str | None = None,
        password: str | None = None,
        *,
        token: str | None = None,
        certificate: Certificate | None = None,
    ) -> SubSession:
        """A sub-session: reads and writes with another user's rights.

        The user logs in with one of the three logins of ``create_sub_session``:
        *username* and *password*, an OAuth 2.0 access *token*, or an X.509
        *certificate* (DER or PEM bytes, PEM text, or a file's path; the server
        does not check that you hold its private key). ``async with
        client.sub_session(user, password) as s:`` opens it and closes it at the
        end; ``s = await client.sub_session(token=token)`` opens it (then ``await
        s.close()``). See :class:`~xentara_sync.core.subsession.SubSession`. No login,
        or more than one, raises :class:`~xentara_sync.exceptions.InvalidArgument`.
        """
        hidden, hidden_token = hide(password), hide(token)
        del password, token  # a traceback with locals shows only the wrappers
        return SubSession(self, username, hidden, token=hidden_token, certificate=certificate)

    # ------------------------------------------------------------------ snapshot

    async def snapshot(
        self,
        path: str | os.PathLike[str],
        root: str | None = None,
        *,
        record: float | None = None,
        progress: Callable[[int, int], object] | None = None,
        timeout: float | None = None,
    ) -> SnapshotResult:
        """Write a twin of the element tree below *root* (None or ``""``: the whole
        model) to the model file *path*, which the simulator serves.

        Same primary keys, UUIDs and categories; data points become registers of
        the same data type and access holding the value read. With *record*, each
        data point's changes are recorded for that many seconds and the twin
        replays them in a loop. Elements whose metadata or value the server
        refuses are left out, each with a :class:`~xentara_sync.snapshot.SnapshotWarning`
        (and one more if no data point at all could be read: the user may lack the
        read right); the file is still written.
        ``progress(done, total)`` is called as elements are read. *timeout*
        bounds each message's answer. The file is written atomically.

        Example (then ``xentara-sync simulate --model bench.json`` serves the twin)::

            result = await client.snapshot("bench.json", record=30)
            print(f"{result.elements} elements, {len(result.skipped)} left out")
        """
        from ..snapshot import driver

        driver.check_arguments(path, root, record, progress)
        session = await self._ready(timeout)
        link = SnapshotLink(self, session, timeout)
        twin, recorded = await driver.take_snapshot(link, root, record=record, progress=progress)
        # Building the model and writing it take a while for a big tree: not on the
        # event loop, whose other tasks (subscriptions, keepalive) must go on.
        written = await self._backend.run_in_thread(lambda: driver.write_twin(path, twin))
        result = driver.result_of(twin, written, recorded)
        for key, reason in result.skipped.items():
            warnings.warn(
                f"snapshot: {key!r} left out: {reason}", driver.SnapshotWarning, stacklevel=2
            )
        unread = driver.unread_warning(result)
        if unread is not None:
            warnings.warn(f"snapshot: {unread}", driver.SnapshotWarning, stacklevel=2)
        return result
