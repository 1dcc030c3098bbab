"""The small interfaces the client core awaits; each async flavour implements them.

:class:`~xentara_sync.core.client.ClientCore` never imports asyncio or trio: it creates
:class:`Waiter` objects, opens a :class:`Transport` and starts background tasks through
the :class:`Backend` of its flavour (:mod:`xentara_sync.aio.backend`,
:mod:`xentara_sync.trio.backend`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, NamedTuple, Protocol, TypeVar

from ..protocol.session import EventSink
from .endpoint import Endpoint

__all__ = ["Backend", "EventSink", "Opening", "TaskHandle", "Transport", "Waiter", "fail_waiters"]

T = TypeVar("T")


class Waiter(Protocol):
    """A one-shot result slot that one task awaits (an asyncio future, a trio event)."""

    def set_result(self, value: Any) -> None: ...

    def set_exception(self, exc: BaseException) -> None: ...

    def done(self) -> bool: ...

    async def wait(self, timeout: float | None) -> Any:
        """The result; raises the set exception, or :class:`TimeoutError` after *timeout*."""
        ...


def fail_waiters(waiters: Iterable[Waiter], error: BaseException) -> None:
    """Raise *error* in every waiter that still waits."""
    for waiter in waiters:
        if not waiter.done():
            waiter.set_exception(error)


class Transport(Protocol):
    """One open WebSocket connection carrying binary messages.

    A transport may also offer ``send_nowait(data)`` (send from a callback on its
    loop, without awaiting), ``set_receiver(fn)`` (hand each received message to
    ``fn`` as it arrives), and then ``pause_reading()`` and ``resume_reading()``
    (stop and resume reading the socket, for backpressure), and ``thread_writer()``
    (what writes a message from another thread, or None: see
    :attr:`ClientSession.write_now <xentara_sync.protocol.session.ClientSession.write_now>`);
    the core uses them when they are there.
    """

    async def send(self, data: bytes) -> None:
        """Send one message; raises :class:`ConnectionClosed` once closed."""
        ...

    async def recv(self) -> bytes:
        """The next message; raises :class:`ConnectionClosed` once closed."""
        ...

    async def close(self) -> None:
        """Close (bounded in time); never raises."""
        ...

    async def ping(self, timeout: float) -> bool:
        """Send a ping; whether its pong came within *timeout* s.

        Raises :class:`ConnectionClosed` once closed.
        """
        ...


class TaskHandle(Protocol):
    """A background task that can be cancelled."""

    def cancel(self) -> Any: ...


class Opening(NamedTuple):
    """How a connection's WebSocket is opened (:meth:`Backend.connect`)."""

    #: HTTP headers of the handshake (credentials included: hidden from logs).
    headers: Mapping[str, str]
    #: The :class:`ssl.SSLContext` of a ``wss://`` URL, or None.
    ssl: Any
    #: Seconds the opening handshake may take.
    timeout: float
    #: The largest message accepted (bytes; None: no limit).
    max_size: int | None
    #: Seconds between pings (the core pings; a backend may ignore it).
    keepalive: float | None


class Backend(Protocol):
    """The concurrency primitives of one flavour."""

    def create_waiter(self) -> Waiter: ...

    async def checkpoint(self) -> None:
        """Let every other ready task run once."""
        ...

    async def connect(self, endpoint: Endpoint, opening: Opening) -> Transport:
        """Open the WebSocket, raising the :class:`ConnectionFailed` family."""
        ...

    def spawn(self, fn: Callable[[], Awaitable[None]], *, detached: bool = False) -> TaskHandle:
        """Run ``fn()`` in the background until it returns or is cancelled.

        A task is bound to the current connection (trio: its nursery ends with it);
        a *detached* one outlives it (the reconnection, which replaces it).
        """
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait *seconds*."""
        ...

    async def run_in_thread(self, fn: Callable[[], T]) -> T:
        """``fn()`` run on a worker thread, so that the loop goes on meanwhile."""
        ...

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback()`` on the loop soon; callable from any thread once connected."""
        ...

    def idle(self) -> bool:
        """Whether this is the loop's thread and nothing else is ready to run on it,
        so that a callback queued now would run next, before any other task."""
        ...
