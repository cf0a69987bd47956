"""The one `{placeholder}` grammar: templates, id patterns and the regexes built from them.

A placeholder is `{name}` with a lower-case capture name; everything else is literal text.
Topic patterns (`uns.model.topics`), id patterns, binding templates and lint's "which names can
this template render" all read placeholders through this module, so they cannot drift apart.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from uns.errors import TopicError

CAPTURE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def compile_inline(text: str, what: str) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """Compile text with `{name}` placeholders into an anchored regex, or None if it is literal."""
    if "{" not in text and "}" not in text:
        return None, ()  # most levels and names are literal: no regex scan
    names: list[str] = []
    literals: list[str] = []
    regex: list[str] = []
    pos = 0
    for m in PLACEHOLDER.finditer(text):
        name = m.group(1)
        if not CAPTURE_NAME.fullmatch(name):
            raise TopicError(
                f"{what}: capture {{{name}}} must be lower-case letters, digits and '_'"
            )
        if name in names:
            raise TopicError(f"{what}: capture {{{name}}} appears twice")
        literals.append(text[pos : m.start()])
        regex.append(re.escape(literals[-1]))
        # Non-greedy so "{a}.{b}" splits at the first separator; the last capture takes the rest.
        regex.append(f"(?P<{name}>.+?)")
        names.append(name)
        pos = m.end()
    literals.append(text[pos:])
    if any("{" in lit or "}" in lit for lit in literals):
        raise TopicError(f"{what}: unbalanced '{{' or '}}'")
    if not names:
        return None, ()
    regex.append(re.escape(literals[-1]))
    return re.compile("".join(regex), re.DOTALL), tuple(names)


def fill(text: str, value: Mapping[str, str] | str) -> str:
    """`text` with each placeholder replaced by its value (or by one text for all of them)."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda _m: value, text)
    return PLACEHOLDER.sub(lambda m: value[m.group(1)], text)


def template_regex(source: str, multi: frozenset[str] = frozenset()) -> re.Pattern[str]:
    """A regex for the texts a parsed template can render: captures take any text (no '/'
    unless they are multi-level captures)."""
    out, pos = [], 0
    for m in PLACEHOLDER.finditer(source):
        out.append(re.escape(source[pos : m.start()]))
        any_text = ".+" if m.group(1) in multi else "[^/]+"
        out.append(f"(?P<{m.group(1)}>{any_text})")
        pos = m.end()
    out.append(re.escape(source[pos:]))
    return re.compile("".join(out), re.DOTALL)


@dataclass(frozen=True, slots=True)
class NamePattern:
    """A pattern for ids inside batch payloads, e.g. `{line}.{asset}.{raw_tag}` for Kepware."""

    source: str
    regex: re.Pattern[str] | None
    captures: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> NamePattern:
        if not text:
            raise TopicError("id pattern is empty")
        regex, names = compile_inline(text, f"id pattern {text!r}")
        return cls(text, regex, names)

    def match(self, name: str) -> dict[str, str] | None:
        if self.regex is None:
            return {} if name == self.source else None
        m = self.regex.fullmatch(name)
        return m.groupdict() if m else None


@dataclass(frozen=True, slots=True)
class Template:
    """Text with `{name}` placeholders, rendered from captured values."""

    source: str
    fields: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        return _parse_template(text)

    def render(self, values: Mapping[str, str]) -> str:
        if not self.fields:
            return self.source
        return fill(self.source, values)

    @property
    def whole_capture(self) -> str | None:
        """The capture name when the template is exactly one placeholder (`{raw_tag}`)."""
        if len(self.fields) == 1 and self.source == "{" + self.fields[0] + "}":
            return self.fields[0]
        return None


@functools.lru_cache(maxsize=65536)  # frozen values; a large model repeats a few templates
def _parse_template(text: str) -> Template:
    _, names = compile_inline(text, f"template {text!r}")
    return Template(text, names)
