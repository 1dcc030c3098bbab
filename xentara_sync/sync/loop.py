"""The event loop thread behind the blocking client.

One daemon thread per process runs an asyncio event loop for every blocking client.
It starts with the first client (never at import time), stops when the last client
closes, is cleaned up at interpreter exit (so a script that forgets ``close()`` exits
promptly and quietly), and is forgotten in the child after ``os.fork()``, where the
next client starts a fresh one.

Coroutines run as tasks on the loop; the caller waits on a lock that the loop
thread releases (it never waits for anything a user thread holds, since Ctrl-C can
interrupt a user thread anywhere). Every wait is bounded;
on timeout or ``KeyboardInterrupt`` the coroutine is cancelled. Calling from the
loop thread itself raises :class:`~xentara_sync.exceptions.UsageError` at once
instead of deadlocking.
"""

from __future__ import annotations

import _thread
import asyncio
import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..exceptions import RequestTimeout, UsageError
from ..threads import start as start_thread

__all__ = ["LoopThread", "loop_thread"]

log = logging.getLogger("xentara_sync")

T = TypeVar("T")

#: Seconds the loop may take beyond a call's own timeout before the caller gives up:
#: the coroutine's own timeout, which names what got no answer ("ConnectionLost: not
#: back within 0.5 s"), fires first unless the loop thread is held up (a huge message
#: being decoded, say, or a busy machine that has not run it); then the caller gives
#: up this much later, whatever the loop is doing. 50 ms let a busy machine's
#: scheduling turn the specific error into a generic one.
GRACE = 0.5
#: The same for connecting, whose steps (handshake, hello, root, browse) the core
#: bounds by ``connect_timeout`` in all: the core's timeout names the step that got
#: no answer, and the caller's only catches a loop that does not answer at all.
CONNECT_GRACE = 1.0
#: Seconds the clean-up at interpreter exit may take in all.
EXIT_TIMEOUT = 2.0
#: Seconds the loop thread may take to start.
START_TIMEOUT = 10.0
#: Seconds a blocking wait sleeps at a time. The kernel may deliver Ctrl-C's SIGINT
#: to any thread of the process; Python then raises KeyboardInterrupt in the main
#: thread only when that thread runs again, so no wait may sleep longer than this.
SLICE = 0.25


def wait_lock(lock: Any, timeout: float | None) -> bool:
    """Acquire *lock* within *timeout* seconds (None: no limit); False on timeout.

    The wait sleeps at most :data:`SLICE` at a time, so KeyboardInterrupt comes
    through promptly whichever thread the signal was delivered to.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = SLICE if deadline is None else min(max(deadline - time.monotonic(), 0.0), SLICE)
        if lock.acquire(timeout=wait):
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False


class LoopThread:
    """An asyncio event loop running in a daemon thread."""

    def __init__(self) -> None:
        self.generation = _generation
        self.loop = asyncio.new_event_loop()
        self.users = 0
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="xentara-sync-loop", daemon=True)
        start_thread(self.thread)
        if not self._ready.wait(START_TIMEOUT):
            raise UsageError("the xentara-sync event loop thread did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        except BaseException as exc:  # recorded: the next call re-raises it
            self.error = exc
            log.exception("the xentara-sync event loop thread failed")
        finally:
            try:
                self._finish()
            finally:
                self._ready.set()

    def _finish(self) -> None:
        loop = self.loop
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    @property
    def forked(self) -> bool:
        """Whether this process is a child forked after the thread started."""
        return self.generation != _generation

    @property
    def alive(self) -> bool:
        """Whether the loop still runs (in this process)."""
        return self.generation == _generation and self.loop.is_running()

    def in_loop_thread(self) -> bool:
        """Whether the caller is the loop thread."""
        return threading.get_ident() == self.thread.ident

    def check(self) -> None:
        """Raise a clear error if calls cannot be made from here (cheap: every call)."""
        if self.generation != _generation:
            raise UsageError(
                "this client was created in another process (before os.fork()); "
                "create a new client in this process"
            )
        if self.in_loop_thread():
            raise UsageError(
                "the blocking client was called from its own event loop thread "
                "(from a coroutine or callback of the loop), which would deadlock; "
                "use xentara_sync.aio there"
            )
        if not self.loop.is_running():
            raise UsageError("the xentara-sync event loop thread is gone") from self.error

    def run(
        self,
        coroutine: Callable[[], Coroutine[Any, Any, T]],
        timeout: float | None,
        what: str = "the call",
        grace: float = GRACE,
    ) -> T:
        """Run ``coroutine()`` on the loop and wait at most *timeout* + *grace*.

        *what* names the call in the :class:`RequestTimeout` raised when the loop
        does not answer in time (``"read 'Hardware.Sensor'"``).

        The coroutine is created on the loop thread, so that a Ctrl-C in the calling
        thread cannot leave one behind unawaited. On timeout or KeyboardInterrupt it
        is cancelled.
        """
        self.check()
        call = _Call(coroutine)
        self.loop.call_soon_threadsafe(call.start)
        wait = None if timeout is None else timeout + grace
        try:
            if not wait_lock(call.done, wait):
                raise TimeoutError
        except BaseException as exc:
            finished = call.done.acquire(False)
            if not finished:  # still running: cancel it
                try:
                    self.loop.call_soon_threadsafe(call.cancel)
                except RuntimeError:  # the loop is closed: nothing runs any more
                    pass
            if not isinstance(exc, TimeoutError):
                raise  # Ctrl-C
            if not finished:
                park_if_exiting()
                if not self.alive:
                    raise UsageError("the xentara-sync event loop thread is gone") from self.error
                raise RequestTimeout(f"{what} got no answer within {timeout:g} s") from None
        result: T = call.outcome()
        return result

    def call_soon(self, callback: Callable[..., object], *args: Any) -> None:
        """Run ``callback(*args)`` on the loop thread, soon."""
        self.loop.call_soon_threadsafe(callback, *args)

    def stop(self, timeout: float) -> None:
        """Stop the loop (cancelling what still runs) and join the thread."""
        if self.forked or not self.thread.is_alive():
            return
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:  # already closed
            return
        if not self.in_loop_thread():
            self.thread.join(timeout)


#: The tasks of :class:`_Call`, referenced by the loop thread until they end.
_running: set[asyncio.Task[Any]] = set()


class _Call:
    """A coroutine run on the loop for a waiting thread.

    Not :func:`asyncio.run_coroutine_threadsafe`: its future guards its state with
    a :class:`threading.Condition`, which the calling thread holds now and then, and
    a Ctrl-C at the wrong moment leaves it held, so that the loop thread would block
    on it for good. Here the loop thread only ever releases :attr:`done`.
    """

    __slots__ = ("_cancelled", "_coroutine", "_error", "_result", "_task", "done")

    def __init__(self, coroutine: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        self._coroutine = coroutine
        self._task: asyncio.Task[Any] | None = None
        self._result: Any = None
        self._error: BaseException | None = None
        self._cancelled = False
        #: Released by the loop thread once the outcome is there.
        self.done = _thread.allocate_lock()
        self.done.acquire()

    def start(self) -> None:
        """On the loop thread: run the coroutine as a task."""
        if self._cancelled:
            return
        try:
            coro = self._coroutine()
        except Exception as exc:  # wrong arguments, for instance
            self._error = exc
            self.done.release()
            return
        task = self._task = asyncio.get_running_loop().create_task(coro)
        _running.add(task)  # asyncio itself keeps only a weak reference
        task.add_done_callback(self._finish)

    def cancel(self) -> None:
        """On the loop thread: the caller gave up; cancel the coroutine."""
        self._cancelled = True
        if self._task is not None:
            self._task.cancel()

    def _finish(self, task: asyncio.Task[Any]) -> None:
        # The task is let go of here, on the loop thread: were the last reference
        # dropped by the calling thread, a Ctrl-C could strike in asyncio's clean-up
        # of it there, where Python can only print and drop it.
        _running.discard(task)
        self._task = None
        if task.cancelled():  # not by the caller, who has left: by a shutdown
            self._error = UsageError("the call was cancelled on the xentara-sync event loop")
        else:
            self._error = task.exception()
            if self._error is None:
                self._result = task.result()
        self.done.release()

    def outcome(self) -> Any:
        """The coroutine's result, or its exception raised."""
        if self._error is not None:
            park_if_exiting()
            raise self._error
        return self._result


_lock = threading.Lock()
_current: LoopThread | None = None
#: Counts the forks this process descends from; a loop thread of an older one is gone.
_generation = 0
_exit_hooks: list[Callable[[], None]] = []
#: Set once the program exits (see :func:`park_if_exiting`).
_exiting = False
_registered = False


def loop_thread() -> LoopThread:
    """The process's loop thread, started if needed; counts one more user."""
    global _current, _registered
    with _lock:
        current = _current
        if current is None or not current.alive:
            current = _current = LoopThread()
            if not _registered:
                _registered = True
                _register_exit(_at_exit)
                if hasattr(os, "register_at_fork"):
                    os.register_at_fork(after_in_child=_after_fork_in_child)
        current.users += 1
        return current


def release(thread: LoopThread) -> None:
    """One user fewer; the last one stops the thread."""
    global _current
    with _lock:
        thread.users -= 1
        if thread.users > 0 or thread is not _current:
            return
        _current = None
    thread.stop(EXIT_TIMEOUT)


def on_exit(hook: Callable[[], None]) -> Callable[[], None]:
    """Run *hook* at interpreter exit, before the loop stops; returns an undo function."""
    _exit_hooks.append(hook)

    def undo() -> None:
        try:
            _exit_hooks.remove(hook)
        except ValueError:
            pass

    return undo


def _register_exit(hook: Callable[[], None]) -> None:
    """Run *hook* when the main thread ends, before Python waits for the other threads.

    ``atexit`` hooks run only after every non-daemon thread has ended, so a
    non-daemon thread iterating a subscription would keep the program alive for
    good. :mod:`threading` has the earlier hook that :mod:`concurrent.futures` uses;
    where a Python lacks it, ``atexit`` it is.
    """
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        try:
            register(hook)
            return
        except RuntimeError:  # already shutting down
            pass
    atexit.register(hook)


def park_if_exiting() -> None:
    """In a daemon thread while the program exits: sleep until the exit ends the thread.

    Python ends daemon threads silently at exit. Raising :class:`ClientClosed` in
    one instead (its call was cut off by the exit) would print a traceback, cut
    short, on the way out; so a daemon thread woken by the exit sleeps instead.
    """
    if _exiting and threading.current_thread().daemon:
        while True:
            time.sleep(SLICE)


def _at_exit() -> None:
    global _exiting
    _exiting = True
    for hook in list(_exit_hooks):
        try:
            hook()
        except Exception:
            log.debug("exit hook failed", exc_info=True)
    _exit_hooks.clear()
    current = _current
    if current is not None:
        current.stop(EXIT_TIMEOUT)


def _after_fork_in_child() -> None:
    global _current, _lock, _generation
    _generation += 1
    _current = None
    _lock = threading.Lock()
    _exit_hooks.clear()
