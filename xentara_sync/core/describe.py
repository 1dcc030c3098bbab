"""``repr()`` that works in every state of an object, half-built ones included.

A constructor that fails leaves an object without some of its attributes; a crash
reporter that formats a traceback with its locals (``capture_locals=True``) still
calls ``repr()`` on it. :func:`safe_repr` makes such a ``repr()`` say that the object
is incomplete instead of raising.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

__all__ = ["safe_repr"]

T = TypeVar("T")


def safe_repr(method: Callable[[T], str]) -> Callable[[T], str]:
    """Wrap a ``__repr__``: if it raises, the object is described as incomplete.

    >>> class Half:
    ...     @safe_repr
    ...     def __repr__(self) -> str:
    ...         return f"<Half {self.name}>"
    >>> repr(Half())
    '<Half (incomplete)>'
    """

    @functools.wraps(method)
    def describe(self: T) -> str:
        try:
            return method(self)
        except Exception:
            return f"<{type(self).__name__} (incomplete)>"

    return describe
