"""Fixtures shared by the client tests: a real simulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from xentara_sync.simulator import Simulator

T = TypeVar("T")

#: Real model files, kept unchanged in tests/data (see its README).
DATA = Path(__file__).resolve().parent / "data"

OUTPUTS = [f"Hardware.EtherCAT Bus.EL2624.Output {n}" for n in range(1, 5)]
INPUT = "Hardware.EtherCAT Bus.EL1004.Input 1"
FAST_SINE = "Hardware.Fast Signals.Sine"


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run *coro* on a fresh event loop, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="session")
def simulator() -> Iterator[Simulator]:
    """One simulator with the demo model for the whole session."""
    with Simulator() as sim:
        yield sim


@pytest.fixture
def fresh_simulator() -> Iterator[Simulator]:
    """A simulator of the test's own, for tests that stall or break it."""
    with Simulator() as sim:
        yield sim


@pytest.fixture(scope="session")
def sample_model() -> Path:
    """The real model file of Xentara's sample web UI."""
    return DATA / "signal-sampler.json"
