"""The client's behaviour, written once for every flavour, sans I/O of its own.

:class:`ClientCore` (in :mod:`.client`) is the documented API that the asyncio and
trio clients are made of; it awaits only the small interfaces of :mod:`.interfaces`
(a backend and a transport), which each flavour implements. The modules:

* :mod:`.client`: :class:`ClientCore`, each operation a coroutine that asks the
  session for a plan and awaits it;
* :mod:`.connection`: connecting, running plans, the reader, reconnecting;
* :mod:`.receiving`: taking received messages (answers to waiters, events to sinks);
* :mod:`.subscription`, :mod:`.fanout`: subscriptions and the server subscriptions
  they share; :mod:`.subsession`: sub-sessions; :mod:`.element`: ``client[key]``;
* :mod:`.endpoint`: the URL and TLS settings; :mod:`.websocket`: what went
  wrong while opening a WebSocket, as a clear exception.

"""

from __future__ import annotations

from .client import ClientCore

__all__ = ["ClientCore"]
