"""What the simulator's servers share: running between ``start`` and ``stop``.

:class:`StartStop` gives a class with ``start()`` and ``stop()`` a ``with`` block
that runs it (:class:`~.server.Simulator`, and the servers and relay of
:mod:`.faults`).
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing.Self is new in Python 3.11
    from typing import Self

__all__ = ["StartStop"]


class StartStop:
    """A server that runs between :meth:`start` and :meth:`stop`, or in a ``with`` block.

    >>> class Counter(StartStop):
    ...     running = False
    ...     def start(self) -> None:
    ...         self.running = True
    ...     def stop(self) -> None:
    ...         self.running = False
    >>> with Counter() as counter:
    ...     counter.running
    True
    >>> counter.running
    False
    """

    def start(self) -> None:
        """Start serving (each server defines it)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving (each server defines it)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
