"""The asyncio client: the documented ``XentaraClient`` API.

>>> import asyncio
>>> from xentara_sync.aio import XentaraClient
>>> from xentara_sync.simulator import Simulator
>>> async def main() -> None:
...     async with Simulator() as sim:
...         client = await XentaraClient(sim.url, root_element="Hardware")
...         output = "Hardware.EtherCAT Bus.EL2624.Output 1"
...         await client.write(output, True)
...         print(await client.read(output))
...         await client.close()
>>> asyncio.run(main())
True
"""

from __future__ import annotations

from ..core.client import ClientCore
from ..core.element import Element
from ..core.settings import takes_settings
from ..core.subscription import Subscription
from ..core.subsession import SubSession
from ..protocol.index import Event
from .backend import AsyncioBackend

__all__ = ["Element", "Event", "SubSession", "Subscription", "XentaraClient"]


@takes_settings
class XentaraClient(ClientCore):
    """A client of one Xentara WebSocket server, on asyncio.

    Connect with ``client = await XentaraClient(url, root_element="Hardware")``,
    ``await XentaraClient.create(...)`` or ``async with XentaraClient(...) as client``.
    Connecting sends the client hello, resolves *root_element* and browses every
    element under it.
    """

    _backend_factory = AsyncioBackend
