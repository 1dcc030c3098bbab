"""The pytest example of the "Writing hardware tests" page passes, run by pytest
with the plugin, against the embedded simulator."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "hardware-tests.rst"


def pytest_example() -> str:
    text = PAGE.read_text(encoding="utf-8")
    match = re.search(
        r"A pytest example\n~+\n\n\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text
    )
    assert match is not None, "the page has no pytest example"
    return "\n".join(line[3:] for line in match.group(1).splitlines())


def test_the_pytest_example_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XENTARA_URL", raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    # The inner pytest imports this checkout's package, whatever is installed.
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), path])))
    code = pytest_example()
    assert "def test_" in code
    pytester.makepyfile(test_outputs=code)
    result = pytester.runpytest_subprocess(
        "-p", "xentara_sync.pytest_plugin", "-p", "no:cacheprovider", timeout=60
    )
    result.assert_outcomes(passed=code.count("\ndef test_"))
