"""Taking received messages: answers to their waiters, events to their sinks, and
large messages parsed off the loop.

All blocking clients of a process share one loop thread, so a huge message must not
hold it: a message of at least :data:`LARGE_MESSAGE` bytes is parsed on a worker
thread, its packets are taken :data:`PACKETS_PER_SLICE` at a time with the loop free
in between, and later messages wait behind it so that the order is kept.

The messages waiting are bounded: once :data:`MAX_BACKLOG` of them wait undecoded,
the connection stops reading its socket until one is taken, so that a server
sending faster than the client decodes is held back by TCP (backpressure) instead
of filling the client's memory. Other connections are not affected: each has its
own backlog and its own socket.
"""

from __future__ import annotations

import collections
import logging
from functools import partial
from typing import TYPE_CHECKING, Protocol

from ..exceptions import ProtocolError
from ..protocol import Packet
from ..protocol.session import ClientSession, Received, parse_message
from .fanout import deliver
from .interfaces import fail_waiters

if TYPE_CHECKING:
    from .interfaces import Backend, Transport, Waiter

__all__ = ["LARGE_MESSAGE", "MAX_BACKLOG", "PACKETS_PER_SLICE", "Receiver", "ReceiverHost"]

log = logging.getLogger("xentara_sync")

#: Messages of at least this many bytes are parsed on a worker thread.
LARGE_MESSAGE = 1 << 20
#: Packets of a large message taken at a time, between which the loop runs others.
PACKETS_PER_SLICE = 2000
#: Undecoded messages that may wait per connection before it stops reading its socket.
MAX_BACKLOG = 4


class ReceiverHost(Protocol):
    """What receiving needs of its connection
    (:class:`~xentara_sync.core.connection.Connection`)."""

    _backend: Backend
    _session: ClientSession | None
    _connecting: bool
    _transport: Transport | None

    @property
    def url(self) -> str: ...


class Receiver:
    """The receiving side of a :class:`~xentara_sync.core.connection.Connection`:
    each message it is handed goes to the session, and what the session makes of
    it to the waiters and sinks; large messages are parsed on a worker thread, in
    order, with a bounded backlog."""

    def __init__(self, host: ReceiverHost) -> None:
        self._host = host
        self._backlog: collections.deque[bytes] | None = None
        #: Set while reading is paused because the backlog is full; set when it has room.
        self.room: Waiter | None = None
        #: Messages received so far (the keepalive takes them as signs of life).
        self.received = 0

    @property
    def backlog(self) -> int:
        """Undecoded messages waiting."""
        return len(self._backlog or ())

    def receive(self, data: bytes) -> None:
        self.received += 1
        session = self._host._session
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
            self._host._backend.spawn(self._digest)
        backlog.append(data)
        if len(backlog) >= MAX_BACKLOG and self.room is None:
            self._pause_reading()

    def _pause_reading(self) -> None:
        """Stop reading the socket until the backlog has room (see :meth:`_has_room`)."""
        self.room = self._host._backend.create_waiter()
        pause = getattr(self._host._transport, "pause_reading", None)
        if pause is not None:  # messages come straight from the transport
            pause()

    def _has_room(self) -> None:
        """Read the socket again (the backlog has room, or the digest ended)."""
        room, self.room = self.room, None
        if room is None:
            return
        resume = getattr(self._host._transport, "resume_reading", None)
        if resume is not None:
            resume()
        if not room.done():
            room.set_result(None)

    async def backlog_room(self) -> None:
        """Wait while the backlog is full (a reader that pulls messages calls this)."""
        room = self.room
        if room is not None:
            await room.wait(None)

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
                if len(backlog) < MAX_BACKLOG:
                    self._has_room()
                if len(data) < LARGE_MESSAGE:
                    await self._take(parse_message(data))
                    continue
                packets = await self._host._backend.run_in_thread(partial(parse_message, data))
                del data
                await self._take(packets)
        finally:
            self._backlog = None
            self._has_room()

    async def _take(self, packets: list[Packet | ProtocolError]) -> None:
        """Take *packets* in slices, letting the loop run others in between.

        Each slice is dropped from the list once taken, so that freeing a huge
        message's objects is sliced too.
        """
        while packets:
            session = self._host._session
            if session is None:
                return
            self._deliver(session, session.receive_packets(packets[:PACKETS_PER_SLICE]))
            del packets[:PACKETS_PER_SLICE]
            await self._host._backend.checkpoint()

    def _deliver(self, session: ClientSession, received: Received) -> None:
        answers, events, errors = received
        for waiter, outcome in answers:
            if waiter.done():
                continue
            if isinstance(outcome, BaseException):
                waiter.set_exception(outcome)
            else:
                waiter.set_result(outcome)
        if events:
            deliver(events)
        for error in errors:
            if self._host._connecting:  # not Xentara's protocol: say so now, not at the timeout
                failure = ProtocolError(
                    f"{self._host.url} does not answer in the Xentara WebSocket protocol: {error}"
                )
                fail_waiters(session.take_all(), failure)
            else:
                log.warning("ignored a message from %s: %s", self._host.url, error)
