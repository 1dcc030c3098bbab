"""Packets: typed views of the arrays that a WebSocket message holds (reference §3).

A message is a CBOR array of packets; each packet is an array whose first element
is its :class:`~xentara_sync.protocol.ids.PacketType`:

>>> msg = encode_message([Request(1, 14, {0: 1, 1: 1})])
>>> msg.hex()
'818400010ea200010101'
>>> decode_message(bytes.fromhex("81830101a10001"))
[Success(message_id=1, result={0: 1})]
>>> parse_packet([2, 9, {0: -32100, 1: "unknown element"}])
Failure(message_id=9, code=-32100, text='unknown element')
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple, TypeAlias

from ..exceptions import ProtocolError
from .cbor import decode, encode
from .ids import EventKey, EventType, PacketType
from .quoting import quote
from .values import _error_map, _parse_error, unwrap_attributes, wrap

__all__ = [
    "DataChange",
    "Failure",
    "Packet",
    "Request",
    "Success",
    "decode_message",
    "encode_message",
    "encode_packet",
    "parse_packet",
]

_TIMESTAMP: Final = int(EventKey.TIMESTAMP)
_ELEMENT: Final = int(EventKey.ELEMENT)
_ATTRIBUTES: Final = int(EventKey.ATTRIBUTES)


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
    :class:`~xentara_sync.protocol.values.AttributeFault`. ``timestamp`` is a
    :class:`~xentara_sync.protocol.timepoint.TimePoint` when the server sent a
    proper time stamp (Xentara's own client does not insist on one).
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
                _TIMESTAMP: packet.timestamp,  # type: ignore[union-attr]
                _ELEMENT: packet.element,  # type: ignore[union-attr]
                _ATTRIBUTES: {k: wrap(v) for k, v in packet.attributes.items()},  # type: ignore[union-attr]
            },
        ]
    raise TypeError(f"not a packet: {quote(packet)}")


def encode_message(packets: Iterable[Packet], *, canonical: bool = False) -> bytes:
    """Encode packets as one WebSocket message (the outer array).

    >>> encode_message([Success(7)]).hex()
    '81820107'
    """
    return encode([_packet_to_wire(p) for p in packets], canonical=canonical)


def encode_packet(packet: Packet) -> bytes:
    """Encode one packet alone; :func:`~xentara_sync.protocol.framing.join_packets`
    makes messages of such parts.

    Lets a thread encode its own request and the I/O side only concatenate.

    >>> from xentara_sync.protocol.framing import join_packets
    >>> join_packets([encode_packet(Success(7))]) == encode_message([Success(7)])
    True
    """
    return encode(_packet_to_wire(packet))


def _int(value: Any) -> bool:
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


def _packet_error(text: str, message_id: int | None) -> ProtocolError:
    return ProtocolError(text, message_id=message_id)


def parse_packet(item: Any) -> Packet:
    """Turn one decoded packet array into a typed packet.

    Raises :class:`~xentara_sync.exceptions.ProtocolError` saying what is wrong;
    its ``message_id`` attribute holds the packet's message id when one could be
    read (else ``None``).
    """
    if not isinstance(item, list) or not item:
        raise _packet_error(f"a packet must be a non-empty array, got {quote(item)}", None)
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
        raise _packet_error(f"malformed success response {quote(item)}", readable)
    if kind == PacketType.ERROR and _int(kind):
        readable = item[1] if size > 1 and _int(item[1]) else None
        if size == 3 and readable is not None:
            try:
                return Failure(readable, *_parse_error(item[2]))
            except ProtocolError as exc:
                raise _packet_error(f"malformed error response: {exc}", readable) from None
        raise _packet_error(f"malformed error response {quote(item)}", readable)
    if kind == PacketType.EVENT and _int(kind):
        return _parse_event(item)
    raise _packet_error(f"unknown packet type {quote(kind)}", None)


def _parse_event(item: list[Any]) -> DataChange:
    if len(item) != 3:
        raise _packet_error(f"an event has 3 elements, got {quote(item)}", None)
    if item[1] != EventType.DATA_CHANGE:
        raise _packet_error(f"unknown event type {quote(item[1])}", None)
    body = item[2]
    if not isinstance(body, Mapping) or _TIMESTAMP not in body:
        raise _packet_error(f"an event map needs a time stamp (key 0): {quote(body)}", None)
    element = body.get(_ELEMENT)
    if not isinstance(element, uuid.UUID):
        raise _packet_error(f"an event needs an element UUID (key 1): {quote(body)}", None)
    return DataChange(body[_TIMESTAMP], element, unwrap_attributes(body.get(_ATTRIBUTES, {})))


def decode_message(data: bytes) -> list[Packet]:
    """Decode one WebSocket message into its packets.

    Raises :class:`~xentara_sync.exceptions.ProtocolError` if the message is not
    CBOR, not an outer array, or holds a broken packet.
    """
    items = decode(data)
    if not isinstance(items, list):
        raise ProtocolError(f"a message must be an array of packets, got {quote(items)}")
    return [parse_packet(item) for item in items]
