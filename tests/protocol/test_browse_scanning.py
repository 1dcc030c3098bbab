"""Large browse answers read by a byte pattern (protocol.browsescan): the entries
equal the decoder's, and every message not in the usual form takes the decoder's
path, unchanged."""

from __future__ import annotations

import pickle
import uuid
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xentara_sync.exceptions import ProtocolError
from xentara_sync.protocol import Category, Failure, Success, encode_message
from xentara_sync.protocol.browsescan import FEWEST, BrowseEntries, scan_browse
from xentara_sync.protocol.bulk import _make_uuid_from_bytes, uuid_from_bytes
from xentara_sync.protocol.messages import decode_message, parse_message
from xentara_sync.protocol.replies import browse_entries


def entries_of(count: int, key: str = "Plant.Group {n}.Point", category: int = 2) -> list[Any]:
    return [
        {0: key.format(n=n) + f" {n}", 1: uuid.UUID(int=n * 7919), 2: category}
        for n in range(count)
    ]


def decoded(data: bytes) -> list[Any]:
    """What the decoder's path makes of the message: its packets, the entries read."""
    packets = decode_message(data)
    return [
        (type(p), p.message_id, list(browse_entries(p.result))) if type(p) is Success else p
        for p in packets
    ]


def scanned(data: bytes) -> list[Any]:
    """What the scan makes of the message (parse_message scans only large ones)."""
    packets: list[Any] = scan_browse(data) or parse_message(data)
    return [
        (type(p), p.message_id, list(browse_entries(p.result))) if type(p) is Success else p
        for p in packets
    ]


def test_a_big_browse_answer_is_scanned_into_its_entries() -> None:
    data = encode_message([Success(70_000, entries_of(5000))])
    packets = parse_message(data)
    assert len(packets) == 1 and type(packets[0]) is Success
    result = packets[0].result
    assert type(result) is BrowseEntries  # the fast path, not the decoder's
    assert scanned(data) == decoded(data)
    assert result[4999].key == "Plant.Group 4999.Point 4999"
    assert result[4999].category is Category.DATA_POINT


# Up to 360 bytes of UTF-8 (long keys take the decoder's path), and the bytes of
# the entry's other parts among the characters.
keys = st.text(st.sampled_from("Pa.t 0\x01\x02%P\xd8\u00e9\u20ac\U0001f600"), max_size=90)
entry = st.tuples(keys, st.uuids(), st.integers(min_value=0, max_value=40), st.booleans()).map(
    lambda t: {0: t[0], 1: t[1], 2: t[2]} if t[3] else {1: t[1], 0: t[0], 2: t[2]}
)


@settings(max_examples=40, deadline=None)
@given(st.lists(entry, min_size=FEWEST, max_size=FEWEST + 20), st.integers(0, 2**32 - 1))
def test_any_browse_answer_gives_the_entries_the_decoder_gives(
    entries: list[Any], message_id: int
) -> None:
    data = encode_message([Success(message_id, entries)])
    assert scanned(data) == decoded(data)
    # The usual form is scanned (the fast path is taken), any other is not.
    fits = all(len(e[0].encode()) < 256 and e[2] < 24 and list(e) == [0, 1, 2] for e in entries)
    assert (scan_browse(data) is not None) == fits


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=16, max_size=16))
def test_uuids_made_from_bytes_equal_those_of_the_uuid_class(content: bytes) -> None:
    made, expected = uuid_from_bytes(content), uuid.UUID(bytes=content)
    assert type(made) is uuid.UUID
    assert made == expected and hash(made) == hash(expected)
    assert (str(made), repr(made), made.is_safe) == (
        str(expected),
        repr(expected),
        expected.is_safe,
    )
    assert pickle.loads(pickle.dumps(made)) == expected
    # CPython's UUID has the slots: the fast way is the one taken.
    assert uuid_from_bytes.__name__ == "from_content"


def test_uuids_from_bytes_fall_back_to_the_class_where_its_slots_differ() -> None:
    class NoSlots(uuid.UUID):  # its own __dict__ has no 'int' slot: the class itself
        __slots__ = ()

    made = _make_uuid_from_bytes(NoSlots)(bytes(range(16)))
    assert type(made) is NoSlots and made == uuid.UUID(bytes=bytes(range(16)))

    class Odd(uuid.UUID):  # slots, but the class makes another value: the class itself
        __slots__ = ("int", "is_safe")

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            object.__setattr__(self, "int", self.int ^ 1)

    odd = _make_uuid_from_bytes(Odd)(bytes(16))
    assert type(odd) is Odd and odd.int == 1


def _message(body: bytes, count: int, message_id: int = 5) -> bytes:
    """A success packet of *message_id* whose result is an array of *count* items
    whose bytes are *body*, alone in a message."""
    head = cbor2.dumps([None] * count)[:-count]
    return b"\x81\x83\x01" + cbor2.dumps(message_id) + head + body


def _entry(key: bytes, category: bytes = b"\x02", key_head: bytes | None = None) -> bytes:
    head = (
        key_head
        if key_head is not None
        else cbor2.dumps(key.decode("utf-8", "replace"))[: -len(key) or None]
    )
    return b"\xa3\x00" + head + key + b"\x01\xd8\x25\x50" + bytes(16) + b"\x02" + category


USUAL = [_entry(f"Point {n}".encode()) for n in range(FEWEST)]


def test_the_hand_made_usual_form_is_scanned() -> None:
    data = _message(b"".join(USUAL), FEWEST)
    assert scan_browse(data) is not None
    assert scanned(data) == decoded(data)


@pytest.mark.parametrize(
    "data",
    [
        # A key that is not UTF-8: the decoder names it.
        _message(b"".join([_entry(b"Bad \xff"), *USUAL[1:]]), FEWEST),
        # A key head that says 6 bytes where the key has 7 (valid UTF-8 both).
        _message(b"".join([_entry(b"Point 0", key_head=b"\x66"), *USUAL[1:]]), FEWEST),
        # A key head that says 8: the key swallows the next byte.
        _message(b"".join([_entry(b"Point 0", key_head=b"\x68"), *USUAL[1:]]), FEWEST),
        # A key in a head longer than needed (cbor2 reads it, the pattern does not).
        _message(b"".join([_entry(b"Point 0", key_head=b"\x78\x07"), *USUAL[1:]]), FEWEST),
        # A category of 24 and up.
        _message(b"".join([_entry(b"Point 0", b"\x18\x30"), *USUAL[1:]]), FEWEST),
        # The keys of an entry in another order.
        _message(
            b"".join([b"\xa3\x01\xd8\x25\x50" + bytes(16) + b"\x00\x61A\x02\x02", *USUAL[1:]]),
            FEWEST,
        ),
        # One entry fewer than the head says, or one more.
        _message(b"".join(USUAL[1:]), FEWEST),
        _message(b"".join([*USUAL, USUAL[0]]), FEWEST),
        # A byte left over after the entries, or between them.
        _message(b"".join(USUAL) + b"\x00", FEWEST),
        _message(b"".join([USUAL[0], b"\x00", *USUAL[1:]]), FEWEST),
        # Too few entries to scan.
        _message(b"".join(USUAL[:3]), 3),
    ],
    ids=[
        "not-utf8",
        "short-head",
        "long-head",
        "wide-head",
        "big-category",
        "key-order",
        "fewer",
        "more",
        "trailing",
        "gap",
        "few",
    ],
)
def test_messages_not_in_the_usual_form_take_the_decoders_path(data: bytes) -> None:
    assert scan_browse(data) is None
    packets = parse_message(data)
    assert repr(packets) == repr(decode_message(data))
    assert all(type(p.result) is not BrowseEntries for p in packets if type(p) is Success)


def test_a_broken_key_in_a_large_message_fails_as_the_decoder_says() -> None:
    data = _message(b"".join([_entry(b"Bad \xff"), *USUAL[1:] * 40]), FEWEST * 40 - 39)
    assert len(data) > 1 << 16  # parse_message tries the scan on it
    (packet,) = parse_message(data)
    assert isinstance(packet, ProtocolError)
    assert repr(packet) == repr(decode_message(data)[0])


def test_a_browse_answer_beside_other_packets_is_decoded() -> None:
    data = encode_message([Success(5, entries_of(FEWEST * 40)), Failure(6, -32100, "no")])
    assert scan_browse(data) is None
    assert scanned(data) == decoded(data)
