"""A plan: the requests of one operation and how its answers become its result.

Every operation of :class:`~xentara_sync.protocol.plans.Operations` and
:class:`~xentara_sync.protocol.control.ControlPlans` returns one; a client sends its
requests (in one message) and hands the answers to ``finish``:

>>> from xentara_sync.protocol import Opcode, Success
>>> plan = Plan("get_stage", None, [(Opcode.GET_STAGE, None)], lambda packets: packets[0].result)
>>> plan
<Plan get_stage: 1 request(s)>
>>> plan.finish([Success(1, 3)])
3
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .packets import Failure, Success

__all__ = ["Plan", "RequestSpec", "StreamedPlan"]

#: A request as it is queued: opcode and parameters.
RequestSpec = tuple[int, Mapping[int, Any] | None]


class Plan:
    """The requests of one operation and how its answers become its result.

    ``finish(packets)`` takes the response packets in request order and returns the
    operation's result, or raises the error a failure stands for.
    """

    __slots__ = ("element", "finish", "operation", "requests")

    def __init__(
        self,
        operation: str,
        element: str | None,
        requests: Sequence[RequestSpec],
        finish: Callable[[list[Success | Failure]], Any],
    ) -> None:
        #: What the operation is called in messages (``"read"``, ``"write"``...).
        self.operation = operation
        #: The element it concerns, if one.
        self.element = element
        #: Its requests, sent in one message.
        self.requests = requests
        #: Turns the answers into the result.
        self.finish = finish

    def __repr__(self) -> str:
        target = f" {self.element!r}" if self.element else ""
        return f"<Plan {self.operation}{target}: {len(self.requests)} request(s)>"


class StreamedPlan(Plan):
    """A :class:`Plan` whose answers are each taken as they come in: ``take(index,
    packet)`` for the request at *index*; ``finish`` then gets a list of None.

    A snapshot's message of a thousand answers is so taken while the message is
    being received, so its decoded objects are freed with it, instead of living
    until the messages sent before it are answered (and being promoted to the
    garbage collector's oldest generation, whose collections traverse every
    object of the process). An exception of *take* fails the plan.
    """

    __slots__ = ("alike", "frame", "scan", "take")

    def __init__(
        self,
        operation: str,
        element: str | None,
        requests: Sequence[RequestSpec],
        take: Callable[[int, Success | Failure], object],
        finish: Callable[[list[Any]], Any],
        *,
        alike: dict[bytes, Any] | None = None,
        frame: Callable[[list[int]], bytes] | None = None,
        scan: Callable[[bytes], Any] | None = None,
    ) -> None:
        super().__init__(operation, element, requests, finish)
        self.take = take
        #: Encodes the requests at once, given their message ids (see
        #: :meth:`~xentara_sync.protocol.session.ClientSession.send_framed`), or None.
        self.frame = frame
        #: If most answers are expected to equal earlier ones, a cache of them
        #: (result bytes -> result) that plans of the same kind share: a client
        #: may then hand *take* the same (read-only) result object for equal
        #: answers (:func:`~xentara_sync.protocol.bulk.answers`).
        self.alike = alike
        #: Reads a whole answer message in its usual form, or None: ``scan(data)``
        #: gives ``(message_ids, apply)`` (``apply(places)`` takes the answer of each
        #: id at its request's place and returns True; False: nothing taken), or
        #: None (the message is decoded as usual).
        self.scan = scan
