"""The client's side of one connection, sans I/O.

A :class:`ClientSession` is everything a client knows and owes on one connection:
message ids, the requests waiting for answers, the requests not sent yet, the element
index, the cached metadata and the routes of subscribed attributes. It builds each
operation's requests (a :class:`Plan`), turns received bytes into answers and events,
and fails everything at once when the connection ends. It opens no socket, runs no
event loop and starts no thread: the flavours drive it, the way each I/O flavour of
``websockets`` drives its ``Protocol``.

>>> import uuid
>>> from xentara_sync.protocol.index import ElementInfo
>>> from xentara_sync.protocol import Category, Opcode, Request, Success, encode_message, wrap
>>> session = ClientSession("ws://127.0.0.1:8080/api/ws")
>>> output = ElementInfo("Hardware.Output 1", uuid.UUID(int=1), Category.DATA_POINT)
>>> session.set_index([output])
>>> plan = session.plan_read("Hardware.Output 1")
>>> waiter = object()                 # any object: the session only hands it back
>>> session.send(plan.requests, [waiter])
[1]
>>> sent = session.data_to_send().data
>>> sent == encode_message([Request(1, Opcode.READ, {0: output.uuid, 1: [11]})])
True
>>> answer = encode_message([Success(1, {11: wrap(True)})])
>>> answers, events, errors = session.receive_data(answer)
>>> answers[0][0] is waiter, plan.finish([answers[0][1]]), session.pending
(True, True, 0)

Threads: :meth:`send` may be called from any thread while the I/O side calls
:meth:`data_to_send`, :meth:`receive_data` and :meth:`connection_ended`: each step
is a single dictionary or deque operation, atomic under the GIL, and a request sent
while the connection ends is failed by :meth:`send` itself.
"""

from __future__ import annotations

import collections
import copy
import functools
import itertools
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple, Protocol

from ..exceptions import InvalidArgument, ProtocolError, RequestTimeout, XentaraError
from . import replies
from .eventscan import ROUTE_LIMIT, route_events
from .framing import _head, encode_request, hand_framed_message, join_packets
from .ids import Attribute, Opcode
from .index import _CONVERTERS, ElementInfo, Event, convert_value
from .messages import _first_answer_id, decode_message, one_answer, parse_message
from .packets import DataChange, Failure, Packet, Success
from .plans import PROTOCOL_VERSION, Operations, Plan, RequestSpec
from .timepoint import TimePoint

#: Logs each request and received packet, decoded, at DEBUG level (never credentials:
#: they travel in the HTTP handshake, not in messages).
log = logging.getLogger("xentara_sync.protocol")


def _name(opcode: int) -> str:
    """The name of a request's opcode, or its number if it has none."""
    try:
        return Opcode(opcode).name.lower()
    except ValueError:
        return str(opcode)


__all__ = [
    "PROTOCOL_VERSION",
    "ClientSession",
    "EventSink",
    "Operations",
    "Outgoing",
    "Plan",
    "Received",
    "RequestSpec",
    "parse_message",
]

#: An answer: the response packet, or the error that stands for it.
Outcome = Success | Failure | BaseException
#: The most the outer array's head adds to the packets of a message (CBOR, bytes).
_ARRAY_HEADER: Final = 9
#: The head of an outer array of *n* packets.
_array_head = functools.partial(_head, 0x80)
#: No waiter (any object may be one, None included).
_NONE: Any = object()
_new_event = tuple.__new__
_event_seconds = replies.event_seconds


class EventSink(Protocol):
    """Where a subscription's events go. Called on the I/O side; must never block."""

    @property
    def dropped(self) -> int: ...

    def put(self, event: Event) -> None: ...

    def close(self, error: BaseException | None) -> None: ...


#: The opcode of an outbox entry that holds requests framed by the caller.
_FRAMED: Final = -1


class _Framed(NamedTuple):
    """Requests queued by :meth:`ClientSession.send_framed`."""

    ids: list[int]
    requests: Sequence[RequestSpec]
    data: bytes


class Outgoing(NamedTuple):
    """What :meth:`ClientSession.data_to_send` hands the I/O side."""

    data: bytes | None
    """One message holding every queued request, or None if nothing is queued."""
    ids: list[int]
    """The message ids of the requests in it (see :meth:`ClientSession.take`)."""
    failed: list[tuple[Any, BaseException]]
    """Waiters of requests that could not be encoded, with their error."""


class Received(NamedTuple):
    """What :meth:`ClientSession.receive_data` found in one message."""

    answers: list[tuple[Any, Outcome]]
    """Each waiter whose answer came, with the answer."""
    events: list[tuple[EventSink, Event]]
    """Each subscribed value change, with the sink it goes to."""
    errors: list[ProtocolError]
    """What was wrong and ignored (a broken message, a stray packet)."""


class _ElementRoutes:
    """The sinks of one element's subscribed attributes, and the name its events carry."""

    __slots__ = ("element", "name", "sinks")

    def __init__(self, element: uuid.UUID, name: str) -> None:
        self.element = element
        self.name = name
        self.sinks: dict[Any, list[EventSink]] = {}


class ClientSession(Operations):
    """The state of one client connection, driven by an I/O flavour.

    Args:
        url: the server's URL without credentials, for messages.
        on_flush_due: called (from whichever thread sends) when a request is queued
            and no flush is due yet: the driver then arranges for
            :meth:`data_to_send` to run soon. Every request queued until then joins
            the same message.
        max_send_size: the largest message sent, in bytes (None: no limit). A
            request larger than that fails alone, before anything is sent; requests
            that fit alone but not together leave in several messages.
    """

    def __init__(
        self,
        url: str,
        *,
        on_flush_due: Callable[[], object] | None = None,
        max_send_size: int | None = None,
    ) -> None:
        super().__init__()
        self.url = url
        self.on_flush_due = on_flush_due
        self.max_send_size = max_send_size
        #: Writes one message at once from a thread other than the driver's, if
        #: it can (see :meth:`send_now`); None: the driver offers no such write.
        self.write_now: Callable[[bytes], bool] | None = None
        #: The threads in a call of the driver's (their ids): with more than one,
        #: :meth:`send_now` queues, so that concurrent calls share messages.
        self.callers: set[int] = set()
        self._ids = itertools.count(1)
        self._pending: dict[int, Any] = {}
        # (message id, opcode, parameters), or (first id, _FRAMED, _Framed)
        self._outbox: collections.deque[tuple[int, int, Any]] = collections.deque()
        self._flush_due = False
        #: How many senders may give waiters that take a whole message (see
        #: :meth:`receive_data`); while none, messages are not looked into for them.
        self.message_takers = 0
        #: The threads (their ids) that wait for a batch whose waiter may take a
        #: whole message, as :attr:`message_takers` counts the driver's (a set: any
        #: thread may add or discard itself without a lock).
        self.taking_threads: set[int] = set()
        #: The error every call raises once the connection has ended.
        self.error: XentaraError | None = None
        #: Subscribed changes by element, by the element's UUID as a number: one
        #: look-up per event, without the Python-level ``UUID.__hash__``.
        self._routes: dict[int, _ElementRoutes] = {}
        #: The same routes by the 16 bytes of the element's UUID, for
        #: :func:`~.eventscan.route_events`.
        self._routes_by_bytes: dict[bytes, _ElementRoutes] = {}

    # ------------------------------------------------------------------ state

    @property
    def pending(self) -> int:
        """How many requests wait for an answer."""
        return len(self._pending)

    @property
    def open(self) -> bool:
        """Whether the connection has not ended."""
        return self.error is None

    def check_open(self) -> None:
        """Raise the connection's error if it has ended."""
        error = self.error
        if error is not None:
            raise copy.copy(error)

    def connection_ended(self, error: XentaraError) -> tuple[list[Any], list[EventSink]]:
        """The connection is over: every waiter and every sink, to be failed and closed.

        Later calls of :meth:`send` raise *error*. Idempotent: a second call returns
        nothing.
        """
        if self.error is not None:
            return [], []
        self.error = error
        pending, self._pending = self._pending, {}
        self._outbox.clear()
        sinks = list(
            {
                id(sink): sink
                for entry in self._routes.values()
                for subs in entry.sinks.values()
                for sink in subs
            }.values()
        )
        self._routes.clear()
        self._routes_by_bytes.clear()
        return list(pending.values()), sinks

    # ------------------------------------------------------------------ sending

    def send(self, requests: Sequence[RequestSpec], waiters: Sequence[Any]) -> list[int]:
        """Queue *requests*, each answered to its waiter; returns their message ids.

        The requests leave with the next :meth:`data_to_send`; the first request
        of a batch calls :attr:`on_flush_due`.
        """
        if self.error is not None:
            self.check_open()
        pending = self._pending
        outbox = self._outbox
        if len(requests) == 1:  # the usual case
            message_id = next(self._ids)
            pending[message_id] = waiters[0]
            ids = [message_id]
            outbox.append((message_id, *requests[0]))
        else:
            ids = []
            for (opcode, params), waiter in zip(requests, waiters, strict=True):
                message_id = next(self._ids)
                pending[message_id] = waiter
                ids.append(message_id)
                outbox.append((message_id, opcode, params))
        return self._queued(ids)

    def _queued(self, ids: list[int]) -> list[int]:
        """*ids*, just queued: fail them if the connection ended meanwhile (after
        their waiters were taken), else make sure a flush is due."""
        if self.error is not None:  # ended meanwhile, after its waiters were taken
            self.forget(ids)
            self.check_open()
        if not self._flush_due:
            self._flush_due = True
            hook = self.on_flush_due
            if hook is not None:
                try:
                    hook()
                except BaseException:  # Ctrl-C in there: the next call arranges a flush
                    self._flush_due = False
                    self.forget(ids)
                    raise
        return ids

    def send_framed(
        self,
        requests: Sequence[RequestSpec],
        waiter: Any,
        frame: Callable[[list[int]], bytes],
    ) -> list[int]:
        """Queue *requests*, all answered to one *waiter*, framed by the caller:
        ``frame(message_ids)`` gives their packets, encoded and joined (as
        :func:`~.framing.frame_requests` does), one message id each in order.

        As :meth:`send`, but the requests are encoded at once, in one call, and
        leave together in the next message (if all fit within
        :attr:`max_send_size`: else they fail, as one request too large does).
        """
        if self.error is not None:
            self.check_open()
        pending = self._pending
        ids = list(itertools.islice(self._ids, len(requests)))
        data = frame(ids)
        for message_id in ids:
            pending[message_id] = waiter
        if ids:
            self._outbox.append((ids[0], _FRAMED, _Framed(ids, requests, data)))
        return self._queued(ids)

    def send_now(self, requests: Sequence[RequestSpec], waiters: Sequence[Any]) -> list[int]:
        """Like :meth:`send`, for a thread other than the driver's: the requests are
        written at once by :attr:`write_now`, as one message, when they are all
        framed by hand (reads and ``meta_data``), no other thread is in a call
        (:attr:`callers`) and no other request waits (else concurrent calls share
        messages, as :meth:`send` makes them), and it can write now; else they are
        queued as :meth:`send` queues them.

        The waiters are registered before the message is written, so an answer
        cannot come before them. ``write_now(message)`` returns whether it wrote
        the message (False: nothing of it was written).
        """
        write = self.write_now
        if (
            write is None
            or len(self.callers) > 1  # other threads call too: share their messages
            or self._pending
            or self._outbox
            or self.error is not None
            or log.isEnabledFor(logging.DEBUG)
        ):
            return self.send(requests, waiters)
        ids = [next(self._ids) for _ in requests]
        message = hand_framed_message(ids, requests)
        if message is None:
            return self.send(requests, waiters)
        limit = self.max_send_size
        if limit is not None and len(message) > limit:
            return self.send(requests, waiters)  # split, or refused, there
        pending = self._pending
        for message_id, waiter in zip(ids, waiters, strict=True):
            pending[message_id] = waiter
        try:
            self.check_open()  # ended meanwhile, after its waiters were taken?
            written = write(message)
        except BaseException:
            self.forget(ids)
            raise
        if written:
            return ids
        self.forget(ids)
        return self.send(requests, waiters)

    def forget(self, message_ids: Iterable[int]) -> None:
        """The caller gave up on these requests: a late answer is ignored."""
        pending = self._pending
        for message_id in message_ids:
            pending.pop(message_id, None)

    def data_to_send(self) -> Outgoing:
        """Every queued request as one message (the outer array).

        A request whose caller gave up before it left is not sent. A request that
        CBOR cannot carry, or that is larger than :attr:`max_send_size`, fails alone
        (its waiter is in :attr:`Outgoing.failed`). When the queued requests fit
        only in several messages, this returns the first, keeps the rest queued and
        calls :attr:`on_flush_due` again.
        """
        self._flush_due = False
        outbox = self._outbox
        pending = self._pending
        parts: list[bytes] = []
        ids = []
        failed: list[tuple[Any, BaseException]] = []
        debug = log.isEnabledFor(logging.DEBUG)
        limit = self.max_send_size
        room = None if limit is None else limit - _ARRAY_HEADER
        size = 0
        extra = 0  # packets beyond one per part (framed parts hold many)
        while outbox:
            entry = outbox.popleft()
            message_id, opcode, params = entry
            if opcode == _FRAMED:
                part = self._framed_part(params, failed, debug)
                if part is None:
                    continue
                if room is not None:
                    if size + len(part) > room and parts:  # the rest in the next message
                        outbox.appendleft(entry)
                        self._flush_due = True
                        hook = self.on_flush_due
                        if hook is not None:
                            hook()
                        break
                    size += len(part)
                parts.append(part)
                ids.extend(params.ids)
                extra += len(params.ids) - 1
                continue
            if message_id not in pending:
                continue
            if debug:
                log.debug("%s: request %d %s %r", self.url, message_id, _name(opcode), params)
            try:
                part = encode_request(message_id, opcode, params)
            except ProtocolError as exc:
                waiter = pending.pop(message_id, _NONE)
                if waiter is not _NONE:
                    failed.append((waiter, exc))
                continue
            if room is not None:
                if len(part) > room:
                    waiter = pending.pop(message_id, _NONE)
                    if waiter is not _NONE:
                        failed.append((waiter, self._too_large(opcode, params, len(part))))
                    continue
                if size + len(part) > room and parts:  # the rest in the next message
                    outbox.appendleft(entry)
                    self._flush_due = True
                    hook = self.on_flush_due
                    if hook is not None:
                        hook()
                    break
                size += len(part)
            parts.append(part)
            ids.append(message_id)
        if not parts:
            return Outgoing(None, ids, failed)
        if extra:
            return Outgoing(_array_head(len(parts) + extra) + b"".join(parts), ids, failed)
        return Outgoing(join_packets(parts), ids, failed)

    def _framed_part(
        self, framed: _Framed, failed: list[tuple[Any, BaseException]], debug: bool
    ) -> bytes | None:
        """The packets of *framed* to send; None if its callers gave up on them all,
        or if they are too large for one message (each waiter then in *failed*)."""
        pending = self._pending
        if not any(message_id in pending for message_id in framed.ids):
            return None
        if debug:
            for message_id, (opcode, params) in zip(framed.ids, framed.requests, strict=True):
                log.debug("%s: request %d %s %r", self.url, message_id, _name(opcode), params)
        limit = self.max_send_size
        if limit is not None and len(framed.data) > limit - _ARRAY_HEADER:
            opcode, params = framed.requests[0]
            error = self._too_large(opcode, params, len(framed.data))
            for message_id in framed.ids:
                waiter = pending.pop(message_id, _NONE)
                if waiter is not _NONE:
                    failed.append((waiter, error))
            return None
        return framed.data

    def _too_large(
        self, opcode: int, params: Mapping[int, Any] | None, size: int
    ) -> InvalidArgument:
        """The error of a request too large for one message."""
        element = params.get(0) if isinstance(params, Mapping) else None
        info = self.index.by_uuid(element) if isinstance(element, uuid.UUID) else None
        what = f"{_name(opcode)} {info.key!r}" if info is not None else _name(opcode)
        return InvalidArgument(
            f"{what}: the request is {size:,} bytes, more than one message may hold "
            f"(max_send_size={self.max_send_size:,} bytes; the server would drop the "
            "connection); nothing was sent"
        )

    def take_all(self) -> list[Any]:
        """The waiters of every pending request, which will get no answer."""
        pending, self._pending = self._pending, {}
        return list(pending.values())

    def take(self, message_ids: Iterable[int]) -> list[Any]:
        """The waiters of these requests, which will get no answer (sending failed)."""
        pending = self._pending
        taken = (pending.pop(message_id, _NONE) for message_id in message_ids)
        return [waiter for waiter in taken if waiter is not _NONE]

    # ------------------------------------------------------------------ receiving

    def receive_data(self, data: bytes) -> Received:
        """Take one received message: the answers and events it holds.

        While :attr:`message_takers` is not 0 (or :attr:`taking_threads` not
        empty), the waiter of the message's first
        answer may take the message as a whole: if it has a ``take_message(data)``
        method, that takes the answers it waits for and returns the message's other
        packets (typed, as :func:`parse_message` gives them), which are then taken
        here; or it returns None, and the message is taken here as any other.

        A message of events in the usual form is routed while it is read
        (:func:`~.eventscan.route_events`): the same events as :func:`parse_message`
        and :meth:`receive_packets` give, without a packet object for each. The
        answer to a read of one value is read by its bytes
        (:func:`~.messages.one_answer`).
        """
        if self.message_takers or self.taking_threads:
            waiter = self._pending.get(_first_answer_id(data), _NONE)
            take = getattr(waiter, "take_message", None)
            if take is not None:
                rest = take(data)
                if rest is not None:
                    return self.receive_packets(rest)
        answer = one_answer(data)  # a read's answer, read by its bytes?
        if answer is not None and not log.isEnabledFor(logging.DEBUG):
            waiter = self._pending.pop(answer.message_id, _NONE)
            return Received([] if waiter is _NONE else [(waiter, answer)], [], [])
        if len(data) < ROUTE_LIMIT:
            # A message of events in the usual form is routed as it is read (unless
            # each packet is to be logged).
            events = route_events(data, self._routes_by_bytes)
            if events is not None and not log.isEnabledFor(logging.DEBUG):
                return Received([], events, [])
            return self.receive_packets(decode_message(data))  # the scan gave up
        return self.receive_packets(parse_message(data))

    def receive_packets(self, packets: Sequence[Packet | ProtocolError]) -> Received:
        """Take packets that :func:`parse_message` found: the answers and events.

        A large message may be parsed elsewhere (on another thread) and its packets
        taken here in slices, so that one huge message does not hold up the I/O side.
        """
        answers: list[tuple[Any, Outcome]] = []
        events: list[tuple[EventSink, Event]] = []
        errors: list[ProtocolError] = []
        pending = self._pending
        if log.isEnabledFor(logging.DEBUG):
            for packet in packets:
                log.debug("%s: received %r", self.url, packet)
        routes = self._routes
        add_event = events.append
        stamp: Any = None  # the last time stamp (the events of a message share theirs)
        seconds = 0.0
        point: Any
        element: Any
        attributes: Any
        for packet in packets:
            kind = type(packet)
            if kind is DataChange:  # routed here, not in a call each: the event hot path
                point, element, attributes = packet  # type: ignore[misc]
                entry = routes.get(element.int)
                if entry is None:
                    continue
                if point is not stamp:
                    stamp = point
                    seconds = point.ns / 1e9 if type(point) is TimePoint else _event_seconds(point)
                by_attribute = entry.sinks
                for key, value in attributes.items():
                    sinks = by_attribute.get(key)
                    if sinks is None and type(key) is uuid.UUID:
                        well_known = Attribute.from_key(key)
                        if well_known is not None:
                            key = int(well_known)
                            sinks = by_attribute.get(key)
                    if sinks:
                        if key in _CONVERTERS:
                            value = convert_value(key, value)
                        # tuple.__new__ builds the Event without running Python code
                        event = _new_event(Event, (seconds, entry.name, entry.element, value))
                        if len(sinks) == 1:
                            add_event((sinks[0], event))
                        else:
                            events.extend((sink, event) for sink in sinks)
            elif kind is Success or kind is Failure:
                waiter = pending.pop(packet.message_id, _NONE)  # type: ignore[union-attr,arg-type]
                if waiter is not _NONE:
                    answers.append((waiter, packet))  # type: ignore[arg-type]
            elif isinstance(packet, ProtocolError):
                message_id = packet.message_id
                waiter = pending.pop(message_id, _NONE) if message_id is not None else _NONE
                if waiter is not _NONE:
                    answers.append((waiter, packet))
                else:
                    errors.append(packet)
            else:
                errors.append(ProtocolError("a server sent a request packet"))
        return Received(answers, events, errors)

    # ------------------------------------------------------------------ subscriptions

    def _event_name(self, element: uuid.UUID) -> str:
        """The name events of *element* carry: its primary key, else its UUID."""
        info = self.index.by_uuid(element)
        return info.key if info is not None else str(element)

    def set_index(self, elements: Iterable[ElementInfo]) -> None:
        """Replace the element index; subscribed events take the names it gives."""
        super().set_index(elements)
        for entry in self._routes.values():
            entry.name = self._event_name(entry.element)

    def add_routes(self, routes: Iterable[tuple[uuid.UUID, Any]], sink: EventSink) -> None:
        """Deliver changes of these (element, attribute) pairs to *sink*."""
        for element, attribute in routes:
            entry = self._routes.get(element.int)
            if entry is None:
                entry = _ElementRoutes(element, self._event_name(element))
                self._routes[element.int] = entry
                self._routes_by_bytes[element.bytes] = entry
            entry.sinks.setdefault(attribute, []).append(sink)

    def remove_routes(self, routes: Iterable[tuple[uuid.UUID, Any]], sink: EventSink) -> None:
        """Stop delivering these pairs to *sink*."""
        for element, attribute in routes:
            entry = self._routes.get(element.int)
            sinks = entry.sinks.get(attribute) if entry is not None else None
            if entry is None or sinks is None:
                continue
            if sink in sinks:
                sinks.remove(sink)
            if not sinks:
                del entry.sinks[attribute]
                if not entry.sinks:
                    del self._routes[element.int]
                    del self._routes_by_bytes[element.bytes]

    def timeout_error(self, operation: str, element: str | None, wait: float) -> RequestTimeout:
        """:class:`RequestTimeout` for an operation that got no answer in *wait* s."""
        target = f" {element!r}" if element else ""
        return RequestTimeout(
            f"{operation}{target} got no answer from {self.url} within {wait:g} s"
        )
