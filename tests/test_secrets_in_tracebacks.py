"""Tracebacks formatted with their locals (as crash reporters do) show no secret, and
``repr()`` works on every public object, half-built ones included."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator

import pytest

import xentara_sync
import xentara_sync.aio
from tests.test_credentials import USER, assert_hidden
from xentara_sync import AuthenticationFailed, XentaraClient, XentaraError
from xentara_sync.simulator import Simulator

PASSWORD = "Tr4ceback-Secret"
WRONG = "Wr0ng-Secret-Given"
SUB_USER = "viewer"
SUB_PASSWORD = "Sub-Secret-Pa55"


@pytest.fixture(scope="module")
def secured() -> Iterator[Simulator]:
    with Simulator(users={USER: PASSWORD}) as sim:
        yield sim


def formatted(exc: BaseException) -> str:
    """*exc* formatted as a crash reporter does, with every frame's locals."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


#: The secured simulator's URL (a global: the test's own frame holds no secret either).
URL: list[str] = []


def keyword_password() -> XentaraClient:
    return XentaraClient(URL[0], username=USER, password=WRONG)


def password_in_the_url() -> XentaraClient:
    return XentaraClient(URL[0].replace("ws://", f"ws://{USER}:{WRONG}@"))


@pytest.mark.parametrize("connect", [keyword_password, password_in_the_url])
def test_a_refused_password_is_in_no_local(
    secured: Simulator, connect: Callable[[], XentaraClient]
) -> None:
    URL[:] = [secured.url]
    with pytest.raises(AuthenticationFailed) as caught:
        connect()
    text = formatted(caught.value)
    assert "__init__" in text  # the constructor's frame and its locals are there
    assert_hidden(text, WRONG)


def test_an_unreachable_server_with_a_password_is_in_no_local() -> None:
    with pytest.raises(XentaraError) as caught:
        XentaraClient("ws://127.0.0.1:1/api/ws", username=USER, password=WRONG, connect_timeout=5)
    assert_hidden(formatted(caught.value), WRONG)


def test_a_refused_sub_session_password_is_in_no_local(secured: Simulator) -> None:
    with XentaraClient(secured.url, username=USER, password=PASSWORD) as client:
        with pytest.raises(XentaraError) as caught, client.sub_session(SUB_USER, SUB_PASSWORD):
            pass
        text = formatted(caught.value)
    assert SUB_PASSWORD not in text
    assert PASSWORD not in text


HALF_BUILT = [
    xentara_sync.XentaraClient,
    xentara_sync.aio.XentaraClient,
    xentara_sync.Subscription,
    xentara_sync.aio.Subscription,
    xentara_sync.SubSession,
    xentara_sync.aio.SubSession,
    xentara_sync.Element,
    xentara_sync.aio.Element,
]


@pytest.mark.parametrize("cls", HALF_BUILT, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_repr_of_half_built_objects(cls: type) -> None:
    """As after a constructor that failed before setting anything."""
    half: object = object.__new__(cls)
    assert cls.__name__ in repr(half)
    assert cls.__name__ in str(half)


def test_repr_of_a_client_whose_constructor_failed() -> None:
    with pytest.raises(XentaraError) as caught:
        XentaraClient("ws://127.0.0.1:1/api/ws", connect_timeout=5)
    assert "XentaraClient" in formatted(caught.value)
