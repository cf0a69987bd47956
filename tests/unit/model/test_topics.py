"""Topic types: governed topics, level checks, raw topic patterns and subscription filters.

Matching expectations for `+` and `#` are the examples of MQTT 3.1.1 section 4.7 (and 5.0
section 4.7); the rest is derived by hand from the pattern syntax in `uns.model.topics`.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uns.errors import TopicError
from uns.model.topics import (
    LITERAL,
    MULTI,
    PARTIAL,
    SINGLE,
    TopicPattern,
    UnsTopic,
    check_level,
    minimal_filters,
)


@pytest.mark.parametrize(
    ("level", "fragment"),
    [
        ("", "is empty"),
        ("a+b", "'+'"),
        ("a#", "'#'"),
        ("a/b", "'/'"),
        ("a\x00", "'\\x00'"),
        ("$SYS", "starts with '$'"),
    ],
)
def test_check_level_names_what_is_wrong(level: str, fragment: str) -> None:
    with pytest.raises(TopicError, match="level 3") as info:
        check_level(level, "level 3")
    assert fragment in str(info.value)


def test_check_level_accepts_plain_text_with_spaces_and_dollar_inside() -> None:
    for level in ("line 1", "a$b", "Füller-1", "x.y_z"):
        assert check_level(level, "x") is None  # raises on anything it rejects


def test_uns_topic_parses_and_prints_back() -> None:
    topic = UnsTopic.parse("acme/cologne/line-1/temp")
    assert topic.levels == ("acme", "cologne", "line-1", "temp")
    assert str(topic) == "acme/cologne/line-1/temp"


@pytest.mark.parametrize("text", ["a//b", "/a", "a/", "a/+/b", "a/#", "$SYS/x"])
def test_uns_topic_rejects_bad_levels(text: str) -> None:
    with pytest.raises(TopicError):
        UnsTopic.parse(text)


def test_uns_topic_needs_a_level_and_at_most_65535_bytes() -> None:
    with pytest.raises(TopicError, match="no levels"):
        UnsTopic(())
    UnsTopic(("a" * 65535,))
    with pytest.raises(TopicError, match="65535"):
        UnsTopic(("a" * 32768, "b" * 32767))  # 65536 bytes with the '/'


def test_pattern_levels_and_captures() -> None:
    p = TopicPattern.parse("plc/{line}/{area}_{cell}/+/{rest#}")
    assert [lvl.kind for lvl in p.levels] == [LITERAL, SINGLE, PARTIAL, SINGLE, MULTI]
    assert p.captures == ("line", "area", "cell", "rest")
    assert p.levels[1].capture == "line"
    assert p.levels[2].names == ("area", "cell")
    assert p.levels[3].capture is None
    assert p.subscription() == "plc/+/+/+/#"


def test_parsing_is_cached_for_equal_text() -> None:
    assert TopicPattern.parse("a/{b}/c") is TopicPattern.parse("a/{b}/c")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("$share/group/a/b", "shared subscriptions"),
        ("a/#/b", "must be the last"),
        ("a/{rest#}/b", "must be the last"),
        ("a+/b", "whole segment"),
        ("a/b#", "whole segment"),
        ("a/{Line}", "lower-case"),
        ("{x}/{x}", "appears twice"),
        ("{x}_{x}", "appears twice"),
        ("a/{b", "unbalanced"),
        ("a/b}", "unbalanced"),
        ("a/{Rest#}", "lower-case"),
        ("a/\x00", "NUL"),
    ],
)
def test_bad_patterns_say_which_segment(text: str, fragment: str) -> None:
    with pytest.raises(TopicError, match=fragment):
        TopicPattern.parse(text)


def matches(pattern: str, topic: str) -> bool:
    return TopicPattern.parse(pattern).match(topic.split("/")) is not None


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        # MQTT 4.7.1.2: "sport/tennis/player1/#"
        ("sport/tennis/player1/#", "sport/tennis/player1", True),
        ("sport/tennis/player1/#", "sport/tennis/player1/ranking", True),
        ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", True),
        ("sport/#", "sport", True),
        ("#", "sport/tennis", True),
        # MQTT 4.7.1.3: "+"
        ("sport/tennis/+", "sport/tennis/player1", True),
        ("sport/tennis/+", "sport/tennis/player2", True),
        ("sport/tennis/+", "sport/tennis/player1/ranking", False),
        ("sport/+", "sport", False),
        ("sport/+", "sport/", True),
        ("+/+", "/finance", True),
        ("/+", "/finance", True),
        ("+", "/finance", False),
        ("+/tennis/#", "sport/tennis/player1", True),
        ("sport/+/player1", "sport/tennis/player1", True),
        # literal levels are case sensitive and exact
        ("sport/tennis", "Sport/tennis", False),
        ("sport/tennis", "sport/tennis/x", False),
    ],
)
def test_wildcards_match_as_mqtt_specifies(pattern: str, topic: str, expected: bool) -> None:
    assert matches(pattern, topic) is expected


def test_captures_take_their_levels() -> None:
    p = TopicPattern.parse("plc/{line}/{raw_tag}")
    assert p.match(["plc", "L1", "temp"]) == {"line": "L1", "raw_tag": "temp"}
    assert p.match(["plc", "L1"]) is None
    assert p.match(["opc", "L1", "temp"]) is None


def test_multi_level_capture_needs_one_level_and_joins_the_rest() -> None:
    p = TopicPattern.parse("a/{rest#}")
    assert p.match(["a", "b", "c"]) == {"rest": "b/c"}
    assert p.match(["a"]) is None  # unlike '#', a named capture needs something to capture


def test_partial_level_splits_at_the_first_separator() -> None:
    p = TopicPattern.parse("{line}_{cell}")
    assert p.match(["L1_C2"]) == {"line": "L1", "cell": "C2"}
    assert p.match(["L1_C2_x"]) == {"line": "L1", "cell": "C2_x"}
    assert p.match(["L1C2"]) is None


def test_specificity_orders_literal_partial_single_multi_then_length() -> None:
    ranked = ["a/b", "a/{x}_b", "a/+", "a/#"]
    keys = [TopicPattern.parse(p).specificity for p in ranked]
    assert keys == sorted(keys, reverse=True)
    assert TopicPattern.parse("a/+/c").specificity > TopicPattern.parse("a/+").specificity


@pytest.mark.parametrize(
    ("filters", "kept"),
    [
        (["plc/+/+", "plc/L1/+"], ["plc/+/+"]),
        (["a", "a/#", "a/b", "a/+/c"], ["a/#"]),
        (["#", "+/x", "y"], ["#"]),
        (["a/+", "a/b/#"], ["a/+", "a/b/#"]),
        (["a/b", "a/b"], ["a/b"]),
        (["b/+", "a/+"], ["a/+", "b/+"]),
        (["+/+", "+/b", "a/+"], ["+/+"]),
    ],
)
def test_minimal_filters_drop_covered_filters(filters: list[str], kept: list[str]) -> None:
    assert minimal_filters(filters) == kept


LEVEL = st.text(
    alphabet=st.characters(blacklist_characters="+#/\x00{}", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=8,
).filter(lambda s: not s.startswith("$"))


@given(st.lists(LEVEL, min_size=1, max_size=6))
def test_uns_topic_round_trips(levels: list[str]) -> None:
    topic = UnsTopic(tuple(levels))
    assert UnsTopic.parse(str(topic)) == topic


@given(st.lists(LEVEL, min_size=1, max_size=6))
def test_a_literal_pattern_matches_exactly_its_own_topic(levels: list[str]) -> None:
    text = "/".join(levels)
    p = TopicPattern.parse(text)
    assert p.source == text
    assert p.subscription() == text
    assert p.match(levels) == {}
    assert p.match([*levels, "x"]) is None


@given(st.text(max_size=30))
def test_parsers_raise_only_topic_error(text: str) -> None:
    for parse in (TopicPattern.parse, UnsTopic.parse):
        with contextlib.suppress(TopicError):
            parse(text)
