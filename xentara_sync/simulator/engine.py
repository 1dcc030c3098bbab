"""The simulated Xentara: command handling, subscriptions, stages. No sockets here.

:class:`Engine` is the state shared by all connections (model, stage, users, timer
tasks, counters); :class:`Session` is one connection's protocol state: it turns one
incoming WebSocket message into one outgoing message of responses, and builds the
event messages of its subscriptions. The transport (:mod:`.server`) only moves bytes.

Choices where the Xentara reference is silent (see the protocol reference, §13):

Packets and messages
    A batch is executed in order and answered one-for-one, in request order, in one
    message. An empty batch gets no answer. Bytes that are not CBOR, a message that
    is not an outer array, and text frames get one ``[[2, 0, {0: -32700, 1: ...}]]``
    message: message id **0** stands for "no id could be read" (also used for a
    packet whose message id is missing or not an integer). A packet that is not an
    array, or whose packet type, message id or opcode is missing or not an integer,
    gets -32700; a request with more than four elements, a parameter item that is
    not a map, or a packet type other than request gets -32600. The connection
    always lives on.
Commands
    Unknown opcodes get -32601 "command not found", before the hello check. Every
    missing or ill-typed parameter gets -32602 with a text naming it. ``read`` of an
    unknown element is an error packet (-32100); missing (-32101) and write-only
    (-32104) attributes are ``122`` entries. A user without read right gets -32102
    for ``read`` and ``subscribe``; without write right, for ``write``, ``suspend``,
    ``resume`` and ``shutdown``. With a sub-session id, both the connection's user
    and the sub-session's user need the right (``check_access`` reports the
    combination). Without configured users everyone has every right, and every
    password sub-session is accepted.
Stages
    ``get_stage`` answers :class:`~xentara_sync.protocol.Stage` numbers; the
    simulator starts operational (2). ``suspend`` (10): operational -> suspended
    (4); signals stop changing (the signal clock freezes), writes still work.
    ``resume`` (9): suspended -> operational. ``shutdown`` (11): operational or
    suspended -> post-operational (3); the request is answered, then the server
    closes every connection with 1001 (going away) and stops listening. Any other
    transition gets -32112.
Subscriptions
    Key 1 (``maximum_update_rate``, ms) throttles: at most one event message part
    per interval per subscription, carrying the newest values. Key 2
    (``minimum_update_rate``, ms) is a heartbeat: when that long has passed since the
    subscription's last event, all its attributes are sent again. Right after the
    subscribe response, one event with the current value of every subscribed
    attribute is sent (not throttled). Events carry the subscribed attributes that
    changed (partial updates); key 0 is the element's change time. A desired id that
    exists replaces the old subscription. Subscribing to an attribute an element
    lacks fails the request with -32101.
Timers
    Signals are computed from the clock when read. A timer ticks (in a small
    thread of its own, which hands each tick to the event loop) only while some
    subscription watches one of its signals; all changes of one tick go out in one
    event message per connection. When the loop falls behind, ticks coalesce:
    subscribers get the newest tick's values.
Coalescing
    Pending changes are kept per subscription as "(element, attributes) that
    changed", never as queued messages; values are read when the event message is
    built. While the socket is busy (the write buffer above its limit), changes
    pile up into that bounded set, so a slow subscriber gets the newest value of
    each attribute, never a backlog. All events due at the same moment go out in
    one message per connection, one packet per element (several subscriptions of
    the connection covering one element share its packet).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import hmac
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import cbor2

from ..exceptions import ProtocolError
from ..protocol import (
    NIL_UUID,
    PROTOCOL_VERSION,
    DataChange,
    ErrorCode,
    Failure,
    Opcode,
    Packet,
    Request,
    Stage,
    Success,
    TimePoint,
    decode,
    encode_message,
    fault,
    parse_packet,
    wrap,
)
from .datatypes import Rejected, coerce
from .fastread import answer_reads, element_index
from .model import Element, Model, Timer, Watch

__all__ = ["Engine", "Session", "Subscription", "User"]

E = ErrorCode
_HELLO: Final = int(Opcode.CLIENT_HELLO)


@dataclass(frozen=True)
class User:
    """A user the simulator accepts, with read and write rights.

    >>> User("operator", "secret", write=False)
    User(name='operator', read=True, write=False)
    """

    name: str
    password: str = field(repr=False)
    read: bool = True
    write: bool = True


class Fail(Exception):
    """A request fails with *code* and *text*."""

    def __init__(self, code: ErrorCode, text: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.text = text if text is not None else code.text


def _bad(text: str) -> Fail:
    return Fail(E.INVALID_PARAMETER, text)


def _int(value: object) -> bool:
    return type(value) is int


def _get(params: Mapping[Any, Any] | None, key: int, what: str) -> Any:
    if params is None or key not in params:
        raise _bad(f"missing parameter {key} ({what})")
    return params[key]


def _uuid(params: Mapping[Any, Any] | None, key: int, what: str) -> uuid.UUID:
    value = _get(params, key, what)
    if not isinstance(value, uuid.UUID):
        raise _bad(f"parameter {key} ({what}) must be a UUID (tag 37)")
    return value


def _optional_uuid(params: Mapping[Any, Any] | None, key: int, what: str) -> uuid.UUID | None:
    if params is None or key not in params:
        return None
    return _uuid(params, key, what)


def _attribute_key(key: object) -> int | uuid.UUID:
    if _int(key) or isinstance(key, uuid.UUID):
        return key  # type: ignore[return-value]
    raise _bad(f"invalid attribute identifier {key!r}: an integer or a UUID")


def _rate(params: Mapping[Any, Any], key: int, what: str) -> float:
    value = params.get(key)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise _bad(f"parameter {key} ({what}) must be a non-negative number of milliseconds")
    return float(value) / 1000.0


class Engine:
    """The state of one simulated Xentara, shared by its connections.

    Runs on one asyncio loop; nothing here is thread-safe (the
    :class:`~xentara_sync.simulator.Simulator` crosses threads for its hooks).
    """

    def __init__(
        self,
        model: Model,
        users: Sequence[User] = (),
        *,
        version: str = "2.0.7-simulator",
    ) -> None:
        self.model = model
        #: The elements by the 16 bytes of their UUIDs (the read fast path's index).
        self.by_uuid_bytes = element_index(model.by_uuid)
        self.users = {u.name: u for u in users}
        self.version = version
        self.stage = Stage.OPERATIONAL
        self.sessions: set[Session] = set()
        self.request_count = 0
        self.unstalled = asyncio.Event()
        self.unstalled.set()
        #: Called (once) after a shutdown request was answered.
        self.on_shutdown: Callable[[], None] | None = None
        self.started = TimePoint.now()
        self._timer_threads: dict[Timer, threading.Thread] = {}
        self._stopping = threading.Event()
        try:
            self.account = getpass.getuser()
        except Exception:
            self.account = "xentara"
        for timer in model.timers:
            timer.on_watched = self._start_timer

    # ----------------------------------------------------------------- users

    def authenticate(self, name: str, password: str) -> User | None:
        """The user with these credentials, or ``None``."""
        user = self.users.get(name)
        if user is None:
            hmac.compare_digest(password.encode(), b"\0" * len(password.encode()))
            return None
        if hmac.compare_digest(user.password.encode(), password.encode()):
            return user
        return None

    # ----------------------------------------------------------------- timers

    def _start_timer(self, timer: Timer) -> None:
        if timer in self._timer_threads or self._stopping.is_set():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        thread = threading.Thread(
            target=self._timer_thread,
            args=(timer, loop),
            name=f"xentara-simulator timer {timer.key}",
            daemon=True,
        )
        self._timer_threads[timer] = thread
        thread.start()

    def _timer_thread(self, timer: Timer, loop: asyncio.AbstractEventLoop) -> None:
        # The loop's own timers have a granularity of a millisecond (and always
        # oversleep), which would skip ticks of a 1 ms timer; a thread waits
        # precisely and hands each tick to the loop, at most one at a time.
        period = timer.period_ns
        stopping = self._stopping
        due = threading.Event()
        try:
            while timer.watched:
                if stopping.wait((period - time.time_ns() % period) / 1e9):
                    return
                if not due.is_set():
                    due.set()
                    loop.call_soon_threadsafe(self._tick, timer, due)
        except RuntimeError:  # the loop is closed
            return
        finally:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._timer_ended, timer)

    @staticmethod
    def _tick(timer: Timer, due: threading.Event) -> None:
        due.clear()
        for signal in list(timer.watched):
            signal.refresh()

    def _timer_ended(self, timer: Timer) -> None:
        self._timer_threads.pop(timer, None)
        if timer.watched:
            self._start_timer(timer)

    def stop_timers(self) -> None:
        """Stop every timer thread (at server stop)."""
        self._stopping.set()
        self._timer_threads.clear()

    # ----------------------------------------------------------------- stages

    def change_stage(self, opcode: int) -> None:
        """Apply suspend, resume or shutdown; raises :class:`Fail` (-32112)."""
        stage = self.stage
        if opcode == Opcode.SUSPEND and stage is Stage.OPERATIONAL:
            self.model.clock.frozen = time.time_ns()
            self.stage = Stage.SUSPENDED
        elif opcode == Opcode.RESUME and stage is Stage.SUSPENDED:
            self.model.clock.frozen = None
            self.stage = Stage.OPERATIONAL
        elif opcode == Opcode.SHUTDOWN and stage in (Stage.OPERATIONAL, Stage.SUSPENDED):
            self.stage = Stage.POST_OPERATIONAL
        else:
            raise Fail(
                E.INVALID_STAGE_CHANGE,
                f"invalid stage change request: {Opcode(opcode).name.lower()} "
                f"in stage {stage.name.lower()}",
            )


class Subscription:
    """One subscription of a session: its watches, rates and pending changes."""

    __slots__ = (
        "active",
        "force",
        "heartbeat",
        "id",
        "last_sent",
        "pending",
        "session",
        "throttle",
        "watches",
    )

    def __init__(
        self, session: Session, subscription_id: uuid.UUID, throttle: float, heartbeat: float
    ) -> None:
        self.session = session
        self.id = subscription_id
        self.throttle = throttle
        self.heartbeat = heartbeat
        self.watches: list[Watch] = []
        self.pending: dict[Watch, int] = {}
        self.last_sent = 0.0
        self.active = False
        self.force = False

    def mark(self, watch: Watch, mask: int) -> None:
        """Note that the attributes in *mask* of *watch*'s element changed."""
        pending = self.pending
        pending[watch] = pending.get(watch, 0) | mask
        if self.active:
            self.session.wake()

    def mark_all(self) -> None:
        """Note every subscribed attribute as changed (initial event, heartbeat)."""
        pending = self.pending
        for watch in self.watches:
            pending[watch] = watch.mask

    def activate(self) -> None:
        """Start sending events, beginning with the initial one."""
        self.active = True
        self.force = True
        self.mark_all()
        self.session.wake()

    def detach(self) -> None:
        """Stop watching (unsubscribe, replacement, connection end)."""
        self.active = False
        for watch in self.watches:
            point = watch.element.point
            if point is not None:
                point.remove_watch(watch)
        self.pending.clear()


_Handler = Callable[["Session", "Mapping[Any, Any] | None"], Any]


class Session:
    """The protocol state of one connection.

    :meth:`handle` answers one incoming message; :meth:`collect_events` builds the
    next event message. *wake* is called when events become due; *after_send*
    callbacks returned by :meth:`handle` must run once the response is sent.
    """

    #: Answer messages of plain reads through :func:`.fastread.answer_reads` (the
    #: tests turn it off to compare with the general path).
    fast_reads = True

    def __init__(self, engine: Engine, user: User | None, wake: Callable[[], None]) -> None:
        self.engine = engine
        self.user = user
        self.wake = wake
        self.hello = False
        self.subscriptions: dict[uuid.UUID, Subscription] = {}
        self.sub_sessions: dict[uuid.UUID, User | None] = {}
        self._after: list[Callable[[], None]] = []
        engine.sessions.add(self)

    def close(self) -> None:
        """Drop subscriptions and sub-sessions (the connection ended)."""
        for subscription in self.subscriptions.values():
            subscription.detach()
        self.subscriptions.clear()
        self.sub_sessions.clear()
        self.engine.sessions.discard(self)

    # ----------------------------------------------------------------- messages

    def handle(self, data: bytes | str) -> tuple[bytes | None, list[Callable[[], None]]]:
        """The response message to *data* (``None`` for an empty batch), and the
        callbacks to run after sending it."""
        after: list[Callable[[], None]] = []
        self._after = after
        if isinstance(data, str):
            return self._message_error("text frames are not supported: send binary CBOR"), after
        if self.fast_reads and self.hello:
            fast = answer_reads(self, data)
            if fast is not None:
                return fast, after
        try:
            items = decode(data)
        except ProtocolError as exc:
            return self._message_error(str(exc)), after
        if not isinstance(items, list):
            return self._message_error("a message must be an array of packets"), after
        if not items:
            return None, after
        packets = [self._answer(item) for item in items]
        self.engine.request_count += len(packets)
        return encode_message(packets), after

    def _message_error(self, text: str) -> bytes:
        self.engine.request_count += 1
        return encode_message([Failure(0, E.PARSE_ERROR, text)])

    def _answer(self, item: Any) -> Packet:
        try:
            packet = parse_packet(item)
        except ProtocolError as exc:
            return self._malformed(item, str(exc))
        if not isinstance(packet, Request):
            return Failure(
                packet.message_id if isinstance(packet, (Success, Failure)) else 0,
                E.INVALID_REQUEST,
                "invalid packet type: a client sends requests (packet type 0)",
            )
        message_id, opcode, params = packet
        handler = _HANDLERS.get(opcode)
        if handler is None:
            return Failure(message_id, E.COMMAND_NOT_FOUND, f"command not found: opcode {opcode}")
        if not self.hello and opcode != _HELLO:
            return Failure(message_id, E.MISSING_CLIENT_HELLO, E.MISSING_CLIENT_HELLO.text)
        try:
            return Success(message_id, handler(self, params))
        except Fail as fail:
            return Failure(message_id, fail.code, fail.text)
        except Exception as exc:  # a simulator bug must not end the connection
            return Failure(message_id, E.INTERNAL_ERROR, f"internal server error: {exc!r}")

    @staticmethod
    def _malformed(item: Any, text: str) -> Failure:
        if not isinstance(item, list) or not item or not _int(item[0]):
            return Failure(0, E.PARSE_ERROR, f"malformed packet: {text}")
        message_id = item[1] if len(item) > 1 and _int(item[1]) else None
        if message_id is None:
            return Failure(0, E.PARSE_ERROR, f"malformed packet: {text}")
        if item[0] == 0 and (len(item) < 3 or not _int(item[2])):
            return Failure(message_id, E.PARSE_ERROR, f"malformed packet: {text}")
        return Failure(message_id, E.INVALID_REQUEST, f"invalid request: {text}")

    # ----------------------------------------------------------------- helpers

    def _element(self, element_uuid: uuid.UUID) -> Element:
        element = self.engine.model.by_uuid.get(element_uuid)
        if element is None:
            raise Fail(E.UNKNOWN_ELEMENT, f"unknown element {element_uuid}")
        return element

    def _sub_session_user(self, params: Mapping[Any, Any] | None, key: int) -> User | None:
        session_id = _optional_uuid(params, key, "sub-session id")
        if session_id is None:
            return self.user
        if session_id not in self.sub_sessions:
            raise Fail(E.UNKNOWN_SESSION, f"unknown session Id {session_id}")
        return self.sub_sessions[session_id]

    def _rights(self, other: User | None) -> tuple[bool, bool]:
        read = write = True
        for user in (self.user, other):
            if user is not None:
                read = read and user.read
                write = write and user.write
        return read, write

    def _require_read(self) -> None:
        if self.user is not None and not self.user.read:
            raise Fail(E.ACCESS_DENIED, f"access denied: user {self.user.name!r} may not read")

    def _require_write(self, params: Mapping[Any, Any] | None, key: int) -> None:
        if not self._rights(self._sub_session_user(params, key))[1]:
            raise Fail(E.ACCESS_DENIED, "access denied: no write right")

    # ----------------------------------------------------------------- commands

    def client_hello(self, params: Mapping[Any, Any] | None) -> Any:
        if self.hello:
            raise Fail(E.DUPLICATE_CLIENT_HELLO)
        low = _get(params, 0, "minimum_protocol_version")
        high = _get(params, 1, "maximum_protocol_version")
        if not _int(low) or not _int(high) or low < 0 or high < 0:
            raise _bad("protocol versions must be unsigned integers")
        if low > high:
            raise _bad("minimum protocol version is above the maximum")
        if not low <= PROTOCOL_VERSION <= high:
            raise _bad(f"unsupported protocol version: this server speaks {PROTOCOL_VERSION}")
        self.hello = True
        return {0: PROTOCOL_VERSION}

    def server_information(self, params: Mapping[Any, Any] | None) -> Any:
        items = _get(params, 0, "server_information_ids")
        if not isinstance(items, list):
            raise _bad("parameter 0 (server_information_ids) must be an array")
        engine = self.engine
        known = {0: engine.version, 1: engine.account, 2: engine.model.path}
        result = {}
        for item in items:
            if not _int(item) or item not in known:
                raise _bad(f"invalid server information identifier {item!r}")
            result[item] = known[item]
        return result

    def browse(self, params: Mapping[Any, Any] | None) -> Any:
        start = _uuid(params, 0, "element_uuid")
        assert params is not None
        model = self.engine.model
        element = model.root if start == NIL_UUID else self._element(start)
        depth = params.get(1)
        if depth is not None and (not _int(depth) or depth < 0):
            raise _bad("parameter 1 (depth) must be an unsigned integer")
        categories = params.get(2)
        wanted: set[int] | None = None
        if categories is not None:
            if not isinstance(categories, list) or not all(_int(c) for c in categories):
                raise _bad("parameter 2 (element_category) must be an array of integers")
            wanted = set(categories)
        if depth is None:
            elements = model.elements if element is model.root else element.descendants()
            if wanted is None:
                return model.full_browse() if element is model.root else [e.entry for e in elements]
            return [e.entry for e in elements if e.category in wanted]
        return [e.entry for e in element.walk(depth) if wanted is None or e.category in wanted]

    def meta_data(self, params: Mapping[Any, Any] | None) -> Any:
        start = _uuid(params, 0, "element_uuid")
        items = _get(params, 1, "identifiers")
        model = self.engine.model
        element = model.root if start == NIL_UUID else self._element(start)
        if not isinstance(items, list):
            raise _bad("parameter 1 (identifiers) must be an array")
        result: dict[int, Any] = {}
        for item in items:
            if item == 0 and _int(item):
                result[0] = element.key
            elif item == 1 and _int(item):
                result[1] = int(element.category)
            elif item == 2 and _int(item):
                result[2] = [] if element is model.root else element.table.metadata
            elif item == 3 and _int(item):
                result[3] = bool(element.children)
            else:
                raise _bad("invalid meta data identifier")
        return result

    def lookup(self, params: Mapping[Any, Any] | None) -> Any:
        key = _get(params, 0, "primary_key")
        if not isinstance(key, str) or not key:
            raise _bad("parameter 0 (primary_key) must be a non-empty text string")
        element = self.engine.model.by_key.get(key)
        if element is None:
            raise Fail(E.UNKNOWN_ELEMENT, f"unknown element {key!r}")
        return element.uuid

    def read(self, params: Mapping[Any, Any] | None) -> Any:
        element = self._element(_uuid(params, 0, "element_uuid"))
        keys = _get(params, 1, "attribute_ids")
        if not isinstance(keys, list):
            raise _bad("parameter 1 (attribute_ids) must be an array")
        self._require_read()
        by_key = element.table.by_key
        result: dict[Any, Any] = {}
        for key in keys:
            attribute = by_key.get(_attribute_key(key))
            if attribute is None:
                result[key] = _MISSING
            else:
                result[key] = wrap(element.get(attribute))
        return result

    def write(self, params: Mapping[Any, Any] | None) -> Any:
        element = self._element(_uuid(params, 0, "element_uuid"))
        key = _attribute_key(_get(params, 1, "attribute_id"))
        value = _get(params, 2, "attribute_value")
        attribute = element.table.by_key.get(key)
        if attribute is None:
            raise Fail(E.MISSING_ATTRIBUTE, f"{element.key} has no attribute {key!r}")
        self._require_write(params, 3)
        if not element.table.access[attribute].writable:
            raise Fail(E.READ_ONLY, f"{element.key}: attribute {key!r} is read only")
        point = element.point
        assert point is not None
        try:
            stored = coerce(point.data_type, value)
        except Rejected as exc:
            raise Fail(exc.code, exc.text) from None
        point.store(stored, written=True)
        return None

    def subscribe(self, params: Mapping[Any, Any] | None) -> Any:
        items = _get(params, 0, "subscription_array")
        assert params is not None
        if not isinstance(items, list) or not items:
            raise _bad("parameter 0 (subscription_array) must be a non-empty array")
        throttle = _rate(params, 1, "maximum_update_rate")
        heartbeat = _rate(params, 2, "minimum_update_rate")
        desired = _optional_uuid(params, 3, "desired_subscription_id")
        if desired == NIL_UUID:
            raise _bad("parameter 3 (desired_subscription_id) must not be the nil UUID")
        self._require_read()
        plan: list[tuple[Element, list[tuple[int | uuid.UUID, int]]]] = []
        for item in items:
            if not isinstance(item, Mapping):
                raise _bad("subscription entries must be maps {0: element, 1: [attributes]}")
            element = self._element(_uuid(item, 0, "element_uuid"))
            keys = _get(item, 1, "attribute_ids")
            if not isinstance(keys, list) or not keys:
                raise _bad("entry key 1 (attribute_ids) must be a non-empty array")
            by_key = element.table.by_key
            pairs: list[tuple[int | uuid.UUID, int]] = []
            for key in keys:
                attribute = by_key.get(_attribute_key(key))
                if attribute is None:
                    raise Fail(E.MISSING_ATTRIBUTE, f"{element.key} has no attribute {key!r}")
                pairs.append((key, attribute))
            plan.append((element, pairs))
        subscription_id = desired if desired is not None else uuid.uuid4()
        old = self.subscriptions.pop(subscription_id, None)
        if old is not None:
            old.detach()
        subscription = Subscription(self, subscription_id, throttle, heartbeat)
        for element, pairs in plan:
            watch = Watch(subscription, element, pairs)
            subscription.watches.append(watch)
            if element.point is not None:
                element.point.add_watch(watch)
        self.subscriptions[subscription_id] = subscription
        self._after.append(subscription.activate)
        return subscription_id

    def unsubscribe(self, params: Mapping[Any, Any] | None) -> Any:
        subscription_id = _uuid(params, 0, "subscription_id")
        subscription = self.subscriptions.pop(subscription_id, None)
        if subscription is None:
            raise Fail(E.UNKNOWN_SUBSCRIPTION, f"unknown subscription Id {subscription_id}")
        subscription.detach()
        return None

    def get_stage(self, params: Mapping[Any, Any] | None) -> Any:
        return int(self.engine.stage)

    def _stage_command(self, params: Mapping[Any, Any] | None, opcode: Opcode) -> None:
        self._require_write(params, 0)
        self.engine.change_stage(opcode)
        if opcode == Opcode.SHUTDOWN and self.engine.on_shutdown is not None:
            self._after.append(self.engine.on_shutdown)

    def resume(self, params: Mapping[Any, Any] | None) -> Any:
        self._stage_command(params, Opcode.RESUME)

    def suspend(self, params: Mapping[Any, Any] | None) -> Any:
        self._stage_command(params, Opcode.SUSPEND)

    def shutdown(self, params: Mapping[Any, Any] | None) -> Any:
        self._stage_command(params, Opcode.SHUTDOWN)

    def create_sub_session(self, params: Mapping[Any, Any] | None) -> Any:
        auth = _get(params, 0, "authentication_information")
        assert params is not None
        desired = _optional_uuid(params, 1, "desired_session_id")
        if desired == NIL_UUID:
            raise _bad("parameter 1 (desired_session_id) must not be the nil UUID")
        if not isinstance(auth, cbor2.CBORTag) or auth.tag not in (121, 122, 123):
            raise _bad("parameter 0 must be tag 121 (OAuth), 122 (certificate) or 123 (password)")
        if auth.tag != 123:
            method = "OAuth 2.0" if auth.tag == 121 else "certificate"
            raise Fail(E.ACCESS_DENIED, f"access denied: {method} authentication is not supported")
        body = auth.value
        if (
            not isinstance(body, Mapping)
            or not isinstance(body.get(0), str)
            or not isinstance(body.get(1), str)
        ):
            raise _bad("tag 123 must hold {0: user name, 1: password} as text strings")
        engine = self.engine
        user: User | None = None
        if engine.users:
            user = engine.authenticate(body[0], body[1])
            if user is None:
                raise Fail(E.ACCESS_DENIED, "access denied: wrong user name or password")
        session_id = desired if desired is not None else uuid.uuid4()
        self.sub_sessions[session_id] = user
        return session_id

    def close_sub_session(self, params: Mapping[Any, Any] | None) -> Any:
        session_id = _uuid(params, 0, "session_id")
        if self.sub_sessions.pop(session_id, _ABSENT) is _ABSENT:
            raise Fail(E.UNKNOWN_SESSION, f"unknown session Id {session_id}")
        return None

    def check_access(self, params: Mapping[Any, Any] | None) -> Any:
        session_id = _uuid(params, 0, "sub_session_id")
        if session_id not in self.sub_sessions:
            raise Fail(E.UNKNOWN_SESSION, f"unknown session Id {session_id}")
        read, write = self._rights(self.sub_sessions[session_id])
        return {0: read, 1: write}

    # ----------------------------------------------------------------- events

    def collect_events(self, now: float) -> tuple[bytes | None, float | None]:
        """The event message due at loop time *now* (or ``None``), and the loop time
        at which the next one may become due (or ``None``: only on a change)."""
        out: dict[Element, dict[Any, Any]] = {}
        deadline: float | None = None
        for subscription in self.subscriptions.values():
            if not subscription.active:
                continue
            heartbeat = subscription.heartbeat
            if heartbeat and now >= subscription.last_sent + heartbeat:
                subscription.mark_all()
            pending = subscription.pending
            if pending:
                throttle = subscription.throttle
                if subscription.force or not throttle or now >= subscription.last_sent + throttle:
                    for watch, mask in pending.items():
                        element = watch.element
                        attributes = out.get(element)
                        if attributes is None:
                            attributes = out[element] = {}
                        get = element.get
                        for key, attribute in watch.keys:
                            if mask >> attribute & 1:
                                attributes[key] = get(attribute)
                    subscription.pending = {}
                    subscription.last_sent = now
                    subscription.force = False
                else:
                    due = subscription.last_sent + throttle
                    deadline = due if deadline is None or due < deadline else deadline
            if heartbeat:
                due = subscription.last_sent + heartbeat
                deadline = due if deadline is None or due < deadline else deadline
        if not out:
            return None, deadline
        started = self.engine.started
        packets = [
            DataChange(
                element.point.change if element.point is not None else started,
                element.uuid,
                attributes,
            )
            for element, attributes in out.items()
        ]
        return encode_message(packets), deadline


_ABSENT: Final = object()
_MISSING: Final = fault(E.MISSING_ATTRIBUTE)
_HANDLERS: Final[dict[int, _Handler]] = {
    int(opcode): handler
    for opcode, handler in {
        Opcode.SERVER_INFORMATION: Session.server_information,
        Opcode.BROWSE: Session.browse,
        Opcode.META_DATA: Session.meta_data,
        Opcode.LOOKUP: Session.lookup,
        Opcode.READ: Session.read,
        Opcode.WRITE: Session.write,
        Opcode.SUBSCRIBE: Session.subscribe,
        Opcode.UNSUBSCRIBE: Session.unsubscribe,
        Opcode.GET_STAGE: Session.get_stage,
        Opcode.RESUME: Session.resume,
        Opcode.SUSPEND: Session.suspend,
        Opcode.SHUTDOWN: Session.shutdown,
        Opcode.CREATE_SUB_SESSION: Session.create_sub_session,
        Opcode.CLOSE_SUB_SESSION: Session.close_sub_session,
        Opcode.CLIENT_HELLO: Session.client_hello,
        Opcode.CHECK_ACCESS: Session.check_access,
    }.items()
}
