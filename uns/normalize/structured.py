"""Structured values: one JSON object or array as one value (`object`), and tables with typed
columns (`dataset`), as Sparkplug DataSets, Template instances, recipe parameter sets and alarm
records carry them. Pure.

`object` takes any JSON object or array and publishes it as it is; the checks only keep out
what JSON cannot hold (non-text keys, NaN or infinite numbers, integers beyond 64 bits) and
nesting deep enough to be an attack rather than data.

`dataset` publishes a list of rows, each an object with the declared columns in their declared
order, every cell coerced to its column's datatype (`null` stays `null`). It reads the table
as a Sparkplug DataSet (`{"columns": [...], "rows": [[...], ...]}`) or a list of row objects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final

from uns.errors import DecodeError

MAX_DEPTH: Final = 32  # nesting levels of one structured value
_INT64: Final = (-(2**63), 2**64 - 1)  # what orjson serialises (signed and unsigned 64-bit)

Coercer = Callable[[object], object]


def _bad(why: str) -> DecodeError:
    return DecodeError("bad_value", why)


def _check_json(raw: object, depth: int, where: str) -> None:
    if depth > MAX_DEPTH:
        raise _bad(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if raw is None or isinstance(raw, str | bool):
        return
    if isinstance(raw, int):
        if not _INT64[0] <= raw <= _INT64[1]:
            raise _bad(f"{where}: integer {raw} is beyond 64 bits")
        return
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _bad(f"{where}: {raw} is not a finite number")
        return
    if isinstance(raw, dict):
        for key, item in raw.items():
            if not isinstance(key, str):
                raise _bad(f"{where}: key {key!r} is not text")
            _check_json(item, depth + 1, f"{where}.{key}")
        return
    if isinstance(raw, list | tuple):
        for i, item in enumerate(raw):
            _check_json(item, depth + 1, f"{where}[{i}]")
        return
    raise _bad(f"{where}: a {type(raw).__name__} is not a JSON value")


def to_object(raw: object) -> object:
    """A JSON object or array, checked to be serialisable as it is."""
    if not isinstance(raw, dict | list | tuple):
        raise _bad(f"an object value must be a JSON object or array, not {type(raw).__name__}")
    _check_json(raw, 1, "value")
    return list(raw) if isinstance(raw, tuple) else raw


def compile_dataset_coercer(
    columns: Sequence[tuple[str, Coercer]],
) -> Coercer:
    """The coercer of a `dataset` tag whose columns are (name, cell coercer), in order."""
    names = [name for name, _ in columns]
    declared = set(names)

    def cell(coerce: Coercer, raw: object, where: str) -> object:
        if raw is None:
            return None
        try:
            return coerce(raw)
        except DecodeError as exc:
            raise _bad(f"{where}: {exc.detail}") from None

    def from_rows(rows: list[list[object]], given: list[object]) -> list[dict[str, object]]:
        unknown = [c for c in given if c not in declared]
        if unknown:
            raise _bad(f"column {unknown[0]!r} is not a declared column ({', '.join(names)})")
        missing = [c for c in names if c not in given]
        if missing:
            raise _bad(f"the table has no column {missing[0]!r}")
        index = {c: i for i, c in enumerate(given)}
        out = []
        for r, row in enumerate(rows):
            if not isinstance(row, list | tuple) or len(row) != len(given):
                raise _bad(f"row {r} is not a list of {len(given)} cells")
            out.append(
                {name: cell(co, row[index[name]], f"row {r} {name}") for name, co in columns}
            )
        return out

    def coerce(raw: object) -> object:
        if isinstance(raw, dict) and "columns" in raw and "rows" in raw:
            given, rows = raw["columns"], raw["rows"]
            if not isinstance(given, list) or not isinstance(rows, list):
                raise _bad("a table's 'columns' and 'rows' must be lists")
            return from_rows(rows, given)
        if isinstance(raw, list) and all(isinstance(row, dict) for row in raw):
            if not raw:
                return []
            given = list(raw[0])
            rows = []
            for r, row in enumerate(raw):
                if set(row) != set(given):
                    raise _bad(f"row {r} has columns {sorted(row)}, row 0 {sorted(given)}")
                rows.append([row[c] for c in given])
            return from_rows(rows, given)
        raise _bad(
            "a dataset value must be {'columns': [...], 'rows': [[...]]} or a list of row "
            f"objects, not {type(raw).__name__}"
        )

    return coerce
