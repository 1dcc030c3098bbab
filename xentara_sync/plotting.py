"""The PNG plot of a :class:`~xentara_sync.recording.Recording` (matplotlib, no pyplot).

The figure is a :class:`matplotlib.figure.Figure` drawn by the Agg canvas: pyplot
is never imported, so the application's backend choice and its open figures are
left alone. One panel per plottable key, sharing the time axis (seconds since the
first event); booleans are drawn as steps between 0 and 1, numbers as lines with
a marker per event.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from .conditions import utc_text

if TYPE_CHECKING:
    from .recording import Recording

__all__ = ["PLOT_EXTRA", "plot_recording", "plottable"]

#: What to install for plots.
PLOT_EXTRA = 'pip install "xentara-sync[plot]"'


def plottable(values: list[Any]) -> str | None:
    """``"bool"``, ``"number"`` or None: how a series of values can be drawn.

    Faults and other odd values among numbers are gaps; a series with no number or
    boolean at all cannot be drawn.

    >>> plottable([True, False]), plottable([1, 2.5]), plottable(["a"]), plottable([])
    ('bool', 'number', None, None)
    """
    kinds = {
        "bool" if isinstance(v, bool) else "number"
        for v in values
        if isinstance(v, (bool, int, float))
    }
    if not kinds:
        return None
    return "bool" if kinds == {"bool"} else "number"


def _number(value: Any) -> float:
    if isinstance(value, (bool, int, float)):
        return float(value)
    return math.nan


def plot_recording(
    recording: Recording, path: str | os.PathLike[str], *, title: str | None = None
) -> None:
    """Save *recording* as a PNG at *path* (see :meth:`Recording.plot`)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(f"plot() needs matplotlib: {PLOT_EXTRA}") from exc
    series = []
    for key in recording.keys:
        values = recording.values(key)
        kind = plottable(values)
        if kind is not None:
            series.append((key, kind, recording.times(key), values))
    if not series:
        raise ValueError(
            f"nothing to plot: no numeric or boolean values from {', '.join(recording.keys)}"
        )
    start = min(min(times) for _, _, times, _ in series)
    figure = Figure(figsize=(8, 1.2 + 1.8 * len(series)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(series), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (key, kind, times, values) in zip(axes, series, strict=True):
        seconds = [t - start for t in times]
        numbers = [_number(v) for v in values]
        if kind == "bool":
            ax.step(seconds, numbers, where="post", color="tab:orange")
            ax.set_yticks([0, 1], ["False", "True"])
            ax.set_ylim(-0.2, 1.2)
        else:
            ax.plot(seconds, numbers, marker=".", markersize=3, linewidth=1)
        ax.set_title(key, fontsize=9, loc="left")
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlabel(f"seconds since {utc_text(start)}")
    if title:
        figure.suptitle(title)
    figure.savefig(os.fspath(path), format="png")
