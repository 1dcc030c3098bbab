"""xentara_sync: read, write and watch Xentara data points from Python.

The top-level names are the blocking client, usable from plain scripts, unittest
suites, REPL sessions and any thread::

    from xentara_sync import XentaraClient

    with XentaraClient("wss://user:password@xentara:8080/api/ws", verify_ssl=False) as client:
        client.write("Hardware.EtherCAT Bus.EL2624.Output 1", True)
        print(client.read("Hardware.EtherCAT Bus.EL2624.Output 1"))

The asyncio flavour is :mod:`xentara_sync.aio`, the trio flavour
:mod:`xentara_sync.trio`. Nothing starts at import time, and the clients are
imported only when first used.

The package logs to the ``xentara_sync`` logger (``xentara_sync.protocol``: every
request and received packet, decoded, at DEBUG level); it has a
:class:`~logging.NullHandler`, so nothing is printed unless the application
configures logging.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .exceptions import *  # noqa: F403
from .exceptions import __all__ as _exception_names

logging.getLogger("xentara_sync").addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from .core.element import Element as Element
    from .protocol import Category as Category
    from .protocol import Quality as Quality
    from .protocol import Stage as Stage
    from .protocol import TimePoint as TimePoint
    from .protocol.index import (
        AttributeInfo as AttributeInfo,
    )
    from .protocol.index import (
        ElementInfo as ElementInfo,
    )
    from .protocol.index import (
        ElementMetadata as ElementMetadata,
    )
    from .protocol.index import (
        Event as Event,
    )
    from .protocol.index import (
        ServerInfo as ServerInfo,
    )
    from .sync import Subscription as Subscription
    from .sync import SubSession as SubSession
    from .sync import XentaraClient as XentaraClient
    from .toolkit.recording import RecordingInterrupted as RecordingInterrupted

_LAZY = {
    "XentaraClient": "xentara_sync.sync",
    "Subscription": "xentara_sync.sync",
    "SubSession": "xentara_sync.sync",
    "Element": "xentara_sync.core.element",
    "Event": "xentara_sync.protocol.index",
    "AttributeInfo": "xentara_sync.protocol.index",
    "ElementInfo": "xentara_sync.protocol.index",
    "ElementMetadata": "xentara_sync.protocol.index",
    "ServerInfo": "xentara_sync.protocol.index",
    "Category": "xentara_sync.protocol",
    "Quality": "xentara_sync.protocol",
    "Stage": "xentara_sync.protocol",
    "TimePoint": "xentara_sync.protocol",
    "RecordingInterrupted": "xentara_sync.toolkit.recording",
}

__all__ = ["__version__", *_LAZY, *_exception_names]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xentara_sync' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
