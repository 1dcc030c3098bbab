"""Every flavour exposes the same public API with the same parameters and defaults."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import xentara_sync
from tests.flavours import TRIO_MISSING
from xentara_sync import aio

FLAVOURS: list[Any] = [xentara_sync]
if not TRIO_MISSING:
    import xentara_sync.trio

    FLAVOURS.append(xentara_sync.trio)


def public(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") or name in ("__getitem__", "__contains__", "__len__")
    }


def parameters(member: Any) -> list[tuple[str, Any, Any]]:
    if isinstance(member, property) or not callable(member):
        return []
    signature = inspect.signature(member)
    return [(p.name, p.kind, p.default) for p in signature.parameters.values() if p.name != "self"]


@pytest.mark.parametrize("flavour", FLAVOURS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("name", ["XentaraClient", "Subscription", "SubSession"])
def test_same_methods_parameters_and_defaults(flavour: Any, name: str) -> None:
    reference = public(getattr(aio, name))
    twin = public(getattr(flavour, name))
    missing = sorted(set(reference) - set(twin))
    assert missing == [], f"{flavour.__name__}.{name} lacks {missing}"
    for member_name, member in reference.items():
        expected = parameters(member)
        got = parameters(twin[member_name])
        # The twin may add keyword-only parameters (e.g. callback=) after the common ones.
        assert got[: len(expected)] == expected, f"{name}.{member_name}"


def test_constructor_defaults_match_the_documented_api() -> None:
    for flavour in (aio, *FLAVOURS):
        params = inspect.signature(flavour.XentaraClient).parameters
        assert list(params)[:3] == ["url", "root_element", "verify_ssl"]
        assert params["root_element"].default == "Hardware"
        assert params["verify_ssl"].default is True
        subscribe = inspect.signature(flavour.XentaraClient.subscribe).parameters
        assert subscribe["maximum_update_interval"].default == 500
        assert subscribe["minimum_update_interval"].default == 1000
