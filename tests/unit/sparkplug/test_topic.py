"""The Sparkplug topic namespace as a structured address: parse/format round trips, the
address a binding is matched on, and the one error type a malformed topic raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uns.errors import DecodeError, TopicError
from uns.sparkplug import (
    MessageType,
    SparkplugAddress,
    SparkplugTopic,
    SparkplugTopicError,
    parse_sparkplug_topic,
)

# Any text a topic level may hold: no '/', no wildcard, not empty.
level = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="/+#"), min_size=1, max_size=12
)
# `spBv1.0/STATE/...` is the host STATE namespace, so no group may be called STATE.
group_level = level.filter(lambda g: g != "STATE")
node_types = st.sampled_from([t for t in MessageType if t is not MessageType.STATE])


@given(group_level, node_types, level, level)
def test_node_and_device_topics_round_trip(
    group: str, message_type: MessageType, edge_node: str, device: str
) -> None:
    built = SparkplugTopic(
        message_type, group, edge_node, device if message_type.has_device else None
    )
    parsed = parse_sparkplug_topic(str(built))
    assert parsed == built
    assert parsed is not None
    assert str(parsed) == str(built)
    address = parsed.address
    assert address == SparkplugAddress(group, edge_node, built.device)
    # The address leaves the message type out: births, data and deaths share it.
    expected = ("spBv1.0", group, edge_node) + ((device,) if message_type.has_device else ())
    assert address.levels == expected
    assert address.text == "/".join(expected) == str(address)


@given(level)
def test_state_topics_round_trip_and_have_no_address(host_id: str) -> None:
    parsed = parse_sparkplug_topic(f"spBv1.0/STATE/{host_id}")
    assert parsed == SparkplugTopic(MessageType.STATE, host_id=host_id)
    assert parsed is not None
    assert parsed.address is None
    assert str(parsed) == f"spBv1.0/STATE/{host_id}"


@given(st.lists(st.text(max_size=8), min_size=0, max_size=6))
def test_anything_under_the_namespace_parses_or_raises_only_decode_error(
    levels: list[str],
) -> None:
    topic = "/".join(["spBv1.0", *levels])
    error: DecodeError | None = None
    try:
        parsed = parse_sparkplug_topic(topic)
    except DecodeError as exc:
        error = exc
    if error is None:
        assert parsed is not None
        assert str(parsed) == topic
        return
    assert isinstance(error, SparkplugTopicError)
    assert error.reason == "bad_sparkplug_topic"
    assert isinstance(error, TopicError)  # still a bad topic for callers that ask that


def test_an_address_is_equal_whatever_message_type_it_came_from() -> None:
    birth = parse_sparkplug_topic("spBv1.0/Plant/DBIRTH/edge/Pump 1")
    death = parse_sparkplug_topic("spBv1.0/Plant/DDEATH/edge/Pump 1")
    assert birth is not None
    assert death is not None
    assert birth.address == death.address
    assert hash(birth.address) == hash(death.address)


def test_the_error_names_the_bad_segment() -> None:
    with pytest.raises(SparkplugTopicError, match="group segment 1 is empty") as caught:
        parse_sparkplug_topic("spBv1.0//NDATA/edge")
    assert caught.value.detail == str(caught.value)
