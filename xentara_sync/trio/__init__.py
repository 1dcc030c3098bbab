"""The trio client: the documented ``XentaraClient`` API, on trio.

The same names, arguments, defaults and behaviour as :mod:`xentara_sync.aio`; only
the event loop differs. Importing this module imports trio (the optional extra
``xentara_sync[trio]``); importing :mod:`xentara_sync` does not.

>>> import trio
>>> from xentara_sync.trio import XentaraClient
>>> from xentara_sync.simulator import Simulator
>>> async def main(url: str) -> None:
...     client = await XentaraClient(url, root_element="Hardware")
...     output = "Hardware.EtherCAT Bus.EL2624.Output 1"
...     await client.write(output, True)
...     print(await client.read(output))
...     await client.close()
>>> with Simulator() as sim:
...     trio.run(main, sim.url)
True

``await XentaraClient(url)`` needs no nursery: the connection's background tasks
(the reader, and the socket reader and keepalive of ``websockets``) run in a nursery
held by a trio *system task* that ``close()`` cancels and waits for; see
:mod:`xentara_sync.trio.backend`. A program that forgets ``close()`` still ends
cleanly when its main task returns.
"""

from __future__ import annotations

from ..core.client import ClientCore
from ..core.element import Element
from ..core.settings import takes_settings
from ..core.subscription import Subscription
from ..core.subsession import SubSession
from ..protocol.index import Event
from . import _requirements  # noqa: F401  (before .backend: a clear ImportError)
from .backend import TrioBackend

__all__ = ["Element", "Event", "SubSession", "Subscription", "XentaraClient"]


@takes_settings
class XentaraClient(ClientCore):
    """A client of one Xentara WebSocket server, on trio: the API of
    :class:`xentara_sync.aio.XentaraClient` (``await XentaraClient(url)``,
    ``XentaraClient.create``, ``async with``), the same connecting and the same
    settings. Requests started together (from tasks of one nursery) leave in
    one WebSocket message::

        async with XentaraClient(url) as client, trio.open_nursery() as nursery:
            for key in keys:
                nursery.start_soon(client.read, key)
    """

    _backend_factory = TrioBackend
