"""Hand-framed encoding for the hot paths: reads, requests, and joining packets.

cbor2 is fast, but building the list of a packet and encoding it costs more than
writing the few bytes of a read request directly. These functions give exactly the
bytes that :func:`~xentara_sync.protocol.packets.encode_packet` gives:

>>> element = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
>>> encode_read(6, element, [11, 9, 7]) == encode_packet(Request(6, 4, {0: element, 1: [11, 9, 7]}))
True
"""

from __future__ import annotations

import operator
import struct
import uuid
from collections.abc import Mapping, Sequence
from itertools import chain, repeat
from typing import Any, Final

from .ids import Opcode, ReadParam
from .packets import Request, encode_packet

__all__ = [
    "encode_hand_framed",
    "encode_read",
    "encode_request",
    "frame_requests",
    "hand_framed_message",
    "join_packets",
]

_READ: Final = int(Opcode.READ)
#: meta_data's parameters have the shape of read's ({0: element, 1: [numbers]}).
_META_DATA: Final = int(Opcode.META_DATA)
_ELEMENT: Final = int(ReadParam.ELEMENT)
_ATTRIBUTES: Final = int(ReadParam.ATTRIBUTES)


def _head(major: int, value: int) -> bytes:
    """The head of a CBOR item of major type *major* (0..7 << 5) and argument *value*.

    >>> _head(0x80, 3).hex(), _head(0, 500).hex()
    ('83', '1901f4')
    """
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


#: ``84 00 <id>``: a request array of 4 items, packet type 0, message id.
_MESSAGE_IDS: Final = [b"\x84\x00" + _head(0, n) for n in range(0x100)]
#: ``04 a2 00 d8 25 50``: opcode 4 (read), a map of 2, key 0, tag 37 on 16 bytes.
_READ_ELEMENT: Final = b"\x04\xa2\x00\xd8\x25\x50"
#: The same for opcode 2 (meta_data).
_META_DATA_ELEMENT: Final = b"\x02\xa2\x00\xd8\x25\x50"
#: ``01 81 <n>``: key 1, an array of one attribute number below 24.
_ONE_ATTRIBUTE: Final = [b"\x01\x81" + bytes((n,)) for n in range(24)]
_U16: Final = struct.Struct(">H").pack
_U32: Final = struct.Struct(">I").pack
#: The heads of arrays of fewer than 24 items.
_ARRAY_HEADS: Final = [bytes((0x80 + n,)) for n in range(24)]


def _request_head(message_id: int) -> bytes:
    """``84 00 <id>``: a request array of 4 items, packet type 0, and *message_id*
    (below 2**32).

    >>> _request_head(7).hex(), _request_head(300).hex(), _request_head(70_000).hex()
    ('840007', '840019012c', '84001a00011170')
    """
    if message_id < 0x100:
        return _MESSAGE_IDS[message_id]
    if message_id < 0x10000:
        return b"\x84\x00\x19" + _U16(message_id)
    return b"\x84\x00\x1a" + _U32(message_id)


def encode_read(
    message_id: int, element: uuid.UUID, attributes: Sequence[int], *, meta_data: bool = False
) -> bytes:
    """``[0, message_id, 4, {0: element, 1: [attributes]}]``, framed by hand (with
    *meta_data*, opcode 2: the meta_data items of *element*).

    The hot path of every client: the same bytes as
    :func:`~xentara_sync.protocol.packets.encode_packet` gives for a read of
    whole-number attribute ids, for a fraction of the cost.

    >>> element = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
    >>> encode_read(6, element, [11, 9, 7]).hex()
    '84000604a200d82550e3ee10714d884ba18e5d0f1e4ce25ee801830b0907'
    """
    head = _META_DATA_ELEMENT if meta_data else _READ_ELEMENT
    if len(attributes) == 1 and 0 <= attributes[0] < 24 and 0 <= message_id < 0x100000000:
        # The usual case: one well-known attribute (and a message id below 2**32).
        return _request_head(message_id) + head + element.bytes + _ONE_ATTRIBUTE[attributes[0]]
    return b"".join(
        (
            b"\x84\x00",
            _head(0, message_id),
            head,
            element.bytes,
            b"\x01",
            _head(0x80, len(attributes)),
            *[_head(0, a) for a in attributes],
        )
    )


def encode_request(message_id: int, opcode: int, params: Mapping[int, Any] | None) -> bytes:
    """Encode one request packet; reads of numbered attributes take :func:`encode_read`.

    >>> element = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
    >>> request = Request(6, 4, {0: element, 1: [11, 9, 7]})
    >>> encode_request(*request) == encode_packet(request)
    True
    >>> meta_data = Request(7, 2, {0: element, 1: [2]})
    >>> encode_request(*meta_data) == encode_packet(meta_data)
    True
    """
    framed = encode_hand_framed(message_id, opcode, params)
    return encode_packet(Request(message_id, opcode, params)) if framed is None else framed


def encode_hand_framed(
    message_id: int, opcode: int, params: Mapping[int, Any] | None
) -> bytes | None:
    """The packet of a read or ``meta_data`` of numbered attributes, framed by hand
    (:func:`encode_read`); None for any other request.

    Pure Python, never cbor2: a KeyboardInterrupt cannot be lost inside it, so any
    thread may encode these (see :meth:`~.session.ClientSession.send_now`).

    >>> element = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
    >>> encode_hand_framed(6, 4, {0: element, 1: [9]}) == encode_read(6, element, [9])
    True
    >>> encode_hand_framed(6, 5, {0: element, 1: {9: 1.5}}) is None
    True
    """
    if opcode in (_READ, _META_DATA) and type(params) is dict and len(params) == 2:
        element = params.get(_ELEMENT)
        attributes = params.get(_ATTRIBUTES)
        if type(element) is uuid.UUID and type(attributes) is list and _small_int(message_id):
            for attribute in attributes:
                if not _small_int(attribute):
                    return None
            return encode_read(message_id, element, attributes, meta_data=opcode == _META_DATA)
    return None


def hand_framed_message(
    message_ids: Sequence[int], requests: Sequence[tuple[int, Mapping[int, Any] | None]]
) -> bytes | None:
    """One message of *requests* (``(opcode, params)``, message ids in order), every
    one framed by hand as :func:`encode_hand_framed` frames it; None if one of them
    cannot be.

    The common request, a read (or ``meta_data``) of one well-known attribute, is
    framed in the loop itself, without a call each: a ``read_many`` of many keys.

    >>> element = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
    >>> requests = [(4, {0: element, 1: [11]}), (2, {0: element, 1: [300, 2]})]
    >>> hand_framed_message([5, 70_000], requests) == join_packets(
    ...     [encode_hand_framed(5, *requests[0]), encode_hand_framed(70_000, *requests[1])])
    True
    >>> hand_framed_message([5], [(5, {0: element, 1: {11: 1.5}})]) is None
    True
    """
    count = len(requests)
    parts: list[bytes] = [_ARRAY_HEADS[count] if count < 24 else _head(0x80, count)]
    append = parts.append
    request_head = _request_head
    one = _ONE_ATTRIBUTE
    uuid_type = uuid.UUID
    for message_id, (opcode, params) in zip(message_ids, requests, strict=True):
        if type(params) is dict and len(params) == 2:
            element = params.get(_ELEMENT)
            attributes = params.get(_ATTRIBUTES)
            if (
                type(element) is uuid_type
                and type(attributes) is list
                and len(attributes) == 1
                and type(message_id) is int
                and 0 <= message_id < 0x100000000
                and opcode in (_READ, _META_DATA)
            ):
                attribute = attributes[0]
                if type(attribute) is int and 0 <= attribute < 24:
                    append(request_head(message_id))
                    append(_READ_ELEMENT if opcode == _READ else _META_DATA_ELEMENT)
                    append(element.bytes)
                    append(one[attribute])
                    continue
        part = encode_hand_framed(message_id, opcode, params)
        if part is None:
            return None
        append(part)
    return b"".join(parts)


def join_packets(parts: Sequence[bytes]) -> bytes:
    """One message (the outer array) from packets encoded by
    :func:`~xentara_sync.protocol.packets.encode_packet`.

    >>> join_packets([b"\\x82\\x01\\x07", b"\\x82\\x01\\x08"]).hex()
    '82820107820108'
    """
    count = len(parts)
    head = _ARRAY_HEADS[count] if count < 24 else _head(0x80, count)
    return head + b"".join(parts)


#: Per attribute list (by identity, the list kept alive beside): the bytes of a
#: request after its element's 16 bytes. Bounded: a caller with ever new lists
#: starts it afresh.
_TAILS: dict[int, tuple[Sequence[int], bytes]] = {}


def frame_requests(
    message_ids: Sequence[int],
    opcode: int,
    elements: Sequence[uuid.UUID],
    attributes: Sequence[Sequence[int]],
    *,
    element_bytes: Sequence[bytes] | None = None,
) -> bytes:
    """The packets of ``meta_data`` or ``read`` requests (*opcode*) of *elements*,
    one each, asking for *attributes* (one list per element, usually the same few
    list objects), joined without the message's outer array: the bytes of
    :func:`encode_request` of each, made from a template of each attribute list.
    *element_bytes*, if given, are the 16 bytes of each element (``element.bytes``,
    made once for several messages of the same elements).

    >>> ids, element = [7, 300], uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
    >>> frame_requests(ids, 4, [element] * 2, [[11, 9]] * 2) == b"".join(
    ...     encode_request(n, 4, {0: element, 1: [11, 9]}) for n in ids)
    True
    """
    if opcode not in (_READ, _META_DATA) or (message_ids and max(message_ids) >= 0x100000000):
        return b"".join(
            encode_request(message_id, opcode, {_ELEMENT: element, _ATTRIBUTES: list(wanted)})
            for message_id, element, wanted in zip(message_ids, elements, attributes, strict=True)
        )
    head = _META_DATA_ELEMENT if opcode == _META_DATA else _READ_ELEMENT
    tails = _TAILS
    if len(message_ids) != len(elements) or len(elements) != len(attributes):
        raise ValueError("frame_requests: as many message ids, elements and attribute lists")
    lists = {id(wanted): wanted for wanted in attributes}
    if len(tails) + len(lists) > 64:
        tails.clear()
    for key, wanted in lists.items():
        found = tails.get(key)
        if found is None or found[0] is not wanted:
            packet = encode_request(0, opcode, {_ELEMENT: _NIL, _ATTRIBUTES: list(wanted)})
            tails[key] = (wanted, packet[_TAIL_START:])
    # Each request: its head, the opcode and element's head, the 16 bytes, the tail;
    # joined by C loops (map, zip), the message ids packed as their head's width.
    first = min(message_ids, default=0)
    last = max(message_ids, default=0)
    if first >= 0x10000 and last < 0x100000000:
        prefix, packed = b"\x84\x00\x1a", map(_U32, message_ids)
    elif first >= 0x100 and last < 0x10000:
        prefix, packed = b"\x84\x00\x19", map(_U16, message_ids)
    else:
        prefix, packed = b"", map(_request_head, message_ids)
    raw = (
        element_bytes
        if element_bytes is not None and len(element_bytes) == len(elements)
        else map(_to_bytes, map(_uuid_int, elements), repeat(16), repeat("big"))
    )
    ends = map(_tail_of, map(tails.__getitem__, map(id, attributes)))
    return b"".join(chain.from_iterable(zip(repeat(prefix), packed, repeat(head), raw, ends)))


_uuid_int: Final[Any] = uuid.UUID.__dict__["int"].__get__
_to_bytes: Final[Any] = int.to_bytes
_tail_of: Final = operator.itemgetter(1)


_NIL: Final = uuid.UUID(int=0)
#: Where a request's bytes after its element begin (message id 0).
_TAIL_START: Final = 3 + len(_READ_ELEMENT) + 16
