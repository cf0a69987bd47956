"""Reading model YAML: YAML 1.2 scalars on libyaml's parser, positions, alias bombs."""

from __future__ import annotations

import pytest

from uns.config.yamlfile import MAX_EXPANDED_NODES, read_yaml


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),  # YAML 1.1 would say True
        ("on", "on"),
        ("06:00", "06:00"),  # YAML 1.1 would say 360
        ("2026-12-25", "2026-12-25"),  # text: the calendar parser reads dates
        ("true", True),
        ("FALSE", False),
        ("null", None),
        ("~", None),
        ("12", 12),
        ("-7", -7),
        ("0x1F", 31),
        ("0o17", 15),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        (".inf", float("inf")),
        ("'12'", "12"),
        ('"true"', "true"),
        ("!!str 12", "12"),
        ("01", 1),  # the loader reports map codes written like this
        ("1_000", "1_000"),
    ],
)
def test_scalars_resolve_by_yaml_1_2(text: str, value: object) -> None:
    doc, problems = read_yaml(f"k: {text}\n", "f.yaml")
    assert problems == []
    assert doc is not None
    assert doc.data["k"] == value
    assert type(doc.data["k"]) is type(value)


def test_positions_of_keys_values_and_items() -> None:
    doc, _ = read_yaml("a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\n", "f.yaml")
    assert doc is not None
    assert doc.data["a"].lc.key("c") == (2, 2)
    assert doc.data["a"].lc.value("b") == (1, 5)
    assert doc.data["a"]["c"].lc.item(1) == (4, 6)
    assert doc.data["a"]["c"][1].lc.key("d") == (4, 7)


def test_merge_keys_merge_and_own_keys_win() -> None:
    doc, _ = read_yaml("base: &b {x: 1, y: 2}\nmine:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert doc is not None
    assert dict(doc.data["mine"]) == {"y": 3, "x": 1}


def test_alias_bomb_is_a_problem_not_an_out_of_memory() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    doc, problems = read_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert doc is None
    assert [p.rule for p in problems] == ["yaml-syntax"]
    assert str(MAX_EXPANDED_NODES) in problems[0].message
