"""Users of the simulator: names, passwords or Bearer tokens, and their rights.

Without configured users, authentication is off and everyone has every right (a
connection's or sub-session's user is then ``None``).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["User", "authenticate", "authenticate_token", "rights"]


@dataclass(frozen=True)
class User:
    """A user the simulator accepts, with read and write rights.

    The user authenticates with HTTP Basic and *password*, or with
    ``Authorization: Bearer`` and *token* (an opaque string standing for an OAuth
    2.0 access token: the simulator compares it, it does not decode it); either
    may be ``None``. Neither is shown by :func:`repr`:

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

    def __post_init__(self) -> None:
        if self.password is None and self.token is None:
            raise ValueError(f"user {self.name!r} needs a password or a token")


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
