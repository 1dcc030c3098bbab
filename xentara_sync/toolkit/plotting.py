"""The plot of a :class:`~xentara_sync.toolkit.recording.Recording` (matplotlib, no pyplot).

The figure is a :class:`matplotlib.figure.Figure` drawn by the Agg canvas: pyplot
is never imported, so the application's backend choice and its open figures are
left alone. One panel per recorded key, sharing the time axis: seconds since the
recording started, from 0 to its end. Every value is held until the next change
(a step), and the last one to the end of the recording:

- numbers: steps, with a dot where each value came;
- booleans: steps between False and True;
- strings, enums and other values: labelled steps, one level per value, or a text
  lane (a band per value, labelled) when there are more than
  :data:`MAX_LEVELS` different values;
- a value in error: a gap (numbers, booleans) or a band labelled ``error``;
- a key without any event: a panel that says so.
"""

from __future__ import annotations

import enum
import math
import os
from typing import TYPE_CHECKING, Any, Protocol

from ..protocol import AttributeFault
from .conditions import utc_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..protocol.index import Event

__all__ = ["MAX_LEVELS", "PLOT_EXTRA", "Plotted", "label", "plot_recording", "plottable"]


class Plotted(Protocol):
    """What a plot needs of a :class:`~xentara_sync.toolkit.recording.Recording`."""

    @property
    def keys(self) -> tuple[str, ...]: ...
    @property
    def start(self) -> float | None: ...
    @property
    def duration(self) -> float: ...
    @property
    def dropped(self) -> int: ...
    def in_time_order(self) -> list[Event]: ...
    def seconds_of(self, event: Event) -> float: ...


#: What to install for plots.
PLOT_EXTRA = 'pip install "xentara-sync[plot]"'
#: The most different values drawn as labelled steps; more make a text lane.
MAX_LEVELS = 8


def plottable(values: list[Any]) -> str | None:
    """How a series of values is drawn: ``"bool"``, ``"number"``, ``"levels"``
    (labelled steps), ``"lane"`` (a text lane), or None (no value at all).

    Values in error do not count.

    >>> plottable([True, False]), plottable([1, 2.5]), plottable(["a", "b"]), plottable([])
    ('bool', 'number', 'levels', None)
    >>> plottable([str(n) for n in range(9)])
    'lane'
    """
    kinds = set()
    for value in values:
        if isinstance(value, AttributeFault):
            continue
        if isinstance(value, bool):
            kinds.add("bool")
        elif isinstance(value, (int, float)) and not isinstance(value, enum.Enum):
            kinds.add("number")
        else:
            kinds.add("text")
    if not kinds:
        return None
    if kinds == {"bool"}:
        return "bool"
    if kinds == {"number"}:
        return "number"
    levels = {label(value) for value in values}
    return "levels" if len(levels) <= MAX_LEVELS else "lane"


def label(value: Any) -> str:
    """*value* as a plot shows it in a label: an enum by its member's name, a value
    in error as ``error``.

    >>> from xentara_sync.protocol import Quality
    >>> label(Quality.GOOD), label("batch 7"), label(AttributeFault(-32104, "write only"))
    ('GOOD', 'batch 7', 'error')
    """
    if isinstance(value, AttributeFault):
        return "error"
    if isinstance(value, enum.Enum):
        return value.name
    return str(value)


def _number(value: Any) -> float:
    if isinstance(value, (bool, int, float)):
        return float(value)
    return math.nan


def _levels(values: list[Any]) -> list[str]:
    """The labels of *values*, bottom to top: enums in their order, else as they came."""
    members = [value for value in values if isinstance(value, enum.Enum)]
    ordered: list[Any] = (
        sorted(set(members), key=lambda m: (str(m.value), m.name))
        if len(members) == len(values)
        else values
    )
    return list(dict.fromkeys(label(value) for value in ordered))


def _draw_steps(ax: Axes, seconds: list[float], numbers: list[float], end: float) -> None:
    xs = [*seconds, end]
    ys = [*numbers, numbers[-1]]
    ax.step(xs, ys, where="post", linewidth=1)


def _draw_lane(ax: Axes, seconds: list[float], values: list[Any], end: float) -> None:
    colours = ("#dbe9f6", "#fde2c8")
    for n, (start, value) in enumerate(zip(seconds, values, strict=True)):
        stop = seconds[n + 1] if n + 1 < len(seconds) else end
        faulty = isinstance(value, AttributeFault)
        colour = "#f4b6b6" if faulty else colours[n % 2]
        ax.broken_barh([(start, max(stop - start, 0.0))], (0, 1), facecolors=colour)
        ax.text(start, 0.5, " " + label(value), va="center", fontsize=7, clip_on=True)
    ax.set_ylim(0, 1)
    ax.set_yticks([])


def plot_recording(
    recording: Plotted, path: str | os.PathLike[str] | None = None, *, title: str | None = None
) -> Figure:
    """The figure of *recording*, saved as a PNG at *path* when given (see
    :meth:`Recording.plot`)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(f"plot() needs matplotlib: {PLOT_EXTRA}") from exc
    if not recording.keys:
        raise ValueError("nothing to plot: the recording has no keys")
    end = recording.duration
    ordered = recording.in_time_order()
    figure = Figure(figsize=(8, 1.2 + 1.5 * len(recording.keys)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(recording.keys), 1, sharex=True, squeeze=False)[:, 0]
    for ax, key in zip(axes, recording.keys, strict=True):
        events = [event for event in ordered if event.name == key]
        seconds = [recording.seconds_of(event) for event in events]
        values = [event.value for event in events]
        kind = plottable(values)
        if kind is None:
            text = "no value recorded" if not events else "every value in error"
            ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center")
            ax.set_yticks([])
        elif kind in ("number", "bool"):
            numbers = [_number(value) for value in values]
            _draw_steps(ax, seconds, numbers, end)
            if kind == "bool":
                ax.set_yticks([0, 1], ["False", "True"])
                ax.set_ylim(-0.2, 1.2)
            else:
                ax.plot(seconds, numbers, ".", markersize=3, color="tab:blue")
        elif kind == "levels":
            levels = _levels(values)
            index = {name: n for n, name in enumerate(levels)}
            _draw_steps(ax, seconds, [float(index[label(value)]) for value in values], end)
            ax.set_yticks(range(len(levels)), levels, fontsize=8)
            ax.set_ylim(-0.5, len(levels) - 0.5)
        else:
            _draw_lane(ax, seconds, values, end)
        ax.set_title(key, fontsize=9, loc="left")
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlim(0, end if end > 0 else 1.0)
    start = recording.start
    since = f" ({utc_text(start)})" if start is not None else ""
    axes[-1].set_xlabel(f"seconds since the recording started{since}")
    if recording.dropped:
        figure.text(
            0.99,
            0.0,
            f"{recording.dropped} later events not kept (max_events)",
            ha="right",
            va="bottom",
            fontsize=7,
        )
    if title:
        figure.suptitle(title)
    if path is not None:
        figure.savefig(os.fspath(path), format="png")
    return figure
