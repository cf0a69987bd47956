"""The topic trie: most specific match for routing, and overlapping patterns for lint.

Expected winners are derived by hand from the specificity order (literal > partial > single >
multi, longer wins, then the earlier added); overlaps from MQTT matching of both patterns.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.mqtt_filters import filter_matches
from uns.model.topics import TopicPattern
from uns.model.trie import TopicIndex


def index_of(*patterns: str) -> TopicIndex[str]:
    index: TopicIndex[str] = TopicIndex()
    for p in patterns:
        index.add(TopicPattern.parse(p), p)
    return index


def winner(index: TopicIndex[str], topic: str) -> str | None:
    hit = index.lookup(topic)
    return None if hit is None else hit.value


def test_lookup_takes_the_most_specific_pattern() -> None:
    index = index_of("a/+", "a/b", "a/#", "+/b", "a/{x}_y")
    assert winner(index, "a/b") == "a/b"
    assert winner(index, "a/c") == "a/+"
    assert winner(index, "a/c_y") == "a/{x}_y"
    assert winner(index, "a/c/d") == "a/#"
    assert winner(index, "a") == "a/#"  # like MQTT, a/# also matches a
    assert winner(index, "x/b") == "+/b"
    assert winner(index, "x/y") is None
    assert len(index) == 5


def test_equal_specificity_goes_to_the_earlier_pattern_with_its_captures() -> None:
    index = index_of("plc/{line}", "plc/{asset}")
    hit = index.lookup("plc/L1")
    assert hit is not None
    assert (hit.value, hit.captures, hit.order) == ("plc/{line}", {"line": "L1"}, 0)


def test_adding_a_pattern_invalidates_cached_answers() -> None:
    index = index_of("a/+")
    assert winner(index, "a/c") == "a/+"
    index.add(TopicPattern.parse("a/c"), "a/c")
    assert winner(index, "a/c") == "a/c"


def test_a_full_cache_is_cleared_and_answers_stay_right() -> None:
    index: TopicIndex[str] = TopicIndex(cache_size=2)
    index.add(TopicPattern.parse("a/{x}"), "ax")
    for topic in ["a/1", "a/2", "a/3", "a/1", "b/1"]:
        expected = "ax" if topic.startswith("a/") else None
        assert winner(index, topic) == expected


def test_candidates_are_every_match() -> None:
    index = index_of("a/+", "a/b", "#", "b/+")
    assert sorted(h.value for h in index.candidates("a/b")) == ["#", "a/+", "a/b"]


def test_overlapping_finds_patterns_a_common_topic_matches() -> None:
    index = index_of("a/b", "a/+", "a/#", "x/y", "+/y", "a/b/c")
    assert sorted(index.overlapping(TopicPattern.parse("a/b"))) == ["a/#", "a/+", "a/b"]
    assert sorted(index.overlapping(TopicPattern.parse("a/#"))) == [
        "+/y",  # both match a/y
        "a/#",
        "a/+",
        "a/b",
        "a/b/c",
    ]
    assert sorted(index.overlapping(TopicPattern.parse("+/y"))) == ["+/y", "a/#", "a/+", "x/y"]
    assert index.overlapping(TopicPattern.parse("q/r")) == []


def test_overlapping_treats_partial_levels_as_wildcards() -> None:
    index = index_of("a/{x}_1", "a/b")
    # "a/b" cannot match "{x}_1", but the trie does not look inside partial levels.
    assert sorted(index.overlapping(TopicPattern.parse("a/b"))) == ["a/b", "a/{x}_1"]


LEVELS = st.sampled_from(["a", "b", "+"])
FILTERS = st.lists(LEVELS, min_size=1, max_size=3).map("/".join) | st.lists(
    LEVELS, min_size=0, max_size=2
).map(lambda lv: "/".join([*lv, "#"]))
TOPICS = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4).map("/".join)


@given(st.lists(FILTERS, min_size=1, max_size=6), TOPICS)
def test_lookup_agrees_with_mqtt_matching(filters: list[str], topic: str) -> None:
    index = index_of(*filters)
    matching = [f for f in filters if filter_matches(f, topic)]
    found = {h.value for h in index.candidates(topic)}
    assert found == set(matching)
    assert (index.lookup(topic) is None) == (not matching)


@given(st.lists(FILTERS, min_size=1, max_size=6), FILTERS, TOPICS)
def test_overlapping_misses_no_pattern_sharing_a_topic(
    filters: list[str], probe: str, topic: str
) -> None:
    index = index_of(*filters)
    found = set(index.overlapping(TopicPattern.parse(probe)))
    if filter_matches(probe, topic):
        assert {f for f in filters if filter_matches(f, topic)} <= found
