"""The value of the ``type`` attribute (3): an element type's documented name.

A real Xentara answers the ``type`` attribute with the element type's name as its
documentation spells it, not with the model file's key: the "Accessing Registers"
table of the register page (docs.xentara.io/xentara/xentara_signal_flow_registers.html)
says "type: The register's element type. For registers, this is always
'register'"; the signal generator page (xentara_signal_generator.html) gives
"signal generator sampler" and "signal generator signal"; driver pages follow the
same pattern ("cifX data point" for the Hilscher cifX driver's data points).
The WebSocket reference (§8.6) only numbers the attribute.

The names of :data:`DOCUMENTED` are the ones those pages give; the others in
that table follow their pattern (our choice: the lower-case name of the element
kind). An element type not in the table gets its skill's name as the file spells
it (in lower-case words if it is plain words like ``SignalProcessing``) and its
class's name in lower-case words, the form of the driver pages:
``@Skill.CoE.Entry`` is ``"CoE entry"``, ``@Skill.MQTT.Client`` ``"MQTT client"``;
a type outside any skill loses only its ``@``.

>>> type_name("@Skill.SignalFlow.Register"), type_name("@Skill.CoE.Entry")
('register', 'CoE entry')
>>> type_name("@Skill.Debugging.Inspector"), type_name("@Custom")
('debugging inspector', 'Custom')
"""

from __future__ import annotations

import functools
import re
from typing import Final

__all__ = ["DOCUMENTED", "type_name"]

#: Names of element types, by model key in lower case. The first three are quoted
#: from Xentara's documentation; the others follow their pattern.
DOCUMENTED: Final[dict[str, str]] = {
    "@skill.signalflow.register": "register",
    "@skill.signalgenerator.sampler": "signal generator sampler",
    "@skill.signalgenerator.signal": "signal generator signal",
    "@datapoint": "data point",
    "@group": "group",
    "@timer": "timer",
    "@track": "execution track",
    "@pipeline": "execution pipeline",
}

_WORDS: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
_CAPITALIZED_WORDS: Final = re.compile(r"(?:[A-Z][a-z0-9]+)+")


def _words(name: str) -> str:
    """``"SignalGenerator"`` -> ``"signal generator"`` (acronyms stay as they are)."""
    words = _WORDS.findall(name) or [name]
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)


@functools.lru_cache(maxsize=256)
def type_name(model_type: str) -> str:
    """The ``type`` attribute of an element of *model_type* (``"@Group"`` -> ``"group"``)."""
    known = DOCUMENTED.get(model_type.lower())
    if known is not None:
        return known
    parts = model_type.lstrip("@").split(".")
    if len(parts) >= 3 and parts[0].lower() == "skill":
        skill, kind = parts[1], ".".join(parts[2:])
        if _CAPITALIZED_WORDS.fullmatch(skill):  # "SignalProcessing", not "CoE" or "MQTT"
            skill = _words(skill)
        return f"{skill} {_words(kind)}"
    return model_type.lstrip("@")
