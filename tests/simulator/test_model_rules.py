"""The rules of model files: one refusal per rule, one line naming the element and the rule."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from xentara_sync.protocol import NIL_UUID, Access, Attribute, Category, Opcode, Quality, unwrap
from xentara_sync.simulator import ModelError, Simulator, load_model
from xentara_sync.simulator.rules import SETTINGS, broken_rule

from .conftest import uid, with_client
from .rawclient import RawClient

TWICE = str(uuid.uuid4())


def group(name: object, *children: Any, **settings: Any) -> dict[str, Any]:
    return {"@Group": {"name": name, "UUID": uid(), "children": list(children), **settings}}


def register(name: str, **settings: Any) -> dict[str, Any]:
    body = {"name": name, "UUID": uid(), "defaultValue": ["int16", 0]}
    return {"@Skill.SignalFlow.Register": {**body, **settings}}


def point(name: str, io: Any, **settings: Any) -> dict[str, Any]:
    return {"@DataPoint": {"name": name, "UUID": uid(), "io": io, **settings}}


def signal(name: str, **settings: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "UUID": uid(),
        "dataType": "float64",
        "top": 1,
        "bottom": 0,
        "waveForm": {"@SineWave": {"period": "1s"}},
    }
    return {"@Skill.SignalGenerator.Signal": {**body, **settings}}


def plant(*children: Any) -> dict[str, Any]:
    """A model whose elements are in the group ``Plant``."""
    return {"children": [group("Plant", *children)]}


def without(element: dict[str, Any], *keys: str) -> dict[str, Any]:
    ((element_type, settings),) = element.items()
    return {element_type: {k: v for k, v in settings.items() if k not in keys}}


SAMPLER = {
    "@Skill.SignalGenerator.Sampler": {"name": "Sampler", "UUID": uid(), "children": [signal("S")]}
}

#: (case, model, the element path, the rule's words)
REFUSALS: list[tuple[str, Any, str, str]] = [
    # the file
    ("a list", [], "the model", 'a model file is a JSON object with a "children" list'),
    ("no model", {"foo": 1}, "the model", "'foo' is no key of a model file"),
    ("no children", {}, "the model", 'a model file holds a "children" list, not none'),
    ("children not a list", {"children": 5}, "the model", 'holds a "children" list, not 5'),
    # elements
    ("a number", plant(5), "Plant.children[0]", "an element is an object with one key"),
    (
        "a placeholder",
        {"children": ["#CoE.Bus:Bus"]},
        "children[0]",
        "an element is an object with one key, its type",
    ),
    ("two types", plant({**group("A"), **SAMPLER}), "Plant.children[0]", "with one key"),
    ("no @", plant({"Group": {"name": "A", "UUID": uid()}}), "Plant.children[0]", "one key"),
    ("settings", plant({"@Group": 5}), "Plant.children[0]", "settings of a @Group must be"),
    # names
    ("no name", plant(without(group("A"), "name")), "Plant.children[0]", 'needs "name"'),
    ("dotted name", plant(group("A.B")), "Plant.children[0]", '"name" must be a name without'),
    ("open bracket", plant(group("[A.B")), "Plant.children[0]", '"name" must be a name'),
    ("empty name", plant(group("")), "Plant.children[0]", '"name" must be a name without'),
    ("number name", plant(group(5)), "Plant.children[0]", '"name" must be a name without'),
    ("dotted id", plant(without(group("A.B", id="A.B"), "name")), "Plant.children[0]", '"id"'),
    ("twice", plant(group("A"), group("A")), "Plant.A", "duplicate primary key"),
    # UUIDs
    ("no UUID", plant(without(group("A"), "UUID")), "Plant.A", 'needs "UUID" (or the older'),
    ("bad UUID", plant(group("A", UUID="nope")), "Plant.A", '"UUID" must be a UUID as RFC 4122'),
    ("nil UUID", plant(group("A", UUID=str(NIL_UUID))), "Plant.A", "the nil UUID stands for"),
    (
        "UUID twice",
        plant(group("A", UUID=TWICE), group("B", UUID=TWICE)),
        "Plant.B",
        f"UUID {TWICE} is used twice (also by 'Plant.A')",
    ),
    ("children", plant(group("A", children=5)), "Plant.A", '"children" must be a list'),
    # registers
    (
        "no default",
        plant(without(register("R"), "defaultValue")),
        "Plant.R",
        'a @Skill.SignalFlow.Register needs "defaultValue"',
    ),
    ("bare default", plant(register("R", defaultValue=5)), "Plant.R", "must be [data type, value]"),
    ("short default", plant(register("R", defaultValue=["int8"])), "Plant.R", "[data type, value]"),
    (
        "unknown type",
        plant(register("R", defaultValue=["int128", 0])),
        "Plant.R",
        "names the unknown data type 'int128'",
    ),
    (
        "default outside its type",
        plant(register("R", defaultValue=["int8", 300])),
        "Plant.R",
        "invalid default value 300 for int8",
    ),
    # data points
    ("no io", plant(without(point("P", "Plant.R"), "io")), "Plant.P", 'a @DataPoint needs "io"'),
    ("io shape", plant(point("P", {"in": "Plant.R"})), "Plant.P", '"io" must be a primary key or'),
    ("io empty", plant(point("P", {})), "Plant.P", '"io" must be a primary key or'),
    ("io nothing", plant(point("P", "Nowhere.X")), "Plant.P", "names 'Nowhere.X', no element"),
    (
        "io input nothing",
        plant(register("R"), point("P", {"input": "Plant.X", "output": "Plant.R"})),
        "Plant.P",
        "\"io\" input names 'Plant.X', no element of the model",
    ),
    ("io itself", plant(point("P", "Plant.P")), "Plant.P", '"io" names the data point itself'),
    ("io group", plant(group("G"), point("P", "Plant.G")), "Plant.P", "a @Group, which has no"),
    (
        "io cycle",
        plant(point("P", "Plant.Q"), point("Q", "Plant.P")),
        "Plant.P",
        "a cycle",
    ),
    (
        "io output read only",
        {"children": [SAMPLER, point("P", {"output": "Sampler.S"})]},
        "P",
        "\"io\" output 'Sampler.S' cannot be written",
    ),
    ("units", plant(register("R"), point("P", "Plant.R", units=5)), "Plant.P", '"units" must be'),
    # signals
    (
        "no wave form",
        {
            "children": [
                {
                    "@Skill.SignalGenerator.Sampler": {
                        "name": "S",
                        "UUID": uid(),
                        "children": [without(signal("X"), "waveForm")],
                    }
                }
            ]
        },
        "S.X",
        'a @Skill.SignalGenerator.Signal needs "waveForm"',
    ),
    (
        "unknown wave form",
        plant(signal("X", waveForm={"@Square": {}})),
        "Plant.X",
        '"waveForm" must be one wave form object',
    ),
    ("top", plant(signal("X", top="high")), "Plant.X", '"top" must be a number'),
    # the simulator's extensions
    ("access", plant(register("R", access="sometimes")), "Plant.R", '"access" must be "readOnly"'),
    (
        "category",
        plant({"@Simulator.Element": {"name": "E", "UUID": uid(), "category": "gizmo"}}),
        "Plant.E",
        "unknown category 'gizmo'",
    ),
    ("replay", plant(register("R", replay=[[0, 1]])), "Plant.R", '"replay" must be'),
    # a name that holds a line break stays one line
    ("line break", plant(register("A\nB", defaultValue=7)), "Plant.A\\nB", "[data type, value]"),
]


@pytest.mark.parametrize(
    ("model", "path", "rule"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_each_rule_is_refused_in_one_line_naming_the_element_and_the_rule(
    model: Any, path: str, rule: str
) -> None:
    with pytest.raises(ModelError) as info:
        load_model(model)
    text = str(info.value)
    assert "\n" not in text and "\r" not in text
    assert text.startswith(f"{path}: "), text
    assert rule in text, text


def test_every_required_setting_of_the_table_is_refused_when_missing() -> None:
    uuid_text = uid()
    bodies: dict[str, dict[str, Any]] = {
        "@skill.signalflow.register": {"defaultValue": ["int8", 0]},
        "@datapoint": {"io": "X"},
        "@skill.signalgenerator.signal": {
            "dataType": "int8",
            "top": 1,
            "bottom": 0,
            "waveForm": {"@Noise": {}},
        },
    }
    checked = 0
    for element_type, rules in SETTINGS.items():
        kind = "@Group" if element_type == "*" else element_type
        full = {"name": "E", "UUID": uuid_text, **bodies.get(element_type, {})}
        assert broken_rule(kind, full) is None
        for rule in rules:
            if rule.required:
                missing = {k: v for k, v in full.items() if k not in rule.spellings}
                assert f'needs "{rule.name}"' in (broken_rule(kind, missing) or "")
                checked += 1
    assert checked == 8


def test_names_in_brackets_may_hold_dots() -> None:
    model = load_model(plant(register("[Slot 1.2]", defaultValue=["int8", 3])))
    assert model.by_key["Plant.[Slot 1.2]"].get(Attribute.VALUE) == 3


def test_older_spellings_and_every_extension_load_together() -> None:
    model = load_model(
        plant(
            {"@Group": {"id": "Old", "uuid": uid()}},
            register("RO", access="readOnly"),
            register("Replayed", replay={"period": "1s", "values": [[0, 1], [0.5, 2]]}),
            {"@Simulator.Element": {"name": "Store", "UUID": uid(), "category": "data_storage"}},
        )
    )
    assert model.by_key["Plant.Old"].category is Category.ELEMENT_GROUP
    assert model.by_key["Plant.RO"].table.access[Attribute.VALUE] is Access.READ_ONLY
    assert model.by_key["Plant.Store"].category is Category.DATA_STORAGE


def test_a_data_point_may_show_a_data_point_further_down() -> None:
    model = load_model(
        plant(point("First", "Plant.Second"), point("Second", "Plant.R"), register("R"))
    )
    assert model.by_key["Plant.First"].point is model.by_key["Plant.R"].point


# ----------------------------------------------------------------- io writability


def driver(name: str) -> dict[str, Any]:
    """An element of a skill type the simulator does not know (a driver's)."""
    return {"@Skill.Custom.Input": {"name": name, "UUID": uid()}}


@pytest.mark.parametrize(
    ("io", "settings", "access"),
    [
        ("Plant.In", {}, Access.READ_ONLY),
        ({"input": "Plant.In"}, {}, Access.READ_ONLY),
        ({"input": "Plant.In", "output": "Plant.Out"}, {}, Access.READ_WRITE),
        ({"output": "Plant.Out"}, {}, Access.WRITE_ONLY),
        ("Plant.In", {"access": "readWrite"}, Access.READ_WRITE),
        ({"input": "Plant.In", "output": "Plant.Out"}, {"access": "readOnly"}, Access.READ_ONLY),
    ],
)
def test_io_of_an_unknown_skill_type_is_writable_only_with_an_output(
    io: Any, settings: dict[str, Any], access: Access
) -> None:
    model = load_model(plant(driver("In"), driver("Out"), point("P", io, **settings)))
    element = model.by_key["Plant.P"]
    assert element.table.access[Attribute.VALUE] is access
    assert element.get(Attribute.QUALITY) == Quality.BAD  # the simulator cannot know it


def test_a_read_only_io_refuses_writes_over_the_wire() -> None:
    model = plant(driver("In"), point("P", "Plant.In"), point("W", "Plant.In", access="readWrite"))
    with Simulator(model) as sim:

        async def scenario(client: RawClient) -> None:
            read_only = await client.lookup("Plant.P")
            writable = await client.lookup("Plant.W")
            assert await client.error(Opcode.WRITE, {0: read_only, 1: 11, 2: 1.5}) == -32103
            await client.call(Opcode.WRITE, {0: writable, 1: 11, 2: 1.5})
            read = await client.call(Opcode.READ, {0: writable, 1: [11]})
            assert unwrap(read[11]) == 1.5

        with_client(sim, scenario)
