"""Credentials as keyword arguments, and passwords that never show, whatever they hold."""

from __future__ import annotations

import base64
import logging
import re
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.conftest import OUTPUTS
from tests.core.conftest import with_credentials
from tests.flavours import FLAVOURS, Flavour
from xentara_sync import AuthenticationFailed, InvalidURL, XentaraClient, XentaraError, flat
from xentara_sync.core.endpoint import Endpoint
from xentara_sync.simulator import Simulator

USER = "operator"
#: Passwords with every character that breaks a URL, and some that are not ASCII.
PASSWORDS = ["Pa55/w0rd", "p#ss?w@rd", "a:b%41c", "grüße-密码-pw", "/#?@:%-Secret"]


def pieces(password: str) -> list[str]:
    """The parts of *password* between URL delimiters that are long enough to recognize."""
    return [part for part in re.split(r"[/#?@:%]", password) if len(part) >= 3]


def assert_hidden(text: str, password: str) -> None:
    assert password not in text
    for piece in pieces(password):
        assert piece not in text, (piece, text)
    token = base64.b64encode(f"{USER}:{password}".encode()).decode()
    assert token not in text


@pytest.fixture(scope="module")
def secured() -> Iterator[Simulator]:
    with Simulator(users={USER: PASSWORDS[-1]}) as sim:
        yield sim


@pytest.mark.parametrize("password", PASSWORDS)
def test_keyword_credentials_need_no_encoding(password: str) -> None:
    with Simulator(users={USER: password}) as sim:
        with XentaraClient(sim.url, username=USER, password=password) as client:
            client.write(OUTPUTS[0], True)
            assert client.read(OUTPUTS[0]) is True
            assert client.username == USER
            assert_hidden(repr(client), password)
            with client.copy() as twin:  # the copy keeps the credentials
                assert twin.read(OUTPUTS[0]) is True
        # The same password, percent-encoded in the URL, works as well.
        with XentaraClient(with_credentials(sim.url, USER, password)) as client:
            assert client.read(OUTPUTS[0]) is True


@pytest.mark.parametrize("flavour", FLAVOURS, ids=lambda f: f.name)
def test_every_async_flavour_takes_them(flavour: Flavour, secured: Simulator) -> None:
    password = PASSWORDS[-1]

    async def main() -> None:
        client = await flavour.XentaraClient(secured.url, username=USER, password=password)
        try:
            assert isinstance(await client.read(OUTPUTS[0]), bool)
            assert_hidden(repr(client), password)
        finally:
            await client.close()
        with pytest.raises(AuthenticationFailed) as info:
            await flavour.XentaraClient(secured.url, username=USER, password=password + "x")
        assert_hidden(str(info.value), password)

    flavour.run(main)


def test_the_flat_api_takes_them(secured: Simulator) -> None:
    session = flat.open_session(secured.url, "Hardware", True, 10.0, USER, PASSWORDS[-1])
    try:
        assert isinstance(flat.read(session, OUTPUTS[0]), bool)
    finally:
        flat.close_session(session)
    with pytest.raises(AuthenticationFailed) as info:
        flat.open_session(secured.url, "Hardware", True, 10.0, USER, "wrong-" + PASSWORDS[-1])
    assert_hidden(str(info.value), PASSWORDS[-1])


def test_a_wrong_password_is_not_in_the_message(secured: Simulator) -> None:
    wrong = "Wr0ng/pa#ss"
    with pytest.raises(AuthenticationFailed) as info:
        XentaraClient(secured.url, username=USER, password=wrong)
    assert "refused the credentials of user 'operator'" in str(info.value)
    assert_hidden(str(info.value), wrong)


@pytest.mark.parametrize("password", PASSWORDS)
def test_unencoded_passwords_in_urls_never_show(password: str) -> None:
    url = f"ws://{USER}:{password}@127.0.0.1:1/api/ws"
    with pytest.raises(XentaraError) as info:
        XentaraClient(url, timeout=2)
    message = str(info.value)
    assert_hidden(message, password)
    if isinstance(info.value, InvalidURL):
        assert "percent-encode" in message and "username=" in message, message


def test_urls_that_lose_their_host_to_the_password_are_refused() -> None:
    with pytest.raises(InvalidURL, match=r"'ws://admin:\*\*\*@plant/api/ws'.*percent-encoded"):
        Endpoint.parse("ws://admin:12/word@plant/api/ws")  # would connect to admin:12


def test_credentials_come_from_the_url_or_the_keywords_not_both() -> None:
    with pytest.raises(InvalidURL, match="not both"):
        Endpoint.parse("ws://a@plant/api/ws", username="b")
    with pytest.raises(InvalidURL, match="not both"):
        Endpoint.parse("ws://a:x@plant/api/ws", password="y")
    with pytest.raises(InvalidURL, match="needs a user name"):
        Endpoint.parse("ws://plant/api/ws", password="y")
    both = Endpoint.parse("ws://a@plant/api/ws", password="p/w")
    assert (both.username, both.password) == ("a", "p/w")
    assert "p/w" not in repr(both)


def test_debug_logs_show_requests_decoded_without_credentials(
    secured: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    password = PASSWORDS[-1]
    with (
        caplog.at_level(logging.DEBUG),
        XentaraClient(secured.url, username=USER, password=password) as client,
    ):
        client.read(OUTPUTS[0])
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert_hidden(text, password)
    assert urllib.parse.quote(password, safe="") not in text
    protocol = [r.getMessage() for r in caplog.records if r.name == "xentara_sync.protocol"]
    assert any("request" in line and "client_hello" in line for line in protocol), protocol
    assert any("request" in line and " read " in line for line in protocol), protocol
    assert any("received Success(" in line for line in protocol), protocol
