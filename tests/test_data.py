"""The real model files in tests/data are unchanged copies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

#: Where the originals lie when the repository is checked out beside them.
SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"


def test_sample_model_is_a_xentara_model(sample_model: Path) -> None:
    model = json.loads(sample_model.read_text(encoding="utf-8"))
    assert isinstance(model, dict) and model, "a model file holds a JSON object"


def test_sample_model_is_the_original(sample_model: Path) -> None:
    original = SHARED_MODELS / sample_model.name
    if not original.is_file():
        pytest.skip(f"the originals are not beside the repository ({SHARED_MODELS})")
    assert sample_model.read_bytes() == original.read_bytes()


PUBLIC = Path(__file__).resolve().parent / "data" / "public"


@pytest.mark.parametrize("name", sorted(p.name for p in PUBLIC.glob("*.json")))
def test_public_models_are_the_originals(name: str) -> None:
    original = SHARED_MODELS / "public" / name
    if not original.is_file():
        pytest.skip(f"the originals are not beside the repository ({original.parent})")
    assert (PUBLIC / name).read_bytes() == original.read_bytes()


def test_every_public_model_has_its_origin_noted() -> None:
    origin = (PUBLIC / "ORIGIN.md").read_text(encoding="utf-8")
    for path in PUBLIC.glob("*.json"):
        assert f"| {path.name} |" in origin, path.name
