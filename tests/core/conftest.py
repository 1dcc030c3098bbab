"""TLS fixtures shared by the client tests: a ``wss://`` simulator with a self-signed CA."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import trustme

from xentara_sync.simulator import Simulator

#: The one user of :func:`tls_simulator`; the password needs quoting in a URL.
TLS_USER = "operator"
TLS_PASSWORD = "s3cr3t:pw@x"


def with_credentials(url: str, user: str, password: str) -> str:
    """*url* with ``user:password@`` in it, quoted."""
    return url.replace("://", f"://{quote(user)}:{quote(password, safe='')}@", 1)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_simulator(ca: trustme.CA) -> Iterator[Simulator]:
    """A ``wss://`` simulator whose certificate *ca* signed, requiring :data:`TLS_USER`."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    with Simulator(ssl=server, users={TLS_USER: TLS_PASSWORD}) as sim:
        yield sim
