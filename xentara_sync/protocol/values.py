"""Wrapped values: ``121(value)`` and ``122({0: code, 1: text})`` (reference §10.1).

Every value inside a read result or an event is wrapped in an "enumerated
alternative" tag: ``121`` holds the value, ``122`` an error object for an attribute
that could not be read. :func:`unwrap` turns the second into an
:class:`AttributeFault`:

>>> wrap(22.5)
CBORTag(121, 22.5)
>>> fault(-32101)
CBORTag(122, {0: -32101, 1: 'missing attribute'})
>>> unwrap(fault(-32101))
AttributeFault(code=-32101, text='missing attribute')
>>> unwrap_attributes({11: wrap(22.5), 9: wrap(0)})
{11: 22.5, 9: 0}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import cbor2

from ..exceptions import ProtocolError
from .ids import ErrorCode, ErrorKey
from .quoting import quote
from .tags import TAG_FAULT, TAG_VALUE

__all__ = ["AttributeFault", "fault", "unwrap", "unwrap_attributes", "wrap"]

_CODE: Final = int(ErrorKey.CODE)
_TEXT: Final = int(ErrorKey.TEXT)


@dataclass(frozen=True, slots=True)
class AttributeFault:
    """An attribute in error, as read results and events report it (``122``)."""

    code: int
    text: str

    def __str__(self) -> str:
        return f"{self.text} ({self.code})"


def wrap(value: Any) -> cbor2.CBORTag:
    """``121(value)``: a value inside a read result or event.

    An :class:`AttributeFault` becomes ``122(...)`` instead (see :func:`fault`).
    """
    if isinstance(value, AttributeFault):
        return fault(value.code, value.text)
    return cbor2.CBORTag(TAG_VALUE, value)


def fault(code: int, text: str | None = None) -> cbor2.CBORTag:
    """``122({0: code, 1: text})``: an attribute in error.

    Without *text*, the official client's text for *code* is used.
    """
    return cbor2.CBORTag(TAG_FAULT, _error_map(code, text))


def _error_map(code: int, text: str | None) -> dict[int, Any]:
    """The error object ``{0: code, 1: text}`` of error responses and of ``122``."""
    if text is None:
        try:
            text = ErrorCode(code).text
        except ValueError:
            text = "error"
    return {_CODE: int(code), _TEXT: text}


def unwrap(item: Any) -> Any:
    """The value inside ``121(...)``, or an :class:`AttributeFault` for ``122(...)``.

    Anything else raises :class:`~xentara_sync.exceptions.ProtocolError`.
    """
    if type(item) is cbor2.CBORTag:
        if item.tag == TAG_VALUE:
            return item.value
        if item.tag == TAG_FAULT:
            return AttributeFault(*_parse_error(item.value))
    raise ProtocolError(f"expected a 121/122-wrapped value, got {quote(item)}")


def unwrap_attributes(items: Any) -> dict[Any, Any]:
    """Unwrap every value of a read result or event attribute map."""
    if not isinstance(items, Mapping):
        raise ProtocolError(f"expected a map of attribute values, got {quote(items)}")
    return {key: unwrap(value) for key, value in items.items()}


def _parse_error(value: Any) -> tuple[int, str]:
    """Code and text of an error object; a missing text is the code's usual one.

    >>> _parse_error({0: -32104})
    (-32104, 'value is write only')
    """
    if not isinstance(value, Mapping):
        raise ProtocolError(f"an error object must be a map, got {quote(value)}")
    code = value.get(_CODE)
    if not isinstance(code, int) or isinstance(code, bool):
        raise ProtocolError(f"an error object needs an integer code, got {quote(value)}")
    text = value.get(_TEXT)
    if not isinstance(text, str):
        try:
            text = ErrorCode(code).text
        except ValueError:
            text = f"error {code}"
    return code, text
