"""Sub-sessions: acting with another user's rights inside one connection.

A sub-session (reference §4.12, §6) logs a user in within an open connection, so
that a program connected as one account can read and write as the person at the
screen. :meth:`ClientCore.sub_session <xentara_sync.core.client.ClientCore.sub_session>`
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

import os
import ssl
import uuid
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Final, Protocol

import cbor2

from ..exceptions import (
    ConnectionClosed,
    InvalidArgument,
    SubSessionClosed,
    UnknownSession,
    UsageError,
)
from ..protocol import Opcode
from ..protocol.authentication import (
    certificate_authentication,
    password_authentication,
    token_authentication,
)
from ..secret import Secret, hide
from .describe import safe_repr

if TYPE_CHECKING:
    from ..protocol.plans import Plan
    from ..protocol.session import ClientSession

__all__ = ["Certificate", "SubSession", "SubSessionHost", "load_certificate", "login_information"]

#: A certificate as ``sub_session(certificate=...)`` takes it: DER or PEM bytes, PEM
#: text, or the path of a PEM or DER file.
Certificate = bytes | str | os.PathLike[str]

_PEM: Final = "-----BEGIN CERTIFICATE-----"


class SubSessionHost(Protocol):
    """What a sub-session needs of its client
    (:class:`~xentara_sync.core.client.ClientCore`): the connection it lives on and
    the client's way of running each operation, given the sub-session's id."""

    @property
    def url(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    @property
    def session(self) -> ClientSession | None: ...

    async def _ready(self, timeout: float | None) -> ClientSession: ...

    async def _execute(self, session: ClientSession, plan: Plan, timeout: float | None) -> Any: ...

    async def _read_plan(
        self,
        session: ClientSession,
        key: str,
        attribute: str | int | uuid.UUID,
        timeout: float | None,
    ) -> Plan: ...

    async def _write(
        self,
        session: ClientSession,
        key: str,
        value: Any,
        attribute: str | int | uuid.UUID,
        timeout: float | None,
        sub_session: uuid.UUID | None = None,
    ) -> None: ...

    async def _stage_change(
        self,
        session: ClientSession,
        opcode: Opcode,
        timeout: float | None,
        sub_session: uuid.UUID | None = None,
    ) -> None: ...


def load_certificate(certificate: Certificate) -> bytes:
    """The DER form of *certificate* (DER or PEM bytes, PEM text, or a file's path).

    >>> load_certificate(b"0\\x03\\x02\\x01\\x00")
    b'0\\x03\\x02\\x01\\x00'
    >>> load_certificate(b"not a certificate")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: certificate: neither DER nor PEM ...
    """
    if isinstance(certificate, str) and certificate.lstrip().startswith(_PEM):
        data: bytes = certificate.encode("ascii", "replace")
    elif isinstance(certificate, bytes | bytearray):
        data = bytes(certificate)
    elif isinstance(certificate, str | os.PathLike):
        try:
            with open(certificate, "rb") as file:
                data = file.read(1 << 20)
        except OSError as exc:
            raise InvalidArgument(
                f"certificate: cannot read {os.fspath(certificate)!r}: {exc.strerror}"
            ) from None
    else:
        raise InvalidArgument(
            f"certificate must be bytes (DER or PEM), PEM text or a file path, not "
            f"{type(certificate).__name__}"
        )
    if data.lstrip().startswith(_PEM.encode()):
        try:
            return ssl.PEM_cert_to_DER_cert(data.decode("ascii").strip())
        except (ValueError, UnicodeDecodeError):
            raise InvalidArgument("certificate: the PEM text is not a certificate") from None
    if data[:1] != b"\x30":
        raise InvalidArgument(
            "certificate: neither DER nor PEM (DER starts with an ASN.1 SEQUENCE, 0x30; "
            f"PEM with {_PEM!r})"
        )
    return data


def login_information(
    username: str | None,
    password: str | Secret | None,
    token: str | Secret | None,
    certificate: Certificate | None,
) -> tuple[cbor2.CBORTag, str]:
    """``create_sub_session``'s authentication information for one login, and how
    messages name the sub-session; raises :class:`InvalidArgument` unless exactly one
    login is given (user name and password, *token*, or *certificate*).

    >>> login_information("operator", "pw", None, None)
    (CBORTag(123, {0: 'operator', 1: '***'}), "'operator'")
    >>> login_information(None, None, "t0k3n", None)
    (CBORTag(121, {0: '***'}), '<OAuth token>')
    """
    given = [
        name
        for name, value in (
            ("username", username),
            ("password", password),
            ("token", token),
            ("certificate", certificate),
        )
        if value is not None
    ]
    if token is not None or certificate is not None:
        if len(given) > 1:
            raise InvalidArgument(
                f"sub_session takes one login: {' and '.join(given)} were given (username "
                "and password, or token=..., or certificate=...)"
            )
        if token is not None:
            if isinstance(token, Secret):
                token = token.reveal()  # into the tag, whose repr hides it
            if not isinstance(token, str) or not token:
                raise InvalidArgument("token must be a non-empty str (an OAuth 2.0 access token)")
            return token_authentication(token), "<OAuth token>"
        assert certificate is not None
        return certificate_authentication(load_certificate(certificate)), "<certificate>"
    if username is None:
        raise InvalidArgument(
            "sub_session needs a login: username and password, token=..., or certificate=..."
        )
    if not isinstance(username, str) or not username:
        raise InvalidArgument(
            f"username must be a non-empty str, not {type(username).__name__} {username!r:.60}"
        )
    if not isinstance(password, str | Secret):
        raise InvalidArgument(f"password must be a str, not {type(password).__name__}")
    return password_authentication(username, hide(password).reveal()), repr(username)


class SubSession:
    """A user's sub-session within a client's connection.

    Made by ``client.sub_session(username, password)``, ``client.sub_session(token=...)``
    or ``client.sub_session(certificate=...)``; opened by ``async with`` (closed at
    the end of the block) or by ``await`` (then :meth:`close` it).
    """

    def __init__(
        self,
        client: SubSessionHost,
        username: str | None = None,
        password: str | Secret | None = None,
        *,
        token: str | Secret | None = None,
        certificate: Certificate | None = None,
    ) -> None:
        # A traceback with locals shows only the wrappers, from here on.
        password, token = hide(password), hide(token)
        login, label = login_information(username, password, token, certificate)
        self._client = client
        self._username = username if token is None and certificate is None else None
        self._label = label
        #: The authentication information, until the one try to open uses it.
        self._login: cbor2.CBORTag | None = login
        self._id: uuid.UUID | None = None
        self._session: ClientSession | None = None
        self._closed = False

    # ------------------------------------------------------------------ state

    @property
    def username(self) -> str | None:
        """The user the sub-session acts as (None when it logged in with a token or
        a certificate: the server does not say whose they are)."""
        return self._username

    @property
    def label(self) -> str:
        """How messages name the sub-session: its user name quoted (``'viewer'``),
        ``<OAuth token>`` or ``<certificate>``; never a secret."""
        return self._label

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

    @safe_repr
    def __repr__(self) -> str:
        state = "closed" if self.closed else "open" if self._id is not None else "not open"
        return f"<SubSession of {self._label} on {self._client.url} {state}>"

    __str__ = __repr__

    # ------------------------------------------------------------------ opening and closing

    async def open(self, *, timeout: float | None = None) -> SubSession:
        """Log the user in (``create_sub_session``); returns the sub-session itself.

        Wrong credentials raise :class:`~xentara_sync.exceptions.AccessDenied`. The
        password or token is dropped after this one try: a sub-session that failed
        to open is closed, make a new one.
        """
        if self._id is not None and not self.closed:
            return self
        if self._closed or self._login is None:
            raise self._ended("is closed")
        client = self._client
        session = await client._ready(timeout)
        login, self._login = self._login, None
        plan = session.control.plan_login(login, self._label, uuid.uuid4())
        del login
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
        self._login = None
        session, session_id = self._session, self._id
        if not live or session is None or session_id is None:
            return
        plan = session.control.plan_close_sub_session(session_id, self._label)
        try:
            await self._client._execute(session, plan, timeout)
        except (ConnectionClosed, UnknownSession):  # gone already
            pass

    def _ended(self, why: str) -> SubSessionClosed:
        return SubSessionClosed(
            f"the sub-session of {self._label} {why}: open a new one with client.sub_session(...)"
        )

    def _live(self) -> tuple[ClientSession, uuid.UUID]:
        """The connection the sub-session lives on, and its id; raises if it is gone."""
        if self._closed:
            raise self._ended("is closed")
        if self._id is None or self._session is None:
            raise UsageError(
                f"the sub-session of {self._label} is not open yet: use "
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
        checked = session.control.plan_checked_read(plan, session_id, self._label)
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
        plan = session.control.plan_check_access(session_id, self._label)
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
