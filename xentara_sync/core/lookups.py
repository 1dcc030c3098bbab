"""Look-ups on the server: the element a key names, the wire key of an attribute,
an element's metadata; each asked once per connection (the session keeps them).

*execute* runs a plan on a session (``Connection._execute``): these functions are
shared by the client's operations (:mod:`.client`) and its subscriptions
(:mod:`.subscribing`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from ..exceptions import MissingAttribute, UnknownElement
from ..protocol.index import ElementInfo, ElementMetadata
from ..protocol.plans import Plan
from ..protocol.session import ClientSession

__all__ = ["Execute", "attribute_wire", "element_metadata", "resolve", "writable_element"]

#: Runs a plan on a session with a timeout, returns its result.
Execute = Callable[[ClientSession, Plan, "float | None"], Awaitable[Any]]


async def resolve(
    execute: Execute, session: ClientSession, key: str, timeout: float | None
) -> tuple[ElementInfo, int | uuid.UUID | None]:
    """The element a key names on *session*, and the attribute if the key ends with
    one (``"Hardware.Sensor.quality"``, ``"Plant.Speed.units"``: a well-known name,
    or one the element's metadata lists). Unknown keys are looked up on the server."""
    found = session.known(key)
    if found is not None:
        return found
    try:
        info = await execute(session, session.plan_lookup(key), timeout)
    except UnknownElement:
        prefix, _, last = key.rpartition(".")
        if prefix:
            try:
                element, attribute = await resolve(execute, session, prefix, timeout)
            except UnknownElement:
                pass
            else:
                if attribute is None:
                    wire = await attribute_wire(execute, session, element, last, prefix, timeout)
                    if wire is not None:
                        session.remember_attribute(key, element, wire)
                        return element, wire
        raise session.unknown(key, "lookup") from None
    return info, None


async def attribute_wire(
    execute: Execute,
    session: ClientSession,
    element: ElementInfo,
    attribute: str | int | uuid.UUID,
    key: str,
    timeout: float | None,
) -> int | uuid.UUID | None:
    """The wire key of *attribute* of *element*, its metadata asked for if need be;
    None if the element has no attribute of that name."""
    try:
        wire = session.attribute_wire(element, attribute, key, "read")
        if wire is None:
            await element_metadata(execute, session, element, key, timeout)
            wire = session.attribute_wire(element, attribute, key, "read")
    except MissingAttribute:
        return None
    return wire


async def element_metadata(
    execute: Execute, session: ClientSession, element: ElementInfo, key: str, timeout: float | None
) -> ElementMetadata:
    cached = session.metadata(element.uuid)
    if cached is not None:
        return cached
    plan = session.plan_metadata(key, element)
    return await execute(session, plan, timeout)  # type: ignore[no-any-return]


async def writable_element(
    execute: Execute, session: ClientSession, key: str, timeout: float | None
) -> tuple[ElementInfo, int | uuid.UUID | None]:
    """What :func:`resolve` gives, with the element's metadata asked for too: a
    write is checked against the attribute's access and data type before it leaves."""
    element = await resolve(execute, session, key, timeout)
    await element_metadata(execute, session, element[0], key, timeout)
    return element
