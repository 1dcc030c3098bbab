"""The test engineer's toolkit against the real simulator: wait_until, write_many, record."""

from __future__ import annotations

import csv
import datetime
import io
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FAST_SINE, OUTPUTS
from tests.flavours import FLAVOURS, Flavour
from xentara_sync import (
    ConditionNotMet,
    Event,
    IllegalValue,
    InvalidArgument,
    OutOfRange,
    RequestTimeout,
    TypeMismatch,
    WriteError,
    WriteOnly,
    XentaraClient,
    flat,
)
from xentara_sync.protocol import AttributeFault, ErrorCode, Quality, TimePoint
from xentara_sync.simulator import Simulator, User

COUNTER = "Hardware.Registers.Counter"
SETPOINT = "Hardware.Registers.Setpoint"
LABEL = "Hardware.Registers.Label"
#: A model with a write-only io object (``Types.IO.Writer``) and a time stamp register.
VALUE_TYPES = Path(__file__).resolve().parents[1] / "data" / "value-types.json"
WRITER = "Types.IO.Writer"
STAMP = "Types.Registers.Stamp"


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    """Each async flavour in turn: asyncio, then trio."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def client(simulator: Simulator) -> Iterator[XentaraClient]:
    with XentaraClient(simulator.url, timeout=5) as client:
        yield client


# --------------------------------------------------------------------------- wait_until


def test_the_current_value_counts(client: XentaraClient) -> None:
    client.write(OUTPUTS[0], True)
    event = client.wait_until(OUTPUTS[0], True, timeout=2)
    assert isinstance(event, Event)
    assert (event.name, event.value) == (OUTPUTS[0], True)
    assert event.datetime.tzinfo is datetime.timezone.utc
    assert abs(event.datetime.timestamp() - event.timestamp) < 1e-6


def test_waits_for_a_change_made_elsewhere(client: XentaraClient, simulator: Simulator) -> None:
    simulator.set_value(COUNTER, 1)
    timer = threading.Timer(0.2, simulator.set_value, (COUNTER, 4242))
    timer.start()
    try:
        event = client.wait_until(COUNTER, 4242, timeout=5)
    finally:
        timer.join()
    assert event.value == 4242


def test_a_predicate_runs_in_the_calling_thread(client: XentaraClient) -> None:
    threads: list[int] = []

    def positive(value: float) -> bool:
        threads.append(threading.get_ident())
        return value > 0

    event = client.wait_until(FAST_SINE, positive, timeout=5)
    assert event.value > 0
    assert set(threads) == {threading.get_ident()}


def test_not_met_is_a_timeout_and_an_assertion(client: XentaraClient) -> None:
    client.write(COUNTER, 7)
    with pytest.raises(ConditionNotMet) as caught:
        client.wait_until(COUNTER, 8, timeout=0.3)
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert isinstance(error, AssertionError)
    assert (error.key, error.condition, error.seen) == (COUNTER, 8, 1)
    assert isinstance(error.last, Event)
    assert error.last.value == 7
    message = str(error)
    assert message.startswith(f"{COUNTER!r} did not become 8 within 0.3 s: 1 value seen, ")
    assert f"the last 7 at {error.last.datetime:%Y-%m-%dT%H:%M:%S}" in message


def test_a_failing_predicate_propagates_and_the_client_goes_on(client: XentaraClient) -> None:
    with pytest.raises(ZeroDivisionError):
        client.wait_until(COUNTER, lambda value: value / 0, timeout=2)
    with pytest.raises(ConditionNotMet, match=r"satisfy <lambda> \(.*test_toolkit.py:\d+\)"):
        client.wait_until(COUNTER, lambda value: False, timeout=0.2)
    client.write(COUNTER, 5)
    assert client.wait_until(COUNTER, 5).value == 5


def test_timeout_none_is_the_clients_timeout(simulator: Simulator) -> None:
    with XentaraClient(simulator.url, timeout=0.3) as client:
        client.write(COUNTER, 1)
        with pytest.raises(ConditionNotMet, match=r"within 0\.3 s"):
            client.wait_until(COUNTER, 2)


def test_wait_until_in_the_async_flavours(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            await client.write(OUTPUTS[1], False)
            event = await client.wait_until(OUTPUTS[1], False, timeout=2)
            assert event.value is False
            with pytest.raises(ConditionNotMet, match="did not satisfy"):
                await client.wait_until(OUTPUTS[1], bool, timeout=0.2)
            with pytest.raises(ZeroDivisionError):
                await client.wait_until(COUNTER, lambda value: 1 / 0, timeout=2)
            rising = await client.wait_until(FAST_SINE, lambda value: value > 0, timeout=5)
            assert rising.value > 0

    flavour.run(main)


def test_a_condition_that_holds_is_met_with_a_zero_timeout(client: XentaraClient) -> None:
    client.write(COUNTER, 17)
    for timeout in (0, 0.0005):
        assert client.wait_until(COUNTER, 17, timeout=timeout).value == 17
        with pytest.raises(ConditionNotMet, match=r"1 value seen, the last 17 at "):
            client.wait_until(COUNTER, 18, timeout=timeout)


@pytest.mark.parametrize("bad", [-1, -0.5, math.nan, math.inf, "1"])
def test_a_bad_timeout_is_refused_before_subscribing(client: XentaraClient, bad: object) -> None:
    message = f"wait_until: timeout must be a finite number of seconds, 0 or more, not {bad!r}"
    with pytest.raises(InvalidArgument) as caught:
        client.wait_until(COUNTER, 1, timeout=bad)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_an_enum_attribute_matches_its_name(client: XentaraClient) -> None:
    assert client.read(COUNTER, attribute="quality") is Quality.GOOD
    for name in ("good", "GOOD", "Good"):
        event = client.wait_until(COUNTER, name, attribute="quality", timeout=2)
        assert event.value is Quality.GOOD
    assert client.wait_until(COUNTER, Quality.GOOD, attribute="quality", timeout=2)
    with pytest.raises(ConditionNotMet, match="did not become 'bad'"):
        client.wait_until(COUNTER, "bad", attribute="quality", timeout=0.2)


@pytest.fixture(scope="module")
def value_types() -> Iterator[Simulator]:
    """A simulator of ``value-types.json``: a write-only io object, a time stamp."""
    with Simulator(VALUE_TYPES) as simulator:
        yield simulator


def test_a_write_only_value_raises_at_once(value_types: Simulator) -> None:
    seen: list[object] = []
    with XentaraClient(value_types.url, root_element=None, timeout=5) as client:
        with pytest.raises(WriteOnly) as read:
            client.read(WRITER)
        for condition in (1.0, seen.append, lambda value: value > 50):
            with pytest.raises(WriteOnly) as caught:  # not ConditionNotMet after 30 s
                client.wait_until(WRITER, condition, timeout=30)
            assert caught.value.code == read.value.code
            assert str(caught.value).startswith(f"wait_until {WRITER!r} failed: ")
        assert seen == []  # no fault was handed to the predicate
        flat_session = flat.open_session(value_types.url, "", True, 5.0)
        try:
            with pytest.raises(WriteOnly, match=r"^-32104: wait_until "):
                flat.wait_until(flat_session, WRITER, 1.0, 30.0)
        finally:
            flat.close_session(flat_session)


def test_zero_timeouts_faults_and_bad_timeouts_in_the_async_flavours(
    flavour: Flavour, value_types: Simulator
) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(value_types.url, root_element=None) as client:
            await client.write("Types.Registers.Int32", 5)
            assert (await client.wait_until("Types.Registers.Int32", 5, timeout=0)).value == 5
            with pytest.raises(ConditionNotMet, match="1 value seen"):
                await client.wait_until("Types.Registers.Int32", 6, timeout=0.0005)
            with pytest.raises(WriteOnly):
                await client.wait_until(WRITER, lambda value: value > 50, timeout=30)
            for bad in (-1, math.nan):
                with pytest.raises(InvalidArgument, match=r"^wait_until: timeout must be a"):
                    await client.wait_until(WRITER, 1, timeout=bad)

    flavour.run(main)


# --------------------------------------------------------------------------- write_many


def test_write_many_writes_every_key(client: XentaraClient) -> None:
    client.write_many({COUNTER: 11, OUTPUTS[2]: True, SETPOINT: 2.5})
    assert client.read_many([COUNTER, OUTPUTS[2], SETPOINT]) == {
        COUNTER: 11,
        OUTPUTS[2]: True,
        SETPOINT: 2.5,
    }
    client.write_many({})  # nothing to do


@pytest.mark.parametrize(
    ("bad", "error"), [("twelve", TypeError), (2**70, ValueError), (1.5, IllegalValue)]
)
def test_one_bad_value_writes_nothing(
    simulator: Simulator, bad: object, error: type[Exception]
) -> None:
    # A client of its own: the first write_many looks the names up and asks for metadata.
    with XentaraClient(simulator.url, timeout=5) as client:
        client.write_many({COUNTER: 1, OUTPUTS[3]: False})
        with pytest.raises(error):
            client.write_many({OUTPUTS[3]: True, COUNTER: bad})
        assert client.read_many([COUNTER, OUTPUTS[3]]) == {COUNTER: 1, OUTPUTS[3]: False}
    with XentaraClient(simulator.url, timeout=5) as fresh:  # checked on the look-up path too
        with pytest.raises(OutOfRange):
            fresh.write_many({COUNTER: 99, "Hardware.Registers.Small": 1000})
        assert fresh.read(COUNTER) == 1


def test_server_failures_name_each_key() -> None:
    # A user without the write right: the values pass the client's checks, the
    # server refuses each write (-32102, access denied) and the error names every key.
    viewer = User("viewer", "viewer-pw", write=False)
    with (
        Simulator(users=[viewer]) as sim,
        XentaraClient(sim.url, username="viewer", password="viewer-pw") as client,
    ):
        with pytest.raises(WriteError) as caught:
            client.write_many({COUNTER: 12, LABEL: "twelve"})
        assert list(caught.value.errors) == [COUNTER, LABEL]
        assert {error.code for error in caught.value.errors.values()} == {ErrorCode.ACCESS_DENIED}
        assert f"write {LABEL!r} failed" in str(caught.value)
        assert client.read(COUNTER) != 12


@pytest.mark.parametrize("values", [None, [(COUNTER, 1)], 5])
def test_write_many_names_itself_and_what_it_takes(client: XentaraClient, values: object) -> None:
    with pytest.raises(TypeError) as caught:
        client.write_many(values)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "write_many takes a mapping of primary keys to values ({key: value, ...}), "
        f"not {values!r}"
    )


def test_write_many_in_the_async_flavours(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            await client.write_many({COUNTER: 21, OUTPUTS[0]: False})
            assert await client.read_many([COUNTER, OUTPUTS[0]]) == {COUNTER: 21, OUTPUTS[0]: False}
            with pytest.raises(TypeMismatch):
                await client.write_many({COUNTER: 22, OUTPUTS[0]: "yes"})
            assert await client.read(COUNTER) == 21

    flavour.run(main)


# --------------------------------------------------------------------------- record


def test_record_for_seconds(client: XentaraClient) -> None:
    client.write(COUNTER, 3)
    started = time.monotonic()
    recording = client.record([FAST_SINE, COUNTER], seconds=0.5)
    assert time.monotonic() - started >= 0.5
    assert recording.keys == (FAST_SINE, COUNTER)
    assert recording.values(COUNTER) == [3]  # the current value, and no change
    sines = recording.values(FAST_SINE)
    assert len(sines) > 2
    assert all(isinstance(value, float) for value in sines)
    stamps = [event.timestamp for event in recording.events if event.name == FAST_SINE]
    assert stamps == sorted(stamps)
    with pytest.raises(KeyError, match="was not recorded"):
        recording.values(SETPOINT)


def test_record_a_count_of_events(client: XentaraClient) -> None:
    recording = client.record(FAST_SINE, count=5)
    assert len(recording.events) == 5
    assert {event.name for event in recording.events} == {FAST_SINE}


def test_record_needs_a_limit_and_a_quiet_key_times_out(simulator: Simulator) -> None:
    with XentaraClient(simulator.url, timeout=0.3) as client:
        with pytest.raises(ValueError, match="seconds= or count="):
            client.record(COUNTER)
        with pytest.raises(ValueError, match="seconds must be a positive number"):
            client.record(COUNTER, seconds=0)
        with pytest.raises(RequestTimeout, match=r"1 of 2 events recorded"):
            client.record(LABEL, count=2)
        assert len(client.record(LABEL, count=2, seconds=0.3)) == 1


@pytest.mark.parametrize("keys", [[], (), None])
def test_record_names_itself(client: XentaraClient, keys: object) -> None:
    message = f"record takes a primary key or a non-empty list of them, not {keys!r}"
    with pytest.raises(TypeError) as caught:
        client.record(keys, seconds=1)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_record_in_the_async_flavours(flavour: Flavour, simulator: Simulator) -> None:
    async def main() -> None:
        async with flavour.XentaraClient(simulator.url) as client:
            with pytest.raises(TypeError, match=r"^record takes a primary key"):
                await client.record([], seconds=1)
            with pytest.raises(TypeError, match=r"^write_many takes a mapping"):
                await client.write_many(None)  # type: ignore[arg-type]
            recording = await client.record([FAST_SINE], count=3)
            assert len(recording.values(FAST_SINE)) == 3
            timed = await client.record([FAST_SINE, COUNTER], seconds=0.3)
            assert len(timed.values(COUNTER)) == 1

    flavour.run(main)


def test_a_recording_keeps_nanoseconds_and_faults(value_types: Simulator, tmp_path: Path) -> None:
    with XentaraClient(value_types.url, root_element=None, timeout=5) as client:
        stamp = client.read(STAMP)
        assert isinstance(stamp, TimePoint)
        assert stamp.ns % 1000 != 0  # the model's time stamp has nanoseconds to lose
        recording = client.record([STAMP, WRITER], count=2)
    (fault,) = recording.values(WRITER)
    assert isinstance(fault, AttributeFault)
    assert recording.values(STAMP) == [stamp]
    out = io.StringIO()
    recording.to_csv(out)
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows[STAMP]["value"] == stamp.isoformat()
    assert rows[STAMP]["value"].endswith(f".{stamp.ns % 1_000_000_000:09d}Z")
    assert rows[STAMP]["error"] == ""
    assert (rows[WRITER]["value"], rows[WRITER]["error"]) == ("", str(fault))
    session = flat.open_session(value_types.url, "", True, 5.0)
    try:
        path = tmp_path / "types.csv"
        assert flat.record_csv(session, [STAMP], 0.2, str(path)) == 1
        with path.open(newline="", encoding="utf-8") as file:
            (row,) = csv.DictReader(file)
        assert row["value"] == stamp.isoformat()
    finally:
        flat.close_session(session)
