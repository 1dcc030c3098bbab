"""One client connection driven over a transport: connecting, sending, receiving, closing.

:class:`Connection` connects, awaits answers and keeps what belongs to the client
rather than to one connection (settings, the subscriptions the user holds). What
one connection knows and owes (message ids, pending requests, the outgoing batch,
the element index, building requests and reading answers) is its
:class:`~xentara_sync.protocol.session.ClientSession`, which does no I/O. This
module awaits only the small interfaces of :mod:`xentara_sync.core.interfaces`, never
asyncio or trio directly.

Concurrency model: requests issued while the event loop runs other tasks (for example
by ``asyncio.gather``) are collected and leave in **one** WebSocket message, sent by
a callback the session arranges when a batch opens. Responses are matched by message
id in any order. Every wait is bounded by a timeout.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from ..exceptions import (
    AccessDenied,
    AuthenticationFailed,
    ClientClosed,
    ConnectionClosed,
    ConnectionFailed,
    ConnectionLost,
    InvalidArgument,
    ProtocolError,
    RequestTimeout,
    ServerError,
    TLSVerificationFailed,
    UnknownElement,
    UsageError,
    XentaraError,
)
from ..protocol import arguments as check
from ..protocol.index import ServerInfo
from ..protocol.session import ClientSession, Plan
from ..secret import hide
from .describe import safe_repr
from .endpoint import Endpoint, HiddenHeaders, make_ssl_context
from .interfaces import (
    Backend,
    EventSink,
    Opening,
    TaskHandle,
    Transport,
    Waiter,
    fail_waiters,
)
from .receiving import Receiver
from .settings import Settings, check_settings
from .subscribing import Subscribing

if TYPE_CHECKING:  # typing.Self and Unpack are new in Python 3.11
    from typing import Self, Unpack

__all__ = ["Connection", "reconnect_delay"]

log = logging.getLogger("xentara_sync")

#: How many top-level elements the error for an unknown root element names.
_TOP_LEVEL_SHOWN = 12

#: Seconds a connection must stay up before the reconnection delays start again from none.
STABLE_CONNECTION = 10.0


class Connection:
    """The I/O side of a client: settings, one connection and its session.

    It opens the WebSocket, says the client hello, browses the root, runs
    :class:`~xentara_sync.protocol.session.Plan` objects (:meth:`_execute`), feeds
    received messages to the session and fails everything when the connection ends.
    :class:`~xentara_sync.core.client.ClientCore` adds the documented API on top.
    """

    #: Makes the flavour's :class:`Backend`; each flavour sets it.
    _backend_factory: Callable[[], Backend]

    def __init__(
        self,
        url: str,
        root_element: str | None = "Hardware",
        verify_ssl: bool = True,
        **settings: Unpack[Settings],
    ) -> None:
        password, token = settings.pop("password", None), settings.pop("token", None)
        username = settings.pop("username", None)
        hidden_url, hidden_password, hidden_token = hide(url), hide(password), hide(token)
        del url, password, token  # a traceback with locals shows only the wrappers
        self._backend: Backend = self._backend_factory()
        self._endpoint = Endpoint.parse(
            hidden_url, username=username, password=hidden_password, token=hidden_token
        )
        self._url_with_credentials = hidden_url
        self._credentials = {
            "username": username,
            "password": hidden_password,
            "token": hidden_token,
        }
        checked = check_settings(root_element=root_element, verify_ssl=verify_ssl, **settings)
        #: The settings as checked, for :meth:`copy`.
        self._checked = checked
        self.root_element: str | None = checked["root_element"]
        self.verify_ssl: bool = checked["verify_ssl"]
        self.timeout: float = checked["timeout"]
        self.connect_timeout: float = checked["connect_timeout"]
        self._extra_headers: dict[str, str] = checked["headers"]
        self.max_queue: int = checked["max_queue"]
        self.max_message_size: int | None = checked["max_message_size"]
        #: The largest message sent (bytes; None: no limit): see
        #: :data:`~xentara_sync.core.settings.DEFAULT_MAX_SEND_SIZE`.
        self.max_send_size: int | None = checked["max_send_size"]
        self.keepalive: float | None = checked["keepalive"]
        #: Whether a lost connection is re-established (see :meth:`_reconnect`).
        self.reconnect: bool = checked["reconnect"]
        self.max_reconnect_delay: float = checked["max_reconnect_delay"]
        #: Successful reconnections so far.
        self.reconnects = 0
        self._established = False
        #: When the current connection opened (time.monotonic()), and the tries to
        #: reconnect since the last connection that stayed up (see _reconnect).
        self._connected_at = 0.0
        self._attempts = 0
        self._reconnecting = False
        self._reconnector: TaskHandle | None = None
        self._ready_waiters: list[Waiter] = []
        self._connection_callbacks: list[Callable[[bool], object]] = []
        self._session: ClientSession | None = None
        self._transport: Transport | None = None
        self._reader: TaskHandle | None = None
        self._keeper: TaskHandle | None = None
        #: The subscriptions the user holds: they outlive a connection.
        self._subscribing = Subscribing(self)
        self._closed = False
        #: A flush is taking the queued requests (see :meth:`_flush_due`).
        self._flushing = False
        self._connecting = False
        #: Takes each received message.
        self._receiver = Receiver(self)
        self._lost: XentaraError | None = None

    # ------------------------------------------------------------------ settings

    @property
    def url(self) -> str:
        """The server's URL, without credentials."""
        return self._endpoint.url

    @property
    def username(self) -> str | None:
        """The user name the client authenticates with, if any."""
        return self._endpoint.username

    @property
    def server_info(self) -> ServerInfo | None:
        """Version, user and model path of the server, as read when connecting."""
        session = self._session
        return session.server_info if session is not None else None

    @property
    def session(self) -> ClientSession | None:
        """The connection's sans-I/O state (None before connecting).

        For flavours that drive the client from another thread, and for inspection
        (``client.session.pending``): requests go through the client's methods.
        """
        return self._session

    def _settings(self) -> dict[str, Any]:
        return {"url": self._url_with_credentials, **self._checked, **self._credentials}

    @property
    def connected(self) -> bool:
        """Whether the connection is open (False while reconnecting)."""
        return (
            self._transport is not None
            and not self._closed
            and self._lost is None
            and not self._reconnecting
        )

    def add_connection_callback(self, callback: Callable[[bool], object]) -> None:
        """Call ``callback(connected)`` when the connection is lost (False) and when it
        is back (True)."""
        if not callable(callback):
            raise InvalidArgument(f"callback must be a callable, not {callback!r:.80}")
        self._connection_callbacks.append(callback)

    def remove_connection_callback(self, callback: Callable[[bool], object]) -> None:
        """Stop calling *callback*; raises :class:`ValueError` if it was not added."""
        self._connection_callbacks.remove(callback)

    def _notify(self, connected: bool) -> None:
        for callback in list(self._connection_callbacks):
            try:
                callback(connected)
            except Exception:
                log.exception("a connection callback of the client for %s failed", self.url)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    @safe_repr
    def __repr__(self) -> str:
        if self._closed:
            state = "closed"
        elif self._lost is not None:
            state = "connection lost"
        elif self._reconnecting:
            state = "reconnecting"
        elif self._transport is not None:
            state = "connected"
        else:
            state = "not connected"
        info = self.server_info
        server = f" server={info.version!r}" if info and info.version else ""
        user = f" user={self.username!r}" if self.username else ""
        return (
            f"<{type(self).__name__} {self.url} root={self.root_element!r} "
            f"elements={self._element_count()} {state}{server}{user}>"
        )

    __str__ = __repr__

    # ------------------------------------------------------------------ connecting

    async def _connect(self) -> Self:
        if self._transport is not None:
            self._check_open()
            return self
        if self._closed:
            raise ClientClosed(f"the client for {self.url} is closed")
        try:
            await self._open()
        except BaseException:
            self._closed = True
            await self._shutdown(ClientClosed(f"connecting to {self.url} failed"))
            raise
        self._established = True
        self._connected_at = time.monotonic()
        return self

    async def _open(self) -> None:
        """Open a connection: the WebSocket, a new session, hello, root and browse."""
        ssl_context = None
        if self._endpoint.secure:
            ssl_context = make_ssl_context(
                self.verify_ssl, cafile=self._checked["cafile"], context=self._checked["ssl"]
            )
        headers = HiddenHeaders({**self._extra_headers, **self._endpoint.headers()})
        backend = self._backend
        # connect_timeout bounds connecting as a whole: each step waits for what
        # the ones before it left, and a timeout names the step that was waiting.
        deadline = time.monotonic() + self.connect_timeout
        opening = Opening(
            headers, ssl_context, self.connect_timeout, self.max_message_size, self.keepalive
        )
        transport = await backend.connect(self._endpoint, opening)
        session = ClientSession(
            self.url,
            on_flush_due=self._flush_due,
            max_send_size=self.max_send_size,
        )
        # The blocking client's threads may write their reads themselves.
        thread_writer = getattr(transport, "thread_writer", None)
        session.write_now = None if thread_writer is None else thread_writer()
        self._session = session
        self._transport = transport
        set_receiver = getattr(transport, "set_receiver", None)
        if set_receiver is not None:  # messages straight from the transport
            set_receiver(self._receiver.receive)
        # The reader takes what the transport does not hand over directly, and
        # notices when the connection ends.
        self._reader = backend.spawn(lambda: self._read_loop(transport))
        keepalive = self.keepalive
        if keepalive is not None:
            self._keeper = backend.spawn(lambda: self._keep_alive(transport, keepalive))
        self._connecting = True
        try:
            timeout = self.connect_timeout
            await self._execute(session, session.plan_hello(), timeout, deadline)
            try:
                await self._execute(
                    session, session.plan_start(self.root_element), timeout, deadline
                )
            except UnknownElement as exc:
                raise await self._unknown_root(exc) from None
            await self._execute(session, session.plan_browse_root(), timeout, deadline)
        finally:
            self._connecting = False

    async def _unknown_root(self, error: UnknownElement) -> UnknownElement:
        """*error* for a root element the server does not have, with the ones it has."""
        session = self._session
        assert session is not None
        try:
            await self._execute(session, session.plan_browse_root(), self.connect_timeout)
        except Exception:  # the original error is still the one to raise
            return error
        top = [key for key in session.index if "." not in key]
        shown = ", ".join(repr(key) for key in top[:_TOP_LEVEL_SHOWN])
        if len(top) > _TOP_LEVEL_SHOWN:
            shown += f" and {len(top) - _TOP_LEVEL_SHOWN} more"
        return UnknownElement(
            error.code,
            f"unknown root element; the server's top-level elements are {shown or 'none'} "
            "(root_element=None: the whole model)",
            operation=error.operation,
            element=error.element,
        )

    def __await__(self) -> Generator[Any, None, Self]:
        return self._connect().__await__()

    @classmethod
    async def create(cls, *args: Any, **kwargs: Any) -> Self:
        """Create a client and connect it: the same as ``await XentaraClient(...)``."""
        return await cls(*args, **kwargs)._connect()

    async def copy(self) -> Self:
        """A new client with its own connection and the same settings, connected."""
        return await type(self).create(**self._settings())

    async def __aenter__(self) -> Self:
        return await self._connect()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ closing

    async def close(self) -> None:
        """Close the connection. Idempotent.

        Pending calls fail with :class:`ClientClosed`; subscriptions end (their
        iteration stops).
        """
        if self._closed:
            return
        self._closed = True
        await self._shutdown(ClientClosed(f"the client for {self.url} was closed"))

    async def _shutdown(self, error: ConnectionClosed) -> None:
        reconnector, self._reconnector = self._reconnector, None
        if reconnector is not None:
            reconnector.cancel()
        self._reconnecting = False
        self._end_connection(error, end_subscriptions_with=None)
        await self._drop_transport()

    async def _drop_transport(self) -> None:
        """Stop the reader and close the transport (bounded in time, never raises)."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.cancel()
        transport = self._transport  # kept: it tells of the last connection
        if transport is not None:
            await transport.close()

    def _fail_session(self, error: XentaraError) -> list[EventSink]:
        """Fail every request of the current session; returns its sinks."""
        session = self._session
        if session is None:
            return []
        waiters, sinks = session.connection_ended(error)
        fail_waiters(waiters, error)
        return sinks

    def _end_connection(
        self, error: XentaraError, *, end_subscriptions_with: BaseException | None
    ) -> None:
        """Fail every waiter of the connection and end every subscription."""
        for sink in self._fail_session(error):
            sink.close(end_subscriptions_with)
        waiters, self._ready_waiters = self._ready_waiters, []
        fail_waiters(waiters, error)
        self._subscribing.end(end_subscriptions_with)

    def _connection_lost(self, cause: BaseException | None) -> None:
        if self._closed or self._lost is not None:
            return
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.cancel()
        detail = f": {cause}" if cause else " (its event loop stopped)"
        error = ConnectionLost(f"the connection to {self.url} was lost{detail}")
        if self._reconnecting:  # a reconnection in progress: its requests fail, it tries again
            self._fail_session(error)
            return
        if cause is None or not self.reconnect or not self._established:
            self._lost = error
            if cause is not None:  # not when the event loop itself is shutting down
                log.warning("%s", error)
            self._end_connection(error, end_subscriptions_with=error)
            self._notify(False)
            return
        log.warning("%s; reconnecting", error)
        self._reconnecting = True
        self._fail_session(error)  # calls in flight fail at once; subscriptions go on
        self._subscribing.interrupt()
        self._notify(False)
        self._reconnector = self._backend.spawn(self._reconnect, detached=True)

    async def _reconnect(self) -> None:
        """Open a new connection and renew the subscriptions, retrying with backoff.

        The first try comes at once; then the delay doubles, with jitter, up to
        :attr:`max_reconnect_delay`. The delays start again from none only once a
        connection has stayed up for :data:`STABLE_CONNECTION` seconds, so that a
        server that drops every connection right after its handshake is not knocked
        at ever faster. Error answers during the handshake (an internal error of a
        server still starting, a root element not there yet) are tried again too;
        only refused credentials (or permissions) and a refused certificate end the
        reconnecting: every call then raises that error.
        """
        if time.monotonic() - self._connected_at >= STABLE_CONNECTION:
            self._attempts = 0
        await self._drop_transport()
        while not self._closed:
            if self._attempts:
                delay = reconnect_delay(self._attempts, self.max_reconnect_delay)
                await self._backend.sleep(delay)
            self._attempts += 1
            try:
                await self._open()
                await self._subscribing.renew()
            except (AuthenticationFailed, TLSVerificationFailed, AccessDenied) as exc:
                self._give_up(exc)
                await self._drop_transport()
                return
            except (
                ConnectionFailed,
                ConnectionClosed,
                RequestTimeout,
                ProtocolError,
                ServerError,
            ) as exc:
                log.info("reconnecting to %s failed: %s", self.url, exc)
                await self._drop_transport()
                continue
            self._connected_at = time.monotonic()
            self.reconnects += 1
            self._reconnecting = False
            self._reconnector = None
            log.warning("reconnected to %s", self.url)
            waiters, self._ready_waiters = self._ready_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            self._notify(True)
            return

    def _give_up(self, error: XentaraError) -> None:
        log.warning("reconnecting to %s stopped: %s", self.url, error)
        self._lost = error
        self._reconnecting = False
        self._reconnector = None
        self._end_connection(error, end_subscriptions_with=error)

    async def _ready(self, timeout: float | None) -> ClientSession:
        """The open session; while reconnecting, wait for it up to *timeout*.

        A *timeout* that is not None or a number of seconds, 0 or more, raises
        :class:`InvalidArgument` here, before anything is sent."""
        if timeout is not None:
            check.call_timeout(timeout)
        if self._reconnecting and not self._closed:
            waiter = self._backend.create_waiter()
            self._ready_waiters.append(waiter)
            wait = self.timeout if timeout is None else timeout
            try:
                await waiter.wait(wait)
            except TimeoutError:
                raise ConnectionLost(
                    f"the connection to {self.url} is lost and was not back within {wait:g} s"
                ) from None
            finally:
                if waiter in self._ready_waiters:
                    self._ready_waiters.remove(waiter)
        return self._check_open()

    def _element_count(self) -> int:
        session = self._session
        return len(session.index) if session is not None else 0

    def _check_open(self) -> ClientSession:
        if self._closed:
            raise ClientClosed(f"the client for {self.url} is closed")
        if self._lost is not None:
            raise copy.copy(self._lost)
        session = self._session
        if session is None:
            raise UsageError(
                f"the client for {self.url} is not connected yet: "
                f"use 'await XentaraClient(...)' or 'async with'"
            )
        return session

    # ------------------------------------------------------------------ wire

    async def _read_loop(self, transport: Transport) -> None:
        cause: BaseException | None = None
        try:
            while True:
                self._receiver.receive(await transport.recv())
                if self._receiver.room is not None:  # the backlog is full: stop a while
                    await self._receiver.backlog_room()
        except ConnectionClosed as exc:
            cause = exc
        except Exception as exc:  # a bug must not leave callers waiting
            log.exception("the receive loop of %s failed", self.url)
            cause = exc
        finally:
            if not self._closed and transport is self._transport:
                self._connection_lost(cause)

    async def _keep_alive(self, transport: Transport, interval: float) -> None:
        """Ping every *interval* s; end the connection when the server seems gone.

        A server is gone (frozen, or a half-open TCP connection) when, within
        *interval* after a ping, neither its pong nor any message came, while the
        client was reading. While the backlog holds the reading (backpressure), the
        pong waits behind the messages sent before it; the messages taken meanwhile
        show that the server is alive.
        """
        while True:
            await self._backend.sleep(interval)
            received = self._receiver.received
            try:
                if await transport.ping(interval):
                    continue
            except ConnectionClosed:  # the reader reports it
                return
            if self._receiver.received != received or self._receiver.room is not None:
                continue
            if transport is not self._transport or self._closed or self._reconnecting:
                return
            self._keeper = None  # so that the loss does not cancel this task
            self._connection_lost(
                ConnectionClosed(f"no answer to a keepalive ping within {interval:g} s")
            )
            await transport.close()
            return

    def _flush_due(self) -> None:
        """A request was queued: send it at once if nothing could join its message
        (nothing else is ready on the loop, as for one awaited call after another);
        else on the loop's next turn, with the requests of the tasks that run first.
        Sending at once saves a turn of the loop (a ``select`` call) per request."""
        if not self._flushing and self._backend.idle():
            self._flush()
        else:
            self._backend.call_soon(self._flush)

    def _flush(self) -> None:
        """On the loop: send every queued request in one message."""
        session = self._session
        if session is None:
            return
        self._flushing = True  # a message split in several: the rest on the next turn
        try:
            outgoing = session.data_to_send()
        finally:
            self._flushing = False
        data, ids, failed = outgoing
        for waiter, error in failed:
            fail_waiters((waiter,), error)
        if data is None:
            return
        send_nowait = getattr(self._transport, "send_nowait", None)
        if send_nowait is None:
            self._backend.spawn(lambda: self._send(data, ids))
            return
        try:
            if self._closed or self._lost is not None:
                raise ConnectionClosed(f"the connection to {self.url} is closed")
            send_nowait(data)
        except (ConnectionClosed, OSError) as exc:
            self._fail(ids, exc)

    async def _send(self, data: bytes, ids: list[int]) -> None:
        transport = self._transport
        try:
            if transport is None or self._closed or self._lost is not None:
                raise ConnectionClosed(f"the connection to {self.url} is closed")
            await transport.send(data)
        except (ConnectionClosed, OSError) as exc:
            self._fail(ids, exc)

    def _fail(self, ids: list[int], error: BaseException) -> None:
        """The message with these requests could not be sent: they fail (not re-sent)."""
        session = self._session
        if session is None:
            return
        if not isinstance(error, ClientClosed):
            error = ConnectionLost(f"the connection to {self.url} was lost: {error}")
        fail_waiters(session.take(ids), error)

    async def _execute(
        self,
        session: ClientSession,
        plan: Plan,
        timeout: float | None,
        deadline: float | None = None,
    ) -> Any:
        """Send the plan's requests in one message on *session*, the one it was built
        on, and return its result. If that connection has ended meanwhile, sending
        raises its error: a plan never carries one connection's UUIDs to the next.

        With a *deadline* (:func:`time.monotonic`), the wait ends there at the
        latest; a timeout still reports *timeout*, the bound the user gave."""
        wait = self.timeout if timeout is None else check.call_timeout(timeout)
        reported = wait
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - time.monotonic()))
        create = self._backend.create_waiter
        waiters = [create() for _ in plan.requests]
        ids = session.send(plan.requests, waiters)
        try:
            if len(waiters) == 1:
                packets = [await waiters[0].wait(wait)]
            else:
                deadline = time.monotonic() + wait
                packets = [
                    await waiter.wait(max(0.0, deadline - time.monotonic())) for waiter in waiters
                ]
        except TimeoutError:
            raise session.timeout_error(plan.operation, plan.element, reported) from None
        finally:
            session.forget(ids)
        return plan.finish(packets)


def reconnect_delay(attempt: int, longest: float) -> float:
    """Seconds to wait before try number *attempt* + 1 (the first try waits none).

    Doubles from 0.1 s up to *longest*, with jitter (50 to 100 % of it), so that
    many clients of one restarted server do not all knock at once.

    >>> 0.05 <= reconnect_delay(1, 5.0) <= 0.1, 2.5 <= reconnect_delay(10, 5.0) <= 5.0
    (True, True)
    """
    return min(longest, 0.1 * 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0)
