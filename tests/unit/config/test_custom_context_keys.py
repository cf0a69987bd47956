"""Context keys a model declares itself (ISA-88 recipe, lot, operator, ...; issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.config.enrich import context_after
from tests.unit.config.test_loader import load
from uns.context.production import ContextStore, ProductionContext
from uns.contract.payloads import shared_schemas

ENTERPRISE = """\
    enterprise:
      name: acme
      context_keys: [recipe, lot, operator]
    """

FILES = {
    "enterprise.yaml": ENTERPRISE,
    "sites.yaml": """\
        sites:
          plant:
            timezone: Europe/Berlin
            context: {operator: nobody}
            area:
              utilities:
                line:
                  water:
                    context: {recipe: R-default}
                    equipment:
                      pump-1: pump
        """,
    "bindings.yaml": """\
        bindings:
          - topic: "plc/{eq}/{tag}"
            format: json
            equipment: "plant/utilities/water/{eq}"
        """,
    "context.yaml": """\
        context:
          - name: isa88-unit
            topic: mes/water/unit
            scope: plant/utilities/water
            fields: {batch: batchId, recipe: control.recipe, lot: lotId}
          - name: operator
            topic: mes/water/operator
            format: scalar
            scope: plant/utilities/water
            key: operator
        """,
}


def test_declared_keys_follow_the_built_in_ones_in_every_payload(tmp_path: Path) -> None:
    ns, problems = load(tmp_path, FILES)
    assert problems == []
    context = context_after(ns)
    assert list(context) == [
        *("shift", "crew", "batch", "product", "order"),
        *("recipe", "lot", "operator"),
    ]
    assert (context["recipe"], context["lot"], context["operator"]) == (
        "R-default",  # static context of the line
        None,
        "nobody",  # static context of the site
    )


def test_declared_keys_are_filled_by_json_and_scalar_sources(tmp_path: Path) -> None:
    ns, _ = load(tmp_path, FILES)
    unit = b'{"batchId": "B-9", "control": {"recipe": "R-12"}, "lotId": "L-77"}'
    context = context_after(ns, ("mes/water/unit", unit), ("mes/water/operator", b"ann"))
    assert (context["batch"], context["recipe"], context["lot"], context["operator"]) == (
        "B-9",
        "R-12",
        "L-77",
        "ann",
    )


def test_the_contract_lists_the_declared_keys(tmp_path: Path) -> None:
    ns, _ = load(tmp_path, FILES)
    context = shared_schemas(ns)["context"]
    assert context["required"][-3:] == ["recipe", "lot", "operator"]
    assert context["properties"]["lot"] == {"type": ["string", "null"]}


def test_the_store_keeps_declared_keys_apart_from_the_built_in_ones() -> None:
    store = ContextStore()
    store.declare(["recipe", "lot"])
    store.announce(("plant",), "lot", "L-1", 100)
    store.announce(("plant",), "batch", "B-1", 100)
    found = store.lookup(("plant", "water"), 150)
    assert found == (*ProductionContext("B-1", None, None), None, "L-1")
    assert found.extra == (None, "L-1")
    assert store.extra_keys == ("recipe", "lot")
    with pytest.raises(ValueError, match="unknown context key 'operator'"):
        store.announce(("plant",), "operator", "ann", 100)


@pytest.mark.parametrize(
    ("replace", "line", "message"),
    [
        (
            {"enterprise.yaml": ENTERPRISE.replace("operator]", "operator, Step]")},
            3,
            "context key 'Step' does not match naming.tag_pattern ^[a-z][a-z0-9_]*$",
        ),
        (
            {"enterprise.yaml": ENTERPRISE.replace("operator]", "operator, shift]")},
            3,
            "context key 'shift' is already a context key",
        ),
        (
            {"sites.yaml": FILES["sites.yaml"].replace("{recipe:", "{recipie:")},
            9,
            "unknown context key 'recipie' (did you mean 'recipe'?); declare it in "
            "enterprise.context_keys",
        ),
        (
            {"context.yaml": FILES["context.yaml"].replace("lot: lotId", "lotnr: lotId")},
            5,
            "unknown context key 'lotnr' (did you mean 'lot'?); declare it in "
            "enterprise.context_keys",
        ),
    ],
)
def test_check_refuses_undeclared_or_badly_named_keys(
    tmp_path: Path, replace: dict[str, str], line: int, message: str
) -> None:
    _, problems = load(tmp_path, {**FILES, **replace})
    assert [(p.pos.line, p.message) for p in problems] == [(line, message)]
