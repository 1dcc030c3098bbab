"""A flat API for LabVIEW, TestStand and other callers that pass only plain values.

LabVIEW's Python Node and TestStand's Python adapter call module-level functions
with numbers, booleans, strings and arrays of them. Here a connection and a
subscription are integer handles, and every value crosses as a plain type:
booleans, integers, floats, strings; time stamps as float seconds since the epoch,
qualities and categories as integers, UUIDs as strings. Errors raise the usual
:mod:`xentara_sync.exceptions` (the caller shows their message).

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
import itertools
import threading
import uuid
from typing import TYPE_CHECKING, Any

from .exceptions import UsageError
from .protocol import AttributeFault, TimePoint

if TYPE_CHECKING:
    from .sync import Subscription, XentaraClient

__all__ = [
    "close_all",
    "close_session",
    "is_connected",
    "keys",
    "next_event",
    "open_session",
    "read",
    "read_many",
    "reconnects",
    "subscribe",
    "unsubscribe",
    "write",
]

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


def close_session(handle: int) -> None:
    """Close a session and its subscriptions. Closing a closed session does nothing."""
    with _lock:
        client = _sessions.pop(handle, None)
        for sub_handle, (owner, _) in list(_subscriptions.items()):
            if owner == handle:
                del _subscriptions[sub_handle]
    if client is not None:
        client.close()


def close_all() -> None:
    """Close every session (for the end of a test sequence)."""
    with _lock:
        handles = list(_sessions)
    for handle in handles:
        close_session(handle)


def is_connected(handle: int) -> bool:
    """Whether the session's connection is open (False while it reconnects)."""
    return _session(handle).connected


def reconnects(handle: int) -> int:
    """How often the session's connection was lost and re-established."""
    return _session(handle).reconnects


def keys(handle: int) -> list[str]:
    """Primary keys of the elements under the session's root element."""
    return _session(handle).keys()


def read(handle: int, key: str, attribute: str = "value") -> Any:
    """The value of element *key* (or of another attribute), as a plain type."""
    return plain(_session(handle).read(key, attribute=attribute))


def read_many(handle: int, keys: list[str], attribute: str = "value") -> list[Any]:
    """The values of many elements, read in one message, in the order of *keys*."""
    values = _session(handle).read_many(keys, attribute=attribute)
    return [plain(values[key]) for key in keys]


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


def next_event(sub_handle: int, timeout: float = 10.0) -> list[Any]:
    """The next event as ``[timestamp, name, value]``; raises TimeoutError after *timeout*."""
    event = _subscription(sub_handle).receive(timeout)
    return [event.timestamp, event.name, plain(event.value)]


def unsubscribe(sub_handle: int) -> None:
    """Stop a subscription. Stopping a stopped one does nothing."""
    with _lock:
        entry = _subscriptions.pop(sub_handle, None)
    if entry is not None and _sessions.get(entry[0]) is not None:
        entry[1].stop()
