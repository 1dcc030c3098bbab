"""Reconnecting to odd servers: transient errors are tried again, the backoff holds."""

from __future__ import annotations

import time
from typing import Any

import pytest
from websockets.sync.server import ServerConnection

from tests.flavours import FLAVOURS, Flavour
from xentara_sync.protocol import Failure, Opcode, decode_message, encode_message
from xentara_sync.simulator.faults import ScriptedServer
from xentara_sync.simulator.faults import connect_answers as answer_connect


def handshake(connection: ServerConnection) -> None:
    """Answer a client's connecting requests, up to the browse of the root."""
    for message in connection:
        assert isinstance(message, bytes)
        connection.send(answer_connect(message))
        if any(r.opcode == Opcode.BROWSE for r in decode_message(message)):  # type: ignore[union-attr]
            return


def serve_on(connection: ServerConnection) -> None:
    """Answer every request with success until the client goes."""
    for message in connection:
        assert isinstance(message, bytes)
        connection.send(answer_connect(message))


def internal_errors(connection: ServerConnection) -> None:
    """Answer every request with -32603 (internal error), as a server still starting."""
    for message in connection:
        assert isinstance(message, bytes)
        requests: list[Any] = decode_message(message)
        failures = [Failure(r.message_id, -32603, "internal error") for r in requests]
        connection.send(encode_message(failures))


@pytest.mark.parametrize("flavour", FLAVOURS, ids=str)
def test_internal_errors_during_the_handshake_are_tried_again(flavour: Flavour) -> None:
    def script(connection: ServerConnection, number: int) -> None:
        if number == 1:
            handshake(connection)  # and then gone
        elif number in (2, 3):
            internal_errors(connection)
        else:
            handshake(connection)
            serve_on(connection)

    with ScriptedServer(script) as server:

        async def main() -> int:
            async with flavour.XentaraClient(server.url, max_reconnect_delay=0.2) as client:
                deadline = time.monotonic() + 15
                while client.reconnects == 0 and time.monotonic() < deadline:
                    await flavour.sleep(0.05)
                assert client.connected, client
                await client.server_information()
                return client.reconnects

        assert flavour.run(main) == 1
        assert server.connections == 4


@pytest.mark.parametrize("flavour", FLAVOURS, ids=str)
def test_the_backoff_holds_against_a_server_that_drops_every_connection(
    flavour: Flavour,
) -> None:
    """The delays start again only after a connection stayed up a while, not at each
    handshake: with delays of 0.05 to 1 s (half of them at least), 3 s hold about
    eight tries; without the backoff, a fast handshake makes dozens."""
    with ScriptedServer(lambda connection, number: handshake(connection)) as server:

        async def main() -> None:
            async with flavour.XentaraClient(server.url, max_reconnect_delay=1.0):
                await flavour.sleep(3.0)

        flavour.run(main)
        tries = server.connections
    print(f"{tries} connections in 3 s")
    assert 3 <= tries <= 12
