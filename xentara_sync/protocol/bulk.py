"""Bulk decoding: a whole received message in one call of cbor2's decoder.

:func:`decode_items` decodes a message's outer array in one call, with tag decoders
that cbor2 calls without running Python code for most values: a UUID (tag 37)
comes from a cache of the UUIDs seen before (the same elements change again and
again), a wrapped value (121/122) is the :class:`cbor2.CBORTag` that cbor2 builds
itself, and only a time stamp (tag 1001) runs Python code, to make its
:class:`~xentara_sync.protocol.timepoint.TimePoint`. :func:`data_change` then turns
an event packet into its :class:`~xentara_sync.protocol.packets.DataChange` without
the per-value calls of :func:`~xentara_sync.protocol.packets.parse_packet`.

Both only take the common, well-formed case. Anything else (a tag the protocol does
not use, a broken UUID, an odd time stamp form, broken CBOR) makes them give up
(:func:`decode_items` raises, :func:`data_change` returns ``None``), and the caller
takes the careful path of :mod:`~xentara_sync.protocol.cbor` and
:func:`~xentara_sync.protocol.packets.parse_packet`, which names what is wrong and
fails only the packet concerned. So the fast path never accepts what the careful
one refuses, and both give the same packets:

>>> import uuid
>>> from xentara_sync.protocol import DataChange, TimePoint, encode_message
>>> change = DataChange(TimePoint(1_704_107_471_111_587_983), uuid.UUID(int=7), {11: 2.5})
>>> [data_change(item) for item in decode_items(encode_message([change]))] == [change]
True
"""

from __future__ import annotations

import functools
import io
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Final

import cbor2

from ..exceptions import ProtocolError
from .cbor import _decoders as _thread_local
from .cbor import _thread_decoder
from .packets import DataChange
from .tags import TAG_DECIMAL_FRACTION, TAG_FAULT, TAG_TIME, TAG_UUID, TAG_VALUE, TimeKey
from .timepoint import _INT64_MAX, _INT64_MIN, TimePoint

__all__ = ["answers", "data_change", "decode_items", "each_item"]

#: The most UUIDs the cache holds before it starts afresh (a server that sends ever
#: new UUIDs must not grow it without bound).
MAX_CACHED_UUIDS: Final = 200_000

_FRACTION_KEY: Final = int(TimeKey.DECIMAL_FRACTION)
#: Nanoseconds per unit of a decimal fraction's mantissa, by exponent.
_FRACTION_SCALES: Final = {-9: 1, -6: 1000, -3: 1_000_000}
_new_time_point = object.__new__
_set_ns = TimePoint.__dict__["ns"].__set__
_tuple_new = tuple.__new__
_CBORTag = cbor2.CBORTag


class _GiveUp(Exception):
    """The fast path does not take this message (the careful path will)."""


class _Initializer(dict[bool, tuple[None, Any]]):
    """A two-stage tag decoder (see :func:`cbor2.shareable_decoder`) that cbor2 calls
    without a Python frame: ``initializer(immutable)`` is a dictionary look-up that
    gives ``(None, callback)``, and *callback* is a built-in callable too."""

    __slots__ = ("_cbor2_immutable", "_cbor2_name")
    __call__ = dict.__getitem__

    def __init__(self, callback: Any) -> None:
        super().__init__({False: (None, callback), True: (None, callback)})
        self._cbor2_name = None
        self._cbor2_immutable = False


def _make_uuid_from_bytes(kind: type[uuid.UUID] = uuid.UUID) -> Callable[[bytes], uuid.UUID]:
    """``uuid.UUID(bytes=content)`` for 16 *content* bytes, made without running
    ``UUID.__init__`` (which checks its arguments in Python code: a seventh of the
    time, which counts for the 100,000 UUIDs of a big browse answer): the same
    object, its ``int`` and ``is_safe`` slots set directly. Where ``UUID`` has no
    such slots (another Python), ``UUID(bytes=...)`` itself; *kind* is the class
    (another in tests).

    >>> _make_uuid_from_bytes()(bytes(range(16)))
    UUID('00010203-0405-0607-0809-0a0b0c0d0e0f')
    """
    slots = kind.__dict__
    set_int, set_safe = slots.get("int"), slots.get("is_safe")
    if type(set_int) is not type(set_safe) or not hasattr(set_int, "__set__"):
        return lambda content: kind(bytes=content)
    new, from_bytes, unknown = object.__new__, int.from_bytes, uuid.SafeUUID.unknown
    assign_int, assign_safe = set_int.__set__, set_safe.__set__  # type: ignore[union-attr]

    def from_content(content: bytes) -> uuid.UUID:
        value = new(kind)
        assign_int(value, from_bytes(content, "big"))
        assign_safe(value, unknown)
        return value

    sample = bytes(range(1, 17))
    made, expected = from_content(sample), kind(bytes=sample)
    if made != expected or made.is_safe is not expected.is_safe or str(made) != str(expected):
        return lambda content: kind(bytes=content)
    return from_content


#: ``uuid.UUID(bytes=content)``, faster (see :func:`_make_uuid_from_bytes`).
uuid_from_bytes: Final[Callable[[bytes], uuid.UUID]] = _make_uuid_from_bytes()


class _UUIDs(dict[bytes, uuid.UUID]):
    """The UUIDs decoded so far, by their 16 bytes; a look-up of new content checks it."""

    __slots__ = ()

    def __missing__(self, content: Any) -> uuid.UUID:
        if type(content) is not bytes or len(content) != 16:
            raise _GiveUp
        if len(self) >= MAX_CACHED_UUIDS:
            self.clear()
        value = self[content] = uuid_from_bytes(content)
        return value


_UUID_CACHE: Final = _UUIDs()
_FRACTION: Final = _Initializer(functools.partial(_CBORTag, TAG_DECIMAL_FRACTION))


class _FastTags(dict[int, Any]):
    """The ``semantic_decoders`` of the fast path; a tag missing here gives up.

    A decimal fraction (tag 4) is here only while a time stamp is being read.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__()
        self[TAG_UUID] = _Initializer(_UUID_CACHE.__getitem__)
        self[TAG_VALUE] = _Initializer(functools.partial(_CBORTag, TAG_VALUE))
        self[TAG_FAULT] = _Initializer(functools.partial(_CBORTag, TAG_FAULT))
        forget_fraction = functools.partial(self.pop, TAG_DECIMAL_FRACTION, None)
        scales = _FRACTION_SCALES

        def end_time(content: Any) -> TimePoint:
            # 1001({4: 4([exponent, mantissa])}), the form Xentara sends; other forms
            # (and time stamps within time stamps) are left to the careful path.
            forget_fraction()
            if type(content) is dict and len(content) == 1:
                fraction = content.get(_FRACTION_KEY)
                if type(fraction) is _CBORTag:
                    pair = fraction.value
                    if type(pair) is list and len(pair) == 2:
                        exponent, mantissa = pair
                        if type(exponent) is int and type(mantissa) is int and exponent in scales:
                            ns = mantissa * scales[exponent]
                            if _INT64_MIN <= ns <= _INT64_MAX:
                                point = _new_time_point(TimePoint)
                                _set_ns(point, ns)
                                return point
            raise _GiveUp

        def begin_time(immutable: bool) -> tuple[None, Any]:
            self[TAG_DECIMAL_FRACTION] = _FRACTION
            return None, end_time

        self[TAG_TIME] = cbor2.shareable_decoder(begin_time)

    def __missing__(self, tag: int) -> Any:
        raise _GiveUp


#: One reusable decoder per thread, kept beside the careful decoder's.
_local = _thread_local


def decode_items(data: bytes) -> list[Any]:
    """The packets (decoded, not yet typed) of the message *data*, in one call.

    Raises :class:`~xentara_sync.exceptions.ProtocolError` for anything but a
    well-formed array with the protocol's usual tag forms; the caller then decodes
    the message carefully (:func:`~xentara_sync.protocol.messages.parse_message`).
    """
    stream = io.BytesIO(data)
    decoder = _thread_decoder(stream, "fast", _FastTags)
    try:
        items = decoder.decode()
    except Exception as exc:  # cbor2 raises several types; any of them means: careful path
        _local.fast = None  # a decoder that failed half-way is not reused
        raise ProtocolError("the message needs careful decoding") from exc
    if type(items) is not list or stream.tell() != len(data):
        raise ProtocolError("the message needs careful decoding")
    return items


#: Bytes of a CBOR head's argument after its initial byte, by the initial byte's low bits.
_ARGUMENT_WIDTH: Final = {24: 1, 25: 2, 26: 4, 27: 8}


def each_item(data: bytes) -> Iterator[Any]:
    """The packets of the message *data*, decoded one at a time (like
    :func:`decode_items`): each packet's raw structure can be freed before the next
    is decoded, so that a large message never holds all of it at once.

    Raises :class:`~xentara_sync.exceptions.ProtocolError` as :func:`decode_items`
    does (possibly after some packets were given).
    """
    head = data[0] if data else 0
    if head >> 5 != 4 or head & 31 >= 28:
        raise ProtocolError("the message needs careful decoding")
    width = _ARGUMENT_WIDTH.get(head & 31, 0)
    count = int.from_bytes(data[1 : 1 + width], "big") if width else head & 31
    stream = io.BytesIO(data)
    stream.seek(1 + width)
    decoder = _thread_decoder(stream, "fast", _FastTags)
    read = decoder.decode
    try:
        for _ in range(count):
            yield read()
    except Exception as exc:  # cbor2 raises several types; any of them means: careful path
        _local.fast = None
        raise ProtocolError("the message needs careful decoding") from exc
    if stream.tell() != len(data):
        raise ProtocolError("the message needs careful decoding")


def data_change(item: Any) -> DataChange | None:
    """The :class:`DataChange` of a decoded event packet in the usual form, else ``None``
    (then :func:`~xentara_sync.protocol.packets.parse_packet` takes it)."""
    if type(item) is not list or len(item) != 3:
        return None
    kind, event_type, body = item
    if kind != 8 or type(kind) is not int or event_type != 0 or type(event_type) is not int:
        return None
    if type(body) is not dict:
        return None
    stamp = body.get(0, body)
    element = body.get(1)
    changes = body.get(2)
    if stamp is body or type(element) is not uuid.UUID or type(changes) is not dict:
        return None
    attributes = {}
    for key, wrapped in changes.items():
        if type(wrapped) is not _CBORTag or wrapped.tag != TAG_VALUE:
            return None  # a fault, or not wrapped: parse_packet says what it is
        attributes[key] = wrapped.value
    return _tuple_new(DataChange, (stamp, element, attributes))


#: The heads of an answer packet with a result: an array of 3, packet type 1 (success).
_SUCCESS_HEAD: Final = 0x83
_SUCCESS: Final = 0x01
#: The most results an *alike* cache of :func:`answers` holds before it starts afresh.
MAX_ALIKE: Final = 256


def answers(
    data: bytes, *, alike: dict[bytes, Any] | None = None
) -> tuple[list[tuple[int, Any]], list[Any]]:
    """The successful answers of the message *data* as ``(message id, result)``, and
    its other packets (failures, events...) decoded but not typed, each list in
    the message's order.

    With an *alike* cache, most answers are expected to be equal to earlier ones
    (the ``meta_data`` of the elements of a model): a result whose bytes are in the
    cache is not decoded again but is the object decoded before, which must then
    be treated as read-only. The cache (result bytes -> result) is filled here; it
    may serve many messages.

    Only the common, well-formed case: anything else raises
    :class:`~xentara_sync.exceptions.ProtocolError` (nothing is taken; the caller
    takes the careful path, :func:`~xentara_sync.protocol.messages.parse_message`).

    >>> from xentara_sync.protocol import Failure, Success, encode_message
    >>> message = encode_message([Success(7, {2: [1]}), Failure(8, -32100, "no"),
    ...                           Success(9, {2: [1]})])
    >>> taken, others = answers(message, alike={})
    >>> taken, others, taken[0][1] is taken[1][1]
    ([(7, {2: [1]}), (9, {2: [1]})], [[2, 8, {0: -32100, 1: 'no'}]], True)
    """
    if alike is None:
        taken: list[tuple[int, Any]] = []
        others: list[Any] = []
        for item in decode_items(data):
            if (
                type(item) is list
                and len(item) == 3
                and item[0] == _SUCCESS
                and type(item[0]) is int
                and type(item[1]) is int
            ):
                taken.append((item[1], item[2]))
            else:
                others.append(item)
        return taken, others
    try:
        return _alike_answers(data, alike)
    except (_GiveUp, IndexError) as exc:
        raise ProtocolError("the message needs careful decoding") from exc


def _alike_answers(data: bytes, cache: dict[bytes, Any]) -> tuple[list[tuple[int, Any]], list[Any]]:
    head = data[0] if data else 0
    if head >> 5 != 4 or head & 31 >= 28:
        raise _GiveUp
    width = _ARGUMENT_WIDTH.get(head & 31, 0)
    count = int.from_bytes(data[1 : 1 + width], "big") if width else head & 31
    position = 1 + width
    stream = io.BytesIO(data)
    decoder = _thread_decoder(stream, "fast", _FastTags)
    read = decoder.decode
    seek = stream.seek
    # The lengths of the results in the cache: a result is in it if the bytes of one
    # of these lengths are (a CBOR item ends where its bytes say).
    lengths = sorted({len(raw) for raw in cache})
    get = cache.get
    missing = _MISSING_RESULT
    taken: list[tuple[int, Any]] = []
    others: list[Any] = []
    try:
        for _ in range(count):
            message_id = -1
            if data[position] == _SUCCESS_HEAD and data[position + 1] == _SUCCESS:
                # 83 01 <id>: the id in the head's argument (a whole number below 2**32).
                low = data[position + 2]
                if low < 24:
                    message_id, start = low, position + 3
                elif low == 24:
                    message_id, start = data[position + 3], position + 4
                elif low == 25:
                    message_id = int.from_bytes(data[position + 3 : position + 5], "big")
                    start = position + 5
                elif low == 26:
                    message_id = int.from_bytes(data[position + 3 : position + 7], "big")
                    start = position + 7
            if message_id < 0:
                seek(position)
                others.append(read())
                position = stream.tell()
                continue
            result = missing
            for length in lengths:
                result = get(data[start : start + length], missing)
                if result is not missing:
                    position = start + length
                    break
            if result is missing:
                seek(start)
                result = read()
                position = stream.tell()
                if len(cache) >= MAX_ALIKE:
                    cache.clear()
                    lengths = []
                raw = data[start:position]
                if len(raw) not in lengths:
                    lengths = sorted({*lengths, len(raw)})
                cache[raw] = result
            taken.append((message_id, result))
    except _GiveUp:
        raise
    except Exception as exc:  # cbor2 raises several types; any of them means: careful path
        _local.fast = None
        raise _GiveUp from exc
    if position != len(data):
        raise _GiveUp
    return taken, others


_MISSING_RESULT: Final[Any] = object()
