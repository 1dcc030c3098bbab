"""Plans sent a few messages ahead of their answers, one waiter per message.

A snapshot sends thousands of requests per message. :func:`run_pipelined` gives
each message one backend waiter (a future) and each request a :class:`_Slot` that
files its answer into the message's list, instead of a future per request; and it
sends the next message while the server answers the last, so that the client's
work and the server's overlap.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from ..protocol.plans import Plan
from ..protocol.session import ClientSession
from .interfaces import Waiter

__all__ = ["run_pipelined"]

_EMPTY: Any = object()


class _Batch:
    """The answers to one message, filled in by its slots; *waiter* is resolved with
    the full list once the last one is in."""

    __slots__ = ("missing", "results", "waiter")

    def __init__(self, waiter: Waiter, count: int) -> None:
        self.waiter = waiter
        self.results: list[Any] = [_EMPTY] * count
        self.missing = count
        if count == 0:
            waiter.set_result(self.results)

    def fill(self, index: int, value: Any) -> None:
        if self.results[index] is not _EMPTY or self.waiter.done():
            return
        self.results[index] = value
        self.missing -= 1
        if self.missing == 0:
            self.waiter.set_result(self.results)


class _Slot:
    """One request's place in a :class:`_Batch` (what the session's pending table holds)."""

    __slots__ = ("batch", "index")

    def __init__(self, batch: _Batch, index: int) -> None:
        self.batch = batch
        self.index = index

    def set_result(self, value: Any) -> None:
        self.batch.fill(self.index, value)

    def set_exception(self, exc: BaseException) -> None:
        if not self.batch.waiter.done():
            self.batch.waiter.set_exception(exc)

    def done(self) -> bool:
        return self.batch.results[self.index] is not _EMPTY or self.batch.waiter.done()

    async def wait(self, timeout: float | None) -> Any:  # pragma: no cover - not waited for
        raise TypeError("a slot is waited for through its batch")


async def run_pipelined(
    session: ClientSession,
    plans: Iterable[Plan],
    done: Callable[[Any], object],
    *,
    create_waiter: Callable[[], Waiter],
    checkpoint: Callable[[], Awaitable[None]],
    timeout: float,
    window: int = 8,
) -> None:
    """Send *plans* on *session*, up to *window* messages ahead of the answers, and
    call ``done(plan.finish(answers))`` for each in order. Each answer must come
    within *timeout* seconds of waiting for it (else the session's timeout error)."""
    pending: deque[tuple[Plan, Waiter, list[int]]] = deque()
    source = iter(plans)
    try:
        while True:
            while len(pending) < window:
                plan = next(source, None)
                if plan is None:
                    break
                waiter = create_waiter()
                batch = _Batch(waiter, len(plan.requests))
                slots = [_Slot(batch, index) for index in range(len(plan.requests))]
                pending.append((plan, waiter, session.send(plan.requests, slots)))
                await checkpoint()  # the batch leaves as a message of its own
            if not pending:
                return
            plan, waiter, ids = pending[0]
            try:
                answers = await waiter.wait(timeout)
            except TimeoutError:
                raise session.timeout_error(plan.operation, plan.element, timeout) from None
            pending.popleft()
            session.forget(ids)
            done(plan.finish(answers))
    finally:
        for _, _, ids in pending:
            session.forget(ids)
