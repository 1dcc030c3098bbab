"""Logging without secrets: the handshake logs of websockets, with credentials hidden.

At DEBUG level websockets logs every header of the opening handshake, including
``Authorization: Basic <base64 of user:password>``. The clients (and the simulator)
hand websockets a :class:`RedactingLogger` instead of its own logger: the same
logger names and records, with the value of every header that carries a secret
replaced.

>>> import logging
>>> logger = RedactingLogger(logging.getLogger("websockets.client"))
>>> logger.redact(("Authorization", "Basic YWRtaW46c2VjcmV0"))
('Authorization', '[redacted]')
>>> logger.redact(("Host", "127.0.0.1:8080"))
('Host', '127.0.0.1:8080')

At DEBUG level websockets also logs every frame, with the first and last bytes of
its data. A frame that carries sub-session credentials (CBOR tag 123, the user
name and password of ``create_sub_session``, or tag 121 around ``{0: token}``, its
OAuth token) is logged without its data:

>>> from websockets.frames import Frame, Opcode
>>> data = bytes.fromhex("818400020ca100d87ba200616101616200")
>>> logger.redact((Frame(Opcode.BINARY, data),))
('BINARY [data hidden: it may hold credentials] [17 bytes]',)
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

__all__ = ["SECRET_HEADERS", "RedactingLogger", "redacting"]

#: Headers whose values are never logged (compared in lower case).
SECRET_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
_REDACTED: Final = "[redacted]"
#: The head of CBOR tag 123 (``d8 7b``): ``create_sub_session``'s user name and
#: password; and tag 121 around a one-entry map of key 0 (``d8 79 a1 00``): its OAuth
#: token (a value wrapped in 121 is never a map). A frame holding these bytes is
#: logged without its data (a few other frames that hold them by chance are too:
#: harmless).
_CREDENTIALS_TAGS: Final = (b"\xd8\x7b", b"\xd8\x79\xa1\x00")


if TYPE_CHECKING:
    _Adapter = logging.LoggerAdapter[logging.Logger]
else:  # LoggerAdapter is subscriptable from Python 3.11 on
    _Adapter = logging.LoggerAdapter


class RedactingLogger(_Adapter):
    """A logger that logs what *logger* would, with secret header values hidden."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})

    @staticmethod
    def redact(args: Any) -> Any:
        """*args* of a ``"%s: %s"`` header record, the value hidden if it is secret;
        of a ``"> %s"`` frame record, the frame hidden if it may hold credentials."""
        if (
            isinstance(args, tuple)
            and len(args) == 2
            and isinstance(args[0], str)
            and args[0].lower() in SECRET_HEADERS
        ):
            return (args[0], _REDACTED)
        if isinstance(args, tuple) and len(args) == 1:
            data = getattr(args[0], "data", None)
            if isinstance(data, memoryview):
                data = data.tobytes()
            if isinstance(data, (bytes, bytearray)) and any(
                tag in data for tag in _CREDENTIALS_TAGS
            ):
                kind = getattr(getattr(args[0], "opcode", None), "name", "frame")
                return (f"{kind} [data hidden: it may hold credentials] [{len(data)} bytes]",)
        return args

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            self.logger.log(level, msg, *self.redact(args), **kwargs)

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        return msg, kwargs

    def __repr__(self) -> str:
        return f"<RedactingLogger {self.logger.name}>"


def redacting(name: str) -> RedactingLogger:
    """A :class:`RedactingLogger` over the logger called *name*."""
    return RedactingLogger(logging.getLogger(name))
