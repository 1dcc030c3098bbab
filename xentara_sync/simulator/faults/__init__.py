"""Faults to put between a script and a Xentara: the simulator's or a real one.

A script that runs for a shift meets what a laboratory network does: connections
dropped, a server that freezes, answers that are broken. This module makes those
faults on purpose, on 127.0.0.1 by default, so that a test can show what a script
does about them:

* :class:`Relay` forwards TCP connections to a server (the simulator or a real
  Xentara) and can :meth:`~Relay.freeze` (a frozen server or a pulled cable: nothing
  arrives and nothing closes), drop every connection (:meth:`~Relay.disconnect_all`)
  or delay what it forwards (:attr:`~Relay.delay`);
* :class:`FaultyServer` breaks the protocol: it answers garbage, answers nothing,
  closes, or floods the client with large messages (see :data:`~.messages.MODES`);
* :class:`Proxy` forwards WebSocket messages to a server and rewrites each answer
  on its way back; :class:`ScriptedServer` runs a function of your own for each
  connection;
* :func:`drop_every` and :func:`dropping_every` drop every connection of a
  :class:`~xentara_sync.simulator.Simulator` or a :class:`Relay` at a fixed period
  (``xentara-sync simulate --drop-every SECONDS`` runs the first).

The simulator's own hooks complete the set: ``Simulator.stall()`` holds requests
unanswered, ``Simulator.disconnect_all()`` drops every connection.

Every server here serves from daemon threads (no event loop of yours is needed, and
the blocking, asyncio and trio clients all work against it), stops within the
*timeout* of :meth:`stop`, and uses nothing POSIX-only. What to answer is
decided by plain functions (:func:`answer`, :func:`connect_answers`), with no I/O.

>>> import time
>>> from xentara_sync import XentaraClient
>>> from xentara_sync.simulator import Simulator
>>> from xentara_sync.simulator.faults import Relay
>>> with Simulator() as sim, Relay(sim.url) as relay:
...     with XentaraClient(relay.url, max_reconnect_delay=0.1) as client:
...         relay.disconnect_all()                  # the cable, pulled and put back
...         deadline = time.monotonic() + 10
...         while client.reconnects == 0 and time.monotonic() < deadline:
...             time.sleep(0.05)
...         client.read("Hardware.EtherCAT Bus.EL1004.Input 1", timeout=10)
False
"""

from .dropping import Droppable, drop_every, dropping_every
from .messages import (
    ANSWERS,
    MODES,
    answer,
    connect_answers,
    events_message,
    flood_messages,
    shared_reference_bomb,
)
from .relay import Relay
from .servers import FaultyServer, Proxy, ScriptedServer

__all__ = [
    "ANSWERS",
    "MODES",
    "Droppable",
    "FaultyServer",
    "Proxy",
    "Relay",
    "ScriptedServer",
    "answer",
    "connect_answers",
    "drop_every",
    "dropping_every",
    "events_message",
    "flood_messages",
    "shared_reference_bomb",
]
