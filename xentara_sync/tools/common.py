"""What the client commands share: options, connecting, errors, values.

The connection options and the ``argparse`` types, connecting as they say,
turning every failure into one line on stderr (never with the password of the
URL), and showing and parsing values. It imports nothing heavy; the client is
imported only when a command runs.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import sys
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ..protocol import DataType
    from ..sync import XentaraClient

__all__ = [
    "PASSWORD_VARIABLE",
    "TOKEN_VARIABLE",
    "CommandError",
    "add_connection_arguments",
    "add_credential_arguments",
    "add_token_arguments",
    "cli_terms",
    "client_options",
    "credentials",
    "describe",
    "display",
    "error",
    "jsonable",
    "non_negative_float",
    "non_negative_int",
    "parse_attribute",
    "parse_category",
    "parse_value",
    "positive_float",
    "positive_int",
    "readable_file",
    "run_client",
    "scrub",
    "set_examples",
    "token",
]

PROG = "xentara-sync"


class CommandError(Exception):
    """An error of the command line itself; printed as one line, exit *status*."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------- arguments


URL_HELP = (
    "the Xentara WebSocket API: ws://HOST:PORT/api/ws or wss://HOST:PORT/api/ws "
    "(credentials: --user, or USER:PASSWORD@ percent-encoded in the URL, or a token)"
)


ROOT_HELP: Final = (
    "primary key of the element the client browses from, to narrow what it knows "
    "(default: the whole model)"
)


def add_connection_arguments(
    parser: argparse.ArgumentParser,
    *,
    url_help: str = URL_HELP,
    url_optional: bool = False,
    root: str = "",
    root_help: str = ROOT_HELP,
) -> None:
    """Add the URL argument and the options every client command shares (*root* and
    *root_help*: ``--root``'s default and help, where a command needs others)."""
    parser.add_argument("url", metavar="URL", nargs="?" if url_optional else None, help=url_help)
    group = parser.add_argument_group("connection")
    group.add_argument("--root", metavar="KEY", default=root, help=root_help)
    group.add_argument(
        "--timeout",
        metavar="S",
        type=positive_float,
        default=10.0,
        help="seconds connecting and each request may take (default: %(default)g)",
    )
    group.add_argument(
        "--no-verify",
        dest="verify_ssl",
        action="store_false",
        help="accept any TLS certificate (self-signed ones) for wss://",
    )
    group.add_argument(
        "--cafile",
        metavar="FILE",
        type=readable_file,
        help="trust the CA certificates in FILE (PEM) for wss://",
    )
    add_credential_arguments(group)
    add_token_arguments(group)


#: The environment variable that holds the password of --user.
def add_keys(
    parser: argparse.ArgumentParser, nargs: str = "+", help: str = "primary key of an element"
) -> None:
    """Add the connection's arguments and the elements' keys (``KEY ...``) to *parser*."""
    add_connection_arguments(parser)
    parser.add_argument("keys", metavar="KEY", nargs=nargs, help=help)


def add_interval(parser: argparse.ArgumentParser, default: int, per: str) -> None:
    """Add ``--interval MS`` (the throttle of a subscription) to *parser*."""
    parser.add_argument(
        "--interval",
        metavar="MS",
        type=non_negative_int,
        default=default,
        help=f"at most one {per} every MS milliseconds; 0: every change (default: %(default)s)",
    )


PASSWORD_VARIABLE = "XENTARA_PASSWORD"
#: The environment variable that holds a Bearer token (used without a user name).
TOKEN_VARIABLE = "XENTARA_TOKEN"


def add_credential_arguments(group: Any) -> None:
    """Add ``--user`` and ``--password-file`` to *group* (a parser or argument group)."""
    group.add_argument(
        "--user",
        metavar="NAME",
        help="authenticate as NAME (HTTP Basic); the password comes from --password-file "
        f"or the environment variable {PASSWORD_VARIABLE}",
    )
    group.add_argument(
        "--password-file",
        metavar="FILE",
        type=readable_file,
        help="read the password of --user from the first line of FILE",
    )


def add_token_arguments(group: Any) -> None:
    """Add ``--token-file`` and ``--token`` (Bearer authentication) to *group*."""
    group.add_argument(
        "--token-file",
        metavar="FILE",
        type=readable_file,
        help="authenticate with the Bearer token on the first line of FILE (instead of "
        f"--user); or put it in the environment variable {TOKEN_VARIABLE}",
    )
    group.add_argument(
        "--token",
        metavar="TOKEN",
        help=f"the Bearer token itself; it shows in the process list (ps): prefer "
        f"--token-file or {TOKEN_VARIABLE}",
    )


def token(args: argparse.Namespace) -> str | None:
    """The Bearer token of ``--token-file``, ``--token`` or ``XENTARA_TOKEN``; or None.

    :data:`TOKEN_VARIABLE` is used only when no user name is given (by ``--user``
    or in the URL), as :data:`PASSWORD_VARIABLE` only when one is. Raises
    :class:`CommandError` for both ``--token-file`` and ``--token``.

    >>> import argparse
    >>> token(argparse.Namespace(url="ws://host/api/ws", token="  abc.def  "))
    'abc.def'
    """
    import os
    import urllib.parse

    token_file = getattr(args, "token_file", None)
    given = getattr(args, "token", None)
    if token_file is not None:
        if given is not None:
            raise CommandError("--token-file and --token exclude each other")
        with open(token_file, encoding="utf-8") as file:
            return file.readline().strip() or None
    if given is not None:
        return str(given).strip() or None
    try:
        url_user = urllib.parse.urlsplit(getattr(args, "url", None) or "").username
    except ValueError:
        url_user = None
    if getattr(args, "user", None) is None and url_user is None:
        return os.environ.get(TOKEN_VARIABLE, "").strip() or None
    return None


def credentials(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The (username, password) of ``--user`` and ``--password-file`` / ``XENTARA_PASSWORD``.

    The password of a file is its first line, without the line break. Without
    ``--password-file``, :data:`PASSWORD_VARIABLE` is used when a user name is
    given (by ``--user`` or in the URL) and the URL holds no password.
    Raises :class:`CommandError` for a password file without a user.
    """
    import os
    import urllib.parse

    user = getattr(args, "user", None)
    password_file = getattr(args, "password_file", None)
    try:
        parts = urllib.parse.urlsplit(getattr(args, "url", None) or "")
        url_user, url_password = parts.username, parts.password
    except ValueError:
        url_user = url_password = None
    if password_file is not None:
        if user is None and url_user is None:
            raise CommandError("--password-file needs --user (or a user name in the URL)")
        with open(password_file, encoding="utf-8") as file:
            password: str | None = file.readline().rstrip("\r\n")
        return user, password
    password = None
    if (user is not None or url_user is not None) and url_password is None:
        password = os.environ.get(PASSWORD_VARIABLE) or None
    return user, password


def secrets(args: argparse.Namespace) -> list[str]:
    """Every form of the password the command line was given, for :func:`scrub`."""
    import urllib.parse

    found: set[str] = set()
    try:
        password = urllib.parse.urlsplit(getattr(args, "url", None) or "").password
    except ValueError:
        password = None
    if password:
        found |= {password, urllib.parse.unquote(password)}
    try:
        found.add(credentials(args)[1] or "")
    except (CommandError, OSError):
        pass
    given = getattr(args, "password", None)  # simulate --password
    if isinstance(given, str):
        found.add(given)
    try:  # the token of a client command, or of simulate
        found.add(token(args) or "")
    except (CommandError, OSError):
        pass
    return sorted(found - {""}, key=len, reverse=True)


def scrub(text: str, args: argparse.Namespace) -> str:
    """*text* without any password of the command line, however it got there.

    >>> import argparse
    >>> args = argparse.Namespace(url="ws://admin:s3cret@host/api/ws")
    >>> scrub("cannot open ws://admin:s3cret@host/api/ws", args)
    'cannot open ws://admin:***@host/api/ws'
    """
    for secret in secrets(args):
        text = text.replace(secret, "***")
    return text


def set_examples(parser: argparse.ArgumentParser, examples: str) -> None:
    """Show *examples* (already indented) below the options of ``--help``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "examples:\n" + examples.strip("\n")


def _number(
    convert: Callable[[str], float], kind: str, smallest: float, above: bool, must: str
) -> Callable[[str], Any]:
    """An ``argparse`` type: *text* converted, finite, and at least *smallest* (or
    *above* it); *must* says what it must be."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {kind}: {text!r}") from None
        if (value <= smallest if above else value < smallest) or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must {must}: {text!r}")
        return value

    return parse


# ``argparse`` types of numbers (seconds, counts, intervals).
positive_float = _number(float, "a number", 0, True, "be a positive number")
non_negative_float = _number(float, "a number", 0, False, "be a number of 0 or more")
non_negative_int = _number(int, "an integer", 0, False, "not be negative")
positive_int = _number(int, "an integer", 1, False, "be a positive integer")


def readable_file(text: str) -> str:
    """An ``argparse`` type: the name of a file that can be opened for reading."""
    try:
        with open(text, "rb"):
            pass
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text!r}: {exc.strerror}") from None
    return text


def parse_attribute(text: str) -> str:
    """Check an ``--attribute`` name: a well-known one (``value``, ``quality``,
    ``changeTime``), a UUID, or any name the element's metadata lists (``units``;
    the client looks it up there and names the element's attributes if it is not).

    >>> parse_attribute("change_time"), parse_attribute("units")
    ('change_time', 'units')
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("an attribute name must not be empty")
    return text


def parse_category(text: str) -> Any:
    """The :class:`~xentara_sync.protocol.Category` called *text*, for ``--category``.

    Case, dashes and underscores do not matter:

    >>> parse_category("data-point")
    <Category.DATA_POINT: 2>
    >>> parse_category("Device")
    <Category.DEVICE: 6>
    """
    from ..protocol import Category

    wanted = text.strip().replace("-", "").replace("_", "").replace(" ", "").lower()
    for category in Category:
        if category.name.replace("_", "").lower() == wanted:
            return category
    names = ", ".join(c.name.lower() for c in Category)
    raise argparse.ArgumentTypeError(f"unknown category {text!r}; one of: {names}")


# --------------------------------------------------------------------------- running


def error(message: str, status: int = 1) -> int:
    """Print ``xentara-sync: error: message`` to stderr; returns *status*."""
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    return status


def client_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of a client (any flavour) as the common options say:
    the URL and everything after it.

    >>> import argparse
    >>> args = argparse.Namespace(url="ws://host/api/ws", root="", verify_ssl=True,
    ...                           timeout=5.0, cafile=None)
    >>> options = client_options(args)
    >>> options["url"], options["root_element"], options["timeout"]
    ('ws://host/api/ws', None, 5.0)
    """
    username, password = credentials(args)
    return {
        "url": args.url,
        "root_element": args.root or None,
        "verify_ssl": args.verify_ssl,
        "timeout": args.timeout,
        "cafile": args.cafile,
        "username": username,
        "password": password,
        "token": token(args),
    }


def connect(args: argparse.Namespace) -> XentaraClient:
    """A client connected as the common options say."""
    from ..sync import XentaraClient

    return XentaraClient(**client_options(args))


def run_client(
    args: argparse.Namespace,
    body: Callable[[XentaraClient], int],
    connector: Callable[[argparse.Namespace], XentaraClient] | None = None,
) -> int:
    """Connect, run *body(client)*, close; every failure becomes one line on stderr.

    *connector* connects (default: :func:`connect`). Returns *body*'s status, 1 if
    connecting or a request failed, or a :class:`CommandError`'s status.
    ``KeyboardInterrupt`` is passed on.
    """
    from ..exceptions import TLSVerificationFailed, XentaraError

    try:
        with (connector or connect)(args) as client:
            status = body(client)
        sys.stdout.flush()
        return status
    except CommandError as exc:
        return error(scrub(str(exc), args), exc.status)
    except TLSVerificationFailed as exc:
        return error(scrub(_tls_hint(str(exc)), args))
    except XentaraError as exc:
        return error(scrub(cli_terms(str(exc)), args))
    except BrokenPipeError:
        # The reader went away (``| head``): not an error of ours.
        _discard_stdout()
        return 0
    except (OSError, ValueError, TypeError) as exc:
        return error(scrub(describe(exc), args))


def cli_terms(message: str) -> str:
    """A message of the library, its keyword arguments named as command-line options.

    >>> cli_terms("pass them as username= and password=; root_element=None: the whole model")
    "pass them as --user and --password-file; --root '': the whole model"
    """
    for keywords, options in (
        ("username= and password=", "--user and --password-file"),
        ("as username=", "with --user"),
        ("pass it as password=", f"pass it with --password-file or {PASSWORD_VARIABLE}"),
        ("as password=", "with --password-file"),
        ("(username= or user@ in the URL)", "(--user, or user@ in the URL)"),
        ("root_element=None", "--root ''"),
        ("give a Bearer token with token=...", "give a token with --token-file"),
        ("a token (Bearer)", "a token (--token-file)"),
    ):
        message = message.replace(keywords, options)
    return message


def _tls_hint(message: str) -> str:
    """The client's advice for a refused certificate, in command-line terms.

    >>> _tls_hint("pass verify_ssl=False, or give the CA with cafile=...")
    'pass --no-verify, or give the CA with --cafile FILE'
    """
    hint = message.replace("verify_ssl=False", "--no-verify").replace("cafile=...", "--cafile FILE")
    if "--no-verify" not in hint:
        hint += " (for a self-signed certificate use --no-verify, or --cafile FILE)"
    return hint


def describe(exc: BaseException) -> str:
    """One line about *exc*: its message, the file of an :class:`OSError`, else its type.

    >>> describe(FileNotFoundError(2, "No such file or directory", "/nonexistent.json"))
    'No such file or directory: /nonexistent.json'
    >>> describe(OverflowError("bind(): port must be 0-65535."))
    'bind(): port must be 0-65535.'
    """
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _discard_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout is not a real file
        pass


# --------------------------------------------------------------------------- values


def printable(text: str) -> str:
    r"""*text* safe for a terminal: control characters, escape sequences and invisible
    formatting characters that a server put in a name or value are escaped as
    :func:`repr` escapes them (as error messages show them); the rest is unchanged.

    >>> printable("Temp\x1b[2J\u202eC"), printable("Grüße 1")
    ('Temp\\x1b[2J\\u202eC', 'Grüße 1')
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def display(value: Any) -> str:
    """A value as the commands print it: what ``write`` would take back.

    >>> from xentara_sync.protocol import Quality, TimePoint
    >>> display(True), display(2.5), display("on"), display(Quality.GOOD)
    ('true', '2.5', 'on', 'good')
    >>> display(TimePoint(1_704_107_471_111_587_983))
    '2024-01-01T11:11:11.111587983Z'
    """
    from ..protocol import AttributeFault

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, AttributeFault):
        return printable(f"<error: {value}>")
    if value is None:
        return "null"
    if isinstance(value, bytes):
        return value.hex()
    return printable(str(value))


def jsonable(value: Any) -> Any:
    """A value as JSON shows it: enums by name, times as ISO 8601 text, UUIDs as text.

    >>> import uuid
    >>> from xentara_sync.protocol import Quality
    >>> jsonable({"quality": Quality.BAD, "id": uuid.UUID(int=1), "x": float("nan")})
    {'quality': 'bad', 'id': '00000000-0000-0000-0000-000000000001', 'x': 'NaN'}
    """
    from ..protocol import AttributeFault

    if isinstance(value, Enum):
        return value.name.lower()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, AttributeFault):
        return {"error": value.code, "text": value.text}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


_TRUE = ("true", "1")
_FALSE = ("false", "0")


def parse_value(text: str, data_type: DataType | str) -> Any:
    """Convert command-line *text* to a value of *data_type*.

    *data_type* is the attribute's :class:`~xentara_sync.protocol.DataType`, or one
    of ``"bool"``, ``"int"``, ``"float"``, ``"str"``. Raises :class:`ValueError`
    with a message saying what was expected.

    >>> from xentara_sync.protocol import DataType
    >>> parse_value("true", DataType.BOOLEAN), parse_value("0", "bool")
    (True, False)
    >>> parse_value("-12", DataType.INT8), parse_value("0x1F", DataType.UINT32)
    (-12, 31)
    >>> parse_value("2.5", DataType.FLOAT64), parse_value("hello", DataType.STRING)
    (2.5, 'hello')
    >>> parse_value("yes", DataType.BOOLEAN)
    Traceback (most recent call last):
    ...
    ValueError: 'yes' is not a boolean: use true, false, 1 or 0
    >>> parse_value("3.0", DataType.INT16)
    3
    >>> parse_value("2024-01-01T11:11:11.111587983Z", DataType.TIME_POINT)
    TimePoint('2024-01-01T11:11:11.111587983Z')
    >>> parse_value("1.5", DataType.INT64)
    Traceback (most recent call last):
    ...
    ValueError: '1.5' is not an integer (int64)
    """
    import uuid

    from ..protocol import DataType, TimePoint

    kind = {"bool": DataType.BOOLEAN, "int": DataType.INT64, "float": DataType.FLOAT64}.get(
        str(data_type), data_type
    )
    if kind == "str":
        return text
    assert isinstance(kind, DataType)
    type_name = kind.name.lower() if isinstance(data_type, DataType) else str(data_type)
    if kind is DataType.BOOLEAN:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{text!r} is not a boolean: use true, false, 1 or 0")
    if kind.is_float:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number ({type_name})") from None
        if math.isinf(number) and "inf" not in text.lower():
            # A finite number beyond the float range (1e400): the exact integer it is,
            # which the write refuses as out of range, as it refuses 300 for an int8.
            import decimal

            return int(decimal.Decimal(text.strip()))
        return number
    if kind.is_string:
        return text
    if kind in (DataType.QUALITY, DataType.ELEMENT_CATEGORY):
        from ..protocol import Category, Quality

        names = Quality if kind is DataType.QUALITY else Category
        named = names.__members__.get(text.strip().upper().replace("-", "_"))
        if named is not None:
            return int(named)
    if kind.integer_range is not None:
        try:
            return (
                int(text, 0) if text.strip().lower().startswith(("0x", "0o", "0b")) else int(text)
            )
        except ValueError:
            pass
        try:  # an integral number such as 3.0 is the integer it equals (the write rule)
            number = float(text)
        except ValueError:
            number = math.nan
        if number.is_integer():
            return int(number)
        raise ValueError(f"{text!r} is not an integer ({type_name})") from None
    if kind is DataType.TIME_POINT:
        try:  # RFC 3339 keeps nanoseconds; other ISO 8601 forms go through datetime
            return TimePoint.from_isoformat(text)
        except ValueError:
            pass
        try:
            stamp = _dt.datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                f"{text!r} is not a time point: use ISO 8601, as in 2024-01-01T11:11:11Z"
            ) from None
        return TimePoint.from_datetime(stamp)
    if kind is DataType.UUID:
        try:
            return uuid.UUID(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a UUID") from None
    raise ValueError(f"values of type {type_name} cannot be written from the command line")
