"""CBOR codec and packets of the Xentara WebSocket API. No I/O.

A WebSocket message is a CBOR array of packets; each packet is an array whose first
element is its :class:`~xentara_sync.protocol.ids.PacketType`. This module turns
messages into typed packets and back:

>>> msg = encode_message([Request(1, 14, {0: 1, 1: 1})])
>>> msg.hex()
'818400010ea200010101'
>>> decode_message(bytes.fromhex("81830101a10001"))
[Success(message_id=1, result={0: 1})]

Values inside read results and events are wrapped: ``121(value)`` for a value,
``122({0: code, 1: text})`` for an attribute in error. :func:`unwrap` turns the
second into an :class:`AttributeFault`. Time stamps (tag 1001, and plain tag 1)
decode to :class:`TimePoint`; a :class:`TimePoint` encodes as
``1001({4: 4([-9, nanoseconds])})``.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import struct
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Final, NamedTuple, TypeAlias

import cbor2

from ..exceptions import ProtocolError
from .ids import ErrorCode, EventType, PacketType

__all__ = [
    "AttributeFault",
    "DataChange",
    "Failure",
    "Packet",
    "Request",
    "Success",
    "TimePoint",
    "decode",
    "decode_message",
    "encode",
    "encode_message",
    "encode_packet",
    "encode_read",
    "encode_request",
    "fault",
    "join_packets",
    "parse_packet",
    "unwrap",
    "unwrap_attributes",
    "wrap",
]

TAG_UUID: Final = 37
TAG_VALUE: Final = 121
TAG_FAULT: Final = 122
TAG_PASSWORD: Final = 123
TAG_TIME: Final = 1001
TAG_EPOCH: Final = 1
TAG_DECIMAL_FRACTION: Final = 4

_NS_PER_S: Final = 1_000_000_000
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


class TimePoint:
    """An instant, in whole nanoseconds since the Unix epoch (UTC).

    Xentara's time attributes and event time stamps decode to this class. It keeps
    the full nanosecond precision of the wire and converts to what Python needs:

    >>> tp = TimePoint(1_704_107_471_111_587_983)
    >>> tp
    TimePoint('2024-01-01T11:11:11.111587983Z')
    >>> tp.timestamp()
    1704107471.111588
    >>> tp.to_datetime()
    datetime.datetime(2024, 1, 1, 11, 11, 11, 111587, tzinfo=datetime.timezone.utc)
    >>> TimePoint.from_seconds(1.5).ns
    1500000000
    """

    __slots__ = ("ns",)

    ns: int
    #: The earliest representable instant (``1001({1: -Infinity})``).
    MIN: ClassVar[TimePoint]
    #: The latest representable instant (``1001({1: +Infinity})``).
    MAX: ClassVar[TimePoint]

    def __init__(self, ns: int) -> None:
        if not isinstance(ns, int) or isinstance(ns, bool):
            raise TypeError(f"TimePoint takes integer nanoseconds, not {type(ns).__name__}")
        object.__setattr__(self, "ns", min(max(ns, _INT64_MIN), _INT64_MAX))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("TimePoint is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("TimePoint is immutable")

    @classmethod
    def now(cls) -> TimePoint:
        """The current time."""
        return cls(time.time_ns())

    @classmethod
    def from_seconds(cls, seconds: float) -> TimePoint:
        """The instant *seconds* after the epoch; infinities give :attr:`MIN` / :attr:`MAX`."""
        if math.isnan(seconds):
            raise ValueError("a NaN time stamp is not an instant")
        if math.isinf(seconds):
            return cls(_INT64_MIN if seconds < 0 else _INT64_MAX)
        if isinstance(seconds, int):
            return cls(seconds * _NS_PER_S)
        return cls(round(Decimal(seconds) * _NS_PER_S))

    @classmethod
    def from_datetime(cls, value: _dt.datetime) -> TimePoint:
        """The instant of an aware :class:`~datetime.datetime` (naive means UTC)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        delta = value - _EPOCH
        return cls((delta.days * 86_400 + delta.seconds) * _NS_PER_S + delta.microseconds * 1000)

    def timestamp(self) -> float:
        """Seconds since the epoch, as :func:`time.time` gives them."""
        return self.ns / _NS_PER_S

    def to_datetime(self) -> _dt.datetime:
        """An aware UTC :class:`~datetime.datetime` (microsecond precision)."""
        return _EPOCH + _dt.timedelta(microseconds=self.ns // 1000)

    def isoformat(self) -> str:
        """ISO 8601 text in UTC with nanoseconds: ``2024-01-01T11:11:11.111587983Z``."""
        seconds, fraction = divmod(self.ns, _NS_PER_S)
        try:
            base = (_EPOCH + _dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
        except OverflowError:
            return f"{self.ns}ns"
        return f"{base}.{fraction:09d}Z"

    def __repr__(self) -> str:
        return f"TimePoint({self.isoformat()!r})"

    def __str__(self) -> str:
        return self.isoformat()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimePoint) and other.ns == self.ns

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TimePoint):
            return NotImplemented
        return self.ns < other.ns

    def __le__(self, other: object) -> bool:
        if not isinstance(other, TimePoint):
            return NotImplemented
        return self.ns <= other.ns

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, TimePoint):
            return NotImplemented
        return self.ns > other.ns

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, TimePoint):
            return NotImplemented
        return self.ns >= other.ns

    def __hash__(self) -> int:
        return hash(("TimePoint", self.ns))

    def __reduce__(self) -> tuple[type[TimePoint], tuple[int]]:
        return (TimePoint, (self.ns,))


_EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
TimePoint.MIN = TimePoint(_INT64_MIN)
TimePoint.MAX = TimePoint(_INT64_MAX)


@dataclass(frozen=True, slots=True)
class AttributeFault:
    """An attribute in error, as read results and events report it (``122``)."""

    code: int
    text: str

    def __str__(self) -> str:
        return f"{self.text} ({self.code})"


# --------------------------------------------------------------------------- codec


def _encode_time_point(encoder: cbor2.CBOREncoder, value: TimePoint) -> None:
    encoder.encode(
        cbor2.CBORTag(TAG_TIME, {4: cbor2.CBORTag(TAG_DECIMAL_FRACTION, [-9, value.ns])})
    )


def _encode_datetime(encoder: cbor2.CBOREncoder, value: _dt.datetime) -> None:
    _encode_time_point(encoder, TimePoint.from_datetime(value))


def _encode_fault(encoder: cbor2.CBOREncoder, value: AttributeFault) -> None:
    encoder.encode(fault(value.code, value.text))


def _encode_default(encoder: cbor2.CBOREncoder, value: Any) -> None:
    raise cbor2.CBOREncodeTypeError(f"cannot encode {type(value).__name__} for Xentara")


_ENCODERS: Final[dict[type, Any]] = {
    TimePoint: _encode_time_point,
    _dt.datetime: _encode_datetime,
    AttributeFault: _encode_fault,
}


def _decode_epoch(value: Any, immutable: bool) -> TimePoint:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return TimePoint.from_seconds(value)
    raise ProtocolError(f"tag 1 must hold a number of seconds, not {value!r}")


def _decode_time(value: Any, immutable: bool) -> TimePoint:
    """Decode the content of tag 1001 (RFC 9581) in every form of the reference."""
    if not isinstance(value, Mapping):
        raise ProtocolError(f"tag 1001 must hold a map, not {value!r}")
    if 4 in value:
        fraction = value[4]
        if isinstance(fraction, Decimal) and fraction.is_finite():
            exponent = fraction.as_tuple().exponent
            if exponent in (-9, -6, -3):
                return TimePoint(int(fraction.scaleb(9)))
        raise ProtocolError(
            f"unsupported time stamp fraction {fraction!r} (exponents -9, -6 and -3 are allowed)"
        )
    if 1 in value:
        seconds = value[1]
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ProtocolError(f"time stamp seconds must be a number, not {seconds!r}")
        if isinstance(seconds, float) and math.isnan(seconds):
            raise ProtocolError("NaN time stamp not supported")
        point = TimePoint.from_seconds(seconds)
        for key, scale in ((-3, 1_000_000), (-6, 1000), (-9, 1)):
            extra = value.get(key)
            if isinstance(extra, int) and not isinstance(extra, bool):
                point = TimePoint(point.ns + extra * scale)
        return point
    raise ProtocolError(f"unsupported time stamp {dict(value)!r}")


_SEMANTIC_DECODERS: Final = {TAG_EPOCH: _decode_epoch, TAG_TIME: _decode_time}


def encode(value: Any, *, canonical: bool = False) -> bytes:
    """Encode *value* as CBOR the way Xentara expects it.

    UUIDs become tag 37, :class:`TimePoint` (and aware datetimes) tag 1001.
    *canonical* sorts map keys and picks the shortest float form (used to compare
    bytes with the reference).

    >>> encode([1, 2, 3]).hex()
    '83010203'
    """
    try:
        return cbor2.dumps(value, default=_encode_default, encoders=_ENCODERS, canonical=canonical)
    except (cbor2.CBOREncodeError, ValueError, TypeError) as exc:
        raise ProtocolError(f"cannot encode {value!r}: {exc}") from exc


def decode(data: bytes) -> Any:
    """Decode one CBOR data item.

    A broken one raises :class:`~xentara_sync.exceptions.ProtocolError`.

    >>> decode(bytes.fromhex("d82550e3ee10714d884ba18e5d0f1e4ce25ee8"))
    UUID('e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8')
    """
    stream = io.BytesIO(data)
    local = _decoders
    decoder = getattr(local, "decoder", None)
    if decoder is None:
        decoder = local.decoder = cbor2.CBORDecoder(stream, semantic_decoders=_SEMANTIC_DECODERS)
    else:
        decoder.fp = stream
    try:
        value = decoder.decode()
    except Exception as exc:  # cbor2 raises several types for broken input
        local.decoder = None  # a decoder that failed half-way is not reused
        if isinstance(exc, ProtocolError):
            raise
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ProtocolError):  # raised by one of our tag decoders
            raise cause from None
        raise ProtocolError(f"message is not well-formed CBOR: {exc}") from exc
    if stream.tell() != len(data):
        raise ProtocolError(
            f"message has {len(data) - stream.tell()} bytes after its CBOR data item"
        )
    return value


#: One reusable decoder per thread: creating one costs more than decoding a response.
_decoders = threading.local()


def wrap(value: Any) -> cbor2.CBORTag:
    """``121(value)``: a value inside a read result or event."""
    if isinstance(value, AttributeFault):
        return fault(value.code, value.text)
    return cbor2.CBORTag(TAG_VALUE, value)


def fault(code: int, text: str | None = None) -> cbor2.CBORTag:
    """``122({0: code, 1: text})``: an attribute in error."""
    return cbor2.CBORTag(TAG_FAULT, _error_map(code, text))


def _error_map(code: int, text: str | None) -> dict[int, Any]:
    if text is None:
        try:
            text = ErrorCode(code).text
        except ValueError:
            text = "error"
    return {0: int(code), 1: text}


def unwrap(item: Any) -> Any:
    """The value inside ``121(...)``, or an :class:`AttributeFault` for ``122(...)``.

    >>> unwrap(decode(bytes.fromhex("d879f94da0")))
    22.5
    """
    if type(item) is cbor2.CBORTag:
        if item.tag == TAG_VALUE:
            return item.value
        if item.tag == TAG_FAULT:
            return AttributeFault(*_parse_error(item.value))
    raise ProtocolError(f"expected a 121/122-wrapped value, got {item!r}")


def unwrap_attributes(items: Any) -> dict[Any, Any]:
    """Unwrap every value of a read result or event attribute map."""
    if not isinstance(items, Mapping):
        raise ProtocolError(f"expected a map of attribute values, got {items!r}")
    return {key: unwrap(value) for key, value in items.items()}


def _parse_error(value: Any) -> tuple[int, str]:
    if not isinstance(value, Mapping):
        raise ProtocolError(f"an error object must be a map, got {value!r}")
    code = value.get(0)
    if not isinstance(code, int) or isinstance(code, bool):
        raise ProtocolError(f"an error object needs an integer code, got {value!r}")
    text = value.get(1)
    if not isinstance(text, str):
        try:
            text = ErrorCode(code).text
        except ValueError:
            text = f"error {code}"
    return code, text


# --------------------------------------------------------------------------- packets


class Request(NamedTuple):
    """``[0, message_id, opcode]`` or ``[0, message_id, opcode, params]``."""

    message_id: int
    opcode: int
    params: Mapping[int, Any] | None = None


class Success(NamedTuple):
    """``[1, message_id]`` or ``[1, message_id, result]`` (``result`` None when absent)."""

    message_id: int
    result: Any = None


class Failure(NamedTuple):
    """``[2, message_id, {0: code, 1: text}]``."""

    message_id: int
    code: int
    text: str


class DataChange(NamedTuple):
    """``[8, 0, {0: time stamp, 1: element, 2: {attribute: 121/122(...)}}]``.

    ``attributes`` maps each attribute key to its unwrapped value or
    :class:`AttributeFault`. ``timestamp`` is a :class:`TimePoint` when the server
    sent a proper time stamp (Xentara's own client does not insist on one).
    """

    timestamp: Any
    element: uuid.UUID
    attributes: dict[Any, Any]


Packet: TypeAlias = Request | Success | Failure | DataChange


def _packet_to_wire(packet: Packet) -> list[Any]:
    kind = type(packet)
    if kind is Request:
        message_id, opcode, params = packet  # type: ignore[misc]
        if params is None:
            return [PacketType.REQUEST, message_id, opcode]
        return [PacketType.REQUEST, message_id, opcode, params]
    if kind is Success:
        if packet.result is None:  # type: ignore[union-attr]
            return [PacketType.SUCCESS, packet.message_id]  # type: ignore[union-attr]
        return [PacketType.SUCCESS, packet.message_id, packet.result]  # type: ignore[union-attr]
    if kind is Failure:
        return [
            PacketType.ERROR,
            packet.message_id,  # type: ignore[union-attr]
            _error_map(packet.code, packet.text),  # type: ignore[union-attr]
        ]
    if kind is DataChange:
        return [
            PacketType.EVENT,
            EventType.DATA_CHANGE,
            {
                0: packet.timestamp,  # type: ignore[union-attr]
                1: packet.element,  # type: ignore[union-attr]
                2: {k: wrap(v) for k, v in packet.attributes.items()},  # type: ignore[union-attr]
            },
        ]
    raise TypeError(f"not a packet: {packet!r}")


def encode_message(packets: Iterable[Packet], *, canonical: bool = False) -> bytes:
    """Encode packets as one WebSocket message (the outer array).

    >>> encode_message([Success(7)]).hex()
    '81820107'
    """
    return encode([_packet_to_wire(p) for p in packets], canonical=canonical)


def encode_packet(packet: Packet) -> bytes:
    """Encode one packet alone; :func:`join_packets` makes messages of such parts.

    Lets a thread encode its own request and the I/O side only concatenate.

    >>> join_packets([encode_packet(Success(7))]) == encode_message([Success(7)])
    True
    """
    return encode(_packet_to_wire(packet))


def _head(major: int, value: int) -> bytes:
    """The head of a CBOR item of major type *major* (0..7 << 5) and argument *value*."""
    if value < 24:
        return bytes((major | value,))
    if value < 0x100:
        return bytes((major | 24, value))
    if value < 0x10000:
        return bytes((major | 25,)) + value.to_bytes(2, "big")
    if value < 0x100000000:
        return bytes((major | 26,)) + value.to_bytes(4, "big")
    return bytes((major | 27,)) + value.to_bytes(8, "big")


def _small_int(value: Any) -> bool:
    return type(value) is int and 0 <= value < 2**64


def encode_read(message_id: int, element: uuid.UUID, attributes: Sequence[int]) -> bytes:
    """``[0, message_id, 4, {0: element, 1: [attributes]}]``, framed by hand.

    The hot path of every client: the same bytes as :func:`encode_packet` gives for
    a read of whole-number attribute ids, for a fraction of the cost.

    >>> element = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
    >>> encode_read(6, element, [11, 9, 7]).hex()
    '84000604a200d82550e3ee10714d884ba18e5d0f1e4ce25ee801830b0907'
    """
    if len(attributes) == 1 and 0 <= attributes[0] < 24 and 0 <= message_id < 0x10000:
        # The usual case: one well-known attribute.
        return (
            (_MESSAGE_IDS[message_id] if message_id < 0x100 else b"\x84\x00\x19" + _U16(message_id))
            + b"\x04\xa2\x00\xd8\x25\x50"
            + element.bytes
            + _ONE_ATTRIBUTE[attributes[0]]
        )
    return b"".join(
        (
            b"\x84\x00",
            _head(0, message_id),
            b"\x04\xa2\x00\xd8\x25\x50",
            element.bytes,
            b"\x01",
            _head(0x80, len(attributes)),
            *[_head(0, a) for a in attributes],
        )
    )


_MESSAGE_IDS: Final = [b"\x84\x00" + _head(0, n) for n in range(0x100)]
_ONE_ATTRIBUTE: Final = [b"\x01\x81" + bytes((n,)) for n in range(24)]
_U16: Final = struct.Struct(">H").pack


def encode_request(message_id: int, opcode: int, params: Mapping[int, Any] | None) -> bytes:
    """Encode one request packet; reads of numbered attributes take :func:`encode_read`.

    >>> element = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
    >>> request = Request(6, 4, {0: element, 1: [11, 9, 7]})
    >>> encode_request(*request) == encode_packet(request)
    True
    """
    if opcode == 4 and type(params) is dict and len(params) == 2:
        element = params.get(0)
        attributes = params.get(1)
        if (
            type(element) is uuid.UUID
            and type(attributes) is list
            and _small_int(message_id)
            and all(_small_int(a) for a in attributes)
        ):
            return encode_read(message_id, element, attributes)
    return encode_packet(Request(message_id, opcode, params))


def join_packets(parts: Sequence[bytes]) -> bytes:
    """One message (the outer array) from packets encoded by :func:`encode_packet`."""
    count = len(parts)
    if count < 24:
        head = bytes((0x80 + count,))
    elif count < 0x100:
        head = bytes((0x98, count))
    elif count < 0x10000:
        head = b"\x99" + count.to_bytes(2, "big")
    else:
        head = b"\x9a" + count.to_bytes(4, "big")
    return head + b"".join(parts)


def _int(value: Any) -> bool:
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


def parse_packet(item: Any) -> Packet:
    """Turn one decoded packet array into a typed packet.

    Raises :class:`~xentara_sync.exceptions.ProtocolError` saying what is wrong;
    its ``message_id`` attribute holds the packet's message id when one could be
    read (else ``None``).
    """
    if not isinstance(item, list) or not item:
        raise _packet_error(f"a packet must be a non-empty array, got {item!r}", None)
    kind = item[0]
    size = len(item)
    if kind == PacketType.REQUEST and _int(kind):
        message_id = item[1] if size > 1 and _int(item[1]) else None
        if message_id is None:
            raise _packet_error("request without an integer message id", None)
        if size < 3 or not _int(item[2]):
            raise _packet_error("request without an integer opcode", message_id)
        if size == 3:
            return Request(message_id, item[2])
        if size == 4 and isinstance(item[3], Mapping):
            return Request(message_id, item[2], item[3])
        raise _packet_error("request parameters must be one map", message_id)
    if kind == PacketType.SUCCESS and _int(kind):
        if size in (2, 3) and _int(item[1]):
            return Success(item[1], item[2] if size == 3 else None)
        readable = item[1] if size > 1 and _int(item[1]) else None
        raise _packet_error(f"malformed success response {item!r}", readable)
    if kind == PacketType.ERROR and _int(kind):
        readable = item[1] if size > 1 and _int(item[1]) else None
        if size == 3 and readable is not None:
            try:
                return Failure(readable, *_parse_error(item[2]))
            except ProtocolError as exc:
                raise _packet_error(f"malformed error response: {exc}", readable) from None
        raise _packet_error(f"malformed error response {item!r}", readable)
    if kind == PacketType.EVENT and _int(kind):
        return _parse_event(item)
    raise _packet_error(f"unknown packet type {kind!r}", None)


def _parse_event(item: list[Any]) -> DataChange:
    if len(item) != 3:
        raise _packet_error(f"an event has 3 elements, got {item!r}", None)
    if item[1] != EventType.DATA_CHANGE:
        raise _packet_error(f"unknown event type {item[1]!r}", None)
    body = item[2]
    if not isinstance(body, Mapping) or 0 not in body:
        raise _packet_error(f"an event map needs a time stamp (key 0): {body!r}", None)
    element = body.get(1)
    if not isinstance(element, uuid.UUID):
        raise _packet_error(f"an event needs an element UUID (key 1): {body!r}", None)
    return DataChange(body[0], element, unwrap_attributes(body.get(2, {})))


def _packet_error(text: str, message_id: int | None) -> ProtocolError:
    error = ProtocolError(text)
    error.message_id = message_id
    return error


def decode_message(data: bytes) -> list[Packet]:
    """Decode one WebSocket message into its packets.

    Raises :class:`~xentara_sync.exceptions.ProtocolError` if the message is not
    CBOR, not an outer array, or holds a broken packet.
    """
    items = decode(data)
    if not isinstance(items, list):
        raise ProtocolError(f"a message must be an array of packets, got {items!r}")
    return [parse_packet(item) for item in items]
