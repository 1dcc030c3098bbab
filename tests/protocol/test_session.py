"""The client session, driven with bytes alone: no socket, no event loop."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from xentara_sync.exceptions import (
    ClientClosed,
    ConnectionClosed,
    MissingAttribute,
    ProtocolError,
    ReadOnly,
    TypeMismatch,
    UnknownElement,
    WriteOnly,
)
from xentara_sync.protocol import (
    Access,
    Attribute,
    Category,
    DataChange,
    DataType,
    ErrorCode,
    Failure,
    Opcode,
    Quality,
    Request,
    Success,
    TimePoint,
    decode_message,
    encode,
    encode_message,
    fault,
    wrap,
)
from xentara_sync.protocol.index import (
    AttributeInfo,
    ElementInfo,
    ElementMetadata,
    Event,
)
from xentara_sync.protocol.session import ClientSession, Plan

URL = "ws://127.0.0.1:1/api/ws"
OUTPUT = ElementInfo("Hardware.Outputs.Output 1", uuid.UUID(int=1), Category.DATA_POINT)
SPEED = ElementInfo("Hardware.Registers.Speed", uuid.UUID(int=2), Category.DATA_POINT)
GROUP = ElementInfo("Hardware.Outputs", uuid.UUID(int=3), Category.ELEMENT_GROUP)


class Sink:
    """An event sink that records."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.closed: list[BaseException | None] = []
        self.dropped = 0

    def put(self, event: Event) -> None:
        self.events.append(event)

    def close(self, error: BaseException | None) -> None:
        self.closed.append(error)


def session_with_index(**kwargs: Any) -> ClientSession:
    session = ClientSession(URL, **kwargs)
    session.set_index([GROUP, OUTPUT, SPEED])
    return session


def sent_requests(session: ClientSession) -> list[Any]:
    data = session.data_to_send().data
    assert data is not None
    return decode_message(data)


def answer(session: ClientSession, *packets: Any) -> tuple[list[Any], list[Any], list[Any]]:
    answers, events, errors = session.receive_data(encode_message(list(packets)))
    return answers, events, errors


def finish(plan: Plan, session: ClientSession, *packets: Any) -> Any:
    answers, _, _ = answer(session, *packets)
    return plan.finish([outcome for _, outcome in answers])


# --------------------------------------------------------------------------- sending


def test_requests_get_rising_ids_and_leave_in_one_message() -> None:
    session = session_with_index()
    first = session.plan_read(OUTPUT.key)
    second = session.plan_read(SPEED.key, "quality")
    assert first is not None and second is not None
    assert session.send(first.requests, ["a"]) == [1]
    assert session.send(second.requests, ["b"]) == [2]
    assert session.pending == 2
    assert sent_requests(session) == [
        Request(1, Opcode.READ, {0: OUTPUT.uuid, 1: [Attribute.VALUE]}),
        Request(2, Opcode.READ, {0: SPEED.uuid, 1: [Attribute.QUALITY]}),
    ]
    assert session.data_to_send().data is None  # nothing new


def test_the_flush_hook_rings_once_per_batch() -> None:
    rings: list[int] = []
    session = session_with_index(on_flush_due=lambda: rings.append(1))
    plan = session.plan_get_stage()
    session.send(plan.requests, [1])
    session.send(plan.requests, [2])
    assert rings == [1]
    session.data_to_send()
    session.send(plan.requests, [3])
    assert rings == [1, 1]


def test_an_interrupted_flush_hook_leaves_nothing_behind() -> None:
    calls = 0

    def hook() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyboardInterrupt

    session = session_with_index(on_flush_due=hook)
    plan = session.plan_get_stage()
    with pytest.raises(KeyboardInterrupt):
        session.send(plan.requests, ["lost"])
    assert session.pending == 0
    session.send(plan.requests, ["kept"])  # the next request arranges a flush again
    assert calls == 2
    assert [p.message_id for p in sent_requests(session)] == [2]


def test_a_forgotten_request_is_not_sent_and_its_late_answer_ignored() -> None:
    session = session_with_index()
    plan = session.plan_get_stage()
    (gone,) = session.send(plan.requests, ["gone"])
    (kept,) = session.send(plan.requests, ["kept"])
    session.forget([gone])
    assert [p.message_id for p in sent_requests(session)] == [kept]
    answers, events, errors = answer(session, Success(gone, 2), Success(kept, 2))
    assert answers == [("kept", Success(kept, 2))]
    assert (events, errors) == ([], [])


def test_a_value_cbor_cannot_carry_fails_its_own_request_only() -> None:
    session = session_with_index()
    bad = Plan("write", "x", [(Opcode.WRITE, {0: OUTPUT.uuid, 1: 11, 2: object()})], list)
    good = session.plan_get_stage()
    session.send(bad.requests, ["bad"])
    session.send(good.requests, ["good"])
    data, ids, failed = session.data_to_send()
    assert ids == [2]
    assert [waiter for waiter, _ in failed] == ["bad"]
    assert isinstance(failed[0][1], ProtocolError)
    assert data is not None and decode_message(data) == [Request(2, Opcode.GET_STAGE)]
    assert session.pending == 1


def test_take_hands_back_the_waiters_of_a_lost_message() -> None:
    session = session_with_index()
    plan = session.plan_get_stage()
    session.send(plan.requests, ["a"])
    session.send(plan.requests, ["b"])
    outgoing = session.data_to_send()
    assert session.take(outgoing.ids) == ["a", "b"]
    assert session.pending == 0


def test_many_threads_sending_at_once_get_unique_ids() -> None:
    session = session_with_index()
    plan = session.plan_get_stage()
    ids: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        mine = [session.send(plan.requests, [None])[0] for _ in range(500)]
        with lock:
            ids.extend(mine)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(ids) == list(range(1, 4001))
    assert len(sent_requests(session)) == 4000


# --------------------------------------------------------------------------- receiving


def test_answers_in_any_order_reach_their_waiters() -> None:
    session = session_with_index()
    plan = session.plan_read_many([OUTPUT.key, SPEED.key])
    assert plan is not None
    session.send(plan.requests, ["output", "speed"])
    answers, _, _ = answer(session, Success(2, {11: wrap(7.5)}), Success(1, {11: wrap(True)}))
    by_waiter = dict(answers)
    assert plan.finish([by_waiter["output"], by_waiter["speed"]]) == {
        OUTPUT.key: True,
        SPEED.key: 7.5,
    }
    assert session.pending == 0


def test_error_answers_raise_with_operation_element_and_suggestions() -> None:
    session = session_with_index()
    plan = session.plan_read(OUTPUT.key)
    assert plan is not None
    session.send(plan.requests, ["w"])
    with pytest.raises(WriteOnly, match=r"read 'Hardware\.Outputs\.Output 1'"):
        finish(plan, session, Failure(1, ErrorCode.WRITE_ONLY, "value is write only"))
    lookup = session.plan_lookup("Hardware.Outputs.Outptu 1")
    session.send(lookup.requests, ["l"])
    with pytest.raises(UnknownElement) as info:
        finish(lookup, session, Failure(2, ErrorCode.UNKNOWN_ELEMENT, "unknown element"))
    assert info.value.suggestions[0] == OUTPUT.key


def test_an_attribute_in_error_raises_and_well_known_values_get_their_type() -> None:
    session = session_with_index()
    plan = session.plan_read_attributes(OUTPUT.key, OUTPUT, ["quality", "value"])
    assert plan is not None
    session.send(plan.requests, ["w"])
    answers, _, _ = answer(
        session, Success(1, {9: wrap(1), 11: fault(ErrorCode.READ_ERROR, "broken")})
    )
    with pytest.raises(Exception, match="broken") as info:
        plan.finish([answers[0][1]])
    assert info.value.code == ErrorCode.READ_ERROR  # type: ignore[attr-defined]
    quality = session.plan_read(OUTPUT.key, "quality")
    assert quality is not None
    session.send(quality.requests, ["q"])
    assert finish(quality, session, Success(2, {9: wrap(1)})) is Quality.ACCEPTABLE


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xff",  # not CBOR
        b"\x01",  # not an array
        encode([[9, 1]]),  # an unknown packet type
        encode([[0, 1, 4]]),  # a request: servers do not send those
        b"\x81\x83\x01\x01",  # truncated
    ],
)
def test_broken_messages_are_reported_not_raised(data: bytes) -> None:
    session = session_with_index()
    plan = session.plan_get_stage()
    session.send(plan.requests, ["w"])
    answers, events, errors = session.receive_data(data)
    assert (answers, events) == ([], [])
    assert len(errors) == 1 and isinstance(errors[0], ProtocolError)
    assert session.pending == 1  # the request still waits for its answer


def test_a_broken_answer_with_a_readable_id_fails_its_request() -> None:
    session = session_with_index()
    plan = session.plan_get_stage()
    session.send(plan.requests, ["w"])
    answers, _, errors = session.receive_data(encode([[2, 1, "not an error map"]]))
    assert errors == []
    ((waiter, outcome),) = answers
    assert waiter == "w" and isinstance(outcome, ProtocolError)
    assert session.pending == 0


def test_get_stage_and_server_information_answers_are_checked() -> None:
    session = session_with_index()
    stage = session.plan_get_stage()
    session.send(stage.requests, ["s"])
    with pytest.raises(ProtocolError, match="get_stage"):
        finish(stage, session, Success(1, "operational"))
    info = session.plan_server_information()
    session.send(info.requests, ["i"])
    assert finish(info, session, Success(2, {0: "2.1", 1: "admin", 2: "/m.json"})).version == (
        "2.1"
    )
    assert session.server_info is not None and session.server_info.user_name == "admin"


# --------------------------------------------------------------------------- events


def test_events_go_to_the_sinks_of_their_routes() -> None:
    session = session_with_index()
    first, second = Sink(), Sink()
    session.add_routes([(OUTPUT.uuid, 11)], first)
    session.add_routes([(OUTPUT.uuid, 11), (SPEED.uuid, 11)], second)
    change = DataChange(TimePoint(1_500_000_000), OUTPUT.uuid, {11: True, 9: 0})
    other = DataChange(TimePoint(0), uuid.UUID(int=99), {11: 1})
    _, events, errors = answer(session, change, other)
    assert errors == []
    assert [sink for sink, _ in events] == [first, second]
    event = events[0][1]
    assert event == Event(1.5, OUTPUT.key, OUTPUT.uuid, True)
    session.remove_routes([(OUTPUT.uuid, 11)], first)
    _, events, _ = answer(session, change)
    assert [sink for sink, _ in events] == [second]
    session.remove_routes([(OUTPUT.uuid, 11)], second)
    assert answer(session, change)[1] == []
    _, events, _ = answer(session, DataChange(TimePoint(0), SPEED.uuid, {11: 2.5}))
    assert [(sink, event.name) for sink, event in events] == [(second, SPEED.key)]


def test_events_take_the_names_of_the_index_they_come_under() -> None:
    session = session_with_index()
    sink = Sink()
    stranger = uuid.UUID(int=99)  # not under the root: named by its UUID
    session.add_routes([(OUTPUT.uuid, 11), (stranger, 11)], sink)
    changes = (
        DataChange(TimePoint(0), OUTPUT.uuid, {11: 1}),
        DataChange(TimePoint(0), stranger, {11: 2}),
    )
    assert [e.name for _, e in answer(session, *changes)[1]] == [OUTPUT.key, str(stranger)]
    renamed = ElementInfo("Hardware.Outputs.Output One", OUTPUT.uuid, Category.DATA_POINT)
    session.set_index([renamed, ElementInfo("Hardware.Stranger", stranger, Category.DATA_POINT)])
    names = [e.name for _, e in answer(session, *changes)[1]]
    assert names == ["Hardware.Outputs.Output One", "Hardware.Stranger"]


def test_the_end_of_the_connection_fails_everything_once() -> None:
    session = session_with_index()
    sink = Sink()
    session.add_routes([(OUTPUT.uuid, 11)], sink)
    plan = session.plan_get_stage()
    session.send(plan.requests, ["a"])
    session.send(plan.requests, ["b"])
    error = ClientClosed("the client was closed")
    waiters, sinks = session.connection_ended(error)
    assert waiters == ["a", "b"] and sinks == [sink]
    assert session.connection_ended(ConnectionClosed("again")) == ([], [])
    assert not session.open and session.pending == 0
    assert session.data_to_send().data is None
    with pytest.raises(ClientClosed, match="closed"):
        session.send(plan.requests, ["c"])


# --------------------------------------------------------------------------- names and writes


def test_known_names_attribute_suffixes_and_look_ups() -> None:
    session = session_with_index()
    assert session.known(OUTPUT.key) == (OUTPUT, None)
    assert session.known(OUTPUT.key + ".quality") == (OUTPUT, Attribute.QUALITY)
    assert session.known("Hardware.Elsewhere") is None
    assert session.plan_read("Hardware.Elsewhere") is None
    with pytest.raises(TypeError, match="non-empty str"):
        session.known("")
    lookup = session.plan_lookup("Hardware.Elsewhere")
    session.send(lookup.requests, ["l"])
    found = finish(lookup, session, Success(1, uuid.UUID(int=7)))
    assert found.uuid == uuid.UUID(int=7)
    assert session.known("Hardware.Elsewhere") == (found, None)
    assert session.element_info("Hardware.Elsewhere") == found


def test_writes_are_checked_before_anything_is_sent() -> None:
    session = session_with_index()
    assert session.plan_write(OUTPUT.key, True) is None  # no metadata yet
    metadata = session.plan_metadata(OUTPUT.key, OUTPUT)
    session.send(metadata.requests, ["m"])
    attributes = [
        ["value", 11, Access.READ_WRITE, DataType.BOOLEAN],
        ["quality", 9, Access.READ_ONLY, DataType.QUALITY],
    ]
    result = {0: OUTPUT.key, 1: Category.DATA_POINT, 2: attributes, 3: False}
    parsed = finish(metadata, session, Success(1, result))
    assert isinstance(parsed, ElementMetadata)
    assert parsed.attributes["value"] == AttributeInfo(
        "value", 11, Access.READ_WRITE, DataType.BOOLEAN
    )
    with pytest.raises(TypeMismatch, match="expected True or False"):
        session.plan_write(OUTPUT.key, 1)
    with pytest.raises(ReadOnly):
        session.plan_write(OUTPUT.key, Quality.GOOD, "quality")
    with pytest.raises(MissingAttribute, match="attributes: value, quality"):
        session.plan_write(OUTPUT.key, 1, "changeTime")
    assert session.pending == 0
    plan = session.plan_write(OUTPUT.key, True)
    assert plan is not None
    session.send(plan.requests, ["w"])
    assert sent_requests(session) == [
        Request(2, Opcode.WRITE, {0: OUTPUT.uuid, 1: Attribute.VALUE, 2: True})
    ]
    assert finish(plan, session, Success(2)) is None


def test_timeouts_name_operation_element_and_server() -> None:
    session = session_with_index()
    error = session.timeout_error("write", OUTPUT.key, 2)
    assert str(error) == f"write {OUTPUT.key!r} got no answer from {URL} within 2 s"
    assert isinstance(error, TimeoutError)


def test_answers_of_the_wrong_shape_give_short_messages() -> None:
    session = session_with_index()
    huge = ["x" * 100_000] * 100
    for plan, result in [
        (session.plan_get_stage(), huge),
        (session.plan_server_information(), huge),
        (session.plan_browse_root(), [huge]),
        (session.plan_metadata(OUTPUT.key, OUTPUT), {2: [huge]}),
        (session.plan_lookup("Hardware.Elsewhere"), huge),
    ]:
        (message_id,) = session.send(plan.requests, [None])
        with pytest.raises(ProtocolError) as info:
            finish(plan, session, Success(message_id, result))
        assert len(str(info.value)) < 1000, plan
