"""A snapshot's answer messages in the usual form, read by byte patterns. Sans I/O.

Each chunk of a snapshot gets two messages of 100 answers (see :mod:`.plans`): the
``meta_data`` of its elements, and their first reads. Decoded by cbor2 and taken
one by one (:func:`~xentara_sync.protocol.messages.answers_in`, then
:meth:`~.twin.TwinBuilder.add_metadata` or :meth:`~.twin.TwinBuilder.add_value`
each), they cost the client about a second of a 100,000-element snapshot. Most
answers have one form, byte for byte:

- a data point's first read, from a server whose registers are the twin's own
  kind (the simulator)::

      83 01 <id> a3                      [1, id, {
      0b d8 79 <value>                     11: 121(value),
      03 d8 79 68 "register"               3: 121("register"),
      09 d8 79 00                          9: 121(0)}]

  which leaves the twin nothing to keep but the value; another element's first
  read ``83 01 <id> a1 03 d8 79 <text>`` (its ``type``);
- a ``meta_data`` answer whose result's bytes are those of one met before (most
  elements share a few attribute lists; :func:`~xentara_sync.protocol.bulk.answers`
  fills the cache of them, the ``alike`` answers).

:func:`scan_reads` and :func:`scan_metadata` read a whole message of such answers
with one compiled regular expression each (the values through
:func:`~xentara_sync.protocol.eventscan.value_of`, as events are read), and return
its message ids and what applies the answers to the twin once the batch
(:class:`~xentara_sync.core.pipeline._Batch`) has matched the ids to its requests.
The answers found must tile the message from the end of its head to its last byte,
and be as many as the head says; the batch takes the message only if every answer
is one of its own, each once, not answered before; applying checks that each
element is of the kind its answer is for. Anything else (a failure, an event or a
stray answer in the message, another value form, a type name or quality of another
kind, a new attribute list) leaves the whole message to the decoder's path, which
takes it as before: the twin is the same either way.
"""

from __future__ import annotations

import functools
import operator
import re
import struct
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Final

from cbor2 import CBORTag

from ..protocol import Attribute, Category, Success
from ..protocol.eventscan import VALUE_PATTERN, value_of
from ..protocol.framing import _head
from ..protocol.index import ElementInfo
from ..protocol.tags import TAG_VALUE
from .twin import TwinBuilder

__all__ = ["Scanned", "metadata_scanner", "scan_metadata", "scan_reads"]

#: A scanned message: its answers' message ids, and ``apply(places)``, which takes
#: the answer of each id at its place among the plan's elements (the same order);
#: it returns False (nothing taken) if an element is not of the kind of its answer.
Scanned = tuple[list[int], Callable[[list[int]], bool]]

#: A message id: an unsigned integer below 2**32.
_ID: Final = rb"([\x00-\x17]|\x18.|\x19..|\x1a.{4})"
#: The ``struct`` format of a raw message id, by its length.
_ID_FORMATS: Final = {1: "B", 2: "xB", 3: "xH", 5: "xI"}
_from_bytes: Final = functools.partial(int.from_bytes, byteorder="big")
_SUCCESS: Final = b"\x83\x01"
_WRAP: Final = _head(0xC0, TAG_VALUE)
_VALUE_KEY: Final = _head(0, int(Attribute.VALUE))
_TYPE_KEY: Final = _head(0, int(Attribute.TYPE))
_QUALITY_KEY: Final = _head(0, int(Attribute.QUALITY))
#: The type name of the twin's registers, as the simulator names it.
_REGISTER_NAME: Final = "register"
_TEXTS: Final = b"|".join(b"\\x%02x.{%d}" % (0x60 + size, size) for size in range(24))
#: One first read's answer; the groups: the whole answer, its message id, a data
#: point's value, another element's type name.
_READ: Final = re.compile(
    b"("
    + re.escape(_SUCCESS)
    + _ID
    + b"(?:"
    + re.escape(b"\xa3" + _VALUE_KEY + _WRAP)
    + b"("
    + VALUE_PATTERN
    + b")"
    + re.escape(
        _TYPE_KEY
        + _WRAP
        + _head(0x60, len(_REGISTER_NAME))
        + _REGISTER_NAME.encode()
        + _QUALITY_KEY
        + _WRAP
        + _head(0, 0)
    )
    + b"|"
    + re.escape(b"\xa1" + _TYPE_KEY + _WRAP)
    + b"((?:"
    + _TEXTS
    + b")))"
    + b")",
    re.DOTALL,
)
_find_reads: Final = _READ.findall
_DATA_POINT: Final = Category.DATA_POINT
_TYPE: Final = int(Attribute.TYPE)
_tuple_new: Final = tuple.__new__
_category_of: Final = operator.attrgetter("category")
_number_of: Final = operator.attrgetter("uuid.int")


def _array(data: bytes) -> tuple[int, int]:
    """The item count of the array head that starts *data*, and where the head
    ends; (-1, 0) if *data* does not start with a definite array's head."""
    head = data[0] if data else 0
    if 0x80 <= head < 0x98:
        return head - 0x80, 1
    width = {0x98: 1, 0x99: 2, 0x9A: 4}.get(head)
    if width is None:
        return -1, 0
    return _from_bytes(data[1 : 1 + width]), 1 + width


def _ids(raws: Sequence[bytes]) -> list[int]:
    """The message ids of the raw ids (head and argument) *raws*: one ``struct``
    call, each head skipped (``x``) but a head that is the id itself (``B``).

    >>> _ids([b"\\x07", b"\\x18\\xff", b"\\x19\\x01\\x00", b"\\x1a\\x00\\x01\\x00\\x00"])
    [7, 255, 256, 65536]
    """
    layout = ">" + "".join(map(_ID_FORMATS.__getitem__, map(len, raws)))
    return list(struct.unpack(layout, b"".join(raws)))


def _values_of(raws: Sequence[bytes]) -> list[Any]:
    """:func:`~xentara_sync.protocol.eventscan.value_of` of each of *raws* (None
    for ``b""``), each distinct one read once: the values of a chunk repeat (0,
    ``False``, ``""``), and an equal value's object serves each of its elements.

    >>> _values_of([b"\\x00", b"", b"\\x00", b"\\xf5"])
    [0, None, 0, True]
    """
    distinct = dict.fromkeys(raws)
    for raw in distinct:
        if raw:
            distinct[raw] = value_of(raw)
    return list(map(distinct.__getitem__, raws))


def scan_reads(twin: TwinBuilder, elements: Sequence[ElementInfo], data: bytes) -> Scanned | None:
    """The first reads of *elements* (a chunk's, in request order) in the message
    *data*, if all its answers are in the usual form (see above); else None."""
    count, start = _array(data)
    if count <= 0:
        return None
    found = _find_reads(data, start)
    if len(found) != count:
        return None
    wholes, raw_ids, raw_values, raw_types = zip(*found, strict=True)
    if sum(map(len, wholes)) != len(data) - start:
        return None
    try:
        values = _values_of(raw_values)
        types = _values_of(raw_types)
    except Exception:  # text that is not UTF-8: the decoder's path says so
        return None
    message_ids = _ids(raw_ids)

    def apply(places: list[int]) -> bool:
        taken = list(map(elements.__getitem__, places))
        points = list(map(bool, raw_values))  # a data point's answer holds a value
        if [category == _DATA_POINT for category in map(_category_of, taken)] != points:
            return False
        if all(points):  # the usual chunk: values alone
            twin._values.update(zip(map(_number_of, taken), values, strict=True))
            return True
        table = twin._values
        for element, is_point, value, name, message_id in zip(
            taken, points, values, types, message_ids, strict=True
        ):
            if is_point:
                table[element.uuid.int] = value
            else:  # rare: a group's or device's type name (kept if not the twin's own)
                result = {_TYPE: CBORTag(TAG_VALUE, name)}
                twin.add_value(element, _tuple_new(Success, (message_id, result)))
        return True

    return message_ids, apply


class _MetadataPattern:
    """The pattern of the ``meta_data`` answers whose results' bytes are in a cache
    (*alike*), made again when the cache has changed."""

    __slots__ = ("find", "known")

    def __init__(self) -> None:
        self.known: frozenset[bytes] = frozenset()
        self.find: Callable[[bytes, int], list[Any]] | None = None

    def __call__(self, alike: dict[bytes, Any]) -> Callable[[bytes, int], list[Any]] | None:
        if len(alike) != len(self.known) or not self.known.issuperset(alike):
            self.known = frozenset(alike)
            self.find = (
                re.compile(
                    b"(" + re.escape(_SUCCESS) + _ID + b"(" + _alternatives(self.known) + b"))",
                    re.DOTALL,
                ).findall
                if self.known
                else None
            )
        return self.find


def _alternatives(texts: frozenset[bytes]) -> bytes:
    """A pattern that matches each of *texts*, their common beginnings factored out
    (the results of ``meta_data`` answers share most of their bytes: each is
    compared once, not once per alternative).

    >>> pattern = re.compile(_alternatives(frozenset({b"abc", b"abd", b"b"})))
    >>> pattern.pattern, [pattern.fullmatch(t) is not None for t in (b"abd", b"b", b"ab")]
    (b'(?:ab(?:c|d)|b)', [True, True, False])
    """
    trie: dict[int | None, Any] = {}
    for text in texts:
        node = trie
        for byte in text:
            node = node.setdefault(byte, {})
        node[None] = {}  # a text ends here
    parts: list[bytes] = []

    def emit(node: dict[int | None, Any]) -> None:
        while len(node) == 1 and None not in node:  # a run of bytes without a branch
            ((single, node),) = node.items()
            parts.append(re.escape(bytes((single or 0,))))
        if len(node) == 1:  # the end (None) alone
            return
        parts.append(b"(?:")
        branches = sorted(node, key=lambda byte: 256 if byte is None else byte)  # the end last
        for number, byte in enumerate(branches):
            if number:
                parts.append(b"|")
            if byte is not None:
                parts.append(re.escape(bytes((byte,))))
                emit(node[byte])
        parts.append(b")")

    emit(trie)
    return b"".join(parts)


#: Each twin's pattern, which all its chunks share.
_PATTERNS: Final[weakref.WeakKeyDictionary[TwinBuilder, _MetadataPattern]] = (
    weakref.WeakKeyDictionary()
)


def metadata_scanner(twin: TwinBuilder) -> Callable[[Sequence[ElementInfo], bytes], Any]:
    """:func:`scan_metadata` for the chunks of *twin*, which share its pattern."""
    pattern = _PATTERNS.get(twin)
    if pattern is None:
        pattern = _PATTERNS[twin] = _MetadataPattern()
    return functools.partial(scan_metadata, twin, pattern)


def scan_metadata(
    twin: TwinBuilder, pattern: _MetadataPattern, elements: Sequence[ElementInfo], data: bytes
) -> Scanned | None:
    """The ``meta_data`` answers of *elements* (a chunk's, in request order) in the
    message *data*, if each result's bytes are those of one in the twin's cache of
    alike answers; else None. *pattern* is the chunks' shared
    :class:`_MetadataPattern`."""
    alike = twin.alike_answers
    find = pattern(alike)
    count, start = _array(data)
    if find is None or count <= 0:
        return None
    found = find(data, start)
    if len(found) != count:
        return None
    wholes, raw_ids, raw_results = zip(*found, strict=True)
    if sum(map(len, wholes)) != len(data) - start:
        return None
    message_ids = _ids(raw_ids)
    results = list(map(alike.__getitem__, raw_results))

    def apply(places: list[int]) -> bool:
        twin.add_results(list(map(elements.__getitem__, places)), results)
        return True

    return message_ids, apply
