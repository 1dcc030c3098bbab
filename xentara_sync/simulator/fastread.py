"""The fast path of the simulator's commonest message: a batch of plain reads.

Almost every message a client sends is one or more read requests of the form
``[0, id, 4, {0: 37(uuid), 1: [small attribute numbers...]}]``, which every client
of this project (and most others) encodes the same way. Going through the general
path, each costs a :class:`uuid.UUID` built by the decoder, a typed packet, a
result dict of ``121`` tags and the general CBOR encoder: about 6 µs a request.

:func:`answer_reads` matches such a message byte for byte, looks elements up by
their 16 UUID bytes, and frames the response by hand (values through
:func:`encode_value`). It answers only when it can answer *exactly* as the general
path would, and returns ``None`` otherwise, so that the general path
(:meth:`~xentara_sync.simulator.engine.Session.handle`) answers instead:

- a message that is not a definite-length array of such requests only (other
  opcodes, attribute UUIDs or numbers of 24 and above, negative or huge message
  ids, extra parameter keys, keys in another order, repeated attribute numbers);
- an unknown element (the nil UUID included): the general path reports the error;
- a value the hand framing does not cover goes through
  :func:`~xentara_sync.protocol.encode`, for that value alone.
- an answer that would pass *limit* bytes (long string values): the general path
  answers within its limits (see :mod:`.engine`).

Reads have no side effect but bringing a computed signal up to date, which the
general path does the same way; a message given up half-way (an unknown element
in its last request) is simply answered again by the general path.

This module knows bytes and elements only: the session decides whether the fast
path may answer at all (after the hello, with read right) and counts the requests.

``tests/simulator/test_fastread.py`` checks, with generated messages and values,
that both paths give the same bytes.
"""

from __future__ import annotations

import operator
import re
import struct
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..exceptions import ProtocolError
from ..protocol import (
    NIL_UUID,
    ErrorCode,
    Opcode,
    PacketType,
    ReadParam,
    TimePoint,
    encode,
    fault,
    wrap,
)
from ..protocol.framing import _head
from ..protocol.tags import TAG_UUID, TAG_VALUE
from .elements import Element

__all__ = ["answer_reads", "element_index", "encode_value"]

# CBOR major types, as the high three bits of an item's head.
_UINT: Final = 0x00
_NINT: Final = 0x20
_BYTES: Final = 0x40
_TEXT: Final = 0x60
_ARRAY: Final = 0x80
_MAP: Final = 0xA0
_TAG: Final = 0xC0


#: One read request: message id (an unsigned integer), element UUID, attribute
#: array head and its items (each a one-byte unsigned integer below 24).
_READ: Final = re.compile(
    re.escape(_head(_ARRAY, 4) + _head(_UINT, PacketType.REQUEST))
    + rb"([\x00-\x17]|\x18.|\x19..|\x1a....|\x1b........)"
    + re.escape(
        _head(_UINT, Opcode.READ)
        + _head(_MAP, 2)
        + _head(_UINT, ReadParam.ELEMENT)
        + _head(_TAG, TAG_UUID)
        + _head(_BYTES, 16)
    )
    + rb"(.{16})"
    + re.escape(_head(_UINT, ReadParam.ATTRIBUTES))
    + rb"(?:\x81([\x00-\x17])|([\x80-\x97])([\x00-\x17]*))",
    re.DOTALL,
)


#: The same, the whole request its first group: a message's requests found at once.
_find_reads: Final = re.compile(b"(" + _READ.pattern + b")", re.DOTALL).findall


def _size(found: list[tuple[bytes, ...]]) -> int:
    """The bytes of the whole matches *found* (each one's first group) together."""
    return sum(map(len, map(_first, found)))


_first: Final = operator.itemgetter(0)


def _argument(head: bytes) -> int:
    """The unsigned integer of a major type 0 item *head* (as :data:`_READ` matched it)."""
    if len(head) == 1:
        return head[0]
    return int.from_bytes(head[1:], "big")


def _canonical(head: bytes) -> bool:
    """Whether the head of at least two bytes is the shortest one for its argument."""
    if len(head) == 2:
        return head[1] >= 24
    return any(head[1 : 1 + (len(head) - 1) // 2])


def _general(value: Any) -> bytes:
    return encode(wrap(value))


#: ``121(``: the tag of a value in a read result.
_TAG_VALUE: Final = _head(_TAG, TAG_VALUE)
_TRUE: Final = _TAG_VALUE + b"\xf5"
_FALSE: Final = _TAG_VALUE + b"\xf4"
_FLOAT: Final = _TAG_VALUE + b"\xfb"
_DOUBLE: Final = struct.Struct(">d").pack
#: ``121(1001({4: 4([-9, ``: a :class:`TimePoint` as the codec encodes it, up to
#: its nanoseconds.
_TIME: Final = encode(wrap(TimePoint(0)))[:-1]
#: ``121(37(h'``: a UUID up to its 16 bytes.
_UUID: Final = encode(wrap(NIL_UUID))[:-16]
_INT_LIMIT: Final = 1 << 64
_TIME_MIN: Final = TimePoint.MIN.ns
_TIME_MAX: Final = TimePoint.MAX.ns


_U16: Final = struct.Struct(">H").pack
_U32: Final = struct.Struct(">I").pack
_U64: Final = struct.Struct(">Q").pack
#: 121(n) and 121(-1 - n) for n < 256 (one-byte heads and one-byte arguments).
_UINT8: Final = [_TAG_VALUE + _head(_UINT, n) for n in range(0x100)]
_NINT8: Final = [_TAG_VALUE + _head(_NINT, n) for n in range(0x100)]
#: 121( and the head of an integer whose argument takes 2, 4 or 8 bytes.
_UINT16: Final = _TAG_VALUE + bytes((_UINT | 25,))
_UINT32: Final = _TAG_VALUE + bytes((_UINT | 26,))
_UINT64: Final = _TAG_VALUE + bytes((_UINT | 27,))
_NINT16: Final = _TAG_VALUE + bytes((_NINT | 25,))
_NINT32: Final = _TAG_VALUE + bytes((_NINT | 26,))
_NINT64: Final = _TAG_VALUE + bytes((_NINT | 27,))
#: The four above for a non-negative integer, and for a negative one.
_UINT_HEADS: Final = (_UINT8, _UINT16, _UINT32, _UINT64)
_NINT_HEADS: Final = (_NINT8, _NINT16, _NINT32, _NINT64)


def _int(value: int) -> bytes:
    if value >= 0:
        argument = value
        small, head16, head32, head64 = _UINT_HEADS
    else:
        argument = -1 - value
        small, head16, head32, head64 = _NINT_HEADS
    if argument < 0x100:
        return small[argument]
    if argument < 0x10000:
        return head16 + _U16(argument)
    if argument < 0x100000000:
        return head32 + _U32(argument)
    if argument < _INT_LIMIT:
        return head64 + _U64(argument)
    return _general(value)  # a bignum (tag 2 or 3)


def _float(value: float) -> bytes:
    if value - value == 0.0:  # finite
        return _FLOAT + _DOUBLE(value)
    return _general(value)  # NaN and the infinities take a half-float


#: Short texts encoded before (``type`` names, units: a few distinct ones, read
#: for every element); emptied when full.
_TEXTS: dict[str, bytes] = {}
_TEXTS_MAX: Final = 4096


def _str(value: str) -> bytes:
    encoded = _TEXTS.get(value)
    if encoded is not None:
        return encoded
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:
        return _general(value)  # raises ProtocolError, as the general path would
    size = len(data)
    encoded = _TAG_VALUE + (bytes((_TEXT | size,)) if size < 24 else _head(_TEXT, size)) + data
    if size < 64:
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        _TEXTS[value] = encoded
    return encoded


def _time(value: TimePoint) -> bytes:
    ns = value.ns
    if ns in (_TIME_MIN, _TIME_MAX):
        return _general(value)  # 1001({1: -Infinity / +Infinity})
    return _TIME + (_head(_UINT, ns) if ns >= 0 else _head(_NINT, -1 - ns))


def _uuid(value: uuid.UUID) -> bytes:
    return _UUID + value.bytes


_ENCODERS: Final[Mapping[type, Callable[[Any], bytes]]] = {
    bool: lambda value: _TRUE if value else _FALSE,
    int: _int,
    float: _float,
    str: _str,
    TimePoint: _time,
    uuid.UUID: _uuid,
}


def encode_value(value: Any) -> bytes:
    """``121(value)`` (or ``122`` for an :class:`~xentara_sync.protocol.AttributeFault`),
    the same bytes as ``encode(wrap(value))``; raises
    :class:`~xentara_sync.exceptions.ProtocolError` for a value it cannot encode.

    >>> encode_value(22.5).hex(), encode_value(True).hex(), encode_value(-300).hex()
    ('d879fb4036800000000000', 'd879f5', 'd87939012b')
    """
    encoder = _ENCODERS.get(type(value))
    return encoder(value) if encoder is not None else _general(value)


#: ``[1, `` (a success packet's head and packet type), then the message id.
_SUCCESS_HEAD: Final = _head(_ARRAY, 3) + _head(_UINT, PacketType.SUCCESS)
#: ``[1, id, ...`` for the message ids a one- or two-byte head carries.
_SUCCESS: Final = {_head(_UINT, n): _SUCCESS_HEAD + _head(_UINT, n) for n in range(0x100)}
_MAP_HEADS: Final = [_head(_MAP, n) for n in range(24)]
_MISSING: Final = encode(fault(ErrorCode.MISSING_ATTRIBUTE))
_KEYS: Final = [bytes((n,)) for n in range(24)]
#: ``{key: ...`` and ``{key: 122(...)}``: the map of a read of one attribute.
_ONE: Final = [_MAP_HEADS[1] + key for key in _KEYS]
_ONE_MISSING: Final = [_MAP_HEADS[1] + key + _MISSING for key in _KEYS]


def _success(message_id: bytes) -> bytes:
    """``[1, id, ...`` for the message id head *message_id* (made the shortest)."""
    prefix = _SUCCESS.get(message_id)
    if prefix is not None:
        return prefix
    if len(message_id) == 3 and message_id[1]:  # 256..65535: canonical
        return _SUCCESS_HEAD + message_id
    if len(message_id) == 5 and (message_id[1] or message_id[2]):  # 65536 and up
        return _SUCCESS_HEAD + message_id
    if _canonical(message_id):
        return _SUCCESS_HEAD + message_id
    return _SUCCESS_HEAD + _head(_UINT, _argument(message_id))


def element_index(by_uuid: Mapping[uuid.UUID, Element]) -> dict[bytes, Element]:
    """The elements of *by_uuid* keyed by the 16 bytes of their UUIDs."""
    return {key.bytes: element for key, element in by_uuid.items()}


def answer_reads(
    elements: Mapping[bytes, Element], data: bytes, limit: int = 1 << 62
) -> tuple[bytes, int] | None:
    """The response message to *data* and the number of requests it answers, if
    *data* holds read requests only and the values of the answer take at most
    *limit* bytes; else ``None``.

    *elements* maps the 16 bytes of each element's UUID to the element
    (:func:`element_index`).
    """
    if not data:
        return None
    first = data[0]
    if 0x81 <= first <= 0x97:
        count, position = first - 0x80, 1
    elif first == 0x98 and len(data) > 1:
        count, position = data[1], 2
    elif first == 0x99 and len(data) > 2:
        count, position = int.from_bytes(data[1:3], "big"), 3
    else:
        return None
    if not count:
        return None
    # Every request at once (in C); they must follow each other to the last byte.
    requests = _find_reads(data, position)
    if len(requests) != count or _size(requests) != len(data) - position:
        return None
    encoders = _ENCODERS.get
    parts: list[bytes] = [_head(_ARRAY, count)]
    append = parts.append
    try:
        for _, message_id, element_uuid, one, array, attributes in requests:
            element = elements.get(element_uuid)
            if element is None:
                return None
            prefix = _success(message_id)
            if one:  # the usual: one attribute (findall gives b"" for no match)
                key = one[0]
                attribute = element.table.by_key.get(key)
                if attribute is None:
                    append(prefix + _ONE_MISSING[key])
                    continue
                value = element.get(attribute)
                encoder = encoders(type(value))
                encoded = encoder(value) if encoder is not None else _general(value)
                limit -= len(encoded)
                if limit < 0:
                    return None
                append(prefix + _ONE[key] + encoded)
                continue
            size = len(attributes)
            if size != array[0] - 0x80 or (size > 1 and len(set(attributes)) != size):
                return None
            append(prefix)
            append(_MAP_HEADS[size])
            by_key = element.table.by_key
            get = element.get
            for key in attributes:
                attribute = by_key.get(key)
                append(_KEYS[key])
                if attribute is None:
                    append(_MISSING)
                else:
                    value = get(attribute)
                    encoder = encoders(type(value))
                    encoded = encoder(value) if encoder is not None else _general(value)
                    limit -= len(encoded)
                    if limit < 0:
                        return None
                    append(encoded)
    except ProtocolError:
        return None  # the general path fails the same way
    return b"".join(parts), count
