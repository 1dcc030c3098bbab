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
from ..core.subscription import Subscription
from ..core.subsession import SubSession
from ..protocol.index import Event
from .backend import AsyncioBackend

__all__ = ["Element", "Event", "SubSession", "Subscription", "XentaraClient"]


class XentaraClient(ClientCore):
    """A client of one Xentara WebSocket server, on asyncio.

    Connect with ``client = await XentaraClient(url, root_element="Hardware")``,
    ``await XentaraClient.create(...)`` or ``async with XentaraClient(...) as client``.
    Connecting sends the client hello, resolves *root_element* and browses every
    element under it.

    Args:
        url: ``ws://host:port/api/ws`` or ``wss://user:password@host:port/api/ws``;
            credentials become HTTP Basic authentication.
        root_element: primary key of the element whose descendants the client
            indexes (``None``: the whole model).
        verify_ssl: ``False`` accepts any TLS certificate (self-signed ones).
        timeout: seconds any request waits for its answer unless told otherwise.
        connect_timeout: seconds connecting may take in all, handshake, hello,
            root and browse together (default: *timeout*).
        ssl: an :class:`ssl.SSLContext` to use as is for ``wss://``.
        cafile: a CA bundle to trust for ``wss://``.
        headers: extra HTTP headers for the handshake.
        max_queue: events a subscription keeps before dropping the oldest.
        max_message_size: the largest message accepted from the server (bytes).
        max_send_size: the largest message sent (bytes; default 16 MiB, the
            simulator's limit; None: no limit). A write too large for one message
            raises :class:`InvalidArgument` before sending, and the connection
            stays up; requests that only fit apart leave in several messages.
        keepalive: seconds between pings; a server that answers none for as long
            again counts as lost (a frozen server is noticed within twice this).
            ``None``: no pings.
        reconnect: re-establish a lost connection (with backoff), look the keys up
            again and renew the subscriptions; ``False``: a loss ends the client.
        max_reconnect_delay: the longest pause between two tries to reconnect (s).
        username: the user name for HTTP Basic authentication, instead of
            ``user@`` in the URL.
        password: the password, as it is (no percent-encoding), instead of
            ``:password@`` in the URL. It appears in no message, log or repr.
        token: an OAuth 2.0 access token, sent as ``Authorization: Bearer <token>``
            instead of a user name and password (giving both raises
            :class:`InvalidArgument`). It appears in no message, log or repr.
    """

    _backend_factory = AsyncioBackend
