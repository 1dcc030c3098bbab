"""Plans sent a few messages ahead of their answers, one waiter per message.

A snapshot sends thousands of requests per message. :func:`run_pipelined` gives
each message one backend waiter (a future) and one :class:`_Batch`, the waiter of
each of its requests, that files each answer into the message's list, instead of
a future (or any object) per request; and it
sends the next message while the server answers the last, so that the client's
work and the server's overlap.

A plan that can frame its requests at once (``plan.frame``) is sent with
:meth:`~xentara_sync.protocol.session.ClientSession.send_framed`; a batch whose
answers are each taken as they come takes a whole answer message in one decoding
(:meth:`_Batch.take_message`), handing the session what is not its own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from ..exceptions import ProtocolError
from ..protocol.messages import answers_in
from ..protocol.packets import Packet
from ..protocol.plan import Plan
from ..protocol.session import ClientSession
from .interfaces import Waiter

__all__ = ["run_pipelined"]

_EMPTY: Any = object()
#: What :func:`run_pipelined` keeps of a plan sent: operation, element, finish.
_Sent = tuple[str, "str | None", Callable[[list[Any]], Any]]


class _Batch:
    """The answers to one message: the waiter of each of its requests in the
    session's pending table (one object for the message, not one per request),
    filing each answer in its place by its message id; *waiter* is resolved with
    the full list once the last one is in."""

    __slots__ = ("alike", "missing", "places", "results", "scan", "take", "waiter")

    def __init__(
        self,
        waiter: Waiter,
        count: int,
        take: Callable[[int, Any], object] | None = None,
        alike: dict[bytes, Any] | None = None,
        scan: Callable[[bytes], Any] | None = None,
    ) -> None:
        self.waiter = waiter
        #: Takes each answer as it comes (see
        #: :class:`~xentara_sync.protocol.plan.StreamedPlan`), or None.
        self.take = take
        #: The cache of alike answers, if they are (see
        #: :func:`~xentara_sync.protocol.bulk.answers`).
        self.alike = alike
        #: Reads a whole message in its usual form (see
        #: :class:`~xentara_sync.protocol.plan.StreamedPlan`), or None.
        self.scan = scan
        self.results: list[Any] = [_EMPTY] * count
        self.missing = count
        #: Message id -> place in :attr:`results` (set once the requests are queued).
        self.places: dict[int, int] = {}
        if count == 0:
            waiter.set_result(self.results)

    def set_result(self, packet: Any) -> None:
        """An answer (a :class:`~xentara_sync.protocol.Success` or ``Failure``)."""
        index = self.places.get(packet.message_id)
        if index is None or self.results[index] is not _EMPTY or self.waiter.done():
            return
        take = self.take
        if take is not None:
            try:
                take(index, packet)
            except Exception as exc:  # the snapshot fails with it, not the connection
                self.waiter.set_exception(exc)
                return
            packet = None  # taken: its objects are freed with the message
        self.results[index] = packet
        self.missing -= 1
        if self.missing == 0:
            self.waiter.set_result(self.results)

    def take_message(self, data: bytes) -> list[Packet | ProtocolError] | None:
        """Take the answers of a whole message (see
        :meth:`~xentara_sync.protocol.session.ClientSession.receive_data`) in one
        decoding, without a packet object or a call of :meth:`set_result` each:
        those this batch waits for go to :attr:`take`; the rest (other requests'
        answers, failures, events) is returned, typed, for the session to take.
        None (nothing taken) if the message is not in the usual form."""
        take = self.take
        if take is None or self.waiter.done():
            return None
        if self.scan is not None and self._take_scanned(data):
            return []
        try:
            mine, rest = answers_in(data, self.places, alike=self.alike)
        except ProtocolError:
            return None
        results, empty = self.results, _EMPTY
        done = 0
        try:
            for index, answer in mine:
                if results[index] is not empty:
                    continue  # answered twice: the first answer counts
                take(index, answer)
                results[index] = None
                done += 1
        except Exception as exc:  # the snapshot fails with it, not the connection
            self.waiter.set_exception(exc)
            return rest
        finally:
            self.missing -= done
        if self.missing == 0 and not self.waiter.done():
            self.waiter.set_result(results)
        return rest

    def _take_scanned(self, data: bytes) -> bool:
        """Take the message *data* through the plan's scan if every answer in it is
        one this batch waits for, each once: True; else False (nothing taken)."""
        assert self.scan is not None
        found = self.scan(data)
        if found is None:
            return False
        message_ids, apply = found
        found = list(map(self.places.get, message_ids))
        if None in found or len(set(found)) != len(found):
            return False  # a stray answer, or one answered twice
        places: list[int] = found
        results, empty = self.results, _EMPTY
        if list(map(results.__getitem__, places)).count(empty) != len(places):
            return False  # answered before: the first answer counts
        try:
            if not apply(places):
                return False
        except Exception as exc:  # the snapshot fails with it, not the connection
            self.waiter.set_exception(exc)
            return True
        for place in places:
            results[place] = None
        self.missing -= len(places)
        if self.missing == 0 and not self.waiter.done():
            self.waiter.set_result(results)
        return True

    def set_exception(self, exc: BaseException) -> None:
        """A request failed as a whole (it could not be sent, a broken answer, the
        connection lost): so does the message."""
        if not self.waiter.done():
            self.waiter.set_exception(exc)

    def done(self) -> bool:
        return self.waiter.done()

    async def wait(self, timeout: float | None) -> Any:  # pragma: no cover - not waited for
        raise TypeError("a batch is waited for through its waiter")


async def run_pipelined(
    session: ClientSession,
    plans: Iterable[Plan],
    done: Callable[[Any], object],
    *,
    create_waiter: Callable[[], Waiter],
    checkpoint: Callable[[], Awaitable[None]],
    timeout: float,
    window: int = 16,
) -> None:
    """Send *plans* on *session*, up to *window* messages ahead of the answers, and
    call ``done(plan.finish(answers))`` for each in order. Each answer must come
    within *timeout* seconds of waiting for it (else the session's timeout error)."""
    # What is kept of each plan sent: not its requests, which are freed once sent.
    pending: deque[tuple[_Sent, Waiter, list[int]]] = deque()
    source = iter(plans)
    session.message_takers += 1  # a _Batch takes a whole message if it can
    try:
        while True:
            while len(pending) < window:
                plan = next(source, None)
                if plan is None:
                    break
                waiter = create_waiter()
                count = len(plan.requests)
                batch = _Batch(
                    waiter,
                    count,
                    getattr(plan, "take", None),
                    getattr(plan, "alike", None),
                    getattr(plan, "scan", None),
                )
                frame = getattr(plan, "frame", None)
                if frame is not None:  # encoded at once by the plan
                    ids = session.send_framed(plan.requests, batch, frame)
                else:
                    ids = session.send(plan.requests, [batch] * count)
                batch.places = {message_id: index for index, message_id in enumerate(ids)}
                pending.append(((plan.operation, plan.element, plan.finish), waiter, ids))
                plan = None
                await checkpoint()  # the batch leaves as a message of its own
            if not pending:
                return
            (operation, element, finish), waiter, ids = pending[0]
            try:
                answers = await waiter.wait(timeout)
            except TimeoutError:
                raise session.timeout_error(operation, element, timeout) from None
            pending.popleft()
            session.forget(ids)
            done(finish(answers))
    finally:
        session.message_takers -= 1
        for _, _, ids in pending:
            session.forget(ids)
