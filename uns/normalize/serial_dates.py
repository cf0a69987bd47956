"""Serial date systems that count from their own epoch: LabVIEW and Excel / OLE Automation.

- `labview`: LabVIEW timestamps, seconds since 1904-01-01T00:00:00 **UTC** (a LabVIEW
  timestamp is absolute; its 128-bit fixed-point form reaches JSON as a number of seconds).
  `3_857_155_200` is 2026-03-24T00:00:00Z.
- `excel`: Excel (1900 date system) and OLE Automation dates, days since 1899-12-30 in
  **local** wall-clock time (Excel cells carry no zone), the fraction being the time of day:
  `46105.4375` is 2026-03-24 10:30 in the site's zone. Serials from 61 (1900-03-01) on agree
  with Excel's own numbering; below that Excel counts a 1900-02-29 that never was, and such
  dates are implausible for a live value anyway.

Both take numbers or numeric strings. Strings are converted exactly (Decimal); floats are
rounded to the nearest millisecond (both systems keep time to the millisecond, and a double
of days carries binary noise: 46105.4375 + 1 ms is not exactly representable).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Final

from uns.normalize.strptime import bad_timestamp

__all__ = ["SERIAL_FORMATS", "excel_local_ms", "labview_ms"]

SERIAL_FORMATS: Final = frozenset({"labview", "excel"})

_DAY_MS: Final = 86_400_000
LABVIEW_EPOCH_MS: Final = -2_082_844_800_000  # 1904-01-01T00:00:00Z in Unix ms
EXCEL_EPOCH_MS: Final = -2_209_161_600_000  # 1899-12-30T00:00:00 (naive) in Unix ms
_MOST_DIGITS: Final = 30  # beyond this a value is implausible; keeps Decimal work bounded


def _scaled_ms(raw: object, ms_per_unit: int) -> int | None:
    """`raw` units times `ms_per_unit`, to the nearest ms; None when implausibly large."""
    if isinstance(raw, bool):
        raise bad_timestamp(raw, "a boolean is not a time")
    if isinstance(raw, int):
        return int(raw) * ms_per_unit
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise bad_timestamp(raw, "not a finite number")
        try:
            return round(raw * ms_per_unit)
        except OverflowError:
            return None
    if isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            raise bad_timestamp(raw, "not a number") from None
        if not value.is_finite():
            raise bad_timestamp(raw, "not a finite number")
        if value.adjusted() > _MOST_DIGITS:
            return None
        return int((value * ms_per_unit).to_integral_value())  # half-even, like round()
    raise bad_timestamp(raw, f"expected a number, got {type(raw).__name__}")


def labview_ms(raw: object) -> int | None:
    """LabVIEW seconds since 1904-01-01Z -> Unix ms (UTC)."""
    ms = _scaled_ms(raw, 1000)
    return None if ms is None else ms + LABVIEW_EPOCH_MS


def excel_local_ms(raw: object) -> int | None:
    """Excel / OLE days since 1899-12-30 -> Unix ms of the same *wall-clock* time (naive)."""
    ms = _scaled_ms(raw, _DAY_MS)
    return None if ms is None else ms + EXCEL_EPOCH_MS
