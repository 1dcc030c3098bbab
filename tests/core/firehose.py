"""A server on 127.0.0.1 that floods every client with large event messages.

Run as ``python -m tests.core.firehose SIZE``: it prints its URL and the size of its
message on one line, then answers each client's connecting requests and sends it
messages of about *SIZE* bytes of value changes back to back (a repeating
:class:`~xentara_sync.simulator.faults.FaultyServer` flood), as fast as the client's
socket takes them, until the client goes or stdin closes; then ``sent N``. It runs
in a process of its own, so that the memory and the garbage collector that a test
measures are the client's alone.
"""

from __future__ import annotations

import sys

from xentara_sync.simulator.faults import FaultyServer, events_message


def main() -> None:
    message = events_message(int(sys.argv[1]))
    with FaultyServer("flood", [message], repeat=True) as server:
        print(f"{server.url} {len(message)}", flush=True)
        sys.stdin.read()  # until the test closes stdin (or ends)
    print(f"sent {server.sent}", flush=True)


if __name__ == "__main__":
    main()
