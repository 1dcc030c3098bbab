"""The pytest plugin: its fixtures and options, run in inner pytest sessions."""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from xentara_sync.simulator import Simulator, generated_model

pytest_plugins = ["pytester"]

OUTPUT = "Hardware.EtherCAT Bus.EL2624.Output 1"
INPUT = "Hardware.EtherCAT Bus.EL1004.Input 1"
#: An int16 register of ``generated_model(5)``.
POINT = "Hardware.Group 0001.Point 003"


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose runs load only this plugin, whatever the environment says."""
    monkeypatch.delenv("XENTARA_URL", raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run the inner session in a subprocess with the plugin (and nothing else)."""
    return pytester.runpytest_subprocess(
        "-p", "xentara_sync.pytest_plugin", "-p", "no:cacheprovider", *args, timeout=30
    )


@pytest.fixture
def outer_simulator() -> Iterator[Simulator]:
    """A simulator of the outer test, with a password."""
    with Simulator(users={"tester": "s3cret-pw"}) as sim:
        yield sim


def test_entry_point_is_declared() -> None:
    points = importlib.metadata.entry_points(group="pytest11")
    assert any(point.value == "xentara_sync.pytest_plugin" for point in points)


def test_client_reads_and_writes_the_session_simulator(inner: pytest.Pytester) -> None:
    inner.makeconftest(
        """
        import json

        def pytest_sessionfinish(session):
            sim = getattr(session.config, "seen_simulator", None)
            with open("after.json", "w") as out:
                json.dump({"serving": None if sim is None else sim.serving}, out)
        """
    )
    inner.makepyfile(
        f"""
        import sys

        def test_nothing_imported_before_use():
            assert "xentara_sync.sync" not in sys.modules
            assert "xentara_sync.simulator" not in sys.modules

        def test_write_then_read(xentara_client):
            xentara_client.write({OUTPUT!r}, True)
            assert xentara_client.read({OUTPUT!r}) is True
            assert xentara_client.root_element == "Hardware"
            assert xentara_client.verify_ssl

        def test_simulator_hooks(request, xentara_simulator, xentara_client, xentara_url):
            request.config.seen_simulator = xentara_simulator
            assert xentara_url == xentara_simulator.url
            assert xentara_simulator.host == "127.0.0.1" and xentara_simulator.port > 0
            xentara_simulator.set_value({INPUT!r}, True)
            assert xentara_client.read({INPUT!r}) is True

        def test_one_simulator_per_session(xentara_simulator, xentara_client):
            assert xentara_simulator.connection_count == 1
            # written by an earlier test, back to the model's default since
            assert xentara_client.read({OUTPUT!r}) is False
            assert xentara_client.read({INPUT!r}) is False
        """
    )
    result = run(inner)
    result.assert_outcomes(passed=4)
    assert "xentara:" not in result.stdout.str()  # no URL configured: no header line
    after = json.loads((inner.path / "after.json").read_text())
    assert after == {"serving": False}


def test_model_option_and_root(inner: pytest.Pytester, tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    model.write_text(json.dumps(generated_model(5)))
    inner.makepyfile(
        f"""
        def test_model(xentara_simulator, xentara_client):
            assert len(xentara_simulator.model) == 5
            assert "Hardware" in xentara_client  # --xentara-root '': the whole model
            xentara_client.write({POINT!r}, 7)
            assert xentara_client.read({POINT!r}) == 7
            assert not xentara_client.verify_ssl
        """
    )
    run(
        inner, f"--xentara-model={model}", "--xentara-root=", "--xentara-no-verify"
    ).assert_outcomes(passed=1)


def test_model_ini_option_relative_to_the_ini_file(inner: pytest.Pytester) -> None:
    (inner.path / "models").mkdir()
    (inner.path / "models" / "small.json").write_text(json.dumps(generated_model(3)))
    inner.makeini("[pytest]\nxentara_model = models/small.json\n")
    inner.makepyfile(
        """
        def test_model(xentara_simulator, xentara_client):
            assert len(xentara_simulator.model) == 3
            assert "Hardware.Group 0001.Point 001" in xentara_client
        """
    )
    run(inner).assert_outcomes(passed=1)


def test_bad_model_fails_clearly(inner: pytest.Pytester, tmp_path: Path) -> None:
    inner.makepyfile("def test_it(xentara_client):\n    pass\n")
    result = run(inner, f"--xentara-model={tmp_path / 'missing.json'}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*xentara_simulator: cannot load the model*missing.json*"])


def test_url_option_uses_that_server_and_starts_no_simulator(
    inner: pytest.Pytester, outer_simulator: Simulator
) -> None:
    outer_simulator.set_value(INPUT, True)
    url = outer_simulator.url.replace("ws://", "ws://tester:s3cret-pw@")
    inner.makepyfile(
        f"""
        import sys

        def test_outer(xentara_url, xentara_client):
            assert xentara_url == {url!r}
            assert xentara_client.read({INPUT!r}) is True
            assert xentara_client.username == "tester"
            assert "xentara_sync.simulator" not in sys.modules
        """
    )
    result = run(inner, f"--xentara-url={url}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"xentara: {outer_simulator.url}"])
    assert "s3cret-pw" not in result.stdout.str() + result.stderr.str()


def test_url_from_the_environment(
    inner: pytest.Pytester, outer_simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    outer_simulator.set_value(INPUT, False)
    monkeypatch.setenv(
        "XENTARA_URL", outer_simulator.url.replace("ws://", "ws://tester:s3cret-pw@")
    )
    inner.makepyfile(
        f"""
        def test_env(xentara_client):
            assert xentara_client.read({INPUT!r}) is False
            assert xentara_client.url == {outer_simulator.url!r}
        """
    )
    result = run(inner)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"xentara: {outer_simulator.url}"])
    assert "s3cret-pw" not in result.stdout.str()


def test_refused_credentials_fail_clearly_without_the_password(
    inner: pytest.Pytester, outer_simulator: Simulator
) -> None:
    url = outer_simulator.url.replace("ws://", "ws://tester:wrong-pw@")
    inner.makepyfile("def test_it(xentara_client):\n    pass\n")
    result = run(inner, f"--xentara-url={url}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*xentara: *refused the credentials of user 'tester'*"])
    output = result.stdout.str() + result.stderr.str()
    assert "wrong-pw" not in output
    assert "Traceback" not in output
    assert "During handling" not in output


def test_options_in_help(inner: pytest.Pytester) -> None:
    result = run(inner, "--help")
    result.stdout.fnmatch_lines(
        [
            "*xentara*",
            "*--xentara-url=URL*",
            "*--xentara-model=PATH*",
            "*--xentara-root=KEY*",
            "*--xentara-no-verify*",
        ]
    )
