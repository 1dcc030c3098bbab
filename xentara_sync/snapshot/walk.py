"""The walk that makes a twin's model of its elements (:meth:`.twin.TwinBuilder.model`). Sans I/O.

Elements come in model order; each one's parent is the nearest element before it
whose primary key starts its own. Most of a big twin is usual registers: leaves
of a group whose value is a bool, int, str or finite float, with nothing more to
copy or replay. Rendered (``render`` given), each of them is
its JSON text, made here without a model object; what decides that a register
is usual and what its text holds besides its name, UUID and value depends on its
value's kind and its attribute list alone, so it is found once for each pair of
them (:meth:`~.twin.TwinBuilder._usual`), not once for each register.
"""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import Any, Final, Protocol

from ..protocol import Category
from ..protocol.index import ElementInfo
from .lists import REGISTER_TYPE, Listed

__all__ = ["Render", "build_model"]

_MISSING: Final[Any] = object()
_INF: Final = float("inf")
#: The text of a usual register's value, by its type (a float's if finite).
_TEXTS: Final[dict[type, Any]] = {
    bool: ("false", "true").__getitem__,
    int: int.__repr__,
    float: float.__repr__,
    str: encode_basestring,
}
#: The text of a register line before its name.
_HEAD: Final = f'{{"{REGISTER_TYPE}": {{"name": '
#: A usual register's line: the text before its value, after it, its kind.
Usual = tuple[str, str, tuple[str, str | None]]
_DATA_POINT: Final = Category.DATA_POINT


class Render(Protocol):
    """What :meth:`.twin.TwinBuilder.model` hands each plain register to: it returns
    the text that stands for the register in the model (see :func:`~.driver.twin_text`)."""

    def __call__(self, key: str, item: dict[str, Any]) -> str:
        """The JSON text of the register *key*, *item* (``{REGISTER_TYPE: settings}``)."""

    def line(self, key: str, kind: tuple[str, str | None], text: str) -> str:
        """The register *key* of *kind* (its data type name and ``access``), already
        the JSON text *text* of its item."""


class _Node:
    """One element of the twin: its model object and where its children go."""

    __slots__ = ("body", "children", "group", "info", "ok", "prefix")

    def __init__(self, info: ElementInfo, body: dict[str, Any]) -> None:
        self.info = info
        self.body = body
        self.children: list[Any] = []
        self.ok = True
        #: Whether it is a ``@Group`` (whose plain registers may be rendered).
        self.group = False
        #: What the keys of its descendants start with.
        self.prefix = info.key + "."


def build_model(twin: Any, render: Render | None) -> dict[str, Any]:
    """:meth:`.twin.TwinBuilder.model` of *twin* (a :class:`~.twin.TwinBuilder`,
    which imports this module)."""
    from ..simulator.rules import NAME_PATTERN

    named = NAME_PATTERN.match
    skipped = twin.skipped
    body_of = twin._body
    types_get, values_get, lists_get = twin._types.get, twin._values.get, twin._lists.get
    read, replays = twin._read, twin._replays
    texts_get = _TEXTS.get
    # (value kind, attribute list) -> its registers' line parts, or None.
    usual_of: dict[tuple[Any, Listed | None], Usual | None] = {}
    line = render.line if render is not None else None
    top: list[Any] = []
    # The elements whose descendants are still to come. In model order an
    # element's first descendant follows it at once: an element without one
    # next is a leaf, and needs no node (most of a big twin).
    stack: list[_Node] = []
    elements = twin.elements
    after = [*elements[1:], None]
    # Names repeat from group to group: each distinct one is matched once.
    valid: set[str] = set()
    parent: _Node | None = None
    siblings = top
    for element, following in zip(elements, after, strict=True):
        key = element.key
        if stack and not key.startswith(stack[-1].prefix):
            while stack and not key.startswith(stack[-1].prefix):
                stack.pop()
            parent = stack[-1] if stack else None
            siblings = top if parent is None else parent.children
        name = key[len(parent.prefix) :] if parent is not None else key
        leaf = not (
            following is not None
            and following.key.startswith(".", len(key))
            and following.key.startswith(key)
        )
        made = None
        if parent is not None and not parent.ok:
            skipped.setdefault(key, f"its parent {parent.info.key!r} is left out")
        elif key in skipped:
            pass
        elif name not in valid and named(name) is None:
            # As "Bus.[Slot" under "Bus": no name of a model file is so.
            skipped[key] = f"its name {name!r} is no name of a model file"
        else:
            valid.add(name)
            if (
                line is not None
                and leaf
                and element.category == _DATA_POINT
                and (parent is None or parent.group)
            ):
                # Most of a big twin: a register as its line, without an object.
                number = element.uuid.int
                found = types_get(number)
                listed = lists_get(number)
                pair = (found, listed)
                usual = usual_of.get(pair, _MISSING)
                if usual is _MISSING:
                    usual = usual_of[pair] = twin._usual(found, listed)
                if usual is not None:
                    value = values_get(number, _MISSING)
                    to_text = texts_get(type(value))
                    if (
                        to_text is not None
                        and (type(value) is not float or -_INF < value < _INF)
                        and number not in read
                        and not (replays and number in replays)
                    ):
                        if parent is not None and not siblings:
                            parent.body["children"] = siblings
                        text = f"{number:032x}"
                        siblings.append(
                            line(
                                key,
                                usual[2],
                                f"{_HEAD}{encode_basestring(name)}, "
                                f'"UUID": "{text[:8]}-{text[8:12]}-{text[12:16]}-'
                                f"{text[16:20]}-{text[20:]}{usual[0]}{to_text(value)}{usual[1]}",
                            )
                        )
                        continue
            made = body_of(element, name)
        if made is not None:
            if parent is not None and not siblings:
                parent.body["children"] = siblings
            item: Any = {made[0]: made[1]}
            if (
                render is not None
                and leaf
                and made[0] == REGISTER_TYPE
                and (parent is None or parent.group)
                and (len(made[1]) == 3 or (len(made[1]) == 4 and "access" in made[1]))
            ):
                item = render(key, item)
            siblings.append(item)
        if not leaf:
            parent = _Node(element, made[1] if made is not None else {})
            parent.ok = made is not None
            parent.group = made is not None and made[0] == "@Group"
            stack.append(parent)
            siblings = parent.children
    return {"children": top}
