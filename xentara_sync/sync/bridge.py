"""The blocking client's hot path: requests from any thread, without a coroutine.

A plain ``asyncio.run_coroutine_threadsafe`` round trip costs a task, two futures
and a callback chain per call. For the operations that need no look-up first (reads
and writes of elements the client already knows), the calling thread hands the
operation's :class:`~xentara_sync.protocol.session.Plan` to the connection's
session itself:

1. :meth:`ClientSession.send_now <xentara_sync.protocol.session.ClientSession.send_now>`
   registers one :class:`BatchWaiter` slot per request (one lock for the whole
   operation). Reads from the only thread in a call (``session.callers``) are
   written to the socket by the calling thread itself: no wake-up of the loop
   thread, which in a busy process is a wait for the GIL. Anything else is queued,
   and the first request of a batch makes the session ask the core to flush on the
   loop thread (``call_soon_threadsafe``), so that concurrent threads share
   messages. Queued requests are encoded there, on the loop thread: cbor2's C
   encoder ignores errors raised within it, and a KeyboardInterrupt of the calling
   thread would be lost inside it (reads are framed by hand, without cbor2);
2. the loop's receive path releases the waiter's lock with the responses, and the
   calling thread turns them into the result with the plan's ``finish``. The
   answers of an operation of many requests (``read_many``) are taken from their
   message in one decoding (:meth:`BatchWaiter.take_message`), without a packet
   object and a delivery each.

Every guarantee of the blocking client holds: a bounded wait, Ctrl-C and timeouts
leave the client usable (the pending entry is removed; a late response is
ignored), closing or losing the connection fails the waiter at once, and calls
from the loop thread raise instead of deadlocking.
"""

from __future__ import annotations

import _thread
from typing import Any

from ..exceptions import ProtocolError
from ..protocol.messages import answers_in
from ..protocol.packets import Packet
from ..protocol.session import ClientSession, Plan
from .loop import LoopThread, park_if_exiting, wait_lock

__all__ = ["BatchWaiter", "execute"]


class _Slot:
    """One response of a :class:`BatchWaiter` (what the client's pending table holds)."""

    __slots__ = ("_batch", "_index")

    def __init__(self, batch: BatchWaiter, index: int) -> None:
        self._batch = batch
        self._index = index

    def set_result(self, value: Any) -> None:
        self._batch._fill(self._index, value)

    def set_exception(self, exc: BaseException) -> None:
        self._batch._fail(exc)

    def done(self) -> bool:
        return self._batch._results[self._index] is not _EMPTY or self._batch._done

    def take_message(self, data: bytes) -> list[Packet | ProtocolError] | None:
        return self._batch.take_message(data)

    async def wait(self, timeout: float | None) -> Any:  # pragma: no cover - not a coroutine
        raise TypeError("a batch slot is waited for through its BatchWaiter")


_EMPTY: Any = object()
#: From this many requests on, an operation's answers are taken a message at a time.
TAKE_FROM = 8


class BatchWaiter:
    """Waits for the responses of several requests with one lock."""

    __slots__ = ("_done", "_error", "_lock", "_missing", "_results", "places")

    def __init__(self, count: int) -> None:
        self._lock = _thread.allocate_lock()
        self._lock.acquire()
        self._results: list[Any] = [_EMPTY] * count
        self._missing = count
        self._done = count == 0
        self._error: BaseException | None = None
        #: Message id -> response number, once the requests are sent (until then,
        #: :meth:`take_message` takes nothing).
        self.places: dict[int, int] | None = None
        if self._done:
            self._lock.release()

    def slot(self, index: int) -> _Slot:
        """The waiter of response number *index*."""
        return _Slot(self, index)

    def _fill(self, index: int, value: Any) -> None:
        if self._done or self._results[index] is not _EMPTY:
            return
        self._results[index] = value
        self._missing -= 1
        if self._missing == 0:
            self._done = True
            self._lock.release()

    def _fail(self, exc: BaseException) -> None:
        if not self._done:
            self._error = exc
            self._done = True
            self._lock.release()

    def take_message(self, data: bytes) -> list[Packet | ProtocolError] | None:
        """On the loop thread: take this batch's answers in the message *data* in
        one decoding (see :meth:`ClientSession.receive_data
        <xentara_sync.protocol.session.ClientSession.receive_data>`) and return its
        other packets, typed, for the session to take; None (nothing taken) before
        the requests' ids are known or if the message is not in the usual form."""
        places = self.places
        if places is None or self._done:
            return None
        try:
            mine, rest = answers_in(data, places)
        except ProtocolError:
            return None
        results, empty = self._results, _EMPTY
        filled = 0
        for index, answer in mine:
            if results[index] is empty:  # else a second answer, which is ignored
                results[index] = answer
                filled += 1
        self._missing -= filled
        if self._missing == 0 and not self._done:
            self._done = True
            self._lock.release()
        return rest

    def wait_blocking(self, timeout: float | None) -> list[Any]:
        """Every response in order; the first error raised; TimeoutError after *timeout*."""
        if not wait_lock(self._lock, timeout):
            raise TimeoutError
        if self._error is not None:
            park_if_exiting()
            raise self._error
        return self._results


def execute(session: ClientSession, thread: LoopThread, plan: Plan, timeout: float) -> Any:
    """Send the plan's requests from this thread and wait for its result.

    One lock serves the whole plan: each response fills its slot, and the last one
    (or the first error) wakes the caller. On timeout or Ctrl-C the requests are
    forgotten (a late answer is ignored) and the client stays usable.
    """
    thread.check()
    count = len(plan.requests)
    batch = BatchWaiter(count)
    ids: list[int] = []
    caller = _thread.get_ident()
    callers = session.callers
    callers.add(caller)  # a set: a Ctrl-C right after this leaves nothing to undo
    takers = session.taking_threads
    try:
        if count >= TAKE_FROM:
            takers.add(caller)
        ids = session.send_now(plan.requests, [batch.slot(index) for index in range(count)])
        if count >= TAKE_FROM:
            batch.places = dict(zip(ids, range(count), strict=True))
        try:
            packets = batch.wait_blocking(timeout)
        except TimeoutError:
            raise session.timeout_error(plan.operation, plan.element, timeout) from None
    finally:
        takers.discard(caller)
        callers.discard(caller)
        session.forget(ids)
    return plan.finish(packets)
