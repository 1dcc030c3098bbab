"""wait_until and record of the blocking client in a whole program: Ctrl-C."""

from __future__ import annotations

import signal
import sys
import time

import pytest

from tests.sync.test_sync_process import finish, python

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")


@pytest.mark.parametrize(
    "call",
    [
        "client.wait_until('Hardware.Registers.Counter', -1, timeout=60)",
        "client.wait_until('Hardware.Registers.Counter', lambda v: v < 0, timeout=60)",
        "client.record(['Hardware.Registers.Counter'], seconds=60)",
    ],
)
def test_ctrl_c_interrupts_and_the_client_stays_usable(call: str) -> None:
    proc = python(
        f"""
        from xentara_sync import XentaraClient
        from xentara_sync.simulator import Simulator
        with Simulator() as sim, XentaraClient(sim.url) as client:
            client.write("Hardware.Registers.Counter", 5)
            client.subscribe("Hardware.Registers.Label").start()  # a queue that waits
            try:
                print("waiting", flush=True)
                {call}
            except KeyboardInterrupt:
                print("interrupted", flush=True)
            client.write("Hardware.Registers.Counter", 6)
            print("after", client.wait_until("Hardware.Registers.Counter", 6).value, flush=True)
        """
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "waiting"
    time.sleep(0.3)  # into the wait (a signal before it is caught all the same)
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert code == 0, err
    assert out.split() == ["interrupted", "after", "6"]
