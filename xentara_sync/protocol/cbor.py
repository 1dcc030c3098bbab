"""CBOR encoding and decoding with the protocol's tags, and none other.

:func:`encode` writes UUIDs as tag 37 and time stamps as tag 1001. :func:`decode`
reads one CBOR data item; besides plain CBOR it knows exactly the tags of
:class:`~xentara_sync.protocol.tags.Tag`:

>>> decode(bytes.fromhex("d82550e3ee10714d884ba18e5d0f1e4ce25ee8"))
UUID('e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8')
>>> decode(encode(TimePoint(1_704_107_471_111_587_983)))
TimePoint('2024-01-01T11:11:11.111587983Z')

Any other tag is refused as soon as its head is read, before its content, because
cbor2 would otherwise decode it by itself: shared references (28/29) can make a few
hundred bytes describe gigabytes, string references (25/256), sets (258), bignums
(2/3, integers beyond 64 bits are not in the protocol), regular expressions,
and so on. A decimal fraction (4) is allowed only inside a time stamp:

>>> decode(bytes.fromhex("d81c80"))
Traceback (most recent call last):
...
xentara_sync.exceptions.ProtocolError: CBOR tag 28 is not part of the Xentara protocol
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, NamedTuple, NoReturn

import cbor2

from ..exceptions import ProtocolError
from .quoting import clip, quote
from .tags import (
    TAG_DECIMAL_FRACTION,
    TAG_EPOCH,
    TAG_FAULT,
    TAG_PASSWORD,
    TAG_TIME,
    TAG_UUID,
    TAG_VALUE,
    TimeKey,
)
from .timepoint import _INT64_MAX, _INT64_MIN, TimePoint
from .values import AttributeFault, fault

__all__ = ["decode", "decode_each", "encode", "item_end"]

# --------------------------------------------------------------------------- encoding


def _encode_time_point(encoder: cbor2.CBOREncoder, value: TimePoint) -> None:
    """``1001({4: 4([-9, nanoseconds])})``; the earliest and latest instants
    (:attr:`TimePoint.MIN` / :attr:`~TimePoint.MAX`) as ``1001({1: -Infinity})`` and
    ``1001({1: +Infinity})``: the reference (§10.3) reserves the infinities for the
    minimum and maximum time points, and the official client decodes them so."""
    ns = value.ns
    if ns in (_INT64_MIN, _INT64_MAX):
        encoder.encode(cbor2.CBORTag(TAG_TIME, {_SECONDS_KEY: -math.inf if ns < 0 else math.inf}))
        return
    encoder.encode(
        cbor2.CBORTag(
            TAG_TIME, {_FRACTION_KEY: cbor2.CBORTag(TAG_DECIMAL_FRACTION, [-9, value.ns])}
        )
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


def encode(value: Any, *, canonical: bool = False) -> bytes:
    """Encode *value* as CBOR the way Xentara expects it.

    UUIDs become tag 37, :class:`~xentara_sync.protocol.timepoint.TimePoint` (and
    aware datetimes) tag 1001. *canonical* sorts map keys and picks the shortest
    float form (used to compare bytes with the reference).

    >>> encode([1, 2, 3]).hex()
    '83010203'
    """
    try:
        return cbor2.dumps(value, default=_encode_default, encoders=_ENCODERS, canonical=canonical)
    except (cbor2.CBOREncodeError, ValueError, TypeError) as exc:
        raise ProtocolError(f"cannot encode {quote(value)}: {clip(str(exc))}") from exc


# --------------------------------------------------------------------------- tag decoders

_SECONDS_KEY: Final = int(TimeKey.SECONDS)
_FRACTION_KEY: Final = int(TimeKey.DECIMAL_FRACTION)
#: Nanoseconds per unit of a decimal fraction's mantissa, by exponent.
_FRACTION_SCALES: Final = {-9: 1, -6: 1000, -3: 1_000_000}
#: Nanoseconds per unit of the extra keys of a seconds time stamp.
_EXTRA_SCALES: Final = (
    (int(TimeKey.MILLISECONDS), 1_000_000),
    (int(TimeKey.MICROSECONDS), 1000),
    (int(TimeKey.NANOSECONDS), 1),
)


class _DecimalFraction(NamedTuple):
    """``4([exponent, mantissa])`` as read inside a time stamp."""

    exponent: int
    mantissa: int

    def __repr__(self) -> str:
        return f"4([{self.exponent}, {self.mantissa}])"


def _decode_fraction(value: Any, immutable: bool) -> _DecimalFraction:
    if type(value) in (list, tuple) and len(value) == 2:
        exponent, mantissa = value
        if type(exponent) is int and type(mantissa) is int:
            return _DecimalFraction(exponent, mantissa)
    raise ProtocolError(f"tag 4 must hold two integers, not {quote(value)}")


def _decode_epoch(value: Any, immutable: bool) -> TimePoint:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return TimePoint.from_seconds(value)
    raise ProtocolError(f"tag 1 must hold a number of seconds, not {quote(value)}")


def _decode_time(value: Any, immutable: bool = False) -> TimePoint:
    """Decode the content of tag 1001 (RFC 9581) in every form of the reference."""
    if not isinstance(value, Mapping):
        raise ProtocolError(f"tag 1001 must hold a map, not {quote(value)}")
    if _FRACTION_KEY in value:
        fraction = value[_FRACTION_KEY]
        if type(fraction) is _DecimalFraction:
            scale = _FRACTION_SCALES.get(fraction.exponent)
            if scale is not None:
                return TimePoint(fraction.mantissa * scale)
        raise ProtocolError(
            f"unsupported time stamp fraction {quote(fraction)}"
            " (exponents -9, -6 and -3 are allowed)"
        )
    if _SECONDS_KEY in value:
        seconds = value[_SECONDS_KEY]
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ProtocolError(f"time stamp seconds must be a number, not {quote(seconds)}")
        if isinstance(seconds, float) and math.isnan(seconds):
            raise ProtocolError("NaN time stamp not supported")
        point = TimePoint.from_seconds(seconds)
        for key, scale in _EXTRA_SCALES:
            extra = value.get(key)
            if isinstance(extra, int) and not isinstance(extra, bool):
                point = TimePoint(point.ns + extra * scale)
        return point
    raise ProtocolError(f"unsupported time stamp {quote(dict(value))}")


def _decode_uuid(value: Any, immutable: bool) -> uuid.UUID:
    if type(value) is bytes and len(value) == 16:
        return uuid.UUID(bytes=value)
    raise ProtocolError(f"tag 37 must hold 16 bytes, not {quote(value)}")


def _decode_value(value: Any, immutable: bool) -> cbor2.CBORTag:
    return cbor2.CBORTag(TAG_VALUE, value)


def _decode_fault(value: Any, immutable: bool) -> cbor2.CBORTag:
    return cbor2.CBORTag(TAG_FAULT, value)


def _decode_password(value: Any, immutable: bool) -> cbor2.CBORTag:
    return cbor2.CBORTag(TAG_PASSWORD, value)


#: The decoders of the protocol's tags that need no context. The enumerated
#: alternatives stay :class:`cbor2.CBORTag` objects: their meaning depends on the command.
_SEMANTIC_DECODERS: Final[Mapping[int, Callable[[Any, bool], Any]]] = {
    TAG_EPOCH: _decode_epoch,
    TAG_UUID: _decode_uuid,
    TAG_VALUE: _decode_value,
    TAG_FAULT: _decode_fault,
    TAG_PASSWORD: _decode_password,
}


class _TagDecoders(dict[int, Any]):
    """The ``semantic_decoders`` of one :class:`cbor2.CBORDecoder`: the protocol's tags.

    cbor2 looks a tag up here as soon as it has read the tag's head. A tag that is
    missing raises :class:`~xentara_sync.exceptions.ProtocolError` at once (cbor2
    would fall back to its own decoders only on :exc:`KeyError`). Tag 1001 is a
    two-stage decoder that counts the time stamps being read, so that a decimal
    fraction (tag 4) is accepted only inside one.
    """

    __slots__ = ("time_depth",)

    def __init__(self) -> None:
        super().__init__(_SEMANTIC_DECODERS)
        self.time_depth = 0

        def end_time(content: Any) -> TimePoint:
            self.time_depth -= 1
            return _decode_time(content)

        def begin_time(immutable: bool) -> tuple[None, Callable[[Any], TimePoint]]:
            self.time_depth += 1
            return None, end_time

        self[TAG_TIME] = cbor2.shareable_decoder(begin_time)

    def __missing__(self, tag: int) -> Callable[[Any, bool], Any]:
        if tag == TAG_DECIMAL_FRACTION:
            if self.time_depth:
                return _decode_fraction
            raise ProtocolError("CBOR tag 4 (decimal fraction) is allowed only in a time stamp")
        if tag in (2, 3):
            raise ProtocolError(
                f"CBOR tag {tag} is not part of the Xentara protocol"
                " (a bignum: its integers have at most 64 bits)"
            )
        raise ProtocolError(f"CBOR tag {tag} is not part of the Xentara protocol")


#: One reusable decoder per thread: creating one costs more than decoding a response.
_decoders = threading.local()


def _thread_decoder(
    stream: io.BytesIO, name: str, tags: Callable[[], dict[int, Any]]
) -> cbor2.CBORDecoder:
    """This thread's decoder called *name*, now reading *stream*.

    The first one (and the first after a failure dropped it) is made with the tag
    decoders ``tags()``.
    """
    decoder = getattr(_decoders, name, None)
    if decoder is None:
        decoder = cbor2.CBORDecoder(stream, semantic_decoders=tags())
        setattr(_decoders, name, decoder)
    else:
        decoder.fp = stream
    return decoder


def _not_decoded(exc: Exception) -> NoReturn:
    """Raise the :class:`ProtocolError` for *exc*, raised by the thread's decoder.

    The decoder failed half-way, so it is not reused.
    """
    _decoders.decoder = None
    if isinstance(exc, ProtocolError):
        raise exc
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, ProtocolError):  # raised by one of the tag decoders
        raise cause from None
    raise ProtocolError(f"message is not well-formed CBOR: {clip(str(exc))}") from exc


def decode(data: bytes) -> Any:
    """Decode one CBOR data item.

    A broken one, one with a tag that the protocol does not use, or bytes after
    the item raise :class:`~xentara_sync.exceptions.ProtocolError`.
    """
    stream = io.BytesIO(data)
    decoder = _thread_decoder(stream, "decoder", _TagDecoders)
    try:
        value = decoder.decode()
    except Exception as exc:  # cbor2 raises several types for broken input
        _not_decoded(exc)
    if stream.tell() != len(data):
        raise ProtocolError(
            f"message has {len(data) - stream.tell()} bytes after its CBOR data item"
        )
    return value


def decode_each(data: bytes, start: int, count: int) -> Iterator[Any]:
    """Decode the *count* data items that follow each other from *start*, one at a time.

    The items of an array, given the end of its head: each can be used (and its
    intermediate objects freed) before the next is decoded, so that a large message
    never holds all of its raw structure at once, and the garbage collector sees far
    fewer objects survive. The errors are those of :func:`decode`.

    >>> list(decode_each(bytes.fromhex("8201820203"), 1, 2))
    [1, [2, 3]]
    """
    stream = io.BytesIO(data)
    stream.seek(start)
    decoder = _thread_decoder(stream, "decoder", _TagDecoders)
    read = decoder.decode
    for _ in range(count):
        try:
            item = read()
        except Exception as exc:  # cbor2 raises several types for broken input
            _not_decoded(exc)
        yield item
    if stream.tell() != len(data):
        raise ProtocolError(
            f"message has {len(data) - stream.tell()} bytes after its CBOR data item"
        )


def item_end(data: bytes, start: int = 0) -> int:
    """The offset just after the CBOR data item at *start*, found without decoding it.

    Tags are stepped over whatever they are, so that a message whose packets cannot
    all be decoded can still be cut into its packets (each is then decoded alone).
    Truncated or malformed data raises :class:`~xentara_sync.exceptions.ProtocolError`.

    >>> item_end(bytes.fromhex("8201c2410100"))  # [1, bignum 1] and one byte more
    5
    """
    size = len(data)
    pos = start
    remaining = [1]  # items still to step over, per nesting level; -1: until a break
    while remaining:
        if remaining[-1] == 0:
            remaining.pop()
            continue
        if pos >= size:
            raise ProtocolError("message is not well-formed CBOR: it ends inside a data item")
        initial = data[pos]
        pos += 1
        if initial == 0xFF and remaining[-1] == -1:  # the break of an indefinite item
            remaining.pop()
            continue
        if remaining[-1] > 0:
            remaining[-1] -= 1
        major, info = initial >> 5, initial & 31
        argument: int | None = info
        if 24 <= info <= 27:
            width = 1 << (info - 24)
            if pos + width > size:
                raise ProtocolError("message is not well-formed CBOR: it ends inside a head")
            argument = int.from_bytes(data[pos : pos + width], "big")
            pos += width
        elif info == 31 and major in (2, 3, 4, 5):
            argument = None
        elif info >= 28:
            raise ProtocolError(f"message is not well-formed CBOR: initial byte {initial:#04x}")
        if major in (2, 3):
            if argument is None:
                remaining.append(-1)  # chunks, each a string
            else:
                pos += argument
                if pos > size:
                    raise ProtocolError("message is not well-formed CBOR: a string is cut off")
        elif major == 4:
            remaining.append(-1 if argument is None else argument)
        elif major == 5:
            remaining.append(-1 if argument is None else 2 * argument)
        elif major == 6:
            remaining.append(1)  # the tag's content
    return pos
