"""The blocking client's hot path: requests from any thread, without a coroutine.

A plain ``asyncio.run_coroutine_threadsafe`` round trip costs a task, two futures
and a callback chain per call. For the requests that need no coroutine (reads and
writes of elements the client already knows), the calling thread does the work
itself:

1. it takes a message id, registers a waiter (one lock per call) in the
   client's pending table and encodes a read itself (in Python: cbor2's C
   encoder ignores errors raised within it, and a KeyboardInterrupt of the
   calling thread would be lost there, so other requests are encoded by the
   loop thread, where no signal handler runs);
2. it queues the packet and, unless a flush is already scheduled, wakes the loop
   with ``call_soon_threadsafe``; the loop joins whatever packets are queued into
   one message (so concurrent threads share messages) and writes it;
3. the loop's receive path releases the waiter's lock with the response, and the
   calling thread interprets it.

Every guarantee of the blocking client holds: a bounded wait, Ctrl-C and timeouts
leave the client usable (the pending entry is removed; a late response is
ignored), closing or losing the connection fails the waiter at once, and calls
from the loop thread raise instead of deadlocking.
"""

from __future__ import annotations

import _thread
import collections
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..core import ClientCore
from ..exceptions import ConnectionClosed, ProtocolError
from ..protocol import Failure, Success, encode_read, encode_request, join_packets
from .loop import LoopThread, wait_lock

__all__ = ["BatchWaiter", "Bridge"]


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

    async def wait(self, timeout: float | None) -> Any:  # pragma: no cover - not a coroutine
        raise TypeError("a batch slot is waited for through its BatchWaiter")


_EMPTY: Any = object()

#: A request as the calling thread queues it: encoded, or (id, opcode, params).
_Part = bytes | tuple[int, int, Mapping[int, Any] | None]


class BatchWaiter:
    """Waits for the responses of several requests with one lock."""

    __slots__ = ("_done", "_error", "_lock", "_missing", "_results")

    def __init__(self, count: int) -> None:
        self._lock = _thread.allocate_lock()
        self._lock.acquire()
        self._results: list[Any] = [_EMPTY] * count
        self._missing = count
        self._done = count == 0
        self._error: BaseException | None = None
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

    def wait_blocking(self, timeout: float | None) -> list[Any]:
        """Every response in order; the first error raised; TimeoutError after *timeout*."""
        if not wait_lock(self._lock, timeout):
            raise TimeoutError
        if self._error is not None:
            raise self._error
        return self._results


class Bridge:
    """Sends requests of one client from any thread and waits for their answers."""

    __slots__ = ("_core", "_loop", "_queue", "_scheduled", "_thread")

    def __init__(self, core: ClientCore, thread: LoopThread) -> None:
        self._core = core
        self._thread = thread
        self._loop = thread.loop
        self._queue: collections.deque[tuple[int, _Part]] = collections.deque()
        self._scheduled = False

    def request(
        self,
        opcode: int,
        params: Mapping[int, Any] | None,
        timeout: float | None,
        operation: str,
        element: str | None,
    ) -> Success | Failure:
        """Send one request and wait for its response packet."""
        return self.request_many([(opcode, params)], timeout, operation, element)[0]

    def request_many(
        self,
        requests: Sequence[tuple[int, Mapping[int, Any] | None]],
        timeout: float | None,
        operation: str,
        element: str | None,
    ) -> list[Success | Failure]:
        """Send requests in one message and wait for their responses, in order."""
        # Encoded on the loop thread (see _flush): cbor2's C encoder ignores errors
        # raised inside it, which would swallow a KeyboardInterrupt of this thread.
        return self._exchange(
            len(requests),
            lambda index, message_id: (message_id, *requests[index]),
            timeout,
            operation,
            element,
        )

    def read_many(
        self,
        elements: Sequence[uuid.UUID],
        attribute: int,
        timeout: float | None,
        operation: str,
        element: str | None,
    ) -> list[Success | Failure]:
        """Read one numbered attribute of each element, in one message."""
        wanted = (attribute,)
        return self._exchange(
            len(elements),
            lambda index, message_id: encode_read(message_id, elements[index], wanted),
            timeout,
            operation,
            element,
        )

    def _exchange(
        self,
        count: int,
        encode: Callable[[int, int], _Part],
        timeout: float | None,
        operation: str,
        element: str | None,
    ) -> list[Success | Failure]:
        """Register, encode and send *count* requests; wait for their responses.

        One lock serves the whole batch: each response fills its slot, and the last
        one (or the first error) wakes the caller.
        """
        core = self._core
        self._thread.check()
        core._check_open()
        pending = core._pending
        ids = core._ids
        batch = BatchWaiter(count)
        registered: list[int] = []
        parts: list[tuple[int, _Part]] = []
        try:
            for index in range(count):
                message_id = next(ids)
                registered.append(message_id)
                pending[message_id] = batch.slot(index)
                parts.append((message_id, encode(index, message_id)))
            # Closed while we registered? Then nobody will fail our waiters.
            core._check_open()
            self._submit(parts)
            wait = core.timeout if timeout is None else timeout
            try:
                return batch.wait_blocking(wait)
            except TimeoutError:
                raise core._timeout(operation, element, wait) from None
        finally:
            for message_id in registered:
                pending.pop(message_id, None)

    def _submit(self, parts: list[tuple[int, _Part]]) -> None:
        self._queue.extend(parts)
        if not self._scheduled:
            self._scheduled = True
            try:
                self._loop.call_soon_threadsafe(self._flush)
            except BaseException:  # Ctrl-C in there: the next call schedules a flush
                self._scheduled = False
                raise

    def _flush(self) -> None:
        """On the loop thread: send every queued packet in one message."""
        self._scheduled = False
        queue = self._queue
        core = self._core
        batch: list[tuple[int, bytes]] = []
        while queue:
            message_id, part = queue.popleft()
            if type(part) is not bytes:
                try:
                    part = encode_request(*part)
                except ProtocolError as exc:  # a value CBOR cannot carry fails its call
                    core._fail_request(message_id, exc)
                    continue
            batch.append((message_id, part))
        if not batch:
            return
        data = join_packets([part for _, part in batch])
        try:
            transport = core._transport
            if transport is None or core._closed or core._lost is not None:
                raise ConnectionClosed(f"the connection to {core.url} is closed")
            send_nowait = getattr(transport, "send_nowait", None)
            if send_nowait is not None:
                send_nowait(data)
            else:
                core._backend.spawn(lambda: core._send(data))
        except (ConnectionClosed, ProtocolError, OSError) as exc:
            for message_id, _ in batch:
                core._fail_request(message_id, exc)
