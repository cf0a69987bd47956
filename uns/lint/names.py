"""Name similarity for the naming rules: case/separator folding, abbreviations, typos. Pure.

- `fold("Line_1") == fold("line-1") == "line1"`: case and separators ignored.
- `stem("temp_c") == ("temp",)`: tokens (split at separators and camelCase humps), lower
  case, common abbreviations expanded (`spd` -> `speed`), a trailing unit token dropped.
- `abbreviates(("temp",), ("temperature",))`: token by token equal or one a prefix (>= 3
  letters) of the other.
- `edit_distance` is Levenshtein with an early exit above a bound.
- `close_pairs` finds pairs within a distance through deletion neighbourhoods (SymSpell), so
  thousands of names are compared without comparing every pair.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

_SEPARATORS = re.compile(r"[\s\-_.:]+")
_HUMPS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")

# Unit suffixes people append to tag names (`temp_c`, `flow_m3h`, `level_pct`).
UNIT_TOKENS = frozenset(
    [
        "c",
        "f",
        "k",
        "degc",
        "degf",
        "pct",
        "percent",
        "bar",
        "mbar",
        "psi",
        "pa",
        "kpa",
        "mpa",
        "rpm",
        "hz",
        "kw",
        "w",
        "kwh",
        "a",
        "ma",
        "v",
        "kv",
        "mm",
        "cm",
        "m",
        "m3h",
        "m3",
        "lpm",
        "lph",
        "l",
        "kg",
        "g",
        "t",
        "s",
        "ms",
        "min",
        "h",
        "nm",
    ]
)
ABBREVIATIONS = {
    "spd": "speed",
    "lvl": "level",
    "cnt": "count",
    "qty": "quantity",
    "tmp": "temperature",
    "temp": "temperature",
    "press": "pressure",
    "prs": "pressure",
    "pres": "pressure",
    "flw": "flow",
    "pos": "position",
    "stat": "status",
    "sts": "status",
    "vib": "vibration",
    "hum": "humidity",
    "wt": "weight",
    "amp": "current",
    "amps": "current",
    "volt": "voltage",
    "pwr": "power",
    "sp": "setpoint",
    "pv": "value",
}


def fold(name: str) -> str:
    """Lower case without separators: names that differ only by case or separators fold equal."""
    return _SEPARATORS.sub("", name).casefold()


def tokens(name: str) -> tuple[str, ...]:
    """Words of a name: split at separators and at camelCase humps, lower-cased."""
    out: list[str] = []
    for part in _SEPARATORS.split(name):
        out += [t.casefold() for t in _HUMPS.findall(part)]
    return tuple(out)


def stem(name: str, *, units: bool = True) -> tuple[str, ...]:
    """Tokens with abbreviations expanded and (for tags) one trailing unit token dropped."""
    toks = [ABBREVIATIONS.get(t, t) for t in tokens(name)]
    if units and len(toks) > 1 and toks[-1] in UNIT_TOKENS:
        toks.pop()
    return tuple(toks)


def digits(name: str) -> tuple[str, ...]:
    return tuple(_DIGITS.findall(name))


def abbreviates(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same number of tokens, each equal or one a prefix (>= 3 letters) of the other."""
    if len(a) != len(b) or not a:
        return False
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        short, long_ = (x, y) if len(x) < len(y) else (y, x)
        if len(short) < 3 or short.isdigit() or not long_.startswith(short):
            return False
    return True


def edit_distance(a: str, b: str, bound: int = 2) -> int:
    """Levenshtein distance, or `bound + 1` as soon as it must exceed `bound`."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > bound:
            return bound + 1
        prev = cur
    return prev[-1]


def _deletions(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def close_pairs(words: Iterable[str], max_distance: int) -> Iterator[tuple[str, str]]:
    """Pairs (a < b) of distinct words within `max_distance` edits of each other."""
    if max_distance <= 0:
        return
    buckets: dict[str, list[str]] = defaultdict(list)
    for w in set(words):
        for d in _deletions(w, max_distance):
            buckets[d].append(w)
    seen: set[tuple[str, str]] = set()
    for group in buckets.values():
        if len(group) < 2:
            continue
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                pair = (a, b) if a < b else (b, a)
                if pair not in seen:
                    seen.add(pair)
                    if edit_distance(a, b, max_distance) <= max_distance:
                        yield pair
