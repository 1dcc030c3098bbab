"""Every wrong argument is an InvalidArgument naming it, in the same words in every flavour.

Settings are checked when a client is made (before connecting); the arguments of a
call before anything is sent: an interval or attribute number beyond the
protocol's range used to leave as a bignum and time out, so each case here runs
against the real simulator with a short timeout, and a case that reached the
server would fail as a RequestTimeout instead.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

from tests.flavours import FLAVOURS
from xentara_sync import InvalidArgument, XentaraClient, flat
from xentara_sync.simulator import Simulator

KEY = "Hardware.Registers.Counter"
SETPOINT = "Hardware.Registers.Setpoint"
NAN = math.nan
INF = math.inf
BIG = 2**70

#: A URL nothing listens on: the settings are refused before connecting.
NOWHERE = "ws://127.0.0.1:9/api/ws"

#: (setting, wrong value): NaN, infinity, negative, wrong type, bignum.
SETTINGS: list[tuple[str, Any]] = [
    *[("timeout", v) for v in (NAN, INF, -1, 0, "5", None, True, 10**400)],
    *[("connect_timeout", v) for v in (NAN, INF, -1, 0, "5")],
    *[("keepalive", v) for v in (NAN, INF, -5, 0, "5")],
    *[("max_reconnect_delay", v) for v in (NAN, INF, -1, 0, "5", None)],
    *[("max_queue", v) for v in (NAN, INF, -1, 0, "5", 2.5, True)],
    *[("max_message_size", v) for v in (NAN, -1, 10, "5", 2.5)],
    *[("max_send_size", v) for v in (NAN, INF, -1, 10, "5", 2.5)],
    *[("verify_ssl", v) for v in ("no", None, 1)],
    *[("reconnect", v) for v in ("yes", None, 0)],
    *[("headers", v) for v in ({"X-Test": 1}, "X-Test: 1")],
    ("root_element", 5),
    ("ssl", "tls"),
    ("cafile", 5),
]


def _ids(cases: list[tuple[str, Any]]) -> list[str]:
    return [f"{name}={value!r:.20}" for name, value in cases]


def _refusal(make: Callable[[], object]) -> str:
    with pytest.raises(InvalidArgument) as caught:
        make()
    return str(caught.value)


@pytest.mark.parametrize(("name", "value"), SETTINGS, ids=_ids(SETTINGS))
def test_every_setting_is_checked_at_construction_in_every_flavour(name: str, value: Any) -> None:
    messages = {"blocking": _refusal(lambda: XentaraClient(NOWHERE, **{name: value}))}
    for flavour in FLAVOURS:
        messages[flavour.name] = _refusal(partial(flavour.XentaraClient, NOWHERE, **{name: value}))
    assert len(set(messages.values())) == 1, messages  # the same words everywhere
    message = messages["blocking"]
    assert message.startswith(f"{name} must be "), message
    assert ", not " in message  # and says what it got


def test_the_flat_api_checks_its_settings_alike() -> None:
    with pytest.raises(InvalidArgument, match=r"^5008: timeout must be a positive number"):
        flat.open_session(NOWHERE, "Hardware", True, NAN)
    with pytest.raises(InvalidArgument, match=r"^5008: verify_ssl must be True or False"):
        flat.open_session(NOWHERE, "Hardware", "yes", 5.0)  # type: ignore[arg-type]


def test_good_settings_are_kept_as_numbers() -> None:
    from xentara_sync.aio import XentaraClient as AsyncClient  # made, not connected

    made = AsyncClient(
        NOWHERE, timeout=3, keepalive=None, max_queue=5, connect_timeout=None, verify_ssl=False
    )
    assert (made.timeout, made.connect_timeout, made.keepalive, made.max_queue) == (
        3.0,
        3.0,
        None,
        5,
    )
    assert type(made.timeout) is float


# --------------------------------------------------------------------------- calls

#: (argument, call): each call is made on a connected client of every flavour; in
#: the async flavours its result is awaited if it can be.
CALLS: list[tuple[str, Callable[[Any], Any]]] = [
    ("timeout", lambda c: c.read(KEY, timeout=NAN)),
    ("timeout", lambda c: c.read(KEY, timeout=-1)),
    ("timeout", lambda c: c.read(KEY, timeout="5")),
    ("timeout", lambda c: c.read(KEY, timeout=INF)),
    ("timeout", lambda c: c.write(SETPOINT, 1.0, timeout=-0.5)),
    ("timeout", lambda c: c.metadata(KEY, timeout=NAN)),
    ("timeout", lambda c: c.get_stage(timeout=-1)),
    ("timeout", lambda c: c.browse(timeout="1")),
    ("timeout", lambda c: c.read_many([KEY], timeout=NAN)),
    ("attribute", lambda c: c.read(KEY, attribute=BIG)),
    ("attribute", lambda c: c.read(KEY, attribute=-1)),
    ("attribute", lambda c: c.read(KEY, attribute=11.0)),
    ("attribute", lambda c: c.read(KEY, attribute=None)),
    ("attribute", lambda c: c.read_many([KEY], attribute=BIG)),
    ("attribute", lambda c: c.write(SETPOINT, 1.0, attribute=BIG)),
    ("attribute", lambda c: c.subscribe(KEY, attribute=BIG)),
    ("attribute", lambda c: c.wait_until(KEY, 1, attribute=BIG, timeout=1)),
    ("attributes", lambda c: c.read_attributes(KEY, 5)),
    ("attribute", lambda c: c.read_attributes(KEY, [BIG])),
    ("maximum_update_interval", lambda c: c.subscribe(KEY, BIG)),
    ("maximum_update_interval", lambda c: c.subscribe(KEY, "5")),
    ("maximum_update_interval", lambda c: c.subscribe(KEY, NAN)),
    ("maximum_update_interval", lambda c: c.subscribe(KEY, -1)),
    ("maximum_update_interval", lambda c: c.subscribe(KEY, 2.5)),
    ("minimum_update_interval", lambda c: c.subscribe(KEY, 100, BIG)),
    ("minimum_update_interval", lambda c: c.subscribe(KEY, 100, INF)),
    ("minimum_update_interval", lambda c: c.subscribe(KEY, 100, "1000")),
    ("max_queue", lambda c: c.subscribe(KEY, max_queue=NAN)),
    ("max_queue", lambda c: c.subscribe(KEY, max_queue=-1)),
    ("max_queue", lambda c: c.subscribe(KEY, max_queue="5")),
    ("depth", lambda c: c.browse(depth=BIG)),
    ("depth", lambda c: c.browse(depth=0)),
    ("depth", lambda c: c.browse(depth="1")),
    ("depth", lambda c: c.browse(depth=NAN)),
    ("category", lambda c: c.browse(category=2.5)),
    ("category", lambda c: c.elements(category=2.5)),
    ("key", lambda c: c.read(5)),
    ("key", lambda c: c.write(None, 1)),
    ("read_many", lambda c: c.read_many(KEY)),
    ("read_many", lambda c: c.read_many(5)),
    ("write_many", lambda c: c.write_many([(KEY, 1)])),
    ("subscribe", lambda c: c.subscribe([])),
    ("wait_until", lambda c: c.wait_until(5, 1)),
    ("timeout", lambda c: c.wait_until(KEY, 1, timeout=NAN)),
    ("record", lambda c: c.record([])),
    ("seconds", lambda c: c.record(KEY, seconds=NAN)),
    ("count", lambda c: c.record(KEY, count=2.5)),
    ("progress", lambda c: c.snapshot("twin.json", progress=5)),
    ("record", lambda c: c.snapshot("twin.json", record=-1)),
    ("path", lambda c: c.snapshot(5)),
    ("username", lambda c: c.sub_session(5, "pw")),
    ("password", lambda c: c.sub_session("operator", None)),
    ("callback", lambda c: c.add_connection_callback(5)),
]


@pytest.fixture(scope="module")
def server() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


async def _call_async(client: Any, call: Callable[[Any], Any]) -> None:
    result = call(client)
    if inspect.isawaitable(result):
        await result


def _async_refusal(flavour: Any, url: str, call: Callable[[Any], Any]) -> str:
    async def main() -> str:
        async with flavour.XentaraClient(url, timeout=2) as client:
            with pytest.raises(InvalidArgument) as caught:
                await _call_async(client, call)
            assert client.connected  # the client stays usable
            await client.read(KEY)
            return str(caught.value)

    return flavour.run(main)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("name", "call"), CALLS, ids=[f"{i}-{name}" for i, (name, _) in enumerate(CALLS)]
)
def test_every_call_argument_is_checked_before_sending_in_every_flavour(
    server: Simulator, name: str, call: Callable[[Any], Any]
) -> None:
    with XentaraClient(server.url, timeout=2) as client:
        messages = {"blocking": _refusal(lambda: call(client))}
        client.read(KEY)
    for flavour in FLAVOURS:
        messages[flavour.name] = _async_refusal(flavour, server.url, call)
    assert len(set(messages.values())) == 1, messages
    assert name in messages["blocking"], messages["blocking"]


def test_a_subscription_checks_its_own_timeouts(server: Simulator) -> None:
    with XentaraClient(server.url, timeout=2) as client:
        with client.subscribe(KEY) as subscription:
            with pytest.raises(InvalidArgument, match=r"^timeout must be a number of seconds"):
                subscription.receive(timeout=NAN)
            assert subscription.receive(timeout=2).name == KEY
        with pytest.raises(InvalidArgument, match=r"^callback must be a callable"):
            client.subscribe(KEY, callback=5)  # type: ignore[arg-type]

    for flavour in FLAVOURS:

        async def main(flavour: Any = flavour) -> None:
            async with (
                flavour.XentaraClient(server.url, timeout=2) as client,
                client.subscribe(KEY) as subscription,
            ):
                with pytest.raises(InvalidArgument, match=r"^timeout must be a number"):
                    await subscription.receive(timeout=-1)
                assert (await subscription.receive(timeout=2)).name == KEY

        flavour.run(main)


def test_numbers_as_users_hold_them_are_good_arguments(server: Simulator) -> None:
    np = pytest.importorskip("numpy")
    with XentaraClient(server.url, timeout=np.float64(2)) as client:
        assert client.read(KEY, attribute=np.int64(11), timeout=np.float32(2)) is not None
        with client.subscribe(KEY, np.int32(50), np.uint16(1000)) as subscription:
            assert subscription.receive(timeout=2).name == KEY
        assert client.browse(depth=np.int8(1))
