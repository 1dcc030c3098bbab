"""What the flavours share of ``websockets``, with which they all open their
connections: the options of opening one, and what can go wrong while opening
(:func:`connect_error`) or using it (:func:`closed_error`) as a clear exception.
The messages name the URL without credentials and say what to do.
"""

from __future__ import annotations

import errno
import re
import ssl
from typing import Any, Final, TypeGuard

from websockets.exceptions import ConnectionClosed as WebSocketClosed
from websockets.exceptions import (
    InvalidHandshake,
    InvalidMessage,
    InvalidStatus,
    InvalidURI,
)

from ..exceptions import (
    AuthenticationFailed,
    ConnectionClosed,
    ConnectionFailed,
    InvalidURL,
    TLSVerificationFailed,
    XentaraError,
)
from ..logs import redacting
from .endpoint import Endpoint
from .interfaces import Opening

__all__ = [
    "CLOSE_TIMEOUT",
    "WebSocketTransport",
    "closed_error",
    "connect_error",
    "connect_options",
]

#: Seconds the closing handshake may take before the connection is dropped.
CLOSE_TIMEOUT = 0.5


def connect_options(opening: Opening) -> dict[str, Any]:
    """The keyword arguments of websockets' ``connect`` for *opening*: pings,
    compression and proxies are off (the client core pings, see
    ``Connection._keep_alive``), and websockets logs through a redacting logger."""
    return {
        "additional_headers": opening.headers,
        "ssl": opening.ssl,
        "open_timeout": opening.timeout,
        "close_timeout": CLOSE_TIMEOUT,
        "max_size": opening.max_size,
        "ping_interval": None,
        "ping_timeout": None,
        "logger": redacting("websockets.client"),
        "compression": None,
        "proxy": None,
    }


def closed_error(exc: WebSocketClosed) -> ConnectionClosed:
    """Our exception for websockets' *exc*: the connection closed (with which code)."""
    frame = exc.rcvd or exc.sent
    if frame is None:
        return ConnectionClosed("the connection closed without a closing handshake")
    reason = f" ({frame.reason})" if frame.reason else ""
    return ConnectionClosed(f"the connection closed with code {frame.code}{reason}")


def connect_error(exc: BaseException, endpoint: Endpoint, timeout: float) -> XentaraError:
    """The exception to raise when connecting to *endpoint* failed with *exc*.

    >>> import socket
    >>> from xentara_sync.core.endpoint import Endpoint
    >>> endpoint = Endpoint.parse("ws://admin:secret@test-rig:8080/api/ws")
    >>> unknown = socket.gaierror(-2, "Name or service not known")
    >>> print(connect_error(unknown, endpoint, 2))  # doctest: +NORMALIZE_WHITESPACE
    cannot find the host 'test-rig' of ws://test-rig:8080/api/ws (Name or service
    not known): is the name right, and is the name server reachable?
    >>> refused = ConnectionRefusedError(111, "Connect call failed")
    >>> print(connect_error(refused, endpoint, 2))  # doctest: +NORMALIZE_WHITESPACE
    test-rig refused the connection to port 8080 (ws://test-rig:8080/api/ws): nothing
    listens there; is Xentara running, and is the port right?
    """
    url = endpoint.url
    if isinstance(exc, XentaraError):
        return exc
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        if status == 401:
            if endpoint.token is not None:
                return AuthenticationFailed(f"{url} refused the Bearer token (HTTP 401)")
            if endpoint.has_credentials and endpoint.password is None:
                return AuthenticationFailed(
                    f"{url} asks for a password (HTTP 401): no password given for user "
                    f"{endpoint.username!r}; pass it as password=, or as user:password@ "
                    "in the URL"
                )
            if endpoint.has_credentials:
                return AuthenticationFailed(
                    f"{url} refused the credentials of user {endpoint.username!r} (HTTP 401)"
                )
            return AuthenticationFailed(
                f"{url} requires credentials (HTTP 401): put them in the URL, "
                f"as in wss://user:password@{endpoint.host}:{endpoint.port}/api/ws, "
                f"or give a Bearer token with token=..."
            )
        if status == 403:
            return AuthenticationFailed(
                f"{url} refused the connection (HTTP 403): the user may not open "
                f"WebSocket connections (entitlement websocket.connect)"
            )
        if status == 404:
            return ConnectionFailed(
                f"{url} has no WebSocket endpoint there (HTTP 404): Xentara serves /api/ws"
            )
        return ConnectionFailed(f"{url} refused the WebSocket handshake (HTTP {status})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TLSVerificationFailed(
            f"the TLS certificate of {url} could not be verified "
            f"({exc.verify_message or exc.reason}); for a self-signed certificate pass "
            f"verify_ssl=False, or give the CA with cafile=..."
        )
    if endpoint.secure and isinstance(exc, (ConnectionResetError, EOFError)):
        return ConnectionFailed(
            f"{url} closed the connection during the TLS handshake; "
            f"does the server speak wss:// on port {endpoint.port}, or plain ws://?"
        )
    if isinstance(exc, ssl.SSLError):
        return ConnectionFailed(
            f"the TLS handshake with {url} failed ({exc.reason or exc}); "
            f"does the server speak wss:// on port {endpoint.port}?"
        )
    if isinstance(exc, TimeoutError):
        return ConnectionFailed(
            f"{url} did not answer within {timeout:g} s: is the host reachable and Xentara running?"
        )
    if isinstance(exc, InvalidURI):
        return InvalidURL(f"invalid URL {url!r}: {exc}")
    if isinstance(exc, InvalidMessage):
        hint = "" if endpoint.secure else "; does it expect wss://?"
        return ConnectionFailed(f"{url} did not answer the WebSocket handshake{hint}")
    if isinstance(exc, InvalidHandshake):
        return ConnectionFailed(f"the WebSocket handshake with {url} failed: {exc}")
    if _unresolved(exc):
        return ConnectionFailed(
            f"cannot find the host {endpoint.host!r} of {url} ({exc.strerror or exc}): "
            f"is the name right, and is the name server reachable?"
        )
    if _refused(exc):
        return ConnectionFailed(
            f"{endpoint.host} refused the connection to port {endpoint.port} ({url}): "
            f"nothing listens there; is Xentara running, and is the port right?"
        )
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return ConnectionFailed(f"cannot connect to {url}: {reason}")
    return ConnectionFailed(f"cannot connect to {url}: {type(exc).__name__}: {exc}")


def _unresolved(exc: BaseException) -> TypeGuard[OSError]:
    """Whether *exc* is the resolver's :exc:`socket.gaierror` (known by its name:
    this layer does no I/O and imports no socket)."""
    return isinstance(exc, OSError) and type(exc).__name__ == "gaierror"


def _refused(exc: BaseException) -> bool:
    """Whether *exc* tells that the host refused the connection, on at least one of
    the addresses of its name (say ``localhost``: ``::1`` and ``127.0.0.1``; the
    others may have no route, as ``::1`` without IPv6).

    A name of several addresses fails in asyncio with an ``OSError("Multiple
    exceptions: ...")`` that keeps only the errors' text (trio's group of them is
    taken apart by its backend).

    >>> _refused(OSError("Multiple exceptions: [Errno 111] Connect call failed "
    ...     "('::1', 1, 0, 0), [Errno 99] Cannot assign requested address"))
    True
    >>> _refused(OSError("Multiple exceptions: [WinError 1225] The remote computer "
    ...     "refused the network connection, [WinError 1225] The remote computer ..."))
    True
    >>> _refused(OSError("Multiple exceptions: [Errno 101] Network is unreachable, "
    ...     "[Errno 110] Connect call failed ('10.0.0.1', 1)"))
    False
    """
    if isinstance(exc, ConnectionRefusedError):
        return True
    text = str(exc)
    if not isinstance(exc, OSError) or not text.startswith("Multiple exceptions: "):
        return False
    numbers = re.findall(r"\[(?:Errno|WinError) (\d+)\]", text)
    return any(int(number) in _REFUSED for number in numbers)


#: ECONNREFUSED here, and Windows' WSAECONNREFUSED and ERROR_CONNECTION_REFUSED (its
#: proactor's "[WinError 1225] The remote computer refused the network connection").
_REFUSED: Final = frozenset({errno.ECONNREFUSED, 10061, 1225})


class WebSocketTransport:
    """Sending and receiving on a websockets connection (``websockets.asyncio`` or
    ``websockets.trio``: the same calls), its end raised as our
    :class:`~xentara_sync.exceptions.ConnectionClosed`. Each flavour's transport
    adds closing and pinging on its event loop."""

    __slots__ = ("_ws",)

    def __init__(self, ws: Any) -> None:
        self._ws = ws

    async def send(self, data: bytes) -> None:
        try:
            await self._ws.send(data)
        except WebSocketClosed as exc:
            raise closed_error(exc) from None

    async def recv(self) -> bytes:
        try:
            data: bytes = await self._ws.recv(decode=False)
        except WebSocketClosed as exc:
            raise closed_error(exc) from None
        return data
