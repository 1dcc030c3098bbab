"""Models the simulator ships: the demo model and generated models of any size.

The demo model (``demo.json``, in Xentara's model file format) holds:

- ``Hardware`` (group)

  - ``EtherCAT Bus`` (``@Skill.CoE.Bus``) with ``EL2624`` (``Output 1`` … ``Output 4``,
    writable BOOLEAN outputs), ``EL1004`` (``Input 1`` … ``Input 4``, read-only
    BOOLEAN inputs) and ``EL3102`` (``Channel 1``, ``Channel 2``, read-only INTEGER16)
  - ``Signals`` (a sampler on the 100 ms timer): ``Pulse`` (bool), ``Sine`` (float64),
    ``Triangle`` (float32), ``Saw-Tooth`` (int32), ``Falling Saw-Tooth`` (int16, top
    below bottom), ``Noise`` (float64)
  - ``Fast Signals`` (a sampler on the 1 ms timer): ``Sine`` (float64), ``Saw-Tooth``
    (uint16), ``Noise`` (float32), ``Pulse`` (bool)
  - ``Registers``: ``Counter`` (int64), ``Setpoint`` (float64), ``Enable`` (bool),
    ``Label`` (string), ``Small`` (int8), ``Command`` (uint32, write-only)

- ``Plant`` (group): registers ``Mode`` (int16) and ``Recipe`` (string), data points
  ``Temperature`` (shows ``Hardware.Signals.Sine``) and ``Motor On`` (shows
  ``Hardware.EtherCAT Bus.EL2624.Output 1``)
- ``Sampling`` (track) with the timers and pipelines, and a ``Logger``.

>>> model = generated_model(10_000)
>>> model["children"][0]["@Group"]["name"]
'Hardware'
"""

from __future__ import annotations

import uuid
from importlib import resources
from pathlib import Path
from typing import Any, Final

__all__ = ["demo_model_path", "generated_model"]

_NAMESPACE: Final = uuid.UUID("0d8f3b4c-51a7-4f0e-8a9d-2c6e7f10b3a5")
_TYPES: Final = ("int64", "float64", "bool", "float32", "int16", "string")
_ZEROS: Final[dict[str, Any]] = {"bool": False, "string": "", "float64": 0.0, "float32": 0.0}


def demo_model_path() -> Path:
    """The path of the bundled demo model file."""
    return Path(str(resources.files(__name__).joinpath("demo.json")))


def generated_model(count: int, *, group_size: int = 100) -> dict[str, Any]:
    """A model of exactly *count* elements (at least 1) for load and browse benchmarks.

    A top-level group ``Hardware`` holds groups ``Group 0001`` … of up to
    *group_size* - 1 registers each (``Hardware.Group 0001.Point 001``), of the data
    types int64, float64, bool, float32, int16 and string in turn. UUIDs are derived
    from the primary keys, so the same *count* gives the same model.
    """
    if count < 1:
        raise ValueError("a generated model has at least one element")
    group_size = max(group_size, 2)
    remaining = count - 1
    groups: list[dict[str, Any]] = []
    number = 0
    while remaining > 0:
        number += 1
        group_name = f"Group {number:04d}"
        group_key = f"Hardware.{group_name}"
        remaining -= 1
        size = min(group_size - 1, remaining)
        remaining -= size
        children = []
        for index in range(1, size + 1):
            name = f"Point {index:03d}"
            data_type = _TYPES[(number + index) % len(_TYPES)]
            children.append(
                {
                    "@Skill.SignalFlow.Register": {
                        "name": name,
                        "UUID": str(uuid.uuid5(_NAMESPACE, f"{group_key}.{name}")),
                        "defaultValue": [data_type, _ZEROS.get(data_type, 0)],
                    }
                }
            )
        groups.append(
            {
                "@Group": {
                    "name": group_name,
                    "UUID": str(uuid.uuid5(_NAMESPACE, group_key)),
                    "children": children,
                }
            }
        )
    hardware = {
        "@Group": {
            "name": "Hardware",
            "UUID": str(uuid.uuid5(_NAMESPACE, "Hardware")),
            "children": groups,
        }
    }
    return {"children": [hardware]}
