"""The blocking client: the async API without ``await``, safe from any thread."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any, TypeVar

from ..aio import XentaraClient as AsyncClient
from ..core import DEFAULT_MAX_QUEUE, DEFAULT_TIMEOUT, Element
from ..exceptions import ClientClosed
from ..model import ElementInfo, ElementMetadata, ServerInfo, attribute_key
from ..protocol import Category, Failure, Opcode, Stage
from . import loop as _loop
from .bridge import Bridge
from .subscription import Callback, Dispatcher, Subscription, ThreadEventQueue

__all__ = ["XentaraClient"]

T = TypeVar("T")


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

    Args:
        url: ``ws://host:port/api/ws`` or ``wss://user:password@host:port/api/ws``.
        root_element: primary key of the element whose descendants the client
            indexes (``None``: the whole model).
        verify_ssl: ``False`` accepts any TLS certificate (self-signed ones).
        timeout: seconds any call waits unless told otherwise.
        connect_timeout: seconds connecting may take (default: *timeout*).
        ssl: an :class:`ssl.SSLContext` to use as is for ``wss://``.
        cafile: a CA bundle to trust for ``wss://``.
        headers: extra HTTP headers for the handshake.
        max_queue: events a subscription keeps before dropping the oldest.
        max_message_size: the largest message accepted from the server (bytes).
    """

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
        headers: dict[str, str] | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
        max_message_size: int | None = 64 * 1024 * 1024,
    ) -> None:
        # Parse the settings here, in the caller's thread: a bad URL raises at once.
        self._async = AsyncClient(
            url,
            root_element,
            verify_ssl,
            timeout=timeout,
            connect_timeout=connect_timeout,
            ssl=ssl,
            cafile=cafile,
            headers=headers,
            max_queue=max_queue,
            max_message_size=max_message_size,
        )
        self._lock = threading.Lock()
        self._dispatcher_thread: Dispatcher | None = None
        self._closed = False
        self._thread = _loop.loop_thread()
        try:
            self._thread.run(self._async._connect, self._async.connect_timeout)
        except BaseException:
            self._closed = True
            _loop.release(self._thread)
            raise
        self._bridge = Bridge(self._async, self._thread)
        self._undo_exit_hook = _loop.on_exit(self._close_at_exit)

    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> XentaraClient:
        """Create a connected client: the same as ``XentaraClient(...)``."""
        return cls(*args, **kwargs)

    def copy(self, *, timeout: float | None = None) -> XentaraClient:
        """A new client with its own connection and the same settings."""
        return type(self)(**self._async._settings())

    # ------------------------------------------------------------------ plumbing

    def _run(self, coroutine: Callable[[], Coroutine[Any, Any, T]], timeout: float | None) -> T:
        """Run ``coroutine()`` on the loop thread (see :meth:`LoopThread.run`)."""
        if self._closed:
            raise ClientClosed(f"the client for {self.url} is closed")
        wait = self._async.timeout if timeout is None else timeout
        return self._thread.run(coroutine, wait)

    def _dispatcher(self) -> Dispatcher:
        with self._lock:
            if self._dispatcher_thread is None:
                self._dispatcher_thread = Dispatcher("xentara-sync-callbacks")
            return self._dispatcher_thread

    def _new_queue(self, maxsize: int) -> ThreadEventQueue:
        return ThreadEventQueue(maxsize)

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
                self._thread.run(self._async.close, timeout or self._async.timeout)
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
    def server_info(self) -> ServerInfo | None:
        """Version, user and model path of the server, as read when connecting."""
        return self._async.server_info

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

    def elements(self, category: Category | None = None) -> list[ElementInfo]:
        """UUID and category of every element under the root, optionally of one category."""
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
        core = self._async
        element = core._index.get(key)
        if element is None or self._closed:  # a look-up first: the general path
            return self._run(lambda: core.read(key, attribute=attribute, timeout=timeout), timeout)
        wanted = attribute_key(attribute)
        if isinstance(wanted, int):  # encoded here, in Python (see the bridge)
            packet = self._bridge.read_many([element.uuid], wanted, timeout, "read", key)[0]
        else:
            packet = self._bridge.request(
                Opcode.READ, {0: element.uuid, 1: [wanted]}, timeout, "read", key
            )
        if isinstance(packet, Failure):
            raise core._server_error(packet, "read", key)
        return core._read_value(packet.result, wanted, key)

    def read_attributes(
        self,
        key: str,
        attributes: Iterable[str | int | uuid.UUID] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[Any, Any]:
        """Several attributes of one element in one request."""
        return self._run(
            lambda: self._async.read_attributes(key, attributes, timeout=timeout), timeout
        )

    def read_many(
        self,
        keys: Iterable[str],
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """The values of many elements, read in one message: ``{key: value}``."""
        core = self._async
        keys = list(keys)
        elements = [core._index.get(key) for key in keys]
        if self._closed or any(element is None for element in elements):
            return self._run(
                lambda: core.read_many(keys, attribute=attribute, timeout=timeout), timeout
            )
        wanted = attribute_key(attribute)
        uuids = [e.uuid for e in elements if e is not None]
        if isinstance(wanted, int):
            packets = self._bridge.read_many(uuids, wanted, timeout, "read_many", None)
        else:
            packets = self._bridge.request_many(
                [(Opcode.READ, {0: u, 1: [wanted]}) for u in uuids], timeout, "read_many", None
            )
        values: dict[str, Any] = {}
        for key, packet in zip(keys, packets, strict=True):
            if isinstance(packet, Failure):
                raise core._server_error(packet, "read", key)
            values[key] = core._read_value(packet.result, wanted, key)
        return values

    def write(
        self,
        key: str,
        value: Any,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> None:
        """Write *value* to element *key*, checked against its data type first."""
        core = self._async
        element = core._index.get(key)
        metadata = core._metadata.get(element.uuid) if element is not None else None
        if element is None or metadata is None or self._closed:
            # Unknown name or no metadata yet: the general path looks them up.
            self._run(lambda: core.write(key, value, attribute=attribute, timeout=timeout), timeout)
            return
        params = core._write_params(element, metadata, key, value, attribute)
        packet = self._bridge.request(Opcode.WRITE, params, timeout, "write", key)
        if isinstance(packet, Failure):
            raise core._server_error(packet, "write", key)

    def metadata(self, key: str, *, timeout: float | None = None) -> ElementMetadata:
        """The element's category and attributes (names, access, data types)."""
        return self._run(lambda: self._async.metadata(key, timeout=timeout), timeout)

    def server_information(self, *, timeout: float | None = None) -> ServerInfo:
        """Version, user name and model file path of the server."""
        return self._run(lambda: self._async.server_information(timeout=timeout), timeout)

    def get_stage(self, *, timeout: float | None = None) -> Stage | int:
        """The server's operational stage."""
        return self._run(lambda: self._async.get_stage(timeout=timeout), timeout)

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
        size = max_queue or self._async.max_queue
        queue = self._new_queue(size)
        core = self._async.subscribe(
            key,
            maximum_update_interval,
            minimum_update_interval,
            attribute=attribute,
            max_queue=size,
        )
        core._sink_factory = lambda: queue
        core._sink = queue
        return Subscription(self, core, queue, callback)
