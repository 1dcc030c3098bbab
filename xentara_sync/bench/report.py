"""The result of a run: the figures, the targets they are held to, and the table."""

from __future__ import annotations

from typing import Any, Final

from .plan import Workload
from .stats import Samples

__all__ = [
    "CPU_FIGURES",
    "FIGURES",
    "RATIOS",
    "TARGETS",
    "compare",
    "format_comparison",
    "format_table",
    "result",
]

#: The latency contenders' figures -> their process CPU time per read.
CPU_FIGURES: Final = {
    "raw_rtt_us": "raw_cpu_us",
    "raw_sync_rtt_us": "raw_sync_cpu_us",
    "async_read_us": "async_cpu_us",
    "sync_read_us": "sync_cpu_us",
}

#: The per-figure keys of the JSON result (each a number, or ``null`` when skipped).
FIGURES: Final = (
    "raw_rtt_us",
    "raw_sync_rtt_us",
    "async_read_us",
    "sync_read_us",
    "sync_over_async",
    "async_over_raw",
    "sync_over_raw_sync",
    "raw_cpu_us",
    "raw_sync_cpu_us",
    "async_cpu_us",
    "sync_cpu_us",
    "raw_rtt_us_busy",
    "raw_sync_rtt_us_busy",
    "async_read_us_busy",
    "sync_read_us_busy",
    "async_over_raw_busy",
    "sync_over_raw_sync_busy",
    "sync_cpu_us_busy",
    "threads8_speedup",
    "batch100_speedup",
    "events_per_s",
    "events_ceiling_per_s",
    "events_decode_floor_per_s",
    "events_ceiling_over_floor",
    "large_message_mb_per_s",
    "large_message_cpu_s",
    "browse10k_s",
    "snapshot100k_s",
    "record_stream_rss_mb",
    "reconnect_ms",
    "import_ms",
)

#: The team's targets: figure -> (comparison, bound).
TARGETS: Final[dict[str, tuple[str, float]]] = {
    "sync_over_async": ("<=", 1.10),
    "async_over_raw": ("<=", 1.15),
    "sync_over_raw_sync": ("<=", 1.15),
    "async_over_raw_busy": ("<=", 1.15),
    "sync_over_raw_sync_busy": ("<=", 1.15),
    "threads8_speedup": (">=", 3.0),
    "batch100_speedup": (">=", 20.0),
    "events_per_s": (">=", 20_000.0),
    "events_ceiling_per_s": (">=", 100_000.0),
    "events_ceiling_over_floor": ("<=", 2.0),
    "browse10k_s": ("<=", 1.0),
    "snapshot100k_s": ("<=", 2.5),
    "record_stream_rss_mb": ("<=", 50.0),
    "import_ms": ("<=", 150.0),
}

#: The ratios of two latencies: ratio -> (numerator, denominator).
RATIOS: Final = {
    "sync_over_async": ("sync_read_us", "async_read_us"),
    "async_over_raw": ("async_read_us", "raw_rtt_us"),
    "sync_over_raw_sync": ("sync_read_us", "raw_sync_rtt_us"),
}


def result(
    url: str | None,
    plan: Workload,
    samples: Samples,
    skipped: dict[str, str],
    read_key: str,
    event_source: str,
) -> dict[str, Any]:
    """The JSON-ready result of a run: every figure's median and p90, the targets met."""
    from .host import machine

    outcome: dict[str, Any] = {}
    for name in FIGURES:
        outcome[name] = None
        outcome[f"{name}_p90"] = None
    for name in samples.values:
        summary = samples.summary(name)
        if summary is not None:
            outcome[name], outcome[f"{name}_p90"] = summary
    # The ratios are those of the medians; their p90 is over the per-round ratios.
    for ratio, (top, bottom) in RATIOS.items():
        for suffix in ("", "_busy"):
            if outcome.get(top + suffix) and outcome.get(bottom + suffix):
                outcome[ratio + suffix] = outcome[top + suffix] / outcome[bottom + suffix]
    if outcome.get("sync_read_us") and outcome.get("async_read_us"):
        outcome["sync_minus_async_us"] = outcome["sync_read_us"] - outcome["async_read_us"]
    dropped = samples.values.get("events_dropped", [])
    outcome["events_dropped"] = int(sum(dropped))
    outcome.pop("events_dropped_p90", None)
    outcome["events_dropped_max"] = int(max(dropped, default=0))
    ceiling_dropped = samples.values.get("events_ceiling_dropped", [])
    outcome["events_ceiling_dropped"] = int(sum(ceiling_dropped))
    outcome.pop("events_ceiling_dropped_p90", None)

    outcome["targets"] = {
        name: {
            "target": f"{op} {bound:g}",
            "met": None
            if outcome.get(name) is None
            else (outcome[name] <= bound if op == "<=" else outcome[name] >= bound),
        }
        for name, (op, bound) in TARGETS.items()
    }
    if outcome["targets"]["events_per_s"]["met"] and outcome["events_dropped"]:
        outcome["targets"]["events_per_s"]["met"] = False
    if outcome["targets"]["events_ceiling_per_s"]["met"] and outcome["events_ceiling_dropped"]:
        outcome["targets"]["events_ceiling_per_s"]["met"] = False
    outcome["skipped"] = skipped
    outcome["server"] = "embedded simulator (separate processes)" if url is None else _safe(url)
    outcome["key"] = read_key
    outcome["event_source"] = event_source
    outcome["plan"] = plan._asdict()
    outcome["machine"] = machine()
    return outcome


def _safe(url: str) -> str:
    """*url* without credentials, or ``"?"`` if it does not parse.

    >>> _safe("ws://user:secret@xentara:8080/api/ws")
    'ws://xentara:8080/api/ws'
    """
    from ..core.endpoint import Endpoint

    try:
        return Endpoint.parse(url).url
    except Exception:
        return "?"


#: (key, label, unit, format) of each table row.
_ROWS: Final = (
    ("raw_rtt_us", "raw websockets + cbor2 round trip", "us", "{:,.1f}"),
    ("raw_sync_rtt_us", "raw websockets.sync + cbor2 round trip", "us", "{:,.1f}"),
    ("async_read_us", "await client.read() (asyncio)", "us", "{:,.1f}"),
    ("sync_read_us", "client.read() (blocking)", "us", "{:,.1f}"),
    ("sync_over_async", "  blocking / asyncio", "x", "{:.2f}"),
    ("sync_minus_async_us", "  blocking - asyncio", "us", "{:,.1f}"),
    ("thread_hop_us", "  floor: wake a loop thread and back", "us", "{:,.1f}"),
    ("async_over_raw", "  asyncio / raw", "x", "{:.2f}"),
    ("sync_over_raw_sync", "  blocking / raw blocking", "x", "{:.2f}"),
    ("raw_cpu_us", "  CPU per read: raw asyncio", "us", "{:,.1f}"),
    ("raw_sync_cpu_us", "  CPU per read: raw blocking", "us", "{:,.1f}"),
    ("async_cpu_us", "  CPU per read: asyncio client", "us", "{:,.1f}"),
    ("sync_cpu_us", "  CPU per read: blocking client", "us", "{:,.1f}"),
    ("raw_rtt_us_busy", "busy process: raw asyncio round trip", "us", "{:,.1f}"),
    ("raw_sync_rtt_us_busy", "busy process: raw blocking round trip", "us", "{:,.1f}"),
    ("async_read_us_busy", "busy process: asyncio read", "us", "{:,.1f}"),
    ("sync_read_us_busy", "busy process: blocking read", "us", "{:,.1f}"),
    ("async_over_raw_busy", "  asyncio / raw (busy)", "x", "{:.2f}"),
    ("sync_over_raw_sync_busy", "  blocking / raw blocking (busy)", "x", "{:.2f}"),
    ("sync_cpu_us_busy", "  CPU per read: blocking client (busy)", "us", "{:,.1f}"),
    ("threads1_reads_per_s", "1 thread, blocking reads", "/s", "{:,.0f}"),
    ("threads8_reads_per_s", "8 threads sharing the client", "/s", "{:,.0f}"),
    ("threads8_speedup", "  8 threads / 1 thread", "x", "{:.2f}"),
    ("batch100_sequential_ms", "100 sequential blocking reads", "ms", "{:,.2f}"),
    ("batch100_read_many_ms", "read_many() of the same 100", "ms", "{:,.2f}"),
    ("batch100_speedup", "  sequential / read_many", "x", "{:.1f}"),
    ("events_raw_per_s", "events offered (raw subscriber)", "/s", "{:,.0f}"),
    ("events_per_s", "events through the blocking iterator", "/s", "{:,.0f}"),
    ("events_ceiling_per_s", "events through the iterator, firehose", "/s", "{:,.0f}"),
    ("events_decode_floor_per_s", "  the same messages, decoded alone", "/s", "{:,.0f}"),
    ("events_ceiling_over_floor", "  decode floor / firehose rate", "x", "{:.2f}"),
    ("large_message_mb_per_s", "one large event message (15 MB) taken", "MB/s", "{:.1f}"),
    ("large_message_cpu_s", "  CPU time for it", "s", "{:.2f}"),
    ("browse10k_s", "connect + browse 10,000 elements", "s", "{:.3f}"),
    ("snapshot100k_s", "snapshot of 100,000 elements to a file", "s", "{:.2f}"),
    ("record_stream_rss_mb", "RSS growth, 100 signals to a file 60 s", "MB", "{:.1f}"),
    ("record_stream_events_per_s", "  events recorded to the file", "/s", "{:,.0f}"),
    ("reconnect_ms", "server back -> first event again", "ms", "{:,.0f}"),
    ("import_ms", "import xentara_sync (fresh process)", "ms", "{:.1f}"),
)


def format_table(result: dict[str, Any]) -> str:
    """The result as a text table: median, slow tail (p90) and target of each figure."""
    machine = result["machine"]
    plan = result["plan"]
    lines = [
        f"xentara-sync bench against {result['server']}",
        f"Python {machine['python']} ({machine['implementation']}) on {machine['platform']}, "
        f"{machine['cpu_count']} CPUs; {plan['rounds']} rounds x {plan['reads']} reads; "
        f"reading {result['key']!r}",
        "",
        f"{'figure':<40} {'median':>12} {'p90':>12} {'unit':<4}  target",
        "-" * 84,
    ]
    for name, label, unit, number in _ROWS:
        value = result.get(name)
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            met = result["targets"][name]["met"]
            state = "-" if met is None else ("ok" if met else "MISSED")
            verdict = f"{target[0]} {target[1]:g}  {state}"
        if value is None:
            reason = result["skipped"].get(name, "not measured")
            lines.append(f"{label:<40} {'skipped: ' + reason}")
            continue
        tail = result.get(f"{name}_p90")
        tail_text = number.format(tail) if tail is not None else ""
        lines.append(f"{label:<40} {number.format(value):>12} {tail_text:>12} {unit:<4}  {verdict}")
    lines += [
        "",
        f"events dropped: {result['events_dropped']} "
        f"(source: {result['event_source']}, no throttle); "
        f"from the firehose: {result.get('events_ceiling_dropped', 0)}",
        "p90 is the slow tail: 90 % of the samples were at least this good (for times the "
        "90th percentile,",
        "for rates and speedups the 10th). Ratios are those of the medians; their p90 is "
        "over the rounds.",
    ]
    return "\n".join(lines)


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each figure of two runs: its two medians and the change, in per cent.

    A positive change is a bigger number (for a time, slower; for a rate, faster);
    ``better`` says which way the change goes for that figure.

    >>> compare({"sync_read_us": 100.0}, {"sync_read_us": 110.0})["sync_read_us"]
    {'before': 100.0, 'after': 110.0, 'change_percent': 10.0, 'better': False}
    """
    from .stats import HIGHER_IS_BETTER

    figures: dict[str, dict[str, Any]] = {}
    for name, *_ in _ROWS:
        old, new = before.get(name), after.get(name)
        if not isinstance(old, (int, float)) and not isinstance(new, (int, float)):
            continue
        change = None
        better = None
        if isinstance(old, (int, float)) and isinstance(new, (int, float)) and old:
            change = round((new - old) / old * 100, 1)
            better = (new > old) == (name in HIGHER_IS_BETTER) if new != old else None
        figures[name] = {"before": old, "after": new, "change_percent": change, "better": better}
    return figures


def format_comparison(
    before: dict[str, Any], after: dict[str, Any], before_name: str, after_name: str
) -> str:
    """Two runs side by side: each figure's medians and its change.

    The change is marked ``better`` or ``worse`` by what the figure measures (a
    shorter time, a higher rate); a change of a few per cent is within the noise
    of one run: alternate runs to tell.
    """
    lines = [
        f"{'figure':<40} {before_name[:12]:>12} {after_name[:12]:>12}   change",
        "-" * 84,
    ]
    figures = compare(before, after)
    for name, label, unit, number in _ROWS:
        if name not in figures:
            continue
        row = figures[name]
        cells = [
            "-" if row[side] is None else number.format(row[side]) for side in ("before", "after")
        ]
        change = row["change_percent"]
        verdict = ""
        if change is not None:
            word = {True: "better", False: "worse", None: ""}[row["better"]]
            verdict = f"{change:+.1f} % {word}".rstrip()
        lines.append(f"{label:<40} {cells[0]:>12} {cells[1]:>12} {unit:<4} {verdict}")
    return "\n".join(lines)
