"""pytest fixtures for testing against Xentara: a simulator, its URL, a client, a recorder.

Installed with the package (entry point ``pytest11``), so any test may use them::

    def test_output_follows_write(xentara_client):
        xentara_client.write("Hardware.EtherCAT Bus.EL2624.Output 1", True)
        assert xentara_client.read("Hardware.EtherCAT Bus.EL2624.Output 1") is True

Fixtures:

``xentara_url`` (session)
    The URL to test against: ``--xentara-url`` (or ``$XENTARA_URL``, or the ini
    option ``xentara_url``), else the URL of ``xentara_simulator`` (started only
    then). A configured Xentara is checked once, at its first use: when it cannot
    be used, every test that needs it fails at once with the same one-line reason.
``xentara_options`` (session)
    The keyword arguments of the client under test (credentials, timeout, root,
    TLS), for fixtures of one's own: ``XentaraClient(xentara_url, **xentara_options)``.
``xentara_simulator`` (session)
    A :class:`~xentara_sync.simulator.Simulator` on 127.0.0.1 (port picked by
    the OS) serving ``--xentara-model PATH`` (or the ini option
    ``xentara_model``), else the bundled demo model; stopped after the session.
    Reset (:meth:`~xentara_sync.simulator.Simulator.reset`) before each test.
    Tests that use it are skipped under ``--xentara-url``.
``xentara_client`` (function)
    A connected blocking :class:`~xentara_sync.XentaraClient` to ``xentara_url``,
    closed after the test.
``xentara_recorder`` (function)
    ``xentara_recorder.record(keys)`` records in the background during the test;
    a failed test keeps the CSV and PNG and names them in its report.

Options (``pytest --help``, group "xentara"): ``--xentara-url``,
``--xentara-user``, ``--xentara-password-file``, ``--xentara-token-file``,
``--xentara-timeout``, ``--xentara-model``, ``--xentara-root``,
``--xentara-no-verify``, ``--xentara-record-dir``, ``--xentara-record-all``.
Secrets come from files or the environment (``XENTARA_PASSWORD``,
``XENTARA_TOKEN``), never from the command line. Nothing is imported or started
unless a test asks for a fixture. URLs are shown without their credentials.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .simulator import Simulator
    from .sync import XentaraClient
    from .testrecorder import SignalRecorder

__all__ = [
    "ClientOptions",
    "xentara_client",
    "xentara_options",
    "xentara_recorder",
    "xentara_simulator",
    "xentara_url",
]

#: The environment variable naming the URL to test against.
URL_VARIABLE = "XENTARA_URL"
#: The environment variable naming the user (HTTP Basic).
USER_VARIABLE = "XENTARA_USER"
#: The environment variable holding the user's password.
PASSWORD_VARIABLE = "XENTARA_PASSWORD"
#: The environment variable holding a Bearer token.
TOKEN_VARIABLE = "XENTARA_TOKEN"
#: The client's timeout (seconds) unless ``--xentara-timeout`` says otherwise.
DEFAULT_TIMEOUT = 10.0
#: The fixtures whose tests run against the Xentara under test (directly or not).
_XENTARA_FIXTURES = frozenset({"xentara_url", "xentara_simulator"})

_simulator_key = pytest.StashKey["Simulator"]()
_settings_key = pytest.StashKey["_Settings"]()
_recorder_key = pytest.StashKey["SignalRecorder"]()
_record_dir_key = pytest.StashKey[Path]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the "xentara" options and their ini keys."""
    group = parser.getgroup("xentara", "Xentara WebSocket API (xentara_sync)")
    group.addoption(
        "--xentara-url",
        metavar="URL",
        help="test against this Xentara (ws:// or wss://HOST:PORT/api/ws) instead of an "
        f"embedded simulator; default: ${URL_VARIABLE}, else ini xentara_url",
    )
    group.addoption(
        "--xentara-user",
        metavar="NAME",
        help=f"log in as NAME (HTTP Basic); default: ${USER_VARIABLE}, else ini xentara_user; "
        f"the password comes from --xentara-password-file or ${PASSWORD_VARIABLE}",
    )
    group.addoption(
        "--xentara-password-file",
        metavar="FILE",
        help="read the password of --xentara-user from the first line of FILE "
        "(default: ini xentara_password_file)",
    )
    group.addoption(
        "--xentara-token-file",
        metavar="FILE",
        help="authenticate with the Bearer token on the first line of FILE instead of a "
        f"user (default: ${TOKEN_VARIABLE}, else ini xentara_token_file)",
    )
    group.addoption(
        "--xentara-timeout",
        metavar="SECONDS",
        type=float,
        help="how long connecting and each call may take "
        f"(default: ini xentara_timeout, else {DEFAULT_TIMEOUT:g})",
    )
    group.addoption(
        "--xentara-model",
        metavar="PATH",
        help="model.json the embedded simulator serves (default: ini option xentara_model, "
        "else the bundled demo model)",
    )
    group.addoption(
        "--xentara-root",
        metavar="KEY",
        help="root element of the clients ('' for the whole model; "
        "default: ini xentara_root, else Hardware)",
    )
    group.addoption(
        "--xentara-no-verify",
        action="store_true",
        help="the clients accept any TLS certificate (self-signed ones)",
    )
    group.addoption(
        "--xentara-record-dir",
        metavar="DIR",
        help="where xentara_recorder keeps the CSV and PNG of failed tests "
        "(default: xentara-recordings in pytest's base temporary directory)",
    )
    group.addoption(
        "--xentara-record-all",
        action="store_true",
        help="xentara_recorder keeps the recordings of passed tests too",
    )
    for name, text in (
        ("xentara_url", "URL of the Xentara to test against (without credentials)"),
        ("xentara_user", "user name to log in as"),
        ("xentara_password_file", "file whose first line is the password (relative to rootdir)"),
        ("xentara_token_file", "file whose first line is a Bearer token (relative to rootdir)"),
        ("xentara_timeout", "seconds connecting and each call may take"),
        ("xentara_root", "root element of the clients"),
        ("xentara_model", "model.json the embedded simulator serves (relative to the ini file)"),
    ):
        parser.addini(name, text, type="string", default=None)


# --------------------------------------------------------------------------- settings


class ClientOptions(Mapping[str, Any]):
    """The keyword arguments of :class:`~xentara_sync.XentaraClient` the tests use.

    A read-only mapping whose ``repr`` hides the password and the token::

        >>> ClientOptions(username="tester", password="s3cret", timeout=2.0)
        ClientOptions(username='tester', password='***', timeout=2.0)
    """

    def __init__(self, **options: Any) -> None:
        self._options = dict(options)

    def __getitem__(self, key: str) -> Any:
        return self._options[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._options)

    def __len__(self) -> int:
        return len(self._options)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={'***' if name in ('password', 'token') and value else value!r}"
            for name, value in self._options.items()
        )
        return f"ClientOptions({shown})"


class _SettingsError(Exception):
    """An option that cannot be used (its message names it)."""


@dataclass(frozen=True)
class _Settings:
    """What the options say, read once per session (secrets included, never shown)."""

    url: str | None
    options: ClientOptions


def _ini(config: pytest.Config, name: str) -> str | None:
    value = config.getini(name)
    return str(value) if value else None


def _relative(config: pytest.Config, path: str) -> Path:
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    return base / path


def _first_line(path: Path, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.readline().rstrip("\r\n")
    except OSError as exc:
        raise _SettingsError(f"{what}: cannot read {path}: {exc.strerror}") from None


def _configured_url(config: pytest.Config) -> str | None:
    url: str | None = (
        config.getoption("xentara_url")
        or os.environ.get(URL_VARIABLE)
        or _ini(config, "xentara_url")
    )
    return url


def _timeout(config: pytest.Config) -> float:
    given: float | None = config.getoption("xentara_timeout")
    if given is None:
        text = _ini(config, "xentara_timeout")
        try:
            given = DEFAULT_TIMEOUT if text is None else float(text)
        except ValueError:
            raise _SettingsError(
                f"ini option xentara_timeout must be a number of seconds, not {text!r}"
            ) from None
    if not 0 < given < float("inf"):
        raise _SettingsError(f"--xentara-timeout must be above 0 seconds, not {given!r}")
    return given


def _url_has_user(url: str | None) -> bool:
    import urllib.parse

    try:
        return bool(url) and urllib.parse.urlsplit(url).username is not None
    except ValueError:
        return False


def _settings(config: pytest.Config) -> _Settings:
    """Read the options (once per session: the files are read at the first use)."""
    cached = config.stash.get(_settings_key, None)
    if cached is not None:
        return cached
    root = config.getoption("xentara_root")
    if root is None:
        root = _ini(config, "xentara_root")
        root = "Hardware" if root is None else root
    user = config.getoption("xentara_user") or os.environ.get(USER_VARIABLE) or None
    user = user or _ini(config, "xentara_user")
    password_file = config.getoption("xentara_password_file")
    if password_file is None and _ini(config, "xentara_password_file") is not None:
        password_file = _relative(config, str(_ini(config, "xentara_password_file")))
    token_file = config.getoption("xentara_token_file")
    if token_file is None and _ini(config, "xentara_token_file") is not None:
        token_file = _relative(config, str(_ini(config, "xentara_token_file")))
    password: str | None = None
    token: str | None = None
    if password_file is not None:
        if user is None:
            raise _SettingsError("--xentara-password-file needs --xentara-user")
        password = _first_line(Path(password_file), "--xentara-password-file")
    elif user is not None:
        password = os.environ.get(PASSWORD_VARIABLE) or None
    if token_file is not None:
        if user is not None:
            raise _SettingsError("--xentara-token-file and --xentara-user exclude each other")
        token = _first_line(Path(token_file), "--xentara-token-file").strip() or None
    elif user is None and not _url_has_user(_configured_url(config)):
        token = os.environ.get(TOKEN_VARIABLE, "").strip() or None
    options = ClientOptions(
        root_element=root or None,
        verify_ssl=not config.getoption("xentara_no_verify"),
        timeout=_timeout(config),
        username=user,
        password=password,
        token=token,
    )
    settings = _Settings(_configured_url(config), options)
    config.stash[_settings_key] = settings
    return settings


def _shown(url: str) -> str:
    from .core.endpoint import Endpoint
    from .exceptions import InvalidURL

    try:
        return Endpoint.parse(url).url
    except InvalidURL as exc:
        return f"invalid URL ({exc})"


def pytest_report_header(config: pytest.Config) -> str | None:
    """Name the Xentara under test, without credentials, when one is configured."""
    url = _configured_url(config)
    if url is None:
        return None
    user = config.getoption("xentara_user") or os.environ.get(USER_VARIABLE)
    user = user or _ini(config, "xentara_user")
    return f"xentara: {_shown(url)}" + (f" as {user}" if user else "")


def _skip_reason(config: pytest.Config) -> str:
    source = "--xentara-url" if config.getoption("xentara_url") else "--xentara-url (given as "
    if not config.getoption("xentara_url"):
        source += f"${URL_VARIABLE})" if os.environ.get(URL_VARIABLE) else "ini xentara_url)"
    return (
        f"needs the embedded simulator (xentara_simulator), which {source} replaces: "
        "run it without --xentara-url"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--xentara-url``, skip the tests that need the embedded simulator."""
    if _configured_url(config) is None:
        return
    skip = pytest.mark.skip(reason=_skip_reason(config))
    for item in items:
        if "xentara_simulator" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Each test that uses the session's simulator starts from the model's defaults."""
    simulator = item.config.stash.get(_simulator_key, None)
    if simulator is not None and _XENTARA_FIXTURES & set(getattr(item, "fixturenames", ())):
        simulator.reset()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """After the test body: stop its recorder; keep and name the files if it failed."""
    report = yield
    recorder = item.stash.get(_recorder_key, None)
    if recorder is None or call.when not in ("call", "setup"):
        return report
    if call.when == "setup" and not report.failed:
        return report
    del item.stash[_recorder_key]
    keep = report.failed or item.config.getoption("xentara_record_all")
    recorder.stop()
    if not keep or not recorder.keys:
        return report
    directory = item.config.stash[_record_dir_key]
    files = recorder.save(directory)
    for path in files:
        prop = (f"xentara_recording_{path.suffix[1:]}", str(path))
        item.user_properties.append(prop)
        report.user_properties.append(prop)
    report.sections.append(("xentara recording", recorder.describe()))
    _attach_html(item, report, files)
    return report


def _attach_html(item: pytest.Item, report: pytest.TestReport, files: list[Path]) -> None:
    """Embed the plot in the pytest-html report, when pytest-html is in use."""
    if not getattr(item.config.option, "htmlpath", None):  # pytest-html's --html
        return
    try:
        from pytest_html import extras
    except ImportError:
        return
    import base64

    attached = list(getattr(report, "extras", []))
    for path in files:
        if path.suffix == ".png":
            content = base64.b64encode(path.read_bytes()).decode("ascii")
            attached.append(extras.png(content, name=path.name))
        else:
            attached.append(extras.url(path.as_uri(), name=path.name))
    report.extras = attached  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- fixtures


def _model_path(config: pytest.Config) -> Path | None:
    option: str | None = config.getoption("xentara_model")
    if option:
        return Path(option)
    ini = _ini(config, "xentara_model")
    if not ini:
        return None
    return _relative(config, ini)


@pytest.fixture(scope="session")
def xentara_simulator(pytestconfig: pytest.Config) -> Iterator[Simulator]:
    """An embedded Xentara simulator on 127.0.0.1, for the whole session.

    Serves ``--xentara-model`` (or the ini option ``xentara_model``), else the
    bundled demo model; each test that uses it (or ``xentara_client``) starts from
    the model's default values (see :meth:`~xentara_sync.simulator.Simulator.reset`).
    Its test hooks change what clients see::

        def test_input(xentara_simulator, xentara_client):
            xentara_simulator.set_value("Hardware.EtherCAT Bus.EL1004.Input 1", True)
            assert xentara_client.read("Hardware.EtherCAT Bus.EL1004.Input 1") is True

    Under ``--xentara-url`` a test that uses it is skipped.
    """
    if _configured_url(pytestconfig) is not None:
        pytest.skip(_skip_reason(pytestconfig))
    from .simulator import ModelError, Simulator

    model = _model_path(pytestconfig)
    failure: str | None = None
    try:
        simulator = Simulator(model, host="127.0.0.1", port=0)
    except (ModelError, OSError) as exc:
        failure = f"xentara_simulator: cannot load the model {model}: {exc}"
    if failure is not None:  # outside the except block: no chained tracebacks
        pytest.fail(failure, pytrace=False)
    with simulator:
        pytestconfig.stash[_simulator_key] = simulator
        try:
            yield simulator
        finally:
            del pytestconfig.stash[_simulator_key]


@pytest.fixture(scope="session")
def xentara_options(pytestconfig: pytest.Config) -> ClientOptions:
    """The keyword arguments of the client under test, for clients of one's own.

    ``root_element``, ``verify_ssl``, ``timeout``, ``username``, ``password`` and
    ``token``, from the options; its ``repr`` hides the secrets::

        def test_second_client(xentara_url, xentara_options):
            with XentaraClient(xentara_url, **xentara_options) as client:
                assert client.connected
    """
    failure: str | None = None
    try:
        return _settings(pytestconfig).options
    except _SettingsError as exc:
        failure = f"xentara: {exc}"
    pytest.fail(failure, pytrace=False)


def _check(url: str, options: ClientOptions) -> str | None:
    """Why the Xentara at *url* cannot be used (one line), or None if it can."""
    from .exceptions import XentaraError
    from .sync import XentaraClient

    try:
        client = XentaraClient(url, **options)
    except (XentaraError, ValueError, TypeError) as exc:  # also settings the client refuses
        lines = str(exc).splitlines()
        reason = f"{type(exc).__name__}: {lines[0] if lines else 'no reason given'}"
        shown = _shown(url)
        return reason if shown in reason else f"{shown}: {reason}"
    client.close()
    return None


@pytest.fixture(scope="session")
def xentara_url(request: pytest.FixtureRequest, xentara_options: ClientOptions) -> str:
    """The URL to test against: ``--xentara-url``, ``$XENTARA_URL`` or the simulator's.

    A configured Xentara is connected to once, here: when that fails (refused,
    unanswered within ``--xentara-timeout``, credentials refused, no root
    element), every test that uses this fixture fails at once with the same
    one-line reason. A URL may carry credentials
    (``wss://user:password@host:8080/api/ws``); show
    ``Endpoint.parse(url).url`` rather than the URL itself::

        def test_connects(xentara_url, xentara_options):
            with XentaraClient(xentara_url, **xentara_options) as client:
                assert client.connected
    """
    url = _configured_url(request.config)
    if url is None:
        simulator: Simulator = request.getfixturevalue("xentara_simulator")
        return simulator.url
    reason = _check(url, xentara_options)
    if reason is not None:
        pytest.fail(f"xentara: {reason} (checked once for the session)", pytrace=False)
    return url


@pytest.fixture
def xentara_client(xentara_url: str, xentara_options: ClientOptions) -> Iterator[XentaraClient]:
    """A blocking client connected to ``xentara_url``, closed after the test.

    It browses ``--xentara-root`` (default ``Hardware``), logs in with
    ``--xentara-user`` or ``--xentara-token-file``, waits at most
    ``--xentara-timeout`` seconds per call, and checks TLS certificates unless
    ``--xentara-no-verify`` is given::

        def test_counter(xentara_client):
            xentara_client.write("Hardware.Registers.Counter", 42)
            assert xentara_client.read("Hardware.Registers.Counter") == 42
    """
    from .exceptions import XentaraError
    from .sync import XentaraClient

    failure: str | None = None
    try:
        client = XentaraClient(xentara_url, **xentara_options)
    except XentaraError as exc:
        failure = f"xentara_client: {exc}"
    if failure is not None:  # outside the except block: no chained tracebacks
        pytest.fail(failure, pytrace=False)
    with client:
        yield client


@pytest.fixture
def xentara_recorder(
    request: pytest.FixtureRequest,
    xentara_client: XentaraClient,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SignalRecorder]:
    """Records value changes in the background while the test runs.

    ``xentara_recorder.record(keys)`` starts recording (with ``xentara_client``).
    When the test fails, the recording is kept as CSV and PNG under
    ``--xentara-record-dir`` (default: ``xentara-recordings`` in pytest's base
    temporary directory), named after the test, and the report names the files:
    a "xentara recording" section, the junit XML properties
    ``xentara_recording_csv`` and ``xentara_recording_png``, and the image itself
    in a pytest-html report. Passed tests keep nothing, unless
    ``--xentara-record-all``::

        def test_output_follows_input(xentara_client, xentara_recorder):
            xentara_recorder.record(["Hardware.EtherCAT Bus.EL2624.Output 1"])
            xentara_client.write("Hardware.EtherCAT Bus.EL2624.Output 1", True)
            xentara_client.wait_until("Hardware.EtherCAT Bus.EL2624.Output 1", True)
    """
    from .testrecorder import SignalRecorder

    config = request.config
    if _record_dir_key not in config.stash:
        given = config.getoption("xentara_record_dir")
        if given:  # relative to where pytest was started, as the other paths
            directory = config.invocation_params.dir / given
        else:
            directory = tmp_path_factory.getbasetemp() / "xentara-recordings"
        config.stash[_record_dir_key] = directory
    recorder = SignalRecorder(xentara_client, request.node.nodeid)
    request.node.stash[_recorder_key] = recorder
    try:
        yield recorder
    finally:
        recorder.stop()  # stopped already, unless the test did not run
