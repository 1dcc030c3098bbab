"""A small Xentara on 127.0.0.1 whose stage commands behave as a real one might.

It numbers the suspended stage as it likes (*suspended*: a number the documentation
does not give), passes through post-operational for *steps* ``get_stage`` answers
on the way to it, refuses a stage change while one is under way (-32112), and on
``shutdown`` closes the connection without answering (*close_on_shutdown*), as a
server going away may.
"""

from __future__ import annotations

import uuid
from typing import Any

from websockets.sync.server import ServerConnection

from xentara_sync.protocol import (
    ErrorCode,
    Failure,
    Opcode,
    Request,
    Stage,
    Success,
    decode_message,
    encode_message,
)
from xentara_sync.simulator.faults import ScriptedServer


class StageServer(ScriptedServer):
    """Answers hello, server information, browse, get_stage and the stage commands."""

    def __init__(self, *, suspended: int = 7, steps: int = 2, close_on_shutdown: bool = True):
        self.suspended = suspended
        self.steps = steps
        self.close_on_shutdown = close_on_shutdown
        self.stage = int(Stage.OPERATIONAL)
        #: The stage a change under way ends in, and how many polls it still takes.
        self._next: tuple[int, int] | None = None
        #: The opcodes of the stage commands received, in order.
        self.commands: list[int] = []
        super().__init__()

    def _get_stage(self) -> int:
        if self._next is not None:
            final, left = self._next
            if left <= 0:
                self.stage, self._next = final, None
            else:
                self._next = (final, left - 1)
        return self.stage

    def _change(self, opcode: int) -> bool:
        """Apply a stage command; False if it is not possible now."""
        if self._next is not None:
            return False
        if opcode == Opcode.SUSPEND and self.stage == Stage.OPERATIONAL:
            self.stage, self._next = int(Stage.POST_OPERATIONAL), (self.suspended, self.steps)
        elif opcode == Opcode.RESUME and self.stage == self.suspended:
            self.stage, self._next = int(Stage.PRE_OPERATIONAL), (Stage.OPERATIONAL, self.steps)
        else:
            return False
        return True

    def _answer(self, request: Request) -> Success | Failure | None:
        opcode = request.opcode
        result: Any = None
        if opcode == Opcode.BROWSE:
            result = []
        elif opcode == Opcode.SERVER_INFORMATION:
            result = {}
        elif opcode == Opcode.LOOKUP:
            result = uuid.UUID(int=1)
        elif opcode == Opcode.CLIENT_HELLO:
            result = {0: 1}
        elif opcode == Opcode.GET_STAGE:
            result = self._get_stage()
        elif opcode in (Opcode.SUSPEND, Opcode.RESUME, Opcode.SHUTDOWN):
            self.commands.append(opcode)
            if opcode == Opcode.SHUTDOWN:
                return None
            if not self._change(opcode):
                code = ErrorCode.INVALID_STAGE_CHANGE
                return Failure(request.message_id, code, "invalid stage change request")
        return Success(request.message_id, result)

    def handle(self, connection: ServerConnection, number: int) -> None:
        for message in connection:
            assert isinstance(message, bytes)
            answers = []
            for request in decode_message(message):
                assert isinstance(request, Request)
                answer = self._answer(request)
                if answer is None:  # shutdown
                    if self.close_on_shutdown:
                        connection.close()
                        return
                    answer = Success(request.message_id, None)
                answers.append(answer)
            connection.send(encode_message(answers))
