"""Inverting bindings: concrete topics for patterns, raw codes for model names."""

from __future__ import annotations

from uns.model.topics import TopicPattern
from uns.simulator.plant import FILLER, inverse_map, render_topic, template_regex


def test_render_topic_fills_captures_and_wildcards() -> None:
    pattern = TopicPattern.parse("plc/{site}/+/{line}-{cell}/#")
    topic = render_topic(pattern, {"site": "cgn", "line": "L2", "cell": "FIL01"})
    assert topic == f"plc/cgn/{FILLER}/L2-FIL01/{FILLER}"
    assert pattern.match(topic.split("/")) is not None


def test_inverse_map_takes_the_first_code_of_each_name() -> None:
    assert inverse_map({"2": "filling", "1": "filling", "3": "capping"}) == {
        "filling": "1",
        "capping": "3",
    }


def test_template_regex_captures_by_name() -> None:
    m = template_regex("{site}/{area}/line-{n}").fullmatch("cologne/bottling/line-2")
    assert m is not None
    assert m.groupdict() == {"site": "cologne", "area": "bottling", "n": "2"}
