"""Numeric codes for every error, for callers that show a code and a message
(LabVIEW error clusters, TestStand step results): see :mod:`xentara_sync.flat`.

An error response of the server keeps its Xentara code (``-32100`` unknown element,
``-32103`` read only...), and so do the checks the client makes before sending for
the server (a value of the wrong type is ``-32106`` whoever noticed it). Errors of
the client itself have codes of their own, in LabVIEW's range for user-defined
errors (5000 to 9999); they never change meaning:

>>> from xentara_sync.exceptions import ReadOnly, RequestTimeout
>>> error_code(ReadOnly()), error_code(RequestTimeout("no answer"))
(-32103, 5002)
>>> print(with_code(RequestTimeout("no answer within 2 s")))
5002: no answer within 2 s
"""

from __future__ import annotations

import enum

from .exceptions import (
    AuthenticationFailed,
    ConditionBroken,
    ConditionNotMet,
    ConnectionClosed,
    ConnectionFailed,
    InvalidArgument,
    InvalidURL,
    ProtocolError,
    RequestTimeout,
    ServerError,
    SubscriptionEnded,
    TLSVerificationFailed,
    UsageError,
    XentaraError,
)

__all__ = ["ClientErrorCode", "WrongType", "error_code", "with_code"]


class ClientErrorCode(enum.IntEnum):
    """The codes of errors found by the client, not answered by the server."""

    #: Anything else (a bug, or an error of Python itself).
    UNEXPECTED = 5000
    #: No open session or subscription has this handle, or the API was used where
    #: it cannot work.
    USAGE = 5001
    #: No answer, or no event, within the timeout.
    TIMEOUT = 5002
    #: ``wait_until``: the value did not meet the condition within the timeout.
    CONDITION_NOT_MET = 5003
    #: The connection could not be opened (host unreachable, refused, handshake).
    CONNECTION_FAILED = 5004
    #: The server refused the credentials (HTTP 401).
    AUTHENTICATION_FAILED = 5005
    #: The server's TLS certificate was refused.
    TLS_VERIFICATION_FAILED = 5006
    #: The connection ended (lost, or the session was closed).
    CONNECTION_CLOSED = 5007
    #: An argument is wrong: a bad URL, an unknown attribute name, arrays of
    #: different lengths, a value of the wrong type for the function.
    INVALID_ARGUMENT = 5008
    #: The server broke the protocol.
    PROTOCOL_ERROR = 5009
    #: The subscription was stopped and has no more events.
    SUBSCRIPTION_ENDED = 5010
    #: A typed read found a value of another type (``read_int`` of a string).
    WRONG_TYPE = 5011
    #: A file could not be written (``record_csv``).
    FILE_ERROR = 5012
    #: ``hold``: the value stopped meeting the condition before the time was up.
    CONDITION_BROKEN = 5013


class WrongType(XentaraError, TypeError):
    """A typed read (``read_double``, ``read_int``...) found a value of another type."""


#: Client errors by class, most specific first.
_CODES: tuple[tuple[type[BaseException], ClientErrorCode], ...] = (
    (WrongType, ClientErrorCode.WRONG_TYPE),
    (ConditionBroken, ClientErrorCode.CONDITION_BROKEN),
    (ConditionNotMet, ClientErrorCode.CONDITION_NOT_MET),
    (RequestTimeout, ClientErrorCode.TIMEOUT),
    (UsageError, ClientErrorCode.USAGE),
    (AuthenticationFailed, ClientErrorCode.AUTHENTICATION_FAILED),
    (TLSVerificationFailed, ClientErrorCode.TLS_VERIFICATION_FAILED),
    (ConnectionFailed, ClientErrorCode.CONNECTION_FAILED),
    (ConnectionClosed, ClientErrorCode.CONNECTION_CLOSED),
    (InvalidURL, ClientErrorCode.INVALID_ARGUMENT),
    (InvalidArgument, ClientErrorCode.INVALID_ARGUMENT),
    (ProtocolError, ClientErrorCode.PROTOCOL_ERROR),
    (SubscriptionEnded, ClientErrorCode.SUBSCRIPTION_ENDED),
    (TimeoutError, ClientErrorCode.TIMEOUT),
    (TypeError, ClientErrorCode.INVALID_ARGUMENT),
    (ValueError, ClientErrorCode.INVALID_ARGUMENT),
    (OSError, ClientErrorCode.FILE_ERROR),
)


def error_code(error: BaseException) -> int:
    """The numeric code of *error*: the server's code, or a :class:`ClientErrorCode`."""
    if isinstance(error, ServerError):
        return error.code
    for cls, code in _CODES:
        if isinstance(error, cls):
            return int(code)
    return int(ClientErrorCode.UNEXPECTED)


def with_code(error: BaseException) -> BaseException:
    """*error* with its message starting ``"CODE: "``: the same exception when its
    message can be changed, else one of the same type (or :class:`RuntimeError`)
    made from *error*."""
    code = error_code(error)
    text = str(error)
    prefix = f"{code}: "
    if text.startswith(prefix):
        return error
    message = prefix + text
    error.args = (message,)
    if str(error) == message:
        return error
    try:  # OSError shows errno and strerror, KeyError quotes: a fresh one of the type
        fresh: BaseException = type(error)(message)
    except Exception:
        fresh = RuntimeError(message)
    if str(fresh) != message:
        fresh = RuntimeError(message)
    fresh.__cause__ = error
    return fresh
