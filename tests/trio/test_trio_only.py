"""What only the trio flavour has, apart from the suite that runs on both flavours.

Everything the two async clients share is tested once, on both, in
``test_async_clients.py``. These tests stay here because they rest on what asyncio
does not have:

* trio is an optional dependency: importing ``xentara_sync`` or ``xentara_sync.aio``
  must not import it, only ``xentara_sync.trio`` does;
* trio's cancel scopes and its ``aclose()`` contract (a resource is closed even when
  closing it is cancelled): a ``close()`` inside an already cancelled scope has closed
  the TCP connection when it returns. On asyncio a cancelled ``close()`` stops at its
  first wait and the closing handshake ends shortly after in the background; the
  shared suite checks that both flavours tear everything down.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.flavours import TRIO_MISSING

if TRIO_MISSING:
    pytest.skip(TRIO_MISSING, allow_module_level=True)

import trio

from tests.conftest import OUTPUTS
from tests.core.test_async_clients import background_finished, socket_closed
from tests.flavours import TrioFlavour
from xentara_sync import ClientClosed
from xentara_sync.simulator import Simulator
from xentara_sync.trio import XentaraClient


def test_only_the_trio_module_imports_trio() -> None:
    code = (
        "import sys, xentara_sync, xentara_sync.aio; assert 'trio' not in sys.modules; "
        "import xentara_sync.trio; assert 'trio' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_close_in_a_cancelled_scope_has_closed_the_socket(simulator: Simulator) -> None:
    async def main() -> None:
        client = await XentaraClient(simulator.url)
        with trio.CancelScope() as scope:
            scope.cancel()
            await client.close()
        assert client.closed and not client.connected
        assert socket_closed(client)  # the TCP connection is gone already
        with trio.fail_after(1):
            while not background_finished(client):
                await trio.sleep(0.01)
        with pytest.raises(ClientClosed):
            await client.read(OUTPUTS[0])

    TrioFlavour().run(main)


CTRL_C_IN_A_CONNECTION_TASK = """
import signal
import trio
from xentara_sync.trio.backend import _Host

# Ctrl-C as an interactive program has it, even when the tests run in the background
# of a shell without job control, whose children inherit SIGINT ignored (then trio
# installs no handler, and the SIGINT raised again for the user's task is dropped).
signal.signal(signal.SIGINT, signal.default_int_handler)

async def main():
    host = await _Host.open()
    async def reader():
        # Stands for websockets' reader task: unprotected code a Ctrl-C can land in.
        raise KeyboardInterrupt
    host.nursery.start_soon(reader)
    await trio.sleep(10)
    print("not interrupted")

try:
    trio.run(main)
except KeyboardInterrupt:
    print("the user's task got the Ctrl-C")
"""


def test_a_ctrl_c_in_a_connection_task_reaches_the_users_task() -> None:
    # Raised out of the connection's system task, it ended the program with
    # TrioInternalError (seen when Ctrl-C interrupted a recording).
    result = subprocess.run(
        [sys.executable, "-c", CTRL_C_IN_A_CONNECTION_TASK],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.strip() == "the user's task got the Ctrl-C", result.stderr[-2000:]
    assert "TrioInternalError" not in result.stderr
