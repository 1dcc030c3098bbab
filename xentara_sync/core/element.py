"""``client[key]``: one element of a client, whose methods call the client's."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from ..protocol import Category
from ..protocol.index import ElementInfo
from .describe import safe_repr

__all__ = ["Element"]


class Element:
    """One element of a client: ``client[key]``.

    Its methods call the client's with the element's name, so an element of an async
    client returns awaitables and an element of the blocking client returns values::

        element = client["Hardware.EtherCAT Bus.EL2624.Output 1"]
        element.write(True)            # blocking client
        await element.write(True)      # asyncio or trio client
    """

    __slots__ = ("_client", "name")

    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        #: The element's primary key.
        self.name = name

    @property
    def client(self) -> Any:
        """The client this element belongs to."""
        return self._client

    @property
    def info(self) -> ElementInfo:
        """UUID and category of the element, as browsed."""
        return self._client.element_info(self.name)  # type: ignore[no-any-return]

    @property
    def uuid(self) -> uuid.UUID:
        """The element's UUID."""
        return self.info.uuid

    @property
    def category(self) -> Category:
        """The element's category."""
        return self.info.category

    def read(self, **kwargs: Any) -> Any:
        """Read the element's value (keywords as the client's ``read``)."""
        return self._client.read(self.name, **kwargs)

    def write(self, value: Any, **kwargs: Any) -> Any:
        """Write the element's value (keywords as the client's ``write``)."""
        return self._client.write(self.name, value, **kwargs)

    def read_attributes(self, attributes: Iterable[str] | None = None, **kwargs: Any) -> Any:
        """Read several attributes (as the client's ``read_attributes``)."""
        return self._client.read_attributes(self.name, attributes, **kwargs)

    def metadata(self, **kwargs: Any) -> Any:
        """The element's attribute metadata (as the client's ``metadata``)."""
        return self._client.metadata(self.name, **kwargs)

    def subscribe(self, *args: Any, **kwargs: Any) -> Any:
        """Subscribe to the element (as the client's ``subscribe``)."""
        return self._client.subscribe(self.name, *args, **kwargs)

    @safe_repr
    def __repr__(self) -> str:
        return f"Element({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Element) and other._client is self._client and other.name == self.name
        )

    def __hash__(self) -> int:
        return hash((id(self._client), self.name))
