"""A flat API for LabVIEW, TestStand and other callers that pass only plain values.

LabVIEW's Python Node and TestStand's Python adapter call module-level functions
with numbers, booleans, strings and arrays of them. Here a connection and a
subscription are integer handles, and every value crosses as a plain type:
booleans, integers, floats, strings; time stamps as float seconds since the epoch,
qualities and categories as integers, UUIDs as strings. Errors raise the usual
:mod:`xentara_sync.exceptions`, whose message starts with a stable numeric code
(``"-32103: write ... failed: ..."``; see :mod:`xentara_sync.errorcodes`), so that
the caller can put both in an error cluster.

>>> from xentara_sync import flat
>>> from xentara_sync.simulator import Simulator
>>> with Simulator() as sim:
...     session = flat.open_session(sim.url, "Hardware", True, 10.0)
...     flat.write(session, "Hardware.EtherCAT Bus.EL2624.Output 1", True)
...     print(flat.read(session, "Hardware.EtherCAT Bus.EL2624.Output 1"))
...     flat.close_session(session)
True

Every function is safe to call from any thread; handles are never reused.
"""

from __future__ import annotations

import enum
import functools
import itertools
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .errorcodes import WrongType, with_code
from .exceptions import InvalidArgument, UsageError
from .protocol import AttributeFault, TimePoint

if TYPE_CHECKING:
    from .sync import Subscription, XentaraClient

__all__ = [
    "close_all",
    "close_session",
    "hold",
    "is_connected",
    "keys",
    "next_event",
    "open_session",
    "plain",
    "read",
    "read_bool",
    "read_double",
    "read_int",
    "read_many",
    "read_string",
    "reconnects",
    "record_csv",
    "subscribe",
    "unsubscribe",
    "wait_until",
    "write",
    "write_many",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def __dir__() -> list[str]:
    """The API only: ``dir(flat)`` is what a LabVIEW or TestStand user may call."""
    return sorted(__all__)


def _coded(function: _F) -> _F:
    """Make every error *function* raises start its message with its numeric code."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            coded = with_code(exc)
            if coded is exc:
                raise
            raise coded from exc

    return call  # type: ignore[return-value]


_lock = threading.Lock()
_handles = itertools.count(1)
_sessions: dict[int, XentaraClient] = {}
_subscriptions: dict[int, tuple[int, Subscription]] = {}


def plain(value: Any) -> Any:
    """*value* as a plain type: time stamps as float seconds, enums as ints, UUIDs as str.

    >>> plain(TimePoint(1_500_000_000)), plain(uuid.UUID(int=0))
    (1.5, '00000000-0000-0000-0000-000000000000')
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, enum.IntEnum):
        return int(value)
    if isinstance(value, TimePoint):
        return value.timestamp()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, AttributeFault):
        return str(value)
    return value


def _session(handle: int) -> XentaraClient:
    client = _sessions.get(handle)
    if client is None:
        raise UsageError(f"no open session {handle!r} (open one with open_session)")
    return client


def _subscription(handle: int) -> Subscription:
    entry = _subscriptions.get(handle)
    if entry is None:
        raise UsageError(f"no subscription {handle!r} (it was never made or is closed)")
    return entry[1]


@_coded
def open_session(
    url: str,
    root_element: str = "Hardware",
    verify_ssl: bool = True,
    timeout: float = 10.0,
    username: str = "",
    password: str = "",
    token: str = "",
) -> int:
    """Connect to Xentara; returns the session handle (a positive integer).

    *username* and *password* (empty: none) are the credentials, as they are; the
    password appears in no message. They may also be in the URL, percent-encoded.
    *token* (empty: none) is a Bearer token instead of them.
    """
    from .sync import XentaraClient

    client = XentaraClient(
        url,
        root_element or None,
        verify_ssl,
        timeout=timeout,
        username=username or None,
        password=password or None,
        token=token or None,
    )
    with _lock:
        handle = next(_handles)
        _sessions[handle] = client
    return handle


@_coded
def close_session(handle: int) -> None:
    """Close a session and its subscriptions. Closing a closed session does nothing."""
    with _lock:
        client = _sessions.pop(handle, None)
        for sub_handle, (owner, _) in list(_subscriptions.items()):
            if owner == handle:
                del _subscriptions[sub_handle]
    if client is not None:
        client.close()


@_coded
def close_all() -> None:
    """Close every session (for the end of a test sequence)."""
    with _lock:
        handles = list(_sessions)
    for handle in handles:
        close_session(handle)


@_coded
def is_connected(handle: int) -> bool:
    """Whether the session's connection is open (False while it reconnects)."""
    return _session(handle).connected


@_coded
def reconnects(handle: int) -> int:
    """How often the session's connection was lost and re-established."""
    return _session(handle).reconnects


@_coded
def keys(handle: int) -> list[str]:
    """Primary keys of the elements under the session's root element."""
    return _session(handle).keys()


@_coded
def read(handle: int, key: str, attribute: str = "value") -> Any:
    """The value of element *key* (or of another attribute), as a plain type."""
    return plain(_session(handle).read(key, attribute=attribute))


@_coded
def read_many(handle: int, keys: list[str], attribute: str = "value") -> list[Any]:
    """The values of many elements, read in one message, in the order of *keys*."""
    values = _session(handle).read_many(keys, attribute=attribute)
    return [plain(values[key]) for key in keys]


@_coded
def write(handle: int, key: str, value: Any, attribute: str = "value") -> None:
    """Write *value* to element *key*.

    Whole-number floats (as LabVIEW's numeric terminals send them) are written as
    ints to integer attributes; 0 and 1 to booleans.
    """
    client = _session(handle)
    metadata = client.metadata(key)
    info = metadata.attribute(attribute)
    if info is not None:
        value = _coerce(value, info.data_type)
    client.write(key, value, attribute=attribute)


def _coerce(value: Any, data_type: Any) -> Any:
    from .protocol import DataType

    if data_type is DataType.BOOLEAN and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    if data_type.integer_range is not None and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@_coded
def subscribe(
    handle: int,
    key: str,
    maximum_update_interval: int = 500,
    minimum_update_interval: int = 1000,
) -> int:
    """Start a subscription to element *key*; returns its handle."""
    subscription = _session(handle).subscribe(
        key, maximum_update_interval or None, minimum_update_interval or None
    )
    subscription.start()
    with _lock:
        sub_handle = next(_handles)
        _subscriptions[sub_handle] = (handle, subscription)
    return sub_handle


@_coded
def next_event(sub_handle: int, timeout: float = 10.0) -> tuple[float, str, Any]:
    """The next event as ``(timestamp, key, value)`` (a LabVIEW cluster); raises
    :class:`~xentara_sync.RequestTimeout` (5002) after *timeout* seconds."""
    event = _subscription(sub_handle).receive(timeout)
    return (event.timestamp, event.name, plain(event.value))


@_coded
def unsubscribe(sub_handle: int) -> None:
    """Stop a subscription. Stopping a stopped one does nothing."""
    with _lock:
        entry = _subscriptions.pop(sub_handle, None)
    if entry is not None and _sessions.get(entry[0]) is not None:
        entry[1].stop()


# --------------------------------------------------------------------------- typed reads


def _typed(handle: int, key: str, attribute: str, wanted: str, ok: Callable[[Any], bool]) -> Any:
    value = plain(_session(handle).read(key, attribute=attribute))
    if not ok(value):
        raise WrongType(
            f"{key!r} is {type(value).__name__} {value!r}, not {wanted}: "
            f"use read_{_READER.get(type(value), 'string')} or read"
        )
    return value


_READER = {bool: "bool", int: "int", float: "double", str: "string"}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@_coded
def read_double(handle: int, key: str, attribute: str = "value") -> float:
    """The value of *key* as a float (integers too); other types raise
    :class:`~xentara_sync.errorcodes.WrongType` (5011)."""
    return float(_typed(handle, key, attribute, "a number", _is_number))


@_coded
def read_int(handle: int, key: str, attribute: str = "value") -> int:
    """The value of *key* as an int (whole-number floats too); other types raise
    :class:`~xentara_sync.errorcodes.WrongType` (5011)."""
    return int(
        _typed(
            handle,
            key,
            attribute,
            "an integer",
            lambda v: _is_number(v) and (isinstance(v, int) or float(v).is_integer()),
        )
    )


@_coded
def read_bool(handle: int, key: str, attribute: str = "value") -> bool:
    """The value of *key*, a boolean; other types raise
    :class:`~xentara_sync.errorcodes.WrongType` (5011)."""
    return bool(_typed(handle, key, attribute, "a boolean", lambda v: isinstance(v, bool)))


@_coded
def read_string(handle: int, key: str, attribute: str = "value") -> str:
    """The value of *key*, a string (UUIDs as text); other types raise
    :class:`~xentara_sync.errorcodes.WrongType` (5011)."""
    return str(_typed(handle, key, attribute, "a string", lambda v: isinstance(v, str)))


# --------------------------------------------------------------------------- test steps


@_coded
def wait_until(handle: int, key: str, value: Any, timeout: float = 10.0) -> tuple[float, str, Any]:
    """Wait until *key*'s value equals *value*; returns the event that did, as
    ``(timestamp, key, value)``. After *timeout* seconds raises
    :class:`~xentara_sync.ConditionNotMet` (5003), naming the last value seen. The
    current value is always checked, even with a *timeout* of 0; a negative or NaN
    *timeout* raises :class:`~xentara_sync.InvalidArgument` (5008). A value in
    error raises at once what :func:`read` raises (a write-only value: -32104)."""
    event = _session(handle).wait_until(key, value, timeout=timeout)
    return (event.timestamp, event.name, plain(event.value))


@_coded
def hold(
    handle: int, key: str, value: Any, seconds: float, timeout: float = 10.0
) -> tuple[float, str, Any]:
    """Check that *key*'s value equals *value* for *seconds*: the current value
    first (which may take *timeout* seconds to come), then every change; returns
    the last event checked, as ``(timestamp, key, value)``. The first other value
    raises :class:`~xentara_sync.ConditionBroken` (5013), naming it and when it
    came; a *seconds* of 0 or less raises :class:`~xentara_sync.InvalidArgument`
    (5008)."""
    event = _session(handle).hold(key, value, seconds=seconds, timeout=timeout)
    return (event.timestamp, event.name, plain(event.value))


@_coded
def write_many(handle: int, keys: list[str], values: list[Any]) -> None:
    """Write ``values[i]`` to ``keys[i]``, in one message; every value is checked
    first, and one bad value writes nothing. Numbers are taken as :func:`write`
    takes them."""
    keys, values = list(keys), list(values)
    if len(keys) != len(values):
        raise InvalidArgument(f"write_many got {len(keys)} keys but {len(values)} values")
    client = _session(handle)
    coerced = {}
    for key, value in zip(keys, values, strict=True):
        info = client.metadata(key).attribute("value")
        coerced[key] = _coerce(value, info.data_type) if info is not None else value
    client.write_many(coerced)


@_coded
def record_csv(handle: int, keys: list[str] | str, seconds: float, path: str) -> int:
    """Record every change of *keys* for *seconds* into the CSV file *path*
    (``seconds,time,timestamp,key,value,error``, in time order; seconds since the
    recording started, a value at the start counting from 0; time in UTC, ISO 8601;
    a value in error has an empty value and its fault in error); returns the number of events
    recorded. A path whose directory does not exist, or that is a directory,
    raises :class:`OSError` (5012) at once, before recording."""
    from .toolkit.recording import check_output

    client = _session(handle)
    check_output(path, "CSV")  # before recording: a bad path fails at once
    recording = client.record(keys, seconds=seconds)
    recording.to_csv(path)
    return len(recording.events)
