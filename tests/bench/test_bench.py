"""The ``bench`` command: a tiny run against the embedded simulator, and its helpers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from xentara_sync import XentaraClient, bench
from xentara_sync.bench.raw_sync import RawSyncClient
from xentara_sync.simulator import Simulator
from xentara_sync.tools.cli import main


@pytest.mark.timeout(120)  # a dozen processes and every figure once, on a shared machine
def test_tiny_run_reports_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["bench", "--json", "--quick", "--rounds", "1", "--reads", "50"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    result = json.loads(captured.out)  # exactly one JSON object
    assert "a full run" in result["skipped"]["snapshot100k_s"]  # about 20 s: not in --quick
    assert "a full run" in result["skipped"]["record_stream_rss_mb"]  # a minute: neither
    for name in bench.FIGURES:
        if name in ("snapshot100k_s", "record_stream_rss_mb"):
            continue
        value = result[name]
        assert isinstance(value, (int, float)) and not isinstance(value, bool), name
        assert value > 0, name
        assert result[f"{name}_p90"] > 0, name
    assert result["events_dropped"] == 0
    assert result["key"] == "Hardware.Registers.Counter"
    assert result["machine"]["cpu_count"] >= 1
    assert set(result["targets"]) == set(bench.TARGETS)
    assert result["events_ceiling_dropped"] == 0


def test_quick_run_compares_the_blocking_client_with_a_raw_blocking_loop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["bench", "--json", "--quick", "--rounds", "1", "--reads", "50"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    result = json.loads(captured.out)
    assert result["raw_sync_rtt_us"] > 0
    assert result["raw_sync_rtt_us_p90"] > 0
    assert result["sync_over_raw_sync"] == pytest.approx(
        result["sync_read_us"] / result["raw_sync_rtt_us"]
    )
    target = result["targets"]["sync_over_raw_sync"]
    assert target["target"] == "<= 1.15"
    assert isinstance(target["met"], bool)
    table = bench.format_table(result).splitlines()
    assert any(line.startswith("raw websockets.sync + cbor2 round trip") for line in table)
    (row,) = [line for line in table if line.split("  ")[1:2] == ["blocking / raw blocking"]]
    assert row.endswith("<= 1.15  ok" if target["met"] else "<= 1.15  MISSED")


def test_raw_blocking_loop_reads_what_the_client_reads(simulator: Simulator) -> None:
    key = "Hardware.Registers.Setpoint"
    with XentaraClient(simulator.url) as client:
        client.write(key, 21.5)
        with RawSyncClient.connect(simulator.url, verify_ssl=True) as raw:
            element = raw.lookup(key)
            assert element == client.element_info(key).uuid
            assert raw.read(element) == client.read(key) == 21.5
            with pytest.raises(bench.BenchError, match="lookup request failed"):
                raw.lookup("Hardware.No Such Element")


def test_the_table_names_every_figure() -> None:
    result: dict[str, Any] = dict.fromkeys(bench.FIGURES, 1.5)
    result.update({f"{name}_p90": 2.0 for name in bench.FIGURES})
    result["browse10k_s"] = None
    result.update(
        events_dropped=0,
        targets={name: {"target": "", "met": True} for name in bench.TARGETS},
        skipped={"browse10k_s": "needs the generated model"},
        server="ws://xentara:8080/api/ws",
        key="Hardware.Registers.Counter",
        event_source="4 signals",
        plan=bench.QUICK._asdict(),
        machine={"cpu_count": 2, "python": "3.11", "implementation": "CPython", "platform": "x"},
    )
    table = bench.format_table(result)
    assert "skipped: needs the generated model" in table
    assert "blocking / asyncio" in table
    assert "ws://xentara:8080/api/ws" in table


def test_percentile() -> None:
    assert bench.percentile([3, 1, 2], 0.5) == 2
    assert bench.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)
    with pytest.raises(ValueError, match="no values"):
        bench.percentile([], 0.5)


def test_plan_scaled_keeps_warmup_within_the_reads() -> None:
    plan = bench.FULL.scaled(rounds=0, reads=10)
    assert (plan.rounds, plan.reads, plan.warmup) == (1, 10, 10)


def test_fast_model_adds_signals_with_unique_ids() -> None:
    document = bench.fast_model(5)
    text = json.dumps(document)
    assert text.count('"name": "Sine 2"') == 1
    uuids = [part.split('"')[0] for part in text.split('"UUID": "')[1:]]
    assert len(uuids) == len(set(uuids))


def test_importing_the_command_stays_light() -> None:
    code = (
        "import sys, xentara_sync.bench; "
        "heavy = {'asyncio', 'websockets', 'cbor2', 'xentara_sync.core'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_snapshot_is_timed_and_checked(tmp_path: Path) -> None:
    from xentara_sync.bench.plan import BenchError
    from xentara_sync.bench.snapshot import snapshot_seconds
    from xentara_sync.simulator import generated_model

    with Simulator(generated_model(3_000)) as sim:
        assert snapshot_seconds(sim.url, tmp_path / "twin.json", 3_000) > 0
        assert (tmp_path / "twin.json").stat().st_size > 3_000 * 50
        with pytest.raises(BenchError, match="expected 4000"):
            snapshot_seconds(sim.url, tmp_path / "twin.json", 4_000)


def test_a_recording_streamed_to_a_file_is_measured(tmp_path: Path) -> None:
    from xentara_sync.bench.record_stream import measure_record_stream, rss_bytes
    from xentara_sync.bench.servers import SimulatorProcess
    from xentara_sync.bench.stats import Samples

    if rss_bytes() is None:
        pytest.skip("no resident memory to read here")
    samples = Samples()
    servers: list[SimulatorProcess] = []
    try:
        measure_record_stream(tmp_path, servers, 1.0, samples)
    finally:
        for server in servers:
            server.stop()
    (growth,) = samples.values["record_stream_rss_mb"]
    assert isinstance(growth, float) and growth < 1000
    (rate,) = samples.values["record_stream_events_per_s"]
    assert rate > 100  # 100 signals that change every millisecond
    assert not (tmp_path / "record-stream.csv").exists()


def test_a_run_saved_with_output_is_compared_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "before.json"
    status = main(["bench", "--quick", "--rounds", "1", "--reads", "30", "--output", str(saved)])
    assert status == 0
    before = json.loads(saved.read_text(encoding="utf-8"))
    capsys.readouterr()
    # The busy set-up and the CPU time per read are figures of every run.
    for name in ("sync_read_us_busy", "sync_over_raw_sync_busy", "sync_cpu_us", "raw_cpu_us"):
        assert before[name] > 0, name
    assert before["targets"]["sync_over_raw_sync_busy"]["target"] == "<= 1.15"

    after = dict(before, sync_read_us=before["sync_read_us"] * 2, events_per_s=0.5)
    after["events_per_s"] = before["events_per_s"] * 2
    table = bench.format_comparison(before, after, "before", "this run").splitlines()
    (row,) = [line for line in table if line.startswith("client.read() (blocking)")]
    assert row.endswith("+100.0 % worse")  # a read that takes twice as long
    (row,) = [line for line in table if line.startswith("events through the blocking")]
    assert row.endswith("+100.0 % better")  # twice the events a second
    (row,) = [line for line in table if line.startswith("import xentara_sync")]
    assert row.endswith("+0.0 %")


def test_compare_refuses_a_file_that_is_no_run_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"sync_read_us": 1}', encoding="utf-8")
    started = time.monotonic()
    status = main(["bench", "--quick", "--compare", str(other)])
    assert status == 2  # a usage error
    err = capsys.readouterr().err
    assert "is not a run of xentara-sync bench" in err and "--output FILE" in err
    assert time.monotonic() - started < 5  # refused before any simulator started
    status = main(["bench", "--quick", "--compare", str(tmp_path / "missing.json")])
    assert status == 2
    assert "--compare: cannot read" in capsys.readouterr().err


def test_the_firehose_serves_the_client_and_streams_its_subscription(tmp_path: Path) -> None:
    from xentara_sync.bench.measurements import burst_per_second
    from xentara_sync.bench.servers import SimulatorProcess, start_firehose
    from xentara_sync.protocol import Category

    servers: list[SimulatorProcess] = []
    try:
        url = start_firehose(tmp_path, servers, events=60 * 100)
        with XentaraClient(url, root_element=None, timeout=10) as client:
            keys = [info.key for info in client.elements(Category.DATA_POINT)][:10]
            assert len(keys) == 10
            seen: dict[str, list[float]] = {}
            with client.subscribe(keys, None, None) as subscription:
                for event in subscription:
                    seen.setdefault(event.name, []).append(event.value)
                    if sum(map(len, seen.values())) == 600:
                        break  # the whole burst: 60 messages of the 10 elements
            assert set(seen) == set(keys)
            # Each message changes every element: the values of one element step by 1.
            first = seen[keys[3]]
            assert all(value % 1 == pytest.approx(0.003) for value in first)
            assert len(set(first)) > 1
            assert client.read(keys[0]) is not None  # requests are still answered
            rate, missing = burst_per_second(client, keys, 600, timeout=30)
            assert rate > 0 and missing == 0
    finally:
        for server in servers:
            server.stop()


def test_a_consumer_held_up_for_a_plant_second_loses_nothing(tmp_path: Path) -> None:
    """The default queue holds the events a consumer misses while it is held up:
    60,000 events of 100 channels arrive while nobody iterates (a consumer thread
    descheduled, a slow step of a test), and every one is then iterated, in order."""
    from xentara_sync.bench.firehose import VARIANTS
    from xentara_sync.bench.servers import SimulatorProcess, start_firehose
    from xentara_sync.protocol import Category

    expected = 600 * 100
    servers: list[SimulatorProcess] = []
    try:
        url = start_firehose(tmp_path, servers, events=expected)
        with XentaraClient(url, root_element=None, timeout=10) as client:
            keys = [info.key for info in client.elements(Category.DATA_POINT)]
            assert len(keys) == 100
            with client.subscribe(keys, None, None) as subscription:
                deadline = time.monotonic() + 30
                queue = subscription._queue
                while len(queue) + subscription.dropped < expected:  # the burst is arriving
                    assert time.monotonic() < deadline, f"{len(queue)} events arrived"
                    time.sleep(0.05)
                assert subscription.dropped == 0
                events = [subscription.receive(timeout=5) for _ in range(expected)]
            # Message m changes channel c to (m % VARIANTS) + c / 1000, channels in order.
            assert [event.name for event in events[:100]] == keys
            assert [event.value for event in events] == [
                pytest.approx(number // 100 % VARIANTS + number % 100 / 1000)
                for number in range(expected)
            ]
    finally:
        for server in servers:
            server.stop()


def test_the_decode_floor_counts_attribute_changes() -> None:
    import uuid

    from xentara_sync.bench.firehose import event_messages
    from xentara_sync.bench.measurements import decode_per_second

    messages = event_messages([uuid.uuid4() for _ in range(5)], variants=3)
    assert len(messages) == 3
    assert decode_per_second(messages, 0.05) > 0


def test_large_message_figure_takes_every_event_and_leaves_the_collector_alone() -> None:
    import gc

    from xentara_sync.bench.measurements import large_message

    before = gc.isenabled()
    rate, cpu = large_message(200_000, rounds=2)
    assert rate > 0
    assert cpu > 0
    assert gc.isenabled() is before
