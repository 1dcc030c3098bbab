"""The commands of the Xentara WebSocket API, as a session answers them.

Each command of :class:`Commands` takes the parameters of one request and returns
its result, or raises :class:`~.params.Fail` for an error packet. The policy where
the Xentara reference is silent (rights, sub-sessions, stages, subscriptions) is
described in :mod:`.engine`, whose :class:`~.engine.Session` dispatches requests
to these commands.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from enum import IntEnum
from typing import Any, Final, TypeVar

import cbor2

from ..protocol import (
    NIL_UUID,
    PROTOCOL_VERSION,
    BrowseParam,
    Category,
    CheckAccessResult,
    ClientHelloParam,
    ClientHelloResult,
    ErrorCode,
    LookupParam,
    MetaData,
    MetaDataParam,
    Opcode,
    PasswordKey,
    ReadParam,
    ServerInformation,
    ServerInformationParam,
    SessionParam,
    SubscribeItemKey,
    SubscribeParam,
    SubSessionParam,
    UnsubscribeParam,
    WriteParam,
    fault,
    wrap,
)
from ..protocol.quoting import quote
from ..protocol.tags import TAG_PASSWORD
from .attributes import FIRST_CONSTANT
from .datatypes import Rejected, coerce
from .elements import Element, Watch
from .params import (
    Fail,
    Params,
    attribute_key,
    get,
    get_uuid,
    invalid,
    invalid_parameter,
    is_int,
    optional_uuid,
    rate,
)
from .shared import Engine
from .subscriptions import Subscription
from .users import User, rights

__all__ = ["Commands"]

E = ErrorCode

# The tags of authentication information, which protocol.tags does not name.


class _AuthTag(IntEnum):
    """Tags of ``create_sub_session``'s authentication information."""

    OAUTH = 121
    CERTIFICATE = 122
    PASSWORD = TAG_PASSWORD


_AUTH_TAGS: Final = frozenset(_AuthTag)

#: A credential of ``create_sub_session``: an access token or a certificate.
_C = TypeVar("_C", str, bytes)


def _credential(auth: cbor2.CBORTag, kind: type[_C], form: str) -> _C:
    """The credential of *auth*, which must hold *form*: a non-empty *kind* under key 0."""
    body = auth.value
    if not isinstance(body, Mapping) or not isinstance(body.get(0), kind) or not body[0]:
        raise invalid(f"tag {int(auth.tag)} must hold {form}")
    credential: _C = body[0]
    return credential


class Commands:
    """The command handlers of a session (the base of :class:`~.engine.Session`).

    Each handler takes a request's parameters (``None`` if it has none) and returns
    the result; the session's state, below, is set up by the session.
    """

    #: The simulated Xentara the session belongs to.
    engine: Engine
    #: The connection's user (``None`` without configured users).
    user: User | None
    #: Called when events become due.
    wake: Callable[[], None]
    #: Whether ``client_hello`` succeeded.
    hello: bool
    subscriptions: dict[uuid.UUID, Subscription]
    #: The sub-sessions by id, with their users.
    sub_sessions: dict[uuid.UUID, User | None]
    #: Callbacks to run once the response of the current message is sent.
    _after: list[Callable[[], None]]

    # ----------------------------------------------------------------- helpers

    def _element(self, element_uuid: uuid.UUID) -> Element:
        element = self.engine.model.by_uuid.get(element_uuid)
        if element is None:
            raise Fail(E.UNKNOWN_ELEMENT, f"unknown element {element_uuid}")
        return element

    def _sub_session_user(self, params: Params, key: int) -> User | None:
        session_id = optional_uuid(params, key, "sub-session id")
        if session_id is None:
            return self.user
        if session_id not in self.sub_sessions:
            raise Fail(E.UNKNOWN_SESSION, f"unknown session Id {session_id}")
        return self.sub_sessions[session_id]

    def _require_read(self) -> None:
        if self.user is not None and not self.user.read:
            raise Fail(E.ACCESS_DENIED, f"access denied: user {self.user.name!r} may not read")

    def _require_write(self, params: Params, key: int) -> None:
        _, write = rights((self.user, self._sub_session_user(params, key)))
        if not write:
            raise Fail(E.ACCESS_DENIED, "access denied: no write right")

    # ----------------------------------------------------------------- commands

    def client_hello(self, params: Params) -> Any:
        if self.hello:
            raise Fail(E.DUPLICATE_CLIENT_HELLO)
        low = get(params, ClientHelloParam.MINIMUM_VERSION, "minimum_protocol_version")
        high = get(params, ClientHelloParam.MAXIMUM_VERSION, "maximum_protocol_version")
        if not is_int(low) or not is_int(high) or low < 0 or high < 0:
            raise invalid("protocol versions must be unsigned integers")
        if low > high:
            raise invalid("minimum protocol version is above the maximum")
        if not low <= PROTOCOL_VERSION <= high:
            raise invalid(f"unsupported protocol version: this server speaks {PROTOCOL_VERSION}")
        self.hello = True
        return {ClientHelloResult.VERSION: PROTOCOL_VERSION}

    def server_information(self, params: Params) -> Any:
        items = get(params, ServerInformationParam.ITEMS, "server_information_ids")
        if not isinstance(items, list):
            raise invalid_parameter(
                ServerInformationParam.ITEMS, "server_information_ids", "must be an array"
            )
        engine = self.engine
        known = {
            ServerInformation.VERSION: engine.version,
            ServerInformation.USER_NAME: engine.account,
            ServerInformation.MODEL_FILE_PATH: engine.model.path,
        }
        result = {}
        for item in items:
            if not is_int(item) or item not in known:
                raise invalid(f"invalid server information identifier {quote(item)}")
            result[item] = known[item]
        return result

    def browse(self, params: Params) -> Any:
        start = get_uuid(params, BrowseParam.ELEMENT, "element_uuid")
        assert params is not None
        model = self.engine.model
        element = model.root if start == NIL_UUID else self._element(start)
        depth = params.get(BrowseParam.DEPTH)
        if depth is not None and (not is_int(depth) or depth < 0):
            raise invalid_parameter(BrowseParam.DEPTH, "depth", "must be an unsigned integer")
        categories = params.get(BrowseParam.CATEGORIES)
        wanted: set[int] | None = None
        if categories is not None:
            if not isinstance(categories, list) or not all(is_int(c) for c in categories):
                raise invalid_parameter(
                    BrowseParam.CATEGORIES, "element_category", "must be an array of integers"
                )
            wanted = set(categories)
        if depth is None:
            elements = model.elements if element is model.root else element.descendants()
            if wanted is None:
                return model.full_browse() if element is model.root else [e.entry for e in elements]
            return [e.entry for e in elements if e.category in wanted]
        return [e.entry for e in element.walk(depth) if wanted is None or e.category in wanted]

    def meta_data(self, params: Params) -> Any:
        start = get_uuid(params, MetaDataParam.ELEMENT, "element_uuid")
        items = get(params, MetaDataParam.ITEMS, "identifiers")
        model = self.engine.model
        element = model.root if start == NIL_UUID else self._element(start)
        if not isinstance(items, list):
            raise invalid_parameter(MetaDataParam.ITEMS, "identifiers", "must be an array")
        result: dict[int, Any] = {}
        for item in items:
            answer = _META_DATA.get(item) if is_int(item) else None
            if answer is None:
                raise invalid("invalid meta data identifier")
            result[item] = answer(element)
        return result

    def lookup(self, params: Params) -> Any:
        key = get(params, LookupParam.PRIMARY_KEY, "primary_key")
        if not isinstance(key, str) or not key:
            raise invalid_parameter(
                LookupParam.PRIMARY_KEY, "primary_key", "must be a non-empty text string"
            )
        element = self.engine.model.by_key.get(key)
        if element is None:
            raise Fail(E.UNKNOWN_ELEMENT, f"unknown element {quote(key)}")
        return element.uuid

    def read(self, params: Params) -> Any:
        element = self._element(get_uuid(params, ReadParam.ELEMENT, "element_uuid"))
        keys = get(params, ReadParam.ATTRIBUTES, "attribute_ids")
        if not isinstance(keys, list):
            raise invalid_parameter(ReadParam.ATTRIBUTES, "attribute_ids", "must be an array")
        self._require_read()
        by_key = element.table.by_key
        result: dict[Any, Any] = {}
        for key in keys:
            attribute = by_key.get(attribute_key(key))
            if attribute is None:
                result[key] = _MISSING
            else:
                result[key] = wrap(element.get(attribute))
        return result

    def write(self, params: Params) -> Any:
        element = self._element(get_uuid(params, WriteParam.ELEMENT, "element_uuid"))
        key = attribute_key(get(params, WriteParam.ATTRIBUTE, "attribute_id"))
        value = get(params, WriteParam.VALUE, "attribute_value")
        attribute = element.table.by_key.get(key)
        if attribute is None:
            raise Fail(E.MISSING_ATTRIBUTE, f"{element.key} has no attribute {quote(key)}")
        self._require_write(params, WriteParam.SUB_SESSION)
        if not element.table.access[attribute].writable:
            raise Fail(E.READ_ONLY, f"{element.key}: attribute {quote(key)} is read only")
        point = element.point
        constant = attribute >= FIRST_CONSTANT
        data_type = element.table.types[attribute] if constant or point is None else point.data_type
        try:
            stored = coerce(data_type, value)
        except Rejected as exc:
            raise Fail(exc.code, exc.text) from None
        if constant:  # an attribute a twin copied as writable: it holds what it is given
            assert element.constants is not None
            element.constants[attribute] = stored
        else:
            assert point is not None
            point.store(stored, written=True)
        return None

    def subscribe(self, params: Params) -> Any:
        items = get(params, SubscribeParam.ITEMS, "subscription_array")
        assert params is not None
        if not isinstance(items, list) or not items:
            raise invalid_parameter(
                SubscribeParam.ITEMS, "subscription_array", "must be a non-empty array"
            )
        throttle = rate(params, SubscribeParam.MAXIMUM_UPDATE_RATE, "maximum_update_rate")
        heartbeat = rate(params, SubscribeParam.MINIMUM_UPDATE_RATE, "minimum_update_rate")
        desired = optional_uuid(params, SubscribeParam.DESIRED_ID, "desired_subscription_id")
        if desired == NIL_UUID:
            raise invalid_parameter(
                SubscribeParam.DESIRED_ID, "desired_subscription_id", "must not be the nil UUID"
            )
        self._require_read()
        plan: list[tuple[Element, list[tuple[int | uuid.UUID, int]]]] = []
        missing: object = None
        for item in items:
            if not isinstance(item, Mapping):
                raise invalid("subscription entries must be maps {0: element, 1: [attributes]}")
            element = self._element(get_uuid(item, SubscribeItemKey.ELEMENT, "element_uuid"))
            keys = get(item, SubscribeItemKey.ATTRIBUTES, "attribute_ids")
            if not isinstance(keys, list) or not keys:
                raise invalid(
                    f"entry key {int(SubscribeItemKey.ATTRIBUTES)} (attribute_ids) "
                    "must be a non-empty array"
                )
            by_key = element.table.by_key
            pairs: list[tuple[int | uuid.UUID, int]] = []
            for key in keys:
                # An attribute the element lacks is left out: the official UI subscribes
                # one attribute list for elements of several kinds (see .engine).
                attribute = by_key.get(attribute_key(key))
                if attribute is not None:
                    pairs.append((key, attribute))
                else:
                    missing = key
            if pairs:
                plan.append((element, pairs))
        if not plan:
            raise Fail(
                E.MISSING_ATTRIBUTE,
                f"no element of the subscription has attribute {quote(missing)}: "
                "nothing to subscribe to",
            )
        subscription_id = desired if desired is not None else uuid.uuid4()
        old = self.subscriptions.pop(subscription_id, None)
        if old is not None:
            old.detach()
        subscription = Subscription(self, subscription_id, throttle, heartbeat)
        for element, pairs in plan:
            watch = Watch(subscription, element, pairs)
            subscription.watches.append(watch)
            if element.point is not None:
                element.point.add_watch(watch)
        self.subscriptions[subscription_id] = subscription
        self._after.append(subscription.activate)
        return subscription_id

    def unsubscribe(self, params: Params) -> Any:
        subscription_id = get_uuid(params, UnsubscribeParam.SUBSCRIPTION, "subscription_id")
        subscription = self.subscriptions.pop(subscription_id, None)
        if subscription is None:
            raise Fail(E.UNKNOWN_SUBSCRIPTION, f"unknown subscription Id {subscription_id}")
        subscription.detach()
        return None

    def get_stage(self, params: Params) -> Any:
        return int(self.engine.stage)

    def _stage_command(self, params: Params, opcode: Opcode) -> None:
        self._require_write(params, SessionParam.SESSION)
        self.engine.change_stage(opcode)
        if opcode == Opcode.SHUTDOWN and self.engine.on_shutdown is not None:
            self._after.append(self.engine.on_shutdown)

    def resume(self, params: Params) -> Any:
        self._stage_command(params, Opcode.RESUME)

    def suspend(self, params: Params) -> Any:
        self._stage_command(params, Opcode.SUSPEND)

    def shutdown(self, params: Params) -> Any:
        if not self.engine.allow_shutdown:
            raise Fail(
                E.ACCESS_DENIED,
                "access denied: this simulator does not allow shutdown by clients "
                "(start it with --allow-shutdown, or Simulator(allow_shutdown=True))",
            )
        self._stage_command(params, Opcode.SHUTDOWN)

    def create_sub_session(self, params: Params) -> Any:
        auth = get(params, SubSessionParam.AUTHENTICATION, "authentication_information")
        assert params is not None
        desired = optional_uuid(params, SubSessionParam.DESIRED_ID, "desired_session_id")
        if desired == NIL_UUID:
            raise invalid_parameter(
                SubSessionParam.DESIRED_ID, "desired_session_id", "must not be the nil UUID"
            )
        if not isinstance(auth, cbor2.CBORTag) or auth.tag not in _AUTH_TAGS:
            raise invalid(
                f"parameter {int(SubSessionParam.AUTHENTICATION)} must be tag "
                f"{int(_AuthTag.OAUTH)} (OAuth), {int(_AuthTag.CERTIFICATE)} (certificate) "
                f"or {int(_AuthTag.PASSWORD)} (password)"
            )
        user = self._login(auth)
        session_id = desired if desired is not None else uuid.uuid4()
        self.sub_sessions[session_id] = user
        return session_id

    def _login(self, auth: cbor2.CBORTag) -> User | None:
        """The user *auth* (tag 121, 122 or 123) logs in; raises -32102 if none.

        Without configured users everyone may log in (the user is then ``None``),
        except with a certificate on a connection without TLS, which is refused.
        """
        body = auth.value
        engine = self.engine
        if auth.tag == _AuthTag.OAUTH:
            token = _credential(auth, str, "{0: access token} as a text string")
            return self._user(engine.authenticate_token, token, "unknown OAuth access token")
        if auth.tag == _AuthTag.CERTIFICATE:
            certificate = _credential(auth, bytes, "{0: certificate} as a byte string (DER)")
            if not engine.tls:
                raise Fail(
                    E.ACCESS_DENIED,
                    "access denied: certificate authentication needs a TLS connection "
                    "(serve wss://: Simulator(certfile=..., keyfile=...))",
                )
            return self._user(
                engine.authenticate_certificate, certificate, "no user has this certificate"
            )
        if (
            not isinstance(body, Mapping)
            or not isinstance(body.get(PasswordKey.USER), str)
            or not isinstance(body.get(PasswordKey.PASSWORD), str)
        ):
            raise invalid(
                f"tag {int(_AuthTag.PASSWORD)} must hold {{{int(PasswordKey.USER)}: user name, "
                f"{int(PasswordKey.PASSWORD)}: password}} as text strings"
            )
        accepted, user = engine.authenticate_sub_session(
            body[PasswordKey.USER], body[PasswordKey.PASSWORD]
        )
        if not accepted:
            raise Fail(E.ACCESS_DENIED, "access denied: wrong user name or password")
        return user

    def _user(
        self, authenticate: Callable[[_C], User | None], credential: _C, unknown: str
    ) -> User | None:
        """The user ``authenticate(credential)`` finds (``None`` without configured
        users); raises -32102 (access denied: *unknown*) if none.
        """
        if not self.engine.users:
            return None
        user = authenticate(credential)
        if user is None:
            raise Fail(E.ACCESS_DENIED, f"access denied: {unknown}")
        return user

    def close_sub_session(self, params: Params) -> Any:
        session_id = get_uuid(params, SessionParam.SESSION, "session_id")
        if self.sub_sessions.pop(session_id, _ABSENT) is _ABSENT:
            raise Fail(E.UNKNOWN_SESSION, f"unknown session Id {session_id}")
        return None

    def check_access(self, params: Params) -> Any:
        session_id = get_uuid(params, SessionParam.SESSION, "sub_session_id")
        if session_id not in self.sub_sessions:
            raise Fail(E.UNKNOWN_SESSION, f"unknown session Id {session_id}")
        read, write = rights((self.user, self.sub_sessions[session_id]))
        return {CheckAccessResult.READ: read, CheckAccessResult.WRITE: write}


_META_DATA: Final[dict[int, Callable[[Element], Any]]] = {
    MetaData.PRIMARY_KEY: lambda element: element.key,
    MetaData.CATEGORY: lambda element: int(element.category),
    # The model root has no attributes.
    MetaData.ATTRIBUTES: lambda element: (
        [] if element.category is Category.ROOT else element.table.metadata
    ),
    MetaData.HAS_CHILDREN: lambda element: bool(element.children),
}
_ABSENT: Final = object()
_MISSING: Final = fault(E.MISSING_ATTRIBUTE)
