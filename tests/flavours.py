"""The two async flavours of the client behind one interface, so a test is written once.

A test takes the ``flavour`` fixture (see ``test_async_clients.py``) and uses its
``XentaraClient``, runs its coroutine function with ``flavour.run(main)`` and reaches
the event loop only through the few primitives below.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import xentara_sync.aio

#: Why the trio flavour cannot run here (Python 3.10, or trio not installed), or "".
TRIO_MISSING = ""
try:
    import xentara_sync.trio  # before trio: its ImportError says what to install
except ImportError as exc:  # pragma: no cover - depends on the interpreter
    TRIO_MISSING = str(exc)
else:
    import trio

T = TypeVar("T")

if TYPE_CHECKING:
    #: A client of either flavour.
    AsyncClient = xentara_sync.aio.XentaraClient | xentara_sync.trio.XentaraClient
else:
    AsyncClient = Any


class Flavour:
    """One async flavour: its client classes and the event-loop primitives tests need."""

    name: str
    XentaraClient: type[AsyncClient]
    Element: type[xentara_sync.aio.Element | xentara_sync.trio.Element]
    Event: type[xentara_sync.aio.Event | xentara_sync.trio.Event]
    Subscription: type[xentara_sync.aio.Subscription | xentara_sync.trio.Subscription]

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any, timeout: float = 30.0) -> T:
        """Run ``fn(*args)`` on a fresh event loop, bounded in time."""
        raise NotImplementedError

    async def sleep(self, seconds: float) -> None:
        raise NotImplementedError

    async def gather(self, *fns: Callable[[], Awaitable[T]]) -> list[T]:
        """Run every ``fn()`` concurrently, each in a task of its own; their results in order."""
        raise NotImplementedError

    async def move_on_after(
        self, seconds: float, fn: Callable[..., Awaitable[object]], *args: Any
    ) -> bool:
        """Await ``fn(*args)``, cancelled from outside after *seconds* (0: at its first wait).

        Returns whether the deadline cancelled it; any other error propagates.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.name


class AsyncioFlavour(Flavour):
    name = "asyncio"
    XentaraClient = xentara_sync.aio.XentaraClient
    Element = xentara_sync.aio.Element
    Event = xentara_sync.aio.Event
    Subscription = xentara_sync.aio.Subscription

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any, timeout: float = 30.0) -> T:
        async def bounded() -> T:
            return await asyncio.wait_for(fn(*args), timeout)

        return asyncio.run(bounded())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def gather(self, *fns: Callable[[], Awaitable[T]]) -> list[T]:
        return list(await asyncio.gather(*(fn() for fn in fns)))

    async def move_on_after(
        self, seconds: float, fn: Callable[..., Awaitable[object]], *args: Any
    ) -> bool:
        # What asyncio.timeout() (Python 3.11+) does: cancel this task after *seconds*.
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        handle = asyncio.get_running_loop().call_later(seconds, expire)
        try:
            await fn(*args)
        except asyncio.CancelledError:
            if not expired:  # cancelled by someone else
                raise
            if hasattr(task, "uncancel"):
                task.uncancel()
            return True
        finally:
            handle.cancel()
        if expired:  # fn returned just as the deadline fired: swallow its cancellation
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0)
            if hasattr(task, "uncancel"):
                task.uncancel()
            return True
        return False


if not TRIO_MISSING:

    class TrioFlavour(Flavour):  # only instantiated where xentara_sync.trio imports
        name = "trio"
        XentaraClient = xentara_sync.trio.XentaraClient
        Element = xentara_sync.trio.Element
        Event = xentara_sync.trio.Event
        Subscription = xentara_sync.trio.Subscription

        def run(self, fn: Callable[..., Awaitable[T]], *args: Any, timeout: float = 30.0) -> T:
            async def bounded() -> T:
                with trio.fail_after(timeout):
                    return await fn(*args)

            return trio.run(bounded)

        async def sleep(self, seconds: float) -> None:
            await trio.sleep(seconds)

        async def gather(self, *fns: Callable[[], Awaitable[T]]) -> list[T]:
            results: dict[int, T] = {}

            async def one(index: int, fn: Callable[[], Awaitable[T]]) -> None:
                results[index] = await fn()

            async with trio.open_nursery() as nursery:
                for index, fn in enumerate(fns):
                    nursery.start_soon(one, index, fn)
            return [results[index] for index in range(len(fns))]

        async def move_on_after(
            self, seconds: float, fn: Callable[..., Awaitable[object]], *args: Any
        ) -> bool:
            with trio.move_on_after(seconds) as scope:
                await fn(*args)
            return scope.cancelled_caught


#: The flavours this interpreter has (no trio on Python 3.10).
FLAVOURS: list[Flavour] = [AsyncioFlavour()] + ([] if TRIO_MISSING else [TrioFlavour()])
