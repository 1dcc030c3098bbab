"""The simulated Xentara's protocol logic: how a session answers requests. No sockets here.

:class:`Session` is one connection's protocol state: it turns one incoming WebSocket
message into one outgoing message of responses, and builds the event messages of
its subscriptions (:mod:`.subscriptions`). :class:`Engine` (:mod:`.shared`) is the
state all sessions share: model, users, stage, counters. The transport
(:mod:`.server`) only moves bytes, and runs the timers (:mod:`.timers`).

Choices where the Xentara reference is silent (see the protocol reference, §13):

Packets and messages
    A batch is executed in order and answered one-for-one, in request order, in one
    message. An empty batch gets no answer. Bytes that are not CBOR, a message that
    is not an outer array, and text frames get one ``[[2, 0, {0: -32700, 1: ...}]]``
    message: message id **0** stands for "no id could be read" (also used for a
    packet whose message id is missing or not an integer). A packet that is not an
    array, or whose packet type, message id or opcode is missing or not an integer,
    gets -32700; a request with more than four elements, a parameter item that is
    not a map, or a packet type other than request gets -32600. The connection
    always lives on.
Commands
    Unknown opcodes get -32601 "command not found", before the hello check. Every
    missing or ill-typed parameter gets -32602 with a text naming it. ``read`` of an
    unknown element is an error packet (-32100); missing (-32101) and write-only
    (-32104) attributes are ``122`` entries. A user without read right gets -32102
    for ``read`` and ``subscribe``; without write right, for ``write``, ``suspend``,
    ``resume`` and ``shutdown``. With a sub-session id, both the connection's user
    and the sub-session's user need the right (``check_access`` reports the
    combination). Without configured users everyone has every right, and every
    password sub-session is accepted.
Stages
    ``get_stage`` answers :class:`~xentara_sync.protocol.Stage` numbers; the
    simulator starts operational (2). ``suspend`` (10): operational -> suspended
    (4); signals stop changing (the signal clock freezes), writes still work.
    ``resume`` (9): suspended -> operational. ``shutdown`` (11): operational or
    suspended -> post-operational (3); the request is answered, then the server
    closes every connection with 1001 (going away) and stops listening. Any other
    transition gets -32112.
Subscriptions
    Key 1 (``maximum_update_rate``, ms) throttles: at most one event message part
    per interval per subscription, carrying the newest values. Key 2
    (``minimum_update_rate``, ms) is a heartbeat: when that long has passed since the
    subscription's last event, all its attributes are sent again. Right after the
    subscribe response, one event with the current value of every subscribed
    attribute is sent (not throttled). Events carry the subscribed attributes that
    changed (partial updates); key 0 is the element's change time. A desired id that
    exists replaces the old subscription. Subscribing to an attribute an element
    lacks fails the request with -32101.
Timers
    Signals are computed from the clock when read; the server makes the timers
    of watched signals tick (see :mod:`.timers`).
Coalescing
    Pending changes are kept per subscription as "(element, attributes) that
    changed", never as queued messages; values are read when the event message is
    built. While the socket is busy (the write buffer above its limit), changes
    pile up into that bounded set, so a slow subscriber gets the newest value of
    each attribute, never a backlog. All events due at the same moment go out in
    one message per connection, one packet per element (several subscriptions of
    the connection covering one element share its packet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ..exceptions import ProtocolError
from ..protocol import (
    ErrorCode,
    Failure,
    Opcode,
    Packet,
    PacketType,
    Request,
    Success,
    decode,
    encode_message,
    parse_packet,
)
from .commands import Commands
from .elements import Element
from .fastread import answer_reads
from .params import Fail, Params, is_int
from .shared import Engine
from .subscriptions import Subscription, collect_events
from .users import User

__all__ = ["Engine", "Session", "Subscription", "User"]

E = ErrorCode
_HELLO: Final = int(Opcode.CLIENT_HELLO)
#: The message id of an error about a message or packet whose id could not be read.
_NO_ID: Final = 0


class Session(Commands):
    """The protocol state of one connection.

    :meth:`handle` answers one incoming message; :meth:`collect_events` builds the
    next event message. *wake* is called when events become due; *after_send*
    callbacks returned by :meth:`handle` must run once the response is sent.
    """

    #: Answer messages of plain reads through :func:`.fastread.answer_reads`; read at
    #: the hello (the tests turn it off to compare with the general path).
    fast_reads = True

    def __init__(self, engine: Engine, user: User | None, wake: Callable[[], None]) -> None:
        self.engine = engine
        self.user = user
        self.wake = wake
        self.hello = False
        self.subscriptions = {}
        self.sub_sessions = {}
        self._after = []
        #: The index the read fast path answers from (the engine's elements by UUID
        #: bytes), or ``None`` while it may not answer: before the hello, without
        #: read right, or with :attr:`fast_reads` off.
        self.read_index: Mapping[bytes, Element] | None = None

    def close(self) -> None:
        """Drop subscriptions and sub-sessions (the connection ended)."""
        for subscription in self.subscriptions.values():
            subscription.detach()
        self.subscriptions.clear()
        self.sub_sessions.clear()

    # ----------------------------------------------------------------- messages

    def handle(self, data: bytes | str) -> tuple[bytes | None, Sequence[Callable[[], None]]]:
        """The response message to *data* (``None`` for an empty batch), and the
        callbacks to run after sending it."""
        if isinstance(data, str):
            return self._message_error("text frames are not supported: send binary CBOR"), ()
        index = self.read_index
        if index is not None:
            answered = answer_reads(index, data)
            if answered is not None:
                response, count = answered
                self.engine.request_count += count
                return response, ()  # reads leave nothing to do after the response
        after: list[Callable[[], None]] = []
        self._after = after
        try:
            items = decode(data)
        except ProtocolError as exc:
            return self._message_error(str(exc)), after
        if not isinstance(items, list):
            return self._message_error("a message must be an array of packets"), after
        if not items:
            return None, after
        packets = [self._answer(item) for item in items]
        self.engine.request_count += len(packets)
        return encode_message(packets), after

    def _message_error(self, text: str) -> bytes:
        self.engine.request_count += 1
        return encode_message([Failure(_NO_ID, E.PARSE_ERROR, text)])

    def _answer(self, item: Any) -> Packet:
        try:
            packet = parse_packet(item)
        except ProtocolError as exc:
            return self._malformed(item, str(exc))
        if not isinstance(packet, Request):
            return Failure(
                packet.message_id if isinstance(packet, (Success, Failure)) else _NO_ID,
                E.INVALID_REQUEST,
                "invalid packet type: a client sends requests (packet type 0)",
            )
        message_id, opcode, params = packet
        handler = _HANDLERS.get(opcode)
        if handler is None:
            return Failure(message_id, E.COMMAND_NOT_FOUND, f"command not found: opcode {opcode}")
        if not self.hello and opcode != _HELLO:
            return Failure(message_id, E.MISSING_CLIENT_HELLO, E.MISSING_CLIENT_HELLO.text)
        try:
            return Success(message_id, handler(self, params))
        except Fail as fail:
            return Failure(message_id, fail.code, fail.text)
        except Exception as exc:  # a simulator bug must not end the connection
            return Failure(message_id, E.INTERNAL_ERROR, f"internal server error: {exc!r}")

    @staticmethod
    def _malformed(item: Any, text: str) -> Failure:
        # [packet type, message id, opcode, ...]: the error names the id if it can.
        if not isinstance(item, list) or not item or not is_int(item[0]):
            return Failure(_NO_ID, E.PARSE_ERROR, f"malformed packet: {text}")
        message_id = item[1] if len(item) > 1 and is_int(item[1]) else None
        if message_id is None:
            return Failure(_NO_ID, E.PARSE_ERROR, f"malformed packet: {text}")
        if item[0] == PacketType.REQUEST and (len(item) < 3 or not is_int(item[2])):
            return Failure(message_id, E.PARSE_ERROR, f"malformed packet: {text}")
        return Failure(message_id, E.INVALID_REQUEST, f"invalid request: {text}")

    def client_hello(self, params: Params) -> Any:
        """The hello (see :class:`~.commands.Commands`), which opens the read fast path."""
        result = super().client_hello(params)
        user = self.user
        if self.fast_reads and (user is None or user.read):
            self.read_index = self.engine.by_uuid_bytes
        return result

    # ----------------------------------------------------------------- events

    def collect_events(self, now: float) -> tuple[bytes | None, float | None]:
        """The event message due at loop time *now* (or ``None``), and the loop time
        at which the next one may become due (or ``None``: only on a change)."""
        return collect_events(self.subscriptions.values(), now, self.engine.started)


_Handler = Callable[[Session, Params], Any]
_HANDLERS: Final[dict[int, _Handler]] = {
    int(opcode): handler
    for opcode, handler in {
        Opcode.SERVER_INFORMATION: Session.server_information,
        Opcode.BROWSE: Session.browse,
        Opcode.META_DATA: Session.meta_data,
        Opcode.LOOKUP: Session.lookup,
        Opcode.READ: Session.read,
        Opcode.WRITE: Session.write,
        Opcode.SUBSCRIBE: Session.subscribe,
        Opcode.UNSUBSCRIBE: Session.unsubscribe,
        Opcode.GET_STAGE: Session.get_stage,
        Opcode.RESUME: Session.resume,
        Opcode.SUSPEND: Session.suspend,
        Opcode.SHUTDOWN: Session.shutdown,
        Opcode.CREATE_SUB_SESSION: Session.create_sub_session,
        Opcode.CLOSE_SUB_SESSION: Session.close_sub_session,
        Opcode.CLIENT_HELLO: Session.client_hello,
        Opcode.CHECK_ACCESS: Session.check_access,
    }.items()
}
