"""The requests of browse, stage changes and sub-sessions, as the reference gives them.

Each plan's requests are encoded as a session sends them and compared with the
parameters of the reference (§4.3, §4.7, §4.11 to §4.14); each answer is read back
through the plan's ``finish``. No sockets: the plans are sans-I/O.
"""

from __future__ import annotations

import uuid
from typing import Any

import cbor2
import pytest

from xentara_sync.exceptions import (
    AccessDenied,
    InvalidArgument,
    InvalidStageChange,
    ProtocolError,
    UnknownElement,
    UnknownSession,
)
from xentara_sync.protocol import (
    NIL_UUID,
    Access,
    Category,
    DataType,
    ErrorCode,
    Failure,
    Opcode,
    Success,
    decode,
    wrap,
)
from xentara_sync.protocol.framing import encode_request
from xentara_sync.protocol.index import AttributeInfo, ElementInfo, ElementMetadata
from xentara_sync.protocol.plans import Operations, Plan

GROUP = uuid.UUID("5b8a3c1e-0f2d-4e6a-9c7b-1d2e3f405162")
POINT = uuid.UUID("e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8")
SESSION = uuid.UUID("b4e1c552-e3c7-406b-95a2-aa09c553f277")


def wire(plan: Plan) -> list[Any]:
    """The plan's requests as they go on the wire, decoded back: ``[[0, id, op, params]]``."""
    return [decode(encode_request(n, op, params)) for n, (op, params) in enumerate(plan.requests)]


@pytest.fixture
def operations() -> Operations:
    ops = Operations()
    ops.root = ElementInfo("Group 1", GROUP, Category.ELEMENT_GROUP)
    ops.set_index([ElementInfo("Group 1.Data Point 1", POINT, Category.DATA_POINT)])
    return ops


# --------------------------------------------------------------------------- browse


def test_browse_of_the_root_sends_its_uuid_and_nothing_else(operations: Operations) -> None:
    plan = operations.plan_browse()
    assert plan is not None
    assert wire(plan) == [[0, 0, Opcode.BROWSE, {0: GROUP}]]


def test_browse_as_the_official_client_sends_it(operations: Operations) -> None:
    # [O] "depth 2, only element groups and data points": {0: uuid, 1: 2, 2: [1, 2]}
    plan = operations.plan_browse(
        "Group 1.Data Point 1", depth=2, category=["element_group", Category.DATA_POINT]
    )
    assert plan is not None
    assert wire(plan) == [[0, 0, Opcode.BROWSE, {0: POINT, 1: 2, 2: [1, 2]}]]


def test_browse_of_the_model_root_by_the_nil_uuid(operations: Operations) -> None:
    plan = operations.plan_browse(element=NIL_UUID, depth=1)
    assert plan is not None
    assert wire(plan) == [[0, 0, Opcode.BROWSE, {0: NIL_UUID, 1: 1}]]


def test_browse_answers_are_remembered(operations: Operations) -> None:
    other = uuid.UUID(int=9)
    plan = operations.plan_browse(element=NIL_UUID)
    assert plan is not None
    entries = plan.finish([Success(0, [{0: "Elsewhere.Point", 1: other, 2: 2}])])
    assert entries == [ElementInfo("Elsewhere.Point", other, Category.DATA_POINT)]
    assert operations.known("Elsewhere.Point") == (entries[0], None)
    assert "Elsewhere.Point" not in operations.index  # the root's index is unchanged


def test_browse_of_an_unknown_key_needs_a_look_up(operations: Operations) -> None:
    assert operations.plan_browse("Elsewhere") is None


def test_browse_of_an_attribute_key_is_an_unknown_element(operations: Operations) -> None:
    with pytest.raises(UnknownElement):
        operations.plan_browse("Group 1.Data Point 1.quality")


def test_browse_errors_name_the_element(operations: Operations) -> None:
    plan = operations.plan_browse("Group 1.Data Point 1")
    assert plan is not None
    with pytest.raises(UnknownElement, match=r"browse 'Group 1\.Data Point 1' failed"):
        plan.finish([Failure(0, ErrorCode.UNKNOWN_ELEMENT, "unknown element")])


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"depth": 0}, InvalidArgument),
        ({"depth": -3}, InvalidArgument),
        ({"depth": 1.5}, TypeError),
        ({"depth": False}, TypeError),
        ({"category": "sensor"}, InvalidArgument),
        ({"category": ()}, InvalidArgument),
        ({"category": [None]}, TypeError),
    ],
)
def test_browse_refuses_bad_arguments(
    operations: Operations, arguments: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        operations.plan_browse(**arguments)


# --------------------------------------------------------------------------- stages


@pytest.mark.parametrize("opcode", [Opcode.SUSPEND, Opcode.RESUME, Opcode.SHUTDOWN])
def test_stage_changes(operations: Operations, opcode: Opcode) -> None:
    assert wire(operations.control.plan_stage_change(opcode)) == [[0, 0, opcode]]
    # [D] [0, 65, 10, {0: 37('E3EE...')}]: a sub-session in key 0
    plan = operations.control.plan_stage_change(opcode, sub_session=SESSION)
    assert wire(plan) == [[0, 0, opcode, {0: SESSION}]]
    assert plan.finish([Success(0, None)]) is None
    with pytest.raises(InvalidStageChange, match=f"{opcode.name.lower()} failed"):
        plan.finish([Failure(0, ErrorCode.INVALID_STAGE_CHANGE, "invalid stage change")])


def test_only_stage_changes_are_stage_changes(operations: Operations) -> None:
    with pytest.raises(ValueError, match="not a stage change"):
        operations.control.plan_stage_change(Opcode.READ)


# --------------------------------------------------------------------------- sub-sessions


def test_create_sub_session_sends_the_password_alternative(operations: Operations) -> None:
    plan = operations.control.plan_create_sub_session("operator", "s3cret", SESSION)
    ((packet_type, _, opcode, params),) = wire(plan)
    assert (packet_type, opcode) == (0, Opcode.CREATE_SUB_SESSION)
    assert params == {0: cbor2.CBORTag(123, {0: "operator", 1: "s3cret"}), 1: SESSION}
    assert "s3cret" not in repr(plan.requests)
    assert plan.finish([Success(0, SESSION)]) == SESSION
    with pytest.raises(AccessDenied) as caught:
        plan.finish([Failure(0, ErrorCode.ACCESS_DENIED, "wrong user name or password")])
    assert "operator" in str(caught.value) and "s3cret" not in str(caught.value)
    with pytest.raises(ProtocolError):
        plan.finish([Success(0, "not a uuid")])


def test_close_and_check_access(operations: Operations) -> None:
    close = operations.control.plan_close_sub_session(SESSION, "operator")
    assert wire(close) == [[0, 0, Opcode.CLOSE_SUB_SESSION, {0: SESSION}]]
    with pytest.raises(UnknownSession):
        close.finish([Failure(0, ErrorCode.UNKNOWN_SESSION, "unknown session Id")])
    check = operations.control.plan_check_access(SESSION, "operator")
    assert wire(check) == [[0, 0, Opcode.CHECK_ACCESS, {0: SESSION}]]
    assert check.finish([Success(0, {0: False, 1: True})]) == (False, True)
    with pytest.raises(ProtocolError, match="check_access"):
        check.finish([Success(0, {0: 1, 1: 0})])


def test_a_write_as_a_sub_session_carries_it_in_key_3(operations: Operations) -> None:
    operations._metadata[POINT] = ElementMetadata(
        "Group 1.Data Point 1",
        Category.DATA_POINT,
        {"value": AttributeInfo("value", 11, Access.READ_WRITE, DataType.FLOAT64)},
        False,
    )
    plan = operations.plan_write("Group 1.Data Point 1", 22.5, sub_session=SESSION)
    assert plan is not None
    assert wire(plan) == [[0, 0, Opcode.WRITE, {0: POINT, 1: 11, 2: 22.5, 3: SESSION}]]


def test_a_read_as_a_sub_session_checks_access_in_the_same_message(
    operations: Operations,
) -> None:
    read = operations.plan_read("Group 1.Data Point 1")
    assert read is not None
    plan = operations.control.plan_checked_read(read, SESSION, "'viewer'")
    assert wire(plan) == [
        [0, 0, Opcode.CHECK_ACCESS, {0: SESSION}],
        [0, 1, Opcode.READ, {0: POINT, 1: [11]}],
    ]
    assert plan.finish([Success(0, {0: True, 1: False}), Success(1, {11: wrap(21.5)})]) == 21.5
    with pytest.raises(AccessDenied, match="'viewer' may not read") as caught:
        plan.finish([Success(0, {0: False, 1: False}), Success(1, {11: wrap(21.5)})])
    assert caught.value.element == "Group 1.Data Point 1"
    with pytest.raises(UnknownSession):
        plan.finish(
            [
                Failure(0, ErrorCode.UNKNOWN_SESSION, "unknown session Id"),
                Failure(1, ErrorCode.UNKNOWN_ELEMENT, "unknown element"),
            ]
        )
