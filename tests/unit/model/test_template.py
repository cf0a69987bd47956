"""The one `{placeholder}` grammar: templates, id patterns, fill and template regexes.

Expected values are derived by hand from the grammar: `{name}` with a lower-case name, the
rest literal; captures in id patterns are non-greedy, so the last capture takes the rest.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uns.errors import TopicError
from uns.model.template import (
    NamePattern,
    Template,
    compile_inline,
    fill,
    template_regex,
)


def test_template_fields_in_order_and_render() -> None:
    tpl = Template.parse("{site}/packaging/{line}")
    assert tpl.fields == ("site", "line")
    assert tpl.render({"site": "cologne", "line": "line-1"}) == "cologne/packaging/line-1"


def test_literal_template_renders_itself() -> None:
    tpl = Template.parse("cologne/packaging")
    assert tpl.fields == ()
    assert tpl.render({}) == "cologne/packaging"


def test_whole_capture_only_for_exactly_one_placeholder() -> None:
    assert Template.parse("{raw_tag}").whole_capture == "raw_tag"
    assert Template.parse("{raw_tag}_x").whole_capture is None
    assert Template.parse("{a}{b}").whole_capture is None
    assert Template.parse("temp").whole_capture is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{Site}", "lower-case"),
        ("{1x}", "lower-case"),
        ("{}", "lower-case"),
        ("{a b}", "lower-case"),
        ("{a}/{a}", "appears twice"),
        ("{a", "unbalanced"),
        ("a}", "unbalanced"),
        ("{{a}}", "unbalanced"),
    ],
)
def test_bad_templates_are_topic_errors(text: str, fragment: str) -> None:
    with pytest.raises(TopicError, match=fragment):
        Template.parse(text)


def test_compile_inline_literal_has_no_regex() -> None:
    assert compile_inline("plain", "x") == (None, ())


def test_id_pattern_last_capture_takes_the_rest() -> None:
    p = NamePattern.parse("{line}.{asset}.{raw_tag}")
    assert p.captures == ("line", "asset", "raw_tag")
    assert p.match("L1.P1.temp.max") == {"line": "L1", "asset": "P1", "raw_tag": "temp.max"}
    assert p.match("L1.P1") is None


def test_literal_id_pattern_matches_only_itself() -> None:
    p = NamePattern.parse("Channel1.Device1.Temp")
    assert p.match("Channel1.Device1.Temp") == {}
    assert p.match("Channel1xDevice1.Temp") is None  # '.' is literal, not a regex dot


def test_empty_id_pattern_is_rejected() -> None:
    with pytest.raises(TopicError, match="empty"):
        NamePattern.parse("")


def test_fill_with_values_or_one_text() -> None:
    assert fill("{a}-{b}", {"a": "1", "b": "2"}) == "1-2"
    assert fill("{a}_{b}", "{}") == "{}_{}"


def test_template_regex_keeps_captures_within_a_level_unless_multi() -> None:
    rx = template_regex("{site}/packaging/{line}")
    m = rx.fullmatch("cologne/packaging/line-1")
    assert m is not None
    assert m.groupdict() == {"site": "cologne", "line": "line-1"}
    assert rx.fullmatch("cologne/packaging/line-1/filler") is None
    multi = template_regex("{site}/{rest}", frozenset({"rest"}))
    m = multi.fullmatch("cologne/packaging/line-1")
    assert m is not None
    assert m.group("rest") == "packaging/line-1"


def test_template_regex_escapes_literal_text() -> None:
    rx = template_regex("a.b/{x}")
    assert rx.fullmatch("a.b/1") is not None
    assert rx.fullmatch("axb/1") is None


NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True)
LITERAL = st.text(alphabet="abcXYZ019-./ ", min_size=1, max_size=4)


@given(st.lists(NAME, min_size=1, max_size=4, unique=True), st.lists(LITERAL, min_size=5))
def test_render_then_match_round_trips(names: list[str], literals: list[str]) -> None:
    """Rendering distinct values into a template and matching them back gives the values,
    when separators do not occur inside the values."""
    text = literals[0] + "".join(f"{{{n}}}{literals[i + 1]}" for i, n in enumerate(names))
    tpl = Template.parse(text)
    assert tpl.fields == tuple(names)
    values = {n: "q" * (i + 1) for i, n in enumerate(names)}  # no literal character
    rendered = tpl.render(values)
    assert NamePattern.parse(text).match(rendered) == values
    assert fill(text, values) == rendered


@given(st.text(max_size=20))
def test_parsers_raise_only_topic_error(text: str) -> None:
    for parse in (Template.parse, NamePattern.parse):
        with contextlib.suppress(TopicError):
            parse(text)
