"""wss:// with a self-signed certificate, and Basic authentication, in both flavours."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from tests.conftest import OUTPUTS, run
from tests.core.conftest import with_credentials
from xentara_sync import (
    AuthenticationFailed,
    ConnectionFailed,
    TLSVerificationFailed,
    XentaraClient,
    aio,
)
from xentara_sync.simulator import Simulator


def test_self_signed_certificate_is_refused_with_a_hint(tls_simulator: Simulator) -> None:
    url = with_credentials(tls_simulator.url, "operator", "s3cr3t:pw@x")
    assert url.startswith("wss://")
    with pytest.raises(TLSVerificationFailed) as info:
        XentaraClient(url)
    message = str(info.value)
    assert "verify_ssl=False" in message
    assert "s3cr3t" not in message
    assert isinstance(info.value, ConnectionFailed)


def test_verify_ssl_false_accepts_it(tls_simulator: Simulator) -> None:
    url = with_credentials(tls_simulator.url, "operator", "s3cr3t:pw@x")
    with XentaraClient(url, verify_ssl=False) as client:
        client.write(OUTPUTS[3], True)
        assert client.read(OUTPUTS[3]) is True
        assert client.username == "operator"
        assert "s3cr3t" not in repr(client)

    async def main() -> None:
        async with aio.XentaraClient(url, verify_ssl=False) as client:
            assert await client.read(OUTPUTS[3]) is True

    run(main())


def test_cafile_trusts_the_certificate(
    tls_simulator: Simulator, ca: trustme.CA, tmp_path: Path
) -> None:
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    url = with_credentials(tls_simulator.url, "operator", "s3cr3t:pw@x")
    with XentaraClient(url, cafile=str(cafile)) as client:
        assert isinstance(client.read(OUTPUTS[0]), bool)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with XentaraClient(url, ssl=context) as client:
        assert isinstance(client.read(OUTPUTS[0]), bool)


def test_wrong_and_missing_credentials(tls_simulator: Simulator) -> None:
    wrong = with_credentials(tls_simulator.url, "operator", "nope")
    with pytest.raises(AuthenticationFailed, match="refused the credentials of user 'operator'"):
        XentaraClient(wrong, verify_ssl=False)

    async def main() -> None:
        with pytest.raises(AuthenticationFailed, match="requires credentials"):
            await aio.XentaraClient(tls_simulator.url, verify_ssl=False)

    run(main())


def test_plain_ws_to_a_tls_server_is_clear(tls_simulator: Simulator) -> None:
    url = tls_simulator.url.replace("wss://", "ws://")
    with pytest.raises(ConnectionFailed, match="wss://"):
        XentaraClient(url, timeout=3)


def test_tls_to_a_plain_server_is_clear(simulator: Simulator) -> None:
    url = simulator.url.replace("ws://", "wss://")
    with pytest.raises(ConnectionFailed, match=r"TLS handshake.*ws:"):
        XentaraClient(url, verify_ssl=False, timeout=3)
