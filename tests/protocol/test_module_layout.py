"""The protocol's modules: their public names exist, and the package offers them."""

from __future__ import annotations

import importlib

import pytest

MODULES = ["cbor", "framing", "packets", "quoting", "tags", "timepoint", "values"]


@pytest.mark.parametrize("module", MODULES)
def test_public_names_of_each_module_exist(module: str) -> None:
    loaded = importlib.import_module(f"xentara_sync.protocol.{module}")
    for name in loaded.__all__:
        assert hasattr(loaded, name), name


def test_the_package_offers_the_public_names_of_its_codec_modules() -> None:
    package = importlib.import_module("xentara_sync.protocol")
    for module in ["framing", "packets", "timepoint", "values"]:
        loaded = importlib.import_module(f"xentara_sync.protocol.{module}")
        for name in loaded.__all__:
            assert getattr(package, name) is getattr(loaded, name), name
    cbor = importlib.import_module("xentara_sync.protocol.cbor")
    assert (package.encode, package.decode) == (cbor.encode, cbor.decode)


def test_the_codec_shim_is_gone() -> None:
    with pytest.raises(ImportError):
        importlib.import_module("xentara_sync.protocol.codec")
