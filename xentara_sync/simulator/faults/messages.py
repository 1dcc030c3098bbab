"""What the faults send: broken answers, floods and connecting answers, with no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Final

from ...exceptions import InvalidArgument

__all__ = [
    "ANSWERS",
    "FLOOD_ELEMENT",
    "MODES",
    "answer",
    "browses",
    "connect_answers",
    "events_message",
    "flood_messages",
    "shared_reference_bomb",
]

#: The element the changes of :func:`events_message` and :func:`flood_messages` are about.
FLOOD_ELEMENT: Final = uuid.UUID(int=42)


def _head(major: int, value: int) -> bytes:
    """The head of a CBOR item, written out by hand."""
    if value < 24:
        return bytes((major << 5 | value,))
    for code, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 256**width:
            return bytes((major << 5 | code,)) + value.to_bytes(width, "big")
    raise InvalidArgument(f"value: too large for a CBOR head, {value}")


def shared_reference_bomb(levels: int = 24) -> bytes:
    """A message whose answer is a CBOR shared-reference bomb of *levels* levels.

    ``28([28([... 28(["lol", "lol"]) ..., 29(levels - 1)]), 29(1)])``: level *i*
    (shareable index *i*) is an array of level *i + 1* and a reference to it, so the
    innermost pair of strings is reachable along 2**levels paths, in a few hundred
    bytes.

    >>> len(shared_reference_bomb(24)) < 200
    True
    """
    item = _head(6, 28) + _head(4, 2) + b"\x63lol\x63lol"
    for index in range(levels - 1, 0, -1):
        item = _head(6, 28) + _head(4, 2) + item + _head(6, 29) + _head(0, index)
    return _head(4, 1) + _head(4, 3) + b"\x01\x07" + item  # [[1, 7, bomb]]: a success


def _not_packets(message: bytes) -> bytes:
    import cbor2

    return bytes(cbor2.dumps({"hello": "world"}))


def _huge_broken_packet(message: bytes) -> bytes:
    import cbor2

    return bytes(cbor2.dumps([[1, b"x" * 1_000_000, 1, 2, 3]]))


#: What :class:`.FaultyServer` answers to each message, by mode (``None``: nothing).
#: Besides these, mode ``"close"`` closes the connection at the first message and
#: ``"flood"`` answers a client's connecting requests, then floods it.
ANSWERS: Final[dict[str, Callable[[bytes], bytes | None]]] = {
    # Not CBOR at all.
    "garbage": lambda message: b"\xff\xfe\xfd",
    # CBOR, but not an array of packets.
    "not-packets": _not_packets,
    # A broken packet quoting a large byte string (a 1 MB answer).
    "huge-broken-packet": _huge_broken_packet,
    # A CBOR shared-reference bomb: 24 levels, each twice the one below.
    "shared-reference-bomb": lambda message: shared_reference_bomb(24),
    # Nothing: the client waits for its answer.
    "silent": lambda message: None,
}
#: Every mode of :class:`.FaultyServer`.
MODES: Final = (*ANSWERS, "close", "flood")


def answer(mode: str, message: bytes) -> bytes | None:
    """What a :class:`.FaultyServer` in *mode* answers to *message* (``None``: nothing).

    >>> answer("garbage", b"")
    b'\\xff\\xfe\\xfd'
    >>> answer("silent", b"") is None
    True
    """
    try:
        return ANSWERS[mode](message)
    except KeyError:
        raise InvalidArgument(f"mode: one of {', '.join(ANSWERS)}, not {mode!r}") from None


def connect_answers(message: bytes) -> bytes:
    """The answers to a client's connecting requests (hello, server information,
    look-up of the root, browse): every request succeeds; the model is empty.

    >>> from xentara_sync.protocol import Opcode, Request, decode_message, encode_message
    >>> hello = encode_message([Request(1, Opcode.CLIENT_HELLO, {0: 1})])
    >>> decode_message(connect_answers(hello))[0].message_id
    1
    """
    from ...protocol import Opcode, Request, Success, decode_message, encode_message

    answers = []
    for request in decode_message(message):
        if not isinstance(request, Request):
            continue
        result: object = None
        if request.opcode == Opcode.LOOKUP:
            result = uuid.UUID(int=1)
        elif request.opcode == Opcode.BROWSE:
            result = []
        elif request.opcode == Opcode.SERVER_INFORMATION:
            result = {}
        answers.append(Success(request.message_id, result))
    return encode_message(answers)


def browses(message: bytes) -> bool:
    """Whether *message* holds a browse request: a connecting client's last one."""
    from ...protocol import Opcode, Request, decode_message

    return any(
        isinstance(r, Request) and r.opcode == Opcode.BROWSE for r in decode_message(message)
    )


def events_message(size: int, element: uuid.UUID = FLOOD_ELEMENT) -> bytes:
    """One message of value changes of *element*, about *size* bytes long.

    >>> 90_000 < len(events_message(100_000)) <= 100_000
    True
    """
    from ...protocol import DataChange, TimePoint, encode_message

    if size < 1:
        raise InvalidArgument(f"size: a number of bytes of at least 1, not {size!r}")
    stamp = TimePoint(1_700_000_000_000_000_000)
    one = len(encode_message([DataChange(stamp, element, {11: 1_000_000})]))
    count = max(1, size // (one - 1))
    return encode_message([DataChange(stamp, element, {11: 1_000_000 + i}) for i in range(count)])


def flood_messages(count: int = 3, events: int = 300_000) -> list[bytes]:
    """*count* messages of *events* value changes each (about 13 MB a message with
    the defaults), for ``FaultyServer("flood", flood_messages())``."""
    from ...protocol import DataChange, TimePoint, encode_message

    stamp = TimePoint(1_700_000_000_000_000_000)
    changes = [DataChange(stamp, FLOOD_ELEMENT, {11: i}) for i in range(events)]
    message = encode_message(changes)
    return [message] * count
