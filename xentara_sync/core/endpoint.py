"""Where and how to connect: URL parsing, Basic credentials or a Bearer token, TLS settings.

Credentials in the URL become an HTTP Basic ``Authorization`` header, a token an
``Authorization: Bearer`` header (reference §1.2: the two schemes Xentara's HTTP
server offers); both are kept out of every text this package shows:

>>> ep = Endpoint.parse("wss://operator:s%40cret@plant.local:8080/api/ws")
>>> ep.url
'wss://plant.local:8080/api/ws'
>>> ep.username, ep.secure
('operator', True)
>>> "cret" in repr(ep)
False
"""

from __future__ import annotations

import base64
import ssl as _ssl
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Final

from ..exceptions import InvalidArgument, InvalidURL, XentaraError
from ..secret import Secret, hide, reveal

__all__ = ["Endpoint", "make_ssl_context"]


class HiddenHeaders(dict[str, str]):
    """HTTP headers whose ``repr()`` hides the credentials they carry.

    >>> HiddenHeaders({"Authorization": "Basic b3A6cHc=", "X-Plant": "7"})
    {'Authorization': '***', 'X-Plant': '7'}
    """

    def __repr__(self) -> str:
        return repr({k: "***" if k.lower() == "authorization" else v for k, v in self.items()})

    __str__ = __repr__


@dataclass(frozen=True)
class Endpoint:
    """A parsed Xentara WebSocket URL. ``url`` never contains credentials."""

    url: str
    secure: bool
    host: str
    port: int
    username: str | None = None
    _password: str | None = field(default=None, repr=False, compare=False)
    _token: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def parse(
        cls,
        url: str | Secret,
        *,
        username: str | None = None,
        password: str | Secret | None = None,
        token: str | Secret | None = None,
    ) -> Endpoint:
        """Parse ``ws://`` or ``wss://`` URLs, with optional ``user:password@``.

        The path defaults to ``/api/ws``; the port to 8080 (Xentara's default).
        *username* and *password* give the credentials outside the URL, as they are
        (no percent-encoding); each may come from the URL or from its argument, not
        from both. No message ever holds the password:

        >>> Endpoint.parse("ws://plant:8080/api/ws", username="admin", password="Pa55/w#rd").url
        'ws://plant:8080/api/ws'
        >>> try:
        ...     Endpoint.parse("ws://admin:Pa55/word@plant/api/ws")
        ... except InvalidURL as exc:
        ...     print(str(exc).partition(": ")[0], "Pa55" in str(exc))
        invalid URL 'ws://admin:***@plant/api/ws' False

        *token* is an OAuth 2.0 access token for ``Bearer`` authentication; with a
        user name or password as well, it is refused (the server takes one scheme):

        >>> headers = Endpoint.parse("ws://plant/api/ws", token="eyJhbGciOi.x.y").headers()
        >>> headers["Authorization"], headers  # its repr hides the token
        ('Bearer eyJhbGciOi.x.y', {'Authorization': '***'})
        >>> try:
        ...     Endpoint.parse("ws://admin@plant/api/ws", token="eyJhbGciOi.x.y")
        ... except InvalidArgument as exc:
        ...     print(exc)
        give a token (Bearer) or a user name and password (Basic), not both
        """
        hidden = hide(url), hide(password), hide(token)
        del url, password, token  # only hidden from here on (a traceback shows locals)
        try:
            return cls._parse(reveal(hidden[0]), reveal(hidden[1]), reveal(hidden[2]), username)
        except XentaraError as exc:
            # Raised afresh from here: the frames below held the secrets themselves.
            raise exc.with_traceback(None) from None

    @classmethod
    def _parse(cls, url: Any, password: Any, token: Any, username: str | None) -> Endpoint:
        if not isinstance(url, str):
            raise InvalidURL(f"the URL must be a str, not {type(url).__name__}")
        for name, value in (("username", username), ("password", password), ("token", token)):
            if value is not None and not isinstance(value, str):
                raise InvalidURL(f"{name} must be a str, not {type(value).__name__}")
        url = url.strip()
        shown = _redact(url)
        try:
            parts = urllib.parse.urlsplit(url)
        except ValueError:
            raise InvalidURL(f"invalid URL {shown!r}{_ENCODING_HINT}") from None
        if "@" not in parts.netloc and "@" in url.partition("://")[2]:
            # An unencoded "/", "?" or "#" in the credentials ended the host part early.
            raise InvalidURL(
                f"invalid URL {shown!r}: a '/', '?' or '#' in the user name or password must "
                "be percent-encoded (%2F, %3F, %23), or pass them as username= and password="
            )
        try:
            port = parts.port
        except ValueError:
            raise InvalidURL(
                f"invalid URL {shown!r}: the port must be a number from 0 to 65535"
                f"{_ENCODING_HINT if '@' in parts.netloc else ''}"
            ) from None
        scheme = parts.scheme.lower()
        if scheme not in ("ws", "wss"):
            hint = " (use ws:// or wss://)" if scheme in ("http", "https", "") else ""
            raise InvalidURL(
                f"invalid URL {shown!r}: the scheme must be ws or wss, "
                f"not {scheme or 'missing'}{hint}"
            )
        host = parts.hostname
        if not host:
            raise InvalidURL(f"invalid URL {shown!r}: no host")
        if port is None:
            port = 8080
        path = parts.path or "/api/ws"
        if parts.query:
            path += "?" + parts.query
        netloc_host = f"[{host}]" if ":" in host else host
        url_user = urllib.parse.unquote(parts.username) if parts.username is not None else None
        url_password = urllib.parse.unquote(parts.password) if parts.password is not None else None
        if username is not None and url_user is not None:
            raise InvalidURL("give the user name in the URL or as username=, not both")
        if password is not None and url_password is not None:
            raise InvalidURL("give the password in the URL or as password=, not both")
        user = url_user if username is None else username
        secret = url_password if password is None else password
        if user is None and secret is not None:
            raise InvalidURL("a password needs a user name (username= or user@ in the URL)")
        if token is not None:
            if user is not None:
                raise InvalidArgument(
                    "give a token (Bearer) or a user name and password (Basic), not both"
                )
            if not token or any(c.isspace() for c in token):
                raise InvalidArgument("a token must be non-empty, without spaces or line breaks")
        return cls(
            url=f"{scheme}://{netloc_host}:{port}{path}",
            secure=scheme == "wss",
            host=host,
            port=port,
            username=user,
            _password=secret,
            _token=token,
        )

    @property
    def password(self) -> str | None:
        """The password (never shown by :func:`repr` or in any message)."""
        return self._password

    @property
    def has_credentials(self) -> bool:
        """Whether the URL carried a user name."""
        return self.username is not None

    @property
    def token(self) -> str | None:
        """The Bearer token (never shown by :func:`repr` or in any message)."""
        return self._token

    def headers(self) -> dict[str, str]:
        """The HTTP headers that carry the credentials (none without them); their
        ``repr()`` hides the credentials."""
        if self._token is not None:
            return HiddenHeaders({"Authorization": f"Bearer {self._token}"})
        if self.username is None:
            return HiddenHeaders()
        token = f"{self.username}:{self._password or ''}".encode()
        return HiddenHeaders({"Authorization": "Basic " + base64.b64encode(token).decode("ascii")})

    def __str__(self) -> str:
        return self.url


_ENCODING_HINT: Final = (
    "; percent-encode special characters of the user name and password, "
    "or pass them as username= and password="
)


def _redact(url: str) -> str:
    """*url* with everything between ``://`` and the last ``@`` but the user name hidden.

    Whatever the password holds (even an unencoded ``/``, ``#``, ``?`` or ``@``), it
    does not survive:

    >>> _redact("ws://admin:Pa55/w#r?d@plant:8080/api/ws")
    'ws://admin:***@plant:8080/api/ws'
    >>> _redact("ws://plant:8080/api/ws")
    'ws://plant:8080/api/ws'
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" not in rest:
        return url
    userinfo, _, tail = rest.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    if not colon and any(c in user for c in "/?#"):
        user = "***"  # not a plain user name: perhaps a password
    shown = f"{user}:***" if colon else user
    return f"{scheme}{sep}{shown}@{tail}"


def make_ssl_context(
    verify_ssl: bool = True,
    *,
    cafile: str | None = None,
    context: _ssl.SSLContext | None = None,
) -> _ssl.SSLContext:
    """The TLS context for a ``wss://`` connection.

    *context* is used as given; otherwise a default context trusting the system CAs
    (and *cafile*), with certificate and host name checks off when *verify_ssl* is
    false (self-signed certificates).
    """
    if context is not None:
        return context
    ctx = _ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = _ssl.TLSVersion.TLSv1_2
    if not verify_ssl:
        ctx.check_hostname = False
        ctx.verify_mode = _ssl.CERT_NONE
    return ctx
