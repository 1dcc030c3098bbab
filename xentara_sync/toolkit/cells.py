"""A recording's events as cells of a table: the columns, each value's cell and
its error's, and the check that an output file can be written. Shared by
:mod:`.recording` (CSV and DataFrames from memory) and :mod:`.recordfile` (files
written as the events come)."""

from __future__ import annotations

import enum
import os
import uuid
from typing import Any

from ..protocol import AttributeFault, TimePoint

__all__ = ["CSV_COLUMNS", "check_output", "csv_error", "csv_value"]

#: The columns of :meth:`Recording.to_csv` (and :meth:`Recording.to_dataframe`):
#: seconds since the recording started (the recording's clock), then the value's
#: own time stamp (UTC text and seconds since the epoch), key, value, error.
CSV_COLUMNS = ("seconds", "time", "timestamp", "key", "value", "error")


def csv_value(value: Any) -> Any:
    """*value* as a CSV cell: numbers and booleans as they are, enums as their
    number, time points as RFC 3339 UTC text to the nanosecond, a value in error
    as None (an empty cell: see :func:`csv_error`), anything else as its text.

    >>> csv_value(True), csv_value(2.5), csv_value(TimePoint(1_500_000_001))
    (True, 2.5, '1970-01-01T00:00:01.500000001Z')
    """
    if isinstance(value, enum.IntEnum):
        return int(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, TimePoint):
        return value.isoformat()
    if isinstance(value, AttributeFault):
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def csv_error(value: Any) -> str | None:
    """The ``error`` cell of *value*: the fault's text and code for a value in
    error, else None (empty).

    >>> csv_error(AttributeFault(-32104, "value is write only")), csv_error(1)
    ('value is write only (-32104)', None)
    """
    return str(value) if isinstance(value, AttributeFault) else None


def check_output(path: str | os.PathLike[str], what: str) -> None:
    """Check, before recording, that the *what* (``"CSV"``, ``"plot"``) can be
    written to *path*: :class:`FileNotFoundError` if its directory does not exist,
    :class:`IsADirectoryError` if *path* is a directory.

    >>> check_output("/nonexistent/run.csv", "CSV")
    Traceback (most recent call last):
    ...
    FileNotFoundError: cannot write the CSV to /nonexistent/run.csv: no directory /nonexistent
    """
    text = os.fspath(path)
    if os.path.isdir(text):
        raise IsADirectoryError(f"cannot write the {what} to {text}: it is a directory")
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write the {what} to {text}: no directory {folder}")
