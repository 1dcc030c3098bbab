"""Recordings in time order, recorder() in the background, hold(), and what
wait_until's failure says, in every flavour, against the real simulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import FAST_SINE
from tests.flavours import FLAVOURS, Flavour
from xentara_sync import ConditionBroken, ConditionNotMet, XentaraClient, flat
from xentara_sync.simulator import Simulator
from xentara_sync.toolkit.recording import Recording

COUNTER = "Hardware.Registers.Counter"
SETPOINT = "Hardware.Registers.Setpoint"
LABEL = "Hardware.Registers.Label"


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    """Each async flavour in turn: asyncio, then trio."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def client(fresh_simulator: Simulator) -> Iterator[XentaraClient]:
    with XentaraClient(fresh_simulator.url, timeout=5) as client:
        yield client


def xs(line: Any) -> list[float]:
    """A plotted line's x data."""
    return [float(x) for x in line.get_xdata()]


def ys(line: Any) -> list[float]:
    """A plotted line's y data."""
    return [float(y) for y in line.get_ydata()]


def check_time_order(recording: Recording) -> None:
    """The rows are in time order, the counter's old value counts from 0 s and
    keeps its own time stamp, and the plot's axis runs from 0 to the end."""
    assert recording.started is not None and recording.ended is not None
    rows = recording.rows()
    seconds = [row[0] for row in rows]
    assert seconds == sorted(seconds)
    (counter,) = [row for row in rows if row[3] == COUNTER]
    assert counter[0] == 0.0
    assert counter[2] < recording.started  # written before the recording began
    assert counter[4] == 3
    assert len(recording.values(FAST_SINE)) > 2
    duration = recording.duration
    assert duration >= 0.5
    figure = recording.plot()
    sine, counter_axes, label = figure.axes
    for ax in figure.axes:
        assert ax.get_xlim() == pytest.approx((0.0, duration))
    steps = counter_axes.get_lines()[0]
    assert steps.get_drawstyle() == "steps-post"
    assert xs(steps) == pytest.approx([0.0, duration])
    assert ys(steps) == [3.0, 3.0]
    assert [t.get_text() for t in label.get_yticklabels()] == ["demo"]
    sine_x = xs(sine.get_lines()[0])
    assert sine_x[0] >= 0.0 and sine_x[-1] == pytest.approx(duration)


# --------------------------------------------------------------------------- blocking


def test_record_is_in_time_order_and_plots_from_0(client: XentaraClient) -> None:
    client.write(COUNTER, 3)
    recording = client.record([FAST_SINE, COUNTER, LABEL], seconds=0.5)
    check_time_order(recording)


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"no {what} within 10 s"
        time.sleep(0.01)


def test_the_recorder_fills_while_the_block_runs_and_keeps_it(client: XentaraClient) -> None:
    client.write(COUNTER, 3)
    recorder = client.recorder([FAST_SINE, COUNTER])

    def act() -> None:
        with recorder as recording:
            assert recording is recorder.recording
            wait_for(lambda: len(recording.values(FAST_SINE)) >= 3, "events in the background")
            client.write(COUNTER, 4)
            wait_for(lambda: recording.values(COUNTER) == [3, 4], "the counter's change")
            raise RuntimeError("the test failed")

    with pytest.raises(RuntimeError, match="the test failed"):
        act()
    recording = recorder.recording
    kept = len(recording)
    assert kept >= 5 and recording.ended is not None
    assert recording.values(COUNTER) == [3, 4]
    client.record(FAST_SINE, count=3)  # more events come: the recorder no longer listens
    assert len(recording) == kept
    client.write(COUNTER, 5)
    with client.recorder(COUNTER, max_events=1) as small:
        client.write(COUNTER, 6)
        wait_for(lambda: small.dropped == 1, "a dropped event")
    assert small.values(COUNTER) == [5] and small.received == 2


def test_hold_passes_and_breaks(client: XentaraClient) -> None:
    client.write(COUNTER, 7)
    event = client.hold(COUNTER, 7, seconds=0.3)
    assert (event.name, event.value) == (COUNTER, 7)
    assert client.hold(COUNTER, lambda v: v > 0, seconds=0.2).value == 7
    with pytest.raises(ConditionBroken) as current:
        client.hold(COUNTER, 8, seconds=60)  # the current value breaks it at once
    assert (current.value.value, current.value.after) == (7, 0.0)
    client.write(SETPOINT, 2.5)
    timer = threading.Timer(0.2, client.write, (SETPOINT, 3.5))
    timer.start()
    try:
        with pytest.raises(ConditionBroken) as broken:
            client.hold(SETPOINT, 2.5, seconds=30)
    finally:
        timer.join()
    error = broken.value
    assert isinstance(error, AssertionError)
    assert (error.key, error.value, error.seen) == (SETPOINT, 3.5, 2)
    assert error.after > 0
    assert f"{SETPOINT!r} did not stay 2.5 for 30 s: 3.5 at " in str(error)


def test_wait_until_names_the_lowest_and_highest(client: XentaraClient) -> None:
    with pytest.raises(ConditionNotMet) as failure:
        client.wait_until(FAST_SINE, lambda v: v > 1000, timeout=0.3)
    error = failure.value
    assert error.lowest is not None and error.highest is not None
    assert error.lowest < error.highest
    assert f"(lowest {error.lowest!r}, highest {error.highest!r})" in str(error)


def test_flat_hold(fresh_simulator: Simulator) -> None:
    session = flat.open_session(fresh_simulator.url, "Hardware", True, 5.0)
    try:
        flat.write(session, COUNTER, 2.0)
        assert flat.hold(session, COUNTER, 2, 0.2)[1:] == (COUNTER, 2)
        with pytest.raises(AssertionError, match=r"^5013: 'Hardware.Registers.Counter' did not"):
            flat.hold(session, COUNTER, 3, 5.0)
        with pytest.raises(ValueError, match=r"^5008: hold: seconds must be"):
            flat.hold(session, COUNTER, 2, 0.0)
    finally:
        flat.close_session(session)


# --------------------------------------------------------------------------- asyncio, trio


def test_record_in_time_order_in_the_async_flavours(
    flavour: Flavour, fresh_simulator: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(fresh_simulator.url, timeout=5) as client:
            await client.write(COUNTER, 3)
            check_time_order(await client.record([FAST_SINE, COUNTER, LABEL], seconds=0.5))

    flavour.run(main)


def test_the_recorder_in_the_async_flavours(flavour: Flavour, fresh_simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(fresh_simulator.url, timeout=5) as client:
            await client.write(COUNTER, 3)
            recorder = client.recorder([FAST_SINE, COUNTER])

            async def act() -> None:
                async with recorder as recording:
                    await client.write(COUNTER, 4)
                    deadline = time.monotonic() + 10
                    while len(recording.values(FAST_SINE)) < 3 or recording.values(COUNTER) != [
                        3,
                        4,
                    ]:
                        assert time.monotonic() < deadline
                        await flavour.sleep(0.01)
                    raise RuntimeError("the test failed")

            with pytest.raises(RuntimeError, match="the test failed"):
                await act()
            recording = recorder.recording
            kept = len(recording)
            assert recording.values(COUNTER) == [3, 4] and recording.ended is not None
            await client.record(FAST_SINE, count=3)
            assert len(recording) == kept
            # Cancelled from outside: what came is kept too.
            holder: list[Recording] = []

            async def record_until_cancelled() -> None:
                async with client.recorder(FAST_SINE) as recording:
                    holder.append(recording)
                    await flavour.sleep(60)

            assert await flavour.move_on_after(0.3, record_until_cancelled)
            assert len(holder[0]) >= 1 and holder[0].ended is not None

    flavour.run(main)


def test_hold_and_wait_until_in_the_async_flavours(
    flavour: Flavour, fresh_simulator: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(fresh_simulator.url, timeout=5) as client:
            await client.write(SETPOINT, 2.5)
            assert (await client.hold(SETPOINT, 2.5, seconds=0.2)).value == 2.5

            async def change() -> None:
                await flavour.sleep(0.2)
                await client.write(SETPOINT, 3.5)

            async def hold() -> None:
                with pytest.raises(ConditionBroken) as broken:
                    await client.hold(SETPOINT, lambda v: v < 3, seconds=30)
                assert (broken.value.value, broken.value.seen) == (3.5, 2)
                assert "did not keep to satisfy <lambda>" in str(broken.value)

            await flavour.gather(hold, change)
            with pytest.raises(ConditionNotMet) as failure:
                await client.wait_until(FAST_SINE, lambda v: v > 1000, timeout=0.3)
            error = failure.value
            assert error.lowest is not None and error.highest is not None
            assert error.lowest < error.highest

    flavour.run(main)
