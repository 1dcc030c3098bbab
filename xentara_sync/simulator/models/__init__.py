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


def generated_model(
    count: int, *, group_size: int = 100, signals: int = 0, signal_period: str = "1ms"
) -> dict[str, Any]:
    """A model of exactly *count* elements (at least 1) for load, browse and event
    benchmarks.

    A top-level group ``Hardware`` holds groups ``Group 0001`` … of up to
    *group_size* - 1 registers each (``Hardware.Group 0001.Point 001``), of the data
    types int64, float64, bool, float32, int16 and string in turn. With *signals*,
    ``Hardware.Signals`` (a sampler) holds that many float64 sine signals
    (``Hardware.Signals.Signal 0001`` …) that change at every tick of a timer of
    *signal_period*; the sampler, its signals and the track ``Sampling`` with the
    timer and pipeline count towards *count*. UUIDs are derived from the primary
    keys, so the same arguments give the same model.

    >>> len(generated_model(50, signals=10)["children"][0]["@Group"]["children"])
    2
    """
    extra = signals + 4 if signals else 0
    if count < 1 + extra:
        raise ValueError(
            f"a generated model has at least {1 + extra} element{'s' if extra else ''}"
        )
    group_size = max(group_size, 2)
    remaining = count - 1 - extra
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
    top: list[dict[str, Any]] = [_sampler(signals)] if signals else []
    hardware = {
        "@Group": {
            "name": "Hardware",
            "UUID": str(uuid.uuid5(_NAMESPACE, "Hardware")),
            "children": top + groups,
        }
    }
    if not signals:
        return {"children": [hardware]}
    return {"children": [hardware, _track(signal_period)]}


def _element(element_type: str, key: str, **settings: Any) -> dict[str, Any]:
    name = key.rsplit(".", 1)[-1]
    return {element_type: {"name": name, "UUID": str(uuid.uuid5(_NAMESPACE, key)), **settings}}


def _sampler(signals: int) -> dict[str, Any]:
    return _element(
        "@Skill.SignalGenerator.Sampler",
        "Hardware.Signals",
        children=[
            _element(
                "@Skill.SignalGenerator.Signal",
                f"Hardware.Signals.Signal {n:04d}",
                dataType="float64",
                top=100.0,
                bottom=-100.0,
                waveForm={"@SineWave": {"period": "10s", "phaseOffset": f"{n}ms"}},
            )
            for n in range(1, signals + 1)
        ],
    )


def _track(period: str) -> dict[str, Any]:
    return _element(
        "@Track",
        "Sampling",
        children=[
            _element("@Timer", "Sampling.Timer", period=period),
            _element(
                "@Pipeline",
                "Sampling.Pipeline",
                triggers=["Sampling.Timer.expired"],
                checkpoints=[{}, {}],
                segments=[
                    {"start": 0, "end": 1, "tasks": [{"function": "Hardware.Signals.generate"}]}
                ],
            ),
        ],
    )
