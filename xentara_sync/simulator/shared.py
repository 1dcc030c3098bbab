"""What the sessions of one simulated Xentara share: model, users, stage, counters.

:class:`Engine` holds it; each connection's :class:`~.engine.Session` answers its
requests against it. No sockets, threads or timers here: those belong to the server
(:mod:`.server`, :mod:`.timers`).
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable, Sequence

from ..protocol import ErrorCode, Opcode, Stage, TimePoint
from .fastread import element_index
from .model import Model
from .params import Fail
from .users import User, authenticate, authenticate_certificate, authenticate_token

__all__ = ["Engine"]


class Engine:
    """The state of one simulated Xentara, shared by its connections.

    Runs on one asyncio loop; nothing here is thread-safe (the
    :class:`~xentara_sync.simulator.Simulator` crosses threads for its hooks).
    """

    def __init__(
        self,
        model: Model,
        users: Sequence[User] = (),
        *,
        sub_session_users: Sequence[User] | None = None,
        version: str = "2.0.7-simulator",
        max_answer_size: int = 16 * 1024 * 1024,
        allow_shutdown: bool = False,
        stage_step: float = 0.02,
        tls: bool = False,
    ) -> None:
        self.model = model
        #: Whether connections come over TLS (certificate sub-session logins need it).
        self.tls = tls
        #: The elements by the 16 bytes of their UUIDs (the read fast path's index).
        self.by_uuid_bytes = element_index(model.by_uuid)
        self.users = {u.name: u for u in users}
        #: The users a password sub-session may log in as; None: :attr:`users`.
        self.sub_session_users = (
            None if sub_session_users is None else {u.name: u for u in sub_session_users}
        )
        self.version = version
        #: The answer to one message stops growing past this many bytes (see
        #: :mod:`.engine`).
        self.max_answer_size = max_answer_size
        #: Whether a client may stop the simulator with ``shutdown``.
        self.allow_shutdown = allow_shutdown
        #: How long (seconds) the intermediate stage of a stage change lasts.
        self.stage_step = stage_step
        self._stage = Stage.OPERATIONAL
        #: The stage a change in progress ends in, and when it began (``time.monotonic``).
        self._next_stage: tuple[Stage, float] | None = None
        self.request_count = 0
        #: Called (once) after a shutdown request was answered.
        self.on_shutdown: Callable[[], None] | None = None
        self.started = TimePoint.now()
        try:
            self.account = getpass.getuser()
        except Exception:
            self.account = "xentara"

    def authenticate(self, name: str, password: str) -> User | None:
        """The user with these credentials, or ``None``."""
        return authenticate(self.users, name, password)

    def authenticate_sub_session(self, name: str, password: str) -> tuple[bool, User | None]:
        """Whether a password sub-session with these credentials is accepted, and its
        user: the sub-session users if any were given (even none), else the users;
        without either, everyone is accepted (with every right: user ``None``)."""
        users = self.sub_session_users if self.sub_session_users is not None else self.users
        if not users and self.sub_session_users is None:
            return True, None
        user = authenticate(users, name, password)
        return user is not None, user

    def reset_stage(self) -> None:
        """Back to operational, a change in progress dropped, the signal clock running."""
        self._stage = Stage.OPERATIONAL
        self._next_stage = None
        self.model.clock.frozen = None

    def authenticate_token(self, token: str) -> User | None:
        """The user with this Bearer token, or ``None``."""
        return authenticate_token(self.users.values(), token)

    def authenticate_certificate(self, certificate: bytes) -> User | None:
        """The user with this certificate (DER), or ``None``."""
        return authenticate_certificate(self.users.values(), certificate)

    def change_stage(self, opcode: Opcode) -> None:
        """Apply suspend, resume or shutdown; raises :class:`~.params.Fail` (-32112).

        Each change passes through the intermediate stage of Xentara's stage
        diagram (reference §4.11 and §13.1): suspend goes operational ->
        post-operational -> suspended, resume suspended -> pre-operational ->
        operational, shutdown -> post-operational. The intermediate stage lasts
        :attr:`stage_step` seconds, so that ``get_stage`` can see it; a suspend,
        resume or shutdown requested during it gets -32112.
        """
        stage = self.stage
        if self._next_stage is not None:
            stage_now: Stage | None = None  # a change is in progress: nothing else
        elif opcode == Opcode.SUSPEND and stage is Stage.OPERATIONAL:
            self.model.clock.frozen = time.time_ns()
            stage_now, final = Stage.POST_OPERATIONAL, Stage.SUSPENDED
        elif opcode == Opcode.RESUME and stage is Stage.SUSPENDED:
            self.model.clock.frozen = None
            stage_now, final = Stage.PRE_OPERATIONAL, Stage.OPERATIONAL
        elif opcode == Opcode.SHUTDOWN and stage in (Stage.OPERATIONAL, Stage.SUSPENDED):
            stage_now = final = Stage.POST_OPERATIONAL
        else:
            stage_now = None
        if stage_now is None:
            raise Fail(
                ErrorCode.INVALID_STAGE_CHANGE,
                f"invalid stage change request: {Opcode(opcode).name.lower()} "
                f"in stage {stage.name.lower()}",
            )
        self._stage = stage_now
        if final is not stage_now:
            self._next_stage = (final, time.monotonic())

    @property
    def stage(self) -> Stage:
        """The operational stage now: a change in progress ends when its step is over."""
        following = self._next_stage
        if following is not None and time.monotonic() >= following[1] + self.stage_step:
            self._stage = following[0]
            self._next_stage = None
        return self._stage
