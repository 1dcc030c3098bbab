"""The package's own threads leave Ctrl-C to the user's main thread.

The kernel delivers a process-directed signal such as Ctrl-C's SIGINT to any thread
that does not block it. Python runs its handler (KeyboardInterrupt) in the main
thread only, and only when that thread runs again: a main thread asleep in
``time.sleep(60)`` or any other blocking call slept on when the signal went to one
of the client's or the simulator's threads (seen once in about 240 runs of a
recorder interrupted by Ctrl-C under load). So every thread the package starts
blocks SIGINT, and the kernel delivers it to a thread that takes it, the main
thread. A thread inherits its creator's signal mask, so the threads those threads
start (asyncio's and trio's worker threads among them) block it too.

Where there are no POSIX signal masks (Windows), a Ctrl-C reaches Python through
its console handler, which wakes the main thread itself: :func:`start` only starts
the thread there.

>>> import threading
>>> thread = threading.Thread(target=lambda: None)
>>> start(thread)
>>> thread.join(5)
"""

from __future__ import annotations

import signal
import threading

__all__ = ["start"]

#: Blocked in the package's threads: Ctrl-C.
_KEPT_FOR_MAIN = frozenset({signal.SIGINT})


def start(thread: threading.Thread) -> None:
    """Start *thread* with Ctrl-C blocked in it (see the module)."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:  # pragma: no cover - Windows
        thread.start()
        return
    previous = mask(signal.SIG_BLOCK, _KEPT_FOR_MAIN)
    try:
        thread.start()  # the new thread takes the mask it is started with
    finally:
        mask(signal.SIG_SETMASK, previous)
