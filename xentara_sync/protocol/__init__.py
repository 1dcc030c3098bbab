"""The Xentara WebSocket protocol, sans I/O: identifiers, CBOR codec and packets.

Nothing here opens a socket, runs an event loop or starts a thread; the client
flavours and the simulator drive I/O around it. Small modules, each with one job,
whose public names are importable from here too:

- :mod:`~xentara_sync.protocol.ids`: every number that travels on the wire;
- :mod:`~xentara_sync.protocol.tags`: the CBOR tags of the protocol;
- :mod:`~xentara_sync.protocol.timepoint`: :class:`TimePoint`, nanosecond instants;
- :mod:`~xentara_sync.protocol.values`: ``121``/``122`` wrapped values
  (:func:`wrap`, :func:`unwrap`, :func:`fault`, :class:`AttributeFault`);
- :mod:`~xentara_sync.protocol.cbor`: :func:`encode` and :func:`decode`, which
  refuses every tag the protocol does not use;
- :mod:`~xentara_sync.protocol.packets`: typed packets, :func:`parse_packet`,
  :func:`encode_message` and :func:`decode_message`;
- :mod:`~xentara_sync.protocol.framing`: hand-framed fast encoding
  (:func:`encode_read`, :func:`encode_request`, :func:`encode_hand_framed`,
  :func:`hand_framed_message`, :func:`frame_requests`, :func:`join_packets`);
- :mod:`~xentara_sync.protocol.quoting`: input quoted in error messages, capped.

Above them, the client's side of a connection: :mod:`.index` (what a client knows
of the elements), :mod:`.plan` and :mod:`.plans` (each operation's requests and
how its answers become its result), :mod:`.control`, :mod:`.replies`,
:mod:`.session` (one connection's state); :mod:`.arguments` and
:mod:`.valuecheck` hold the checks of arguments and written values.

>>> from xentara_sync.protocol import Request, Opcode, encode_message
>>> encode_message([Request(1, Opcode.CLIENT_HELLO, {0: 1, 1: 1})]).hex()
'818400010ea200010101'
"""

from . import ids
from .cbor import decode, encode
from .framing import (
    encode_hand_framed,
    encode_read,
    encode_request,
    frame_requests,
    hand_framed_message,
    join_packets,
)
from .ids import *  # noqa: F403  (every identifier table)
from .packets import (
    DataChange,
    Failure,
    Packet,
    Request,
    Success,
    decode_message,
    encode_message,
    encode_packet,
    parse_packet,
)
from .tags import Tag, TimeKey
from .timepoint import TimePoint
from .values import AttributeFault, fault, unwrap, unwrap_attributes, wrap

__all__ = [
    *ids.__all__,
    "AttributeFault",
    "DataChange",
    "Failure",
    "Packet",
    "Request",
    "Success",
    "Tag",
    "TimeKey",
    "TimePoint",
    "decode",
    "decode_message",
    "encode",
    "encode_message",
    "encode_packet",
    "encode_hand_framed",
    "hand_framed_message",
    "encode_read",
    "encode_request",
    "fault",
    "frame_requests",
    "join_packets",
    "parse_packet",
    "unwrap",
    "unwrap_attributes",
    "wrap",
]
