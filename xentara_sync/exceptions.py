"""The exceptions of xentara_sync: one hierarchy for every flavour.

Everything the package raises on purpose derives from :class:`XentaraError`. Where a
standard exception means the same thing, the class derives from it too, so that
``except KeyError``, ``except TimeoutError``, ``except ConnectionError``,
``except TypeError`` and ``except ValueError`` keep working::

    XentaraError
    ├── ConnectionFailed (ConnectionError)      could not connect at all
    │   ├── AuthenticationFailed                HTTP 401: bad or missing credentials
    │   └── TLSVerificationFailed               the server's certificate was refused
    ├── ConnectionClosed (ConnectionError)      the connection ended
    │   ├── ConnectionLost                      ... because the network or the server failed
    │   ├── ClientClosed                        ... because close() was called
    │   └── SubSessionClosed                    a sub-session was closed, or its connection ended
    ├── ProtocolError                           the peer broke the protocol
    ├── RequestTimeout (TimeoutError)           no answer in time
    ├── ConditionNotMet (TimeoutError,          wait_until: the condition did not hold in time
    │                    AssertionError)        (a test failure in unittest and pytest)
    ├── ConditionBroken (AssertionError)        hold: the condition stopped holding
    ├── UsageError (RuntimeError)               the API was used in a way that cannot work
    ├── InvalidURL (ValueError)                 not a ws:// or wss:// URL
    ├── InvalidArgument (ValueError,            an argument of the wrong type or value: it
    │                    TypeError)             names the argument and what it accepts
    ├── SubscriptionEnded                       the subscription was stopped
    └── ServerError                             an error response, with .code and .text
        ├── UnknownElement (KeyError)           also raised before sending, with suggestions
        ├── MissingAttribute (KeyError)
        ├── AccessDenied (PermissionError)
        ├── ReadOnly (PermissionError)          also raised before sending
        ├── WriteOnly (PermissionError)
        ├── OutOfRange (ValueError)             also raised before sending
        ├── TypeMismatch (TypeError)            also raised before sending
        ├── IllegalValue (ValueError)
        ├── ReadError, WriteError
        ├── UnknownSubscription, UnknownSession
        ├── InvalidStageChange
        ├── InvalidRequest                      parse errors, bad parameters, unknown commands
        └── InternalError                       the server failed (-32603)

    KeyboardInterrupt
    └── RecordingInterrupted                    Ctrl-C ended record(); .recording keeps the data
                                                (in xentara_sync.toolkit.recording)

Messages name the operation and the element, never credentials:

>>> err = ServerError.from_code(-32103, "value is read only", operation="write",
...                             element="Hardware.Inputs.Temperature")
>>> type(err).__name__, err.code
('ReadOnly', -32103)
>>> str(err)
"write 'Hardware.Inputs.Temperature' failed: value is read only (-32103)"
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import ClassVar, Final

__all__ = [
    "AccessDenied",
    "AuthenticationFailed",
    "ClientClosed",
    "ConditionBroken",
    "ConditionNotMet",
    "ConnectionClosed",
    "ConnectionFailed",
    "ConnectionLost",
    "IllegalValue",
    "InternalError",
    "InvalidArgument",
    "InvalidRequest",
    "InvalidStageChange",
    "InvalidURL",
    "MissingAttribute",
    "OutOfRange",
    "ProtocolError",
    "ReadError",
    "ReadOnly",
    "RequestTimeout",
    "ServerError",
    "SubSessionClosed",
    "SubscriptionEnded",
    "TLSVerificationFailed",
    "TypeMismatch",
    "UnknownElement",
    "UnknownSession",
    "UnknownSubscription",
    "UsageError",
    "WriteError",
    "WriteOnly",
    "XentaraError",
]


class ErrorCode(IntEnum):
    """Error codes of error responses and of ``122`` attribute errors."""

    NO_ERROR = 0
    PARSE_ERROR = -32700
    INVALID_REQUEST = -32600
    COMMAND_NOT_FOUND = -32601
    INVALID_PARAMETER = -32602
    INTERNAL_ERROR = -32603
    MISSING_CLIENT_HELLO = -32000
    DUPLICATE_CLIENT_HELLO = -32001
    UNKNOWN_ELEMENT = -32100
    MISSING_ATTRIBUTE = -32101
    ACCESS_DENIED = -32102
    READ_ONLY = -32103
    WRITE_ONLY = -32104
    OUT_OF_RANGE = -32105
    TYPE_MISMATCH = -32106
    ILLEGAL_VALUE = -32107
    READ_ERROR = -32108
    WRITE_ERROR = -32109
    UNKNOWN_SUBSCRIPTION = -32110
    UNKNOWN_SESSION = -32111
    INVALID_STAGE_CHANGE = -32112

    @property
    def text(self) -> str:
        """The text Xentara's official client shows for this code.

        >>> ErrorCode.READ_ONLY.text
        'value is read only'
        """
        return _ERROR_TEXTS[self]


_ERROR_TEXTS: Final = {
    ErrorCode.NO_ERROR: "no error",
    ErrorCode.PARSE_ERROR: "payload not well formed",
    ErrorCode.INVALID_REQUEST: "invalid request",
    ErrorCode.COMMAND_NOT_FOUND: "command not found",
    ErrorCode.INVALID_PARAMETER: "invalid parameter",
    ErrorCode.INTERNAL_ERROR: "internal server error",
    ErrorCode.MISSING_CLIENT_HELLO: "missing client hello request",
    ErrorCode.DUPLICATE_CLIENT_HELLO: "duplicate client hello request",
    ErrorCode.UNKNOWN_ELEMENT: "unknown element",
    ErrorCode.MISSING_ATTRIBUTE: "missing attribute",
    ErrorCode.ACCESS_DENIED: "access denied",
    ErrorCode.READ_ONLY: "value is read only",
    ErrorCode.WRITE_ONLY: "value is write only",
    ErrorCode.OUT_OF_RANGE: "value is out of range",
    ErrorCode.TYPE_MISMATCH: "value cannot be converted to requested type",
    ErrorCode.ILLEGAL_VALUE: "value supplied is not valid",
    ErrorCode.READ_ERROR: "read error",
    ErrorCode.WRITE_ERROR: "write error",
    ErrorCode.UNKNOWN_SUBSCRIPTION: "unknown subscription Id",
    ErrorCode.UNKNOWN_SESSION: "unknown session Id",
    ErrorCode.INVALID_STAGE_CHANGE: "invalid stage change request",
}


class XentaraError(Exception):
    """Base class of every exception of this package."""

    def __str__(self) -> str:
        # KeyError quotes its message; keep every subclass readable.
        return str(self.args[0]) if self.args else ""


class ConnectionFailed(XentaraError, ConnectionError):
    """The connection could not be opened: host unreachable, refused, or handshake failed."""


class AuthenticationFailed(ConnectionFailed):
    """The server refused the credentials (HTTP 401), or none were given."""


class TLSVerificationFailed(ConnectionFailed):
    """The server's TLS certificate could not be verified.

    For a self-signed certificate, pass ``verify_ssl=False`` (or a CA file).
    """


class ConnectionClosed(XentaraError, ConnectionError):
    """The connection ended; the client cannot send or receive any more."""


class ConnectionLost(ConnectionClosed):
    """The connection was lost (network, server restart) while a call was in flight,
    or was not back within the call's timeout. The call was not re-sent."""


class ClientClosed(ConnectionClosed):
    """The client was closed by :meth:`close`."""


class SubSessionClosed(ConnectionClosed):
    """A sub-session was used after it was closed, after its client was closed, or
    after its connection ended: a reconnection does not restore sub-sessions (the
    server drops them with the connection). Open a new one with
    ``client.sub_session(username, password)``."""


class ProtocolError(XentaraError):
    """The peer sent something the Xentara WebSocket protocol does not allow.

    ``message_id`` is the id of the broken packet when it could be read:

    >>> error = ProtocolError("request without an integer opcode", message_id=7)
    >>> str(error), error.message_id
    ('request without an integer opcode', 7)
    """

    message_id: int | None

    def __init__(self, text: str, *, message_id: int | None = None) -> None:
        super().__init__(text)
        self.message_id = message_id


class RequestTimeout(XentaraError, TimeoutError):
    """A request got no answer within its timeout. The client stays usable."""


class ConditionNotMet(XentaraError, TimeoutError, AssertionError):
    """A value did not meet the condition ``wait_until`` waited for, within its timeout.

    Also an :class:`AssertionError`, so that unittest and pytest report a failed
    test, not an error. The message names the key, the condition, the last value
    seen and its time, and how many values were seen.

    Attributes:
        key: the element's primary key.
        condition: the value or predicate waited for.
        last: the last :class:`~xentara_sync.Event` seen, or None.
        seen: how many values were seen (the current one included).
        timeout: the seconds waited.
        lowest: the lowest number seen, or None (no number seen).
        highest: the highest number seen, or None.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str = "",
        condition: object = None,
        last: object = None,
        seen: int = 0,
        timeout: float = 0.0,
        lowest: float | None = None,
        highest: float | None = None,
    ) -> None:
        super().__init__(message)
        self.key = key
        self.condition = condition
        self.last = last
        self.seen = seen
        self.timeout = timeout
        self.lowest = lowest
        self.highest = highest

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self),), None)


class ConditionBroken(XentaraError, AssertionError):
    """A value stopped meeting the condition ``hold`` checked for a while.

    An :class:`AssertionError`: unittest and pytest report a failed test. The
    message names the key, the condition, the first value that broke it, when
    (seconds into the hold, and its time stamp) and how many values were seen.

    Attributes:
        key: the element's primary key.
        condition: the value or predicate that had to hold.
        event: the :class:`~xentara_sync.Event` that broke it.
        value: its value.
        after: seconds into the hold when it broke (0: the current value).
        timestamp: the breaking value's time stamp (seconds since the epoch).
        seconds: how long the condition had to hold.
        seen: how many values were checked (the breaking one included).
    """

    def __init__(
        self,
        message: str,
        *,
        key: str = "",
        condition: object = None,
        event: object = None,
        value: object = None,
        after: float = 0.0,
        timestamp: float = 0.0,
        seconds: float = 0.0,
        seen: int = 0,
    ) -> None:
        super().__init__(message)
        self.key = key
        self.condition = condition
        self.event = event
        self.value = value
        self.after = after
        self.timestamp = timestamp
        self.seconds = seconds
        self.seen = seen

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self),), None)


class UsageError(XentaraError, RuntimeError):
    """The API was used in a way that cannot work (for example from the wrong thread)."""


class InvalidURL(XentaraError, ValueError):
    """The URL cannot name a Xentara WebSocket endpoint."""


class InvalidArgument(XentaraError, ValueError, TypeError):
    """An argument of the wrong type or value (a NaN timeout, an interval that is
    not a number, an attribute or category that does not exist); the message names
    the argument and what it accepts. Raised before anything is sent.

    Both a :class:`ValueError` and a :class:`TypeError`, so that ``except`` clauses
    written for either keep working."""


class SubscriptionEnded(XentaraError):
    """The subscription was stopped (or never started) and has no more events."""


class ServerError(XentaraError):
    """The server answered a request with an error.

    Attributes:
        code: the Xentara error code (see :class:`~xentara_sync.protocol.ids.ErrorCode`).
        text: the server's text for it.
        operation: what was asked (``"read"``, ``"write"``, ...), if known.
        element: the element concerned, if known.
    """

    #: The error codes this class stands for; the first is its default code.
    codes: ClassVar[tuple[int, ...]] = ()

    def __init__(
        self,
        code: int | None = None,
        text: str | None = None,
        *,
        operation: str | None = None,
        element: str | None = None,
    ) -> None:
        if code is None:
            if not self.codes:
                raise TypeError(f"{type(self).__name__} needs an error code")
            code = int(self.codes[0])
        self.code = code
        self.text = text if text is not None else _default_text(code)
        self.operation = operation
        self.element = element
        super().__init__(self._message())

    def _message(self) -> str:
        what = " ".join(
            part for part in (self.operation, repr(self.element) if self.element else None) if part
        )
        prefix = f"{what} failed: " if what else ""
        return f"{prefix}{self.text} ({self.code})"

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_server_error,
            (type(self), self.code, self.text, self.operation, self.element),
        )

    @staticmethod
    def from_code(
        code: int,
        text: str,
        *,
        operation: str | None = None,
        element: str | None = None,
    ) -> ServerError:
        """The exception for error *code*: the most specific class that exists.

        Xentara's read page numbers "write only" -32103 and "read error" -32109 (the
        write page's "read only" and "write error"); for a read, either numbering
        is understood.
        """
        cls = (_READ_CLASSES if operation == "read" else _CLASSES_BY_CODE).get(code, ServerError)
        return cls(code, text, operation=operation, element=element)


def _default_text(code: int) -> str:
    """The protocol's text for *code*."""
    try:
        return ErrorCode(code).text
    except ValueError:
        return f"error {code}"


def _rebuild_server_error(
    cls: type[ServerError], code: int, text: str, operation: str | None, element: str | None
) -> ServerError:
    return cls(code, text, operation=operation, element=element)


class UnknownElement(ServerError, KeyError):
    """No element has this name or UUID. ``suggestions`` holds close matches."""

    codes = (ErrorCode.UNKNOWN_ELEMENT,)

    def __init__(
        self,
        code: int | None = None,
        text: str | None = None,
        *,
        operation: str | None = None,
        element: str | None = None,
        suggestions: Sequence[str] = (),
    ) -> None:
        self.suggestions = tuple(suggestions)
        super().__init__(code, text, operation=operation, element=element)

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_unknown_element,
            (self.code, self.text, self.operation, self.element, self.suggestions),
        )

    def _message(self) -> str:
        message = super()._message()
        if self.suggestions:
            message += "; did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        return message


def _rebuild_unknown_element(
    code: int, text: str, operation: str | None, element: str | None, suggestions: Sequence[str]
) -> UnknownElement:
    return UnknownElement(code, text, operation=operation, element=element, suggestions=suggestions)


class MissingAttribute(ServerError, KeyError):
    """The element has no such attribute."""

    codes = (ErrorCode.MISSING_ATTRIBUTE,)


class AccessDenied(ServerError, PermissionError):
    """The user may not do this."""

    codes = (ErrorCode.ACCESS_DENIED,)


class ReadOnly(ServerError, PermissionError):
    """The attribute cannot be written."""

    codes = (ErrorCode.READ_ONLY,)


class WriteOnly(ServerError, PermissionError):
    """The attribute cannot be read."""

    codes = (ErrorCode.WRITE_ONLY,)


class OutOfRange(ServerError, ValueError):
    """The value lies outside the range of the attribute's data type."""

    codes = (ErrorCode.OUT_OF_RANGE,)


class TypeMismatch(ServerError, TypeError):
    """The value does not convert to the attribute's data type."""

    codes = (ErrorCode.TYPE_MISMATCH,)


class IllegalValue(ServerError, ValueError):
    """The value is not valid for the attribute."""

    codes = (ErrorCode.ILLEGAL_VALUE,)


class ReadError(ServerError):
    """Reading failed on the server's side."""

    codes = (ErrorCode.READ_ERROR,)


class WriteError(ServerError):
    """Writing failed on the server's side.

    From ``write_many``, :attr:`errors` holds the error of each key that failed
    (the other keys were written).
    """

    codes = (ErrorCode.WRITE_ERROR,)

    #: The error of each failed key, from ``write_many``; empty otherwise.
    errors: dict[str, ServerError]

    def __init__(
        self,
        code: int | None = None,
        text: str | None = None,
        *,
        operation: str | None = None,
        element: str | None = None,
        errors: dict[str, ServerError] | None = None,
    ) -> None:
        self.errors = dict(errors or {})
        super().__init__(code, text, operation=operation, element=element)


class UnknownSubscription(ServerError, KeyError):
    """No subscription has this id."""

    codes = (ErrorCode.UNKNOWN_SUBSCRIPTION,)


class UnknownSession(ServerError, KeyError):
    """No sub-session has this id."""

    codes = (ErrorCode.UNKNOWN_SESSION,)


class InvalidStageChange(ServerError):
    """The requested stage change is not possible in the current stage."""

    codes = (ErrorCode.INVALID_STAGE_CHANGE,)


class InvalidRequest(ServerError):
    """The server could not understand the request (parse error, bad parameter,
    unknown command, missing or duplicate client hello)."""

    codes = (
        ErrorCode.PARSE_ERROR,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.COMMAND_NOT_FOUND,
        ErrorCode.INVALID_PARAMETER,
        ErrorCode.MISSING_CLIENT_HELLO,
        ErrorCode.DUPLICATE_CLIENT_HELLO,
    )


class InternalError(ServerError):
    """The server failed while answering (-32603): not the request's fault; retrying
    may help."""

    codes = (ErrorCode.INTERNAL_ERROR,)


_CLASSES_BY_CODE: dict[int, type[ServerError]] = {
    code: cls
    for cls in (
        UnknownElement,
        MissingAttribute,
        AccessDenied,
        ReadOnly,
        WriteOnly,
        OutOfRange,
        TypeMismatch,
        IllegalValue,
        ReadError,
        WriteError,
        UnknownSubscription,
        UnknownSession,
        InvalidStageChange,
        InvalidRequest,
        InternalError,
    )
    for code in cls.codes
}
_READ_CLASSES: dict[int, type[ServerError]] = {
    **_CLASSES_BY_CODE,
    -32103: WriteOnly,
    -32109: ReadError,
}
