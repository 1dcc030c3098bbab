"""Make the plot of the "Writing hardware tests" page: a recorder running while a
test acts on the embedded simulator.

    python docs/images/record_signals.py docs/images/record-signals.png
"""

import sys
import time

from xentara_sync import XentaraClient
from xentara_sync.simulator import Simulator

SINE = "Hardware.Signals.Sine"
PULSE = "Hardware.Signals.Pulse"
COUNTER = "Hardware.Registers.Counter"
LABEL = "Hardware.Registers.Label"

path = sys.argv[1] if len(sys.argv) > 1 else "record-signals.png"
with Simulator() as sim, XentaraClient(sim.url) as client:
    time.sleep(2)  # the counter and the label: values older than the recording
    with client.recorder([SINE, PULSE, COUNTER, LABEL]) as recording:
        for step, phase in enumerate(["heating", "holding", "cooling"], start=1):
            time.sleep(2)
            client.write_many({LABEL: phase, COUNTER: step})
        client.hold(SINE, lambda value: -100 <= value <= 100, seconds=3)
    recording.plot(path, title="a recorder while the test writes the label and the counter")
    print(recording, f"{recording.duration:.1f} s")
