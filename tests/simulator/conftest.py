"""Fixtures of the simulator tests: a threaded simulator on 127.0.0.1 and helpers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from xentara_sync.simulator import Simulator

from .rawclient import RawClient

T = TypeVar("T")


def uid() -> str:
    """A fresh UUID as model files write it (every element needs one)."""
    return str(uuid.uuid4())


def run(coro: Coroutine[Any, Any, T], timeout: float = 8.0) -> T:
    """Run *coro* on a fresh event loop, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A simulator with the demo model, serving from a background thread."""
    with Simulator() as simulator:
        yield simulator


Scenario = Callable[[RawClient], Coroutine[Any, Any, T]]


def with_client(simulator: Simulator, scenario: Scenario[T], **connect: Any) -> T:
    """Connect a raw client (hello done) to *simulator* and run *scenario* with it."""

    async def main() -> T:
        client = await RawClient.connect(simulator.url, **connect)
        try:
            return await scenario(client)
        finally:
            await client.close()

    return run(main())
