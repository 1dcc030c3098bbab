"""The client's behaviour, written once for every flavour.

:class:`ClientCore` holds everything a Xentara client does: the client hello, resolving
names, batching requests into messages, matching responses by message id, routing
events to subscriptions, validating writes, and failing every waiter with a clear
error when the connection ends. It awaits only the small interfaces below, never
asyncio or trio directly: the flavours (:mod:`xentara_sync.aio`,
:mod:`xentara_sync.trio`) supply a :class:`Backend` and are otherwise this class.

Concurrency model: requests issued while the event loop runs other tasks (for example
by ``asyncio.gather``) are collected and leave in **one** WebSocket message; the task
that opened the batch yields once, then sends it. Responses are matched by message id
in any order. Every wait is bounded by a timeout.
"""

from __future__ import annotations

import collections
import itertools
import logging
import time
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any, NamedTuple, Protocol, Self, TypeVar

from .endpoint import Endpoint, make_ssl_context
from .exceptions import (
    ClientClosed,
    ConnectionClosed,
    MissingAttribute,
    ProtocolError,
    RequestTimeout,
    ServerError,
    SubscriptionEnded,
    UnknownElement,
    UsageError,
)
from .model import (
    AttributeInfo,
    ElementIndex,
    ElementInfo,
    ElementMetadata,
    ServerInfo,
    attribute_key,
    check_write,
    convert_value,
)
from .protocol import (
    NIL_UUID,
    PROTOCOL_VERSION,
    Access,
    Attribute,
    AttributeFault,
    Category,
    DataChange,
    DataType,
    Failure,
    MetaData,
    Opcode,
    ServerInformation,
    Stage,
    Success,
    TimePoint,
    decode,
    encode_request,
    join_packets,
    parse_packet,
    unwrap,
)

__all__ = [
    "DEFAULT_MAX_QUEUE",
    "DEFAULT_TIMEOUT",
    "Backend",
    "ClientCore",
    "Element",
    "Event",
    "EventQueue",
    "EventSink",
    "Subscription",
    "Transport",
    "Waiter",
]

log = logging.getLogger("xentara_sync")

#: Seconds a request waits for its answer unless told otherwise.
DEFAULT_TIMEOUT = 10.0
#: Events a subscription keeps before it drops the oldest.
DEFAULT_MAX_QUEUE = 10_000

T = TypeVar("T")
KeyLike = str


# --------------------------------------------------------------------------- interfaces


class Waiter(Protocol):
    """A one-shot result slot that one task awaits (an asyncio future, a trio event)."""

    def set_result(self, value: Any) -> None: ...

    def set_exception(self, exc: BaseException) -> None: ...

    def done(self) -> bool: ...

    async def wait(self, timeout: float | None) -> Any:
        """The result; raises the set exception, or :class:`TimeoutError` after *timeout*."""
        ...


class Transport(Protocol):
    """One open WebSocket connection carrying binary messages."""

    async def send(self, data: bytes) -> None:
        """Send one message; raises :class:`ConnectionClosed` once closed."""
        ...

    async def recv(self) -> bytes:
        """The next message; raises :class:`ConnectionClosed` once closed."""
        ...

    async def close(self) -> None:
        """Close (bounded in time); never raises."""
        ...


class NowaitTransport(Transport, Protocol):
    """A transport that can also send without awaiting (from its loop's thread)."""

    def send_nowait(self, data: bytes) -> None:
        """Send one message now; raises :class:`ConnectionClosed` once closed."""
        ...


class TaskHandle(Protocol):
    """A background task that can be cancelled."""

    def cancel(self) -> Any: ...


class Backend(Protocol):
    """The concurrency primitives of one flavour."""

    def create_waiter(self) -> Waiter: ...

    async def checkpoint(self) -> None:
        """Let every other ready task run once."""
        ...

    async def connect(
        self,
        endpoint: Endpoint,
        *,
        headers: Mapping[str, str],
        ssl: Any,
        timeout: float,
        max_size: int | None,
    ) -> Transport:
        """Open the WebSocket, raising the :class:`ConnectionFailed` family."""
        ...

    def spawn(self, fn: Callable[[], Awaitable[None]]) -> TaskHandle:
        """Run ``fn()`` in the background until it returns or is cancelled."""
        ...


class EventSink(Protocol):
    """Where a subscription's events go. Called on the I/O side, must never block."""

    @property
    def dropped(self) -> int: ...

    def put(self, event: Event) -> None: ...

    def close(self, error: BaseException | None) -> None: ...


# --------------------------------------------------------------------------- values


class Event(NamedTuple):
    """One value change delivered by a subscription.

    >>> event = Event(1704107471.5, "Hardware.Registers.Speed", uuid.UUID(int=1), 42)
    >>> timestamp, name, element, value = event
    >>> event.value
    42
    """

    timestamp: float
    """When the change was recorded, in seconds since the epoch (as :func:`time.time`)."""
    name: str
    """The element's primary key."""
    uuid: uuid.UUID
    """The element's UUID."""
    value: Any
    """The new value (an :class:`~xentara_sync.protocol.AttributeFault` if in error)."""


class Element:
    """One element of a client: ``client[key]``.

    Its methods call the client's with the element's name, so an element of an async
    client returns awaitables and an element of the blocking client returns values::

        element = client["Hardware.EtherCAT Bus.EL2624.Output 1"]
        element.write(True)            # blocking client
        await element.write(True)      # asyncio or trio client
    """

    __slots__ = ("_client", "name")

    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        #: The element's primary key.
        self.name = name

    @property
    def client(self) -> Any:
        """The client this element belongs to."""
        return self._client

    @property
    def info(self) -> ElementInfo:
        """UUID and category of the element, as browsed."""
        return self._client.element_info(self.name)  # type: ignore[no-any-return]

    @property
    def uuid(self) -> uuid.UUID:
        """The element's UUID."""
        return self.info.uuid

    @property
    def category(self) -> Category:
        """The element's category."""
        return self.info.category

    def read(self, **kwargs: Any) -> Any:
        """Read the element's value (keywords as the client's ``read``)."""
        return self._client.read(self.name, **kwargs)

    def write(self, value: Any, **kwargs: Any) -> Any:
        """Write the element's value (keywords as the client's ``write``)."""
        return self._client.write(self.name, value, **kwargs)

    def read_attributes(self, attributes: Iterable[str] | None = None, **kwargs: Any) -> Any:
        """Read several attributes (as the client's ``read_attributes``)."""
        return self._client.read_attributes(self.name, attributes, **kwargs)

    def metadata(self, **kwargs: Any) -> Any:
        """The element's attribute metadata (as the client's ``metadata``)."""
        return self._client.metadata(self.name, **kwargs)

    def subscribe(self, *args: Any, **kwargs: Any) -> Any:
        """Subscribe to the element (as the client's ``subscribe``)."""
        return self._client.subscribe(self.name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"Element({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Element) and other._client is self._client and other.name == self.name
        )

    def __hash__(self) -> int:
        return hash((id(self._client), self.name))


# --------------------------------------------------------------------------- events


#: A consumer draining a backlog yields to the event loop this often.
_CHECKPOINT_EVERY = 64


class EventQueue:
    """A bounded event queue for the async flavours.

    Overflow policy: when full, the **oldest** event is dropped (and counted in
    :attr:`dropped`), so a slow consumer always sees the newest values.
    """

    __slots__ = (
        "_backend",
        "_closed",
        "_error",
        "_gets",
        "_items",
        "_waiters",
        "dropped",
        "maxsize",
    )

    def __init__(self, backend: Backend, maxsize: int = DEFAULT_MAX_QUEUE) -> None:
        if maxsize < 1:
            raise ValueError("max_queue must be at least 1")
        self._backend = backend
        self.maxsize = maxsize
        self._items: collections.deque[Event] = collections.deque()
        self._waiters: collections.deque[Waiter] = collections.deque()
        self._closed = False
        self._error: BaseException | None = None
        self._gets = 0
        #: Events lost because the queue was full.
        self.dropped = 0

    def put(self, event: Event) -> None:
        if len(self._items) >= self.maxsize:
            self._items.popleft()
            self.dropped += 1
        self._items.append(event)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def close(self, error: BaseException | None) -> None:
        self._closed = True
        self._error = error
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def __len__(self) -> int:
        return len(self._items)

    async def get(self, timeout: float | None) -> Event:
        """The next event; raises :class:`SubscriptionEnded` (or the connection's error)
        once closed and empty, :class:`TimeoutError` after *timeout*."""
        self._gets += 1
        if self._items and self._gets % _CHECKPOINT_EVERY == 0:
            # A backlog must not make the consumer uncancellable (trio's rule).
            await self._backend.checkpoint()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._items:
            if self._closed:
                if self._error is not None:
                    raise self._error
                raise SubscriptionEnded("the subscription has ended")
            waiter = self._backend.create_waiter()
            self._waiters.append(waiter)
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            await waiter.wait(remaining)
        return self._items.popleft()


class Subscription:
    """A subscription of an async client (asyncio or trio).

    An async context manager (enter starts, exit stops) and an async iterator; the
    iteration ends when the subscription is stopped or the client closed, and raises
    if the connection was lost::

        async with client.subscribe("Hardware.Signals.Sine") as sub:
            async for event in sub:
                print(event.name, event.value)

    Overlapping subscriptions of one connection share the server's events: an event
    for an element and attribute reaches every subscription that covers it.
    """

    def __init__(
        self,
        client: ClientCore,
        keys: tuple[str, ...],
        *,
        maximum_update_interval: int | None,
        minimum_update_interval: int | None,
        attribute: str | int | uuid.UUID,
        max_queue: int,
        sink_factory: Callable[[], EventSink] | None = None,
    ) -> None:
        self._client = client
        self.keys = keys
        self.maximum_update_interval = maximum_update_interval
        self.minimum_update_interval = minimum_update_interval
        self.attribute = attribute
        self.max_queue = max_queue
        self._sink_factory = sink_factory or (lambda: EventQueue(client._backend, max_queue))
        self._sink: EventSink = self._sink_factory()
        self._routes: list[tuple[uuid.UUID, Any]] = []
        #: The subscription's id on the server while it runs.
        self.id: uuid.UUID | None = None
        self._active = False
        self._ended = False

    @property
    def active(self) -> bool:
        """Whether the subscription is running."""
        return self._active

    @property
    def dropped(self) -> int:
        """Events lost because the queue was full (the oldest are dropped)."""
        return self._sink.dropped

    async def start(self, *, timeout: float | None = None) -> None:
        """Subscribe on the server. Does nothing if already running."""
        if self._active:
            return
        client = self._client
        client._check_open()
        attribute = attribute_key(self.attribute)
        elements = [(await client._resolve(key, timeout))[0] for key in self.keys]
        if self._ended:  # restarted: a fresh queue
            self._sink = self._sink_factory()
            self._ended = False
        subscription_id = uuid.uuid4()
        params: dict[int, Any] = {
            0: [{0: element.uuid, 1: [attribute]} for element in elements],
            3: subscription_id,
        }
        if self.maximum_update_interval:
            params[1] = int(self.maximum_update_interval)
        if self.minimum_update_interval:
            params[2] = int(self.minimum_update_interval)
        # Route before asking: the initial event may arrive right behind the response.
        self._routes = [(element.uuid, attribute) for element in elements]
        client._add_routes(self)
        try:
            await client._call(Opcode.SUBSCRIBE, params, timeout, "subscribe", ", ".join(self.keys))
        except BaseException:
            client._remove_routes(self)
            raise
        self.id = subscription_id
        self._active = True
        client._subscriptions.add(self)

    async def stop(self, *, timeout: float | None = None) -> None:
        """Unsubscribe and end the iteration. Does nothing if not running."""
        if not self._active:
            return
        client = self._client
        self._active = False
        client._remove_routes(self)
        client._subscriptions.discard(self)
        try:
            if client.connected:
                await client._call(
                    Opcode.UNSUBSCRIBE, {0: self.id}, timeout, "unsubscribe", ", ".join(self.keys)
                )
        except ConnectionClosed:
            pass
        finally:
            self._end(None)

    def _end(self, error: BaseException | None) -> None:
        """Called by the client when the subscription ends, cleanly or not."""
        self._active = False
        self._ended = True
        self._sink.close(error)

    def _deliver(self, event: Event) -> None:
        self._sink.put(event)

    async def receive(self, timeout: float | None = None) -> Event:
        """The next event; waits at most *timeout* seconds (None: the client's timeout).

        Raises :class:`RequestTimeout` when none comes in time, and
        :class:`SubscriptionEnded` once the subscription has ended.
        """
        sink = self._sink
        if not isinstance(sink, EventQueue):
            raise UsageError("this subscription delivers its events elsewhere")
        wait = self._client.timeout if timeout is None else timeout
        try:
            return await sink.get(wait)
        except TimeoutError:
            raise RequestTimeout(
                f"no event from {', '.join(self.keys)} within {wait:g} s"
            ) from None

    async def __aenter__(self) -> Subscription:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        if not self._active and not self._ended:
            await self.start()
        sink = self._sink
        assert isinstance(sink, EventQueue)
        while True:
            try:
                yield await sink.get(None)
            except SubscriptionEnded:
                return

    def __repr__(self) -> str:
        state = "active" if self._active else ("ended" if self._ended else "not started")
        keys = ", ".join(self.keys)
        return f"<Subscription {keys} {state} dropped={self.dropped}>"


# --------------------------------------------------------------------------- the client


class ClientCore:
    """The Xentara client, independent of the event loop.

    See :class:`xentara_sync.aio.XentaraClient` for the documented API; the flavours
    add only their :class:`Backend`.
    """

    #: Makes the flavour's :class:`Backend`; each flavour sets it.
    _backend_factory: Callable[[], Backend]

    def __init__(
        self,
        url: str,
        root_element: str | None = "Hardware",
        verify_ssl: bool = True,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float | None = None,
        ssl: Any = None,
        cafile: str | None = None,
        headers: Mapping[str, str] | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
        max_message_size: int | None = 64 * 1024 * 1024,
    ) -> None:
        self._backend: Backend = self._backend_factory()
        self._endpoint = Endpoint.parse(url)
        self._url_with_credentials = url
        if timeout is None or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.root_element = root_element or None
        self.verify_ssl = verify_ssl
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout or timeout)
        self._ssl_option = ssl
        self._cafile = cafile
        self._extra_headers = dict(headers or {})
        self.max_queue = max_queue
        self.max_message_size = max_message_size
        self._transport: Transport | None = None
        self._reader: TaskHandle | None = None
        self._pending: dict[int, Waiter] = {}
        self._outbox: list[tuple[int, bytes]] = []
        self._ids = itertools.count(1)
        self._index = ElementIndex()
        self._outside: dict[str, ElementInfo] = {}
        self._metadata: dict[uuid.UUID, ElementMetadata] = {}
        self._routes: dict[tuple[uuid.UUID, Any], list[Subscription]] = {}
        self._subscriptions: set[Subscription] = set()
        self._root: ElementInfo | None = None
        self._closed = False
        self._lost: ConnectionClosed | None = None
        self.server_info: ServerInfo | None = None

    # ------------------------------------------------------------------ settings

    @property
    def url(self) -> str:
        """The server's URL, without credentials."""
        return self._endpoint.url

    @property
    def username(self) -> str | None:
        """The user name the client authenticates with, if any."""
        return self._endpoint.username

    def _settings(self) -> dict[str, Any]:
        return {
            "url": self._url_with_credentials,
            "root_element": self.root_element,
            "verify_ssl": self.verify_ssl,
            "timeout": self.timeout,
            "connect_timeout": self.connect_timeout,
            "ssl": self._ssl_option,
            "cafile": self._cafile,
            "headers": self._extra_headers,
            "max_queue": self.max_queue,
            "max_message_size": self.max_message_size,
        }

    @property
    def connected(self) -> bool:
        """Whether the connection is open."""
        return self._transport is not None and not self._closed and self._lost is None

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def __repr__(self) -> str:
        if self._closed:
            state = "closed"
        elif self._lost is not None:
            state = "connection lost"
        elif self._transport is not None:
            state = "connected"
        else:
            state = "not connected"
        version = self.server_info.version if self.server_info else None
        server = f" server={version!r}" if version else ""
        user = f" user={self.username!r}" if self.username else ""
        return (
            f"<{type(self).__name__} {self.url} root={self.root_element!r} "
            f"elements={len(self._index)} {state}{server}{user}>"
        )

    __str__ = __repr__

    # ------------------------------------------------------------------ connecting

    async def _connect(self) -> Self:
        if self._transport is not None:
            self._check_open()
            return self
        if self._closed:
            raise ClientClosed(f"the client for {self.url} is closed")
        ssl_context = None
        if self._endpoint.secure:
            ssl_context = make_ssl_context(
                self.verify_ssl, cafile=self._cafile, context=self._ssl_option
            )
        headers = {**self._extra_headers, **self._endpoint.headers()}
        transport = await self._backend.connect(
            self._endpoint,
            headers=headers,
            ssl=ssl_context,
            timeout=self.connect_timeout,
            max_size=self.max_message_size,
        )
        self._transport = transport
        set_receiver = getattr(transport, "set_receiver", None)
        if set_receiver is not None:  # messages straight from the transport
            set_receiver(self._receive)
        # The reader takes what the transport does not hand over directly, and
        # notices when the connection ends.
        self._reader = self._backend.spawn(self._read_loop)
        try:
            await self._call(
                Opcode.CLIENT_HELLO,
                {0: PROTOCOL_VERSION, 1: PROTOCOL_VERSION},
                self.connect_timeout,
                "client hello",
                None,
            )
            info, root = await self._start_session()
            self.server_info = info
            self._root = root
            await self._browse_root()
        except BaseException:
            self._closed = True
            await self._shutdown(ClientClosed(f"connecting to {self.url} failed"))
            raise
        return self

    async def _start_session(self) -> tuple[ServerInfo, ElementInfo | None]:
        requests: list[tuple[int, Mapping[int, Any] | None]] = [
            (Opcode.SERVER_INFORMATION, {0: [0, 1, 2]})
        ]
        if self.root_element:
            requests.append((Opcode.LOOKUP, {0: self.root_element}))
        answers = await self._call_many(requests, self.connect_timeout)
        info_answer = answers[0]
        info = ServerInfo(None, None, None)
        if isinstance(info_answer, Success) and isinstance(info_answer.result, Mapping):
            result = info_answer.result
            info = ServerInfo(
                *(
                    _text_or_none(result.get(item))
                    for item in (
                        ServerInformation.VERSION,
                        ServerInformation.USER_NAME,
                        ServerInformation.MODEL_FILE_PATH,
                    )
                )
            )
        root = None
        if self.root_element:
            answer = answers[1]
            if isinstance(answer, Failure):
                raise self._server_error(answer, "connect", self.root_element, root_lookup=True)
            root_uuid = _expect_uuid(answer.result, "lookup")
            root = ElementInfo(self.root_element, root_uuid, Category.ELEMENT_GROUP)
        return info, root

    async def _browse_root(self) -> None:
        start = self._root.uuid if self._root else NIL_UUID
        result = await self._call(Opcode.BROWSE, {0: start}, self.connect_timeout, "browse", None)
        self._index = ElementIndex(_browse_entries(result))

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
        self._fail_all(error, end_subscriptions_with=None)
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
        transport = self._transport
        if transport is not None:
            await transport.close()

    def _fail_all(
        self, error: ConnectionClosed, *, end_subscriptions_with: BaseException | None
    ) -> None:
        pending, self._pending = self._pending, {}
        self._outbox.clear()
        for waiter in pending.values():
            if not waiter.done():
                waiter.set_exception(error)
        subscriptions, self._subscriptions = self._subscriptions, set()
        self._routes.clear()
        for subscription in subscriptions:
            subscription._end(end_subscriptions_with)

    def _connection_lost(self, cause: BaseException | None) -> None:
        if self._closed or self._lost is not None:
            return
        detail = f": {cause}" if cause else " (its event loop stopped)"
        error = ConnectionClosed(f"the connection to {self.url} was lost{detail}")
        self._lost = error
        if cause is not None:  # not when the event loop itself is shutting down
            log.warning("%s", error)
        self._fail_all(error, end_subscriptions_with=error)

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosed(f"the client for {self.url} is closed")
        if self._lost is not None:
            raise ConnectionClosed(str(self._lost))
        if self._transport is None:
            raise UsageError(
                f"the client for {self.url} is not connected yet: "
                f"use 'await XentaraClient(...)' or 'async with'"
            )

    # ------------------------------------------------------------------ wire

    async def _read_loop(self) -> None:
        transport = self._transport
        assert transport is not None
        cause: BaseException | None = None
        try:
            while True:
                self._receive(await transport.recv())
        except ConnectionClosed as exc:
            cause = exc
        except Exception as exc:  # a bug must not leave callers waiting
            log.exception("the receive loop of %s failed", self.url)
            cause = exc
        finally:
            if not self._closed:
                self._connection_lost(cause)

    def _receive(self, data: bytes) -> None:
        try:
            items = decode(data)
        except ProtocolError as exc:
            log.warning("ignored a message from %s: %s", self.url, exc)
            return
        if not isinstance(items, list):
            log.warning("ignored a message from %s: not an array of packets", self.url)
            return
        pending = self._pending
        for item in items:
            try:
                packet = parse_packet(item)
            except ProtocolError as exc:
                message_id = exc.message_id
                waiter = pending.pop(message_id, None) if message_id is not None else None
                if waiter is not None and not waiter.done():
                    waiter.set_exception(exc)
                else:
                    log.warning("ignored a packet from %s: %s", self.url, exc)
                continue
            kind = type(packet)
            if kind is DataChange:
                self._route(packet)  # type: ignore[arg-type]
            elif kind is Success or kind is Failure:
                waiter = pending.pop(packet.message_id, None)  # type: ignore[union-attr]
                if waiter is not None and not waiter.done():
                    waiter.set_result(packet)
            else:
                log.warning("ignored a request packet from %s", self.url)

    def _take_batch(self) -> tuple[list[int], bytes] | None:
        """The queued requests as one message (their ids, the bytes), or None."""
        batch, self._outbox = self._outbox, []
        if not batch:
            return None
        return [message_id for message_id, _ in batch], join_packets([p for _, p in batch])

    async def _flush(self) -> None:
        taken = self._take_batch()
        if taken is None:
            return
        ids, data = taken
        try:
            await self._send(data)
        except ConnectionClosed as exc:
            for message_id in ids:
                self._fail_request(message_id, exc)
            raise

    def _flush_nowait(self) -> None:
        """Send the queued requests now (on the loop, with a nowait transport)."""
        taken = self._take_batch()
        if taken is None:
            return
        ids, data = taken
        transport = self._transport
        try:
            if transport is None or self._lost is not None or self._closed:
                raise ConnectionClosed(f"the connection to {self.url} is closed")
            transport.send_nowait(data)  # type: ignore[attr-defined]
        except (ConnectionClosed, OSError) as exc:
            for message_id in ids:
                self._fail_request(message_id, exc)

    async def _send(self, data: bytes) -> None:
        transport = self._transport
        if transport is None:
            raise ConnectionClosed(f"the connection to {self.url} is closed")
        send_nowait = getattr(transport, "send_nowait", None)
        if send_nowait is not None:
            send_nowait(data)
        else:
            await transport.send(data)

    def _fail_request(self, message_id: int, error: BaseException) -> None:
        waiter = self._pending.pop(message_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def _enqueue(self, opcode: int, params: Mapping[int, Any] | None) -> tuple[int, Waiter, bool]:
        """Queue one request; returns its id, its waiter and whether it opened a batch.

        The request is encoded here, so a value CBOR cannot carry fails its own call
        at once and never the batch it would have joined.
        """
        message_id = next(self._ids)
        part = encode_request(message_id, opcode, params)
        waiter = self._backend.create_waiter()
        self._pending[message_id] = waiter
        outbox = self._outbox
        outbox.append((message_id, part))
        return message_id, waiter, len(outbox) == 1

    async def _send_batch(self) -> None:
        """Called by the task that opened a batch: let others join, then send it.

        With a backend that can schedule a callback and a transport that can send
        without awaiting, the batch leaves from a callback on the next loop turn
        (cheaper than a task step, and independent of the opener being cancelled).
        Otherwise the opener yields once, then sends.
        """
        call_soon = getattr(self._backend, "call_soon", None)
        if call_soon is not None and hasattr(self._transport, "send_nowait"):
            call_soon(self._flush_nowait)
            return
        try:
            await self._backend.checkpoint()
        except BaseException:
            # Cancelled before sending: the batch must still leave for the others.
            if self._outbox:
                self._backend.spawn(self._flush_quietly)
            raise
        await self._flush()

    async def _flush_quietly(self) -> None:
        try:
            await self._flush()
        except ConnectionClosed:
            pass

    async def _exchange(
        self,
        opcode: int,
        params: Mapping[int, Any] | None,
        timeout: float | None,
        operation: str,
        element: str | None,
    ) -> Success | Failure:
        """Send one request and return its response packet."""
        self._check_open()
        message_id, waiter, first = self._enqueue(opcode, params)
        wait = self.timeout if timeout is None else timeout
        try:
            if first:
                await self._send_batch()
            packet: Success | Failure = await waiter.wait(wait)
            return packet
        except TimeoutError:
            raise self._timeout(operation, element, wait) from None
        finally:
            self._pending.pop(message_id, None)

    async def _call(
        self,
        opcode: int,
        params: Mapping[int, Any] | None,
        timeout: float | None,
        operation: str,
        element: str | None,
    ) -> Any:
        """Send one request and return its result; an error response raises."""
        packet = await self._exchange(opcode, params, timeout, operation, element)
        if isinstance(packet, Failure):
            raise self._server_error(packet, operation, element)
        return packet.result

    async def _call_many(
        self,
        requests: Iterable[tuple[int, Mapping[int, Any] | None]],
        timeout: float | None,
        operation: str = "request",
    ) -> list[Success | Failure]:
        """Send requests in one message and return their responses in order."""
        self._check_open()
        entries = [self._enqueue(opcode, params) for opcode, params in requests]
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        try:
            if entries and entries[0][2]:
                await self._send_batch()
            return [
                await waiter.wait(max(0.0, deadline - time.monotonic())) for _, waiter, _ in entries
            ]
        except TimeoutError:
            raise self._timeout(operation, None, wait) from None
        finally:
            for message_id, _, _ in entries:
                self._pending.pop(message_id, None)

    def _timeout(self, operation: str, element: str | None, wait: float) -> RequestTimeout:
        target = f" {element!r}" if element else ""
        return RequestTimeout(
            f"{operation}{target} got no answer from {self.url} within {wait:g} s"
        )

    def _server_error(
        self,
        packet: Failure,
        operation: str,
        element: str | None,
        *,
        root_lookup: bool = False,
    ) -> ServerError:
        error = ServerError.from_code(
            packet.code, packet.text, operation=operation, element=element
        )
        if isinstance(error, UnknownElement) and element is not None:
            suggestions = [] if root_lookup else self._index.suggestions(element)
            error = UnknownElement(
                packet.code,
                packet.text if not root_lookup else "unknown root element",
                operation=operation,
                element=element,
                suggestions=suggestions,
            )
        return error

    # ------------------------------------------------------------------ names

    def element_info(self, key: str) -> ElementInfo:
        """UUID and category of a known element; raises :class:`UnknownElement`."""
        info = self._index.get(key) or self._outside.get(key)
        if info is None:
            if self._root is not None and key == self._root.key:
                return self._root
            raise self._unknown(key, "find")
        return info

    def _unknown(self, key: str, operation: str) -> UnknownElement:
        return UnknownElement(
            operation=operation,
            element=key,
            suggestions=self._index.suggestions(key) if isinstance(key, str) else (),
        )

    async def _resolve(
        self, key: str, timeout: float | None
    ) -> tuple[ElementInfo, int | uuid.UUID | None]:
        """The element a key names, and the attribute if the key ends with one
        (``"Hardware.Sensor.quality"``). Unknown keys are looked up on the server."""
        info = self._index.get(key)
        if info is not None:
            return info, None
        if not isinstance(key, str) or not key:
            raise TypeError(f"an element key must be a non-empty str, not {key!r}")
        info = self._outside.get(key)
        if info is not None:
            return info, None
        if self._root is not None and key == self._root.key:
            return self._root, None
        prefix, _, last = key.rpartition(".")
        attribute = Attribute.from_name(last) if prefix else None
        if attribute is not None and (prefix in self._index or prefix in self._outside):
            return (await self._resolve(prefix, timeout))[0], int(attribute)
        try:
            result = await self._call(Opcode.LOOKUP, {0: key}, timeout, "lookup", key)
        except UnknownElement:
            if attribute is not None:
                try:
                    element, _ = await self._resolve(prefix, timeout)
                except UnknownElement:
                    pass
                else:
                    return element, int(attribute)
            raise self._unknown(key, "lookup") from None
        info = ElementInfo(key, _expect_uuid(result, "lookup"), Category.ROOT)
        self._outside[key] = info
        return info, None

    # ------------------------------------------------------------------ mapping

    def __getitem__(self, key: str) -> Element:
        """The element *key* (a primary key under the root, or one looked up before)."""
        self.element_info(key)
        return Element(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def keys(self) -> list[str]:
        """Primary keys of every element under the root, in model order."""
        return list(self._index)

    def values(self) -> list[Element]:
        """An :class:`Element` for every element under the root."""
        return [Element(self, key) for key in self._index]

    def items(self) -> list[tuple[str, Element]]:
        """``(primary key, Element)`` for every element under the root."""
        return [(key, Element(self, key)) for key in self._index]

    def elements(self, category: Category | None = None) -> list[ElementInfo]:
        """UUID and category of every element under the root, optionally of one category."""
        if category is None:
            return list(self._index.values())
        return [e for e in self._index.values() if e.category == category]

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
        info = self._index.get(key)
        if info is not None:  # the hot path: a browsed element's value
            element, wire = info, None
        else:
            element, wire = await self._resolve(key, timeout)
        wanted = wire if wire is not None else attribute_key(attribute)
        result = await self._call(Opcode.READ, {0: element.uuid, 1: [wanted]}, timeout, "read", key)
        return self._read_value(result, wanted, key)

    def _read_value(self, result: Any, wanted: int | uuid.UUID, key: str) -> Any:
        try:
            item = result[wanted]
        except (KeyError, TypeError, IndexError):
            raise ProtocolError(f"read {key!r}: the answer lacks attribute {wanted!r}") from None
        value = unwrap(item)
        if type(value) is AttributeFault:
            raise ServerError.from_code(value.code, value.text, operation="read", element=key)
        return convert_value(wanted, value)

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
        element, _ = await self._resolve(key, timeout)
        names = list(attributes) if attributes is not None else _DEFAULT_ATTRIBUTES
        wanted = [attribute_key(name) for name in names]
        result = await self._call(Opcode.READ, {0: element.uuid, 1: wanted}, timeout, "read", key)
        return {
            name: self._read_value(result, w, key) for name, w in zip(names, wanted, strict=True)
        }

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
        keys = list(keys)
        wanted = attribute_key(attribute)
        resolved = []
        for key in keys:
            element, wire = await self._resolve(key, timeout)
            resolved.append((key, element, wire if wire is not None else wanted))
        answers = await self._call_many(
            [(Opcode.READ, {0: element.uuid, 1: [w]}) for _, element, w in resolved],
            timeout,
            "read_many",
        )
        values: dict[str, Any] = {}
        for (key, _, w), answer in zip(resolved, answers, strict=True):
            if isinstance(answer, Failure):
                raise self._server_error(answer, "read", key)
            values[key] = self._read_value(answer.result, w, key)
        return values

    # ------------------------------------------------------------------ metadata

    async def metadata(self, key: str, *, timeout: float | None = None) -> ElementMetadata:
        """The element's category and attributes (names, access, data types)."""
        element, _ = await self._resolve(key, timeout)
        return await self._element_metadata(element, key, timeout)

    async def _element_metadata(
        self, element: ElementInfo, key: str, timeout: float | None
    ) -> ElementMetadata:
        cached = self._metadata.get(element.uuid)
        if cached is not None:
            return cached
        items = [
            MetaData.PRIMARY_KEY,
            MetaData.CATEGORY,
            MetaData.ATTRIBUTES,
            MetaData.HAS_CHILDREN,
        ]
        result = await self._call(
            Opcode.META_DATA, {0: element.uuid, 1: items}, timeout, "meta_data", key
        )
        metadata = _parse_metadata(result, key)
        self._metadata[element.uuid] = metadata
        return metadata

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
        element, wire = await self._resolve(key, timeout)
        metadata = await self._element_metadata(element, key, timeout)
        wanted = wire if wire is not None else attribute
        params = self._write_params(element, metadata, key, value, wanted)
        await self._call(Opcode.WRITE, params, timeout, "write", key)

    def _write_params(
        self,
        element: ElementInfo,
        metadata: ElementMetadata,
        key: str,
        value: Any,
        attribute: str | int | uuid.UUID,
    ) -> dict[int, Any]:
        """The parameters of a write, after checking access and data type."""
        info = metadata.attribute(attribute)
        if info is None:
            names = ", ".join(metadata.attributes) or "none"
            raise MissingAttribute(
                -32101,
                f"no attribute {attribute!r} (attributes: {names})",
                operation="write",
                element=key,
            )
        checked = check_write(info, value, element=key)
        return {0: element.uuid, 1: _wire_id(info), 2: checked}

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
            _keys(key),
            maximum_update_interval=maximum_update_interval,
            minimum_update_interval=minimum_update_interval,
            attribute=attribute,
            max_queue=max_queue or self.max_queue,
        )

    def _add_routes(self, subscription: Subscription) -> None:
        for route in subscription._routes:
            self._routes.setdefault(route, []).append(subscription)

    def _remove_routes(self, subscription: Subscription) -> None:
        for route in subscription._routes:
            subscribers = self._routes.get(route)
            if subscribers is not None:
                if subscription in subscribers:
                    subscribers.remove(subscription)
                if not subscribers:
                    del self._routes[route]

    def _route(self, change: DataChange) -> None:
        stamp = change.timestamp
        if type(stamp) is TimePoint:
            seconds = stamp.ns / 1e9
        elif isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
            seconds = float(stamp)
        else:
            seconds = time.time()
        element = change.element
        info = self._index.by_uuid(element)
        name = info.key if info is not None else str(element)
        routes = self._routes
        for key, value in change.attributes.items():
            if type(key) is uuid.UUID:
                well_known = Attribute.from_key(key)
                if well_known is not None:
                    key = int(well_known)
            subscribers = routes.get((element, key))
            if subscribers:
                event = Event(seconds, name, element, convert_value(key, value))
                for subscription in subscribers:
                    subscription._deliver(event)

    # ------------------------------------------------------------------ server

    async def server_information(self, *, timeout: float | None = None) -> ServerInfo:
        """Version, user name and model file path of the server."""
        result = await self._call(
            Opcode.SERVER_INFORMATION, {0: [0, 1, 2]}, timeout, "server_information", None
        )
        if not isinstance(result, Mapping):
            raise ProtocolError(f"server_information: expected a map, got {result!r}")
        info = ServerInfo(*(_text_or_none(result.get(i)) for i in (0, 1, 2)))
        self.server_info = info
        return info

    async def get_stage(self, *, timeout: float | None = None) -> Stage | int:
        """The server's operational stage (:class:`~xentara_sync.protocol.Stage`)."""
        result = await self._call(Opcode.GET_STAGE, None, timeout, "get_stage", None)
        if not isinstance(result, int) or isinstance(result, bool):
            raise ProtocolError(f"get_stage: expected an integer, got {result!r}")
        try:
            return Stage(result)
        except ValueError:
            return result


_DEFAULT_ATTRIBUTES: list[str | int | uuid.UUID] = ["value", "quality", "changeTime", "updateTime"]


def _keys(key: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(key, str):
        return (key,)
    keys = tuple(key)
    if not keys or not all(isinstance(k, str) for k in keys):
        raise TypeError("subscribe takes a primary key or a non-empty list of them")
    return keys


def _wire_id(info: AttributeInfo) -> int | uuid.UUID:
    if isinstance(info.id, uuid.UUID):
        well_known = Attribute.from_key(info.id)
        if well_known is not None:
            return int(well_known)
    return info.id


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _expect_uuid(value: Any, operation: str) -> uuid.UUID:
    if not isinstance(value, uuid.UUID):
        raise ProtocolError(f"{operation}: expected a UUID, got {value!r}")
    return value


def _browse_entries(result: Any) -> Iterator[ElementInfo]:
    if not isinstance(result, list):
        raise ProtocolError(f"browse: expected an array of entries, got {type(result).__name__}")
    for entry in result:
        try:
            key, element, category = entry[0], entry[1], entry[2]
        except (KeyError, TypeError, IndexError):
            raise ProtocolError(f"browse: malformed entry {entry!r}") from None
        if not isinstance(key, str) or not isinstance(element, uuid.UUID):
            raise ProtocolError(f"browse: malformed entry {entry!r}")
        try:
            category = Category(category)
        except ValueError:
            pass
        yield ElementInfo(key, element, category)


def _parse_metadata(result: Any, key: str) -> ElementMetadata:
    if not isinstance(result, Mapping):
        raise ProtocolError(f"meta_data {key!r}: expected a map, got {result!r}")
    attributes: dict[str, AttributeInfo] = {}
    for entry in result.get(MetaData.ATTRIBUTES) or ():
        try:
            info = AttributeInfo(str(entry[0]), entry[1], Access(entry[2]), DataType(entry[3]))
        except (KeyError, TypeError, ValueError):
            raise ProtocolError(f"meta_data {key!r}: malformed attribute {entry!r}") from None
        attributes[info.name] = info
    category = result.get(MetaData.CATEGORY, Category.ROOT)
    try:
        category = Category(category)
    except ValueError:
        pass
    return ElementMetadata(
        key=str(result.get(MetaData.PRIMARY_KEY, key)),
        category=category,
        attributes=attributes,
        has_children=bool(result.get(MetaData.HAS_CHILDREN, False)),
    )
