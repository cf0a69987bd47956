from __future__ import annotations

from pathlib import Path

import pytest

from uns.config.loader import load_model
from uns.model.namespace import Namespace

MODEL = Path(__file__).parents[2] / "data" / "models" / "plant"


@pytest.fixture(scope="module")
def plant() -> Namespace:
    return load_model(MODEL)
