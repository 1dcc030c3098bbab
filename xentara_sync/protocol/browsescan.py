"""Large browse answers read by a byte pattern, without a CBOR decoder.

A snapshot (or a client's first browse) of a big model gets one message listing
every element: 100,000 entries ``{0: key, 1: 37(uuid), 2: category}``. Decoded by
cbor2, each entry is a map, a text, a tag call and a UUID before
:func:`~.replies.browse_entries` makes its :class:`~.index.ElementInfo` of them
(about 0.5 s of the client's CPU for 100,000 on a slow machine). Such an entry has
one form, byte for byte, as Xentara and the simulator send it::

    a3 00 <text head> <key>       {0: "key",
    01 d8 25 50 <16 bytes>         1: 37(h'...'),
    02 <category>                  2: n}

so :func:`scan_browse` finds all entries of a message holding one successful answer
with one compiled regular expression (:meth:`re.Pattern.findall`, in C) and builds
the entries with C-level loops (``map``): the answer's result is then a
:class:`BrowseEntries`, the list of :class:`~.index.ElementInfo` that
:func:`~.replies.browse_entries` would make of the decoded result (it takes such a
list as it is).

Only that form is read: the keys below 256 bytes of UTF-8 in the shortest head,
the categories below 24. The entries found must be as many as the array's head
says, each key as long as its head says and valid UTF-8, and together they must
tile the message from the end of the array's head to its last byte; anything else
(another packet in the message, another key order, a long or broken key, an odd
category, a message of fewer than :data:`FEWEST` entries) gives ``None``, and the
message takes the decoder's path (:func:`~.messages.parse_message`), which names
what is wrong. A key cannot end early by accident: the bytes ``01 d8 25`` never
occur in UTF-8 text (``d8`` starts a character that ``25`` cannot continue).

>>> import uuid
>>> from xentara_sync.protocol import Success, encode_message
>>> entries = [{0: f"Plant.Point {n}", 1: uuid.UUID(int=n), 2: 2} for n in range(FEWEST)]
>>> scanned = scan_browse(encode_message([Success(7, entries)]))
>>> scanned[0].message_id, scanned[0].result[3]
(7, ElementInfo(key='Plant.Point 3', uuid=UUID('00000000-0000-0000-0000-000000000003'), \
category=<Category.DATA_POINT: 2>))
>>> scan_browse(encode_message([Success(7, entries[:2])])) is None  # few: decoded as usual
True
"""

from __future__ import annotations

import re
from itertools import repeat
from typing import Any, Final

from .bulk import uuid_from_bytes
from .ids import Category
from .index import ElementInfo
from .packets import Success

__all__ = ["FEWEST", "BrowseEntries", "scan_browse"]

#: The fewest entries a message must hold to be scanned (smaller ones are decoded:
#: the pattern pays off only for many).
FEWEST: Final = 64


class BrowseEntries(list[ElementInfo]):
    """A browse answer's result read by :func:`scan_browse`: its entries as the
    :class:`~.index.ElementInfo` that :func:`~.replies.browse_entries` makes of the
    decoded entries, in the server's order."""

    __slots__ = ()


#: One entry; the groups: the key's text head, the key, the UUID's bytes, the category.
_ENTRY: Final = re.compile(
    rb"\xa3\x00([\x60-\x77]|\x78[\x18-\xff])(.*?)\x01\xd8\x25\x50(.{16})\x02([\x00-\x17])",
    re.DOTALL,
)
_find_entries: Final = _ENTRY.findall
#: Each key's text head -> the key's length in bytes.
_KEY_LENGTHS: Final = {
    **{bytes([0x60 + n]): n for n in range(24)},
    **{bytes([0x78, n]): n for n in range(24, 256)},
}
#: The bytes of an entry besides its key's head and its key.
_ENTRY_REST: Final = 24


#: Each category's byte -> the category (a number this package does not know as it is,
#: as :func:`~.replies.browse_entries` gives it).
def _category(number: int) -> Any:
    try:
        return Category(number)
    except ValueError:
        return number


_CATEGORIES: Final[dict[bytes, Any]] = {bytes([n]): _category(n) for n in range(24)}
#: Bytes of a head's argument after its initial byte, by the initial byte's low bits.
_WIDTHS: Final = {24: 1, 25: 2, 26: 4}
_tuple_new: Final = tuple.__new__


def _head(data: bytes, position: int, major: int) -> tuple[int, int]:
    """The argument of the CBOR head of *major* type (its initial byte's top bits)
    at *position*, below 2**32, and where the head ends; (-1, position) if not so."""
    initial = data[position]
    if initial >> 5 != major:
        return -1, position
    low = initial & 31
    if low < 24:
        return low, position + 1
    width = _WIDTHS.get(low)
    if width is None:
        return -1, position
    end = position + 1 + width
    return int.from_bytes(data[position + 1 : end], "big"), end


def scan_browse(data: bytes) -> list[Success] | None:
    """The one packet of the message *data*, a successful browse answer in the
    usual form, with its result a :class:`BrowseEntries`; None if the message is
    not so (then it is decoded as any other)."""
    if len(data) < 4 + FEWEST * _ENTRY_REST or data[0] != 0x81 or data[1:3] != b"\x83\x01":
        return None
    message_id, position = _head(data, 3, 0)
    if message_id < 0:
        return None
    count, start = _head(data, position, 4)
    if count < FEWEST:
        return None
    found = _find_entries(data, start)
    if len(found) != count:
        return None
    heads, keys, uuids, categories = zip(*found, strict=True)
    # The entries tile the rest of the message: no byte skipped, none left over.
    size = sum(map(len, heads)) + sum(map(len, keys)) + _ENTRY_REST * count
    if size != len(data) - start:
        return None
    if list(map(len, keys)) != list(map(_KEY_LENGTHS.__getitem__, heads)):
        return None
    try:
        texts = list(map(bytes.decode, keys))  # UTF-8, strictly
    except UnicodeDecodeError:
        return None
    entries = BrowseEntries(
        map(
            _tuple_new,
            repeat(ElementInfo),
            zip(
                texts,
                map(uuid_from_bytes, uuids),
                map(_CATEGORIES.__getitem__, categories),
                strict=True,
            ),
        )
    )
    return [_tuple_new(Success, (message_id, entries))]
