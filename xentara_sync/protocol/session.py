"""The client's side of one connection, sans I/O.

A :class:`ClientSession` is everything a client knows and owes on one connection:
message ids, the requests waiting for answers, the requests not sent yet, the element
index, the cached metadata and the routes of subscribed attributes. It builds each
operation's requests (a :class:`Plan`), turns received bytes into answers and events,
and fails everything at once when the connection ends. It opens no socket, runs no
event loop and starts no thread: the flavours drive it, the way each I/O flavour of
``websockets`` drives its ``Protocol``.

>>> import uuid
>>> from xentara_sync.model import ElementInfo
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
import itertools
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple, Protocol

from ..exceptions import (
    ConnectionClosed,
    MissingAttribute,
    ProtocolError,
    RequestTimeout,
    ServerError,
    UnknownElement,
)
from ..model import (
    AttributeInfo,
    ElementIndex,
    ElementInfo,
    ElementMetadata,
    Event,
    ServerInfo,
    attribute_key,
    check_write,
    convert_value,
)
from . import replies
from .codec import DataChange, Failure, Success, decode, encode_request, join_packets, parse_packet
from .ids import (
    NIL_UUID,
    Attribute,
    BrowseParam,
    Category,
    ClientHelloParam,
    LookupParam,
    MetaDataParam,
    Opcode,
    ReadParam,
    SubscribeParam,
    UnsubscribeParam,
    WriteParam,
)

__all__ = ["PROTOCOL_VERSION", "ClientSession", "EventSink", "Outgoing", "Plan", "Received"]

#: The protocol version this package speaks.
PROTOCOL_VERSION: Final = 1

#: A request as it is queued: opcode and parameters.
RequestSpec = tuple[int, Mapping[int, Any] | None]
#: An answer: the response packet, or the error that stands for it.
Outcome = Success | Failure | BaseException

_READ: Final = Opcode.READ
_ELEMENT: Final = ReadParam.ELEMENT
_ATTRIBUTES: Final = ReadParam.ATTRIBUTES
#: server_information's one parameter: the items wanted.
_INFO_ITEMS: Final = 0
_DEFAULT_ATTRIBUTES: Final[list[str | int | uuid.UUID]] = [
    "value",
    "quality",
    "changeTime",
    "updateTime",
]


class EventSink(Protocol):
    """Where a subscription's events go. Called on the I/O side; must never block."""

    @property
    def dropped(self) -> int: ...

    def put(self, event: Event) -> None: ...

    def close(self, error: BaseException | None) -> None: ...


class Plan:
    """The requests of one operation and how its answers become its result.

    ``finish(packets)`` takes the response packets in request order and returns the
    operation's result, or raises the error a failure stands for.
    """

    __slots__ = ("element", "finish", "operation", "requests")

    def __init__(
        self,
        operation: str,
        element: str | None,
        requests: list[RequestSpec],
        finish: Callable[[list[Success | Failure]], Any],
    ) -> None:
        #: What the operation is called in messages (``"read"``, ``"write"``...).
        self.operation = operation
        #: The element it concerns, if one.
        self.element = element
        #: Its requests, sent in one message.
        self.requests = requests
        #: Turns the answers into the result.
        self.finish = finish

    def __repr__(self) -> str:
        target = f" {self.element!r}" if self.element else ""
        return f"<Plan {self.operation}{target}: {len(self.requests)} request(s)>"


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


class ClientSession:
    """The state of one client connection, driven by an I/O flavour.

    Args:
        url: the server's URL without credentials, for messages.
        on_flush_due: called (from whichever thread sends) when a request is queued
            and no flush is due yet: the driver then arranges for
            :meth:`data_to_send` to run soon. Every request queued until then joins
            the same message.
    """

    def __init__(self, url: str, *, on_flush_due: Callable[[], object] | None = None) -> None:
        self.url = url
        self.on_flush_due = on_flush_due
        self._ids = itertools.count(1)
        self._pending: dict[int, Any] = {}
        self._outbox: collections.deque[tuple[int, int, Mapping[int, Any] | None]] = (
            collections.deque()
        )
        self._flush_due = False
        #: The error every call raises once the connection has ended.
        self.error: ConnectionClosed | None = None
        #: The elements under the root, as browsed.
        self.index = ElementIndex()
        #: The root element (None: the whole model).
        self.root: ElementInfo | None = None
        #: What the server said of itself when connecting.
        self.server_info: ServerInfo | None = None
        self._outside: dict[str, ElementInfo] = {}
        self._metadata: dict[uuid.UUID, ElementMetadata] = {}
        self._routes: dict[tuple[uuid.UUID, Any], list[EventSink]] = {}

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
            raise type(error)(str(error))

    def connection_ended(self, error: ConnectionClosed) -> tuple[list[Any], list[EventSink]]:
        """The connection is over: every waiter and every sink, to be failed and closed.

        Later calls of :meth:`send` raise *error*. Idempotent: a second call returns
        nothing.
        """
        if self.error is not None:
            return [], []
        self.error = error
        pending, self._pending = self._pending, {}
        self._outbox.clear()
        sinks = list({id(s): s for subs in self._routes.values() for s in subs}.values())
        self._routes.clear()
        return list(pending.values()), sinks

    # ------------------------------------------------------------------ sending

    def send(self, requests: Sequence[RequestSpec], waiters: Sequence[Any]) -> list[int]:
        """Queue *requests*, each answered to its waiter; returns their message ids.

        The requests leave with the next :meth:`data_to_send`; the first request
        of a batch calls :attr:`on_flush_due`.
        """
        self.check_open()
        ids = []
        pending = self._pending
        outbox = self._outbox
        for (opcode, params), waiter in zip(requests, waiters, strict=True):
            message_id = next(self._ids)
            pending[message_id] = waiter
            ids.append(message_id)
            outbox.append((message_id, opcode, params))
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

    def forget(self, message_ids: Iterable[int]) -> None:
        """The caller gave up on these requests: a late answer is ignored."""
        pending = self._pending
        for message_id in message_ids:
            pending.pop(message_id, None)

    def data_to_send(self) -> Outgoing:
        """Every queued request as one message (the outer array).

        A request whose caller gave up before it left is not sent. A request that
        CBOR cannot carry fails alone (its waiter is in :attr:`Outgoing.failed`).
        """
        self._flush_due = False
        outbox = self._outbox
        pending = self._pending
        parts = []
        ids = []
        failed: list[tuple[Any, BaseException]] = []
        while outbox:
            message_id, opcode, params = outbox.popleft()
            if message_id not in pending:
                continue
            try:
                parts.append(encode_request(message_id, opcode, params))
                ids.append(message_id)
            except ProtocolError as exc:
                waiter = pending.pop(message_id, None)
                if waiter is not None:
                    failed.append((waiter, exc))
        return Outgoing(join_packets(parts) if parts else None, ids, failed)

    def take(self, message_ids: Iterable[int]) -> list[Any]:
        """The waiters of these requests, which will get no answer (sending failed)."""
        pending = self._pending
        taken = (pending.pop(message_id, None) for message_id in message_ids)
        return [waiter for waiter in taken if waiter is not None]

    # ------------------------------------------------------------------ receiving

    def receive_data(self, data: bytes) -> Received:
        """Take one received message: the answers and events it holds."""
        answers: list[tuple[Any, Outcome]] = []
        events: list[tuple[EventSink, Event]] = []
        errors: list[ProtocolError] = []
        try:
            items = decode(data)
        except ProtocolError as exc:
            errors.append(exc)
            return Received(answers, events, errors)
        if not isinstance(items, list):
            errors.append(ProtocolError("a message must be an array of packets"))
            return Received(answers, events, errors)
        pending = self._pending
        for item in items:
            try:
                packet = parse_packet(item)
            except ProtocolError as exc:
                message_id = exc.message_id
                waiter = pending.pop(message_id, None) if message_id is not None else None
                if waiter is not None:
                    answers.append((waiter, exc))
                else:
                    errors.append(exc)
                continue
            kind = type(packet)
            if kind is Success or kind is Failure:
                waiter = pending.pop(packet.message_id, None)  # type: ignore[union-attr]
                if waiter is not None:
                    answers.append((waiter, packet))  # type: ignore[arg-type]
            elif kind is DataChange:
                self._route(packet, events)  # type: ignore[arg-type]
            else:
                errors.append(ProtocolError("a server sent a request packet"))
        return Received(answers, events, errors)

    def _route(self, change: DataChange, events: list[tuple[EventSink, Event]]) -> None:
        routes = self._routes
        if not routes:
            return
        element = change.element
        info = self.index.by_uuid(element)
        name = info.key if info is not None else str(element)
        seconds = replies.event_seconds(change.timestamp)
        for key, value in change.attributes.items():
            if type(key) is uuid.UUID:
                well_known = Attribute.from_key(key)
                if well_known is not None:
                    key = int(well_known)
            sinks = routes.get((element, key))
            if sinks:
                event = Event(seconds, name, element, convert_value(key, value))
                events.extend((sink, event) for sink in sinks)

    # ------------------------------------------------------------------ subscriptions

    def add_routes(self, routes: Iterable[tuple[uuid.UUID, Any]], sink: EventSink) -> None:
        """Deliver changes of these (element, attribute) pairs to *sink*."""
        for route in routes:
            self._routes.setdefault(route, []).append(sink)

    def remove_routes(self, routes: Iterable[tuple[uuid.UUID, Any]], sink: EventSink) -> None:
        """Stop delivering these pairs to *sink*."""
        for route in routes:
            sinks = self._routes.get(route)
            if sinks is not None:
                if sink in sinks:
                    sinks.remove(sink)
                if not sinks:
                    del self._routes[route]

    # ------------------------------------------------------------------ errors

    def server_error(
        self, packet: Failure, operation: str, element: str | None, *, root_lookup: bool = False
    ) -> ServerError:
        """The exception an error response stands for, naming operation and element."""
        error = ServerError.from_code(
            packet.code, packet.text, operation=operation, element=element
        )
        if isinstance(error, UnknownElement) and element is not None:
            error = UnknownElement(
                packet.code,
                "unknown root element" if root_lookup else packet.text,
                operation=operation,
                element=element,
                suggestions=() if root_lookup else self.index.suggestions(element),
            )
        return error

    def unknown(self, key: str, operation: str) -> UnknownElement:
        """:class:`UnknownElement` for *key*, with suggestions from the index."""
        return UnknownElement(
            operation=operation,
            element=key,
            suggestions=self.index.suggestions(key) if isinstance(key, str) else (),
        )

    def timeout_error(self, operation: str, element: str | None, wait: float) -> RequestTimeout:
        """:class:`RequestTimeout` for an operation that got no answer in *wait* s."""
        target = f" {element!r}" if element else ""
        return RequestTimeout(
            f"{operation}{target} got no answer from {self.url} within {wait:g} s"
        )

    def _result(self, packet: Success | Failure, operation: str, element: str | None) -> Any:
        if type(packet) is Failure:
            raise self.server_error(packet, operation, element)
        return packet.result  # type: ignore[union-attr]

    # ------------------------------------------------------------------ names

    def set_index(self, elements: Iterable[ElementInfo]) -> None:
        """Replace the element index (after browsing the root)."""
        self.index = ElementIndex(elements)

    def element_info(self, key: str) -> ElementInfo:
        """UUID and category of a known element; raises :class:`UnknownElement`."""
        info = self.index.get(key) or self._outside.get(key)
        if info is None:
            if self.root is not None and key == self.root.key:
                return self.root
            raise self.unknown(key, "find")
        return info

    def known(self, key: str) -> tuple[ElementInfo, int | None] | None:
        """The element *key* names without asking the server, and the attribute if the
        key ends with one (``"Hardware.Sensor.quality"``); None if it needs a look-up."""
        info = self.index.get(key)
        if info is not None:
            return info, None
        if not isinstance(key, str) or not key:
            raise TypeError(f"an element key must be a non-empty str, not {key!r}")
        info = self._outside.get(key)
        if info is not None:
            return info, None
        if self.root is not None and key == self.root.key:
            return self.root, None
        prefix, _, last = key.rpartition(".")
        attribute = Attribute.from_name(last) if prefix else None
        if attribute is not None:
            element = self.index.get(prefix) or self._outside.get(prefix)
            if element is not None:
                return element, int(attribute)
        return None

    def metadata(self, element: uuid.UUID) -> ElementMetadata | None:
        """The cached metadata of *element*, if it was asked for before."""
        return self._metadata.get(element)

    # ------------------------------------------------------------------ plans

    def plan_hello(self) -> Plan:
        """The client hello."""
        params: dict[int, Any] = {
            ClientHelloParam.MINIMUM_VERSION: PROTOCOL_VERSION,
            ClientHelloParam.MAXIMUM_VERSION: PROTOCOL_VERSION,
        }
        return Plan(
            "client hello",
            None,
            [(Opcode.CLIENT_HELLO, params)],
            lambda packets: self._result(packets[0], "client hello", None),
        )

    def plan_start(self, root_element: str | None) -> Plan:
        """Server information and the root element's UUID, in one message."""
        requests: list[RequestSpec] = [
            (Opcode.SERVER_INFORMATION, {_INFO_ITEMS: replies.SERVER_INFO_ITEMS}),
        ]
        if root_element:
            requests.append((Opcode.LOOKUP, {LookupParam.PRIMARY_KEY: root_element}))

        def finish(packets: list[Success | Failure]) -> None:
            info = packets[0]
            result = info.result if type(info) is Success else None
            self.server_info = replies.server_info(result, strict=False)
            if root_element:
                answer = packets[1]
                if type(answer) is Failure:
                    raise self.server_error(answer, "connect", root_element, root_lookup=True)
                root = replies.expect_uuid(answer.result, "lookup")  # type: ignore[union-attr]
                self.root = ElementInfo(root_element, root, Category.ELEMENT_GROUP)

        return Plan("connect", root_element, requests, finish)

    def plan_browse_root(self) -> Plan:
        """Browse every element under the root; the answer replaces the index."""
        start = self.root.uuid if self.root is not None else NIL_UUID

        def finish(packets: list[Success | Failure]) -> None:
            result = self._result(packets[0], "browse", None)
            self.set_index(replies.browse_entries(result))

        return Plan("browse", None, [(Opcode.BROWSE, {BrowseParam.ELEMENT: start})], finish)

    def plan_lookup(self, key: str) -> Plan:
        """Look *key* up on the server; the answer is remembered."""

        def finish(packets: list[Success | Failure]) -> ElementInfo:
            packet = packets[0]
            if type(packet) is Failure:
                error = self.server_error(packet, "lookup", key)
                if isinstance(error, UnknownElement):
                    raise self.unknown(key, "lookup")
                raise error
            element = replies.expect_uuid(packet.result, "lookup")  # type: ignore[union-attr]
            info = ElementInfo(key, element, Category.ROOT)
            self._outside[key] = info
            return info

        return Plan("lookup", key, [(Opcode.LOOKUP, {LookupParam.PRIMARY_KEY: key})], finish)

    def plan_read(
        self,
        key: str,
        attribute: str | int | uuid.UUID = "value",
        *,
        element: tuple[ElementInfo, int | None] | None = None,
    ) -> Plan | None:
        """Read one attribute of *key*; None if the key needs a look-up first.

        *element* is the element and key attribute the caller resolved itself.
        """
        found = element if element is not None else self.known(key)
        if found is None:
            return None
        info, wire = found
        wanted = wire if wire is not None else attribute_key(attribute)
        return Plan(
            "read",
            key,
            [(_READ, {_ELEMENT: info.uuid, _ATTRIBUTES: [wanted]})],
            lambda packets: replies.read_value(self._result(packets[0], "read", key), wanted, key),
        )

    def plan_read_many(
        self,
        keys: Sequence[str],
        attribute: str | int | uuid.UUID = "value",
        *,
        elements: Sequence[tuple[ElementInfo, int | None]] | None = None,
    ) -> Plan | None:
        """Read one attribute of each key, in one message: ``{key: value}``.

        None if a key needs a look-up first. The first failing element raises.
        """
        if elements is None:
            found = [self.known(key) for key in keys]
            if any(e is None for e in found):
                return None
            elements = found  # type: ignore[assignment]
        assert elements is not None
        wanted = attribute_key(attribute)
        resolved = [
            (key, info.uuid, wire if wire is not None else wanted)
            for key, (info, wire) in zip(keys, elements, strict=True)
        ]

        def finish(packets: list[Success | Failure]) -> dict[str, Any]:
            return {
                key: replies.read_value(self._result(packet, "read", key), w, key)
                for (key, _, w), packet in zip(resolved, packets, strict=True)
            }

        requests: list[RequestSpec] = [
            (_READ, {_ELEMENT: element, _ATTRIBUTES: [w]}) for _, element, w in resolved
        ]
        return Plan("read_many", None, requests, finish)

    def plan_read_attributes(
        self,
        key: str,
        element: ElementInfo,
        attributes: Iterable[str | int | uuid.UUID] | None,
    ) -> Plan:
        """Several attributes of one element in one request, keyed as given."""
        names = list(attributes) if attributes is not None else _DEFAULT_ATTRIBUTES
        wanted = [attribute_key(name) for name in names]

        def finish(packets: list[Success | Failure]) -> dict[Any, Any]:
            result = self._result(packets[0], "read", key)
            return {
                name: replies.read_value(result, w, key)
                for name, w in zip(names, wanted, strict=True)
            }

        return Plan("read", key, [(_READ, {_ELEMENT: element.uuid, _ATTRIBUTES: wanted})], finish)

    def plan_metadata(self, key: str, element: ElementInfo) -> Plan:
        """The element's metadata; the answer is cached."""

        def finish(packets: list[Success | Failure]) -> ElementMetadata:
            result = self._result(packets[0], "meta_data", key)
            metadata = replies.metadata(result, key)
            self._metadata[element.uuid] = metadata
            return metadata

        params: dict[int, Any] = {
            MetaDataParam.ELEMENT: element.uuid,
            MetaDataParam.ITEMS: replies.METADATA_ITEMS,
        }
        return Plan("meta_data", key, [(Opcode.META_DATA, params)], finish)

    def plan_write(
        self,
        key: str,
        value: Any,
        attribute: str | int | uuid.UUID = "value",
        *,
        element: tuple[ElementInfo, int | None] | None = None,
    ) -> Plan | None:
        """Write *value*, checked against the attribute's access and data type first.

        None if the key needs a look-up or its metadata is not known yet. A value
        that cannot be written raises here (:class:`ReadOnly`, :class:`TypeMismatch`,
        :class:`OutOfRange`, :class:`MissingAttribute`), before anything is sent.
        """
        found = element if element is not None else self.known(key)
        if found is None:
            return None
        info, wire = found
        metadata = self._metadata.get(info.uuid)
        if metadata is None:
            return None
        wanted = wire if wire is not None else attribute
        attribute_info = metadata.attribute(wanted)
        if attribute_info is None:
            names = ", ".join(metadata.attributes) or "none"
            raise MissingAttribute(
                text=f"no attribute {wanted!r} (attributes: {names})",
                operation="write",
                element=key,
            )
        checked = check_write(attribute_info, value, element=key)
        params: dict[int, Any] = {
            WriteParam.ELEMENT: info.uuid,
            WriteParam.ATTRIBUTE: _wire_id(attribute_info),
            WriteParam.VALUE: checked,
        }

        def finish(packets: list[Success | Failure]) -> None:
            self._result(packets[0], "write", key)

        return Plan("write", key, [(Opcode.WRITE, params)], finish)

    def plan_subscribe(
        self,
        keys: Sequence[str],
        elements: Sequence[ElementInfo],
        attribute: int | uuid.UUID,
        subscription_id: uuid.UUID,
        maximum_update_interval: int | None,
        minimum_update_interval: int | None,
    ) -> Plan:
        """Subscribe to one attribute of *elements* under *subscription_id*."""
        params: dict[int, Any] = {
            # Each item has a read's shape: {0: element, 1: [attributes]}.
            SubscribeParam.ITEMS: [
                {_ELEMENT: element.uuid, _ATTRIBUTES: [attribute]} for element in elements
            ],
            SubscribeParam.DESIRED_ID: subscription_id,
        }
        if maximum_update_interval:
            params[SubscribeParam.MAXIMUM_UPDATE_RATE] = int(maximum_update_interval)
        if minimum_update_interval:
            params[SubscribeParam.MINIMUM_UPDATE_RATE] = int(minimum_update_interval)
        names = ", ".join(keys)
        return Plan(
            "subscribe",
            names,
            [(Opcode.SUBSCRIBE, params)],
            lambda packets: self._result(packets[0], "subscribe", names),
        )

    def plan_unsubscribe(self, keys: Sequence[str], subscription_id: uuid.UUID) -> Plan:
        """End the subscription *subscription_id*."""
        names = ", ".join(keys)
        return Plan(
            "unsubscribe",
            names,
            [(Opcode.UNSUBSCRIBE, {UnsubscribeParam.SUBSCRIPTION: subscription_id})],
            lambda packets: self._result(packets[0], "unsubscribe", names),
        )

    def plan_server_information(self) -> Plan:
        """Version, user name and model file path of the server."""

        def finish(packets: list[Success | Failure]) -> ServerInfo:
            info = replies.server_info(self._result(packets[0], "server_information", None))
            self.server_info = info
            return info

        params = {_INFO_ITEMS: replies.SERVER_INFO_ITEMS}
        return Plan("server_information", None, [(Opcode.SERVER_INFORMATION, params)], finish)

    def plan_get_stage(self) -> Plan:
        """The server's operational stage."""
        return Plan(
            "get_stage",
            None,
            [(Opcode.GET_STAGE, None)],
            lambda packets: replies.stage(self._result(packets[0], "get_stage", None)),
        )


def _wire_id(info: AttributeInfo) -> int | uuid.UUID:
    if isinstance(info.id, uuid.UUID):
        well_known = Attribute.from_key(info.id)
        if well_known is not None:
            return int(well_known)
    return info.id
