"""Quoting input in error messages, with a cap on the length.

A :class:`~xentara_sync.exceptions.ProtocolError` says what was wrong with the input,
but a hostile peer must not be able to blow up the message: every quote is cut to
:data:`QUOTE_LIMIT` characters.

>>> quote([1, "two"])
"[1, 'two']"
>>> text = quote(b"x" * 1_000_000)
>>> len(text), text[:8], text[-5:]
(200, "b'xxxxxx", 'xx...')
"""

from __future__ import annotations

from typing import Final

__all__ = ["QUOTE_LIMIT", "clip", "quote"]

#: The longest quote of input an error message holds, in characters.
QUOTE_LIMIT: Final = 200


def clip(text: str) -> str:
    """*text*, cut to :data:`QUOTE_LIMIT` characters ending in ``...`` if longer.

    >>> clip("short")
    'short'
    >>> len(clip("y" * 500))
    200
    """
    if len(text) <= QUOTE_LIMIT:
        return text
    return text[: QUOTE_LIMIT - 3] + "..."


def quote(value: object) -> str:
    """The :func:`repr` of *value* for an error message, cut by :func:`clip`."""
    return clip(repr(value))
