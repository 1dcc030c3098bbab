"""Checks of the public arguments: one function per kind of argument, one wording.

Every setting of a client and every argument of a call that is not a primary key
or a value to write is checked here, before anything is sent: the settings once
when a client is made (for every flavour, since they all build the same
:class:`~xentara_sync.core.connection.Connection`), the arguments of a call by the plan
or the method that takes them. A wrong type or value raises
:class:`~xentara_sync.exceptions.InvalidArgument` (a :class:`ValueError` and a
:class:`TypeError`) that names the argument and says what it accepts:

>>> seconds("5", "timeout")
Traceback (most recent call last):
...
xentara_sync.exceptions.InvalidArgument: timeout must be a positive number of seconds, not str '5'
>>> try:
...     seconds(float("nan"), "keepalive", none=True)
... except InvalidArgument as exc:
...     print(exc)
keepalive must be a positive number of seconds or None, not float nan

Numbers are taken as the value rule takes them (:mod:`.valuecheck`): anything
with ``__index__`` is an integer (``numpy.int64`` too), anything else with
``__float__`` a number; a bool is neither.

Integers the server receives are held to the range the protocol can carry without
a bignum: update intervals and attribute identifiers are unsigned 32-bit integers
(:data:`UINT32_MAX`; an interval of 2**32 - 1 ms is 49.7 days). A bigger integer
would leave as a CBOR bignum (tag 2), which the server does not take as a number.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeVar

from ..exceptions import InvalidArgument
from .quoting import quote

__all__ = [
    "UINT32_MAX",
    "call_timeout",
    "callable_or_none",
    "count",
    "flag",
    "header_map",
    "interval",
    "key_list",
    "protocol_integer",
    "seconds",
    "subscription_keys",
    "text",
    "write_many_values",
]

#: The largest update interval (ms) and integer attribute identifier sent.
UINT32_MAX: Final = 2**32 - 1

_C = TypeVar("_C", bound=Callable[..., Any])


def _shown(value: object) -> str:
    """*value* for a message: its type and its (clipped) repr."""
    if value is None or isinstance(value, bool):
        return repr(value)
    return f"{type(value).__name__} {quote(value)}"


def _refuse(name: str, accepts: str, value: object) -> InvalidArgument:
    return InvalidArgument(f"{name} must be {accepts}, not {_shown(value)}")


def _is_bool(value: object) -> bool:
    kind = type(value)
    return kind is bool or (kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"))


def _number(value: object) -> float | None:
    """*value* as a float if it is a real number (not a bool, not text); else None."""
    kind = type(value)
    if kind is float:
        return value  # type: ignore[return-value]
    if _is_bool(value) or isinstance(value, (str, bytes, complex)):
        return None
    try:
        if kind is int:
            return float(value)  # type: ignore[arg-type]
        if hasattr(kind, "__index__"):
            return float(operator.index(value))  # type: ignore[arg-type]
        if hasattr(kind, "__float__"):
            return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf
    except (TypeError, ValueError):
        return None
    return None


def _integer(value: object) -> int | None:
    """*value* as an int if it is an integer (or an integral float); else None."""
    if type(value) is int:
        return value
    if _is_bool(value) or isinstance(value, (str, bytes)):
        return None
    if hasattr(type(value), "__index__"):
        try:
            return operator.index(value)  # type: ignore[arg-type]
        except TypeError:
            pass
    number = _number(value)
    if number is None or not math.isfinite(number) or not number.is_integer():
        return None
    return int(number)


def seconds(value: Any, name: str, *, none: bool = False, zero: bool = False) -> float | None:
    """A duration in seconds: a finite number above 0 (0 too with *zero*; None with
    *none*).

    >>> seconds(10, "timeout"), seconds(None, "connect_timeout", none=True)
    (10.0, None)
    >>> seconds(-1, "timeout", zero=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: timeout must be a number of seconds, 0 or ... int -1
    """
    if value is None and none:
        return None
    number = _number(value)
    if number is not None and math.isfinite(number) and (number > 0 or (zero and number == 0)):
        return number
    accepts = "a number of seconds, 0 or more" if zero else "a positive number of seconds"
    raise _refuse(name, accepts + (" or None" if none else ""), value)


def call_timeout(value: Any) -> float:
    """The ``timeout=`` of a call, given (not None): seconds, 0 or more.

    >>> call_timeout(0), call_timeout(2.5)
    (0.0, 2.5)
    """
    if type(value) is float and 0.0 <= value < math.inf:  # the usual case, at once
        return value
    checked = seconds(value, "timeout", zero=True)
    assert checked is not None
    return checked


def count(
    value: Any,
    name: str,
    *,
    minimum: int = 1,
    maximum: int | None = None,
    none: bool = False,
    unit: str = "",
) -> int | None:
    """An integer from *minimum* to *maximum* (None with *none*); *unit* names what
    it counts in the message (``"bytes"``).

    >>> count(100, "max_queue")
    100
    >>> count(float("nan"), "max_queue")
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: max_queue must be an int of 1 or more, not float nan
    """
    if value is None and none:
        return None
    number = _integer(value)
    if number is not None and number >= minimum and (maximum is None or number <= maximum):
        return number
    what = (
        f"an int of {minimum} or more" if maximum is None else f"an int from {minimum} to {maximum}"
    )
    if unit:
        what += f" ({unit})"
    raise _refuse(name, what + (" or None" if none else ""), value)


def interval(value: Any, name: str) -> int | None:
    """An update interval in milliseconds as the server receives it: None or 0 leave
    it out (None is returned), otherwise an integer from 1 to :data:`UINT32_MAX`.

    >>> interval(500, "maximum_update_interval"), interval(0, "minimum_update_interval")
    (500, None)
    >>> interval(2**70, "maximum_update_interval")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: maximum_update_interval ... 1180591620717411303424
    """
    if value is None:
        return None
    number = _integer(value)
    if number is not None and 0 <= number <= UINT32_MAX:
        return number or None
    raise _refuse(name, f"None or a number of milliseconds, an int from 0 to {UINT32_MAX}", value)


def protocol_integer(value: int, name: str) -> int:
    """An integer the server receives as an identifier: 0 to :data:`UINT32_MAX`.

    >>> protocol_integer(11, "attribute")
    11
    >>> protocol_integer(-1, "attribute")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: attribute must be ... not int -1
    """
    if 0 <= value <= UINT32_MAX:
        return value
    raise _refuse(name, f"an attribute name, a UUID or an int from 0 to {UINT32_MAX}", value)


def flag(value: Any, name: str) -> bool:
    """A yes-or-no setting: True or False (``numpy.bool_`` too).

    >>> flag(False, "verify_ssl")
    False
    >>> flag("no", "verify_ssl")
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: verify_ssl must be True or False, not str 'no'
    """
    if _is_bool(value):
        return bool(value)
    raise _refuse(name, "True or False", value)


def text(value: Any, name: str, *, none: bool = False, empty: bool = True) -> str | None:
    """A str (non-empty unless *empty*; None with *none*)."""
    if value is None and none:
        return None
    if isinstance(value, str) and (empty or value):
        return str(value)
    accepts = "a str" if empty else "a non-empty str"
    raise _refuse(name, accepts + (" or None" if none else ""), value)


def callable_or_none(value: _C | None, name: str) -> _C | None:
    """A callback, or None.

    >>> callable_or_none(42, "progress")
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: progress must be a callable or None, not int 42
    """
    if value is None or callable(value):
        return value
    raise _refuse(name, "a callable or None", value)


def header_map(value: Any, name: str) -> dict[str, str]:
    """Extra HTTP headers: None or a mapping of str to str."""
    if value is None:
        return {}
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return dict(value)
    raise _refuse(name, "None or a mapping of str to str", value)


def subscription_keys(key: str | Iterable[str], operation: str = "subscribe") -> tuple[str, ...]:
    """The keys of a subscription: one primary key or a non-empty list of them;
    the error names *operation* (``subscribe``, ``record``).

    >>> try:
    ...     subscription_keys([], "record")
    ... except InvalidArgument as exc:
    ...     print(exc)
    record takes a primary key or a non-empty list of them, not []
    """
    if isinstance(key, str):
        return (key,)
    try:
        keys = tuple(key)
    except TypeError:
        keys = ()
    if not keys or not all(isinstance(k, str) for k in keys):
        raise InvalidArgument(
            f"{operation} takes a primary key or a non-empty list of them, not {quote(key)}"
        )
    return keys


def key_list(keys: Iterable[str], operation: str) -> list[str]:
    """The primary keys of *operation* (``read_many``): a list (or other iterable) of
    str, not one str.

    >>> key_list("Hardware.Speed", "read_many")
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: read_many takes a list of primary keys, not one str
    """
    if isinstance(keys, str):
        raise InvalidArgument(f"{operation} takes a list of primary keys, not one str")
    try:
        found = list(keys)
    except TypeError:
        raise InvalidArgument(
            f"{operation} takes a list of primary keys, not {type(keys).__name__} {quote(keys)}"
        ) from None
    for key in found:
        if not isinstance(key, str) or not key:
            raise InvalidArgument(
                f"{operation}: a key must be a primary key, a non-empty str, not "
                f"{type(key).__name__} {quote(key)}"
            )
    return found


def write_many_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``{key: value}`` of a ``write_many``, checked to be a mapping.

    >>> try:
    ...     write_many_values(None)
    ... except InvalidArgument as exc:
    ...     print(exc)
    write_many takes a mapping of primary keys to values ({key: value, ...}), not None
    """
    if not isinstance(values, Mapping):
        raise InvalidArgument(
            "write_many takes a mapping of primary keys to values ({key: value, ...}), "
            f"not {quote(values)}"
        )
    return dict(values)
