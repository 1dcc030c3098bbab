"""The simulator's WebSocket server and its :class:`Simulator` front end.

Transport choices:

- ``ws://`` by default, ``wss://`` when given an :class:`ssl.SSLContext` or a
  certificate and key file (TLS 1.2 or later).
- The API lives at ``/api/ws``; any other path gets HTTP 404.
- HTTP Basic authentication against the configured users, or ``Bearer`` with a
  user's token: a missing or wrong ``Authorization`` header gets HTTP 401 with
  ``WWW-Authenticate: Basic realm="Xentara"`` (and ``Bearer realm="Xentara"`` when
  a user has a token). Without configured users, authentication is off and any
  (or no) credentials are accepted.
- No subprotocol is selected (an offered one is ignored); no compression; binary
  frames. Incoming messages are limited to *max_message_size* bytes (16 MiB by
  default; a bigger one closes the connection with 1009).
- What a connection can make the simulator hold is bounded: websockets queues at
  most :data:`MAX_QUEUE` complete incoming frames (then it stops reading the
  socket), the answer to one message stops growing at *max_message_size* bytes
  (plus one request's answer; see :mod:`.engine`), and events are coalesced, never
  queued. A client that sends but never reads therefore costs at most a few times
  *max_message_size* (measured: see the simulator page of the documentation).
- One send per incoming message (all responses of a batch), and events in
  messages of their own (see :mod:`.engine` for the coalescing policy). A client
  that does not read its responses stops being read from: the server never queues
  outgoing messages beyond the socket's write buffer.
- The server runs the model's timers (:mod:`.timers`) while it serves.
- While stalled (:meth:`Simulator.stall`), requests are held unanswered; events
  still flow. Unstalling answers the held requests, in order.
- Stop (:meth:`Simulator.stop`, or the ``shutdown`` command) closes the open
  connections with 1001 (going away). A client's ``shutdown`` is refused with
  -32102 (access denied) unless the simulator was started with
  ``allow_shutdown=True`` (``--allow-shutdown``).
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import base64
import concurrent.futures
import contextlib
import logging
import os
import ssl as _ssl
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from http import HTTPStatus
from types import TracebackType
from typing import Any, Final, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ..logs import redacting
from ..protocol import Attribute, ErrorCode, Stage
from ..threads import start as start_thread
from .datatypes import Rejected
from .elements import Point
from .engine import Session
from .lifecycle import StartStop
from .model import Model, load_model
from .models import demo_model_path
from .shared import Engine
from .timers import TimerThreads
from .users import User

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "MAX_QUEUE", "Simulator", "User"]

#: Default limit of an incoming message, in bytes.
DEFAULT_MAX_MESSAGE_SIZE: Final = 16 * 1024 * 1024
#: websockets' flow control of incoming frames (high, low): it stops reading the
#: socket while a complete frame waits, so that a client that sends but does not
#: read its answers cannot make the simulator buffer its messages.
MAX_QUEUE: Final = (0, 0)
#: The path of the WebSocket API.
API_PATH: Final = "/api/ws"

_T = TypeVar("_T")
_log = logging.getLogger("xentara_sync.simulator")


def _loaded(source: Any) -> Model:
    """The model of *source*, its whole browse encoded already: the first client to
    browse it all (a snapshot) does not wait for that (0.2-0.3 s for 100,000
    elements; :mod:`.fastbrowse`)."""
    model = load_model(source)
    model.full_browse_bytes(model.full_browse())
    return model


def _users(users: Mapping[str, str] | Sequence[User] | None) -> list[User]:
    if users is None:
        return []
    if isinstance(users, Mapping):
        return [User(str(name), str(password)) for name, password in users.items()]
    result = []
    for user in users:
        if not isinstance(user, User):
            raise TypeError(f"users must be User objects or a name -> password mapping: {user!r}")
        result.append(user)
    return result


#: The change mask bit of the quality attribute.
_QUALITY_BIT: Final = 1 << Attribute.QUALITY


def _defaults(model: Model) -> list[tuple[Point, Any, int]]:
    """The stored points of *model* with their values and qualities as loaded.

    Computed points (generated signals, replays) follow their clock and are left out;
    a data point joining an input and an output is reset through them.
    """
    seen: set[int] = set()
    result = []
    for element in model.elements:
        point = element.point
        if point is None or type(point) is not Point or id(point) in seen:
            continue
        seen.add(id(point))
        result.append((point, point.value, point.quality))
    return result


#: Bytes asyncio's plain TCP transport asks of each ``recv``: its default of 256 KiB
#: lies above glibc's ``mmap`` threshold, so each message received would map and unmap
#: a fresh buffer (20-35 us a message, against 4-6 us for 64 KiB; the client does the
#: same, see ``xentara_sync.aio.fastpath.READ_SIZE``).
_READ_SIZE: Final = 64 * 1024
_SOCKET_TRANSPORT: Final = getattr(asyncio.selector_events, "_SelectorSocketTransport", None)


def _read_in_small_chunks(transport: Any) -> None:
    if type(transport) is _SOCKET_TRANSPORT and getattr(transport, "max_size", 0) > _READ_SIZE:
        transport.max_size = _READ_SIZE


class Simulator(StartStop):
    """A simulated Xentara: a real WebSocket server speaking the Xentara protocol.

    *model* is ``None`` (the bundled demo model), a path to a ``model.json`` or the
    already-parsed JSON object. *users* maps names to passwords, or is a sequence of
    :class:`User` (with read and write rights, a password and/or a Bearer token);
    without users, authentication is off. *sub_session_users* (the same forms) are
    the users a password sub-session (``create_sub_session``) may log in as; without
    them, the connection users; without either, every password sub-session is
    accepted. So ``Simulator(sub_session_users={"operator": "pw"})`` takes any
    connection but refuses a sub-session for an unknown user or a wrong password.
    Give *ssl* (a server :class:`ssl.SSLContext`) or *certfile* and *keyfile* to serve
    ``wss://``. *port* 0 lets the OS pick one; :attr:`port` tells which.
    *max_message_size* limits incoming messages, and the answer to one message
    (see :mod:`.engine`). A client may stop the simulator with the ``shutdown``
    command only if *allow_shutdown* is true; else it gets -32102 (access denied).
    *stage_step* is how long (seconds) the intermediate stage of a suspend, resume
    or shutdown lasts (post-operational, pre-operational; see :mod:`.engine`).

    In a blocking program, serve from a background thread (with its own event loop)::

        with Simulator() as sim:
            print(sim.url)          # ws://127.0.0.1:PORT/api/ws
            sim.set_value("Hardware.EtherCAT Bus.EL1004.Input 1", True)

    In an asyncio program, serve on the running loop::

        async with Simulator(users={"admin": "secret"}) as sim:
            ...

    :meth:`start` / :meth:`stop` and :meth:`start_async` / :meth:`stop_async` do the
    same explicitly. The test hooks (:meth:`set_value`, :meth:`get_value`,
    :meth:`stall`, :meth:`unstall`, :meth:`disconnect_all`) may be called from any
    thread.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | Mapping[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        users: Mapping[str, str] | Sequence[User] | None = None,
        sub_session_users: Mapping[str, str] | Sequence[User] | None = None,
        ssl: _ssl.SSLContext | None = None,
        certfile: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        version: str = "2.0.7-simulator",
        allow_shutdown: bool = False,
        stage_step: float = 0.02,
    ) -> None:
        self._model_source = demo_model_path() if model is None else model
        self._model = _loaded(self._model_source)
        self._host = host
        self._port = port
        self._users = _users(users)
        self._sub_session_users = None if sub_session_users is None else _users(sub_session_users)
        self._defaults = _defaults(self._model)
        if ssl is None and certfile is not None:
            ssl = _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER)
            ssl.minimum_version = _ssl.TLSVersion.TLSv1_2
            ssl.load_cert_chain(certfile, keyfile)
        elif ssl is None and keyfile is not None:
            raise ValueError("keyfile needs a certfile")
        self._ssl = ssl
        self._max_message_size = max_message_size
        self._version = version
        self._allow_shutdown = allow_shutdown
        self._stage_step = stage_step
        self._engine: Engine | None = None
        self._timers: TimerThreads | None = None
        self._server: Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._thread: threading.Thread | None = None
        self._stop_event: asyncio.Event | None = None
        self._shutdown_event: asyncio.Event | None = None
        self._connections: set[ServerConnection] = set()
        self._sessions: set[Session] = set()
        self._user_of: weakref.WeakKeyDictionary[ServerConnection, User] = (
            weakref.WeakKeyDictionary()
        )
        self._stalled = False
        #: Set while requests are answered; cleared while stalled.
        self._unstalled: asyncio.Event | None = None
        self._requests_before = 0

    def __repr__(self) -> str:
        state = "serving" if self.serving else "stopped"
        return f"<Simulator {self.url} {state}, {len(self._model)} elements>"

    # ----------------------------------------------------------------- properties

    @property
    def model(self) -> Model:
        """The loaded model."""
        return self._model

    @property
    def host(self) -> str:
        """The host the server listens on."""
        return self._host

    @property
    def port(self) -> int:
        """The port the server listens on (the real one once started)."""
        return self._port

    @property
    def url(self) -> str:
        """``ws://HOST:PORT/api/ws`` (``wss://`` with TLS), without credentials."""
        scheme = "wss" if self._ssl is not None else "ws"
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{scheme}://{host}:{self._port}{API_PATH}"

    @property
    def stage_step(self) -> float:
        """How long (seconds) the intermediate stage of a stage change lasts; settable."""
        return self._stage_step

    @stage_step.setter
    def stage_step(self, seconds: float) -> None:
        self._stage_step = seconds
        if self._engine is not None:
            self._engine.stage_step = seconds

    @property
    def stage(self) -> Stage:
        """The simulated operational stage."""
        return self._engine.stage if self._engine is not None else Stage.OPERATIONAL

    @property
    def connection_count(self) -> int:
        """The number of open client connections."""
        return len(self._connections)

    @property
    def request_count(self) -> int:
        """How many requests were answered (one per packet, since creation)."""
        engine = self._engine
        return self._requests_before + (engine.request_count if engine is not None else 0)

    @property
    def serving(self) -> bool:
        """Whether the server accepts connections: False before it starts, after it
        stops, and once a client's ``shutdown`` command closed it."""
        server = self._server
        return server is not None and server.is_serving()

    # ----------------------------------------------------------------- async mode

    async def start_async(self) -> None:
        """Start serving on the running event loop; returns once connections are accepted."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        loop = asyncio.get_running_loop()
        engine = Engine(
            self._model,
            self._users,
            sub_session_users=self._sub_session_users,
            version=self._version,
            max_answer_size=self._max_message_size,
            allow_shutdown=self._allow_shutdown,
            stage_step=self._stage_step,
            tls=self._ssl is not None,
        )
        engine.on_shutdown = self._on_shutdown
        self._engine = engine
        self._unstalled = asyncio.Event()
        if not self._stalled:
            self._unstalled.set()
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._shutdown_event = asyncio.Event()
        timers = TimerThreads(self._model.timers, loop)
        timers.start()
        self._timers = timers
        try:
            server = await serve(
                self._handle,
                self._host,
                self._port,
                process_request=self._process_request,
                ssl=self._ssl,
                compression=None,
                max_size=self._max_message_size,
                max_queue=MAX_QUEUE,
                write_limit=2**16,
                close_timeout=2,
                server_header="Xentara-Simulator",
                logger=redacting(_log.name),
            )
        except BaseException:
            timers.stop()
            self._timers = None
            self._engine = None
            self._loop = None
            raise
        self._server = server
        self._port = server.sockets[0].getsockname()[1]

    async def stop_async(self) -> None:
        """Stop serving: close every connection (1001) and the listening socket."""
        server, engine = self._server, self._engine
        if server is None or engine is None:
            return
        self._server = None
        server.close()
        closing = asyncio.ensure_future(server.wait_closed())
        done, _ = await asyncio.wait({closing}, timeout=5)
        if not done:  # pragma: no cover - a handler did not finish in time
            for connection in list(self._connections):
                connection.transport.abort()
            closing.cancel()
        if self._timers is not None:
            self._timers.stop()
            self._timers = None
        self._requests_before += engine.request_count
        engine.request_count = 0

    async def wait_shutdown(self) -> None:
        """Wait until a client's ``shutdown`` command stopped the server."""
        assert self._shutdown_event is not None, "the simulator is not running"
        await self._shutdown_event.wait()

    async def __aenter__(self) -> Simulator:
        await self.start_async()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop_async()

    # ----------------------------------------------------------------- threaded mode

    def start(self, timeout: float = 30.0) -> None:
        """Serve from a background daemon thread; returns once connections are accepted."""
        if self._thread is not None or self._server is not None:
            raise RuntimeError("the simulator is already running")
        ready = threading.Event()
        errors: list[BaseException] = []
        thread = threading.Thread(
            target=self._thread_main, args=(ready, errors), name="xentara-simulator", daemon=True
        )
        self._thread = thread
        start_thread(thread)
        if not ready.wait(timeout):
            raise TimeoutError("the simulator did not start in time")
        if errors:
            thread.join(timeout)
            self._thread = None
            raise errors[0]

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the background thread's server and join the thread (within *timeout*)."""
        thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if threading.get_ident() == self._loop_thread:
            raise RuntimeError("stop() called from the simulator's own thread")
        if loop is not None and stop_event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_event.set)
        thread.join(timeout)
        self._thread = None

    def _thread_main(self, ready: threading.Event, errors: list[BaseException]) -> None:
        async def main() -> None:
            try:
                await self.start_async()
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            self._stop_event = asyncio.Event()
            ready.set()
            try:
                await self._stop_event.wait()
            finally:
                await self.stop_async()

        try:
            asyncio.run(main())
        finally:
            self._loop = None
            self._loop_thread = None

    # ----------------------------------------------------------------- hooks

    def _call(self, function: Callable[[], _T]) -> _T:
        """Run *function* on the server's loop (from any thread) and return its result."""
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread or not loop.is_running():
            return function()
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(function())
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(30)

    def set_value(self, primary_key: str, value: Any) -> None:
        """Set a data point's value as if the field changed (inputs included).

        Subscribers get an event. Raises ``KeyError`` for an unknown element or one
        without a value, ``TypeError`` or ``ValueError`` for a value that does not
        fit the point's data type.
        """

        def apply() -> None:
            element = self._model.by_key.get(primary_key)
            if element is None or element.point is None:
                raise KeyError(f"no data point {primary_key!r} in the model")
            try:
                element.point.set(value)
            except Rejected as exc:
                if exc.code == ErrorCode.TYPE_MISMATCH:
                    raise TypeError(f"{primary_key}: {exc.text}") from None
                raise ValueError(f"{primary_key}: {exc.text}") from None

        self._call(apply)

    def get_value(self, primary_key: str) -> Any:
        """The current value of a data point (``KeyError`` if there is none)."""

        def read() -> Any:
            element = self._model.by_key.get(primary_key)
            if element is None or element.point is None:
                raise KeyError(f"no data point {primary_key!r} in the model")
            return element.point.get(Attribute.VALUE)

        return self._call(read)

    def stall(self) -> None:
        """Hold incoming requests unanswered until :meth:`unstall` (events still flow)."""
        self._stalled = True
        unstalled = self._unstalled
        if unstalled is not None:
            self._call(unstalled.clear)

    def unstall(self) -> None:
        """Answer the held requests, in order, and stop holding new ones."""
        self._stalled = False
        unstalled = self._unstalled
        if unstalled is not None:
            self._call(unstalled.set)

    @contextlib.contextmanager
    def stalled(self) -> Iterator[None]:
        """``with sim.stalled():`` holds requests inside the block."""
        self.stall()
        try:
            yield
        finally:
            self.unstall()

    def restart(
        self,
        model: str | os.PathLike[str] | Mapping[str, Any] | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Stop, then serve again on the same port, as a restarted Xentara would.

        Every client loses its connection (with a closing handshake). The model is
        loaded afresh: values are back at their defaults; with *model*, another one
        (new UUIDs, elements gone...) is served from now on.

        >>> with Simulator() as sim:
        ...     url = sim.url
        ...     sim.restart()
        ...     sim.url == url and sim.serving
        True
        """
        if model is not None:
            self._model_source = model
        self._model = _loaded(self._model_source)
        self._defaults = _defaults(self._model)
        self.stop(timeout)
        self.start(timeout)

    def reset(self) -> None:
        """Put the model back as it was loaded, cheaply, without dropping anyone.

        What it resets:

        - every stored value (registers, inputs, outputs, unconnected data points)
          back to the model's default value and quality; subscribers get an event for
          each value that changes, whose change time is the reset's;
        - the stage back to operational (a suspended signal clock runs again);
        - requests held by :meth:`stall` are answered and new ones no longer held.

        What stays: connections, their subscriptions and sub-sessions, the users,
        counters and time stamps of points whose value did not change. Generated
        signals and replays follow their clock anyway (a value set on one with
        :meth:`set_value` holds until its next tick). The pytest fixtures call it
        before each test; :meth:`restart` is the heavy alternative (a new model,
        every connection lost).

        >>> with Simulator() as sim:
        ...     sim.set_value("Hardware.EtherCAT Bus.EL1004.Input 1", True)
        ...     sim.reset()
        ...     sim.get_value("Hardware.EtherCAT Bus.EL1004.Input 1")
        False
        """
        defaults = self._defaults

        def apply() -> None:
            for point, value, quality in defaults:
                if point.value != value or type(point.value) is not type(value):
                    point.store(value, written=False)
                if point.quality != quality:
                    point.quality = quality
                    point.notify(_QUALITY_BIT)
            if self._engine is not None:
                self._engine.reset_stage()

        self._call(apply)
        self.unstall()

    def disconnect_all(self) -> None:
        """Abort every client connection (no closing handshake), to test connection loss."""

        def abort() -> None:
            for connection in list(self._connections):
                connection.transport.abort()

        self._call(abort)

    # ----------------------------------------------------------------- server side

    def _on_shutdown(self) -> None:
        server = self._server
        if server is not None:
            server.close()
        if self._shutdown_event is not None:
            self._shutdown_event.set()

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path != API_PATH:
            return connection.respond(
                HTTPStatus.NOT_FOUND, f"Not Found: the Xentara WebSocket API is at {API_PATH}\n"
            )
        engine = self._engine
        if engine is None or not engine.users:
            return None
        user = None
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, token = header.strip().partition(" ")
            if scheme.lower() == "basic":
                try:
                    text = base64.b64decode(token.strip(), validate=True).decode("utf-8")
                except ValueError:
                    text = ""
                name, colon, password = text.partition(":")
                if colon:
                    user = engine.authenticate(name, password)
            elif scheme.lower() == "bearer" and token.strip():
                user = engine.authenticate_token(token.strip())
        if user is None:
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
            response.headers["WWW-Authenticate"] = 'Basic realm="Xentara"'
            if any(u.token is not None for u in engine.users.values()):
                response.headers["WWW-Authenticate"] = 'Bearer realm="Xentara"'
            return response
        self._user_of[connection] = user
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        engine, unstalled = self._engine, self._unstalled
        assert engine is not None
        assert unstalled is not None
        _read_in_small_chunks(connection.transport)
        wake = asyncio.Event()
        session = Session(engine, self._user_of.pop(connection, None), wake.set)
        self._connections.add(connection)
        self._sessions.add(session)
        sender = asyncio.get_running_loop().create_task(
            self._send_events(connection, session, wake)
        )
        try:
            async for message in connection:
                if not unstalled.is_set():
                    await unstalled.wait()
                response, after = session.handle(message)
                del message  # not held while the client takes its time to read the answer
                if response is not None:
                    await connection.send(response)
                for callback in after:
                    callback()
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
            session.close()
            self._sessions.discard(session)
            self._connections.discard(connection)

    @staticmethod
    async def _send_events(
        connection: ServerConnection, session: Session, wake: asyncio.Event
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                wake.clear()
                message, deadline = session.collect_events(loop.time())
                if message is not None:
                    await connection.send(message)
                    continue
                if deadline is None:
                    await wake.wait()
                else:
                    handle = loop.call_at(deadline, wake.set)
                    try:
                        await wake.wait()
                    finally:
                        handle.cancel()
        except ConnectionClosed:
            pass
