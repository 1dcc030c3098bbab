"""The requests of a snapshot, many elements per message. Sans I/O.

A snapshot asks for the ``meta_data`` of every element and the value of every
data point. Both go out in :func:`plan_chunk` messages of :data:`CHUNK` elements
(one message of ``meta_data``, one of reads), :func:`~.pipeline.run_pipelined`
keeping 16 messages ahead of the answers. Few enough that a message's decoded
answers (about 500 objects the garbage collector tracks) are freed before a
collection finds them alive: with 1,000 per message they reached the oldest
generation, and reading 100,000 elements took 22 full collections of the whole
process instead of 8 (measured on two cores against the simulator: 1.6-1.8 s of
collection instead of 0.3-0.4 s, and about a fifth less CPU for the reading).
Failed answers
do not fail a chunk: they are handed to the :class:`~.twin.TwinBuilder`, which
leaves those elements out.

>>> import uuid
>>> from xentara_sync.protocol.index import ElementInfo
>>> from xentara_sync.protocol import Category
>>> from xentara_sync.snapshot.twin import TwinBuilder
>>> point = ElementInfo("Plant.Speed", uuid.UUID(int=2), Category.DATA_POINT)
>>> plan_chunk(TwinBuilder([point]), [point])
[<Plan snapshot: 1 request(s)>, <Plan snapshot: 1 request(s)>]
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Sequence
from functools import partial
from itertools import repeat
from typing import Any, Final

from ..exceptions import ServerError, UnknownElement
from ..protocol import (
    Attribute,
    Category,
    Failure,
    LookupParam,
    MetaData,
    MetaDataParam,
    Opcode,
    ReadParam,
    Success,
)
from ..protocol.framing import frame_requests
from ..protocol.index import ElementInfo
from ..protocol.plan import StreamedPlan
from ..protocol.plans import Plan, RequestSpec
from .scans import metadata_scanner, scan_reads
from .twin import OTHER_READ, POINT_READ, TwinBuilder

__all__ = ["CHUNK", "plan_ancestors", "plan_categories", "plan_chunk", "plan_more"]

#: Elements per message.
CHUNK: Final = 100
_ITEMS: Final = [int(MetaData.ATTRIBUTES)]
_VALUE: Final = [int(Attribute.VALUE)]
# Plain ints: a chunk builds 4,000 requests.
_META_DATA: Final = int(Opcode.META_DATA)
_META_ELEMENT: Final = int(MetaDataParam.ELEMENT)
_META_ITEMS: Final = int(MetaDataParam.ITEMS)
_READ: Final = int(Opcode.READ)
_READ_ELEMENT: Final = int(ReadParam.ELEMENT)
_READ_ATTRIBUTES: Final = int(ReadParam.ATTRIBUTES)
_DATA_POINT: Final = Category.DATA_POINT
_uuid_int: Final[Any] = uuid.UUID.__dict__["int"].__get__
_to_bytes: Final[Any] = int.to_bytes
_uuid_of: Final = operator.attrgetter("uuid")
_category_of: Final = operator.attrgetter("category")
#: The first read of an element of each category that is not :data:`OTHER_READ`.
_FIRST_READS: Final = {_DATA_POINT: POINT_READ}


def plan_ancestors(root: str) -> Plan:
    """Look up *root* and each key it starts with (``A``, ``A.B`` for ``A.B.C``).

    The result is ``[(key, uuid), ...]`` of those found, top down, *root* last; an
    unknown *root* raises :class:`UnknownElement`. A prefix that is no element
    (a name holding a dot) is left out.
    """
    parts = root.split(".")
    keys = [".".join(parts[: n + 1]) for n in range(len(parts))]

    def finish(packets: list[Success | Failure]) -> list[tuple[str, uuid.UUID]]:
        found = [
            (key, packet.result)
            for key, packet in zip(keys, packets, strict=True)
            if type(packet) is Success and isinstance(packet.result, uuid.UUID)
        ]
        if not found or found[-1][0] != root:
            last = packets[-1]
            text = last.text if type(last) is Failure else "not an element"
            raise UnknownElement(text=text, operation="snapshot", element=root)
        return found

    requests: list[RequestSpec] = [(Opcode.LOOKUP, {LookupParam.PRIMARY_KEY: k}) for k in keys]
    return Plan("snapshot", root, requests, finish)


def plan_categories(found: Sequence[tuple[str, uuid.UUID]]) -> Plan:
    """The category of each ``(key, uuid)``: ``[ElementInfo, ...]``. A refused
    ``meta_data`` raises (these are the snapshot's root and its ancestors)."""

    def finish(packets: list[Success | Failure]) -> list[ElementInfo]:
        elements = []
        for (key, element), packet in zip(found, packets, strict=True):
            if type(packet) is Failure:
                raise ServerError.from_code(
                    packet.code, packet.text, operation="snapshot", element=key
                )
            result: Any = packet.result  # type: ignore[union-attr]
            number = result.get(MetaData.CATEGORY) if isinstance(result, dict) else None
            try:
                category = Category(number)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                category = Category.SPECIAL_PURPOSE
            elements.append(ElementInfo(key, element, category))
        return elements

    items = [MetaData.CATEGORY]
    requests: list[RequestSpec] = [
        (Opcode.META_DATA, {MetaDataParam.ELEMENT: element, MetaDataParam.ITEMS: items})
        for _, element in found
    ]
    return Plan("snapshot", found[-1][0] if found else None, requests, finish)


class _Requests(Sequence[RequestSpec]):
    """The requests of one of a chunk's messages, each made only when asked for (to
    log it, or to name it in an error): a chunk's plan needs only their number and
    their framed bytes, and a snapshot sends 200,000.

    >>> requests = _Requests(_READ, [uuid.UUID(int=1)], [[11]])
    >>> len(requests), requests[0] == (_READ, {0: uuid.UUID(int=1), 1: [11]})
    (1, True)
    """

    __slots__ = ("attributes", "opcode", "uuids")

    def __init__(
        self, opcode: int, uuids: Sequence[uuid.UUID], attributes: Sequence[list[int]]
    ) -> None:
        self.opcode = opcode
        self.uuids = uuids
        self.attributes = attributes

    def __len__(self) -> int:
        return len(self.uuids)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(len(self)))]
        return (self.opcode, {0: self.uuids[index], 1: self.attributes[index]})


def _first_reads(elements: Sequence[ElementInfo]) -> list[list[int]]:
    """:meth:`TwinBuilder.first_read` of each of *elements*, in a C loop (a category
    equal to a data point's, as ``==`` finds it, is one).

    >>> group = ElementInfo("Plant", uuid.UUID(int=1), Category.ELEMENT_GROUP)
    >>> point = ElementInfo("Plant.Speed", uuid.UUID(int=2), Category.DATA_POINT)
    >>> _first_reads([group, point, point._replace(category=[2])]) == [
    ...     OTHER_READ, POINT_READ, OTHER_READ]
    True
    """
    try:
        return list(map(_FIRST_READS.get, map(_category_of, elements), repeat(OTHER_READ)))
    except TypeError:  # a category that is no number (an odd server's): one by one
        return [POINT_READ if e.category == _DATA_POINT else OTHER_READ for e in elements]


def plan_chunk(twin: TwinBuilder, elements: Sequence[ElementInfo]) -> list[Plan]:
    """The ``meta_data`` of *elements*, and a read of each (a data point's value,
    type and quality; another element's type, see
    :meth:`~.twin.TwinBuilder.first_read`): two messages (a message of reads alone
    takes the server's fast path, if it has one); the answers go to *twin*. The
    result of each is its number of elements."""
    meta, read = _META_DATA, _READ
    uuids = list(map(_uuid_of, elements))
    items = [_ITEMS] * len(uuids)
    requests = _Requests(meta, uuids, items)
    reads = elements
    wanted = (
        _first_reads(reads)
        if type(twin).first_read is TwinBuilder.first_read  # what it asks, without a call each
        else list(map(twin.first_read, reads))
    )
    read_requests = _Requests(read, uuids, wanted)
    # The 16 bytes of each UUID, for both messages.
    raw = list(map(_to_bytes, map(_uuid_int, uuids), repeat(16), repeat("big")))

    add_metadata = twin.add_metadata
    add_value = twin.add_value

    # Each answer is taken as it comes (see StreamedPlan).
    def take_metadata(index: int, packet: Success | Failure) -> None:
        add_metadata(elements[index], packet)

    def take_value(index: int, packet: Success | Failure) -> None:
        add_value(reads[index], packet)

    def finish_metadata(packets: list[Any]) -> int:
        return len(elements)

    def finish_values(packets: list[Any]) -> int:
        return 0

    # Most elements of a model share a few attribute lists: alike answers.
    plans: list[Plan] = [
        StreamedPlan(
            "snapshot",
            None,
            requests,
            take_metadata,
            finish_metadata,
            alike=twin.alike_answers,
            scan=partial(metadata_scanner(twin), elements),
            frame=partial(
                frame_requests, opcode=meta, elements=uuids, attributes=items, element_bytes=raw
            ),
        )
    ]
    if read_requests:
        plans.append(
            StreamedPlan(
                "snapshot",
                None,
                read_requests,
                take_value,
                finish_values,
                scan=partial(scan_reads, twin, reads),
                frame=partial(
                    frame_requests,
                    opcode=read,
                    elements=uuids,
                    attributes=wanted,
                    element_bytes=raw,
                ),
            )
        )
    return plans


def plan_more(twin: TwinBuilder, wanted: Sequence[tuple[ElementInfo, list[Any]]]) -> Plan:
    """Reads of the attributes :meth:`~.twin.TwinBuilder.more_reads` names (``units``,
    ``displayName``...), one request per element; the answers go to *twin*."""
    requests: list[RequestSpec] = [
        (_READ, {_READ_ELEMENT: element.uuid, _READ_ATTRIBUTES: keys}) for element, keys in wanted
    ]

    def finish(packets: list[Success | Failure]) -> int:
        for (element, keys), packet in zip(wanted, packets, strict=True):
            twin.add_more(element, keys, packet)
        return 0

    return Plan("snapshot", None, requests, finish)
