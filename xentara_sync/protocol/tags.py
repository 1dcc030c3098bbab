"""The CBOR tags of the Xentara WebSocket API, and the keys of a time stamp map.

The protocol uses seven tags (reference §10); the decoder refuses every other one:

>>> sorted(int(tag) for tag in Tag)
[1, 4, 37, 121, 122, 123, 1001]
>>> Tag.VALUE, Tag(1001).name
(<Tag.VALUE: 121>, 'TIME')
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

__all__ = [
    "TAG_DECIMAL_FRACTION",
    "TAG_EPOCH",
    "TAG_FAULT",
    "TAG_PASSWORD",
    "TAG_TIME",
    "TAG_UUID",
    "TAG_VALUE",
    "Tag",
    "TimeKey",
]


class Tag(IntEnum):
    """The CBOR tags that the protocol uses."""

    #: ``1(seconds)``: standard epoch time, accepted as a time stamp.
    EPOCH = 1
    #: ``4([exponent, mantissa])``: decimal fraction, only inside a time stamp.
    DECIMAL_FRACTION = 4
    #: ``37(h'...')``: a UUID as 16 bytes.
    UUID = 37
    #: ``121(value)``: enumerated alternative 0 (a value in read results and events).
    VALUE = 121
    #: ``122({0: code, 1: text})``: alternative 1 (an attribute in error).
    FAULT = 122
    #: ``123({0: user, 1: password})``: alternative 2 (password log-in of a sub-session).
    PASSWORD = 123
    #: ``1001({...})``: extended time (RFC 9581).
    TIME = 1001


class TimeKey(IntEnum):
    """Keys of the map inside a ``1001`` time stamp (RFC 9581) that the protocol uses."""

    #: Whole or fractional seconds since the epoch (``±Infinity``: earliest/latest).
    SECONDS = 1
    #: ``4([exponent, mantissa])`` seconds; the exponent is -9, -6 or -3.
    DECIMAL_FRACTION = 4
    #: Extra milliseconds added to :attr:`SECONDS`.
    MILLISECONDS = -3
    #: Extra microseconds added to :attr:`SECONDS`.
    MICROSECONDS = -6
    #: Extra nanoseconds added to :attr:`SECONDS`.
    NANOSECONDS = -9


# Plain integers for the hot paths (an enum member costs an attribute look-up).
TAG_EPOCH: Final = int(Tag.EPOCH)
TAG_DECIMAL_FRACTION: Final = int(Tag.DECIMAL_FRACTION)
TAG_UUID: Final = int(Tag.UUID)
TAG_VALUE: Final = int(Tag.VALUE)
TAG_FAULT: Final = int(Tag.FAULT)
TAG_PASSWORD: Final = int(Tag.PASSWORD)
TAG_TIME: Final = int(Tag.TIME)
