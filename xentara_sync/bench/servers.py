"""The servers measured against: simulator processes, and the models they serve.

Without a URL the benchmark starts ``xentara-sync simulate`` in separate processes,
so that the server does not share the client's interpreter (and its GIL).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .plan import BATCH, BROWSE_COUNT, EXTRA_FAST_SIGNALS, START_TIMEOUT, BenchError

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

__all__ = ["SimulatorProcess", "Targets", "fast_model", "start_firehose", "start_simulators"]


class Targets(NamedTuple):
    """Where each measurement runs."""

    reads: str
    """URL of the latency, thread and raw contenders."""
    batch: str
    """URL of the batching figure."""
    events: str
    """URL of the event figures."""
    browse: str | None
    """URL of the browse of 10,000 elements, or ``None`` to skip it."""
    embedded: bool
    """Whether the URLs are simulator processes this run started."""
    ceiling: str | None = None
    """URL of the event ceiling's server (:mod:`.firehose`), or ``None`` to skip it."""


class SimulatorProcess:
    """One ``xentara-sync simulate`` process, its stderr logged to *directory*.

    *program* is the module to run with ``python -m`` and its first arguments (the
    event ceiling's server: ``("xentara_sync.bench.firehose",)``).
    """

    def __init__(
        self,
        name: str,
        model: Path | None,
        directory: Path,
        *,
        port: int = 0,
        program: Sequence[str] = ("xentara_sync", "simulate"),
    ) -> None:
        import subprocess

        self.name = name
        self.log = directory / f"{name}.log"
        command = [sys.executable, "-m", *program, "--port", str(port)]
        if model is not None:
            command += ["--model", os.fspath(model)]
        with self.log.open("wb") as log:
            self.process: subprocess.Popen[str] = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )

    def url(self, timeout: float) -> str:
        """The URL the process prints once it listens; raises :class:`BenchError`."""
        import threading

        lines: list[str] = []
        stream = self.process.stdout
        assert stream is not None
        reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        line = lines[0].strip() if lines else ""
        if not line.startswith("listening on "):
            self.stop()
            detail = self.log.read_text(errors="replace").strip()[-2000:]
            raise BenchError(
                f"the {self.name} simulator did not start (got {line!r})"
                + (f":\n{detail}" if detail else "")
            )
        return line.removeprefix("listening on ")

    def kill(self) -> None:
        """Kill the process at once (no goodbye to its clients) and wait for it."""
        process = self.process
        if process.poll() is None:
            process.kill()
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()

    def stop(self) -> None:
        """Terminate the process and wait for it (kill it if it lingers)."""
        import subprocess

        process = self.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


def fast_model(extra: int = EXTRA_FAST_SIGNALS) -> dict[str, Any]:
    """The demo model with *extra* more signals on its 1 ms sampler (``Fast Signals``).

    The demo's four fast signals change at most 4,000 times a second in all; with
    28 more, the simulator offers about 30,000 changes a second.
    """
    import copy
    import uuid

    from ..simulator.models import demo_model_path

    document: dict[str, Any] = json.loads(demo_model_path().read_text(encoding="utf-8"))
    namespace = uuid.UUID("5b1f0c44-7d0e-4f43-9a57-0f3e2f4b9d11")
    for group in document["children"]:
        for child in group.get("@Group", {}).get("children", []):
            sampler = child.get("@Skill.SignalGenerator.Sampler")
            if sampler is None or sampler.get("name") != "Fast Signals":
                continue
            signals = sampler["children"]
            templates = [
                s
                for s in signals
                if s["@Skill.SignalGenerator.Signal"]["name"] in ("Sine", "Noise", "Saw-Tooth")
            ]
            for number in range(extra):
                clone = copy.deepcopy(templates[number % len(templates)])
                body = clone["@Skill.SignalGenerator.Signal"]
                body["name"] = f"{body['name']} {number + 2}"
                body["UUID"] = str(uuid.uuid5(namespace, body["name"]))
                signals.append(clone)
            return document
    raise BenchError("the demo model has no 'Fast Signals' sampler")


def start_simulators(directory: Path, servers: list[SimulatorProcess]) -> Targets:
    """Start the simulator processes (all at once) and wait until each listens.

    Each process is appended to *servers* as soon as it is started, so that the
    caller stops them all, also when a later one fails to start.
    """
    from ..simulator.models import generated_model

    models: dict[str, Path | None] = {"demo": None}
    for name, document in (
        ("generated-200", generated_model(2 * BATCH)),
        ("fast-signals", fast_model()),
        ("generated-10k", generated_model(BROWSE_COUNT)),
    ):
        path = directory / f"{name}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        models[name] = path
    for name, model in models.items():
        servers.append(SimulatorProcess(name, model, directory))
    urls = {server.name: server.url(START_TIMEOUT) for server in servers}
    return Targets(
        reads=urls["demo"],
        batch=urls["generated-200"],
        events=urls["fast-signals"],
        browse=urls["generated-10k"],
        embedded=True,
    )


def start_firehose(directory: Path, servers: list[SimulatorProcess], events: int) -> str:
    """Start the event ceiling's server (:mod:`.firehose`) sending *events* attribute
    changes to each subscription of its channels; returns its URL.

    The process is appended to *servers* as soon as it is started.
    """
    from .firehose import CHANNELS, channel_model

    path = directory / "channels.json"
    path.write_text(json.dumps(channel_model()), encoding="utf-8")
    burst = str(max(1, events // CHANNELS))
    program = ("xentara_sync.bench.firehose", "--burst", burst)
    server = SimulatorProcess("firehose", path, directory, program=program)
    servers.append(server)
    return server.url(START_TIMEOUT)
