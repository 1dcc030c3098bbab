"""Events routed while the message is scanned (``eventscan.route_events``, taken by
``ClientSession.receive_data``) are exactly those that parsing the message and then
routing its packets gives: same sinks, same events in the same order, same types."""

from __future__ import annotations

import uuid
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.protocol.test_event_scanning import messages, strict, usual_messages
from xentara_sync.bench.firehose import event_messages
from xentara_sync.protocol import eventscan
from xentara_sync.protocol.eventscan import route_events, scan_events
from xentara_sync.protocol.ids import Attribute
from xentara_sync.protocol.messages import parse_message
from xentara_sync.protocol.session import ClientSession


class Sink:
    dropped = 0

    def __init__(self, name: str) -> None:
        self.name = name

    def put(self, event: Any) -> None:
        raise AssertionError("a session never delivers itself")

    def close(self, error: BaseException | None) -> None:
        pass


def plain(value: Any) -> Any:
    """A UUID for CBOR's UUID tag, else *value*."""
    if isinstance(value, cbor2.CBORTag) and value.tag == 37:
        return uuid.UUID(bytes=value.value)
    return value


def routed_session(data: bytes, choose: st.DataObject) -> ClientSession:
    """A session with routes to some of the (element, attribute) pairs of *data*,
    some with two sinks, and to pairs the message does not have."""
    session = ClientSession("ws://127.0.0.1/api/ws")
    pairs: list[tuple[uuid.UUID, Any]] = []
    for item in cbor2.loads(data):  # tags left as they are: any message decodes
        if isinstance(item, list) and len(item) == 3 and item[0] == 8:
            body = item[2]
            pairs.extend((plain(body[1]), plain(key)) for key in body[2])
    sinks = [Sink("a"), Sink("b")]
    for element, key in pairs:
        chosen = choose.draw(st.sampled_from(["none", "a", "b", "both"]))
        if chosen in ("a", "both"):
            session.add_routes([(element, key)], sinks[0])
        if chosen in ("b", "both"):
            session.add_routes([(element, key)], sinks[1])
    session.add_routes([(uuid.UUID(int=1), int(Attribute.VALUE))], sinks[0])
    return session


def named(events: list[tuple[Any, Any]]) -> list[tuple[str, Any]]:
    return [(sink.name, event) for sink, event in events]


def routed_as_parsed(session: ClientSession, data: bytes) -> None:
    fast = session.receive_data(data)
    slow = session.receive_packets(parse_message(data))
    assert strict(named(fast.events)) == strict(named(slow.events))
    assert [str(error) for error in fast.errors] == [str(error) for error in slow.errors]
    assert fast.answers == slow.answers


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(usual_messages, st.data())
def test_usual_messages_route_as_parsed(data: bytes, choose: st.DataObject) -> None:
    session = routed_session(data, choose)
    routed_as_parsed(session, data)
    # The shortcut takes every message the scanner takes, and no other.
    taken = route_events(data, session._routes_by_bytes)
    assert (taken is None) == (scan_events(data) is None)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(messages, st.data())
def test_any_message_routes_as_parsed(data: bytes, choose: st.DataObject) -> None:
    routed_as_parsed(routed_session(data, choose), data)


def test_the_firehose_messages_are_routed_while_scanned(monkeypatch: pytest.MonkeyPatch) -> None:
    elements = [uuid.UUID(int=number + 1) for number in range(100)]
    session = ClientSession("ws://127.0.0.1/api/ws")
    sink = Sink("a")
    session.add_routes([(element, int(Attribute.VALUE)) for element in elements[::2]], sink)
    calls = []
    monkeypatch.setattr(
        "xentara_sync.protocol.session.decode_message", lambda data: calls.append(data)
    )
    for message in event_messages(elements, 3):
        received = session.receive_data(message)
        assert [event.uuid for _, event in received.events] == elements[::2]
    assert calls == []  # none took the usual path


def test_an_element_whose_routes_end_gets_no_more_events() -> None:
    elements = [uuid.UUID(int=number + 1) for number in range(4)]
    session = ClientSession("ws://127.0.0.1/api/ws")
    sink = Sink("a")
    routes = [(element, int(Attribute.VALUE)) for element in elements]
    session.add_routes(routes, sink)
    session.remove_routes(routes[:3], sink)
    (message,) = event_messages(elements, 1)
    assert [event.uuid for _, event in session.receive_data(message).events] == elements[3:]
    assert list(session._routes_by_bytes) == [elements[3].bytes]


def test_a_value_that_fails_to_convert_leaves_the_message_to_the_usual_path() -> None:
    # An unsubscribed element's text that is not UTF-8: the shortcut gives up, as the
    # scanner does, and the careful path says what is wrong.
    good = next(iter(event_messages([uuid.UUID(int=1)], 1)))
    broken = good[:-9] + b"\x62\xff\xfe"  # the double replaced by 2 bytes of bad text
    assert scan_events(broken) is None
    assert route_events(broken, {}) is None
    assert eventscan.ROUTE_LIMIT == 1 << 16


def test_quality_and_category_values_are_typed() -> None:
    from xentara_sync.protocol import Category, DataChange, Quality, TimePoint, encode_message

    element = uuid.UUID(int=3)
    session = ClientSession("ws://127.0.0.1/api/ws")
    sink = Sink("a")
    session.add_routes([(element, 9), (element, 4)], sink)
    message = encode_message(
        [
            DataChange(TimePoint(10), element, {9: 2}),
            DataChange(TimePoint(20), element, {9: 1, 4: 2}),
        ]
    )
    assert route_events(message, session._routes_by_bytes) is not None
    values = [event.value for _, event in session.receive_data(message).events]
    assert values == [Quality(2), Quality(1), Category(2)]
    assert [type(value) for value in values] == [Quality, Quality, Category]


@pytest.mark.parametrize("where", ["between", "after"])
def test_bytes_the_packets_do_not_account_for_leave_the_message_to_the_usual_path(
    where: str,
) -> None:
    elements = [uuid.UUID(int=1), uuid.UUID(int=2)]
    (message,) = event_messages(elements, 1)
    size = len(message) // 2 + 1  # the second packet starts here (two of one length)
    assert message[size : size + 4] == b"\x83\x08\x00\xa3"
    broken = message[:size] + b"\x00" + message[size:] if where == "between" else message + b"\x00"
    session = ClientSession("ws://127.0.0.1/api/ws")
    session.add_routes([(element, int(Attribute.VALUE)) for element in elements], Sink("a"))
    assert route_events(broken, session._routes_by_bytes) is None
    received = session.receive_data(broken)
    assert received.errors  # the careful path says the message is broken
    assert received.events == []
