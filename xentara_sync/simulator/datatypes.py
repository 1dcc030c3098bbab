"""Data types of simulated values: names in model files, coercion of written values.

Model files name value types two ways: Xentara's own (``"int64"``, ``"float32"``,
``"bool"``, ``"string"``) and EtherCAT's (``"INTEGER16"``, ``"REAL32"``,
``"BOOLEAN"``, ``"UNSIGNED8"``). Both map to :class:`~xentara_sync.protocol.DataType`.

:func:`coerce` checks a value a client writes and turns it into the stored value,
or raises :class:`Rejected` with the error code the simulator answers with. The
rule is the client's own, :func:`xentara_sync.protocol.valuecheck.check_value`
(one rule on both sides): a value of the wrong kind is a *type mismatch*
(-32106), a number outside its type an *out of range* (-32105), a float with a
fraction for an integer or a string holding NUL an *illegal value* (-32107); an
integral float (``3.0``) for an integer is stored as ``3``.

>>> coerce(DataType.INT16, 7.0)
7
>>> coerce(DataType.FLOAT32, 0.1)
0.10000000149011612
>>> coerce(DataType.INT8, 300)
Traceback (most recent call last):
...
xentara_sync.simulator.datatypes.Rejected: 300 is outside int8 (-128..127) (-32105)
"""

from __future__ import annotations

import math
import uuid
from typing import Any, Final

from ..protocol import NIL_UUID, DataType, ErrorCode, TimePoint
from ..protocol.valuecheck import ValueRejected, check_value, float32, zero_value

__all__ = [
    "Rejected",
    "coerce",
    "convert",
    "known_data_type",
    "parse_data_type",
    "parse_default",
    "zero",
]

_EPOCH: Final = TimePoint(0)
#: Unsigned integers a signed type reads as 64-bit two's complement (see :func:`coerce`).
_TWOS_COMPLEMENT_FROM: Final = 2**63
_TWOS_COMPLEMENT_END: Final = 2**64
_SIGNED: Final = frozenset({DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64})
#: What a float's default or replayed value may say instead of a JSON number.
_SPECIAL_FLOATS: Final = {
    "nan": math.nan,
    "inf": math.inf,
    "+inf": math.inf,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-inf": -math.inf,
    "-infinity": -math.inf,
}

_NAMES: Final[dict[str, DataType]] = {
    "bool": DataType.BOOLEAN,
    "boolean": DataType.BOOLEAN,
    "bit": DataType.BOOLEAN,
    "bit1": DataType.BOOLEAN,
    "int8": DataType.INT8,
    "int16": DataType.INT16,
    "int32": DataType.INT32,
    "int64": DataType.INT64,
    "integer8": DataType.INT8,
    "integer16": DataType.INT16,
    "integer32": DataType.INT32,
    "integer64": DataType.INT64,
    "uint8": DataType.UINT8,
    "uint16": DataType.UINT16,
    "uint32": DataType.UINT32,
    "uint64": DataType.UINT64,
    "unsigned8": DataType.UINT8,
    "unsigned16": DataType.UINT16,
    "unsigned32": DataType.UINT32,
    "unsigned64": DataType.UINT64,
    "byte": DataType.UINT8,
    "word": DataType.UINT16,
    "dword": DataType.UINT32,
    "float32": DataType.FLOAT32,
    "float": DataType.FLOAT32,
    "real32": DataType.FLOAT32,
    "float64": DataType.FLOAT64,
    "double": DataType.FLOAT64,
    "real64": DataType.FLOAT64,
    "string": DataType.STRING,
    "visible_string": DataType.STRING,
    "unicode_string": DataType.STRING,
    "timestamp": DataType.TIME_POINT,
    "uuid": DataType.UUID,
}


class Rejected(Exception):
    """A written value cannot be stored; ``code`` is the error code to answer."""

    def __init__(self, code: ErrorCode, text: str) -> None:
        super().__init__(f"{text} ({int(code)})")
        self.code = code
        self.text = text


def parse_data_type(name: object, default: DataType = DataType.FLOAT64) -> DataType:
    """The data type a model file names (case does not matter); *default* if unknown.

    >>> parse_data_type("REAL32"), parse_data_type("int64")
    (<DataType.FLOAT32: 9>, <DataType.INT64: 4>)
    """
    if isinstance(name, str):
        return _NAMES.get(name.strip().lower(), default)
    return default


def known_data_type(name: object) -> DataType | None:
    """The data type a model file names, or ``None`` if it names none that is known.

    >>> known_data_type("timeStamp"), known_data_type("UUID"), known_data_type("int128")
    (<DataType.TIME_POINT: 16>, <DataType.UUID: 17>, None)
    """
    return _NAMES.get(name.strip().lower()) if isinstance(name, str) else None


def zero(data_type: DataType) -> Any:
    """The start value of a point of *data_type* that names none."""
    return zero_value(data_type)


def parse_default(data_type: DataType, value: object) -> Any:
    """The start value a model file gives as *value* for a point of *data_type*.

    The value must be valid for its type, by the same rule as a written value
    (:func:`coerce`); a ``timeStamp`` is RFC 3339 text with up to nanoseconds, a
    ``UUID`` RFC 4122 text; a ``float32`` or ``float64`` may be ``"nan"``,
    ``"inf"`` or ``"-inf"`` (also ``"+inf"``, ``"infinity"``; any case), which JSON
    cannot hold as numbers. Raises ``ValueError`` saying what is wrong.

    >>> parse_default(DataType.FLOAT64, "-inf"), parse_default(DataType.FLOAT32, "NaN")
    (-inf, nan)

    >>> parse_default(DataType.TIME_POINT, "2024-01-01T11:11:11.111587983Z")
    TimePoint('2024-01-01T11:11:11.111587983Z')
    >>> parse_default(DataType.INT8, 300)
    Traceback (most recent call last):
    ...
    ValueError: 300 is outside int8 (-128..127)
    """
    if value is None:
        return zero(data_type)
    if data_type is DataType.TIME_POINT and isinstance(value, str):
        return TimePoint.from_isoformat(value)
    if data_type is DataType.UUID and isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an RFC 4122 UUID") from None
    if data_type.is_float and isinstance(value, str):
        number = _SPECIAL_FLOATS.get(value.strip().lower())
        if number is None:
            raise ValueError(
                f"{value!r:.40} is no number: a float is a JSON number, or "
                '"nan", "inf" or "-inf" (JSON has no such numbers)'
            )
        value = number
    try:
        return check_value(data_type, value)
    except ValueRejected as exc:
        raise ValueError(exc.text) from None


def coerce(data_type: DataType, value: Any) -> Any:
    """*value*, as a client wrote it, converted to *data_type*; raises :class:`Rejected`.

    A signed integer type takes an unsigned integer from 2**63 to 2**64 - 1 as the
    negative number it stands for in 64-bit two's complement, as Xentara's own
    client sends negative numbers (docs/protocol.rst, "Negative integers"):

    >>> coerce(DataType.INT16, 18446744073709518848)
    -32768
    >>> coerce(DataType.UINT64, 18446744073709518848)
    18446744073709518848
    """
    if (
        type(value) is int
        and _TWOS_COMPLEMENT_FROM <= value < _TWOS_COMPLEMENT_END
        and data_type in _SIGNED
    ):
        value -= _TWOS_COMPLEMENT_END
    try:
        return check_value(data_type, value)
    except ValueRejected as exc:
        raise Rejected(exc.code, exc.text) from None


def convert(data_type: DataType, number: float) -> Any:
    """A computed (signal) value *number* as a value of *data_type*, clamped into range.

    >>> convert(DataType.INT16, 1e9), convert(DataType.BOOLEAN, 0.7)
    (32767, True)
    """
    if data_type is DataType.BOOLEAN:
        return number >= 0.5
    bounds = data_type.integer_range
    if bounds is not None:
        if math.isnan(number):
            return 0
        if number >= bounds[1]:
            return bounds[1]
        if number <= bounds[0]:
            return bounds[0]
        return min(max(round(number), bounds[0]), bounds[1])
    if data_type is DataType.FLOAT32:
        return float32(number)
    if data_type.is_string:
        return f"{number:g}"
    if data_type is DataType.TIME_POINT:
        return TimePoint.from_seconds(number)
    if data_type is DataType.UUID:
        return NIL_UUID
    return float(number)
