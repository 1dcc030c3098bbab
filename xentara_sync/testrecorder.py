"""Recordings kept by failed tests: what the ``xentara_recorder`` fixture and
:meth:`XentaraTestCase.recorder <xentara_sync.testing.XentaraTestCase.recorder>` hand
out.

A :class:`SignalRecorder` records the value changes of the keys it is given, in
the background, while the test runs; the test framework stops it when the test
ends and, if the test failed (or every recording is to be kept), writes the
recording as CSV and, when matplotlib is installed and a series can be plotted,
as PNG::

    >>> from xentara_sync import XentaraClient
    >>> from xentara_sync.simulator import Simulator
    >>> import tempfile
    >>> with Simulator() as sim, XentaraClient(sim.url) as client:
    ...     recorder = SignalRecorder(client, "test_counter")
    ...     recorder.record(["Hardware.Registers.Counter"])
    ...     client.write("Hardware.Registers.Counter", 7)
    ...     _ = client.wait_until("Hardware.Registers.Counter", 7, timeout=5)
    ...     recording = recorder.stop()
    ...     files = recorder.save(tempfile.mkdtemp())
    >>> recording.values("Hardware.Registers.Counter")[0]  # the value when it started
    0
    >>> [path.name for path in files]
    ['test_counter.csv', 'test_counter.png']
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xentara_sync

    from .toolkit.recording import Recording

__all__ = ["SignalRecorder", "file_stem"]

#: The longest file name stem a recording gets (test ids can be long).
MAX_STEM = 120


def file_stem(test_id: str) -> str:
    """A file name stem for a test id: letters, digits, ``.``, ``-`` and ``_``.

    >>> file_stem("tests/test_io.py::test_output[True-1]")
    'tests_test_io.py_test_output_True-1'
    """
    stem = re.sub(r"[^\w.-]+", "_", test_id).strip("_.") or "test"
    return stem[-MAX_STEM:]


def _record_in_background(
    client: xentara_sync.XentaraClient, keys: list[str]
) -> tuple[Recording, Callable[[], None]]:
    """Start recording every value change of *keys*; return the recording (which
    fills in the background) and the function that stops it.

    The one place that knows how the background recording is made:
    ``client.recorder(keys)``, entered now, left by the stop.
    """
    recorder = client.recorder(keys)
    recording = recorder.__enter__()

    def stop() -> None:
        recorder.__exit__(None, None, None)

    return recording, stop


class SignalRecorder:
    """Records the value changes of keys in the background during one test.

    *client* is the client to record with, *name* the stem of the files
    :meth:`save` writes (see :func:`file_stem`).
    """

    def __init__(self, client: xentara_sync.XentaraClient, name: str) -> None:
        self._client = client
        self.name = file_stem(name)
        self._keys: list[str] = []
        self._parts: list[tuple[Recording, Callable[[], None]]] = []
        self._recording: Recording | None = None
        #: The files of the last :meth:`save`.
        self.files: list[Path] = []
        #: Why :meth:`save` wrote no PNG (no matplotlib, nothing to plot), or None.
        self.no_plot: str | None = None

    def __repr__(self) -> str:
        state = "stopped" if self._recording is not None else "recording"
        return f"<SignalRecorder {self.name} {state}: {', '.join(self._keys) or 'no keys'}>"

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys recorded so far."""
        return tuple(self._keys)

    def record(self, keys: str | Iterable[str]) -> None:
        """Start recording *keys* (one key or several) until the test ends.

        Each key's current value comes first, then every change. Called again, it
        records more keys into the same recording.
        """
        if self._recording is not None:
            raise RuntimeError("this recorder was stopped: the test is over")
        wanted = [keys] if isinstance(keys, str) else list(keys)
        if not wanted or not all(isinstance(key, str) for key in wanted):
            raise TypeError(f"keys must be a key or a list of keys (str), not {keys!r}")
        self._parts.append(_record_in_background(self._client, wanted))
        self._keys.extend(key for key in wanted if key not in self._keys)

    def _joined(self) -> Recording:
        """One recording of every part (the part itself when there is one)."""
        from .toolkit.recording import Recording

        recordings = [recording for recording, _ in self._parts]
        if len(recordings) == 1:
            return recordings[0]
        started = [r.started for r in recordings if r.started is not None]
        ended = [r.ended for r in recordings if r.ended is not None]
        return Recording(
            self._keys,
            [event for recording in recordings for event in recording.events],
            started=min(started, default=None),
            ended=max(ended, default=None),
            max_events=sum(r.max_events for r in recordings) or None,
        )

    @property
    def recording(self) -> Recording:
        """What was recorded so far (the final recording once stopped)."""
        if self._recording is not None:
            return self._recording
        return self._joined()

    def stop(self) -> Recording:
        """Stop recording (once; later calls return the same recording)."""
        if self._recording is None:
            for _, stop in self._parts:
                try:
                    stop()
                except Exception:  # the connection was lost: keep what came
                    pass
            self._recording = self._joined()
        return self._recording

    def save(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Stop, then write ``NAME.csv`` and, if it can, ``NAME.png`` into *directory*
        (created if needed); returns the files written (also in :attr:`files`).

        No PNG without matplotlib or without a numeric or boolean series
        (:attr:`no_plot` says which).
        """
        recording = self.stop()
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        csv_path = folder / f"{self.name}.csv"
        recording.to_csv(csv_path)
        files = [csv_path]
        self.no_plot = None
        if importlib.util.find_spec("matplotlib") is None:
            self.no_plot = 'no plot: matplotlib is not installed (pip install "xentara-sync[plot]")'
        else:
            png_path = folder / f"{self.name}.png"
            try:
                recording.plot(png_path, title=self.name)
            except ValueError as exc:
                self.no_plot = f"no plot: {exc}"
            else:
                files.append(png_path)
        self.files = files
        return files

    def describe(self) -> str:
        """One line per file :meth:`save` wrote (and why there is no plot)."""
        lines = [f"xentara recording {path.suffix[1:]}: {path}" for path in self.files]
        if self.no_plot is not None:
            lines.append(f"xentara recording {self.no_plot}")
        return "\n".join(lines)
