"""pytest fixtures for testing against Xentara: a simulator, its URL, a client.

Installed with the package (entry point ``pytest11``), so any test may use them::

    def test_output_follows_write(xentara_client):
        xentara_client.write("Hardware.EtherCAT Bus.EL2624.Output 1", True)
        assert xentara_client.read("Hardware.EtherCAT Bus.EL2624.Output 1") is True

Fixtures:

``xentara_url`` (session)
    The URL to test against: ``--xentara-url``, else the ``XENTARA_URL``
    environment variable, else the URL of ``xentara_simulator`` (started only
    then).
``xentara_simulator`` (session)
    A :class:`~xentara_sync.simulator.Simulator` on 127.0.0.1 (port picked by
    the OS) serving ``--xentara-model PATH`` (or the ini option
    ``xentara_model``), else the bundled demo model; stopped after the session.
``xentara_client`` (function)
    A connected blocking :class:`~xentara_sync.XentaraClient` to ``xentara_url``,
    browsing ``--xentara-root`` (default ``Hardware``), closed after the test.

Options (``pytest --help``, group "xentara"): ``--xentara-url``,
``--xentara-model``, ``--xentara-root``, ``--xentara-no-verify``. Nothing is
imported or started unless a test asks for a fixture. URLs are shown without
their credentials.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .simulator import Simulator
    from .sync import XentaraClient

__all__ = ["xentara_client", "xentara_simulator", "xentara_url"]

#: The environment variable naming the URL to test against.
URL_VARIABLE = "XENTARA_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the "xentara" options and the ``xentara_model`` ini option."""
    group = parser.getgroup("xentara", "Xentara WebSocket API (xentara_sync)")
    group.addoption(
        "--xentara-url",
        metavar="URL",
        help=f"test against this Xentara (ws:// or wss://USER:PASSWORD@HOST:PORT/api/ws) "
        f"instead of an embedded simulator; default: ${URL_VARIABLE}",
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
        default="Hardware",
        help="root element of the xentara_client fixture ('' for the whole model; "
        "default: Hardware)",
    )
    group.addoption(
        "--xentara-no-verify",
        action="store_true",
        help="xentara_client accepts any TLS certificate (self-signed ones)",
    )
    parser.addini(
        "xentara_model",
        "model.json the embedded simulator serves (relative to the ini file)",
        type="string",
        default="",
    )


def _configured_url(config: pytest.Config) -> str | None:
    url: str | None = config.getoption("xentara_url") or os.environ.get(URL_VARIABLE) or None
    return url


def pytest_report_header(config: pytest.Config) -> str | None:
    """Name the Xentara under test, without credentials, when one is configured."""
    url = _configured_url(config)
    if url is None:
        return None
    from .endpoint import Endpoint
    from .exceptions import InvalidURL

    try:
        shown = Endpoint.parse(url).url
    except InvalidURL as exc:
        shown = f"invalid ({exc})"
    return f"xentara: {shown}"


def _model_path(config: pytest.Config) -> Path | None:
    option: str | None = config.getoption("xentara_model")
    if option:
        return Path(option)
    ini = str(config.getini("xentara_model") or "")
    if not ini:
        return None
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    return base / ini


@pytest.fixture(scope="session")
def xentara_simulator(pytestconfig: pytest.Config) -> Iterator[Simulator]:
    """An embedded Xentara simulator on 127.0.0.1, for the whole session.

    Serves ``--xentara-model`` (or the ini option ``xentara_model``), else the
    bundled demo model. Its test hooks change what clients see::

        def test_input(xentara_simulator, xentara_client):
            xentara_simulator.set_value("Hardware.EtherCAT Bus.EL1004.Input 1", True)
            assert xentara_client.read("Hardware.EtherCAT Bus.EL1004.Input 1") is True
    """
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
        yield simulator


@pytest.fixture(scope="session")
def xentara_url(request: pytest.FixtureRequest) -> str:
    """The URL to test against: ``--xentara-url``, ``$XENTARA_URL`` or the simulator's.

    It may carry credentials (``wss://user:password@host:8080/api/ws``); show
    ``Endpoint.parse(url).url`` rather than the URL itself::

        def test_connects(xentara_url):
            with XentaraClient(xentara_url, verify_ssl=False) as client:
                assert client.connected
    """
    url = _configured_url(request.config)
    if url is not None:
        return url
    simulator: Simulator = request.getfixturevalue("xentara_simulator")
    return simulator.url


@pytest.fixture
def xentara_client(request: pytest.FixtureRequest, xentara_url: str) -> Iterator[XentaraClient]:
    """A blocking client connected to ``xentara_url``, closed after the test.

    It browses ``--xentara-root`` (default ``Hardware``) and checks TLS
    certificates unless ``--xentara-no-verify`` is given::

        def test_counter(xentara_client):
            xentara_client.write("Hardware.Registers.Counter", 42)
            assert xentara_client.read("Hardware.Registers.Counter") == 42
    """
    from .exceptions import XentaraError
    from .sync import XentaraClient

    config = request.config
    root: str = config.getoption("xentara_root")
    failure: str | None = None
    try:
        client = XentaraClient(
            xentara_url,
            root_element=root or None,
            verify_ssl=not config.getoption("xentara_no_verify"),
        )
    except XentaraError as exc:
        failure = f"xentara_client: {exc}"
    if failure is not None:  # outside the except block: no chained tracebacks
        pytest.fail(failure, pytrace=False)
    with client:
        yield client
