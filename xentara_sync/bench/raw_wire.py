"""What the hand-written contenders send and receive: plain lists and maps in cbor2.

This is what a user writes without this package: the packets as plain CBOR arrays
and maps, with the protocol's numbers named by the IntEnums of
:mod:`xentara_sync.protocol.ids`. The hot path (a read request and its answer) uses
their plain :class:`int` values, taken once here, so that encoding a read costs
what it costs a user who writes the numbers.

>>> import uuid
>>> element = uuid.UUID(int=7)
>>> cbor2.loads(read_request(3, element)) == [
...     [PacketType.REQUEST, 3, Opcode.READ, {ReadParam.ELEMENT: element,
...                                           ReadParam.ATTRIBUTES: [Attribute.VALUE]}]
... ]
True
>>> response(cbor2.dumps([[PacketType.SUCCESS, 3, element]]), 3, Opcode.LOOKUP)
(True, UUID('00000000-0000-0000-0000-000000000007'))
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Final

import cbor2

from ..core.endpoint import Endpoint, make_ssl_context
from ..protocol import PROTOCOL_VERSION
from ..protocol.ids import (
    Attribute,
    ClientHelloParam,
    EventKey,
    LookupParam,
    Opcode,
    PacketType,
    ReadParam,
    SubscribeItemKey,
    SubscribeParam,
    UnsubscribeParam,
)
from .plan import BenchError

__all__ = [
    "HELLO",
    "changes",
    "connect_options",
    "lookup_params",
    "read_request",
    "read_value",
    "request",
    "response",
    "subscribe_params",
    "unsubscribe_params",
]


#: The ``client_hello`` parameters: the one protocol version this package speaks.
HELLO: Final[dict[int, Any]] = {
    ClientHelloParam.MINIMUM_VERSION: PROTOCOL_VERSION,
    ClientHelloParam.MAXIMUM_VERSION: PROTOCOL_VERSION,
}

# The numbers of a read, as plain ints for the hot path.
_REQUEST: Final = int(PacketType.REQUEST)
_READ: Final = int(Opcode.READ)
_ELEMENT: Final = int(ReadParam.ELEMENT)
_ATTRIBUTES: Final = int(ReadParam.ATTRIBUTES)
_VALUE: Final = int(Attribute.VALUE)
_ANSWERS: Final = (PacketType.SUCCESS, PacketType.ERROR)


def connect_options(url: str, verify_ssl: bool) -> tuple[str, dict[str, Any]]:
    """The URL to open (without credentials) and the keyword arguments of ``connect``.

    The same for ``websockets.asyncio.client.connect`` and
    ``websockets.sync.client.connect``: Basic credentials as a header, TLS for
    ``wss://``, no compression, no message size limit, no proxy.
    """
    endpoint = Endpoint.parse(url)
    return endpoint.url, {
        "additional_headers": endpoint.headers(),
        "ssl": make_ssl_context(verify_ssl) if endpoint.secure else None,
        "compression": None,
        "max_size": None,
        "proxy": None,
    }


def request(message_id: int, opcode: Opcode, params: dict[int, Any]) -> bytes:
    """One request as a WebSocket message of its own."""
    return cbor2.dumps([[PacketType.REQUEST, message_id, opcode, params]])


def response(data: bytes, message_id: int, opcode: Opcode) -> tuple[bool, Any]:
    """Whether the message *data* answers request *message_id*, and the result if so.

    Other packets (events, answers to other requests) are skipped. An error response
    raises :class:`~xentara_sync.bench.BenchError`.
    """
    for packet in cbor2.loads(data):
        if packet[0] in _ANSWERS and packet[1] == message_id:
            if packet[0] == PacketType.ERROR:
                raise BenchError(f"the raw {opcode.name.lower()} request failed: {packet[2]!r}")
            return True, packet[2] if len(packet) > 2 else None
    return False, None


def read_request(message_id: int, element: uuid.UUID) -> bytes:
    """A read of *element*'s value, as a WebSocket message of its own."""
    return cbor2.dumps([[_REQUEST, message_id, _READ, {_ELEMENT: element, _ATTRIBUTES: [_VALUE]}]])


def read_value(data: bytes) -> Any:
    """The value in *data*, the answer to a read of one value (its only packet)."""
    ((_kind, _message_id, result),) = cbor2.loads(data)
    return result[_VALUE].value


def lookup_params(key: str) -> dict[int, Any]:
    """The ``lookup`` parameters for the element with primary key *key*."""
    return {LookupParam.PRIMARY_KEY: key}


def subscribe_params(elements: Sequence[uuid.UUID], subscription: uuid.UUID) -> dict[int, Any]:
    """The ``subscribe`` parameters for the values of *elements*: no throttle, no heartbeat."""
    items = [
        {SubscribeItemKey.ELEMENT: element, SubscribeItemKey.ATTRIBUTES: [Attribute.VALUE]}
        for element in elements
    ]
    return {SubscribeParam.ITEMS: items, SubscribeParam.DESIRED_ID: subscription}


def unsubscribe_params(subscription: uuid.UUID) -> dict[int, Any]:
    """The ``unsubscribe`` parameters that end *subscription*."""
    return {UnsubscribeParam.SUBSCRIPTION: subscription}


def changes(data: bytes) -> int:
    """The attribute changes carried by the event packets of the message *data*."""
    count = 0
    for packet in cbor2.loads(data):
        if packet[0] == PacketType.EVENT:
            count += len(packet[2].get(EventKey.ATTRIBUTES, ()))
    return count
