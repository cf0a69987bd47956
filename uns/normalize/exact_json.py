"""Reading JSON payloads without losing anything silently.

orjson is fast but forgiving in two ways a contextualizer must not be:

- an integer outside the 64-bit range becomes the nearest float (`-9223372036854775809`
  reads as `-9.223372036854776e18`, which an int tag would then publish as -2**63);
- a duplicate key keeps the last value (`{"v": 1, "v": 2}` is `{"v": 2}`).

`loads_exact` decodes with orjson, then checks what orjson decoded in one walk: a float of
magnitude 2**63 or more may be an integer orjson rounded, and fewer keys in the decoded objects
than `"key":` spellings in the text means a duplicate (or a `":` inside a string). Only then
does it decode again with the standard library, which keeps integers exact at any size and
shows every key. A duplicate key raises `DecodeError("duplicate_key")`.
A flat object (the common payload) skips the walk: its floats and a count of quotes decide.
The caller turns orjson's own errors into its reasons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Final

import orjson

from uns.errors import DecodeError, excerpt

__all__ = ["DUPLICATE_KEY", "loads_exact"]

DUPLICATE_KEY: Final = "duplicate_key"

_BIG: Final = 2.0**63  # orjson reads integers outside -2**63 .. 2**64-1 as floats
_SPACED_KEY_END: Final = re.compile(rb'"[ \t\r\n]+:')


def _suspect(doc: object, spelled_keys: int) -> bool:
    """True when the decoded document may differ from the text (see the module docstring)."""
    keys = 0
    stack = [doc]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            keys += len(node)
            values: Iterable[object] = node.values()
        else:
            values = node  # type: ignore[assignment]
        for value in values:
            kind = type(value)
            if kind is dict or kind is list:
                stack.append(value)
            elif kind is float and not -_BIG < value < _BIG:  # type: ignore[operator]
                return True
    return keys != spelled_keys


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DecodeError(DUPLICATE_KEY, f"the JSON key {excerpt(key, 40)} appears twice")
            seen.add(key)
    return doc


def _constant(name: str) -> object:  # never called: orjson refused NaN and Infinity already
    raise DecodeError("bad_json", f"invalid JSON: {name}")


def loads_exact(payload: bytes) -> object:
    """The JSON document; raises orjson.JSONDecodeError as orjson does, and DecodeError
    `duplicate_key` for a duplicate key. Integers are exact at any size."""
    doc = orjson.loads(payload)
    kind = type(doc)
    if kind is not dict and kind is not list:
        if kind is float and not -_BIG < doc < _BIG:
            return json.loads(payload)  # perhaps an integer beyond 64 bits: keep it exact
        return doc
    raw = payload if type(payload) is bytes else bytes(payload)
    # Most payloads are one flat object. Then a count of quotes decides: each key and each
    # string value is one quoted token, so any more quotes mean a duplicate key (or an escaped
    # quote, which takes the general path below, as does a `{` or `[` inside a string).
    if kind is dict and raw.count(b"{") == 1 and raw.count(b"[") == 0:
        strings = 0
        for value in doc.values():
            if type(value) is str:
                strings += 1
            elif type(value) is float and not -_BIG < value < _BIG:
                break  # perhaps an integer orjson rounded
        else:
            if raw.count(b'"') == 2 * (len(doc) + strings):
                return doc
    spelled = raw.count(b'":')
    if b'" ' in raw or b'"\t' in raw or b'"\r' in raw or b'"\n' in raw:
        spelled += len(_SPACED_KEY_END.findall(raw))  # `"key" :`, rare but valid
    if not _suspect(doc, spelled):
        return doc
    return json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_constant)
