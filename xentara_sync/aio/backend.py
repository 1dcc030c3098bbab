"""The asyncio backend: futures, tasks and ``websockets.asyncio.client``."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed as WebSocketClosed

from ..core.endpoint import Endpoint
from ..core.interfaces import Opening, TaskHandle, Transport
from ..core.websocket import WebSocketTransport, closed_error, connect_error, connect_options
from . import fastpath

__all__ = ["FAST_PATH", "AsyncioBackend", "FastTransport", "PublicTransport"]

log = logging.getLogger("xentara_sync")

T = TypeVar("T")


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


class _Waiter:
    __slots__ = ("_future",)

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._future: asyncio.Future[Any] = loop.create_future()

    def set_result(self, value: Any) -> None:
        self._future.set_result(value)

    def set_exception(self, exc: BaseException) -> None:
        future = self._future
        future.set_exception(exc)
        # Nobody may wait any more (the other requests of a plan whose first one
        # failed): no "Future exception was never retrieved" for those.
        future.exception()

    def done(self) -> bool:
        return self._future.done()

    async def wait(self, timeout: float | None) -> Any:
        future = self._future
        if timeout is None or future.done():
            return await future
        handle = future.get_loop().call_later(timeout, _expire, future)
        try:
            return await future
        finally:
            handle.cancel()


class PublicTransport(WebSocketTransport):
    """A ``websockets.asyncio`` connection used through its public API alone."""

    __slots__ = ()
    _ws: ClientConnection

    async def close(self) -> None:
        try:
            await self._ws.close()
        except Exception:  # closing must not fail
            self._ws.transport.abort()

    async def ping(self, timeout: float) -> bool:
        try:
            pong = await self._ws.ping()
            await asyncio.wait_for(pong, timeout)
        except asyncio.TimeoutError:  # not the built-in TimeoutError on Python 3.10
            return False
        except WebSocketClosed as exc:
            raise closed_error(exc) from None
        return True


class FastTransport(PublicTransport):
    """A connection with the shortcuts of :mod:`xentara_sync.aio.fastpath`."""

    __slots__ = ()

    def set_receiver(self, receiver: Callable[[bytes], None]) -> None:
        """Receive whole binary messages through *receiver*, as they arrive."""
        fastpath.install_receiver(self._ws, receiver)

    def send_nowait(self, data: bytes) -> None:
        """Send at once, from a callback on the loop thread."""
        fastpath.send_nowait(self._ws, data)

    def thread_writer(self) -> Callable[[bytes], bool] | None:
        """What writes one message from a thread other than the loop's, if the
        socket takes it now (see :meth:`~.fastpath.DirectConnection.write_from_thread`);
        None when no thread may write this connection's socket (TLS, Windows'
        proactor loop)."""
        return fastpath.thread_writer(self._ws)

    def pause_reading(self) -> None:
        """Stop reading the socket (messages come to the receiver as they arrive)."""
        self._ws.transport.pause_reading()

    def resume_reading(self) -> None:
        """Read the socket again."""
        self._ws.transport.resume_reading()


#: Whether connections take the shortcuts (see :mod:`xentara_sync.aio.fastpath`).
FAST_PATH = fastpath.available()


class AsyncioBackend:
    """Runs the client core on the running asyncio event loop."""

    __slots__ = ("_loop", "_tasks", "_thread")

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None

    def create_waiter(self) -> _Waiter:
        return _Waiter(asyncio.get_running_loop())

    async def checkpoint(self) -> None:
        await asyncio.sleep(0)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def run_in_thread(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the loop's default executor."""
        return await asyncio.get_running_loop().run_in_executor(None, fn)

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run *callback* on a next turn of the connection's loop, from any thread."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("call_soon before connecting")
        if threading.get_ident() == self._thread:
            loop.call_soon(callback)
        else:
            loop.call_soon_threadsafe(callback)

    def idle(self) -> bool:
        # asyncio's queue of ready callbacks; a loop without one (not asyncio's own)
        # is never taken for idle.
        return threading.get_ident() == self._thread and not getattr(self._loop, "_ready", True)

    def spawn(self, fn: Callable[[], Awaitable[None]], *, detached: bool = False) -> TaskHandle:
        async def run() -> None:
            await fn()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def connect(self, endpoint: Endpoint, opening: Opening) -> Transport:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        fast = FAST_PATH
        try:
            ws = await connect(
                endpoint.url,
                **connect_options(opening),
                create_connection=fastpath.DirectConnection if fast else ClientConnection,
            )
        except asyncio.TimeoutError as exc:  # not the built-in TimeoutError on Python 3.10
            error = TimeoutError(str(exc))
            raise connect_error(error, endpoint, opening.timeout) from exc.with_traceback(
                None
            )  # its frames held the headers
        except Exception as exc:
            raise connect_error(exc, endpoint, opening.timeout) from exc.with_traceback(
                None
            )  # its frames held the headers
        fastpath.read_in_small_chunks(ws.transport)
        return FastTransport(ws) if fast else PublicTransport(ws)
