"""A snapshot's steps, written once for every flavour: they await a :class:`Link`.

:func:`take_snapshot` looks up the root and its ancestors (if a root is given),
browses the tree below it, sends :func:`~.plans.plan_chunk` messages a few at a
time (the next leaves while the server answers the last), and records value
changes for a while if asked; :func:`write_model` writes the twin atomically. The
client core (:meth:`xentara_sync.aio.XentaraClient.snapshot`) supplies the link.
"""

from __future__ import annotations

import json
import operator
import os
import secrets
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, Final, NamedTuple, Protocol

from ..exceptions import InvalidArgument, UnknownElement
from ..protocol import NIL_UUID, AttributeFault, Category
from ..protocol.index import ElementInfo, Event
from ..protocol.plans import Plan
from ..protocol.session import ClientSession
from .checks import refuse_mismatched_values, refuse_unfit, split_plain, without_lines
from .lists import REGISTER_TYPE
from .plans import CHUNK, plan_ancestors, plan_categories, plan_chunk, plan_more
from .twin import TwinBuilder

__all__ = [
    "Link",
    "SnapshotResult",
    "SnapshotWarning",
    "check_arguments",
    "model_text",
    "output_problem",
    "result_of",
    "take_snapshot",
    "twin_model",
    "twin_text",
    "unread_warning",
    "write_model",
    "write_twin",
]

#: ``progress(done, total)``: elements done of the total.
Progress = Callable[[int, int], object]


class SnapshotWarning(UserWarning):
    """An element the snapshot left out, and why (the server refused its metadata
    or its value)."""


class SnapshotResult(NamedTuple):
    """What :meth:`~xentara_sync.XentaraClient.snapshot` wrote."""

    path: str
    """The model file."""
    elements: int
    """Elements in it (the root's ancestors included)."""
    data_points: int
    """Data points among them (registers of the twin)."""
    recorded: int
    """Data points whose recorded changes the twin replays."""
    skipped: dict[str, str]
    """Primary key -> why the element was left out."""


class Link(Protocol):
    """What a snapshot needs of a connection."""

    session: ClientSession

    async def execute(self, plan: Plan) -> Any:
        """Send one plan and return its result."""

    async def pipeline(self, plans: Iterable[Plan], done: Callable[[Any], object]) -> None:
        """Send *plans* a few messages ahead, calling ``done(result)`` in order."""

    async def sleep(self, seconds: float) -> None:
        """Wait."""

    async def record(self, keys: Sequence[str], sink: _Recorder, seconds: float) -> None:
        """Hand every change of *keys*' values to *sink* for *seconds*, through a
        subscription of the client's own, independent of the user's."""


class _Recorder:
    """An event sink that keeps ``(seconds since its first event, value)`` per element."""

    def __init__(self) -> None:
        self.start: float | None = None
        self.samples: dict[uuid.UUID, list[tuple[float, Any]]] = {}
        self.dropped = 0

    def put(self, event: Event) -> None:
        now = time.monotonic()
        if self.start is None:
            self.start = now
        if isinstance(event.value, AttributeFault):
            return
        samples = self.samples.setdefault(event.uuid, [])
        # The first event of each element is the value when recording began.
        samples.append((now - self.start if samples else 0.0, event.value))

    def close(self, error: BaseException | None) -> None:
        pass


async def take_snapshot(
    link: Link,
    root: str | None,
    *,
    record: float | None = None,
    progress: Progress | None = None,
) -> tuple[TwinBuilder, int]:
    """Read the tree below *root* (None or ``""``: the whole model) into a :class:`TwinBuilder`;
    with *record*, record value changes for that many seconds. Also returns how
    many data points were recorded."""
    ancestors: list[ElementInfo] = []
    start = NIL_UUID
    if root:
        try:
            found = await link.execute(plan_ancestors(root))
        except UnknownElement:
            # With suggestions from the keys the client knows, as every look-up.
            raise link.session.unknown(root, "snapshot") from None
        ancestors = await link.execute(plan_categories(found))
        start = ancestors[-1].uuid
    # The client's browse (its elements are then known to the client too).
    browse = link.session.plan_browse(element=start)
    assert browse is not None  # a start given as a UUID needs no look-up
    below: list[ElementInfo] = await link.execute(browse)
    twin = TwinBuilder(ancestors + below)
    refuse_unfit(twin, root)
    total = len(twin.elements)
    done = 0
    if progress is not None:
        progress(0, total)

    def chunk_done(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    def chunks() -> Iterator[Plan]:
        elements = twin.elements
        for first in range(0, total, CHUNK):
            yield from plan_chunk(twin, elements[first : first + CHUNK])

    await link.pipeline(chunks(), chunk_done)
    # The attributes only the metadata named (units, displayName...).
    wanted = twin.more_reads()
    if wanted:
        more = (
            plan_more(twin, wanted[first : first + CHUNK]) for first in range(0, len(wanted), CHUNK)
        )
        await link.pipeline(more, lambda _: None)
    recorded = 0
    if record:
        recorded = await _record(link, twin, record)
    return twin, recorded


async def _record(link: Link, twin: TwinBuilder, seconds: float) -> int:
    """Subscribe to every data point with a readable value for *seconds*; hand each
    one's changes to *twin*. Returns how many changed."""
    points = [
        e
        for e in twin.elements
        if (found := twin.value_type(e)) is not None
        and found[1].readable
        and e.key not in twin.skipped
    ]
    if not points:
        await link.sleep(seconds)
        return 0
    recorder = _Recorder()
    await link.record([e.key for e in points], recorder, seconds)
    recorded = 0
    for element in points:
        samples = recorder.samples.get(element.uuid)
        if samples and twin.add_recording(element, samples, seconds):
            recorded += 1
    return recorded


#: How many elements the check of a twin leaves out one by one before it gives up.
_VERIFY_TRIES = 100


def twin_model(twin: TwinBuilder) -> dict[str, Any]:
    """``twin.model()``, verified: the simulator loads it.

    Values that do not match their metadata are left out first; then an element the
    simulator still refuses is left out (in ``twin.skipped``, with the simulator's
    reason) and the model built again, so that the twin written always loads.

    The plain registers of groups (most of a big twin) are checked one by one with
    the loader's own checks (:func:`~xentara_sync.simulator.model.register_refusal`;
    :func:`.checks.refuse_unfit` has checked their keys and UUIDs), the rest of the
    model by loading it (:func:`~.checks.split_plain_registers`). A register whose
    value :func:`~.checks.refuse_mismatched_values` proved (``twin.proven``) needs
    only what the twin made of its kind checked: one of each data type and access.
    """
    return _verified(twin, rendered=False)


def twin_text(twin: TwinBuilder) -> str:
    """``model_text(twin_model(twin))``, the same text, made without a model object
    for each plain register: each is rendered as its line while the model is built
    (:meth:`TwinBuilder.model` with *render*), which spares building, splitting and
    collecting 300,000 containers for a twin of 100,000 registers."""
    return model_text(_verified(twin, rendered=True))


def _verified(twin: TwinBuilder, *, rendered: bool) -> dict[str, Any]:
    """:func:`twin_model`; *rendered*: with the plain registers as their JSON text."""
    from ..simulator.model import ModelError, load_model, register_refusal

    refuse_mismatched_values(twin)
    for _ in range(_VERIFY_TRIES):
        proven = twin.proven
        checked: list[tuple[str, Mapping[str, Any]]] = []
        if rendered:
            model = twin.model(_Renderer(proven, checked))
            rest = without_lines(model)
        else:
            model = twin.model()
            rest, plain_keys, plain = split_plain(model)
            _to_check(proven, zip(plain_keys, plain, strict=True), checked.append)
        refused = False
        for plain_key, settings in checked:
            problem = register_refusal(plain_key, settings)
            if problem is not None:
                twin.skipped[plain_key] = f"the simulator would refuse it: {problem}"
                refused = True
                if plain_key in proven:  # not what the proof expects: check them all
                    proven.clear()
        if refused:
            continue
        try:
            load_model(rest)
        except ModelError as exc:
            key = _refused_key(twin, str(exc))
            if key is None or key in twin.skipped:
                raise ModelError(f"the twin would not load: {exc}") from None
            twin.skipped[key] = f"the simulator would refuse it: {exc}"
            continue
        return model
    raise ModelError(f"the twin would not load: more than {_VERIFY_TRIES} elements refused")


def _to_check(
    proven: set[str],
    registers: Iterable[tuple[str, Mapping[str, Any]]],
    check: Callable[[tuple[str, Mapping[str, Any]]], object],
) -> None:
    """Hand *check* the plain registers that need the loader's check: each one not
    in *proven*, and the first of each kind of those in it (its name passed
    NAME_PATTERN in ``twin.model()``, its UUID is a UUID's text, its value passed
    the loader's value check: what is left depends on its data type name and
    access alone)."""
    kinds = set()
    for register in registers:
        if register[0] in proven:
            settings = register[1]
            kind = (settings["defaultValue"][0], settings.get("access"))
            if kind in kinds:
                continue
            kinds.add(kind)
        check(register)


class _Renderer:
    """The *render* of :meth:`TwinBuilder.model` for :func:`twin_text`: a plain
    register's line, as :func:`model_text` writes it; those to check (see
    :func:`_to_check`) are added to *checked*."""

    def __init__(self, proven: set[str], checked: list[tuple[str, Mapping[str, Any]]]) -> None:
        self.proven = proven
        self.kinds: set[tuple[str, str | None]] = set()
        self.checked = checked

    def __call__(self, key: str, item: dict[str, Any]) -> str:
        settings = item[REGISTER_TYPE]
        self._note(key, (settings["defaultValue"][0], settings.get("access")), settings)
        return _ENCODE(item)

    def line(self, key: str, kind: tuple[str, str | None], text: str) -> str:
        if key not in self.proven or kind not in self.kinds:
            self._note(key, kind, None, text)
        return text

    def _note(
        self,
        key: str,
        kind: tuple[str, str | None],
        settings: Mapping[str, Any] | None,
        text: str = "",
    ) -> None:
        if key in self.proven:
            if kind in self.kinds:
                return
            self.kinds.add(kind)
        if settings is None:  # the same settings, read back from the text
            settings = json.loads(text)[REGISTER_TYPE]
        self.checked.append((key, settings))


def _refused_key(twin: TwinBuilder, message: str) -> str | None:
    """The key of the element that a :class:`ModelError` message names, if any."""
    keys = {element.key for element in twin.elements}
    head = message.partition(": ")[0]
    if head in keys:
        return head
    for key in sorted(keys, key=len, reverse=True):
        if f"{key!r}" in message:
            return key
    return None


def write_model(path: str | os.PathLike[str], model: dict[str, Any]) -> str:
    """Write *model* as JSON to *path* atomically: a temporary file in the same
    directory, then renamed over *path*. Returns the path written.

    A new file gets the mode any new file gets (``0o666`` less the umask); an
    existing file keeps its mode (on Windows: its read-only flag).
    """
    return _write_text(path, model_text(model))


def write_twin(path: str | os.PathLike[str], twin: TwinBuilder) -> str:
    """Write the verified *twin* (:func:`twin_model`) to *path* as :func:`write_model`
    does: the same bytes, made faster (:func:`twin_text`). Returns the path written."""
    return _write_text(path, twin_text(twin))


def _write_text(path: str | os.PathLike[str], text: str) -> str:
    """Write *text* to *path* atomically (see :func:`write_model`)."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    data = text.encode("utf-8")
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    handle, temporary = _create_temporary(directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return target


def _create_temporary(directory: str) -> tuple[int, str]:
    """A new file in *directory*, opened for writing, with the mode ``open()`` gives
    new files (``0o666`` less the umask; ``tempfile.mkstemp`` would give ``0o600``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = os.path.join(directory, f".snapshot-{secrets.token_hex(6)}.json.tmp")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {directory!r}")


def model_text(model: dict[str, Any]) -> str:
    """*model* as JSON text with one element per line, children indented below it
    (readable, and a changed element is a changed line in a diff).

    >>> print(model_text({"children": [{"@Group": {"name": "G", "children": [
    ...     {"@Timer": {"name": "T"}}]}}]}), end="")
    {"children": [
     {"@Group": {"name": "G", "children": [
      {"@Timer": {"name": "T"}}
     ]}}
    ]}
    """
    lines = ['{"children": [']
    _element_lines(model.get("children", []), 1, lines)
    lines.append("]}")
    return "\n".join(lines) + "\n"


#: Strict JSON: the twin holds NaN as ``"nan"`` (see :func:`.twin.model_value`).
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def _make_encode() -> Callable[[Any], str]:
    """``_ENCODER.encode``, faster: the C encoder that ``encode`` makes on each
    call, made once (no check for circular references: a model has none). The
    same text; where there is no such C encoder, ``_ENCODER.encode`` itself."""
    sample = {"a": [1.5, "\u00e9\n", True, None, -3], "b": {}}
    try:
        encoder = c_make_encoder(
            None, _ENCODER.default, encode_basestring, None, ": ", ", ", False, False, False
        )
    except TypeError:  # pragma: no cover - another Python's signature
        return _ENCODER.encode
    join = "".join

    def encode(value: Any) -> str:
        return join(encoder(value, 0))

    if c_make_encoder is None or encode(sample) != _ENCODER.encode(sample):  # pragma: no cover
        return _ENCODER.encode
    return encode


#: One encoder for every element (``json.dumps`` with options builds one per call).
_ENCODE: Final = _make_encode()


def _element_lines(elements: list[Any], depth: int, lines: list[str]) -> None:
    # Iterative: a tree a thousand levels deep must not hit the recursion limit.
    dumps = _ENCODE
    pending: list[tuple[list[Any], int, int, str]] = [(elements, 0, depth, "")]
    append = lines.append
    while pending:
        items, index, level, closing = pending.pop()
        pad = " " * level
        last = len(items) - 1
        if not index and items and set(map(type, items)) == {str}:
            # Lines rendered already, all (a group of plain registers): as one
            # text, the lines the loop below would give joined as model_text does.
            append(pad + f",\n{pad}".join(items))
            index = last + 1
        while index <= last:
            item = items[index]
            comma = "," if index < last else ""
            index += 1
            if type(item) is str:  # a line rendered already (see twin_text)
                append(f"{pad}{item}{comma}")
                continue
            ((element_type, body),) = item.items()
            children = body.get("children")
            if children is None:  # most elements: the item is the line
                append(f"{pad}{dumps(item)}{comma}")
                continue
            head = dumps({k: v for k, v in body.items() if k != "children"})
            if not children:
                append(f"{pad}{{{dumps(element_type)}: {head}}}{comma}")
                continue
            append(f'{pad}{{{dumps(element_type)}: {head[:-1]}, "children": [')
            pending.append((items, index, level, closing))
            pending.append((children, 0, level + 1, f"{pad}]}}}}{comma}"))
            break
        else:
            if closing:
                append(closing)


_category_of: Final = operator.attrgetter("category")


def result_of(twin: TwinBuilder, path: str, recorded: int) -> SnapshotResult:
    """The :class:`SnapshotResult` of *twin* written to *path* (after ``twin.model()``)."""
    skipped = twin.skipped
    # In C loops: a snapshot of 100,000 elements counts them here.
    elements = [e for e in twin.elements if e.key not in skipped] if skipped else twin.elements
    points = list(map(_category_of, elements)).count(Category.DATA_POINT)
    return SnapshotResult(path, len(elements), points, recorded, dict(twin.skipped))


def unread_warning(result: SnapshotResult) -> str | None:
    """A warning if no data point could be read (the tree had some: only their
    refusal leaves elements out), as for a user without the read right; None if
    some were read, or none were left out."""
    if result.data_points or not result.skipped:
        return None
    return (
        f"no data point could be read ({len(result.skipped)} elements left out): the twin "
        "holds no values; does the user have the read right?"
    )


def check_arguments(path: object, root: object, record: object, progress: object = None) -> None:
    """Raise before any request if the arguments of ``snapshot`` cannot work."""
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgument(f"snapshot: path must be a str or os.PathLike, not {path!r}")
    problem = output_problem(os.fspath(path))
    if problem is not None:
        raise InvalidArgument(f"snapshot: {problem}")
    if root is not None and not isinstance(root, str):
        raise InvalidArgument(f"snapshot: root must be a primary key (str) or None, not {root!r}")
    if progress is not None and not callable(progress):
        raise InvalidArgument(f"snapshot: progress must be a callable or None, not {progress!r}")
    if record is not None and (
        isinstance(record, bool)
        or not isinstance(record, (int, float))
        or not 0 < record < float("inf")
    ):
        raise InvalidArgument(
            f"snapshot: record must be a positive number of seconds, not {record!r}"
        )


def output_problem(path: str) -> str | None:
    """Why a snapshot cannot be written to *path* (None: it can, as far as can be
    told before writing): a directory, or no directory to hold it."""
    if os.path.isdir(path):
        return f"cannot write {path!r}: it is a directory"
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        return f"cannot write {path!r}: no directory {directory!r}"
    return None
