"""The plans of the commands that control the server and a connection's sub-sessions.

Stage changes (``suspend``, ``resume``, ``shutdown``), opening and closing
sub-sessions, and ``check_access``: the part of
:class:`~xentara_sync.protocol.plans.Operations` that needs no element index.

>>> import uuid
>>> from xentara_sync.protocol import Success
>>> from xentara_sync.protocol.plans import Operations
>>> session = uuid.UUID(int=7)
>>> plan = Operations().control.plan_check_access(session, "operator")
>>> opcode, params = plan.requests[0]
>>> opcode.name, {int(key): value for key, value in params.items()}
('CHECK_ACCESS', {0: UUID('00000000-0000-0000-0000-000000000007')})
>>> plan.finish([Success(1, {0: True, 1: False})])
(True, False)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Final

from ..exceptions import AccessDenied
from . import replies
from .authentication import password_authentication
from .ids import Opcode, SessionParam, SubSessionParam
from .packets import Failure, Success
from .plan import Plan

__all__ = ["ControlPlans"]

#: The opcodes of :meth:`ControlPlans.plan_stage_change`.
_STAGE_CHANGES: Final = frozenset({Opcode.SUSPEND, Opcode.RESUME, Opcode.SHUTDOWN})


#: Turns an answer into its result, or raises the error a failure stands for,
#: naming the operation and the element.
Result = Callable[[Success | Failure, str, str | None], Any]


class ControlPlans:
    """Plans of stage changes, sub-sessions and access checks
    (:attr:`Operations.control <xentara_sync.protocol.plans.Operations.control>`).

    *result* turns an answer into its result (the session's, which knows the
    elements that errors name)."""

    def __init__(self, result: Result) -> None:
        self._result = result

    def plan_stage_change(self, opcode: Opcode, *, sub_session: uuid.UUID | None = None) -> Plan:
        """``suspend``, ``resume`` or ``shutdown`` (*opcode*), as the connection's user,
        or as a sub-session's (its id goes in key 0, as write's key 3)."""
        if opcode not in _STAGE_CHANGES:
            raise ValueError(f"not a stage change: {opcode!r}")
        name = Opcode(opcode).name.lower()
        params: dict[int, Any] | None = None
        if sub_session is not None:
            params = {SessionParam.SESSION: sub_session}

        def finish(packets: list[Success | Failure]) -> None:
            self._result(packets[0], name, None)

        return Plan(name, None, [(opcode, params)], finish)

    def plan_create_sub_session(self, username: str, password: str, session_id: uuid.UUID) -> Plan:
        """Open a sub-session of *username* under *session_id* (the client always
        chooses the id: desired_session_id, key 1). The password is hidden from the
        request's log record (:mod:`.authentication`); errors name only the user."""
        return self.plan_login(password_authentication(username, password), username, session_id)

    def plan_login(self, authentication: Any, who: str, session_id: uuid.UUID) -> Plan:
        """Open a sub-session under *session_id* with *authentication*, one of the
        alternatives of :mod:`.authentication` (password, OAuth token, certificate);
        *who* names it in errors."""
        params: dict[int, Any] = {
            SubSessionParam.AUTHENTICATION: authentication,
            SubSessionParam.DESIRED_ID: session_id,
        }

        def finish(packets: list[Success | Failure]) -> uuid.UUID:
            result = self._result(packets[0], "create_sub_session", who)
            return replies.expect_uuid(result, "create_sub_session")

        return Plan("create_sub_session", who, [(Opcode.CREATE_SUB_SESSION, params)], finish)

    def plan_close_sub_session(self, session_id: uuid.UUID, username: str | None = None) -> Plan:
        """Close the sub-session *session_id*."""

        def finish(packets: list[Success | Failure]) -> None:
            self._result(packets[0], "close_sub_session", username)

        params: dict[int, Any] = {SessionParam.SESSION: session_id}
        return Plan("close_sub_session", username, [(Opcode.CLOSE_SUB_SESSION, params)], finish)

    def plan_check_access(self, session_id: uuid.UUID, username: str | None = None) -> Plan:
        """``(read, write)``: the rights of the sub-session *session_id* (with the
        connection's own: the server reports what both allow)."""

        def finish(packets: list[Success | Failure]) -> tuple[bool, bool]:
            return replies.access(self._result(packets[0], "check_access", username))

        params: dict[int, Any] = {SessionParam.SESSION: session_id}
        return Plan("check_access", username, [(Opcode.CHECK_ACCESS, params)], finish)

    def plan_checked_read(self, plan: Plan, session_id: uuid.UUID, username: str) -> Plan:
        """*plan* (a read) preceded, in the same message, by ``check_access`` of the
        sub-session: the protocol's read carries no sub-session id (§4.6), so a read
        as a sub-session is refused here with :class:`AccessDenied` when its user may
        not read; an unknown sub-session raises :class:`UnknownSession`. *username*
        names the user in messages as given (quote a user name: ``"'viewer'"``)."""
        check = self.plan_check_access(session_id, username)

        def finish(packets: list[Success | Failure]) -> Any:
            readable, _ = check.finish(packets[:1])
            if not readable:
                raise AccessDenied(
                    text=f"access denied: sub-session user {username} may not read",
                    operation=plan.operation,
                    element=plan.element,
                )
            return plan.finish(packets[1:])

        return Plan(plan.operation, plan.element, [*check.requests, *plan.requests], finish)
