"""A ``@DataPoint`` whose ``io`` is an object: reads from one point, writes to another.

Xentara's model schema lets a data point's ``io`` be either one key (the skill data
point it shows and writes through) or an object ``{"input": KEY, "output": KEY}``
with at least one member: "the skill data point that the data point's value is
read from" and "the skill data point that the data point's value is written to"
(``schema-xentara-model.json``, ``@DataPoint.io``). :class:`IoPoint` joins the two:

- the value, quality and time stamps are the input's, and so are the changes that
  subscriptions see (a write shows only once the input reflects it, as on a plant);
- a write is checked against the output's data type and stored in the output;
  the write time (and write error) are the output's.

With only an input the point is read only; with only an output it is write only
(the reads of the value attribute get -32104), and its data type is the output's.
"""

from __future__ import annotations

from typing import Any, Final

from ..protocol import Access, Attribute, TimePoint
from .datatypes import coerce
from .elements import Point, Watch

__all__ = ["IoPoint"]

_CHANGE_TIME: Final = int(Attribute.CHANGE_TIME)
_WRITE_TIME: Final = int(Attribute.WRITE_TIME)
_WRITE_ERROR: Final = int(Attribute.WRITE_ERROR)


class IoPoint(Point):
    """The value state of a data point with a separate input and output."""

    __slots__ = ("input", "output")

    def __init__(self, input: Point | None, output: Point | None, now: TimePoint) -> None:
        source = input if input is not None else output
        assert source is not None, "an io object names an input or an output"
        super().__init__(source.data_type, None, now)
        self.input = input
        self.output = output
        if output is not None:
            self.data_type = output.data_type

    @property
    def change(self) -> TimePoint:
        """The change time (an event's key 0): the input's, else the output's."""
        source = self.input if self.input is not None else self.output
        assert source is not None
        result: TimePoint = source.get(_CHANGE_TIME)
        return result

    @change.setter
    def change(self, value: TimePoint) -> None:
        pass  # the ends keep their own times

    @property
    def access(self) -> Access:
        """Read-write with both, read only with an input, write only with an output."""
        if self.input is None:
            return Access.WRITE_ONLY
        return Access.READ_WRITE if self.output is not None else Access.READ_ONLY

    @property
    def value_type(self) -> Any:
        """The data type the value attribute is announced with (the input's if any)."""
        return self.input.data_type if self.input is not None else self.data_type

    def get(self, attribute: int) -> Any:
        if self.output is not None and attribute in (_WRITE_TIME, _WRITE_ERROR):
            return self.output.get(attribute)
        if self.input is not None:
            return self.input.get(attribute)
        return super().get(attribute)

    def store(self, value: Any, *, written: bool) -> None:
        if self.output is not None:
            self.output.store(value, written=written)
        elif self.input is not None:
            self.input.store(value, written=written)

    def set(self, value: Any) -> None:
        """The simulator's hook: the value as if the field changed (the input's)."""
        target = self.input if self.input is not None else self.output
        assert target is not None
        target.store(coerce(target.data_type, value), written=False)

    def add_watch(self, watch: Watch) -> None:
        if self.input is not None:
            self.input.add_watch(watch)
        else:
            super().add_watch(watch)

    def remove_watch(self, watch: Watch) -> None:
        if self.input is not None:
            self.input.remove_watch(watch)
        else:
            super().remove_watch(watch)
