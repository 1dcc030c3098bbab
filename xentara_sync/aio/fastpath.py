"""The one place where the asyncio flavour relies on websockets' internals.

Two shortcuts save a loop turn and a coroutine per message on the hot path:

* **receiving**: :class:`DirectConnection` overrides ``process_event`` (an
  undocumented method of :class:`websockets.asyncio.client.ClientConnection`) to hand
  each whole binary message to the client as soon as it is parsed, instead of
  queueing it for ``recv()`` and a reading task;
* **sending**: :meth:`FastTransport.send_nowait` writes a message from a plain
  callback, with the public sans-I/O ``protocol.send_binary()`` and the
  undocumented ``send_data()``, instead of awaiting ``send()`` in a task.

Both are used only when :func:`available` says that the installed websockets has
what they need, in a release this package was tested with; otherwise the client
takes websockets' public API alone (:class:`~xentara_sync.aio.backend.PublicTransport`),
which is slower but equally correct; ``setup.cfg`` sets no upper bound on websockets,
so a release newer than ``TESTED`` takes that path until it is tested.
``tests/aio/test_fastpath.py`` fails loudly when a tested release breaks these
assumptions, and checks that any other release takes the public path. The figures
that justify the shortcuts are on the Architecture page of the documentation.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, Final

from websockets.asyncio.client import ClientConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN, Protocol
from websockets.version import version as _installed

from ..exceptions import ConnectionClosed

__all__ = ["TESTED", "DirectConnection", "available", "install_receiver", "send_nowait"]

log = logging.getLogger("xentara_sync")

#: The websockets releases (major, minor) whose internals the shortcuts were tested with.
TESTED: Final = ((17, 0), (17, 4))


def _release(version: str) -> tuple[int, int] | None:
    try:
        major, minor = version.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return None


def available(version: str = _installed) -> bool:
    """Whether the shortcuts may be used with websockets *version* (the installed one).

    >>> available("17.4"), available("18.0"), available("16.1")
    (True, False, False)
    """
    release = _release(version)
    if release is None or not TESTED[0] <= release <= TESTED[1]:
        return False
    process_event = getattr(ClientConnection, "process_event", None)
    return (
        process_event is not None
        and list(inspect.signature(process_event).parameters) == ["self", "event"]
        and callable(getattr(ClientConnection, "send_data", None))
        and callable(getattr(Protocol, "send_binary", None))
    )


class DirectConnection(ClientConnection):
    """A connection that hands each whole binary message to a receiver at once.

    websockets queues incoming messages for ``recv()``, so a response reaches the
    client only after the reading task has been scheduled: one loop turn per
    message. With a receiver set, a binary message that arrives in one frame goes
    to it straight from ``data_received``; everything else (text frames, fragmented
    messages, control frames) takes the ordinary path, and once a fragmented
    message starts, every message does until it ends, so the order is kept.
    """

    receiver: Callable[[bytes], None] | None = None
    _fragmented = False

    def process_event(self, event: Any) -> None:
        receiver = self.receiver
        if (
            receiver is not None
            and self.response is not None
            and type(event) is Frame
            and event.opcode is Opcode.BINARY
            and event.fin
            and not self._fragmented
        ):
            try:
                receiver(bytes(event.data))
            except Exception:  # the receiver must not break the connection
                log.exception("handling a message failed")
            return
        if type(event) is Frame and event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            self._fragmented = not event.fin
        super().process_event(event)


def install_receiver(ws: ClientConnection, receiver: Callable[[bytes], None]) -> None:
    """Receive whole binary messages of *ws* through *receiver*, as they arrive."""
    if isinstance(ws, DirectConnection):
        ws.receiver = receiver


def send_nowait(ws: ClientConnection, data: bytes) -> None:
    """Send *data* at once, from the loop thread, without waiting for the write buffer.

    Requests are bounded by the callers awaiting them, so skipping the drain cannot
    grow memory without limit; it saves a coroutine per message.
    """
    if ws.protocol.state is not OPEN:
        raise ConnectionClosed("the connection is closed")
    ws.protocol.send_binary(data)
    ws.send_data()
