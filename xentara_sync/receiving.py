"""Taking received messages: answers to their waiters, events to their sinks, and
large messages parsed off the loop.

All blocking clients of a process share one loop thread, so a huge message must not
hold it: a message of at least :data:`LARGE_MESSAGE` bytes is parsed on a worker
thread, its packets are taken :data:`PACKETS_PER_SLICE` at a time with the loop free
in between, later messages wait behind it so that the order is kept, and the cyclic
garbage collector is paused meanwhile (see :mod:`xentara_sync.gcpause`).
"""

from __future__ import annotations

import collections
import logging
from functools import partial
from typing import TYPE_CHECKING

from .exceptions import ProtocolError
from .gcpause import paused_gc
from .interfaces import fail_waiters
from .protocol import Packet
from .protocol.session import ClientSession, Received, parse_message

if TYPE_CHECKING:
    from .interfaces import Backend

__all__ = ["LARGE_MESSAGE", "PACKETS_PER_SLICE", "Receiving"]

log = logging.getLogger("xentara_sync")

#: Messages of at least this many bytes are parsed on a worker thread.
LARGE_MESSAGE = 1 << 20
#: Packets of a large message taken at a time, between which the loop runs others.
PACKETS_PER_SLICE = 2000


class Receiving:
    """The receiving side of :class:`~xentara_sync.connection.Connection`."""

    _backend: Backend
    _session: ClientSession | None
    _connecting: bool
    _backlog: collections.deque[bytes] | None

    @property
    def url(self) -> str:
        """The server's URL, without credentials (the connection's)."""
        raise NotImplementedError

    def _receive(self, data: bytes) -> None:
        session = self._session
        if session is None:
            return
        if self._backlog is not None or len(data) >= LARGE_MESSAGE:
            self._queue_large(data)
            return
        self._deliver(session, session.receive_data(data))

    def _queue_large(self, data: bytes) -> None:
        """Digest *data* (and what follows it, in order) without holding up the loop."""
        backlog = self._backlog
        if backlog is None:
            backlog = self._backlog = collections.deque()
            self._backend.spawn(self._digest)
        backlog.append(data)

    async def _digest(self) -> None:
        """Parse large messages on a worker thread; take their packets in slices.

        A 13 MB message of 900,000 events takes about a second to decode and parse;
        on the loop thread that second would stall every other client that shares
        the loop. Later messages wait in the backlog, so the order is kept.
        """
        backlog = self._backlog
        try:
            while backlog:
                data = backlog.popleft()
                if len(data) < LARGE_MESSAGE:
                    await self._take(parse_message(data))
                    continue
                # The collector is paused until the message's objects are gone again
                # (see xentara_sync.gcpause): a collection would walk them all.
                with paused_gc():
                    await self._take(
                        await self._backend.run_in_thread(partial(parse_message, data))
                    )
        finally:
            self._backlog = None

    async def _take(self, packets: list[Packet | ProtocolError]) -> None:
        """Take *packets* in slices, letting the loop run others in between.

        Each slice is dropped from the list once taken, so that freeing a huge
        message's objects is sliced too.
        """
        while packets:
            session = self._session
            if session is None:
                return
            self._deliver(session, session.receive_packets(packets[:PACKETS_PER_SLICE]))
            del packets[:PACKETS_PER_SLICE]
            await self._backend.checkpoint()

    def _deliver(self, session: ClientSession, received: Received) -> None:
        answers, events, errors = received
        for waiter, outcome in answers:
            if waiter.done():
                continue
            if isinstance(outcome, BaseException):
                waiter.set_exception(outcome)
            else:
                waiter.set_result(outcome)
        for sink, event in events:
            sink.put(event)
        for error in errors:
            if self._connecting:  # not Xentara's protocol: say so now, not at the timeout
                failure = ProtocolError(
                    f"{self.url} does not answer in the Xentara WebSocket protocol: {error}"
                )
                fail_waiters(session.take_all(), failure)
            else:
                log.warning("ignored a message from %s: %s", self.url, error)
