"""The connection settings of every client, written once.

Each setting is one row of :data:`SETTINGS` (name, default, type, what it means) and
one key of :class:`Settings` (the type mypy checks a call against). The clients of
all three flavours take them as keyword arguments; :func:`takes_settings` gives a
client class the signature that :func:`inspect.signature` and ``help()`` show and
the ``Args:`` section of its docstring, so a new setting is added here and nowhere
else (the checks of its value are :func:`check_settings`):

>>> import inspect
>>> @takes_settings
... class Client:
...     '''A client.'''
...     def __init__(self, url: str, **settings: object) -> None: ...
>>> inspect.signature(Client).parameters["keepalive"].default
5.0
>>> "keepalive: seconds between pings" in Client.__doc__
True
"""

from __future__ import annotations

import inspect
import os
import ssl as _ssl
import textwrap
from collections.abc import Mapping
from typing import Any, Final, NamedTuple, TypedDict, TypeVar

from ..exceptions import InvalidArgument
from ..protocol import arguments as check

__all__ = [
    "DEFAULT_KEEPALIVE",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MAX_QUEUE",
    "DEFAULT_MAX_RECONNECT_DELAY",
    "DEFAULT_MAX_SEND_SIZE",
    "DEFAULT_TIMEOUT",
    "SETTINGS",
    "Setting",
    "Settings",
    "check_settings",
    "takes_settings",
]

#: Seconds a request waits for its answer unless told otherwise.
DEFAULT_TIMEOUT = 10.0
#: The longest pause between two tries to reconnect, in seconds.
DEFAULT_MAX_RECONNECT_DELAY = 5.0
#: Seconds between pings; a pong late by as much again means the server is gone, so a
#: frozen server (a half-open TCP connection) is noticed within twice this.
DEFAULT_KEEPALIVE = 5.0
#: Events a subscription keeps before it drops the oldest: a second of a plant's
#: 100,000 events a second (about 14 MB when full of float values), so that a consumer
#: descheduled for tens of milliseconds (2 cores, a busy process) loses nothing.
DEFAULT_MAX_QUEUE = 100_000
#: The smallest ``max_message_size`` taken: the answers of connecting must fit.
MIN_MESSAGE_SIZE: Final = 1024
#: The largest message the client accepts unless told otherwise (bytes).
DEFAULT_MAX_MESSAGE_SIZE: Final = 64 * 1024 * 1024
#: The largest message the client sends unless told otherwise (bytes). A WebSocket
#: peer closes the connection on a message over its limit, and no handshake says
#: what that limit is: this is the simulator's (16 MiB); the limit of a real
#: Xentara is not documented. Requests that do not fit together leave in several
#: messages; one request larger than this fails alone, before it is sent.
DEFAULT_MAX_SEND_SIZE: Final = 16 * 1024 * 1024


class Settings(TypedDict, total=False):
    """The keyword-only settings of a client, as mypy checks them."""

    timeout: float
    connect_timeout: float | None
    ssl: Any
    cafile: str | os.PathLike[str] | None
    headers: Mapping[str, str] | None
    max_queue: int
    max_message_size: int | None
    max_send_size: int | None
    keepalive: float | None
    reconnect: bool
    max_reconnect_delay: float
    username: str | None
    password: str | None
    token: str | None


class Setting(NamedTuple):
    """One setting: its name, default, type (as written) and meaning."""

    name: str
    default: Any
    annotation: str
    doc: str
    #: Whether it may be given by position (``url, root_element, verify_ssl``).
    positional: bool = False


#: Every setting of a client, in the order of its signature.
SETTINGS: Final[tuple[Setting, ...]] = (
    Setting(
        "url",
        inspect.Parameter.empty,
        "str",
        "``ws://host:port/api/ws`` or ``wss://user:password@host:port/api/ws``; "
        "credentials become HTTP Basic authentication.",
        positional=True,
    ),
    Setting(
        "root_element",
        "Hardware",
        "str | None",
        "primary key of the element whose descendants the client indexes "
        "(``None``: the whole model).",
        positional=True,
    ),
    Setting(
        "verify_ssl",
        True,
        "bool",
        "``False`` accepts any TLS certificate (self-signed ones).",
        positional=True,
    ),
    Setting(
        "timeout",
        DEFAULT_TIMEOUT,
        "float",
        "seconds any request waits for its answer unless told otherwise.",
    ),
    Setting(
        "connect_timeout",
        None,
        "float | None",
        "seconds connecting may take in all, handshake, hello, root and browse "
        "together (default: *timeout*).",
    ),
    Setting("ssl", None, "Any", "an :class:`ssl.SSLContext` to use as is for ``wss://``."),
    Setting(
        "cafile", None, "str | os.PathLike[str] | None", "a CA bundle to trust for ``wss://``."
    ),
    Setting("headers", None, "Mapping[str, str] | None", "extra HTTP headers for the handshake."),
    Setting(
        "max_queue",
        DEFAULT_MAX_QUEUE,
        "int",
        "events a subscription keeps before dropping the oldest.",
    ),
    Setting(
        "max_message_size",
        DEFAULT_MAX_MESSAGE_SIZE,
        "int | None",
        "the largest message accepted from the server (bytes).",
    ),
    Setting(
        "max_send_size",
        DEFAULT_MAX_SEND_SIZE,
        "int | None",
        "the largest message sent (bytes; default 16 MiB, the simulator's limit; "
        "None: no limit). A write too large for one message raises "
        ":class:`InvalidArgument` before sending, and the connection stays up; "
        "requests that only fit apart leave in several messages.",
    ),
    Setting(
        "keepalive",
        DEFAULT_KEEPALIVE,
        "float | None",
        "seconds between pings; a server that answers none for as long again "
        "counts as lost (a frozen server is noticed within twice this). "
        "``None``: no pings.",
    ),
    Setting(
        "reconnect",
        True,
        "bool",
        "re-establish a lost connection (with backoff), look the keys up again and "
        "renew the subscriptions; ``False``: a loss ends the client.",
    ),
    Setting(
        "max_reconnect_delay",
        DEFAULT_MAX_RECONNECT_DELAY,
        "float",
        "the longest pause between two tries to reconnect (s).",
    ),
    Setting(
        "username",
        None,
        "str | None",
        "the user name for HTTP Basic authentication, instead of ``user@`` in the URL.",
    ),
    Setting(
        "password",
        None,
        "str | None",
        "the password, as it is (no percent-encoding), instead of ``:password@`` in "
        "the URL. It appears in no message, log or repr.",
    ),
    Setting(
        "token",
        None,
        "str | None",
        "an OAuth 2.0 access token, sent as ``Authorization: Bearer <token>`` instead "
        "of a user name and password (giving both raises :class:`InvalidArgument`). "
        "It appears in no message, log or repr.",
    ),
)

#: The settings that carry credentials (kept hidden, see :mod:`xentara_sync.secret`).
CREDENTIALS: Final = ("username", "password", "token")

C = TypeVar("C", bound=type)


def _signature() -> inspect.Signature:
    kinds = {True: inspect.Parameter.POSITIONAL_OR_KEYWORD, False: inspect.Parameter.KEYWORD_ONLY}
    parameters = [
        inspect.Parameter(s.name, kinds[s.positional], default=s.default, annotation=s.annotation)
        for s in SETTINGS
    ]
    return inspect.Signature(parameters, return_annotation=None)


def _args_section() -> str:
    lines = ["Args:"]
    for setting in SETTINGS:
        text = textwrap.wrap(f"{setting.name}: {setting.doc}", 80)
        lines.append("    " + text[0])
        lines.extend("        " + line for line in text[1:])
    return "\n".join(lines)


def takes_settings(cls: C) -> C:
    """Give client class *cls* the signature of :data:`SETTINGS` (for
    :func:`inspect.signature`, ``help()`` and the documentation) and append their
    ``Args:`` section to its docstring."""
    cls.__signature__ = _signature()  # type: ignore[attr-defined]
    doc = inspect.cleandoc(cls.__doc__ or "")
    cls.__doc__ = f"{doc}\n\n{_args_section()}\n"
    return cls


def check_settings(**settings: Any) -> dict[str, Any]:
    """The client's settings (all but the URL and credentials), each checked
    (:mod:`xentara_sync.protocol.arguments`); a wrong one raises
    :class:`~xentara_sync.exceptions.InvalidArgument` naming it. Those not given take
    their defaults.

    >>> check_settings(timeout=float("nan"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: timeout must be a positive number ... not float nan
    >>> check_settings(max_queue=10)["connect_timeout"]
    10.0
    """
    given = {s.name: s.default for s in SETTINGS[1:] if s.name not in CREDENTIALS}
    unknown = settings.keys() - given.keys()
    if unknown:
        raise InvalidArgument(f"unknown setting {sorted(unknown)[0]!r}")
    given.update(settings)
    timeout = check.seconds(given["timeout"], "timeout")
    connect_timeout = check.seconds(given["connect_timeout"], "connect_timeout", none=True)
    ssl_option = given["ssl"]
    if ssl_option is not None and not isinstance(ssl_option, _ssl.SSLContext):
        raise InvalidArgument(
            f"ssl must be an ssl.SSLContext or None, not {type(ssl_option).__name__}"
        )
    cafile = given["cafile"]
    if cafile is not None and not isinstance(cafile, (str, os.PathLike)):
        raise InvalidArgument(
            f"cafile must be a path (str or os.PathLike) or None, not {type(cafile).__name__}"
        )

    def size(name: str) -> int | None:
        return check.count(given[name], name, minimum=MIN_MESSAGE_SIZE, none=True, unit="bytes")

    return {
        "root_element": check.text(given["root_element"], "root_element", none=True) or None,
        "verify_ssl": check.flag(given["verify_ssl"], "verify_ssl"),
        "timeout": timeout,
        "connect_timeout": connect_timeout if connect_timeout is not None else timeout,
        "ssl": ssl_option,
        "cafile": cafile,
        "headers": check.header_map(given["headers"], "headers"),
        "max_queue": check.count(given["max_queue"], "max_queue"),
        "max_message_size": size("max_message_size"),
        "max_send_size": size("max_send_size"),
        "keepalive": check.seconds(given["keepalive"], "keepalive", none=True),
        "reconnect": check.flag(given["reconnect"], "reconnect"),
        "max_reconnect_delay": check.seconds(given["max_reconnect_delay"], "max_reconnect_delay"),
    }
