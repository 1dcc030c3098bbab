"""JSON text of any depth: a twin of a tree a thousand levels deep nests its JSON
three thousand levels deep, beyond what :func:`json.loads` takes (it recurses, and
raises :exc:`RecursionError`). :func:`loads` then parses it again with an explicit
stack; the result is the same.

>>> loads('{"children": [{"@Group": {"name": "G", "children": []}}]}')
{'children': [{'@Group': {'name': 'G', 'children': []}}]}
>>> deep = '{"a": ' * 5000 + "1" + "}" * 5000
>>> value = loads(deep)
>>> for _ in range(5000):
...     value = value["a"]
>>> value
1
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["loads"]

_SPACE = re.compile(r"[ \t\n\r]*")
_SCALARS = json.JSONDecoder()


def loads(text: str) -> Any:
    """:func:`json.loads`, for any depth of nesting."""
    try:
        return json.loads(text)
    except RecursionError:
        pass
    try:
        return _loads(text)
    except IndexError:
        raise json.JSONDecodeError("unexpected end of the text", text, len(text)) from None


def _key(text: str, pos: int) -> tuple[str, int]:
    """A member's key and the position of its value."""
    if text[pos] != '"':
        raise json.JSONDecodeError("expected a key in double quotes", text, pos)
    key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
    pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
    if text[pos] != ":":
        raise json.JSONDecodeError("expected ':'", text, pos)
    return key, _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]


def _loads(text: str) -> Any:
    space = _SPACE.match
    stack: list[list[Any]] = []  # [container, key of the member being read]
    pos = space(text, 0).end()  # type: ignore[union-attr]
    while True:
        char = text[pos]
        value: Any
        if char == "{":
            pos = space(text, pos + 1).end()  # type: ignore[union-attr]
            if text[pos] != "}":
                key, pos = _key(text, pos)
                stack.append([{}, key])
                continue
            value, pos = {}, pos + 1
        elif char == "[":
            pos = space(text, pos + 1).end()  # type: ignore[union-attr]
            if text[pos] != "]":
                stack.append([[], None])
                continue
            value, pos = [], pos + 1
        else:
            value, pos = _SCALARS.raw_decode(text, pos)  # a string, number or literal
        while True:  # put the value in its container; close those that end here
            pos = space(text, pos).end()  # type: ignore[union-attr]
            if not stack:
                if pos != len(text):
                    raise json.JSONDecodeError("extra data", text, pos)
                return value
            entry = stack[-1]
            container = entry[0]
            if type(container) is dict:
                container[entry[1]] = value
            else:
                container.append(value)
            if text[pos] == ",":
                pos = space(text, pos + 1).end()  # type: ignore[union-attr]
                if type(container) is dict:
                    entry[1], pos = _key(text, pos)
                break
            if text[pos] != ("}" if type(container) is dict else "]"):
                raise json.JSONDecodeError("expected ',' or the end of the container", text, pos)
            value, pos = container, pos + 1
            stack.pop()
