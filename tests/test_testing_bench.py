"""XentaraTestCase between test methods: the simulator's defaults again, recordings
of failed tests named in the failure, failures without the library's frames."""

from __future__ import annotations

import csv
import io
import re
import sys
import unittest
from pathlib import Path
from typing import ClassVar

import pytest

from xentara_sync.testing import XentaraTestCase

pytest_plugins = ["pytester"]

OUTPUT = "Hardware.EtherCAT Bus.EL2624.Output 1"
INPUT = "Hardware.EtherCAT Bus.EL1004.Input 1"
COUNTER = "Hardware.Registers.Counter"


def run_suite(case: type[unittest.TestCase]) -> tuple[unittest.TestResult, str]:
    stream = io.StringIO()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    result = unittest.TextTestRunner(stream=stream, verbosity=2).run(suite)
    return result, stream.getvalue()


class Leaky(XentaraTestCase):
    __test__ = False  # run by unittest's runner below, not collected by pytest
    seen: ClassVar[list[object]] = []

    def test_1_changes_everything(self) -> None:
        assert self.simulator is not None
        self.client.write(OUTPUT, True)
        self.client.write(COUNTER, 41)
        self.simulator.set_value(INPUT, True)

    def test_2_sees_the_defaults(self) -> None:
        self.seen.extend(self.client.read_many([OUTPUT, COUNTER, INPUT]).values())


def test_each_test_method_starts_from_the_model_defaults() -> None:
    result, text = run_suite(Leaky)
    assert result.wasSuccessful(), text
    assert Leaky.seen == [False, 0, False]


class Recorded(XentaraTestCase):
    __test__ = False
    xentara_record_dir: ClassVar[str | None] = None
    xentara_record_all: ClassVar[bool] = False

    def test_fails(self) -> None:
        self.recorder([COUNTER, OUTPUT])
        self.client.write(COUNTER, 3)
        self.client.write(OUTPUT, True)
        self.assertEventually(COUNTER, 3, timeout=5)
        self.assertValue(COUNTER, 4, msg="the counter missed a step")

    def test_passes(self) -> None:
        self.recorder(COUNTER)
        self.client.write(COUNTER, 1)

    def test_waits_in_vain(self) -> None:
        self.client.wait_until(COUNTER, 9, timeout=0.2)  # the test's own line

    def test_eventually_in_vain(self) -> None:
        self.assertEventually(COUNTER, 9, timeout=0.2)


def test_a_failed_test_names_its_recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Recorded, "xentara_record_dir", str(tmp_path))
    result, text = run_suite(Recorded)
    assert len(result.failures) == 3 and not result.errors, text
    failure = next(f for test, f in result.failures if "test_fails" in test.id())
    assert "the counter missed a step" in failure
    named = dict(re.findall(r"xentara recording (csv|png): (.+)", failure))
    assert set(named) == {"csv", "png"}, failure
    csv_path, png_path = Path(named["csv"]), Path(named["png"])
    assert csv_path.parent == tmp_path and png_path.parent == tmp_path
    assert png_path.read_bytes().startswith(b"\x89PNG")
    with csv_path.open(encoding="utf-8", newline="") as file:
        assert {row["key"] for row in csv.DictReader(file)} == {COUNTER, OUTPUT}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([csv_path.name, png_path.name])


def test_record_all_keeps_passed_recordings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Recorded, "xentara_record_dir", str(tmp_path))
    monkeypatch.setattr(Recorded, "xentara_record_all", True)
    run_suite(Recorded)
    assert any("test_passes" in p.name and p.suffix == ".csv" for p in tmp_path.iterdir())


def test_failures_show_the_test_line_without_library_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Recorded, "xentara_record_dir", str(tmp_path))
    result, _ = run_suite(Recorded)
    failures = {test.id().rsplit(".", 1)[1]: f for test, f in result.failures}
    for name in ("test_waits_in_vain", "test_eventually_in_vain"):
        failure = failures[name]
        assert "ConditionNotMet" in failure and "within 0.2 s" in failure
        assert f"in {name}" in failure
        frames = re.findall(r'File "([^"]+)"', failure)
        assert frames == [__file__], failure
    assert "# the test's own line" in failures["test_waits_in_vain"]


def test_under_pytest_too(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("XENTARA_URL", raising=False)
    pytester.makepyfile(
        f"""
        from xentara_sync.testing import XentaraTestCase

        class T(XentaraTestCase):
            xentara_record_dir = {str(pytester.path / "records")!r}

            def test_fails(self):
                self.recorder({COUNTER!r})
                self.client.wait_until({COUNTER!r}, 9, timeout=0.2)  # the test's line
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "# the test's line" in text
    assert "client.py" not in text and "conditions.py" not in text
    assert "xentara recording csv:" in text
    assert sys.platform == "win32" or "records/" in text
