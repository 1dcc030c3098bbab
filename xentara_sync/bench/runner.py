"""One event loop for many ``run()`` calls: :class:`asyncio.Runner` on Python 3.11+.

Python 3.10 has no :class:`asyncio.Runner`; :class:`LoopRunner` does the little the
benchmark needs from it there.

>>> import asyncio
>>> async def answer() -> int:
...     return 42
>>> with runner() as run:
...     run.run(answer()), run.run(answer())
(42, 42)
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar

__all__ = ["LoopRunner", "Runner", "runner"]

T = TypeVar("T")


class Runner(Protocol):
    """What the benchmark uses of :class:`asyncio.Runner`."""

    def run(self, coro: Coroutine[Any, Any, T]) -> T: ...

    def __enter__(self) -> Runner: ...

    def __exit__(self, *exc_info: object) -> None: ...


class LoopRunner:
    """A fresh event loop that runs coroutines one after the other, closed on exit."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run *coro* to its end on the loop."""
        return self._loop.run_until_complete(coro)

    def __enter__(self) -> LoopRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = self._loop
        try:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


def runner() -> Runner:
    """An :class:`asyncio.Runner` where Python has one, a :class:`LoopRunner` elsewhere."""
    factory = getattr(asyncio, "Runner", None)
    return factory() if factory is not None else LoopRunner()
