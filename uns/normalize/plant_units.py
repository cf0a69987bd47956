"""Plant units pint does not know, or would misread, and what to write instead.

Defined here (meaning unambiguous): `gpm` / `GPM` (US gallons per minute), `bara` / `psia`
(absolute pressure, the same as `bar` / `psi`), `LMH` (membrane flux, litres per square metre
and hour; pint knows it already).

Refused with the exact spelling to use instead, because a value in them cannot be converted
without a reference the model does not have:

- gauge pressure (`barg`, `mbarg`, `kPag`, `MPag`, `psig`): relative to the local atmosphere;
  converting to absolute needs the barometer. Write the plain unit and say "gauge" in the
  tag's description: conversions between gauge values (psi -> bar) are plain factors and stay
  correct, as long as one tag never mixes gauge and absolute sources.
- normal and standard volumes (`Nm3`, `NL`, `Sm3`, `SLPM`, `SCCM`, `scf`, `scfm`): an amount
  of gas at a reference state (DIN 1343 normal: 0 degC, 1.01325 bar; "standard" differs by
  industry and vendor). Write the volume unit and name the reference state in the
  description; pint would read `Nm3` as newton-metre cubed and its own `slpm` is a power.
"""

from __future__ import annotations

from typing import Final, NamedTuple

DEFINITIONS: Final[tuple[str, ...]] = (
    "gallon_per_minute = gallon / minute = gpm = GPM",
    "bar_absolute = bar = bara",
    "psi_absolute = psi = psia",
)

_GAUGE: Final = "gauge pressure (relative to the atmosphere)"
_NORMAL: Final = "a normal volume (DIN 1343: 0 degC, 1.01325 bar)"
_STANDARD: Final = "a standard volume (its reference state differs by vendor)"


class Replacement(NamedTuple):
    write: str  # the unit to write instead
    meaning: str  # what the refused unit means
    say: str  # what to put in the tag's description


REPLACEMENTS: Final[dict[str, Replacement]] = {
    "barg": Replacement("bar", _GAUGE, "gauge"),
    "mbarg": Replacement("mbar", _GAUGE, "gauge"),
    "kPag": Replacement("kPa", _GAUGE, "gauge"),
    "MPag": Replacement("MPa", _GAUGE, "gauge"),
    "psig": Replacement("psi", _GAUGE, "gauge"),
    "Nm3": Replacement("m^3", _NORMAL, "normal (0 degC, 1.01325 bar)"),
    "NL": Replacement("l", _NORMAL, "normal (0 degC, 1.01325 bar)"),
    "Nl": Replacement("l", _NORMAL, "normal (0 degC, 1.01325 bar)"),
    "Sm3": Replacement("m^3", _STANDARD, "standard, with its temperature and pressure"),
    "SLPM": Replacement("l/min", _STANDARD, "standard, with its temperature and pressure"),
    "slpm": Replacement("l/min", _STANDARD, "standard, with its temperature and pressure"),
    "slm": Replacement("l/min", _STANDARD, "standard, with its temperature and pressure"),
    "SCCM": Replacement("ml/min", _STANDARD, "standard, with its temperature and pressure"),
    "sccm": Replacement("ml/min", _STANDARD, "standard, with its temperature and pressure"),
    "scf": Replacement("ft^3", _STANDARD, "standard, with its temperature and pressure"),
    "scfm": Replacement("ft^3/min", _STANDARD, "standard, with its temperature and pressure"),
    "scfh": Replacement("ft^3/h", _STANDARD, "standard, with its temperature and pressure"),
}
