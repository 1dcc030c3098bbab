"""A server on 127.0.0.1 that floods every client with large event messages.

Run as ``python -m tests.client.firehose SIZE``: it prints its URL on one line, then
answers each client's connecting requests and sends it messages of about *SIZE*
bytes of value changes back to back, as fast as the client's socket takes them,
until the client goes or stdin closes. It runs in a process of its own, so that
the memory and the garbage collector that a test measures are the client's alone.
"""

from __future__ import annotations

import sys
import threading
import uuid

import cbor2
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from tests.client.faulty import answer_connect
from xentara_sync.protocol import DataChange, Opcode, TimePoint, decode_message, encode_message

#: The element every change is about (the test subscribes to nothing: decoding is the load).
ELEMENT = uuid.UUID(int=42)


def events_message(size: int) -> bytes:
    """One message of value changes, about *size* bytes long."""
    stamp = TimePoint(1_700_000_000_000_000_000)
    packet = encode_message([DataChange(stamp, ELEMENT, {11: 1_000_000})])[1:]  # without [
    count = max(1, size // len(packet))
    # Put together as bytes, the values told apart: encoding the packets one by one
    # took a busy machine longer than the tests wait for the server to start.
    value = cbor2.dumps(1_000_000)  # 0x1a and 4 bytes, as every value below 2**32
    before, after = packet.split(value)
    head = cbor2.dumps([None] * count)[:-count]  # the array's head: None is 1 byte
    return head + b"".join(
        before + b"\x1a" + (1_000_000 + i).to_bytes(4, "big") + after for i in range(count)
    )


def main() -> None:
    message = events_message(int(sys.argv[1]))
    sent = [0]

    def handle(connection: ServerConnection) -> None:
        try:
            for request in connection:
                assert isinstance(request, bytes)
                connection.send(answer_connect(request))
                if any(r.opcode == Opcode.BROWSE for r in decode_message(request)):  # type: ignore[union-attr]
                    while True:
                        connection.send(message)
                        sent[0] += 1
        except ConnectionClosed:
            pass

    with serve(handle, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = server.socket.getsockname()[1]
        print(f"ws://127.0.0.1:{port}/api/ws {len(message)}", flush=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.stdin.read()  # until the test closes stdin (or ends)
        server.shutdown()
    print(f"sent {sent[0]}", flush=True)


if __name__ == "__main__":
    main()
