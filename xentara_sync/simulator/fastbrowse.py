"""The full browse of a model, encoded once and framed by hand.

A snapshot browses the whole model: through the general encoder, 100,000 entries
take about 0.3 s of the simulator's time for every browse, while the client waits
for the answer. :func:`browse_bytes` encodes the entries (``{0: key, 1: 37(uuid),
2: category}`` each, as :class:`~.elements.Element` makes them) by hand, in a
third of that time, and the model keeps the bytes (:meth:`.model.Model.full_browse_bytes`):
the engine answers a browse of the whole model with the same bytes as the
general encoder would give (:func:`answer_bytes`), encoded once per model.

``tests/simulator/test_fastbrowse.py`` checks that both give the same bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Final

from ..protocol import Success, encode, encode_packet
from ..protocol.framing import _head
from ..protocol.ids import BrowseEntryKey
from ..protocol.tags import TAG_UUID

__all__ = ["answer_bytes", "browse_bytes"]

_KEYS: Final = (
    int(BrowseEntryKey.PRIMARY_KEY),
    int(BrowseEntryKey.ELEMENT),
    int(BrowseEntryKey.CATEGORY),
)
#: ``{0: `` and ``1: 37(h'`` (16 bytes follow) and ``2: ``.
_MAP: Final = _head(0xA0, 3) + _head(0, _KEYS[0])
_UUID: Final = _head(0, _KEYS[1]) + _head(0xC0, TAG_UUID) + _head(0x40, 16)
_CATEGORY: Final = [_head(0, _KEYS[2]) + _head(0, n) for n in range(24)]
#: Text heads of short texts (most keys): their length below 256.
_TEXT: Final = [_head(0x60, n) for n in range(0x100)]


def browse_bytes(entries: Sequence[dict[int, Any]]) -> bytes:
    """``encode(entries)``, the same bytes, made faster for the usual entries (an
    unusual one is encoded by the general encoder).

    >>> entry = {0: "Plant.Speed", 1: uuid.UUID(int=7), 2: 2}
    >>> browse_bytes([entry, {0: "Odd", 1: uuid.UUID(int=8), 2: 99}]) == encode(
    ...     [entry, {0: "Odd", 1: uuid.UUID(int=8), 2: 99}])
    True
    """
    parts: list[bytes] = [_head(0x80, len(entries))]
    append = parts.append
    keys, text_heads, categories = _KEYS, _TEXT, _CATEGORY
    for entry in entries:
        if type(entry) is dict and len(entry) == 3:
            # In the order of the keys (as Element makes them): the dict's order is
            # the encoding's.
            first, second, third = entry
            if (first, second, third) == keys:
                key = entry[first]
                element = entry[second]
                category = entry[third]
                if (
                    type(key) is str
                    and type(element) is uuid.UUID
                    and type(category) is int
                    and 0 <= category < 24
                ):
                    try:
                        data = key.encode("utf-8")
                    except UnicodeEncodeError:  # a lone surrogate: the encoder says so
                        data = b""
                    size = len(data)
                    if size < 0x100 and (data or not key):
                        append(_MAP)
                        append(text_heads[size])
                        append(data)
                        append(_UUID)
                        append(element.bytes)
                        append(categories[category])
                        continue
        append(encode(entry))
    return b"".join(parts)


def answer_bytes(message_id: Any, encoded: bytes) -> bytes:
    """The encoded success packet of *message_id* whose result's encoding is *encoded*.

    >>> answer_bytes(7, encode([1, 2])) == encode_packet(Success(7, [1, 2]))
    True
    """
    # A result of 0 is one byte, the last of the packet (None would be no result).
    return encode_packet(Success(message_id, 0))[:-1] + encoded
