"""What the service subscribes to: no overlaps, context and births never shared."""

from __future__ import annotations

from pathlib import Path

from uns.config.loader import load_model
from uns.config.settings import ServiceSettings
from uns.model.topics import minimal_filters
from uns.service import Service

ROOT = Path(__file__).parent.parent.parent
PLANT = ROOT / "tests" / "data" / "models" / "plant"


def filters(models: Path, **settings: object) -> list[str]:
    service = Service(ServiceSettings(models=str(models), **settings), load_model(models))
    return [f for f, qos in service.subscriptions()]


def test_shipped_model_subscriptions_do_not_overlap() -> None:
    got = filters(ROOT / "models")
    assert got == minimal_filters(got)
    assert len(got) < len(load_model(ROOT / "models").bindings)  # overlapping ones were merged


def test_share_group_shares_raw_data_only() -> None:
    got = filters(PLANT, share_group="uns")
    shared = [f for f in got if f.startswith("$share/uns/")]
    private = [f for f in got if not f.startswith("$share/")]
    assert "mes/+/batch" in private
    assert "spBv1.0/+/NBIRTH/#" in private
    assert "spBv1.0/+/DDEATH/#" in private
    assert "$share/uns/spBv1.0/+/DDATA/#" in shared
    assert "$share/uns/raw/json/+/+" in shared
    assert not any("mes/" in f for f in shared)


def test_explicit_subscribe_replaces_the_derived_raw_filters() -> None:
    got = filters(PLANT, subscribe=["raw/#"])
    assert "raw/#" in got
    assert not any(f.startswith("raw/") and f != "raw/#" for f in got)
