"""Stage changes (``suspend``, ``resume``, ``shutdown``): sent, then followed until
the server has left (or reached) operation."""

from __future__ import annotations

import time
import uuid
from typing import Any, Protocol

from ..exceptions import ConnectionLost, InvalidStageChange, RequestTimeout
from ..protocol import Opcode, Stage
from ..protocol.plans import Plan
from ..protocol.session import ClientSession
from .interfaces import Backend

__all__ = ["StageHost", "change_stage"]


class StageHost(Protocol):
    """What a stage change needs of its client: the plan runner, its default
    timeout and its backend's sleep."""

    _backend: Backend
    timeout: float

    async def _execute(self, session: ClientSession, plan: Plan, timeout: float | None) -> Any: ...


def _stage_name(stage: Stage | int) -> str:
    """A stage as messages name it: ``post_operational``, or the number if unknown."""
    return stage.name.lower() if isinstance(stage, Stage) else str(stage)


async def change_stage(
    host: StageHost,
    session: ClientSession,
    opcode: Opcode,
    timeout: float | None,
    sub_session: uuid.UUID | None = None,
) -> None:
    """Send a stage change; for suspend and resume, return once it is done.

    The server accepts the command at once and then passes an intermediate
    stage: post-operational on the way to suspended, pre-operational on the way
    back (reference, section 4.11 and its note on opcode 9). Suspend is done
    when the server reports any stage but operational (the suspended stage's
    number is not documented), resume when it reports operational. A resume
    sent while a suspend is still post-operational gets -32112 from a server
    that finishes one change before it takes the next: it is sent again while
    the server stays post-operational, so ``suspend(); resume()`` works as
    written.
    """
    limit = host.timeout if timeout is None else timeout
    deadline = time.monotonic() + limit
    plan = session.control.plan_stage_change(opcode, sub_session=sub_session)
    if opcode == Opcode.SHUTDOWN:
        try:
            await host._execute(session, plan, timeout)
        except ConnectionLost:
            pass  # the server went away before its answer came: what shutdown does
        return
    if opcode == Opcode.RESUME:
        await _send_resume(host, session, plan, deadline, limit)
    else:
        await host._execute(session, plan, timeout)
    pause = 0.002
    while True:
        # Each poll may take the whole timeout: the deadline is checked between
        # answers, so a slow answer is not mistaken for a stage that stayed.
        try:
            stage = await host._execute(session, session.plan_get_stage(), limit)
        except ConnectionLost:
            if opcode == Opcode.SUSPEND:
                return  # accepted, and the server then closed: it left operation
            raise
        if (stage == Stage.OPERATIONAL) == (opcode == Opcode.RESUME):
            return
        left = deadline - time.monotonic()
        if left <= 0:
            expected = "operational" if opcode == Opcode.RESUME else "any but operational"
            raise RequestTimeout(
                f"{opcode.name.lower()}: the server was still in stage "
                f"{_stage_name(stage)} after {limit:g} s (expected {expected}); ask "
                "get_stage() later, or pass a longer timeout"
            )
        await host._backend.sleep(min(pause, max(left, 0.0)))
        pause = min(pause * 2, 0.05)


async def _send_resume(
    host: StageHost, session: ClientSession, plan: Plan, deadline: float, limit: float
) -> None:
    """Send *plan* (a resume); again while a suspend is still post-operational,
    and once more when the server reports another stage but operational (the
    suspend may have ended between the refusal and the poll)."""
    pause = 0.002
    another_try = True
    while True:
        try:
            await host._execute(session, plan, limit)
            return
        except InvalidStageChange:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            stage = await host._execute(session, session.plan_get_stage(), limit)
            if stage == Stage.POST_OPERATIONAL:
                another_try = True
            elif another_try and stage != Stage.OPERATIONAL:
                another_try = False
            else:
                raise
            await host._backend.sleep(min(pause, max(left, 0.0)))
            pause = min(pause * 2, 0.05)
