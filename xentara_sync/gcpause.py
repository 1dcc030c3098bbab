"""Pausing Python's cyclic garbage collector while a large message is parsed.

Parsing a 13 MB message of events creates a few million objects. Each time enough of
them pile up, the collector walks every live object of the process, holding the GIL
for up to a few hundred milliseconds: every other thread, every other client's reads
included, stands still meanwhile. The collections that the parse would trigger are
of no use (its objects are alive until they are delivered, and freed by reference
counting afterwards), so a large message is parsed and delivered with the collector
paused; it resumes when the last such message is done, and then collects as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the collector for the ``with`` block (nested and concurrent blocks too).

    >>> import gc
    >>> with paused_gc():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
