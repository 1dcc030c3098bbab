"""The checks of a twin before it is written: elements a twin cannot hold are left
out (:func:`refuse_unfit`; values that do not match their metadata:
:func:`refuse_mismatched_values`, which also notes the values proven valid for
the loader), and the plain registers are split from the rest so that each is
checked alone (:func:`split_plain_registers`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ..protocol import AttributeFault, DataType, TimePoint
from .twin import _INF, _MISSING, REGISTER_TYPE, TYPE_NAMES, TwinBuilder

__all__ = [
    "refuse_mismatched_values",
    "refuse_unfit",
    "split_plain",
    "split_plain_registers",
    "without_lines",
]


def refuse_unfit(twin: TwinBuilder, root: str | None) -> None:
    """Leave out (in :attr:`TwinBuilder.skipped`, with why) the elements that a twin
    cannot hold, as an odd server may list them: a name with a NUL character or an
    empty name, a UUID or primary key listed before, a key outside *root* (the
    snapshot's root; None: the whole model). Their descendants follow them out.

    >>> import uuid
    >>> from xentara_sync.protocol import Category
    >>> from xentara_sync.protocol.index import ElementInfo
    >>> twin = TwinBuilder([ElementInfo("A", uuid.UUID(int=1), Category.ELEMENT_GROUP),
    ...                     ElementInfo("A.B", uuid.UUID(int=1), Category.ELEMENT_GROUP),
    ...                     ElementInfo("Z", uuid.UUID(int=3), Category.ELEMENT_GROUP)])
    >>> refuse_unfit(twin, "A")
    >>> for key, reason in twin.skipped.items():
    ...     print(key, "-", reason)
    A.B - its UUID 00000000-0000-0000-0000-000000000001 is 'A''s as well
    Z - it is not below the root 'A'
    """
    if _all_fit(twin, root):
        return
    uuids: dict[int, str] = {}  # by the UUID's integer: a UUID hashes in Python code
    keys: set[str] = set()
    above = set()
    if root:
        parts = root.split(".")
        above = {".".join(parts[:n]) for n in range(1, len(parts))}
    below = f"{root}."
    for element in twin.elements:
        key = element.key
        number = element.uuid.int
        reason = None
        if "\x00" in key:
            reason = f"a NUL character in its key {key!r}"
        elif not key or "" in key.split("."):
            reason = "an empty name"
        elif key in keys:
            reason = "its primary key is listed twice"
        elif not number:
            reason = "the nil UUID, which stands for the model root"
        elif number in uuids:
            reason = f"its UUID {element.uuid} is {uuids[number]!r}'s as well"
        elif root and key != root and key not in above and not key.startswith(below):
            reason = f"it is not below the root {root!r}"
        keys.add(key)
        if reason is not None:
            twin.skipped.setdefault(key, reason)
            continue
        uuids[number] = key


def _all_fit(twin: TwinBuilder, root: str | None) -> bool:
    """Whether :func:`refuse_unfit` would leave nothing out, told for the whole tree
    at once (the usual case; False: it looks at each element)."""
    elements = twin.elements
    keys = [element.key for element in elements]
    numbers = {element.uuid.int for element in elements}
    if len(set(keys)) != len(keys) or len(numbers) != len(keys) or 0 in numbers:
        return False
    # No NUL, no empty name: no key is empty, none starts or ends with a dot or
    # holds two (a line break cannot start a name in a model either, so a key
    # with one is looked at alone).
    text = "\n".join(keys)
    if "\x00" in text or "\n\n" in text or ".." in text or "\n." in text or ".\n" in text:
        return False
    if not text or text[0] in ".\n" or text[-1] in ".\n" or text.count("\n") != len(keys) - 1:
        return False
    if root:
        parts = root.split(".")
        above = {".".join(parts[:n]) for n in range(1, len(parts))}
        below = f"{root}."
        return all(key == root or key in above or key.startswith(below) for key in keys)
    return True


#: The settings of a register that the loader's checks of one register cover
#: (:data:`xentara_sync.simulator.model.PLAIN_REGISTER_KEYS`).
_PLAIN_KEYS: Final = frozenset({"name", "UUID", "defaultValue", "access"})


def split_plain_registers(
    model: Mapping[str, Any],
) -> tuple[dict[str, Any], list[tuple[str, Mapping[str, Any]]]]:
    """*model* (a twin's) without the plain registers of its groups, and those
    registers with their primary keys.

    A plain register has no children and no settings besides ``name``, ``UUID``,
    ``defaultValue`` and ``access``; its parent is a ``@Group`` or the model. The
    loader treats such an element alone (nothing else in the model depends on
    it), so it can be checked alone; the rest, copied where registers were taken
    out (*model* is not changed), is loaded as it is.

    >>> plain = {"name": "P", "UUID": "00000000-0000-0000-0000-000000000002",
    ...          "defaultValue": ["bool", True]}
    >>> group = {"name": "G", "UUID": "00000000-0000-0000-0000-000000000001",
    ...          "children": [{REGISTER_TYPE: plain}]}
    >>> rest, registers = split_plain_registers({"children": [{"@Group": group}]})
    >>> rest, [key for key, _ in registers]
    ({'children': [{'@Group': {'name': 'G', 'UUID': '00000000-0000-0000-0000-000000000001', \
'children': []}}]}, ['G.P'])
    """
    rest, keys, settings = split_plain(model)
    return rest, list(zip(keys, settings, strict=True))


def split_plain(
    model: Mapping[str, Any],
) -> tuple[dict[str, Any], list[str], list[Mapping[str, Any]]]:
    """:func:`split_plain_registers`, with the plain registers' keys and settings
    in two lists (no pair for each of 100,000 registers, which the garbage
    collector would walk)."""
    plain_keys: list[str] = []
    plain: list[Mapping[str, Any]] = []
    add_key, add = plain_keys.append, plain.append
    keys = _PLAIN_KEYS
    register = REGISTER_TYPE

    def kept(children: list[Any], prefix: str) -> list[Any]:
        """*children* of a group (or of the model) without its plain registers."""
        rest = []
        for item in children:
            settings = item.get(register) if type(item) is dict and len(item) == 1 else None
            if type(settings) is dict and keys.issuperset(settings):
                name = settings.get("name")
                if type(name) is str:
                    add_key(prefix + name)
                    add(settings)
                    continue
            rest.append(item)
        return rest

    def children_of(element_type: str, children: list[Any], prefix: str) -> list[Any]:
        return kept(children, prefix) if element_type in ("", "@Group") else list(children)

    return _rebuilt(model, children_of), plain_keys, plain


def _rebuilt(
    model: Mapping[str, Any], children_of: Callable[[str, list[Any], str], list[Any]]
) -> dict[str, Any]:
    """*model* with each element's children (and the model's, element type ``""``)
    replaced by ``children_of(element_type, children, prefix)``, where *prefix* is
    the primary key of their parent and a dot (``""`` for the model's): copied
    along the way, *model* is not changed."""
    top = children_of("", list(model.get("children", [])), "")
    # Iterative: a tree a thousand levels deep must not hit the recursion limit.
    pending: list[tuple[list[Any], str]] = [(top, "")]
    while pending:
        children, prefix = pending.pop()
        for index, item in enumerate(children):
            if type(item) is not dict or len(item) != 1:
                continue
            ((element_type, settings),) = item.items()
            below = settings.get("children") if type(settings) is dict else None
            if type(below) is not list or not below:
                continue
            key = prefix + str(settings.get("name")) + "."
            below = children_of(element_type, below, key)
            children[index] = {element_type: {**settings, "children": below}}
            pending.append((below, key))
    return {**model, "children": top}


def without_lines(model: Mapping[str, Any]) -> dict[str, Any]:
    """*model* without the items rendered as text (see
    :meth:`~.twin.TwinBuilder.model`), copied where they are taken out (*model*
    is not changed).

    >>> group = {"name": "G", "children": ['{"@Skill.SignalFlow.Register": {}}']}
    >>> without_lines({"children": [{"@Group": group}, "{}"]})
    {'children': [{'@Group': {'name': 'G', 'children': []}}]}
    """
    return _rebuilt(model, lambda _type, children, _prefix: _no_text(children))


def _no_text(children: list[Any]) -> list[Any]:
    return [child for child in children if type(child) is not str]


def refuse_mismatched_values(twin: TwinBuilder) -> None:
    """Leave out the data points whose value read is not of the data type their
    metadata gives (a twin holds the value as that type).

    Notes in ``twin.proven`` the keys of those whose value the simulator's loader
    takes as the twin writes it: a bool, int, str or finite float, written as it
    is, that passed the check the loader runs on it
    (:func:`~xentara_sync.protocol.valuecheck.check_value` of the same type).
    """
    from ..protocol.valuecheck import check_value

    proven = twin.proven
    proven.clear()
    same = _same_check()
    types, values, skipped = twin._types, twin._values, twin.skipped
    # Most values of a big model repeat (0, False, ""): the check of a plain value
    # is a function of its data type, its type and itself, so each is checked once.
    # None: it passed and is provable; else why it was refused.
    checked: dict[tuple[Any, ...], str | None] = {}
    for element in twin.elements:
        number = element.uuid.int
        found = types.get(number)
        value = values.get(number, _MISSING)
        if found is None or value is _MISSING:
            continue
        key = element.key
        if key in skipped:
            continue
        kind = type(value)
        if kind in _PROVABLE and (kind is not float or -_INF < value < _INF):
            memo = (found[0], kind, value)
            if memo in checked:
                problem = checked[memo]
            else:
                problem = _problem(check_value, found[0], value)
                if len(checked) >= _CHECKED_KEPT:
                    checked.clear()
                checked[memo] = problem
            if problem is not None:
                skipped[key] = problem
            elif found[0] in same:
                proven.add(key)
            continue
        if isinstance(value, (TimePoint, AttributeFault)):
            continue  # times and faults have their own forms in a twin
        problem = _problem(check_value, found[0], value)
        if problem is not None:
            skipped[key] = problem


#: The most distinct values :func:`refuse_mismatched_values` remembers the check of.
_CHECKED_KEPT: Final = 4096


def _problem(check: Callable[[DataType, Any], Any], data_type: DataType, value: Any) -> str | None:
    """Why the loader's check refuses *value* as a *data_type* (None: it does not)."""
    try:
        check(data_type, value)
    except Exception as exc:  # ValueRejected, and anything a check may raise
        return f"its value does not match its metadata: {exc}"
    return None


#: Values written as they are read (:meth:`TwinBuilder._body`; NaN aside): the
#: loader's check of such a default value is :func:`~.valuecheck.check_value` of the
#: same value (:func:`xentara_sync.simulator.datatypes.parse_default`).
_PROVABLE: Final = frozenset({bool, int, float, str})


_SAME_CHECK: list[frozenset[DataType]] = []


def _same_check() -> frozenset[DataType]:
    """The wire data types whose register type name the loader reads back as a
    type that :func:`~.valuecheck.check_value` checks the same way (every kind of
    string a ``string``)."""
    if _SAME_CHECK:
        return _SAME_CHECK[0]
    from ..simulator.datatypes import known_data_type

    same = set()
    for data_type, name in TYPE_NAMES.items():
        loaded = known_data_type(name)
        if loaded is data_type or (
            loaded is DataType.STRING and data_type.is_string and loaded.is_string
        ):
            same.add(data_type)
    _SAME_CHECK.append(frozenset(same))
    return _SAME_CHECK[0]
