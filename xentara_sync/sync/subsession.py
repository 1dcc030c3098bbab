"""The blocking sub-session: :class:`xentara_sync.core.subsession.SubSession` without ``await``.

``client.sub_session(username, password)`` opens it before it returns; ``with``
closes it at the end of the block. Each call runs the async sub-session's
coroutine on the client's loop thread, with the client's timeout by default.

>>> from xentara_sync import XentaraClient
>>> from xentara_sync.simulator import Simulator, User
>>> users = [User("service", "pw"), User("viewer", "secret", write=False)]
>>> with Simulator(users=users) as sim, XentaraClient(sim.url, username="service",
...                                                    password="pw") as client:
...     with client.sub_session("viewer", "secret") as viewer:
...         print(viewer.check_access())
(True, False)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..core.describe import safe_repr
from ..core.subsession import SubSession as AsyncSubSession

__all__ = ["SubSession"]

T = TypeVar("T")
#: The client's way to run a coroutine on its loop thread (``XentaraClient._run``).
Runner = Callable[[Callable[[], Coroutine[Any, Any, Any]], "float | None", str], Any]


class SubSession:
    """A user's sub-session within a blocking client's connection (see
    :class:`xentara_sync.core.subsession.SubSession`); safe from any thread."""

    def __init__(self, sub_session: AsyncSubSession, run: Runner) -> None:
        self._async = sub_session
        self._run = run

    @property
    def username(self) -> str | None:
        """The user the sub-session acts as (None after a token or certificate login)."""
        return self._async.username

    @property
    def label(self) -> str:
        """How messages name the sub-session (never a secret)."""
        return self._async.label

    @property
    def id(self) -> uuid.UUID | None:
        """The sub-session's id on the server."""
        return self._async.id

    @property
    def closed(self) -> bool:
        """Whether it was closed, its client was closed, or its connection ended."""
        return self._async.closed

    @safe_repr
    def __repr__(self) -> str:
        return repr(self._async)

    __str__ = __repr__

    def _call(
        self, coroutine: Callable[[], Coroutine[Any, Any, T]], timeout: float | None, what: str
    ) -> T:
        return self._run(coroutine, timeout, f"{what} as {self._async.label}")  # type: ignore[no-any-return]

    def open(self, *, timeout: float | None = None) -> SubSession:
        """Open it if it is not (``client.sub_session`` already did); returns itself."""
        self._call(lambda: self._async.open(timeout=timeout), timeout, "create_sub_session")
        return self

    def close(self, *, timeout: float | None = None) -> None:
        """Close the sub-session. Idempotent; nothing is sent once its client is
        closed or its connection ended (the server dropped it then)."""
        if self._async.closed:
            return
        self._call(lambda: self._async.close(timeout=timeout), timeout, "close_sub_session")

    def __enter__(self) -> SubSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def read(
        self,
        key: str,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> Any:
        """The value of *key*, if this user may read (sent with a ``check_access``;
        see :meth:`xentara_sync.core.subsession.SubSession.read`)."""
        return self._call(
            lambda: self._async.read(key, attribute=attribute, timeout=timeout),
            timeout,
            f"read {key!r}",
        )

    def write(
        self,
        key: str,
        value: Any,
        *,
        attribute: str | int | uuid.UUID = "value",
        timeout: float | None = None,
    ) -> None:
        """Write *value* to *key* as this user (write's key 3)."""
        self._call(
            lambda: self._async.write(key, value, attribute=attribute, timeout=timeout),
            timeout,
            f"write {key!r}",
        )

    def check_access(self, *, timeout: float | None = None) -> tuple[bool, bool]:
        """``(read, write)``: what this user (with the connection's) may do."""
        return self._call(
            lambda: self._async.check_access(timeout=timeout), timeout, "check_access"
        )

    def suspend(self, *, timeout: float | None = None) -> None:
        """``suspend`` as this user."""
        self._call(lambda: self._async.suspend(timeout=timeout), timeout, "suspend")

    def resume(self, *, timeout: float | None = None) -> None:
        """``resume`` as this user."""
        self._call(lambda: self._async.resume(timeout=timeout), timeout, "resume")

    def shutdown(self, *, timeout: float | None = None) -> None:
        """``shutdown`` as this user."""
        self._call(lambda: self._async.shutdown(timeout=timeout), timeout, "shutdown")
