"""Where and how to connect: URL parsing, Basic credentials, TLS settings.

Credentials in the URL become an HTTP Basic ``Authorization`` header and are kept
out of every text this package shows:

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

from .exceptions import InvalidURL

__all__ = ["Endpoint", "make_ssl_context"]


@dataclass(frozen=True)
class Endpoint:
    """A parsed Xentara WebSocket URL. ``url`` never contains credentials."""

    url: str
    secure: bool
    host: str
    port: int
    username: str | None = None
    _password: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """Parse ``ws://`` or ``wss://`` URLs, with optional ``user:password@``.

        The path defaults to ``/api/ws``; the port to 8080 (Xentara's default).
        """
        if not isinstance(url, str):
            raise InvalidURL(f"the URL must be a str, not {type(url).__name__}")
        try:
            parts = urllib.parse.urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise InvalidURL(f"invalid URL {_redact(url)!r}: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("ws", "wss"):
            hint = " (use ws:// or wss://)" if scheme in ("http", "https", "") else ""
            raise InvalidURL(
                f"invalid URL {_redact(url)!r}: the scheme must be ws or wss, "
                f"not {scheme or 'missing'}{hint}"
            )
        host = parts.hostname
        if not host:
            raise InvalidURL(f"invalid URL {_redact(url)!r}: no host")
        if port is None:
            port = 8080
        path = parts.path or "/api/ws"
        if parts.query:
            path += "?" + parts.query
        netloc_host = f"[{host}]" if ":" in host else host
        username = urllib.parse.unquote(parts.username) if parts.username is not None else None
        password = urllib.parse.unquote(parts.password) if parts.password is not None else None
        return cls(
            url=f"{scheme}://{netloc_host}:{port}{path}",
            secure=scheme == "wss",
            host=host,
            port=port,
            username=username,
            _password=password,
        )

    @property
    def has_credentials(self) -> bool:
        """Whether the URL carried a user name."""
        return self.username is not None

    def headers(self) -> dict[str, str]:
        """The HTTP headers that carry the credentials (none without them)."""
        if self.username is None:
            return {}
        token = f"{self.username}:{self._password or ''}".encode()
        return {"Authorization": "Basic " + base64.b64encode(token).decode("ascii")}

    def __str__(self) -> str:
        return self.url


def _redact(url: str) -> str:
    """*url* with any password replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, tail = rest.partition("/")
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{hostport}" if ":" in userinfo else f"{user}@{hostport}"
    return f"{scheme}://{netloc}{slash}{tail}"


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
