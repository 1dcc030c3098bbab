"""The pytest plugin against a real bench: credentials, the skip, fail fast, clean
state between tests, recordings of failed tests, readable failures; each run in an
inner pytest session (a subprocess) against a simulator or a server of this test."""

from __future__ import annotations

import base64
import csv
import importlib.util
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from xentara_sync.simulator import Simulator, User

pytest_plugins = ["pytester"]

OUTPUT = "Hardware.EtherCAT Bus.EL2624.Output 1"
INPUT = "Hardware.EtherCAT Bus.EL1004.Input 1"
COUNTER = "Hardware.Registers.Counter"
#: A password with the characters a URL would need escaped.
PASSWORD = "pa/ss#wo?rd 1"
TOKEN = "eyJhbGciOi.bench.token"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose runs load only this plugin, whatever the environment says."""
    for name in ("XENTARA_URL", "XENTARA_USER", "XENTARA_PASSWORD", "XENTARA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner sessions print as on a terminal: under ``CI``, pytest writes its
    short summary lines whole, and they would count as more reasons."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)


def run(pytester: pytest.Pytester, *args: str, timeout: float = 60) -> pytest.RunResult:
    """Run the inner session in a subprocess with the plugin (and nothing else)."""
    return pytester.runpytest_subprocess(
        "-p", "xentara_sync.pytest_plugin", "-p", "no:cacheprovider", *args, timeout=timeout
    )


def output(result: pytest.RunResult) -> str:
    return result.stdout.str() + result.stderr.str()


@pytest.fixture
def bench() -> Iterator[Simulator]:
    """A simulator standing for a bench that needs a user (or a token)."""
    users = [User("tester", PASSWORD), User("robot", token=TOKEN)]
    with Simulator(users=users) as sim:
        yield sim


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    done = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            accepted.append(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{listener.getsockname()[1]}/api/ws"
    finally:
        done.set()
        thread.join(5)
        for connection in accepted:
            connection.close()
        listener.close()


def closed_port_url() -> str:
    """The URL of a port nothing listens on (refused)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"ws://127.0.0.1:{port}/api/ws"


# --------------------------------------------------------------------------- options


def test_user_and_password_file_reach_the_bench(inner: pytest.Pytester, bench: Simulator) -> None:
    bench.set_value(INPUT, True)
    (inner.path / "pw.txt").write_text(PASSWORD + "\n", encoding="utf-8")
    inner.makepyfile(
        f"""
        from xentara_sync.aio import XentaraClient as AsyncClient

        def test_bench(xentara_client, xentara_options):
            assert xentara_client.read({INPUT!r}) is True
            assert xentara_client.username == "tester"
            assert xentara_client.timeout == 4.5
            assert xentara_client.root_element == "Hardware.EtherCAT Bus"
            assert "{PASSWORD}" not in repr(xentara_options)
            assert xentara_options["password"] == "{PASSWORD}"
        """
    )
    result = run(
        inner,
        f"--xentara-url={bench.url}",
        "--xentara-user=tester",
        "--xentara-password-file=pw.txt",
        "--xentara-timeout=4.5",
        "--xentara-root=Hardware.EtherCAT Bus",
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"xentara: {bench.url} as tester"])
    assert PASSWORD not in output(result)


def test_ini_keys_and_the_password_from_the_environment(
    inner: pytest.Pytester, bench: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XENTARA_PASSWORD", PASSWORD)
    inner.makeini(
        f"""
        [pytest]
        xentara_url = {bench.url}
        xentara_user = tester
        xentara_timeout = 3
        xentara_root = Hardware.Registers
        """
    )
    inner.makepyfile(
        f"""
        def test_bench(xentara_client):
            assert xentara_client.read({COUNTER!r}) == 0
            assert (xentara_client.username, xentara_client.timeout) == ("tester", 3)
            assert xentara_client.root_element == "Hardware.Registers"
        """
    )
    result = run(inner)
    result.assert_outcomes(passed=1)
    assert PASSWORD not in output(result)


def test_token_file_and_token_from_the_environment(
    inner: pytest.Pytester, bench: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    (inner.path / "token.txt").write_text(f"  {TOKEN}  \n", encoding="utf-8")
    inner.makepyfile(
        f"""
        def test_bench(xentara_client, xentara_options):
            assert xentara_client.read({COUNTER!r}) == 0
            assert xentara_client.username is None
            assert "{TOKEN}" not in repr(xentara_options)
        """
    )
    result = run(inner, f"--xentara-url={bench.url}", "--xentara-token-file=token.txt")
    result.assert_outcomes(passed=1)
    monkeypatch.setenv("XENTARA_TOKEN", TOKEN)
    result = run(inner, f"--xentara-url={bench.url}")
    result.assert_outcomes(passed=1)
    assert TOKEN not in output(result)


def test_options_in_help(inner: pytest.Pytester) -> None:
    result = run(inner, "--help")
    result.stdout.fnmatch_lines(
        [
            "*--xentara-user=NAME*",
            "*--xentara-password-file=FILE*",
            "*--xentara-token-file=FILE*",
            "*--xentara-timeout=SECONDS*",
            "*--xentara-root=KEY*",
            "*--xentara-record-dir=DIR*",
            "*--xentara-record-all*",
        ]
    )


def test_unusable_options_fail_once_with_a_clear_reason(
    inner: pytest.Pytester, bench: Simulator
) -> None:
    inner.makepyfile(
        "def test_a(xentara_client):\n    pass\n\ndef test_b(xentara_url):\n    pass\n"
    )
    result = run(inner, f"--xentara-url={bench.url}", "--xentara-password-file=pw.txt")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*xentara: --xentara-password-file needs --xentara-user*"])
    result = run(inner, f"--xentara-url={bench.url}", "--xentara-timeout=0")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*--xentara-timeout must be above 0 seconds*"])
    result = run(
        inner,
        f"--xentara-url={bench.url}",
        "--xentara-user=tester",
        "--xentara-password-file=missing.txt",
    )
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*--xentara-password-file: cannot read missing.txt*"])


def test_a_failing_run_shows_no_password_in_output_or_junit(
    inner: pytest.Pytester, bench: Simulator
) -> None:
    (inner.path / "pw.txt").write_text(PASSWORD, encoding="utf-8")
    inner.makepyfile(
        f"""
        import logging

        def test_fails(xentara_client, xentara_options, xentara_recorder):
            xentara_recorder.record([{COUNTER!r}])
            logging.getLogger("xentara_sync").warning("connected to %s", xentara_client)
            xentara_client.wait_until({COUNTER!r}, 5, timeout=0.2)

        def test_errors(xentara_options):
            raise RuntimeError("an error with the options in the locals")
        """
    )
    result = run(
        inner,
        f"--xentara-url={bench.url}",
        "--xentara-user=tester",
        "--xentara-password-file=pw.txt",
        "--junitxml=report.xml",
        "--showlocals",
        "-vv",
        "-o",
        "log_level=DEBUG",
        "-o",
        "junit_logging=all",
    )
    result.assert_outcomes(failed=2)
    assert "ConditionNotMet" in result.stdout.str()
    assert PASSWORD not in output(result)
    assert PASSWORD not in (inner.path / "report.xml").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the skip


def test_simulator_tests_are_skipped_under_url(inner: pytest.Pytester, bench: Simulator) -> None:
    (inner.path / "pw.txt").write_text(PASSWORD, encoding="utf-8")
    inner.makepyfile(
        f"""
        def test_input_follows_the_field(xentara_simulator, xentara_client):
            xentara_simulator.set_value({INPUT!r}, True)
            assert xentara_client.read({INPUT!r}) is True

        def test_runs_on_the_bench(xentara_client):
            assert xentara_client.read({INPUT!r}) is False
        """
    )
    result = run(
        inner,
        f"--xentara-url={bench.url}",
        "--xentara-user=tester",
        "--xentara-password-file=pw.txt",
        "-rs",
    )
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*needs the embedded simulator*--xentara-url*"])
    # Without a URL, the same test runs.
    run(inner).assert_outcomes(passed=2)


# --------------------------------------------------------------------------- fail fast


def test_twenty_tests_against_a_silent_server_end_within_the_timeout(
    inner: pytest.Pytester, silent_server: str
) -> None:
    timeout = 3.0
    inner.makepyfile(
        "import pytest\n\n"
        "@pytest.mark.parametrize('n', range(20))\n"
        "def test_bench(xentara_client, n):\n"
        "    pass\n"
    )
    started = time.monotonic()
    result = run(inner, f"--xentara-url={silent_server}", f"--xentara-timeout={timeout}")
    elapsed = time.monotonic() - started
    result.assert_outcomes(errors=20)
    reasons = [line for line in result.stdout.lines if line.endswith("once for the session)")]
    assert len(reasons) == 20, result.stdout.str()
    assert len(set(reasons)) == 1, reasons
    assert f"did not answer within {timeout:g} s" in reasons[0]
    # The feature itself: one check of the bench, not one per test (20 x 3 s). The
    # session's own time, as pytest reports it, leaves out the interpreter's start.
    session = float(re.findall(r" in ([0-9.]+)s", result.stdout.lines[-1])[0])
    assert session < timeout + 10, f"{session:.1f} s for 20 tests"
    assert elapsed < 20 * timeout, f"{elapsed:.1f} s in all"


@pytest.mark.parametrize("case", ["refused", "credentials"])
def test_an_unusable_bench_fails_every_test_with_one_reason(
    inner: pytest.Pytester, bench: Simulator, case: str
) -> None:
    inner.makepyfile(
        "import pytest\n\n"
        "@pytest.mark.parametrize('n', range(5))\n"
        "def test_bench(xentara_client, n):\n"
        "    pass\n"
    )
    if case == "refused":
        args = [f"--xentara-url={closed_port_url()}"]
    else:
        (inner.path / "pw.txt").write_text("wrong", encoding="utf-8")
        args = [f"--xentara-url={bench.url}", "--xentara-user=tester"]
        args.append("--xentara-password-file=pw.txt")
    result = run(inner, *args, "--xentara-timeout=5")
    result.assert_outcomes(errors=5)
    reasons = {line for line in result.stdout.lines if line.endswith("once for the session)")}
    assert len(reasons) == 1, reasons
    expected = "refused the credentials of user 'tester'" if case == "credentials" else "127.0"
    assert expected in reasons.pop()
    assert "Traceback" not in output(result)


# --------------------------------------------------------------------------- clean state


def test_each_test_starts_from_the_model_defaults(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        f"""
        import pytest

        @pytest.fixture(scope="module")
        def watched(xentara_simulator):
            return xentara_simulator

        def test_first_changes_everything(xentara_simulator, xentara_client):
            xentara_client.write({OUTPUT!r}, True)
            xentara_client.write({COUNTER!r}, 41)
            xentara_simulator.set_value({INPUT!r}, True)
            xentara_simulator.stall()

        def test_second_sees_the_defaults(xentara_client, watched):
            assert xentara_client.read({OUTPUT!r}) is False
            assert xentara_client.read({COUNTER!r}) == 0
            assert xentara_client.read({INPUT!r}) is False
            assert watched.connection_count == 1  # one client: nothing left over
        """
    )
    run(inner, "--xentara-timeout=5").assert_outcomes(passed=2)


# --------------------------------------------------------------------------- recordings


def _properties(report: Path) -> dict[str, dict[str, str]]:
    tree = ET.parse(report)
    found: dict[str, dict[str, str]] = {}
    for case in tree.iter("testcase"):
        found[case.get("name", "")] = {
            prop.get("name", ""): prop.get("value", "") for prop in case.iter("property")
        }
    return found


def test_a_failed_test_keeps_its_recording_and_names_it(
    inner: pytest.Pytester, tmp_path: Path
) -> None:
    inner.makepyfile(
        f"""
        def test_fails(xentara_client, xentara_recorder):
            xentara_recorder.record([{COUNTER!r}, {OUTPUT!r}])
            for value in (1, 2, 3):
                xentara_client.write({COUNTER!r}, value)
            xentara_client.write({OUTPUT!r}, True)
            xentara_client.wait_until({COUNTER!r}, 3, timeout=5)
            assert xentara_client.read({COUNTER!r}) == 4, "the counter missed a step"

        def test_passes(xentara_client, xentara_recorder):
            xentara_recorder.record({COUNTER!r})
            xentara_client.write({COUNTER!r}, 1)
        """
    )
    records = tmp_path / "records"
    result = run(inner, "--junitxml=report.xml", f"--xentara-record-dir={records}")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*the counter missed a step*", "*xentara recording csv: *"])
    props = _properties(inner.path / "report.xml")
    assert props["test_passes"] == {}
    failed = props["test_fails"]
    csv_file = Path(next(v for k, v in failed.items() if "csv" in k))
    png_file = Path(next(v for k, v in failed.items() if "png" in k))
    assert csv_file.parent == records and png_file.parent == records
    assert png_file.read_bytes().startswith(b"\x89PNG")
    with csv_file.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {row["key"] for row in rows} == {COUNTER, OUTPUT}
    assert [row["value"] for row in rows if row["key"] == COUNTER][:1] == ["0"]
    assert sorted(p.name for p in records.iterdir()) == sorted([csv_file.name, png_file.name])


def test_record_all_and_the_default_directory(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        f"""
        def test_passes(xentara_client, xentara_recorder):
            xentara_recorder.record({COUNTER!r})
            xentara_client.write({COUNTER!r}, 1)
        """
    )
    basetemp = inner.path / "base"
    result = run(inner, "--junitxml=report.xml", "--xentara-record-all", f"--basetemp={basetemp}")
    result.assert_outcomes(passed=1)
    props = _properties(inner.path / "report.xml")["test_passes"]
    files = [Path(value) for value in props.values()]
    assert len(files) == 2 and all(path.exists() for path in files)
    assert all(path.parent == basetemp / "xentara-recordings" for path in files)


@pytest.mark.skipif(
    importlib.util.find_spec("pytest_html") is None, reason="pytest-html is not installed"
)
def test_the_plot_is_embedded_in_a_pytest_html_report(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        f"""
        def test_fails(xentara_client, xentara_recorder):
            xentara_recorder.record({COUNTER!r})
            assert False
        """
    )
    html = ["-p", "pytest_metadata.plugin", "-p", "pytest_html.plugin"]
    result = run(
        inner, *html, "--html=report.html", "--self-contained-html", "--xentara-record-dir=rec"
    )
    result.assert_outcomes(failed=1)
    png = next((inner.path / "rec").glob("*.png"))
    encoded = base64.b64encode(png.read_bytes()).decode("ascii")
    assert encoded[:4000] in (inner.path / "report.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- failures


def test_a_failed_wait_shows_the_test_line_not_the_library(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        f"""
        def test_waits(xentara_client):
            xentara_client.wait_until({OUTPUT!r}, True, timeout=0.2)  # the test's line
        """
    )
    result = run(inner)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "# the test's line" in text
    assert "did not become True within 0.2 s" in text or "within 0.2 s" in text
    assert "client.py" not in text and "conditions.py" not in text
    assert "def wait_until" not in text and "Wait until element" not in text


def test_a_failed_async_wait_shows_the_test_line_not_the_library(
    inner: pytest.Pytester,
) -> None:
    inner.makepyfile(
        f"""
        import asyncio
        from xentara_sync.aio import XentaraClient

        def test_waits(xentara_url):
            async def main():
                async with XentaraClient(xentara_url) as client:
                    await client.wait_until({OUTPUT!r}, True, timeout=0.2)  # the line
            asyncio.run(main())
        """
    )
    result = run(inner)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "# the line" in text
    assert "core.py" not in text and "conditions.py" not in text


# --------------------------------------------------------------------------- workers


@pytest.mark.skipif(
    importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed"
)
def test_each_xdist_worker_gets_its_own_simulator(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        f"""
        import os

        def test_worker(xentara_simulator, xentara_client, worker_id):
            path = f"port-{{worker_id}}.txt"
            with open(path, "w") as out:
                out.write(str(xentara_simulator.port))
            xentara_client.write({COUNTER!r}, 5)  # no other worker sees it

        def test_worker_alone(xentara_simulator, xentara_client):
            assert xentara_client.read({COUNTER!r}) == 0
            assert xentara_simulator.connection_count == 1
        """
    )
    result = run(inner, "-p", "xdist", "-n", "2", "--dist=each", timeout=120)
    result.assert_outcomes(passed=4)
    ports = {p.read_text() for p in inner.path.glob("port-gw*.txt")}
    assert len(ports) == 2, ports


# --------------------------------------------------------------------------- the docs


def page_blocks(heading: str) -> list[str]:
    """The Python code blocks of docs/pytest.rst's section *heading*."""
    text = "\n" + (ROOT / "docs" / "pytest.rst").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    section = re.split(r"\n[^\n]+\n-{3,}\n", section, maxsplit=1)[0]
    return [
        "\n".join(line[3:] for line in block.splitlines())
        for block in re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", section)
    ]


@pytest.mark.skipif(
    importlib.util.find_spec("pytest_asyncio") is None, reason="pytest-asyncio is not installed"
)
def test_the_asyncio_example_runs_in_strict_mode(inner: pytest.Pytester) -> None:
    conftest, test = page_blocks("asyncio and trio")
    assert "pytest_asyncio.fixture" in conftest and "mark.asyncio" in test
    inner.makeconftest(conftest)
    inner.makepyfile(test_async=test)
    result = run(inner, "-p", "pytest_asyncio.plugin", "-o", "asyncio_mode=strict")
    result.assert_outcomes(passed=1)
    assert re.search(r"asyncio: mode=(Mode\.)?strict\b", result.stdout.str(), re.IGNORECASE)


def test_the_first_examples_of_the_page_run(inner: pytest.Pytester) -> None:
    blocks = page_blocks("pytest fixtures\n===============")
    inner.makepyfile(test_examples="\n\n".join(blocks))
    result = run(inner)
    # the recorder's test waits for an input nothing drives: it fails, with its files
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*xentara recording png: *"])


def test_a_broken_hold_shows_the_test_line_not_the_library(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        f"""
        import threading

        def test_holds(xentara_client, xentara_simulator):
            threading.Timer(0.2, xentara_simulator.set_value, ({INPUT!r}, True)).start()
            xentara_client.hold({INPUT!r}, False, seconds=3)  # the test's line
        """
    )
    result = run(inner)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "# the test's line" in text and "ConditionBroken" in text
    assert "client.py" not in text and "conditions.py" not in text
