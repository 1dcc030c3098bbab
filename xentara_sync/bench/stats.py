"""The statistics of the benchmark: percentiles, the slow tail, samples by figure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, TypeVar

__all__ = ["HIGHER_IS_BETTER", "Samples", "median", "percentile", "rotate", "tail"]

T = TypeVar("T")

#: Figures where a bigger number is better (their slow tail is the low percentile).
HIGHER_IS_BETTER: Final = frozenset(
    {
        "threads8_speedup",
        "threads1_reads_per_s",
        "threads8_reads_per_s",
        "batch100_speedup",
        "events_per_s",
        "events_raw_per_s",
        "events_ceiling_per_s",
        "events_decode_floor_per_s",
    }
)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The *fraction* quantile of *values*, interpolated between the closest ranks.

    >>> percentile([1, 2, 3, 4], 0.5)
    2.5
    >>> percentile([5.0], 0.9)
    5.0
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    """The median of *values*.

    >>> median([3, 1, 2])
    2.0
    """
    return percentile(values, 0.5)


def tail(name: str, values: Sequence[float]) -> float:
    """The slow tail of figure *name*: 90 % of the samples are at least this good.

    >>> tail("import_ms", range(11)), tail("events_per_s", range(11))
    (9.0, 1.0)
    """
    return percentile(values, 0.1 if name in HIGHER_IS_BETTER else 0.9)


def rotate(items: list[T], by: int) -> list[T]:
    """*items* started at position *by* (modulo the length): round *by*'s order.

    >>> rotate(["raw", "asyncio", "blocking"], 4)
    ['asyncio', 'blocking', 'raw']
    """
    by %= len(items)
    return items[by:] + items[:by]


class Samples:
    """Samples of every figure, by name."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def add(self, name: str, value: float) -> None:
        """Add one sample of figure *name*."""
        self.values.setdefault(name, []).append(value)

    def extend(self, name: str, values: Sequence[float]) -> None:
        """Add the samples *values* of figure *name*."""
        self.values.setdefault(name, []).extend(values)

    def summary(self, name: str) -> tuple[float, float] | None:
        """The median and the slow tail of figure *name*, or ``None`` without samples."""
        values = self.values.get(name)
        if not values:
            return None
        return median(values), tail(name, values)
