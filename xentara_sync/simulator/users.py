"""Users of the simulator: names, passwords and their read and write rights.

Without configured users, authentication is off and everyone has every right (a
connection's or sub-session's user is then ``None``).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["User", "authenticate", "rights"]


@dataclass(frozen=True)
class User:
    """A user the simulator accepts, with read and write rights.

    >>> User("operator", "secret", write=False)
    User(name='operator', read=True, write=False)
    """

    name: str
    password: str = field(repr=False)
    read: bool = True
    write: bool = True


def authenticate(users: Mapping[str, User], name: str, password: str) -> User | None:
    """The user of *users* with these credentials, or ``None``.

    Takes as long for an unknown name as for a wrong password.
    """
    user = users.get(name)
    if user is None:
        hmac.compare_digest(password.encode(), b"\0" * len(password.encode()))
        return None
    if hmac.compare_digest(user.password.encode(), password.encode()):
        return user
    return None


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
