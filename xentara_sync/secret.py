"""Passwords and tokens held so that no ``repr()`` shows them.

A crash reporter that formats a traceback with its locals
(``traceback.TracebackException(..., capture_locals=True)``) shows the ``repr()`` of
every local of every frame. So the client wraps a password or token in a
:class:`Secret` as soon as it takes one, and a frame holds only the wrapper:

>>> secret = Secret("Pa55word")
>>> secret, str(secret), secret.reveal()
(Secret('***'), "Secret('***')", 'Pa55word')
"""

from __future__ import annotations

from typing import overload

__all__ = ["Secret", "hide", "reveal"]


class Secret:
    """A str (a password, a token, a URL with credentials) that ``repr()`` hides."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The str itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not pickled")


@overload
def hide(value: None) -> None: ...
@overload
def hide(value: str | Secret) -> Secret: ...
@overload
def hide(value: str | Secret | None) -> Secret | None: ...
def hide(value: object) -> object:
    """*value* wrapped if it is a str (others unchanged, for the type checks after).

    >>> hide("pw"), hide(None), hide(hide("pw"))
    (Secret('***'), None, Secret('***'))
    """
    return Secret(value) if isinstance(value, str) else value


def reveal(value: object) -> object:
    """The str that *value* hides (others unchanged).

    >>> reveal(Secret("pw")), reveal("pw"), reveal(None)
    ('pw', 'pw', None)
    """
    return value.reveal() if isinstance(value, Secret) else value
