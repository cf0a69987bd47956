"""Properties of topic patterns, the topic index and subscription filters."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from tests.mqtt_filters import filter_matches
from uns.errors import TopicError
from uns.model.topics import TopicPattern, UnsTopic, minimal_filters
from uns.model.trie import TopicIndex

level = st.sampled_from(["a", "b", "c", "L1", "x"])
filter_level = st.sampled_from(["a", "b", "c", "+"])


@st.composite
def filters(draw: st.DrawFn) -> str:
    levels = draw(st.lists(filter_level, min_size=1, max_size=4))
    if draw(st.booleans()):
        levels.append("#")
    return "/".join(levels)


@given(st.lists(filters(), min_size=1, max_size=12), st.lists(level, min_size=1, max_size=5))
def test_minimal_filters_match_exactly_the_same_topics(
    fs: list[str], topic_levels: list[str]
) -> None:
    topic = "/".join(topic_levels)
    kept = minimal_filters(fs)
    assert set(kept) <= set(fs)
    assert any(filter_matches(f, topic) for f in fs) == any(filter_matches(f, topic) for f in kept)
    # no kept filter is covered by another one
    for f in kept:
        assert minimal_filters([f, *[g for g in kept if g != f]]).count(f) == 1


name = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)


@given(st.lists(name, min_size=1, max_size=7))
def test_uns_topic_format_parse_round_trip(levels: list[str]) -> None:
    topic = UnsTopic(tuple(levels))
    assert UnsTopic.parse(str(topic)) == topic


@given(st.text(max_size=60))
def test_parsers_fail_only_with_topic_error(raw: str) -> None:
    with contextlib.suppress(TopicError):
        UnsTopic.parse(raw)
    with contextlib.suppress(TopicError):
        TopicPattern.parse(raw)


@given(
    st.lists(filters(), min_size=1, max_size=10, unique=True),
    st.lists(level, min_size=1, max_size=5),
)
def test_index_finds_a_pattern_iff_some_pattern_matches(
    fs: list[str], topic_levels: list[str]
) -> None:
    topic = "/".join(topic_levels)
    index: TopicIndex[str] = TopicIndex()
    for f in fs:
        index.add(TopicPattern.parse(f), f)
    hit = index.lookup(topic)
    matching = [f for f in fs if TopicPattern.parse(f).match(topic_levels) is not None]
    assert (hit is not None) == bool(matching)
    if hit is not None:
        best = max(TopicPattern.parse(f).specificity for f in matching)
        assert hit.pattern.specificity == best
