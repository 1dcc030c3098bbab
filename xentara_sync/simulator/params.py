"""Parameters of requests: reading them, and the failure of a request.

A command handler takes its parameters with these helpers, naming each by its
parameter key (:class:`~xentara_sync.protocol.ReadParam` and the like) and by its
name in the protocol reference, and raises :class:`Fail` to answer with an error
packet. A missing or ill-typed parameter fails with -32602 (invalid parameter) and a
text that names it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, TypeAlias

from ..protocol import ErrorCode
from ..protocol.quoting import quote

__all__ = [
    "Fail",
    "Params",
    "attribute_key",
    "get",
    "get_uuid",
    "invalid",
    "invalid_parameter",
    "is_int",
    "optional_uuid",
    "rate",
]

#: The parameters of a request: a map, or ``None`` when the request has none.
Params: TypeAlias = Mapping[Any, Any] | None


class Fail(Exception):
    """A request fails with *code* and *text* (by default, the code's text)."""

    def __init__(self, code: ErrorCode, text: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.text = text if text is not None else code.text


def invalid(text: str) -> Fail:
    """The failure of an invalid parameter (-32602), described by *text*."""
    return Fail(ErrorCode.INVALID_PARAMETER, text)


def invalid_parameter(key: int, what: str, must: str) -> Fail:
    """The failure of parameter *key* (called *what*), which *must* be something else.

    >>> invalid_parameter(1, "depth", "must be an unsigned integer").text
    'parameter 1 (depth) must be an unsigned integer'
    """
    return invalid(f"parameter {int(key)} ({what}) {must}")


def is_int(value: object) -> bool:
    """Whether *value* is an integer (a ``bool`` is not)."""
    return type(value) is int


def get(params: Params, key: int, what: str) -> Any:
    """The parameter *key* (called *what*); fails if it is missing."""
    if params is None or key not in params:
        raise invalid(f"missing parameter {int(key)} ({what})")
    return params[key]


def get_uuid(params: Params, key: int, what: str) -> uuid.UUID:
    """The UUID parameter *key*; fails if it is missing or not a UUID."""
    value = get(params, key, what)
    if not isinstance(value, uuid.UUID):
        raise invalid_parameter(key, what, "must be a UUID (tag 37)")
    return value


def optional_uuid(params: Params, key: int, what: str) -> uuid.UUID | None:
    """The UUID parameter *key*, or ``None`` if it is absent."""
    if params is None or key not in params:
        return None
    return get_uuid(params, key, what)


def attribute_key(key: object) -> int | uuid.UUID:
    """*key* if it can name an attribute (an integer or a UUID); fails otherwise."""
    if is_int(key) or isinstance(key, uuid.UUID):
        return key  # type: ignore[return-value]
    raise invalid(f"invalid attribute identifier {quote(key)}: an integer or a UUID")


def rate(params: Mapping[Any, Any], key: int, what: str) -> float:
    """The update rate parameter *key* (milliseconds) in seconds; 0 if absent."""
    value = params.get(key)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise invalid_parameter(key, what, "must be a non-negative number of milliseconds")
    return float(value) / 1000.0
