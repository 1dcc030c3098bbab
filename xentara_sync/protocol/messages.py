"""Received messages parsed into packets: the one stateless step of receiving,
which may run on any thread (a large message is parsed on a worker thread).

A message of events in the usual form is read by a byte pattern (:mod:`.eventscan`);
any other is decoded in one call where it can be (:mod:`.bulk`), else packet by
packet, and a packet that cannot be read fails alone, as its :class:`ProtocolError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

import cbor2

from ..exceptions import ProtocolError
from .browsescan import scan_browse
from .bulk import answers, data_change, decode_items, each_item
from .cbor import decode, decode_each, item_end
from .eventscan import scan_events
from .ids import PacketType
from .packets import Packet, Success, parse_packet

__all__ = ["answers_in", "decode_message", "one_answer", "parse_message"]

#: Messages from this size on are decoded packet by packet rather than in one call.
_BULK_LIMIT: Final = 1 << 16


def parse_message(data: bytes) -> list[Packet | ProtocolError]:
    """The packets of one received message, or the errors that stand for them.

    Keeps no state, so it may run on any thread: a broken message is one
    :class:`ProtocolError`; a broken packet is its :class:`ProtocolError` (with the
    packet's message id when it could be read), in its place.

    >>> from xentara_sync.protocol import Success, encode_message
    >>> parse_message(encode_message([Success(1)]))
    [Success(message_id=1, result=None)]
    >>> parse_message(b"\\x01")
    [ProtocolError('a message must be an array of packets')]
    """
    events = scan_events(data)
    if events is not None:
        return cast("list[Packet | ProtocolError]", events)
    if len(data) >= _BULK_LIMIT:  # perhaps a big browse answer (a model's every element)
        browsed = scan_browse(data)
        if browsed is not None:
            return cast("list[Packet | ProtocolError]", browsed)
    return decode_message(data)


#: Builds a :class:`Success` without running Python code.
_new_success = tuple.__new__


def answers_in(
    data: bytes, places: Mapping[int, int], *, alike: dict[bytes, Any] | None = None
) -> tuple[list[tuple[int, Success]], list[Packet | ProtocolError]]:
    """The successful answers in the message *data* to the requests that *places*
    maps (message id -> place), as ``(place, answer)`` in the message's order, and
    the message's other packets, typed, in order (answers to other requests,
    failures, events): what a waiter of many requests takes of a whole message
    (see :meth:`~.session.ClientSession.receive_data`), in one decoding
    (:func:`~.bulk.answers`; *alike* as there).

    Raises :class:`~xentara_sync.exceptions.ProtocolError` (nothing taken) for a
    message not in the usual form.

    >>> from xentara_sync.protocol import Failure, encode_message
    >>> message = encode_message([Success(8, 1), Success(7, 2), Failure(9, -32100, "no")])
    >>> mine, rest = answers_in(message, {7: 0, 8: 1})
    >>> mine, [type(packet).__name__ for packet in rest]
    ([(1, Success(message_id=8, result=1)), (0, Success(message_id=7, result=2))], ['Failure'])
    """
    taken, others = answers(data, alike=alike)
    mine: list[tuple[int, Success]] = []
    rest: list[Packet | ProtocolError] = []
    for message_id, result in taken:
        answer = _new_success(Success, (message_id, result))
        place = places.get(message_id)
        if place is None:
            rest.append(answer)
        else:
            mine.append((place, answer))
    for item in others:
        try:
            rest.append(parse_packet(item))
        except ProtocolError as exc:
            rest.append(exc)
    return mine, rest


def decode_message(data: bytes) -> list[Packet | ProtocolError]:
    """:func:`parse_message` without :mod:`.eventscan`: the message decoded by cbor2,
    in one call where it can be (:mod:`.bulk`), else carefully."""
    packets: list[Packet | ProtocolError] = []
    append = packets.append
    try:
        # In one call of the decoder; a large message packet by packet, so that
        # each packet's raw structure is freed before the next is decoded.
        for item in decode_items(data) if len(data) < _BULK_LIMIT else each_item(data):
            change = data_change(item)
            if change is not None:
                append(change)
                continue
            try:
                append(parse_packet(item))
            except ProtocolError as exc:
                append(exc)
        return packets
    except ProtocolError:  # not in the usual form: decoded carefully below
        packets.clear()
    head = data[0] if data else 0
    if head >> 5 == 4 and head & 31 < 28:  # an array of known length: packet by packet
        width = _ARGUMENT_WIDTH.get(head & 31, 0)
        count = int.from_bytes(data[1 : 1 + width], "big") if width else head & 31
        try:
            for item in decode_each(data, 1 + width, count):
                try:
                    append(parse_packet(item))
                except ProtocolError as exc:
                    append(exc)
        except ProtocolError as exc:
            return _parse_separately(data, exc)
        return packets
    try:
        items = decode(data)
    except ProtocolError as exc:
        return _parse_separately(data, exc)
    if not isinstance(items, list):
        return [ProtocolError("a message must be an array of packets")]
    packets = []
    append = packets.append
    for item in items:
        try:
            append(parse_packet(item))
        except ProtocolError as exc:
            append(exc)
    return packets


def _parse_separately(data: bytes, error: ProtocolError) -> list[Packet | ProtocolError]:
    """The packets of a message that does not decode as a whole, each decoded alone.

    One undecodable value (a bignum, a broken UUID) fails only its own packet: the
    packet's :class:`ProtocolError` names the value and carries the packet's message
    id when it can be read; every other packet is delivered. A message that cannot
    even be cut into packets is *error* alone.

    >>> [type(p).__name__ for p in parse_message(bytes.fromhex("82820101830102c24101"))]
    ['Success', 'ProtocolError']
    """
    if not data or data[0] >> 5 != 4:  # not an array: nothing to cut
        return [error]
    try:
        ends: list[int] = []
        position = 1 + _ARGUMENT_WIDTH.get(data[0] & 31, 0)
        count = int.from_bytes(data[1:position], "big") if position > 1 else data[0] & 31
        indefinite = data[0] == 0x9F
        while (data[position] != 0xFF) if indefinite else (len(ends) < count):
            position = item_end(data, position)
            ends.append(position)
        if item_end(data) != len(data):
            return [error]
    except (ProtocolError, IndexError):
        return [error]
    packets: list[Packet | ProtocolError] = []
    start = 1 + _ARGUMENT_WIDTH.get(data[0] & 31, 0)
    for number, end in enumerate(ends, 1):
        part = data[start:end]
        start = end
        try:
            packets.append(parse_packet(decode(part)))
        except ProtocolError as exc:
            message_id = exc.message_id if exc.message_id is not None else _message_id(part)
            packets.append(
                ProtocolError(
                    f"packet {number} of a message cannot be read: {exc}", message_id=message_id
                )
            )
    return packets


#: Bytes of a CBOR head's argument after its initial byte, by the initial byte's low bits.
_ARGUMENT_WIDTH: Final = {24: 1, 25: 2, 26: 4, 27: 8}


#: The start of a message of one successful answer: ``[[1, ...]]``.
ONE_ANSWER: Final = b"\x81\x83\x01"
#: Initial bytes of the scalars :func:`one_answer` takes, and the bytes of each
#: whole scalar: integers (major types 0 and 1), false, true, null, and floats.
_SCALAR_SIZES: Final = {
    **{major | low: 1 + _ARGUMENT_WIDTH.get(low, 0) for major in (0x00, 0x20) for low in range(28)},
    0xF4: 1,
    0xF5: 1,
    0xF6: 1,
    0xF9: 3,
    0xFA: 5,
    0xFB: 9,
}
#: The head of tag 121 (a value).
_VALUE_TAG: Final = b"\xd8\x79"
_loads = cbor2.loads


def one_answer(data: bytes) -> Success | None:
    """The answer in *data* if the message is the usual answer to a read of one
    value: one successful answer with a result ``{attribute: 121(scalar)}``, the
    attribute a small integer, the scalar a number, a boolean, null or a short
    text; else None (then :func:`decode_message` takes it).

    Every read of one value waits for such a message: checked by its bytes and
    decoded by cbor2 alone (it holds no tag but 121, which both decoders give as
    the same :class:`cbor2.CBORTag`), it costs a fraction of a general decoding
    on the thread that receives it.

    >>> from xentara_sync.protocol import encode_message
    >>> from xentara_sync.protocol.tags import Tag
    >>> message = encode_message([Success(300, {11: cbor2.CBORTag(Tag.VALUE, 2.5)})])
    >>> one_answer(message)
    Success(message_id=300, result={11: CBORTag(121, 2.5)})
    >>> [one_answer(message)] == decode_message(message)
    True
    >>> one_answer(encode_message([Success(1, {11: [1, 2]})])) is None  # not a scalar
    True
    """
    size = len(data)
    if size < 8 or data[:3] != ONE_ANSWER:
        return None
    message_id, at = _small_id(data, 3)
    if message_id < 0:
        return None
    # {small attribute: 121(...)}
    if size < at + 5 or data[at] != 0xA1 or data[at + 1] >= 24:
        return None
    if data[at + 2 : at + 4] != _VALUE_TAG:
        return None
    initial = data[at + 4]
    length = _SCALAR_SIZES.get(initial)
    if length is None:  # a text of at most 255 bytes?
        if 0x60 <= initial < 0x78:
            length = 1 + initial - 0x60
        elif initial == 0x78 and size > at + 5:
            length = 2 + data[at + 5]
        else:
            return None
    if at + 4 + length != size:
        return None
    try:
        result = _loads(data[at:])
    except Exception:  # invalid UTF-8, for one: the careful path says what is wrong
        return None
    return _new_success(Success, (message_id, result))


def _first_answer_id(data: bytes) -> int:
    """The message id of the message's first packet if it is an answer with a small
    id, as a server frames it (``[[1 or 2, id, ...], ...]``); else -1.

    >>> from xentara_sync.protocol import Success, encode_message
    >>> _first_answer_id(encode_message([Success(300, 1)])), _first_answer_id(b"\\x80")
    (300, -1)
    """
    position = 1 + _ARGUMENT_WIDTH.get(data[0] & 31, 0) if data else 0
    if len(data) < position + 3 or data[0] >> 5 != 4:
        return -1
    if data[position] != 0x83 or data[position + 1] not in (1, 2):
        return -1
    return _small_id(data, position + 2)[0]


def _small_id(data: bytes, position: int) -> tuple[int, int]:
    """The message id whose CBOR head starts at *position*, if it is below 2**32
    (as a server frames ids), and the offset after it; else ``(-1, position)``.

    >>> _small_id(bytes([0x81, 0x19, 0x01, 0x2C]), 1), _small_id(bytes([0x1B]), 0)
    ((300, 4), (-1, 0))
    """
    low = data[position]
    if low < 24:
        return low, position + 1
    width = _ARGUMENT_WIDTH.get(low, 0)
    if not width or width > 4:
        return -1, position
    end = position + 1 + width
    return int.from_bytes(data[position + 1 : end], "big"), end


def _message_id(packet: bytes) -> int | None:
    """The message id of an undecodable packet (its second element), if it is readable."""
    try:
        if packet[0] >> 5 != 4:
            return None
        position = 1 + _ARGUMENT_WIDTH.get(packet[0] & 31, 0)
        kind_end = item_end(packet, position)
        if decode(packet[position:kind_end]) not in (PacketType.SUCCESS, PacketType.ERROR):
            return None
        message_id = decode(packet[kind_end : item_end(packet, kind_end)])
    except (ProtocolError, IndexError):
        return None
    return message_id if type(message_id) is int else None
