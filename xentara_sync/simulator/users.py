"""Users of the simulator: names, passwords, Bearer tokens or certificates, and rights.

Without configured users, authentication is off and everyone has every right (a
connection's or sub-session's user is then ``None``).
"""

from __future__ import annotations

import hmac
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["User", "authenticate", "authenticate_certificate", "authenticate_token", "rights"]


@dataclass(frozen=True)
class User:
    """A user the simulator accepts, with read and write rights.

    The user authenticates with HTTP Basic and *password*, or with
    ``Authorization: Bearer`` and *token* (an opaque string standing for an OAuth
    2.0 access token: the simulator compares it, it does not decode it); any may be
    ``None``. A sub-session logs in with the password, the token, or (over TLS
    only) *certificate*, the user's X.509 certificate in DER form (bytes) or PEM
    text, which the simulator compares byte for byte, as Xentara checks no proof of
    possession in ``create_sub_session``. None is shown by :func:`repr`:

    >>> User("operator", "secret", write=False)
    User(name='operator', read=True, write=False)
    >>> User("dashboard", token="eyJhbGciOi.x.y", write=False)
    User(name='dashboard', read=True, write=False)
    """

    name: str
    password: str | None = field(default=None, repr=False)
    read: bool = True
    write: bool = True
    token: str | None = field(default=None, repr=False, kw_only=True)
    certificate: bytes | str | None = field(default=None, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        if self.password is None and self.token is None and self.certificate is None:
            raise ValueError(f"user {self.name!r} needs a password, a token or a certificate")
        if self.certificate is not None:
            object.__setattr__(self, "certificate", _der(self.name, self.certificate))


def authenticate(users: Mapping[str, User], name: str, password: str) -> User | None:
    """The user of *users* with these credentials, or ``None``.

    Takes as long for an unknown name as for a wrong password.
    """
    user = users.get(name)
    if user is None or user.password is None:
        hmac.compare_digest(password.encode(), b"\0" * len(password.encode()))
        return None
    if hmac.compare_digest(user.password.encode(), password.encode()):
        return user
    return None


def authenticate_token(users: Iterable[User], token: str) -> User | None:
    """The user of *users* whose Bearer token is *token*, or ``None``.

    Every user's token is compared, in constant time each, whichever matches.

    >>> authenticate_token([User("a", "x"), User("b", token="t0k3n")], "t0k3n")
    User(name='b', read=True, write=True)
    """
    found = None
    given = token.encode()
    for user in users:
        if user.token is not None and hmac.compare_digest(user.token.encode(), given):
            found = found or user
    return found


def _der(name: str, certificate: bytes | str) -> bytes:
    """A user's certificate in DER form (PEM text is converted)."""
    if isinstance(certificate, str):
        try:
            return ssl.PEM_cert_to_DER_cert(certificate.strip())
        except ValueError:
            raise ValueError(f"user {name!r}: the certificate is not PEM text") from None
    if not isinstance(certificate, bytes) or not certificate:
        raise ValueError(f"user {name!r}: a certificate is DER bytes or PEM text")
    return certificate


def authenticate_certificate(users: Iterable[User], certificate: bytes) -> User | None:
    """The user of *users* whose certificate is *certificate* (DER), or ``None``."""
    found = None
    for user in users:
        held = user.certificate
        if isinstance(held, bytes) and hmac.compare_digest(held, certificate):
            found = found or user
    return found


def rights(users: Iterable[User | None]) -> tuple[bool, bool]:
    """(read, write): the rights that all of *users* have (``None`` has every right).

    >>> rights([User("a", "x"), User("b", "y", write=False), None])
    (True, False)
    """
    read = write = True
    for user in users:
        if user is not None:
            read = read and user.read
            write = write and user.write
    return read, write
