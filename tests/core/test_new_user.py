"""What a new user trips over first: names, errors, enums, logging, optional trio."""

from __future__ import annotations

import subprocess
import sys

import pytest

import xentara_sync
from tests.conftest import FAST_SINE, OUTPUTS, run
from xentara_sync import (
    Category,
    InvalidArgument,
    MissingAttribute,
    Quality,
    Stage,
    XentaraClient,
    XentaraError,
    aio,
)
from xentara_sync.simulator import Simulator


def test_an_unknown_attribute_is_a_xentara_error_with_a_suggestion(simulator: Simulator) -> None:
    # Any name the element's metadata lists can be read: an unknown one is looked
    # up there, and the error names the attributes the element has.
    client = XentaraClient(simulator.url)
    with client, pytest.raises(MissingAttribute, match="did you mean 'value'") as info:
        client.read(OUTPUTS[0], attribute="valu")
    assert isinstance(info.value, XentaraError) and "its attributes: key" in str(info.value)


def test_elements_take_a_category_name(simulator: Simulator) -> None:
    with XentaraClient(simulator.url) as client:
        points = client.elements(Category.DATA_POINT)
        assert points
        assert client.elements("data_point") == points == client.elements("DATA_POINT")
        with pytest.raises(InvalidArgument, match="unknown category 'datapoints'"):
            client.elements("datapoints")


def test_category_is_exported() -> None:
    assert "Category" in xentara_sync.__all__
    assert xentara_sync.Category is Category


def test_enums_print_their_names(simulator: Simulator) -> None:
    assert (str(Quality.GOOD), f"{Stage.OPERATIONAL}", f"{Category.DATA_POINT}") == (
        "GOOD",
        "OPERATIONAL",
        "DATA_POINT",
    )
    assert f"{Quality.BAD:d}" == "3" and int(Quality.BAD) == 3
    with XentaraClient(simulator.url) as client:
        assert str(client.get_stage()) == "OPERATIONAL"
        quality = client.read_attributes(OUTPUTS[0])["quality"]
        assert str(quality) in Quality.__members__


def test_item_assignment_writes(simulator: Simulator) -> None:
    with XentaraClient(simulator.url) as client:
        client[OUTPUTS[2]] = True
        assert client.read(OUTPUTS[2]) is True
        client[OUTPUTS[2]] = False
        assert client.read(OUTPUTS[2]) is False


def test_receive_starts_a_subscription_that_was_not_started(simulator: Simulator) -> None:
    with XentaraClient(simulator.url) as client:
        sub = client.subscribe(FAST_SINE, maximum_update_interval=None)
        try:
            assert sub.receive(timeout=5).name == FAST_SINE
        finally:
            sub.stop()

    async def main() -> None:
        async with aio.XentaraClient(simulator.url) as client:
            sub = client.subscribe(FAST_SINE, maximum_update_interval=None)
            try:
                assert (await sub.receive(timeout=5)).name == FAST_SINE
            finally:
                await sub.stop()

    run(main())


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )


def test_the_package_logger_prints_nothing_unless_configured() -> None:
    result = python(
        "import logging, xentara_sync; "
        "logging.getLogger('xentara_sync').warning('the connection was lost')"
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_importing_the_trio_flavour_without_trio_says_what_to_install() -> None:
    result = python(
        "import sys; sys.modules['trio'] = None\n"
        "try:\n"
        "    import xentara_sync.trio\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ImportError xentara_sync.trio needs ")
    assert 'pip install "xentara-sync[trio]"' in result.stdout
    if sys.version_info < (3, 11):
        assert "Python 3.11" in result.stdout
