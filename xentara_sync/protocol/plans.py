"""Each operation of a client as requests, and how their answers become its result.

An operation (a read, a write, a subscribe...) is a :class:`Plan`: the requests that
leave in one message, and a ``finish`` function that turns their answers into the
operation's result or raises the error an answer stands for. :class:`Operations`
builds the plans of every operation from what a connection knows (its element
index and cached metadata); :class:`~xentara_sync.protocol.session.ClientSession`
sends them. Any flavour can run a plan: the async core awaits it, the blocking
client waits for it from the calling thread.

>>> import uuid
>>> from xentara_sync.protocol.index import ElementInfo
>>> from xentara_sync.protocol import Category, Success, wrap
>>> operations = Operations()
>>> operations.set_index([ElementInfo("Hardware.Speed", uuid.UUID(int=1), Category.DATA_POINT)])
>>> plan = operations.plan_read("Hardware.Speed")
>>> plan
<Plan read 'Hardware.Speed': 1 request(s)>
>>> plan.finish([Success(1, {11: wrap(21.5)})])
21.5
>>> operations.plan_read("Hardware.Elsewhere") is None  # needs a look-up first
True
"""

from __future__ import annotations

import difflib
import operator
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from ..exceptions import (
    InvalidArgument,
    MissingAttribute,
    ServerError,
    UnknownElement,
    WriteError,
)
from . import arguments as check
from . import replies
from .control import ControlPlans
from .ids import (
    NIL_UUID,
    PROTOCOL_VERSION,
    Attribute,
    BrowseParam,
    Category,
    ClientHelloParam,
    LookupParam,
    MetaDataParam,
    Opcode,
    ReadParam,
    ServerInformationParam,
    SubscribeItemKey,
    SubscribeParam,
    UnsubscribeParam,
    WriteParam,
)
from .index import (
    _KEYS_BY_NAME,
    AttributeInfo,
    ElementIndex,
    ElementInfo,
    ElementMetadata,
    ServerInfo,
    attribute_key,
    check_write,
)
from .packets import Failure, Success
from .plan import Plan, RequestSpec
from .quoting import quote

__all__ = ["PROTOCOL_VERSION", "Operations", "Plan", "RequestSpec", "attribute_list"]


_READ: Final = Opcode.READ
_ELEMENT: Final = ReadParam.ELEMENT
_ATTRIBUTES: Final = ReadParam.ATTRIBUTES
_DEFAULT_ATTRIBUTES: Final[list[str | int | uuid.UUID]] = [
    "value",
    "quality",
    "changeTime",
    "updateTime",
]


def missing_attribute(
    metadata: ElementMetadata, name: object, operation: str, key: str
) -> MissingAttribute:
    """:class:`MissingAttribute` for *name*, saying which attributes the element has."""
    names = list(metadata.attributes)
    close = difflib.get_close_matches(str(name), names, n=1) if names else []
    hint = f"did you mean {close[0]!r}? " if close else ""
    return MissingAttribute(
        text=f"no attribute {name!r}; {hint}its attributes: {', '.join(names) or 'none'}",
        operation=operation,
        element=key,
    )


class Operations:
    """What a connection knows of the element tree, and the plans of every operation.

    The base of :class:`~xentara_sync.protocol.session.ClientSession`; usable alone
    to build and finish plans without sending them (as in the example above).
    """

    def __init__(self) -> None:
        #: The elements under the root, as browsed.
        self.index = ElementIndex()
        #: The root element (None: the whole model).
        self.root: ElementInfo | None = None
        #: What the server said of itself when connecting.
        self.server_info: ServerInfo | None = None
        #: The plans of stage changes, sub-sessions and access checks.
        self.control = ControlPlans(self._result)
        self._outside: dict[str, ElementInfo] = {}
        self._metadata: dict[uuid.UUID, ElementMetadata] = {}
        self._attribute_keys: dict[str, tuple[ElementInfo, int | uuid.UUID]] = {}

    # ------------------------------------------------------------------ errors

    def server_error(
        self, packet: Failure, operation: str, element: str | None, *, root_lookup: bool = False
    ) -> ServerError:
        """The exception an error response stands for, naming operation and element."""
        error = ServerError.from_code(
            packet.code, packet.text, operation=operation, element=element
        )
        if isinstance(error, UnknownElement) and element is not None:
            error = UnknownElement(
                packet.code,
                "unknown root element" if root_lookup else packet.text,
                operation=operation,
                element=element,
                suggestions=() if root_lookup else self.index.suggestions(element),
            )
        return error

    def unknown(self, key: str, operation: str) -> UnknownElement:
        """:class:`UnknownElement` for *key*, with suggestions from the index."""
        return UnknownElement(
            operation=operation,
            element=key,
            suggestions=self.index.suggestions(key) if isinstance(key, str) else (),
        )

    def _result(self, packet: Success | Failure, operation: str, element: str | None) -> Any:
        if type(packet) is Failure:
            raise self.server_error(packet, operation, element)
        return packet.result  # type: ignore[union-attr]

    # ------------------------------------------------------------------ names

    def set_index(self, elements: Iterable[ElementInfo]) -> None:
        """Replace the element index (after browsing the root)."""
        self.index = ElementIndex(elements)

    def element_info(self, key: str) -> ElementInfo:
        """UUID and category of a known element; raises :class:`UnknownElement`."""
        info = self.index.get(key) or self._outside.get(key)
        if info is None:
            if self.root is not None and key == self.root.key:
                return self.root
            raise self.unknown(key, "find")
        return info

    def known(self, key: str) -> tuple[ElementInfo, int | uuid.UUID | None] | None:
        """The element *key* names without asking the server, and the attribute if the
        key ends with one (``"Hardware.Sensor.quality"``); None if it needs a look-up."""
        info = self.index.get(key)
        if info is not None:
            return info, None
        if not isinstance(key, str) or not key:
            raise InvalidArgument(
                f"key must be a primary key, a non-empty str, not {type(key).__name__} {quote(key)}"
            )
        info = self._outside.get(key)
        if info is not None:
            return info, None
        if self.root is not None and key == self.root.key:
            return self.root, None
        prefix, _, last = key.rpartition(".")
        attribute = Attribute.from_name(last) if prefix else None
        if attribute is not None:
            element = self.index.get(prefix) or self._outside.get(prefix)
            if element is not None:
                return element, int(attribute)
        return self._attribute_keys.get(key)

    def remember_attribute(self, key: str, element: ElementInfo, wire: int | uuid.UUID) -> None:
        """Remember that *key* names attribute *wire* of *element* (``"Plant.Speed.units"``,
        an attribute the element's metadata lists)."""
        self._attribute_keys[key] = (element, wire)

    def attribute_wire(
        self, element: ElementInfo, attribute: str | int | uuid.UUID, key: str, operation: str
    ) -> int | uuid.UUID | None:
        """The wire key of *attribute* of *element*: a well-known name, number or UUID
        as it is; another name as the element's metadata lists it. None if that
        metadata must be asked for first; :class:`MissingAttribute` (naming the
        attributes there are) if it lists no such name."""
        if type(attribute) is str:
            found = _KEYS_BY_NAME.get(attribute)
            if found is not None:
                return found
        try:
            return attribute_key(attribute)
        except InvalidArgument:
            if not isinstance(attribute, str) or not attribute:
                raise
        metadata = self._metadata.get(element.uuid)
        if metadata is None:
            return None
        info = metadata.attribute(attribute)
        if info is None:
            raise missing_attribute(metadata, attribute, operation, key)
        return info.id

    def metadata(self, element: uuid.UUID) -> ElementMetadata | None:
        """The cached metadata of *element*, if it was asked for before."""
        return self._metadata.get(element)

    # ------------------------------------------------------------------ plans

    def plan_hello(self) -> Plan:
        """The client hello."""
        params: dict[int, Any] = {
            ClientHelloParam.MINIMUM_VERSION: PROTOCOL_VERSION,
            ClientHelloParam.MAXIMUM_VERSION: PROTOCOL_VERSION,
        }
        return Plan(
            "client hello",
            None,
            [(Opcode.CLIENT_HELLO, params)],
            lambda packets: self._result(packets[0], "client hello", None),
        )

    def plan_start(self, root_element: str | None) -> Plan:
        """Server information and the root element's UUID, in one message."""
        requests: list[RequestSpec] = [
            (Opcode.SERVER_INFORMATION, {ServerInformationParam.ITEMS: replies.SERVER_INFO_ITEMS}),
        ]
        if root_element:
            requests.append((Opcode.LOOKUP, {LookupParam.PRIMARY_KEY: root_element}))

        def finish(packets: list[Success | Failure]) -> None:
            info = packets[0]
            result = info.result if type(info) is Success else None
            self.server_info = replies.server_info(result, strict=False)
            if root_element:
                answer = packets[1]
                if type(answer) is Failure:
                    raise self.server_error(answer, "connect", root_element, root_lookup=True)
                root = replies.expect_uuid(answer.result, "lookup")  # type: ignore[union-attr]
                self.root = ElementInfo(root_element, root, Category.ELEMENT_GROUP)

        return Plan("connect", root_element, requests, finish)

    def plan_browse_root(self) -> Plan:
        """Browse every element under the root; the answer replaces the index."""
        start = self.root.uuid if self.root is not None else NIL_UUID

        def finish(packets: list[Success | Failure]) -> None:
            result = self._result(packets[0], "browse", None)
            self.set_index(replies.browse_entries(result))

        return Plan("browse", None, [(Opcode.BROWSE, {BrowseParam.ELEMENT: start})], finish)

    def plan_lookup(self, key: str) -> Plan:
        """Look *key* up on the server; the answer is remembered."""

        def finish(packets: list[Success | Failure]) -> ElementInfo:
            packet = packets[0]
            if type(packet) is Failure:
                error = self.server_error(packet, "lookup", key)
                if isinstance(error, UnknownElement):
                    raise self.unknown(key, "lookup")
                raise error
            element = replies.expect_uuid(packet.result, "lookup")  # type: ignore[union-attr]
            info = ElementInfo(key, element, Category.ROOT)
            self._outside[key] = info
            return info

        return Plan("lookup", key, [(Opcode.LOOKUP, {LookupParam.PRIMARY_KEY: key})], finish)

    def plan_read(
        self,
        key: str,
        attribute: str | int | uuid.UUID = "value",
        *,
        element: tuple[ElementInfo, int | uuid.UUID | None] | None = None,
    ) -> Plan | None:
        """Read one attribute of *key*; None if the key needs a look-up first (or,
        for an attribute name only the element's metadata lists, that metadata).

        *element* is the element and key attribute the caller resolved itself.
        """
        if element is None:
            info = self.index.get(key)  # the hot path: a browsed element
            found = (info, None) if info is not None else self.known(key)
        else:
            found = element
        if found is None:
            return None
        info, wire = found
        wanted = wire if wire is not None else self.attribute_wire(info, attribute, key, "read")
        if wanted is None:
            return None
        return Plan(
            "read",
            key,
            [(_READ, {_ELEMENT: info.uuid, _ATTRIBUTES: [wanted]})],
            lambda packets: replies.read_value(self._result(packets[0], "read", key), wanted, key),
        )

    def plan_read_many(
        self,
        keys: Sequence[str],
        attribute: str | int | uuid.UUID = "value",
        *,
        elements: Sequence[tuple[ElementInfo, int | uuid.UUID | None]] | None = None,
    ) -> Plan | None:
        """Read one attribute of each key, in one message: ``{key: value}``.

        None if a key needs a look-up first (or an element's metadata, for an
        attribute name only that lists). The first failing element raises.
        """
        if elements is None:
            get = self.index.get
            found = [(info, None) if (info := get(key)) else self.known(key) for key in keys]
            if any(e is None for e in found):
                return None
            elements = found  # type: ignore[assignment]
        assert elements is not None
        resolved = []
        for key, (info, wire) in zip(keys, elements, strict=True):
            if wire is None:
                wire = self.attribute_wire(info, attribute, key, "read")
                if wire is None:
                    return None
            resolved.append((key, info.uuid, wire))

        def finish(packets: list[Success | Failure]) -> dict[str, Any]:
            return {
                key: replies.read_value(self._result(packet, "read", key), w, key)
                for (key, _, w), packet in zip(resolved, packets, strict=True)
            }

        requests: list[RequestSpec] = [
            (_READ, {_ELEMENT: element, _ATTRIBUTES: [w]}) for _, element, w in resolved
        ]
        return Plan("read_many", None, requests, finish)

    def plan_read_attributes(
        self,
        key: str,
        element: ElementInfo,
        attributes: Iterable[str | int | uuid.UUID] | None,
    ) -> Plan | None:
        """Several attributes of one element in one request, keyed as given; None if
        a name only the element's metadata lists needs that metadata first."""
        names = _DEFAULT_ATTRIBUTES if attributes is None else attribute_list(attributes)
        found = [self.attribute_wire(element, name, key, "read") for name in names]
        if None in found:
            return None
        wanted: list[int | uuid.UUID] = found  # type: ignore[assignment]

        def finish(packets: list[Success | Failure]) -> dict[Any, Any]:
            result = self._result(packets[0], "read", key)
            return {
                name: replies.read_value(result, w, key)
                for name, w in zip(names, wanted, strict=True)
            }

        return Plan("read", key, [(_READ, {_ELEMENT: element.uuid, _ATTRIBUTES: wanted})], finish)

    def plan_metadata(self, key: str, element: ElementInfo) -> Plan:
        """The element's metadata; the answer is cached."""

        def finish(packets: list[Success | Failure]) -> ElementMetadata:
            result = self._result(packets[0], "meta_data", key)
            metadata = replies.metadata(result, key)
            self._metadata[element.uuid] = metadata
            return metadata

        params: dict[int, Any] = {
            MetaDataParam.ELEMENT: element.uuid,
            MetaDataParam.ITEMS: replies.METADATA_ITEMS,
        }
        return Plan("meta_data", key, [(Opcode.META_DATA, params)], finish)

    def plan_write(
        self,
        key: str,
        value: Any,
        attribute: str | int | uuid.UUID = "value",
        *,
        element: tuple[ElementInfo, int | uuid.UUID | None] | None = None,
        sub_session: uuid.UUID | None = None,
    ) -> Plan | None:
        """Write *value*, checked against the attribute's access and data type first.

        None if the key needs a look-up or its metadata is not known yet. A value
        that cannot be written raises here (:class:`ReadOnly`, :class:`TypeMismatch`,
        :class:`OutOfRange`, :class:`MissingAttribute`), before anything is sent.
        With *sub_session* (key 3), both the connection and that sub-session must
        be allowed to write.
        """
        found = element if element is not None else self.known(key)
        if found is None:
            return None
        info, wire = found
        metadata = self._metadata.get(info.uuid)
        if metadata is None:
            return None
        wanted = wire if wire is not None else attribute
        attribute_info = metadata.attribute(wanted)
        if attribute_info is None:
            raise missing_attribute(metadata, wanted, "write", key)
        checked = check_write(attribute_info, value, element=key)
        params: dict[int, Any] = {
            WriteParam.ELEMENT: info.uuid,
            WriteParam.ATTRIBUTE: _wire_id(attribute_info),
            WriteParam.VALUE: checked,
        }
        if sub_session is not None:
            params[WriteParam.SUB_SESSION] = sub_session

        def finish(packets: list[Success | Failure]) -> None:
            self._result(packets[0], "write", key)

        return Plan("write", key, [(Opcode.WRITE, params)], finish)

    def plan_write_many(
        self,
        values: Mapping[str, Any],
        *,
        elements: Mapping[str, tuple[ElementInfo, int | uuid.UUID | None]] | None = None,
    ) -> Plan | None:
        """Write each ``{key: value}``, in one message; None if a key needs a look-up
        or its metadata first.

        Every value is checked as :meth:`plan_write` checks it before any plan is
        returned: one value that cannot be written raises here, and nothing is sent.
        Each write succeeds or fails on its own on the server; if any fails,
        ``finish`` raises :class:`~xentara_sync.exceptions.WriteError` naming every
        failed key (its :attr:`~xentara_sync.exceptions.WriteError.errors`), and
        the other keys stay written.
        """
        plans: list[tuple[str, Plan]] = []
        for key, value in values.items():
            found = elements.get(key) if elements is not None else None
            plan = self.plan_write(key, value, element=found)
            if plan is None:
                return None
            plans.append((key, plan))
        keys = [key for key, _ in plans]

        def finish(packets: list[Success | Failure]) -> None:
            errors: dict[str, ServerError] = {
                key: self.server_error(packet, "write", key)
                for key, packet in zip(keys, packets, strict=True)
                if type(packet) is Failure
            }
            if errors:
                details = "; ".join(str(error) for error in errors.values())
                raise WriteError(
                    text=f"{len(errors)} of {len(keys)} writes failed, the others were "
                    f"written: {details}",
                    operation="write_many",
                    errors=errors,
                )

        requests = [plan.requests[0] for _, plan in plans]
        return Plan("write_many", None, requests, finish)

    def plan_subscribe(
        self,
        keys: Sequence[str],
        elements: Sequence[ElementInfo],
        attribute: int | uuid.UUID | Sequence[int | uuid.UUID],
        subscription_id: uuid.UUID,
        maximum_update_interval: int | None,
        minimum_update_interval: int | None,
    ) -> Plan:
        """Subscribe to one attribute of *elements* under *subscription_id* (one key
        for all, or a list of each element's key for it)."""
        wires = attribute if isinstance(attribute, list) else [attribute] * len(elements)
        params: dict[int, Any] = {
            SubscribeParam.ITEMS: [
                {SubscribeItemKey.ELEMENT: element.uuid, SubscribeItemKey.ATTRIBUTES: [wire]}
                for element, wire in zip(elements, wires, strict=True)
            ],
            SubscribeParam.DESIRED_ID: subscription_id,
        }
        if maximum_update_interval:
            params[SubscribeParam.MAXIMUM_UPDATE_RATE] = int(maximum_update_interval)
        if minimum_update_interval:
            params[SubscribeParam.MINIMUM_UPDATE_RATE] = int(minimum_update_interval)
        names = ", ".join(keys)
        return Plan(
            "subscribe",
            names,
            [(Opcode.SUBSCRIBE, params)],
            lambda packets: self._result(packets[0], "subscribe", names),
        )

    def plan_unsubscribe(self, keys: Sequence[str], subscription_id: uuid.UUID) -> Plan:
        """End the subscription *subscription_id*."""
        names = ", ".join(keys)
        return Plan(
            "unsubscribe",
            names,
            [(Opcode.UNSUBSCRIBE, {UnsubscribeParam.SUBSCRIPTION: subscription_id})],
            lambda packets: self._result(packets[0], "unsubscribe", names),
        )

    def plan_server_information(self) -> Plan:
        """Version, user name and model file path of the server."""

        def finish(packets: list[Success | Failure]) -> ServerInfo:
            info = replies.server_info(self._result(packets[0], "server_information", None))
            self.server_info = info
            return info

        params: dict[int, Any] = {ServerInformationParam.ITEMS: replies.SERVER_INFO_ITEMS}
        return Plan("server_information", None, [(Opcode.SERVER_INFORMATION, params)], finish)

    def plan_get_stage(self) -> Plan:
        """The server's operational stage."""
        return Plan(
            "get_stage",
            None,
            [(Opcode.GET_STAGE, None)],
            lambda packets: replies.stage(self._result(packets[0], "get_stage", None)),
        )

    # ------------------------------------------------------------ browse, stages, sub-sessions

    def remember(self, elements: Iterable[ElementInfo]) -> None:
        """Know *elements* by their keys (those outside the root's index): a browsed
        element is then found without a look-up (``client[key]``, reads, writes)."""
        index, outside = self.index, self._outside
        # In C loops: a browse of a whole model remembers 100,000.
        entries = list(elements)
        found = dict(zip(map(_key_of, entries), entries, strict=True))
        if len(index) < len(found):
            for key in index:
                found.pop(key, None)
        else:
            found = {key: info for key, info in found.items() if key not in index}
        outside.update(found)

    def plan_browse(
        self,
        key: str | None = None,
        *,
        depth: int | None = None,
        category: Category | str | Iterable[Category | str] | None = None,
        element: ElementInfo | uuid.UUID | None = None,
    ) -> Plan | None:
        """The descendants of *key*, in the server's order: ``list[ElementInfo]``.

        *key* None is the client's root element, or the model root when it has none.
        *element* names the start without a look-up: its :class:`ElementInfo`, or a
        UUID (:data:`~xentara_sync.protocol.ids.NIL_UUID`: the model root, whatever
        the root element). *depth* None lists every descendant (the reference, §4.3:
        an absent depth means all of them), 1 the children, 2 children and
        grandchildren... *category* (one, or several, as members or names) lists
        only elements of those categories (the filter is the server's: request key
        2). The start element itself is not listed. The elements seen are
        remembered (:meth:`remember`). None if *key* needs a look-up first; bad arguments
        raise here, before anything is sent.

        >>> operations = Operations()
        >>> plan = operations.plan_browse(depth=1, category="data_point")
        >>> opcode, params = plan.requests[0]
        >>> opcode.name, {int(key): value for key, value in params.items()}
        ('BROWSE', {0: UUID('00000000-0000-0000-0000-000000000000'), 1: 1, 2: [2]})
        """
        params: dict[int, Any] = {}
        if depth is not None:
            params[BrowseParam.DEPTH] = check.count(
                depth, "depth", maximum=check.UINT32_MAX, unit="1: the children; None: every level"
            )
        categories = _categories(category)
        if categories is not None:
            params[BrowseParam.CATEGORIES] = categories
        if element is not None:
            start = element if isinstance(element, uuid.UUID) else element.uuid
        elif key is None:
            start = self.root.uuid if self.root is not None else NIL_UUID
            key = self.root.key if self.root is not None else None
        else:
            found = self.known(key)
            if found is None:
                return None
            if found[1] is not None:  # "Element.quality": an attribute, not an element
                raise self.unknown(key, "browse")
            start = found[0].uuid
        name = key

        def finish(packets: list[Success | Failure]) -> list[ElementInfo]:
            entries = list(replies.browse_entries(self._result(packets[0], "browse", name)))
            self.remember(entries)
            return entries

        return Plan(
            "browse", name, [(Opcode.BROWSE, {BrowseParam.ELEMENT: start, **params})], finish
        )


_key_of: Final = operator.attrgetter("key")


def attribute_list(
    attributes: Iterable[str | int | uuid.UUID],
) -> list[str | int | uuid.UUID]:
    """The attributes of ``read_attributes``: a list (or other iterable) of names,
    numbers or UUIDs, not one of them.

    >>> attribute_list(5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xentara_sync.exceptions.InvalidArgument: attributes must be a list of attributes ...
    """
    if isinstance(attributes, (str, uuid.UUID)) or not isinstance(attributes, Iterable):
        raise InvalidArgument(
            "attributes must be a list of attributes (names, ints or UUIDs) or None, "
            f"not {type(attributes).__name__} {quote(attributes)}"
        )
    return list(attributes)


def _wire_id(info: AttributeInfo) -> int | uuid.UUID:
    if isinstance(info.id, uuid.UUID):
        well_known = Attribute.from_key(info.id)
        if well_known is not None:
            return int(well_known)
    return info.id


def _categories(
    category: Category | str | Iterable[Category | str] | None,
) -> list[int] | None:
    """The wire form of browse's category filter: None, or a non-empty list."""
    if category is None:
        return None
    if isinstance(category, (str, int)):
        return [int(Category.parse(category))]
    if not isinstance(category, Iterable):
        raise InvalidArgument(
            "category must be a Category, its name, several of them, or None, "
            f"not {type(category).__name__} {quote(category)}"
        )
    wanted = [int(Category.parse(c)) for c in category]
    if not wanted:
        raise InvalidArgument("category: name at least one category, or None for every one")
    return wanted
