"""Sub-sessions: acting with another user's rights inside one connection.

A sub-session (reference §4.12, §6) logs a user in within an open connection, so
that a program connected as one account can read and write as the person at the
screen. :meth:`ClientCore.sub_session <xentara_sync.core.ClientCore.sub_session>`
makes a :class:`SubSession`; it is opened by ``async with`` or ``await`` and closed
at the end of the block (or by :meth:`SubSession.close`).

How each operation carries the sub-session, where the protocol allows it:

- ``write``, ``suspend``, ``resume`` and ``shutdown`` send its id (write's key 3,
  the stage commands' key 0): the server allows them only if both the connection's
  user and the sub-session's user may.
- ``read`` has no such parameter (§4.6). A read as a sub-session therefore goes out
  together with a ``check_access`` of the sub-session, in the same message, and
  raises :class:`~xentara_sync.exceptions.AccessDenied` if its user may not read.
- ``check_access`` reports ``(read, write)``: what the connection and the
  sub-session allow together.

The password is sent once, in ``create_sub_session``, and dropped then; it appears
in no repr, log record or exception. A sub-session belongs to one connection: after
the client reconnects, or is closed, using it raises
:class:`~xentara_sync.exceptions.SubSessionClosed` (open a new one).

>>> import asyncio
>>> from xentara_sync.aio import XentaraClient
>>> from xentara_sync.simulator import Simulator, User
>>> users = [User("service", "pw"), User("viewer", "secret", write=False)]
>>> async def main() -> None:
...     async with Simulator(users=users) as sim:
...         url = sim.url.replace("ws://", "ws://service:pw@")
...         async with XentaraClient(url) as client:
...             async with client.sub_session("viewer", "secret") as viewer:
...                 print(await viewer.check_access())
...                 print(await viewer.read("Hardware.EtherCAT Bus.EL2624.Output 1"))
>>> asyncio.run(main())
(True, False)
False
"""

from __future__ import annotations

import uuid
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from .exceptions import (
    ConnectionClosed,
    InvalidArgument,
    SubSessionClosed,
    UnknownSession,
    UsageError,
)
from .protocol import Opcode

if TYPE_CHECKING:
    from .core import ClientCore
    from .protocol.session import ClientSession

__all__ = ["SubSession"]


class SubSession:
    """A user's sub-session within a client's connection.

    Made by ``client.sub_session(username, password)``; opened by ``async with``
    (closed at the end of the block) or by ``await`` (then :meth:`close` it).
    """

    def __init__(self, client: ClientCore, username: str, password: str) -> None:
        if not isinstance(username, str) or not username:
            raise InvalidArgument(
                f"username must be a non-empty str, not {type(username).__name__} {username!r:.60}"
            )
        if not isinstance(password, str):
            raise InvalidArgument(f"password must be a str, not {type(password).__name__}")
        self._client = client
        self._username = username
        self._password: str | None = password
        self._id: uuid.UUID | None = None
        self._session: ClientSession | None = None
        self._closed = False

    # ------------------------------------------------------------------ state

    @property
    def username(self) -> str:
        """The user the sub-session acts as."""
        return self._username

    @property
    def id(self) -> uuid.UUID | None:
        """The sub-session's id on the server (None before it is open)."""
        return self._id

    @property
    def closed(self) -> bool:
        """Whether it was closed, its client was closed, or its connection ended."""
        session = self._session
        return (
            self._closed
            or self._client.closed
            or (session is not None and (self._client.session is not session or not session.open))
        )

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open" if self._id is not None else "not open"
        return f"<SubSession of {self._username!r} on {self._client.url} {state}>"

    __str__ = __repr__

    # ------------------------------------------------------------------ opening and closing

    async def open(self, *, timeout: float | None = None) -> SubSession:
        """Log the user in (``create_sub_session``); returns the sub-session itself.

        Wrong credentials raise :class:`~xentara_sync.exceptions.AccessDenied`. The
        password is dropped after this one try: a sub-session that failed to open
        is closed, make a new one.
        """
        if self._id is not None and not self.closed:
            return self
        if self._closed or self._password is None:
            raise self._ended("is closed")
        client = self._client
        session = await client._ready(timeout)
        password, self._password = self._password, None
        plan = session.plan_create_sub_session(self._username, password, uuid.uuid4())
        del password
        try:
            self._id = await client._execute(session, plan, timeout)
        except BaseException:
            self._closed = True
            raise
        self._session = session
        return self

    def __await__(self) -> Generator[Any, None, SubSession]:
        return self.open().__await__()

    async def __aenter__(self) -> SubSession:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self, *, timeout: float | None = None) -> None:
        """Close the sub-session (``close_sub_session``). Idempotent; nothing is sent
        if its connection has ended (the server dropped it then)."""
        if self._closed:
            return
        live = not self.closed
        self._closed = True
        self._password = None
        session, session_id = self._session, self._id
        if not live or session is None or session_id is None:
            return
        plan = session.plan_close_sub_session(session_id, self._username)
        try:
            await self._client._execute(session, plan, timeout)
        except (ConnectionClosed, UnknownSession):  # gone already
            pass

    def _ended(self, why: str) -> SubSessionClosed:
        return SubSessionClosed(
            f"the sub-session of {self._username!r} {why}: open a new one with "
            f"client.sub_session(username, password)"
        )

    def _live(self) -> tuple[ClientSession, uuid.UUID]:
        """The connection the sub-session lives on, and its id; raises if it is gone."""
        if self._closed:
            raise self._ended("is closed")
        if self._id is None or self._session is None:
            raise UsageError(
                f"the sub-session of {self._username!r} is not open yet: use "
                f"'async with client.sub_session(...)' or 'await client.sub_session(...)'"
            )
        if self._client.closed:
            raise self._ended(f"was closed with its client for {self._client.url}")
        session = self._session
        if self._client.session is not session or not session.open:
            raise self._ended(
                f"ended with its connection to {self._client.url} (a reconnection does "
                f"not restore sub-sessions)"
            )
        return session, self._id

    # ------------------------------------------------------------------ operations

    async def read(
        self,
        key: str,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> Any:
        """The value of *key* (or of another *attribute*), if the user may read.

        Sent with a ``check_access`` of the sub-session in the same message (the
        protocol's read carries no sub-session); a user without read right gets
        :class:`~xentara_sync.exceptions.AccessDenied`.
        """
        session, session_id = self._live()
        client = self._client
        plan = await client._read_plan(session, key, attribute, timeout)
        checked = session.plan_checked_read(plan, session_id, self._username)
        return await client._execute(session, checked, timeout)

    async def write(
        self,
        key: str,
        value: Any,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> None:
        """Write *value* to *key* as the sub-session's user (write's key 3): the
        server allows it only if both the connection's and this user may write."""
        session, session_id = self._live()
        await self._client._write(session, key, value, attribute, timeout, session_id)

    async def check_access(self, *, timeout: float | None = None) -> tuple[bool, bool]:
        """``(read, write)``: whether this user (together with the connection's) may
        read and write (``check_access``)."""
        session, session_id = self._live()
        plan = session.plan_check_access(session_id, self._username)
        return await self._client._execute(session, plan, timeout)  # type: ignore[no-any-return]

    async def suspend(self, *, timeout: float | None = None) -> None:
        """``suspend`` as this user (see :meth:`ClientCore.suspend`)."""
        await self._stage_change(Opcode.SUSPEND, timeout)

    async def resume(self, *, timeout: float | None = None) -> None:
        """``resume`` as this user (see :meth:`ClientCore.resume`)."""
        await self._stage_change(Opcode.RESUME, timeout)

    async def shutdown(self, *, timeout: float | None = None) -> None:
        """``shutdown`` as this user (see :meth:`ClientCore.shutdown`)."""
        await self._stage_change(Opcode.SHUTDOWN, timeout)

    async def _stage_change(self, opcode: Opcode, timeout: float | None) -> None:
        session, session_id = self._live()
        await self._client._stage_change(session, opcode, timeout, session_id)
