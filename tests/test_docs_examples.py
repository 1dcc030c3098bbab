"""The runnable examples of the documentation run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.flavours import TRIO_MISSING

DOCS = Path(__file__).resolve().parents[1] / "docs"


def runnable_examples() -> list[tuple[str, str]]:
    """Code blocks under a heading "A runnable example" (or "A runnable example: ...")
    in the docs."""
    found = []
    for page in sorted(DOCS.glob("*.rst")):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(
            r"A runnable example[^\n]*\n-+\n\n\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text
        ):
            code = "\n".join(line[3:] for line in match.group(1).splitlines())
            found.append((page.name, code))
    return found


EXAMPLES = runnable_examples()


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 1


@pytest.mark.parametrize(("page", "code"), EXAMPLES, ids=[page for page, _ in EXAMPLES])
def test_example_runs(page: str, code: str) -> None:
    if "xentara_sync.trio" in code and TRIO_MISSING:
        pytest.skip(TRIO_MISSING)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip(), "the example printed nothing"
    assert proc.stderr == ""
