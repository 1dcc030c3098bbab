"""The asyncio flavour's shortcuts through websockets' internals, and their fallback.

:mod:`xentara_sync.aio.fastpath` relies on undocumented parts of websockets. These
tests fail loudly when an installed release breaks an assumption, and check that the
public-API fallback gives the same results.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Final

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.protocol import Protocol
from websockets.version import version

from tests.conftest import OUTPUTS
from xentara_sync.aio import XentaraClient, backend, fastpath
from xentara_sync.simulator import Simulator

#: The oldest websockets release allowed, on Python 3.10 only (websockets 17 needs 3.11):
#: the shortcuts stay gated to TESTED, so it takes the public path.
OLDEST_ON_PY310: Final = (16, 1)


def public_path_only() -> bool:
    """Whether this interpreter has websockets older than TESTED, as Python 3.10 does."""
    release = fastpath._release(version)
    return sys.version_info < (3, 11) and release is not None and release < fastpath.TESTED[0]


def test_the_installed_websockets_is_a_tested_release() -> None:
    # A release outside TESTED silently falls back to the slower public path;
    # this says so, so that the shortcuts are tested again before TESTED grows.
    if public_path_only():
        assert not fastpath.available()
        assert not backend.FAST_PATH
        pytest.skip(
            f"websockets {version} on Python 3.10: the asyncio shortcuts are gated to "
            f"{fastpath.TESTED}, the public path runs (and the whole suite tests it)"
        )
    assert fastpath.available(), (
        f"websockets {version} is outside the releases the asyncio shortcuts were "
        f"tested with ({fastpath.TESTED}): check xentara_sync/aio/fastpath.py against it"
    )
    assert backend.FAST_PATH


def test_the_internals_the_shortcuts_use_are_there() -> None:
    if public_path_only():
        pytest.skip(f"websockets {version}: the shortcuts are not used with it")
    assert callable(ClientConnection.process_event)
    assert callable(ClientConnection.send_data)
    assert callable(Protocol.send_binary)
    assert fastpath.DirectConnection.process_event is not ClientConnection.process_event


def test_other_releases_take_the_public_path() -> None:
    assert not fastpath.available("18.0")
    assert not fastpath.available("16.1")
    assert not fastpath.available("garbage")


def exchange(url: str) -> tuple[list[Any], type, int]:
    """Write, read back, read many; the transport type; messages handed over directly."""

    async def main() -> tuple[list[Any], type, int]:
        async with XentaraClient(url) as client:
            transport: Any = client._transport
            direct = 0
            receiver = None
            if isinstance(transport, backend.FastTransport):
                ws: Any = transport._ws
                receiver = ws.receiver

                def counting(data: bytes) -> None:
                    nonlocal direct
                    direct += 1
                    assert receiver is not None
                    receiver(data)

                ws.receiver = counting
            await client.write(OUTPUTS[0], True)
            values = [await client.read(OUTPUTS[0])]
            values.append(await client.read_many(OUTPUTS))
            values.extend(await asyncio.gather(*(client.read(key) for key in OUTPUTS)))
            return values, type(transport), direct

    return asyncio.run(asyncio.wait_for(main(), 30))


def test_shortcuts_and_public_path_give_the_same_answers(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    if public_path_only():
        pytest.skip(f"websockets {version}: the shortcuts are not used with it")
    fast, fast_type, direct = exchange(simulator.url)
    assert fast_type is backend.FastTransport
    assert direct >= 4  # every answer came through the receiver, none through recv()
    monkeypatch.setattr(backend, "FAST_PATH", False)
    public, public_type, _ = exchange(simulator.url)
    assert public_type is backend.PublicTransport
    assert public == fast
    assert fast[0] is True


def test_the_dependency_pin_matches_the_tested_releases() -> None:
    from pathlib import Path

    setup = (Path(__file__).resolve().parents[2] / "setup.cfg").read_text()
    (low_major, low_minor), (high_major, high_minor) = fastpath.TESTED
    upper = f"<{high_major}.{high_minor + 1}"
    old_major, old_minor = OLDEST_ON_PY310
    pins = [line.strip() for line in setup.splitlines() if line.strip().startswith("websockets")]
    assert pins == [
        f'websockets>={low_major}.{low_minor},{upper}; python_version >= "3.11"',
        f'websockets>={old_major}.{old_minor},{upper}; python_version < "3.11"',
    ]


def test_the_oldest_release_allowed_takes_the_public_path() -> None:
    assert not fastpath.available("{}.{}".format(*OLDEST_ON_PY310))
