"""``reconnect_ms``: from a restarted server listening again to the first event after it.

A blocking client subscribes to a 1 ms signal of a simulator process. Each sample
kills that process (SIGKILL where there is one: no closing handshake, as when a
plant's computer fails), starts a new one on the same port, and measures from the
moment it listens to the moment the subscription delivers an event again: the
reconnection (backoff included), the hello, the browse, the look-up of the key and
the renewed subscription.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .plan import START_TIMEOUT, BenchError

if TYPE_CHECKING:
    from pathlib import Path

    from .servers import SimulatorProcess
    from .stats import Samples

__all__ = ["SIGNAL", "measure_reconnects"]

#: The subscribed signal (changes every millisecond).
SIGNAL = "Hardware.Fast Signals.Sine"


def measure_reconnects(
    directory: Path, servers: list[SimulatorProcess], count: int, samples: Samples
) -> None:
    """Add *count* ``reconnect_ms`` samples, restarting a simulator of *servers*."""
    from .. import XentaraClient
    from .servers import SimulatorProcess

    server = SimulatorProcess("reconnect", None, directory)
    servers.append(server)
    url = server.url(START_TIMEOUT)
    port = urlsplit(url).port or 0
    client = XentaraClient(url, max_reconnect_delay=0.5)
    with client, client.subscribe(SIGNAL, 0, 0) as sub:
        sub.receive(timeout=10)
        for _ in range(count):
            reconnects = client.reconnects
            server.kill()  # and waits until the process has ended
            # Events stamped later, on a connection made since, come from the new
            # server. (Stamped before the kill, the old server's last events could end
            # the wait before the client had even noticed the loss.)
            killed = time.time()
            servers.remove(server)
            server = SimulatorProcess("reconnect", None, directory, port=port)
            servers.append(server)
            server.url(START_TIMEOUT)
            back = time.perf_counter()
            while True:
                event = sub.receive(timeout=30)
                if event.timestamp > killed and client.reconnects > reconnects:
                    break
            samples.add("reconnect_ms", (time.perf_counter() - back) * 1e3)
        if not client.reconnects:
            raise BenchError("the client did not reconnect")
