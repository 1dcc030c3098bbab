"""The fast path of a batch of ``meta_data`` requests (what a snapshot sends).

A snapshot asks for the metadata of every element, a thousand per message. Through
the general path each request costs a decoded packet, a :class:`uuid.UUID`, a
result dict and the general encoder: about 25 µs, most of the simulator's share of
a snapshot. :func:`answer_meta_data` matches a message of requests of the form
``[0, id, 2, {0: 37(uuid), 1: [small item numbers...]}]`` byte for byte (the form
every client of this project sends, like :mod:`.fastread` for reads) and frames the
answers by hand; the encoded result is cached per kind of element (attribute table,
category, whether it has children, items asked), unless the items hold the primary
key. It returns ``None`` whenever the general path must answer: another request in
the message, an unknown element (the model root included), an item that is not a
meta_data item or is repeated, or an answer that would pass *limit* bytes.

``tests/simulator/test_fastmeta.py`` checks that both paths give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from ..protocol import MetaData, MetaDataParam, Opcode, PacketType, encode
from ..protocol.framing import _head
from ..protocol.tags import TAG_UUID
from .commands import _META_DATA
from .elements import Element
from .fastread import _size, _success

__all__ = ["answer_meta_data"]

#: One meta_data request: message id, element UUID, item array head and its items.
_REQUEST: Final = re.compile(
    re.escape(_head(0x80, 4) + _head(0, PacketType.REQUEST))
    + rb"([\x00-\x17]|\x18.|\x19..|\x1a....|\x1b........)"
    + re.escape(
        _head(0, Opcode.META_DATA)
        + _head(0xA0, 2)
        + _head(0, MetaDataParam.ELEMENT)
        + _head(0xC0, TAG_UUID)
        + _head(0x40, 16)
    )
    + rb"(.{16})"
    + re.escape(_head(0, MetaDataParam.ITEMS))
    + rb"([\x81-\x97])([\x00-\x03]*)",
    re.DOTALL,
)
#: The same, the whole request its first group: a message's requests found at once.
_find_requests: Final = re.compile(b"(" + _REQUEST.pattern + b")", re.DOTALL).findall
_PRIMARY_KEY: Final = int(MetaData.PRIMARY_KEY)
_CACHE_LIMIT: Final = 4096
_cache: dict[tuple[Any, ...], bytes] = {}


def _result(element: Element, items: bytes) -> bytes:
    """The encoded result map of *items* for *element*."""
    if _PRIMARY_KEY in items:
        return encode({item: _META_DATA[item](element) for item in items})
    kind = (id(element.table), element.category, bool(element.children), items)
    found = _cache.get(kind)
    if found is None:
        found = encode({item: _META_DATA[item](element) for item in items})
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[kind] = found
    return found


def answer_meta_data(
    elements: Mapping[bytes, Element], data: bytes, limit: int = 1 << 62
) -> tuple[bytes, int] | None:
    """The response message to *data* and the number of requests it answers, if
    *data* holds meta_data requests only and the answer takes at most *limit*
    bytes; else ``None`` (*elements*: see :func:`.fastread.element_index`)."""
    if len(data) < 3:
        return None
    first = data[0]
    if 0x81 <= first <= 0x97:
        count, position = first - 0x80, 1
    elif first == 0x98:
        count, position = data[1], 2
    elif first == 0x99:
        count, position = int.from_bytes(data[1:3], "big"), 3
    else:
        return None
    if not count:
        return None
    # Every request at once (in C); they must follow each other to the last byte.
    found = _find_requests(data, position)
    if len(found) != count or _size(found) != len(data) - position:
        return None
    parts: list[bytes] = [_head(0x80, count)]
    append = parts.append
    get = elements.get
    cache = _cache
    for _, message_id, element_uuid, array, items in found:
        element = get(element_uuid)
        size = len(items)
        if element is None or size != array[0] - 0x80 or len(set(items)) != size:
            return None
        prefix = _success(message_id)
        cached = (
            None
            if _PRIMARY_KEY in items
            else cache.get((id(element.table), element.category, bool(element.children), items))
        )
        result = cached if cached is not None else _result(element, items)
        limit -= len(result)
        if limit < 0:
            return None
        append(prefix)
        append(result)
    return b"".join(parts), count
