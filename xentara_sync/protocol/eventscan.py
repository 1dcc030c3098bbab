"""Event messages read by a byte pattern, without a CBOR decoder.

The decision: a stream of events is the one place where the client's own decoding
is the limit (a test bench's 100 channels at 1 kHz make 100,000 events a second),
and cbor2 costs about half a microsecond for every object it builds, tags included,
however the tags are handled. An event packet, though, nearly always has one form,
byte for byte (reference §3.4, as Xentara and the simulator send it)::

    83 08 00 a3                          [8, 0, {  (an array of 3, a map of 3)
    00 d9 03e9 a1 04 c4 82 <exp> <int>   0: 1001({4: 4([exp, mantissa])}),
    01 d8 25 50 <16 bytes>               1: 37(h'...'),
    02 a1 <key> d8 79 <value>            2: {key: 121(value)}}]

so :func:`scan_events` reads a whole message of such packets with one compiled
regular expression (:func:`re.Pattern.findall`, in C), which captures the raw parts
of each packet, and builds the :class:`~xentara_sync.protocol.packets.DataChange`
packets from them in one short loop:

- the time stamp's exponent is -9, -6 or -3 and its mantissa any CBOR integer; the
  events of one message mostly share a time stamp, so its raw bytes are looked up
  in a cache of the :class:`~xentara_sync.protocol.timepoint.TimePoint` objects made
  before (equal events get one shared, immutable object);
- the element's UUID comes from the cache of :mod:`.bulk`;
- the attribute keys are unsigned integers below 65536; the attribute map holds up
  to 23 entries, each ``121(value)``;
- a value is an integer, a float of 16, 32 or 64 bits, ``true``, ``false``,
  ``null``, a text or byte string of at most 23 bytes, a UUID or a time stamp of
  the form above; each is converted here, without cbor2, to the same object cbor2
  gives (an ``int`` stays an ``int``, a ``bool`` a ``bool``).

Anything else gives up, and the whole message takes the path it took before
(:func:`~xentara_sync.protocol.bulk.decode_items`, then the careful decoder):
another form of packet (answers, requests, another event type), a fault
(``122``), an attribute key that is not a small integer, a value of another type
(arrays, maps, longer strings, other tags), text that is not UTF-8, an indefinite
array, or bytes that the packets do not account for. The packets found must tile
the message exactly, from the end of its head to its last byte, and be as many as
the head says, so the fast path never accepts what the careful path refuses, and
it gives equal packets:

>>> import uuid
>>> from xentara_sync.protocol import DataChange, Success, TimePoint, encode_message
>>> changes = [DataChange(TimePoint(1_704_107_471_111_587_983), uuid.UUID(int=7), {11: 2.5}),
...            DataChange(TimePoint(-5), uuid.UUID(int=8), {11: True, 9: 0})]
>>> scan_events(encode_message(changes)) == changes
True
>>> scan_events(encode_message([changes[0], Success(1)])) is None
True
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from .bulk import _UUID_CACHE
from .index import _CONVERTERS as _ATTRIBUTE_TYPES
from .index import Event, convert_value
from .packets import DataChange, Packet
from .timepoint import TimePoint

__all__ = [
    "MAX_CACHED_TIMES",
    "ROUTE_LIMIT",
    "VALUE_PATTERN",
    "route_events",
    "scan_events",
    "value_of",
]

#: The most time stamps the cache holds before it starts afresh.
MAX_CACHED_TIMES: Final = 4096

_INTEGER: Final = rb"\x1b.{8}|\x3b.{8}|[\x00-\x17\x20-\x37]|[\x18\x38].|[\x19\x39]..|[\x1a\x3a].{4}"
_KEY: Final = rb"[\x00-\x17]|\x18.|\x19.."
#: ``1001({4: 4([`` and the exponent and mantissa after it.
_TIME_HEAD: Final = rb"\xd9\x03\xe9\xa1\x04\xc4\x82"
_TIME: Final = rb"[\x22\x25\x28](?:" + _INTEGER + rb")"
_STRINGS: Final = b"|".join(
    b"[\\x%02x\\x%02x].{%d}" % (0x40 + size, 0x60 + size, size) for size in range(24)
)
#: A value other than a double: its raw bytes, converted by :data:`_CONVERTERS`.
_OTHER: Final = (
    _INTEGER
    + rb"|\xf9..|\xfa.{4}|[\xf4-\xf6]|\xd8\x25\x50.{16}|"
    + _TIME_HEAD
    + _TIME
    + b"|"
    + _STRINGS
)
_VALUE: Final = rb"\xfb.{8}|" + _OTHER
#: A key and its wrapped value; the groups: the raw key, the raw value.
_PAIR: Final = rb"(" + _KEY + rb")\xd8\x79(" + _VALUE + rb")"
#: One event packet; the groups: time stamp (from its exponent), element UUID, then
#: either the one attribute's key and its double (or other value), or a map of more.
_EVENT: Final = (
    rb"\x83\x08\x00\xa3\x00"
    + _TIME_HEAD
    + rb"("
    + _TIME
    + rb")\x01\xd8\x25\x50(.{16})\x02(?:\xa1("
    + _KEY
    + rb")\xd8\x79(?:\xfb(.{8})|("
    + _OTHER
    + rb"))|([\xa2-\xb7](?:(?:"
    + _KEY
    + rb")\xd8\x79(?:"
    + _VALUE
    + rb"))+))"
)
_EVENTS: Final = re.compile(b"(" + _EVENT + b")", re.DOTALL)
_find_events: Final = _EVENTS.findall
_each_event: Final = _EVENTS.finditer
_groups: Final = re.Match.groups
#: Messages from this size on are scanned one packet at a time (as
#: :func:`~xentara_sync.protocol.bulk.each_item` decodes them), so that the raw parts
#: of all their packets are never held at once.
_LARGE: Final = 1 << 16
#: :func:`route_events` takes messages below this size (larger ones are parsed).
ROUTE_LIMIT: Final = _LARGE
_find_pairs: Final = re.compile(_PAIR, re.DOTALL).findall
#: The first bytes of an event packet in the usual form.
_EVENT_START: Final = b"\x83\x08\x00\xa3"
#: Bytes of an array head's argument after its initial byte, by the initial byte.
_COUNT_WIDTH: Final = {0x98: 1, 0x99: 2, 0x9A: 4}

_SCALES: Final = {0x28: 1, 0x25: 1000, 0x22: 1_000_000}  # exponent -9, -6, -3
_unpack_double: Final = struct.Struct(">d").unpack
_tuple_new: Final = tuple.__new__


class _GiveUp(Exception):
    """The message is not one this module reads (the usual path will)."""


def _integer(raw: bytes, start: int = 0) -> int:
    """The CBOR integer whose head is at *start* of *raw* (its bytes are all there)."""
    head = raw[start]
    low = head & 31
    value = low if low < 24 else int.from_bytes(raw[start + 1 :], "big")
    return value if head < 0x20 else -1 - value


class _Times(dict[bytes, TimePoint]):
    """The time stamps read so far, by their raw bytes from the exponent on."""

    __slots__ = ()

    def __missing__(self, raw: bytes) -> TimePoint:
        if len(self) >= MAX_CACHED_TIMES:
            self.clear()
        # Clamped to the range of TimePoint, as the careful path does.
        point = self[raw] = TimePoint(_integer(raw, 1) * _SCALES[raw[0]])
        return point


class _Keys(dict[bytes, int]):
    """Attribute keys by their raw bytes (at most 65,560 different ones)."""

    __slots__ = ()

    def __missing__(self, raw: bytes) -> int:
        key = self[raw] = _integer(raw)
        return key


_TIMES: Final = _Times()
_KEYS: Final = _Keys()
#: The bytes of a time stamp before its exponent (d9 03e9 a1 04 c4 82).
_TIME_HEAD_SIZE: Final = 7


def _text(raw: bytes) -> str:
    try:
        return raw[1:].decode()
    except UnicodeDecodeError:  # the careful path says what is wrong
        raise _GiveUp from None


def _converters() -> list[Callable[[bytes], Any]]:
    """A value's converter by the initial byte of its raw bytes."""

    def give_up(raw: bytes) -> Any:
        raise _GiveUp

    table: list[Callable[[bytes], Any]] = [give_up] * 256
    for head in range(0x1C):
        table[head] = _integer
        table[head + 0x20] = _integer
    for head in range(0x40, 0x58):
        table[head] = lambda raw: raw[1:]
        table[head + 0x20] = _text
    table[0xF4] = lambda raw: False
    table[0xF5] = lambda raw: True
    table[0xF6] = lambda raw: None
    table[0xF9] = lambda raw: struct.unpack(">e", raw[1:])[0]
    table[0xFA] = lambda raw: struct.unpack(">f", raw[1:])[0]
    table[0xFB] = lambda raw: _unpack_double(raw[1:])[0]
    table[0xD8] = lambda raw: _UUID_CACHE[raw[3:]]
    table[0xD9] = lambda raw: _TIMES[raw[_TIME_HEAD_SIZE:]]
    return table


_CONVERTERS: Final = _converters()

#: The raw forms of a wrapped value that this module reads (after ``d8 79``), for
#: other scanners of the usual forms (:mod:`xentara_sync.snapshot.scans`).
VALUE_PATTERN: Final = _VALUE


def value_of(raw: bytes) -> Any:
    """The value of *raw*, a match of :data:`VALUE_PATTERN`: the object cbor2 gives.
    Raises for text that is not UTF-8 (the careful path says what is wrong).

    >>> value_of(b"\\xfb\\x3f\\xf8\\x00\\x00\\x00\\x00\\x00\\x00"), value_of(b"\\x19\\x01\\x00")
    (1.5, 256)
    """
    return _CONVERTERS[raw[0]](raw)


def _attributes(raw: bytes) -> dict[int, Any]:
    """The attribute map of *raw*: its head, then its pairs, each ``key 121(value)``."""
    pairs = _find_pairs(raw, 1)
    if len(pairs) != raw[0] - 0xA0:
        raise _GiveUp
    keys = _KEYS
    converters = _CONVERTERS
    return {keys[key]: converters[value[0]](value) for key, value in pairs}


def _head(data: bytes) -> tuple[int, int] | None:
    """The packet count of an event message and where its first packet starts, or
    ``None`` if *data* does not start as a message of event packets."""
    if type(data) is not bytes or not data:
        return None
    head = data[0]
    if 0x80 < head < 0x98:
        count, start = head - 0x80, 1
    else:
        width = _COUNT_WIDTH.get(head)
        if width is None:
            return None
        start = 1 + width
        count = int.from_bytes(data[1:start], "big")
    if data[start : start + 4] != _EVENT_START:
        return None
    return count, start


def scan_events(data: bytes) -> list[Packet] | None:
    """The packets of *data* if it is a message of event packets in the usual form
    (see above), else ``None``: then the message is for the usual decoding path.

    Never raises for any input, and keeps no state but its caches, so it may run
    on any thread.
    """
    head = _head(data)
    if head is None:
        return None
    count, start = head
    found: Iterable[tuple[bytes, ...]]
    if len(data) < _LARGE:
        found = _find_events(data, start)
        if len(found) != count:
            return None
    else:
        found = map(_groups, _each_event(data, start))
    packets: list[Packet] = []
    append = packets.append
    times = _TIMES
    uuids = _UUID_CACHE
    keys = _KEYS
    converters = _CONVERTERS
    unpack_double = _unpack_double
    new = _tuple_new
    size = start
    last_raw = b""
    last_time: Any = None
    try:
        for whole, time_raw, element_raw, key_raw, double, other, more in found:
            size += len(whole)
            if time_raw != last_raw:
                last_time = times[time_raw]
                last_raw = time_raw
            if more:
                attributes = _attributes(more)
            elif double:
                attributes = {keys[key_raw]: unpack_double(double)[0]}
            else:
                attributes = {keys[key_raw]: converters[other[0]](other)}
            append(new(DataChange, (last_time, uuids[element_raw], attributes)))
    except Exception:  # _GiveUp, or anything unforeseen: the usual path decides
        return None
    # The packets found must follow each other from the head to the last byte.
    return packets if size == len(data) and len(packets) == count else None


class _Seconds(dict[bytes, float]):
    """The time stamps read so far as seconds (what an event carries), by raw bytes."""

    __slots__ = ()

    def __missing__(self, raw: bytes) -> float:
        if len(self) >= MAX_CACHED_TIMES:
            self.clear()
        seconds = self[raw] = _TIMES[raw].ns / 1e9
        return seconds


_SECONDS: Final = _Seconds()
_new_event: Final = tuple.__new__


def route_events(data: bytes, routes: Mapping[bytes, Any]) -> list[tuple[Any, Event]] | None:
    """The subscribed events of *data*, each with its sink, if *data* is a message of
    event packets in the usual form, else ``None`` (then the message is for the
    usual decoding path, as with :func:`scan_events`).

    What a client session does with the packets that :func:`scan_events` gives
    (:meth:`~.session.ClientSession.receive_packets`), done while reading them: no
    packet, attribute map or UUID is built for an event, and the value of an
    element nobody subscribed is not converted (unless it is of a type whose
    conversion may fail: then it is, so that such a message still takes the usual
    path, as it would without this shortcut).

    *routes* maps the 16 bytes of each subscribed element's UUID to its routes: an
    object with the attributes ``element`` (the UUID), ``name`` (what its events
    carry) and ``sinks`` (each attribute key's list of sinks). The same rules as
    :meth:`~.session.ClientSession.receive_packets` apply: an event for each sink of
    each subscribed attribute, its value typed by :func:`~.index.convert_value`.

    >>> import uuid
    >>> from types import SimpleNamespace
    >>> from xentara_sync.protocol import DataChange, TimePoint, encode_message
    >>> element = uuid.UUID(int=7)
    >>> route = SimpleNamespace(element=element, name="Hardware.A", sinks={11: ["sink"]})
    >>> message = encode_message([DataChange(TimePoint(1_500_000_000), element, {11: 2.5}),
    ...                           DataChange(TimePoint(2_000_000_000), uuid.UUID(int=8), {11: 1})])
    >>> [(sink, event.name, event.timestamp, event.value)
    ...  for sink, event in route_events(message, {element.bytes: route})]
    [('sink', 'Hardware.A', 1.5, 2.5)]
    """
    head = _head(data)
    if head is None or len(data) >= _LARGE:
        return None
    count, start = head
    found = _find_events(data, start)
    if len(found) != count:
        return None
    events: list[tuple[Any, Event]] = []
    add = events.append
    keys = _KEYS
    converters = _CONVERTERS
    typed = _ATTRIBUTE_TYPES
    seconds_of = _SECONDS
    unpack_double = _unpack_double
    new = _new_event
    get_route = routes.get
    size = start
    last_raw = b""
    seconds = 0.0
    try:
        for whole, time_raw, element_raw, key_raw, double, other, more in found:
            size += len(whole)
            route = get_route(element_raw)
            if route is None:
                if more:
                    _attributes(more)
                elif not double:
                    converters[other[0]](other)
                continue
            if time_raw != last_raw:
                seconds = seconds_of[time_raw]
                last_raw = time_raw
            if more:
                for key, value in _attributes(more).items():
                    sinks = route.sinks.get(key)
                    if sinks:
                        if key in typed:
                            value = convert_value(key, value)
                        event = new(Event, (seconds, route.name, route.element, value))
                        events.extend((sink, event) for sink in sinks)
                continue
            key = keys[key_raw]
            value = unpack_double(double)[0] if double else converters[other[0]](other)
            sinks = route.sinks.get(key)
            if sinks:
                if key in typed:
                    value = convert_value(key, value)
                # tuple.__new__ builds the Event without running Python code
                event = new(Event, (seconds, route.name, route.element, value))
                if len(sinks) == 1:
                    add((sinks[0], event))
                else:
                    events.extend((sink, event) for sink in sinks)
    except Exception:  # _GiveUp, or anything unforeseen: the usual path decides
        return None
    return events if size == len(data) else None
