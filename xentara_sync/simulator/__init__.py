"""An embedded Xentara simulator: a real WebSocket server speaking Xentara's protocol.

It loads real ``model.json`` files (or the bundled demo model), keeps live values
(generated signals, writable registers and outputs, read-only inputs) and answers
every command of the Xentara WebSocket API, so that clients run and are tested
without a plant::

    from xentara_sync.simulator import Simulator

    with Simulator() as sim:                      # the demo model, ws://127.0.0.1:<port>
        print(sim.url)
        sim.set_value("Hardware.EtherCAT Bus.EL1004.Input 1", True)

From the command line: ``xentara-sync simulate --port 8080``.

Behaviour where Xentara's documentation is silent is described in
:mod:`xentara_sync.simulator.engine` (protocol),
:mod:`xentara_sync.simulator.server` (transport) and
:mod:`xentara_sync.simulator.timers` (timers).
"""

from .model import Model, ModelError, load_model
from .models import demo_model_path, generated_model
from .server import DEFAULT_MAX_MESSAGE_SIZE, Simulator
from .users import User

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "Model",
    "ModelError",
    "Simulator",
    "User",
    "demo_model_path",
    "generated_model",
    "load_model",
]
