"""write_many as a plan: every value checked before anything is queued, one message,
each failed key named."""

from __future__ import annotations

import pytest

from tests.protocol.test_session import OUTPUT, SPEED, finish, sent_requests, session_with_index
from xentara_sync.exceptions import IllegalValue, OutOfRange, ReadOnly, TypeMismatch, WriteError
from xentara_sync.protocol import (
    Access,
    Attribute,
    Category,
    DataType,
    ErrorCode,
    Failure,
    Opcode,
    Request,
    Success,
)
from xentara_sync.protocol.session import ClientSession


def session_with_metadata() -> ClientSession:
    session = session_with_index()
    for element, data_type in ((OUTPUT, DataType.BOOLEAN), (SPEED, DataType.UINT8)):
        plan = session.plan_metadata(element.key, element)
        session.send(plan.requests, ["m"])
        attributes = [["value", 11, Access.READ_WRITE, data_type]]
        result = {0: element.key, 1: Category.DATA_POINT, 2: attributes, 3: False}
        (message_id,) = [r.message_id for r in sent_requests(session)]
        finish(plan, session, Success(message_id, result))
    return session


def test_needs_metadata_of_every_key_first() -> None:
    session = session_with_index()
    assert session.plan_write_many({OUTPUT.key: True}) is None


def test_all_writes_leave_in_one_message() -> None:
    session = session_with_metadata()
    plan = session.plan_write_many({OUTPUT.key: True, SPEED.key: 200})
    assert plan is not None
    session.send(plan.requests, ["a", "b"])
    assert sent_requests(session) == [
        Request(3, Opcode.WRITE, {0: OUTPUT.uuid, 1: Attribute.VALUE, 2: True}),
        Request(4, Opcode.WRITE, {0: SPEED.uuid, 1: Attribute.VALUE, 2: 200}),
    ]
    assert finish(plan, session, Success(3), Success(4)) is None


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({OUTPUT.key: True, SPEED.key: 300}, OutOfRange),  # ValueError
        ({OUTPUT.key: "on", SPEED.key: 3}, TypeMismatch),  # TypeError
        ({SPEED.key: 3.5}, IllegalValue),  # ValueError
    ],
)
def test_one_bad_value_and_nothing_is_queued(values: dict[str, object], error: type) -> None:
    session = session_with_metadata()
    with pytest.raises(error):
        session.plan_write_many(values)
    assert session.pending == 0
    assert session.data_to_send().data is None


def test_each_failed_key_is_named_and_the_others_are_written() -> None:
    session = session_with_metadata()
    plan = session.plan_write_many({OUTPUT.key: True, SPEED.key: 3})
    assert plan is not None
    session.send(plan.requests, ["a", "b"])
    sent_requests(session)
    with pytest.raises(WriteError) as caught:
        finish(plan, session, Success(3), Failure(4, ErrorCode.READ_ONLY, "locked by the PLC"))
    error = caught.value
    assert list(error.errors) == [SPEED.key]
    assert isinstance(error.errors[SPEED.key], ReadOnly)
    assert str(error) == (
        f"write_many failed: 1 of 2 writes failed, the others were written: "
        f"write {SPEED.key!r} failed: locked by the PLC (-32103) (-32109)"
    )
