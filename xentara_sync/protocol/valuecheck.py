"""The one rule a written value must pass for its data type, in the client and the simulator.

:func:`check_value` takes a value and the attribute's
:class:`~xentara_sync.protocol.DataType` and returns the value to send (or to
store), or raises :class:`ValueRejected` with the error code of the write page of
the reference (§4.7) and a text that says what was wrong. The client runs it
before a write leaves (:func:`xentara_sync.protocol.index.check_write` turns the code into
its exception class, naming the element); the simulator runs it on every write it
receives and on every default value of a model file. So the two never disagree.

Numbers come as users hold them: anything with ``__index__`` (``int``,
``numpy.int32``...) is an integer, anything else with ``__float__``
(``numpy.float32``, :class:`~decimal.Decimal`...) a float, and ``numpy.bool_`` a
bool; a 0-d numpy array counts as the scalar it holds. numpy is never imported
for this: its types are known by their module and name. The value returned is a
plain ``bool``, ``int`` or ``float``, which is what goes on the wire.

The rule, type by type:

- ``bool``: ``True`` or ``False`` (or ``numpy.bool_``) only (``1`` is refused:
  *type mismatch*).
- integers: an integer in the type's range; a float only if it is integral
  (``3.0`` is written as ``3``): ``3.5`` and NaN are *illegal values* (-32107),
  infinities and integral floats beyond the range are *out of range* (-32105);
  a bool, a complex number or anything else is a *type mismatch* (-32106).
- ``float32`` / ``float64``: an integer or a float (not a bool); a number
  that no double can hold (``10**400``), or a finite number beyond the float32
  range for ``float32``, is *out of range*; a ``float32`` is rounded to single
  precision. NaN and the infinities are values like any other.
- strings: a ``str`` (or a subclass, such as ``numpy.str_``) without NUL
  characters (Xentara's strings are C strings: a NUL is an *illegal value*).
- ``timeStamp`` (data type 16): a :class:`~xentara_sync.protocol.TimePoint`, or a
  :class:`~datetime.datetime` (naive means UTC), which becomes a ``TimePoint``.
- ``UUID`` (data type 17): a :class:`uuid.UUID`. Text is refused (*type
  mismatch*) rather than guessed at: ``uuid.UUID(text)`` says what is meant.

>>> check_value(DataType.INT16, 3.0)
3
>>> from fractions import Fraction
>>> check_value(DataType.FLOAT64, Fraction(1, 4)), check_value(DataType.UINT8, Fraction(6, 2))
(0.25, 3)
>>> check_value(DataType.INT16, 3.5)
Traceback (most recent call last):
...
xentara_sync.protocol.valuecheck.ValueRejected: 3.5 is not an integer, as int16 needs (-32107)
>>> try:
...     check_value(DataType.FLOAT64, 10**400)
... except ValueRejected as exc:
...     print(exc.code.name, "-", exc.text)
OUT_OF_RANGE - 1000000000000000000... is outside the range of float64
>>> try:
...     check_value(DataType.UUID, "e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
... except ValueRejected as exc:
...     print(exc.code.name)
TYPE_MISMATCH
"""

from __future__ import annotations

import datetime as _dt
import math
import operator
import struct
import uuid
from typing import Any, Final

from .ids import DataType, ErrorCode
from .timepoint import TimePoint

__all__ = [
    "TYPE_NAMES",
    "ValueRejected",
    "check_value",
    "float32",
    "type_name",
    "zero_value",
]

_FLOAT32_MAX: Final = 3.4028234663852886e38
_F32: Final = struct.Struct("<f")

#: The names of the data types as Xentara's model files spell them (register
#: ``defaultValue``, reference §8.9 for the numbers).
TYPE_NAMES: Final[dict[DataType, str]] = {
    DataType.BOOLEAN: "bool",
    DataType.INT8: "int8",
    DataType.INT16: "int16",
    DataType.INT32: "int32",
    DataType.INT64: "int64",
    DataType.UINT8: "uint8",
    DataType.UINT16: "uint16",
    DataType.UINT32: "uint32",
    DataType.UINT64: "uint64",
    DataType.FLOAT32: "float32",
    DataType.FLOAT64: "float64",
    DataType.STRING: "string",
    DataType.TIME_POINT: "timeStamp",
    DataType.UUID: "UUID",
    DataType.QUALITY: "quality",
    DataType.ELEMENT_CATEGORY: "element category",
}


class ValueRejected(ValueError):
    """A value that an attribute of its data type cannot take.

    ``code`` is the error code a server answers with (-32105, -32106 or -32107),
    ``text`` says what was wrong.
    """

    def __init__(self, code: ErrorCode, text: str) -> None:
        super().__init__(f"{text} ({int(code)})")
        self.code = code
        self.text = text


def type_name(data_type: DataType) -> str:
    """The name of *data_type* in messages (``"int16"``, ``"timeStamp"``)."""
    return TYPE_NAMES.get(data_type, data_type.name.lower())


def float32(value: float) -> float:
    """*value* rounded to float32 precision (saturating to ±inf beyond the range)."""
    try:
        result: float = _F32.unpack(_F32.pack(value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)
    return result


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:19] + "..."


def check_value(data_type: DataType, value: Any) -> Any:
    """*value* as an attribute of *data_type* takes it; raises :class:`ValueRejected`."""
    kind = type(value)
    if data_type is DataType.BOOLEAN:
        if kind is bool:
            return value
        if _is_numpy_bool(kind):
            return bool(value)
        if _is_array(kind):
            return check_value(data_type, _array_scalar(data_type, value))
        raise _mismatch(data_type, "True or False", value)
    bounds = data_type.integer_range
    if bounds is not None:
        if kind is not int:
            if kind is float:
                value = _integral(data_type, value, value, bounds)
            else:
                value = _integer(data_type, value, kind, bounds)
        if not bounds[0] <= value <= bounds[1]:
            raise _out_of_range(value, data_type, bounds)
        return value
    if data_type.is_float:
        if kind is float:
            number = value
        elif kind is int:
            try:
                number = float(value)
            except OverflowError:
                raise _out_of_range(value, data_type) from None
        else:
            number = _float(data_type, value, kind)
        if data_type is DataType.FLOAT32:
            if math.isfinite(number) and abs(number) > _FLOAT32_MAX:
                raise _out_of_range(value, data_type)
            number = float32(number)
        return number
    if data_type.is_string:
        if kind is not str:
            if not isinstance(value, str):
                raise _mismatch(data_type, "a str", value)
            value = str.__str__(value)
        if "\x00" in value:
            raise ValueRejected(
                ErrorCode.ILLEGAL_VALUE, "a string value must not contain NUL characters"
            )
        return value
    if data_type is DataType.TIME_POINT:
        if kind is TimePoint:
            return value
        if isinstance(value, _dt.datetime):
            return TimePoint.from_datetime(value)
        raise _mismatch(data_type, "a TimePoint or datetime", value)
    if data_type is DataType.UUID:
        if isinstance(value, uuid.UUID):
            return value
        hint = ": pass uuid.UUID(text)" if kind is str else ""
        raise ValueRejected(
            ErrorCode.TYPE_MISMATCH,
            f"UUID: expected a uuid.UUID, got {kind.__name__} {_shown(value)}{hint}",
        )
    return value


def _is_numpy_bool(kind: type) -> bool:
    """Whether *kind* is ``numpy.bool_`` (named ``bool`` since numpy 2), known
    without importing numpy."""
    return kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_")


def _is_array(kind: type) -> bool:
    return kind.__module__ == "numpy" and kind.__name__ == "ndarray"


def _is_boolean(kind: type) -> bool:
    return kind is bool or _is_numpy_bool(kind)


def _is_complex(kind: type) -> bool:
    """Whether *kind* is a complex number: numpy's convert to float by dropping
    the imaginary part, which no write should do silently."""
    return issubclass(kind, complex) or (
        kind.__module__ == "numpy" and kind.__name__.startswith(("complex", "clongdouble"))
    )


def _array_scalar(data_type: DataType, value: Any) -> Any:
    """The scalar a 0-d numpy array holds; any other array is a type mismatch."""
    if getattr(value, "ndim", None) == 0:
        return value[()]
    raise _mismatch(data_type, f"one {type_name(data_type)} value, not an array", value)


def _integer(data_type: DataType, value: Any, kind: type, bounds: tuple[int, int]) -> int:
    """*value*, not an ``int``, as an integer attribute takes it."""
    if _is_boolean(kind) or _is_complex(kind):
        raise _mismatch(data_type, "an int", value)
    if isinstance(value, int):  # a subclass of int (an IntEnum...)
        return int(value)
    if hasattr(kind, "__index__"):
        try:
            return operator.index(value)
        except TypeError:
            pass
    if _is_array(kind):
        scalar = _array_scalar(data_type, value)
        return _integer(data_type, scalar, type(scalar), bounds)
    if not hasattr(kind, "__float__"):
        raise _mismatch(data_type, "an int", value)
    try:
        number = float(value)
    except OverflowError:
        raise _out_of_range(value, data_type, bounds) from None
    except (TypeError, ValueError):
        raise _mismatch(data_type, "an int", value) from None
    return _integral(data_type, value, number, bounds)


def _integral(data_type: DataType, value: Any, number: float, bounds: tuple[int, int]) -> int:
    """The integer the float *number* (made of *value*) equals, if it is one."""
    if math.isnan(number) or (math.isfinite(number) and not number.is_integer()):
        raise ValueRejected(
            ErrorCode.ILLEGAL_VALUE,
            f"{_shown(value)} is not an integer, as {type_name(data_type)} needs",
        )
    if math.isinf(number):
        raise _out_of_range(value, data_type, bounds)
    return int(number)


def _float(data_type: DataType, value: Any, kind: type) -> float:
    """*value*, not a ``float``, as a float attribute takes it."""
    if _is_boolean(kind) or _is_complex(kind):
        raise _mismatch(data_type, "a float", value)
    if _is_array(kind):
        scalar = _array_scalar(data_type, value)
        return _float(data_type, scalar, type(scalar))
    try:
        if hasattr(kind, "__index__"):
            return float(operator.index(value))
        if hasattr(kind, "__float__"):
            number = float(value)
            if math.isinf(number) and not number == value:  # Decimal("1e400") is finite
                raise OverflowError
            return number
    except OverflowError:
        raise _out_of_range(value, data_type) from None
    except (TypeError, ValueError):
        pass
    raise _mismatch(data_type, "a float", value)


def _mismatch(data_type: DataType, expected: str, value: Any) -> ValueRejected:
    name = type_name(data_type)
    return ValueRejected(
        ErrorCode.TYPE_MISMATCH,
        f"{name}: expected {expected}, got {type(value).__name__} {_shown(value)}",
    )


def _out_of_range(
    value: Any, data_type: DataType, bounds: tuple[int, int] | None = None
) -> ValueRejected:
    name = type_name(data_type)
    where = f"{name} ({bounds[0]}..{bounds[1]})" if bounds else f"the range of {name}"
    return ValueRejected(ErrorCode.OUT_OF_RANGE, f"{_shown(value)} is outside {where}")


def zero_value(data_type: DataType) -> Any:
    """The value a point of *data_type* holds when nothing says otherwise: false,
    0, 0.0, empty text, the epoch, the nil UUID.

    >>> zero_value(DataType.TIME_POINT) == TimePoint(0), zero_value(DataType.FLOAT32)
    (True, 0.0)
    """
    if data_type is DataType.BOOLEAN:
        return False
    if data_type.is_float:
        return 0.0
    if data_type.is_string:
        return ""
    if data_type is DataType.TIME_POINT:
        return TimePoint(0)
    if data_type is DataType.UUID:
        return uuid.UUID(int=0)
    return 0
