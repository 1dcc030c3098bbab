"""A connection setting is written once (xentara_sync.core.settings) and reaches every
flavour: its signature, its documentation and the type checker."""

from __future__ import annotations

import importlib
import inspect
import sys
import textwrap
from pathlib import Path

import pytest

from xentara_sync.core.settings import SETTINGS, Settings

FLAVOURS = ["xentara_sync.sync", "xentara_sync.aio"]
if sys.version_info >= (3, 11):
    FLAVOURS.append("xentara_sync.trio")


@pytest.fixture(params=FLAVOURS)
def client_class(request: pytest.FixtureRequest) -> type:
    try:
        module = importlib.import_module(request.param)
    except ImportError as exc:  # the trio flavour on a websockets without websockets.trio
        pytest.skip(str(exc))
    return module.XentaraClient  # type: ignore[no-any-return]


def test_the_signature_lists_every_setting_with_its_default(client_class: type) -> None:
    parameters = inspect.signature(client_class).parameters
    assert [(p.name, p.default) for p in parameters.values()] == [
        (s.name, s.default) for s in SETTINGS
    ]
    assert [p.name for p in parameters.values() if p.kind is p.KEYWORD_ONLY] == list(
        Settings.__annotations__
    )


def test_the_docstring_explains_every_setting(client_class: type) -> None:
    doc = inspect.getdoc(client_class) or ""
    args = doc.split("Args:\n", 1)[1]
    for setting in SETTINGS:
        assert f"\n    {setting.name}: " in "\n" + args, setting.name


def test_mypy_checks_the_settings_of_every_flavour(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    source = tmp_path / "calls.py"
    source.write_text(
        textwrap.dedent(
            """
            import xentara_sync
            import xentara_sync.aio
            import xentara_sync.trio

            xentara_sync.XentaraClient("ws://x", timeout=2)
            xentara_sync.aio.XentaraClient("ws://x", "Hardware", False, keepalive=None)
            xentara_sync.trio.XentaraClient("ws://x", token="t")
            xentara_sync.XentaraClient("ws://x", timeot=2)
            xentara_sync.aio.XentaraClient("ws://x", timeout="2")
            xentara_sync.trio.XentaraClient("ws://x", reconnect=None)
            """
        )
    )
    out, _, status = api.run(["--strict", "--no-incremental", "--python-version=3.11", str(source)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1
    assert [line.split(":")[1] for line in errors] == ["9", "10", "11"], out
    assert '"timeot"' in errors[0]
