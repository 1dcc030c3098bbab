"""The rules a model file follows to load, written once as a table.

They are those of Xentara's model schema (``schema-xentara-model.json``, the
``$schema`` that model files name) for what the simulator reads:

- the file is a JSON object that holds a ``"children"`` list, and at its top level
  nothing but ``"$schema"``, ``"ACL"`` and ``"children"``;
- each element is an object with one key, its type (``{"@Group": {...}}``),
  whose value is an object: the element's settings;
- every element has a ``"name"`` (:data:`NAME_PATTERN`: no ``.``, unless the whole
  name is in brackets, ``"[a.b]"``) and a ``"UUID"`` (RFC 4122 text); the older
  spellings ``"id"`` and ``"uuid"`` are accepted for them;
- the settings each element type requires (:data:`SETTINGS`): a register's
  ``"defaultValue"``, a data point's ``"io"``, a signal's ``"dataType"``,
  ``"top"``, ``"bottom"`` and ``"waveForm"``, each of the shape the table gives.

:func:`broken_rule` checks the settings of one element against the table and
returns the first rule they break, in words, or None. What only the whole model
can tell (a primary key or UUID used twice, an ``io`` that names no element) is
checked by :mod:`.model` as it builds the model.

>>> text = "5b8a3c1e-0f2d-4e6a-9c7b-1d2e3f405162"
>>> broken_rule("@Group", {"name": "Plant", "UUID": text})
>>> print(broken_rule("@Group", {"name": "Plant.Hall", "UUID": text}))
"name" must be a name without "." (or one in brackets, "[a.b]"), not 'Plant.Hall'
>>> print(broken_rule("@Skill.SignalFlow.Register", {"id": "R", "uuid": text}))
a @Skill.SignalFlow.Register needs "defaultValue"
>>> print(broken_rule("@DataPoint", {"name": "P", "UUID": text, "io": {"in": "R"}}))
"io" must be a primary key or {"input": KEY, "output": KEY} (one or both), not {'in': 'R'}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

__all__ = [
    "NAME_PATTERN",
    "SETTINGS",
    "TOP_LEVEL",
    "Setting",
    "Shape",
    "broken_rule",
]

#: What a name matches (the schema's ``nameType``): one segment of a primary key.
NAME_PATTERN: Final = re.compile(r"^([^\[\.][^\.]*|\[[^\]]*\])$")
#: A UUID as RFC 4122 text (the schema's ``"format": "uuid"``).
_UUID_PATTERN: Final = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z")
#: The keys the top level of a model file may hold.
TOP_LEVEL: Final = ("$schema", "ACL", "children")
#: The wave forms of a signal.
WAVE_FORMS: Final = ("@Pulse", "@SineWave", "@Triangle", "@SawTooth", "@Noise")


class Shape(NamedTuple):
    """What a setting must hold: *what* in words (for the message), *test* the check."""

    what: str
    test: Callable[[Any], bool]


class Setting(NamedTuple):
    """A setting of an element: its *name* as the schema spells it, the *spellings*
    accepted (the schema's first, older ones after), whether it is *required*, and
    the :class:`Shape` of its value."""

    name: str
    spellings: tuple[str, ...]
    required: bool
    shape: Shape


def _is_name(value: object) -> bool:
    return isinstance(value, str) and NAME_PATTERN.match(value) is not None


def _is_uuid(value: object) -> bool:
    return isinstance(value, str) and _UUID_PATTERN.match(value) is not None


def _is_key(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_io(value: object) -> bool:
    if _is_key(value):
        return True
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(side in ("input", "output") and _is_key(key) for side, key in value.items())
    )


def _is_typed_value(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], (bool, int, float, str))
    )


def _is_number(value: object) -> bool:
    return isinstance(value, (bool, int, float))


def _is_wave_form(value: object) -> bool:
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    ((form, body),) = value.items()
    return form in WAVE_FORMS and isinstance(body, Mapping)


NAME: Final = Shape('a name without "." (or one in brackets, "[a.b]")', _is_name)
UUID_TEXT: Final = Shape("a UUID as RFC 4122 text", _is_uuid)
LIST: Final = Shape("a list", lambda value: isinstance(value, list))
TEXT: Final = Shape("text", lambda value: isinstance(value, str))
NUMBER: Final = Shape("a number (or true or false)", _is_number)
TYPED_VALUE: Final = Shape('[data type, value], such as ["int64", 0]', _is_typed_value)
IO: Final = Shape('a primary key or {"input": KEY, "output": KEY} (one or both)', _is_io)
WAVE_FORM: Final = Shape(f"one wave form object ({', '.join(WAVE_FORMS)})", _is_wave_form)

#: The settings of every element, then those of each element type (by its name in
#: lower case; Xentara's type names are case sensitive, the simulator's are not).
SETTINGS: Final[Mapping[str, tuple[Setting, ...]]] = {
    "*": (
        Setting("name", ("name", "id"), True, NAME),
        Setting("UUID", ("UUID", "uuid"), True, UUID_TEXT),
        Setting("children", ("children",), False, LIST),
    ),
    "@skill.signalflow.register": (Setting("defaultValue", ("defaultValue",), True, TYPED_VALUE),),
    "@datapoint": (
        Setting("io", ("io",), True, IO),
        Setting("units", ("units",), False, TEXT),
        Setting("displayName", ("displayName",), False, TEXT),
    ),
    "@skill.signalgenerator.signal": (
        Setting("dataType", ("dataType",), True, TEXT),
        Setting("top", ("top",), True, NUMBER),
        Setting("bottom", ("bottom",), True, NUMBER),
        Setting("waveForm", ("waveForm",), True, WAVE_FORM),
    ),
}
_COMMON: Final = SETTINGS["*"]
_NONE: Final[tuple[Setting, ...]] = ()


def setting(settings: Mapping[str, Any], spellings: tuple[str, ...]) -> Any:
    """The value of the first of *spellings* that *settings* holds (None if none)."""
    for spelling in spellings:
        if spelling in settings:
            return settings[spelling]
    return None


def broken_rule(element_type: str, settings: Mapping[str, Any]) -> str | None:
    """The first rule of :data:`SETTINGS` that an element of *element_type* with
    *settings* breaks, in words; None if it breaks none."""
    for rules in (_COMMON, SETTINGS.get(element_type.lower(), _NONE)):
        for rule in rules:
            for spelling in rule.spellings:
                if spelling in settings:
                    value = settings[spelling]
                    break
            else:
                if rule.required:
                    older = rule.spellings[1:]
                    also = f' (or the older "{older[0]}")' if older else ""
                    return f'a {element_type} needs "{rule.name}"{also}'
                continue
            if not rule.shape.test(value):
                return f'"{spelling}" must be {rule.shape.what}, not {value!r:.60}'
    return None
