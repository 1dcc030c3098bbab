"""The trio backend: events, cancel scopes and ``websockets.trio.client``.

A connection needs tasks that outlive the call that opened it: the client's reader
and, inside ``websockets``, the task that reads the socket and the keepalive task
(:class:`websockets.trio.client.ClientConnection` takes a nursery for them). Since
``client = await XentaraClient(url)`` has no nursery to offer, every connection gets
a nursery of its own, held open by one *system task*
(:func:`trio.lowlevel.spawn_system_task`), its :class:`_Host`:

* ``close()`` closes the WebSocket, cancels the host and waits (briefly) until all
  of the connection's tasks have ended, so nothing outlives the client;
* a program that never calls ``close()`` still ends cleanly: trio cancels system
  tasks when the main task returns, and the client reports "its event loop
  stopped" to anything still waiting;
* no exception can escape the host (one would crash the whole ``trio.run`` as a
  :exc:`trio.TrioInternalError`): the core's reader reports a broken connection
  itself, and anything else is logged.

The opening handshake runs in the caller's task, so the caller's cancel scopes and
``connect_timeout`` bound it.
"""

from __future__ import annotations

import collections
import logging
import ssl
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import trio
from websockets.exceptions import ConnectionClosed as WebSocketClosed
from websockets.trio.client import ClientConnection, connect

from ..core.endpoint import Endpoint
from ..core.interfaces import Opening, TaskHandle, Transport
from ..core.websocket import (
    CLOSE_TIMEOUT,
    WebSocketTransport,
    closed_error,
    connect_error,
    connect_options,
)

__all__ = ["TrioBackend"]

log = logging.getLogger("xentara_sync")

T = TypeVar("T")

#: Seconds ``close()`` waits for the connection's tasks to end once cancelled.
FINISH_TIMEOUT = 1.0

_PENDING = object()


class _Waiter:
    """A one-shot result slot: a :class:`trio.Event` and the value or the error."""

    __slots__ = ("_error", "_event", "_value")

    def __init__(self) -> None:
        self._event = trio.Event()
        self._value: Any = _PENDING
        self._error: BaseException | None = None

    def set_result(self, value: Any) -> None:
        if self._event.is_set():
            raise RuntimeError("the result is already set")
        self._value = value
        self._event.set()

    def set_exception(self, exc: BaseException) -> None:
        if self._event.is_set():
            raise RuntimeError("the result is already set")
        self._error = exc
        self._event.set()

    def done(self) -> bool:
        return self._event.is_set()

    async def wait(self, timeout: float | None) -> Any:
        event = self._event
        if timeout is None:
            await event.wait()
        else:
            with trio.move_on_after(timeout):
                await event.wait()
            if not event.is_set():
                raise TimeoutError()
        if self._error is not None:
            raise self._error
        return self._value


class _Task:
    """A background task's handle: cancelling it cancels the task's scope."""

    __slots__ = ("scope",)

    def __init__(self) -> None:
        self.scope = trio.CancelScope()

    def cancel(self) -> None:
        self.scope.cancel()


class _Host:
    """A system task holding a nursery open for one connection's background tasks."""

    __slots__ = ("_finished", "_ready", "_scope", "nursery")

    def __init__(self) -> None:
        self.nursery: trio.Nursery | None = None
        self._scope = trio.CancelScope()
        self._ready = trio.Event()
        self._finished = trio.Event()

    @classmethod
    async def open(cls) -> _Host:
        host = cls()
        trio.lowlevel.spawn_system_task(host._run, name="xentara_sync connection")
        try:
            await host._ready.wait()
        except BaseException:
            host.cancel()
            raise
        return host

    async def _run(self) -> None:
        try:
            with self._scope:
                async with trio.open_nursery() as nursery:
                    self.nursery = nursery
                    self._ready.set()
                    await trio.sleep_forever()
        except Exception:  # a system task must never raise
            log.exception("a background task of the trio client failed")
        except BaseException as exc:  # nor may a Ctrl-C crash trio
            _pass_on_interrupt(exc)
        finally:
            self.nursery = None
            self._ready.set()
            self._finished.set()

    def start(self, fn: Callable[[], Awaitable[None]], task: _Task) -> bool:
        """Run ``fn()`` in the host's nursery; False if the host has ended."""
        nursery = self.nursery
        if nursery is None:
            return False
        nursery.start_soon(_run_guarded, fn, task)
        return True

    def cancel(self) -> None:
        self._scope.cancel()

    async def aclose(self) -> None:
        """Cancel every task of the connection and wait (bounded) until they end."""
        self._scope.cancel()
        with trio.move_on_after(FINISH_TIMEOUT):
            await self._finished.wait()


def _pass_on_interrupt(exc: BaseException) -> None:
    """Hand a Ctrl-C that ended the host's nursery to the user's task.

    websockets runs its reader and keepalive tasks in the host's nursery, and trio
    raises a Ctrl-C in whichever unprotected task runs when it comes: raised out of
    this system task, it would end the program with ``TrioInternalError``. Raising
    SIGINT again here, in protected code, makes trio deliver it to the main task at
    its next checkpoint, as it does with any Ctrl-C that lands in protected code.
    Anything else the nursery raised is logged: a system task must never raise.
    """
    import builtins
    import signal

    interrupted = isinstance(exc, KeyboardInterrupt)
    rest: Any = None if interrupted else exc
    groups: Any = getattr(builtins, "BaseExceptionGroup", ())  # Python 3.11+, as trio here
    if isinstance(exc, groups):
        match, rest = cast(Any, exc).split(KeyboardInterrupt)
        interrupted = match is not None
        if rest is not None:
            rest = rest.split(trio.Cancelled)[1]
    if rest is not None:
        log.error("a background task of the trio client failed", exc_info=rest)
    if interrupted and threading.current_thread() is threading.main_thread():
        signal.raise_signal(signal.SIGINT)


@trio.lowlevel.enable_ki_protection  # Ctrl-C goes to the user's task, never in here
async def _run_protected(fn: Callable[..., Awaitable[object]], *args: object) -> None:
    await fn(*args)


class _ProtectedNursery:
    """The host's nursery as ``websockets`` sees it: its tasks are protected from Ctrl-C.

    ``websockets`` starts its socket reader and keepalive tasks here. A Ctrl-C that
    trio raised inside one of them would be lost: it kills the protocol's parser
    mid-message, and the reader's own clean-up then raises ``RuntimeError`` in its
    place, so the user's task sleeps on and the program hangs. Protected, those tasks
    leave the Ctrl-C to trio, which gives it to the main task as it does for its own
    system tasks.
    """

    __slots__ = ("_nursery",)

    def __init__(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery

    def start_soon(
        self, fn: Callable[..., Awaitable[object]], *args: object, name: object = None
    ) -> None:
        self._nursery.start_soon(_run_protected, fn, *args, name=fn if name is None else name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._nursery, name)


@trio.lowlevel.enable_ki_protection  # Ctrl-C goes to the user's task, never in here
async def _run_guarded(fn: Callable[[], Awaitable[None]], task: _Task) -> None:
    with task.scope:
        try:
            await fn()
        except Exception:  # never into the host's nursery
            log.exception("a background task of the trio client failed")


class _Sender:
    """The connection's task that runs the core's flushes and writes their messages.

    ``websockets.trio`` writes to the socket only by awaiting, so a message cannot
    be sent from a plain callback. Instead, :meth:`call_soon` and :meth:`send_nowait`
    queue their work and wake this one task, which runs after the tasks that are
    ready now: requests that those tasks make meanwhile join the same message. One
    long-lived task per connection costs far less than a task per message.
    """

    __slots__ = ("_outgoing", "_soon", "_wake", "_ws", "thread")

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._soon: list[Callable[[], object]] = []
        self._outgoing: collections.deque[bytes] = collections.deque()
        self._wake = trio.Event()
        #: The thread of the ``trio.run`` the connection belongs to.
        self.thread = threading.get_ident()

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run *callback* in this task soon (from the trio thread)."""
        self._soon.append(callback)
        self._wake.set()

    def send_nowait(self, data: bytes) -> None:
        """Queue one message; this task sends it."""
        self._outgoing.append(data)
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = trio.Event()
            soon, self._soon = self._soon, []
            for callback in soon:
                try:
                    callback()
                except Exception:  # one failure must not end the sending
                    log.exception("a callback of the trio client failed")
            while self._outgoing:
                data = self._outgoing.popleft()
                try:
                    await self._ws.send(data)
                except WebSocketClosed:  # the reader reports the end of the connection
                    self._outgoing.clear()
                    return


class _Transport(WebSocketTransport):
    """A ``websockets.trio`` connection, the host of its tasks and its sender."""

    __slots__ = ("_host", "_sender")
    _ws: ClientConnection

    def __init__(self, ws: ClientConnection, host: _Host, sender: _Sender) -> None:
        super().__init__(ws)
        self._host = host
        self._sender = sender

    def send_nowait(self, data: bytes) -> None:
        """Queue *data* for the connection's sender task."""
        self._sender.send_nowait(data)

    async def ping(self, timeout: float) -> bool:
        try:
            pong = await self._ws.ping()
        except WebSocketClosed as exc:
            raise closed_error(exc) from None
        with trio.move_on_after(timeout):
            await pong.wait()
        return pong.is_set()

    async def close(self) -> None:
        try:
            with trio.move_on_after(CLOSE_TIMEOUT + 0.5):
                await self._ws.aclose()
        except Exception:  # closing must not fail
            pass
        finally:
            self._host.cancel()  # at once, even if the caller is being cancelled
        await self._host.aclose()


def _cause(exc: BaseException) -> BaseException:
    """The error as :func:`connect_error` knows it.

    trio wraps TLS failures in :exc:`trio.BrokenResourceError`, and reports a peer
    that hangs up during the TLS handshake (a plain ``ws://`` server) as
    :exc:`ssl.SSLEOFError` where asyncio says :exc:`ConnectionResetError`; a host
    name of several addresses that all failed is an :exc:`OSError` caused by a group
    of their errors, of which a refusal (:exc:`ConnectionRefusedError`) tells most.
    """
    if isinstance(exc, trio.BrokenResourceError) and exc.__cause__ is not None:
        exc = exc.__cause__
    group = getattr(exc.__cause__, "exceptions", None)  # an exception group
    if isinstance(exc, OSError) and group is not None:
        return next((e for e in group if isinstance(e, ConnectionRefusedError)), exc)
    if isinstance(exc, ssl.SSLEOFError):
        return ConnectionResetError(str(exc))
    return exc


class TrioBackend:
    """Runs the client core in the current ``trio.run``.

    Each connection's background tasks live in a nursery held by a system task
    (see the module's documentation); :meth:`spawn` starts tasks there.
    """

    __slots__ = ("_host", "_sender", "_token")

    def __init__(self) -> None:
        self._host: _Host | None = None
        self._sender: _Sender | None = None
        self._token: trio.lowlevel.TrioToken | None = None

    def create_waiter(self) -> _Waiter:
        return _Waiter()

    async def checkpoint(self) -> None:
        await trio.lowlevel.checkpoint()

    async def sleep(self, seconds: float) -> None:
        await trio.sleep(seconds)

    async def run_in_thread(self, fn: Callable[[], T]) -> T:
        """``fn()`` on one of trio's worker threads."""
        return await trio.to_thread.run_sync(fn)

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run *callback* in the connection's sender task soon, from any thread."""
        sender = self._sender
        token = self._token
        if sender is None or token is None:
            raise RuntimeError("call_soon before connecting")
        if threading.get_ident() == sender.thread:
            sender.call_soon(callback)
        else:
            token.run_sync_soon(sender.call_soon, callback)

    def idle(self) -> bool:
        return False  # a message is sent by awaiting, in the sender task

    def spawn(self, fn: Callable[[], Awaitable[None]], *, detached: bool = False) -> TaskHandle:
        task = _Task()
        host = None if detached else self._host
        if host is None or not host.start(fn, task):
            # No connection (any more): a system task of its own, guarded the same way.
            trio.lowlevel.spawn_system_task(_run_guarded, fn, task, name=fn)
        return task

    async def connect(self, endpoint: Endpoint, opening: Opening) -> Transport:
        self._token = trio.lowlevel.current_trio_token()
        host = await _Host.open()
        nursery = host.nursery
        assert nursery is not None
        try:
            ws = await connect(
                endpoint.url,
                **connect_options(opening),
            ).connect(cast(trio.Nursery, _ProtectedNursery(nursery)))
        except Exception as exc:
            await host.aclose()
            raise connect_error(_cause(exc), endpoint, opening.timeout) from exc.with_traceback(
                None
            )  # its frames held the headers
        except BaseException:
            host.cancel()
            raise
        self._host = host
        sender = self._sender = _Sender(ws)
        host.start(sender.run, _Task())
        return _Transport(ws, host, sender)
