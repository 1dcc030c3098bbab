"""The exception hierarchy: codes map to classes, standard bases hold, pickling works."""

from __future__ import annotations

import pickle

import pytest

import xentara_sync
from xentara_sync import exceptions
from xentara_sync.exceptions import (
    AccessDenied,
    AuthenticationFailed,
    ClientClosed,
    ConnectionClosed,
    ConnectionFailed,
    IllegalValue,
    InternalError,
    InvalidRequest,
    InvalidStageChange,
    MissingAttribute,
    OutOfRange,
    ProtocolError,
    ReadError,
    ReadOnly,
    RequestTimeout,
    ServerError,
    TLSVerificationFailed,
    TypeMismatch,
    UnknownElement,
    UnknownSession,
    UnknownSubscription,
    UsageError,
    WriteError,
    WriteOnly,
    XentaraError,
)
from xentara_sync.protocol import ErrorCode

CODE_CLASSES: list[tuple[int, type[ServerError]]] = [
    (-32700, InvalidRequest),
    (-32600, InvalidRequest),
    (-32601, InvalidRequest),
    (-32602, InvalidRequest),
    (-32603, InternalError),
    (-32000, InvalidRequest),
    (-32001, InvalidRequest),
    (-32100, UnknownElement),
    (-32101, MissingAttribute),
    (-32102, AccessDenied),
    (-32103, ReadOnly),
    (-32104, WriteOnly),
    (-32105, OutOfRange),
    (-32106, TypeMismatch),
    (-32107, IllegalValue),
    (-32108, ReadError),
    (-32109, WriteError),
    (-32110, UnknownSubscription),
    (-32111, UnknownSession),
    (-32112, InvalidStageChange),
]


@pytest.mark.parametrize(("code", "cls"), CODE_CLASSES, ids=[str(c) for c, _ in CODE_CLASSES])
def test_from_code_picks_the_specific_class(code: int, cls: type[ServerError]) -> None:
    error = ServerError.from_code(code, "text")
    assert type(error) is cls
    assert error.code == code
    assert error.text == "text"
    assert code in cls.codes


def test_every_error_code_but_no_error_has_a_class() -> None:
    assert {code for code, _ in CODE_CLASSES} == {c.value for c in ErrorCode} - {0}


@pytest.mark.parametrize("code", [0, -1, -32099, -32113, 12345])
def test_unknown_codes_give_the_base_class(code: int) -> None:
    error = ServerError.from_code(code, "strange")
    assert type(error) is ServerError
    assert error.code == code
    assert str(error) == f"strange ({code})"


def test_from_code_accepts_an_error_code_member() -> None:
    error = ServerError.from_code(ErrorCode.READ_ONLY, ErrorCode.READ_ONLY.text)
    assert type(error) is ReadOnly
    assert error.code == -32103


@pytest.mark.parametrize(
    ("cls", "base"),
    [
        (UnknownElement, KeyError),
        (MissingAttribute, KeyError),
        (UnknownSubscription, KeyError),
        (UnknownSession, KeyError),
        (AccessDenied, PermissionError),
        (ReadOnly, PermissionError),
        (WriteOnly, PermissionError),
        (OutOfRange, ValueError),
        (IllegalValue, ValueError),
        (TypeMismatch, TypeError),
        (RequestTimeout, TimeoutError),
        (ConnectionFailed, ConnectionError),
        (AuthenticationFailed, ConnectionFailed),
        (TLSVerificationFailed, ConnectionFailed),
        (ConnectionClosed, ConnectionError),
        (ClientClosed, ConnectionClosed),
        (UsageError, RuntimeError),
    ],
)
def test_standard_bases(cls: type[Exception], base: type[Exception]) -> None:
    assert issubclass(cls, base)
    assert issubclass(cls, XentaraError)


def test_standard_except_clauses_catch_them() -> None:
    with pytest.raises(KeyError):
        raise UnknownElement(element="Nope")
    with pytest.raises(TimeoutError):
        raise RequestTimeout("read 'x' timed out after 1 s")
    with pytest.raises(ConnectionError):
        raise ConnectionFailed("cannot connect")
    with pytest.raises(TypeError):
        raise ServerError.from_code(-32106, "value cannot be converted to requested type")
    with pytest.raises(ValueError, match="out of range"):
        raise ServerError.from_code(-32105, "value is out of range")


def test_server_errors_are_not_connection_errors() -> None:
    assert not issubclass(ServerError, ConnectionError)
    assert not issubclass(ProtocolError, ConnectionError)
    assert not issubclass(ReadError, OSError)


def test_every_public_name_is_an_exception_and_exported_at_top_level() -> None:
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert issubclass(cls, XentaraError), name
        assert getattr(xentara_sync, name) is cls, name


def test_a_recording_interrupted_by_ctrl_c_is_a_keyboard_interrupt() -> None:
    # Ctrl-C: no `except Exception` may catch it
    cls = xentara_sync.RecordingInterrupted
    assert issubclass(cls, KeyboardInterrupt) and not issubclass(cls, Exception)
    assert "RecordingInterrupted" in xentara_sync.__all__


def test_message_names_operation_and_element() -> None:
    error = ServerError.from_code(
        -32103, "value is read only", operation="write", element="Hardware.Inputs.Temperature"
    )
    assert str(error) == "write 'Hardware.Inputs.Temperature' failed: value is read only (-32103)"
    assert error.operation == "write"
    assert error.element == "Hardware.Inputs.Temperature"
    assert error.args == (str(error),)


def test_message_with_only_the_operation_or_nothing() -> None:
    assert str(ServerError.from_code(-32102, "access denied", operation="suspend")) == (
        "suspend failed: access denied (-32102)"
    )
    assert str(ServerError.from_code(-32102, "access denied")) == "access denied (-32102)"


def test_unknown_element_str_is_not_quoted() -> None:
    error = UnknownElement(operation="read", element="Group 1.Data Piont 1")
    message = "read 'Group 1.Data Piont 1' failed: unknown element (-32100)"
    assert str(error) == message
    assert not str(error).startswith('"')
    # KeyError would quote: str(KeyError("x")) == "'x'".
    assert str(KeyError(message)) != message


def test_unknown_element_defaults() -> None:
    error = UnknownElement()
    assert error.code == ErrorCode.UNKNOWN_ELEMENT
    assert error.text == "unknown element"
    assert error.suggestions == ()


def test_suggestions_appear_in_the_message() -> None:
    error = UnknownElement(
        element="Group 1.Data Piont 1",
        operation="read",
        suggestions=["Group 1.Data Point 1", "Group 1.Data Point 2"],
    )
    assert error.suggestions == ("Group 1.Data Point 1", "Group 1.Data Point 2")
    assert str(error).endswith("; did you mean 'Group 1.Data Point 1' or 'Group 1.Data Point 2'?")
    single = UnknownElement(element="Grop 1", suggestions=("Group 1",))
    assert str(single) == "'Grop 1' failed: unknown element (-32100); did you mean 'Group 1'?"


def test_other_key_errors_are_not_quoted_either() -> None:
    error = ServerError.from_code(-32101, "missing attribute", operation="read", element="X")
    assert isinstance(error, KeyError)
    assert str(error) == "read 'X' failed: missing attribute (-32101)"


def test_plain_errors_str() -> None:
    assert str(ProtocolError("bad packet")) == "bad packet"
    assert str(XentaraError()) == ""


@pytest.mark.parametrize(("code", "cls"), CODE_CLASSES, ids=[str(c) for c, _ in CODE_CLASSES])
def test_pickling_keeps_everything(code: int, cls: type[ServerError]) -> None:
    error = ServerError.from_code(code, "some text", operation="write", element="A.B")
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        restored = pickle.loads(pickle.dumps(error, protocol=protocol))
        assert type(restored) is cls
        assert (restored.code, restored.text, restored.operation, restored.element) == (
            code,
            "some text",
            "write",
            "A.B",
        )
        assert str(restored) == str(error)


def test_pickling_the_base_class_and_missing_context() -> None:
    error = ServerError.from_code(-1, "odd")
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is ServerError
    assert (restored.operation, restored.element) == (None, None)
    assert str(restored) == "odd (-1)"


def test_pickling_keeps_suggestions() -> None:
    error = UnknownElement(element="Grop 1", suggestions=("Group 1",))
    restored = pickle.loads(pickle.dumps(error))
    assert restored.suggestions == ("Group 1",)
    assert str(restored) == str(error)


@pytest.mark.parametrize(
    "error",
    [
        ProtocolError("bad packet"),
        RequestTimeout("no answer"),
        ConnectionFailed("refused"),
        AuthenticationFailed("HTTP 401"),
        ClientClosed("closed"),
        UsageError("wrong thread"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_pickling_plain_errors(error: XentaraError) -> None:
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is type(error)
    assert str(restored) == str(error)


@pytest.mark.parametrize(("code", "cls"), [(-32109, ReadError), (-32103, WriteOnly)])
def test_read_accepts_the_read_pages_numbering(code: int, cls: type[ServerError]) -> None:
    assert type(ServerError.from_code(code, "text", operation="read")) is cls
