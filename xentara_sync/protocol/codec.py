"""CBOR codec and packets of the Xentara WebSocket API, in one namespace. No I/O.

The codec is made of small modules, each with one job; this module gathers their
names, so that ``from xentara_sync.protocol.codec import ...`` keeps working:

- :mod:`~xentara_sync.protocol.tags`: the CBOR tags of the protocol;
- :mod:`~xentara_sync.protocol.timepoint`: :class:`TimePoint`, nanosecond instants;
- :mod:`~xentara_sync.protocol.values`: ``121``/``122`` wrapped values
  (:func:`wrap`, :func:`unwrap`, :func:`fault`, :class:`AttributeFault`);
- :mod:`~xentara_sync.protocol.cbor`: :func:`encode` and :func:`decode`, which
  refuses every tag the protocol does not use;
- :mod:`~xentara_sync.protocol.packets`: typed packets, :func:`parse_packet`,
  :func:`encode_message` and :func:`decode_message`;
- :mod:`~xentara_sync.protocol.framing`: hand-framed fast encoding
  (:func:`encode_read`, :func:`encode_request`, :func:`join_packets`);
- :mod:`~xentara_sync.protocol.quoting`: input quoted in error messages, capped.

>>> msg = encode_message([Request(1, 14, {0: 1, 1: 1})])
>>> msg.hex()
'818400010ea200010101'
>>> decode_message(bytes.fromhex("81830101a10001"))
[Success(message_id=1, result={0: 1})]
"""

from __future__ import annotations

from ..exceptions import ProtocolError
from .cbor import (
    _ENCODERS,
    _SEMANTIC_DECODERS,
    _decode_epoch,
    _decode_time,
    _decoders,
    _encode_datetime,
    _encode_default,
    _encode_fault,
    _encode_time_point,
    decode,
    encode,
)
from .framing import (
    _MESSAGE_IDS,
    _ONE_ATTRIBUTE,
    _U16,
    _head,
    _small_int,
    encode_read,
    encode_request,
    join_packets,
)
from .ids import ErrorCode, EventType, PacketType
from .packets import (
    DataChange,
    Failure,
    Packet,
    Request,
    Success,
    _int,
    _packet_error,
    _packet_to_wire,
    _parse_event,
    decode_message,
    encode_message,
    encode_packet,
    parse_packet,
)
from .tags import (
    TAG_DECIMAL_FRACTION,
    TAG_EPOCH,
    TAG_FAULT,
    TAG_PASSWORD,
    TAG_TIME,
    TAG_UUID,
    TAG_VALUE,
)
from .timepoint import _EPOCH, _INT64_MAX, _INT64_MIN, _NS_PER_S, TimePoint
from .values import (
    AttributeFault,
    _error_map,
    _parse_error,
    fault,
    unwrap,
    unwrap_attributes,
    wrap,
)

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

# Names kept importable from here for the code that imports them from this module.
_REEXPORTED = (
    ProtocolError,
    ErrorCode,
    EventType,
    PacketType,
    TAG_DECIMAL_FRACTION,
    TAG_EPOCH,
    TAG_FAULT,
    TAG_PASSWORD,
    TAG_TIME,
    TAG_UUID,
    TAG_VALUE,
    _ENCODERS,
    _EPOCH,
    _INT64_MAX,
    _INT64_MIN,
    _MESSAGE_IDS,
    _NS_PER_S,
    _ONE_ATTRIBUTE,
    _SEMANTIC_DECODERS,
    _U16,
    _decode_epoch,
    _decode_time,
    _decoders,
    _encode_datetime,
    _encode_default,
    _encode_fault,
    _encode_time_point,
    _error_map,
    _head,
    _int,
    _packet_error,
    _packet_to_wire,
    _parse_error,
    _parse_event,
    _small_int,
)
