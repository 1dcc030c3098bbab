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
Answer limits
    Client input is quoted in an error text by
    :func:`~xentara_sync.protocol.quoting.quote` (at most 200 characters), and no
    error text is longer than :data:`MAX_ERROR_TEXT` characters. The answer to one
    message is built request by request, in order, and stops growing at one of two
    limits: its packets pass *max_answer_size* bytes (the simulator's largest
    incoming message, 16 MiB by default), or its error packets pass
    :data:`ERROR_FACTOR` times the message's size plus :data:`ERROR_ALLOWANCE`
    bytes. The request reached then, and every later one of the message, is not
    executed; that request alone gets a -32600 error naming the limit (its id, or 0
    if it has none). So an answer is never larger than the limit plus one request's
    answer (the largest a well-formed request gets: the full browse of the model, or
    a long string value), and the errors that hostile input earns are at most four
    times its size plus 64 KiB: a message of one-byte non-packets, or of unknown
    opcodes, cannot make the simulator build a gigabyte. The read fast path
    (:mod:`.fastread`) hands a message whose answer would pass the limit to the
    general path.
Commands
    Unknown opcodes get -32601 "command not found", before the hello check. Every
    missing or ill-typed parameter gets -32602 with a text naming it. ``read`` of an
    unknown element is an error packet (-32100); missing (-32101) and write-only
    (-32104) attributes are ``122`` entries. A user without read right gets -32102
    for ``read`` and ``subscribe``; without write right, for ``write``, ``suspend``,
    ``resume`` and ``shutdown``. With a sub-session id, both the connection's user
    and the sub-session's user need the right (``check_access`` reports the
    combination). Without configured users everyone has every right. A password
    sub-session logs in against the sub-session users if any were given (an empty
    list refuses every one), else against the users; without either, every
    password sub-session is accepted.
Stages
    ``get_stage`` answers :class:`~xentara_sync.protocol.Stage` numbers; the
    simulator starts operational (2). Each change passes through the intermediate
    stage the reference names (§4.11, §13.1), which lasts ``stage_step`` seconds
    (20 ms by default; a ``get_stage`` in that time answers it). ``suspend`` (10):
    operational -> post-operational (3) -> suspended (4); signals stop changing at
    the request (the signal clock freezes), writes still work. ``resume`` (9):
    suspended -> pre-operational (1) -> operational; signals go on at the request.
    ``shutdown`` (11), only if the simulator allows it (``allow_shutdown``; else
    -32102 for everyone): operational or suspended -> post-operational (3); the
    request is answered, then the server closes every connection with 1001 (going
    away) and stops listening. Any other transition, and any request while a
    change is in progress, gets -32112.
Subscriptions
    Key 1 (``maximum_update_rate``, ms) throttles: at most one event message part
    per interval per subscription, carrying the newest values. Key 2
    (``minimum_update_rate``, ms) is a heartbeat: when that long has passed since the
    subscription's last event, all its attributes are sent again. Right after the
    subscribe response, one event with the current value of every subscribed
    attribute is sent (not throttled). Events carry the subscribed attributes that
    changed (partial updates); key 0 is the element's change time. A desired id that
    exists replaces the old subscription. An element is subscribed to the requested
    attributes it has, the others are left out: the official UI subscribes one
    attribute list for elements of several kinds, so a real Xentara accepts that.
    Only a subscription in which no element has any requested attribute fails
    (-32101), as it could never send anything.
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
    encode_packet,
    join_packets,
    parse_packet,
)
from ..protocol.quoting import quote
from .commands import Commands
from .elements import Element
from .fastbrowse import answer_bytes
from .fastmeta import answer_meta_data
from .fastread import answer_reads
from .params import Fail, Params, is_int
from .shared import Engine
from .subscriptions import Subscription, collect_events
from .users import User

__all__ = [
    "ERROR_ALLOWANCE",
    "ERROR_FACTOR",
    "MAX_ERROR_TEXT",
    "Engine",
    "Session",
    "Subscription",
    "User",
]

E = ErrorCode
_HELLO: Final = int(Opcode.CLIENT_HELLO)
#: The message id of an error about a message or packet whose id could not be read.
_NO_ID: Final = 0
#: The error packets of the answer to one message take at most this many times the
#: message's size (plus :data:`ERROR_ALLOWANCE` and one packet).
ERROR_FACTOR: Final = 4
#: The bytes of error packets every message may earn, whatever its size.
ERROR_ALLOWANCE: Final = 64 * 1024
#: The longest error text, in characters (an encoded error packet stays under 2 KiB).
MAX_ERROR_TEXT: Final = 400


def _failure(message_id: int, code: ErrorCode, text: str) -> Failure:
    """An error packet whose text is cut to :data:`MAX_ERROR_TEXT` characters."""
    if len(text) > MAX_ERROR_TEXT:
        text = text[: MAX_ERROR_TEXT - 3] + "..."
    return Failure(message_id, code, text)


def _message_id(item: Any) -> int:
    """The message id of a decoded packet, or 0 (:data:`_NO_ID`) if none can be read."""
    if isinstance(item, list) and len(item) > 1 and is_int(item[1]):
        return int(item[1])
    return _NO_ID


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
            answered = answer_reads(index, data, self.engine.max_answer_size)
            if answered is None:  # a batch of meta_data (what a snapshot sends)
                answered = answer_meta_data(index, data, self.engine.max_answer_size)
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
        return self._answer_all(items, len(data)), after

    def _answer_all(self, items: list[Any], size: int) -> bytes:
        """The answer to the decoded packets *items* of a message of *size* bytes,
        within the answer limits (see the module's documentation)."""
        limit = self.engine.max_answer_size
        error_limit = ERROR_FACTOR * size + ERROR_ALLOWANCE
        parts: list[bytes] = []
        total = errors = 0
        full_browse_bytes = self.engine.model.full_browse_bytes
        for index, item in enumerate(items):
            if total >= limit or errors >= error_limit:
                rest = len(items) - index - 1
                if total >= limit:
                    reason = f"the answers to this message passed {limit} bytes"
                else:
                    reason = (
                        f"the error answers to this message passed {ERROR_FACTOR} times "
                        f"its size plus {ERROR_ALLOWANCE} bytes"
                    )
                text = (
                    f"not executed: {reason}; this request and the {rest} after it "
                    "were dropped (send fewer requests per message)"
                )
                parts.append(encode_packet(_failure(_message_id(item), E.INVALID_REQUEST, text)))
                break
            packet = self._answer(item)
            # The whole model's browse (a snapshot's) is encoded once.
            if (
                type(packet) is Success
                and (encoded := full_browse_bytes(packet.result)) is not None
            ):
                part = answer_bytes(packet.message_id, encoded)
            else:
                part = encode_packet(packet)
            total += len(part)
            if type(packet) is Failure:
                errors += len(part)
            parts.append(part)
        self.engine.request_count += len(parts)
        return join_packets(parts)

    def _message_error(self, text: str) -> bytes:
        self.engine.request_count += 1
        return encode_message([_failure(_NO_ID, E.PARSE_ERROR, text)])

    def _answer(self, item: Any) -> Packet:
        try:
            packet = parse_packet(item)
        except ProtocolError as exc:
            return self._malformed(item, str(exc))
        if not isinstance(packet, Request):
            return _failure(
                packet.message_id if isinstance(packet, (Success, Failure)) else _NO_ID,
                E.INVALID_REQUEST,
                "invalid packet type: a client sends requests (packet type 0)",
            )
        message_id, opcode, params = packet
        handler = _HANDLERS.get(opcode)
        if handler is None:
            return _failure(message_id, E.COMMAND_NOT_FOUND, f"command not found: opcode {opcode}")
        if not self.hello and opcode != _HELLO:
            return Failure(message_id, E.MISSING_CLIENT_HELLO, E.MISSING_CLIENT_HELLO.text)
        try:
            return Success(message_id, handler(self, params))
        except Fail as fail:
            return _failure(message_id, fail.code, fail.text)
        except Exception as exc:  # a simulator bug must not end the connection
            return _failure(message_id, E.INTERNAL_ERROR, f"internal server error: {quote(exc)}")

    @staticmethod
    def _malformed(item: Any, text: str) -> Failure:
        # [packet type, message id, opcode, ...]: the error names the id if it can.
        if not isinstance(item, list) or not item or not is_int(item[0]):
            return _failure(_NO_ID, E.PARSE_ERROR, f"malformed packet: {text}")
        message_id = item[1] if len(item) > 1 and is_int(item[1]) else None
        if message_id is None:
            return _failure(_NO_ID, E.PARSE_ERROR, f"malformed packet: {text}")
        if item[0] == PacketType.REQUEST and (len(item) < 3 or not is_int(item[2])):
            return _failure(message_id, E.PARSE_ERROR, f"malformed packet: {text}")
        return _failure(message_id, E.INVALID_REQUEST, f"invalid request: {text}")

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
