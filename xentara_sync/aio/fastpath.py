"""The one place where the asyncio flavour relies on websockets' internals (and, for
writes from other threads, on the socket of asyncio's selector transport).

Two shortcuts save a loop turn and a coroutine per message on the hot path:

* **receiving**: :class:`DirectConnection` overrides ``process_event`` (an
  undocumented method of :class:`websockets.asyncio.client.ClientConnection`) to hand
  each whole binary message to the client as soon as it is parsed, instead of
  queueing it for ``recv()`` and a reading task;
* **sending**: :meth:`FastTransport.send_nowait` writes a message from a plain
  callback, with the public sans-I/O ``protocol.send_binary()`` and the
  undocumented ``send_data()``, instead of awaiting ``send()`` in a task;
* **sending from another thread**: :meth:`DirectConnection.write_from_thread`
  lets the blocking client's calling thread write its request itself, instead of
  waking the loop thread to write it (see the method).

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

import asyncio.selector_events
import inspect
import logging
import os
import struct
import threading
from collections.abc import Callable
from typing import Any, Final

from websockets.asyncio.client import ClientConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN, Protocol
from websockets.version import version as _installed

from ..exceptions import ConnectionClosed

try:  # websockets' C masking, as websockets.frames takes it
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - a build without its C extension
    from websockets.utils import apply_mask

__all__ = [
    "TESTED",
    "DirectConnection",
    "available",
    "install_receiver",
    "send_nowait",
    "thread_writer",
]

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


#: The transport of a plain TCP socket on asyncio's selector loops (not TLS, not
#: the proactor loop of Windows, not uvloop): the one a thread may write to.
_SOCKET_TRANSPORT: Final[type | None] = getattr(
    asyncio.selector_events, "_SelectorSocketTransport", None
)


#: Bytes the selector transport asks of each ``recv``. Its own default, 256 KiB, is
#: above glibc's threshold for allocating with ``mmap``: each received message then
#: maps, and unmaps, a fresh buffer, which cost 20-35 us a message here (Linux,
#: CPython 3.10-3.13), against 4-6 us for 64 KiB. websockets' own blocking client
#: and trio's streams read 64 KiB at a time too.
READ_SIZE: Final = 64 * 1024


def read_in_small_chunks(transport: Any) -> None:
    """Make asyncio's plain TCP *transport* read at most :data:`READ_SIZE` bytes a
    ``recv`` (a larger message takes several; nothing else changes). Other
    transports (TLS, which reads into a buffer of its own; the proactor loop;
    uvloop) are left as they are."""
    plain: Any = _SOCKET_TRANSPORT
    if plain is not None and type(transport) is plain and transport.max_size > READ_SIZE:
        transport.max_size = READ_SIZE


#: Masks fetched from the system's random source at once (see
#: :meth:`DirectConnection._binary_frame`).
MASKS_AT_ONCE: Final = 1024
_SHORT_HEAD: Final = struct.Struct("!BB")
_MEDIUM_HEAD: Final = struct.Struct("!BBH")
_LONG_HEAD: Final = struct.Struct("!BBQ")


def _thread_socket(transport: Any) -> Any:
    """The socket of *transport* if another thread may write it directly, else None."""
    if _SOCKET_TRANSPORT is None or type(transport) is not _SOCKET_TRANSPORT:
        return None
    return getattr(transport, "_sock", None)


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
    #: The socket a thread may write (None: only the loop writes).
    _socket: Any = None
    #: The end of a message a thread began to write, for the loop to write next.
    _rest: bytes | None = None
    #: The socket is closed, or no longer takes writes from threads.
    _gone = False
    #: Masks of the frames a thread writes, and the offset of the next one.
    _masks = b""
    _mask_at = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Held by every writer of the socket: the loop (``send_data``) and a
        #: thread (``write_from_thread``); never while waiting for anything else.
        self._write_lock = threading.RLock()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._socket = _thread_socket(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        with self._write_lock:  # asyncio closes the socket after this returns
            self._gone = True
        super().connection_lost(exc)

    def send_data(self) -> None:
        with self._write_lock:
            rest = self._rest
            if rest is not None:  # a thread's message first: it began before these
                self._rest = None
                self.transport.write(rest)
            super().send_data()

    def write_from_thread(self, data: bytes) -> bool:
        """Write *data* as one binary message, from a thread other than the loop's;
        whether it was written (False: nothing of it was; then the loop must).

        The blocking client's calling thread writes its request itself when
        nothing else waits to be written (the transport's buffer is empty): that
        saves waking the loop thread, which in a process with other busy threads
        is a wait for the GIL per request. The socket is non-blocking: what it does
        not take now, the loop writes, before anything else. A Ctrl-C as the
        socket's ``send`` returns cannot lose the count of what went out, so the
        rest of a message is always written, and the byte stream stays whole.
        """
        sock = self._socket  # set: thread_writer() offers this method only then
        with self._write_lock:
            transport = self.transport
            if (
                self._gone
                or self._rest is not None
                or self.protocol.extensions
                or self.protocol.state is not OPEN
                or transport.is_closing()
                or transport.get_write_buffer_size()
            ):
                return False
            frame = self._binary_frame(data)
            size = len(frame)
            # ``extend(map(send, ...))`` stores the count in C, in the same call:
            # a Ctrl-C (raised only between bytecodes) cannot come between the
            # send and knowing how much of the message went out.
            sent: list[int] = []
            try:
                sent.extend(map(sock.send, (frame,)))
            except OSError:  # nothing written (the loop finds the socket's error)
                return False
            finally:
                if sent and sent[0] != size:  # in part: the loop writes the rest, Ctrl-C or not
                    self._rest = frame[sent[0] :]
                    self.loop.call_soon_threadsafe(self.send_data)
            return True

    def _binary_frame(self, data: bytes) -> bytes:
        """*data* as one masked binary frame, as ``Frame.serialize(mask=True)``
        makes it; called with the write lock held.

        RFC 6455 (5.3) asks a fresh mask of each frame, that a server cannot
        predict. ``serialize`` takes it from the system's random source, one
        system call per frame, which also gives the GIL away (in a busy process, a
        wait for it); here the same source gives :data:`MASKS_AT_ONCE` masks in
        one call, each used once.
        """
        masks, at = self._masks, self._mask_at
        if at >= len(masks):
            masks = self._masks = os.urandom(4 * MASKS_AT_ONCE)
            at = 0
        mask = masks[at : at + 4]
        self._mask_at = at + 4
        size = len(data)
        if size < 126:
            head = _SHORT_HEAD.pack(0x82, 0x80 | size)
        elif size < 65536:
            head = _MEDIUM_HEAD.pack(0x82, 0xFE, size)
        else:
            head = _LONG_HEAD.pack(0x82, 0xFF, size)
        return head + mask + apply_mask(data, mask)

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


def thread_writer(ws: ClientConnection) -> Callable[[bytes], bool] | None:
    """:meth:`DirectConnection.write_from_thread` of *ws*, if a thread may write its
    socket (a plain TCP socket of asyncio's selector loop); else None."""
    if isinstance(ws, DirectConnection) and ws._socket is not None:
        return ws.write_from_thread
    return None


def send_nowait(ws: ClientConnection, data: bytes) -> None:
    """Send *data* at once, from the loop thread, without waiting for the write buffer.

    Requests are bounded by the callers awaiting them, so skipping the drain cannot
    grow memory without limit; it saves a coroutine per message.
    """
    if ws.protocol.state is not OPEN:
        raise ConnectionClosed("the connection is closed")
    ws.protocol.send_binary(data)
    ws.send_data()
