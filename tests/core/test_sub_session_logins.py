"""The three sub-session logins of ``create_sub_session``: password (tag 123), OAuth
token (121) and certificate (122), in every flavour, against the real simulator."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.flavours import FLAVOURS, Flavour
from tests.simulator.conftest import with_client
from tests.simulator.rawclient import RawClient
from xentara_sync import AccessDenied, InvalidArgument, XentaraClient
from xentara_sync.protocol import Opcode
from xentara_sync.simulator import Simulator, User

TOKEN = "dashboard-T0ken-that-must-not-leak"
SERVICE: dict[str, Any] = {"username": "service", "password": "service-pw"}


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def alice(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("alice@example.com")


@pytest.fixture(scope="module")
def tls_sim(ca: trustme.CA, alice: trustme.LeafCert) -> Iterator[Simulator]:
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    users = [
        User("service", "service-pw"),
        User("alice", certificate=alice.cert_chain_pems[0].bytes().decode(), write=False),
    ]
    with Simulator(ssl=server, users=users) as sim:
        yield sim


@pytest.fixture(scope="module")
def token_sim() -> Iterator[Simulator]:
    users = [User("service", "service-pw"), User("dashboard", token=TOKEN, write=False)]
    with Simulator(users=users) as sim:
        yield sim


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_a_token_login(flavour: Flavour, token_sim: Simulator, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)

    async def main() -> None:
        async with flavour.XentaraClient(token_sim.url, **SERVICE) as client:
            sub = client.sub_session(token=TOKEN)
            assert TOKEN not in repr(sub) and sub.username is None
            async with sub as dashboard:
                assert await dashboard.check_access() == (True, False)
                with pytest.raises(AccessDenied, match="no write right"):
                    await dashboard.write("Hardware.EtherCAT Bus.EL2624.Output 1", True)
            with pytest.raises(AccessDenied, match="unknown OAuth access token") as caught:
                await client.sub_session(token=TOKEN + "-wrong")
            assert TOKEN not in str(caught.value)

    flavour.run(main)
    assert caplog.records and not any(TOKEN in r.getMessage() for r in caplog.records)


def test_a_certificate_login_over_tls(
    flavour: Flavour, tls_sim: Simulator, ca: trustme.CA, alice: trustme.LeafCert, tmp_path: Path
) -> None:
    pem = alice.cert_chain_pems[0].bytes()
    path = tmp_path / "alice.pem"
    path.write_bytes(pem)
    der = ssl.PEM_cert_to_DER_cert(pem.decode())

    async def main() -> None:
        async with flavour.XentaraClient(tls_sim.url, ssl=client_context(ca), **SERVICE) as client:
            for given in (der, pem, pem.decode(), path, str(path)):
                async with client.sub_session(certificate=given) as sub:
                    assert sub.username is None and "<certificate>" in repr(sub)
                    assert await sub.check_access() == (True, False)
            stranger = ca.issue_cert("mallory@example.com").cert_chain_pems[0].bytes()
            with pytest.raises(AccessDenied, match="no user has this certificate"):
                await client.sub_session(certificate=stranger)

    flavour.run(main)


def test_a_certificate_login_without_tls_is_refused(flavour: Flavour, alice: Any) -> None:
    pem = alice.cert_chain_pems[0].bytes()
    with Simulator() as sim:  # no users: any password or token would do

        async def main() -> None:
            async with flavour.XentaraClient(sim.url) as client:
                with pytest.raises(AccessDenied, match="needs a TLS connection"):
                    await client.sub_session(certificate=pem)
                async with client.sub_session(token="anything") as sub:
                    assert await sub.check_access() == (True, True)

        flavour.run(main)


def test_blocking_token_and_certificate(
    token_sim: Simulator, tls_sim: Simulator, ca: trustme.CA, alice: trustme.LeafCert
) -> None:
    with XentaraClient(token_sim.url, **SERVICE) as client:
        with client.sub_session(token=TOKEN) as dashboard:
            assert dashboard.username is None
            assert dashboard.check_access() == (True, False)
        with pytest.raises(AccessDenied):
            client.sub_session(token="nope")
    pem = alice.cert_chain_pems[0].bytes()
    with (
        XentaraClient(tls_sim.url, ssl=client_context(ca), **SERVICE) as client,
        client.sub_session(certificate=pem) as sub,
    ):
        assert sub.check_access() == (True, False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs a login"),
        ({"username": "a", "password": "b", "token": "t"}, "username and password and token"),
        ({"token": "t", "certificate": b"0\x00"}, "token and certificate"),
        ({"token": ""}, "token must be a non-empty str"),
        ({"certificate": b"junk"}, "neither DER nor PEM"),
        ({"certificate": "-----BEGIN CERTIFICATE-----\nnot base64"}, "PEM text is not"),
        ({"certificate": "/nonexistent/alice.pem"}, "cannot read '/nonexistent/alice.pem'"),
        ({"certificate": 42}, "certificate must be bytes"),
    ],
)
def test_a_wrong_login_names_what_is_wrong(
    simulator: Simulator, kwargs: dict[str, Any], message: str
) -> None:
    with XentaraClient(simulator.url) as client, pytest.raises(InvalidArgument, match=message):
        client.sub_session(**kwargs)


def test_the_simulator_checks_the_login_layouts() -> None:
    import cbor2

    async def scenario(client: RawClient) -> None:
        for bad in (
            cbor2.CBORTag(121, {0: 5}),
            cbor2.CBORTag(121, "bare token"),
            cbor2.CBORTag(122, {0: "text, not DER"}),
        ):
            assert await client.error(Opcode.CREATE_SUB_SESSION, {0: bad}) == -32602
        good = cbor2.CBORTag(121, {0: TOKEN})
        assert await client.call(Opcode.CREATE_SUB_SESSION, {0: good}) is not None
        wrong = cbor2.CBORTag(121, {0: "wrong"})
        assert await client.error(Opcode.CREATE_SUB_SESSION, {0: wrong}) == -32102

    users = [User("dashboard", token=TOKEN)]
    with Simulator(users=users) as sim:
        with_client(sim, scenario, additional_headers={"Authorization": f"Bearer {TOKEN}"})
