"""Engineering units: validate unit names and precompile linear conversions.

pint answers the questions (is `psi` a unit, how many bar is one psi, is `degF` -> `degC`
an offset conversion) once, at setup. The hot path never touches pint: a binding gets a
plain `x -> a * x + b` closure, or None when nothing needs doing.

The registry is built lazily, once per process (it takes most of a second), with
`Fraction` magnitudes so that factors and offsets are exact rationals until the final
`float()`: `degF -> degC` becomes exactly `5/9 * x - 160/9`, rounded once, instead of
picking up noise from float arithmetic through kelvin.

Spellings: whatever pint parses (`degC`, `°C`, `degF`, `K`, `bar`, `mbar`, `psi`, `kPa`,
`l/min`, `L/min`, `m³/h`, `rpm`, `%`, `A`, `V`, `kW`, `kWh`, `ppm`, ...), plus a digit
after a unit as its power (`m3/h` -> `m**3/h`, `m2`), tried only when pint rejects the
spelling as it is (so `mmH2O` keeps meaning millimetre of water), plus `gpm`, `bara`, `psia`.
Gauge pressure (`barg`, `psig`, ...) and normal / standard volumes (`Nm3/h`, `SLPM`, `scfm`,
...) are refused with the exact unit to write instead (`uns.normalize.plant_units`).
The empty string is not a unit; write `dimensionless` (or leave the unit out).
Note that pint counts a revolution as 2*pi radians, so `rpm` -> `Hz` multiplies by 2*pi/60.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Final

import pint

from uns.errors import UnitError
from uns.normalize.plant_units import DEFINITIONS, REPLACEMENTS

__all__ = ["Conversion", "check_unit", "compile_conversion"]

Conversion = Callable[[float], float]

_POWER_RX: Final = re.compile(r"(?<=[A-Za-z])([23])(?![\d.])")
_CUBED_RX: Final = re.compile(r"(?<![A-Za-z])([NS]m)(?:³|\^3|\*\*\s*3)")  # Nm³ -> Nm3
_REFUSED_RX: Final = re.compile(
    r"(?<![A-Za-z])(" + "|".join(sorted(REPLACEMENTS, key=len, reverse=True)) + r")(?![A-Za-z0-9])"
)
# A third point, far from 0 and 1, to prove the conversion is affine.
_PROBE: Final = Fraction(1000)


@functools.cache
def _registry() -> Any:  # pint's registry types are generic in ways mypy cannot follow
    registry: Any = pint.UnitRegistry(non_int_type=Fraction, on_redefinition="ignore")
    for definition in DEFINITIONS:
        registry.define(definition)
    return registry


@functools.lru_cache(maxsize=512)
def _parse(unit: str) -> Any:
    """The pint Unit for `unit`, trying the `m3` -> `m**3` spelling second."""
    if not isinstance(unit, str) or not unit.strip():
        raise UnitError(f"unit must be a non-empty string, got {unit!r}")
    registry = _registry()
    text = unit.strip()
    refused = _REFUSED_RX.search(_CUBED_RX.sub(r"\g<1>3", text))
    if refused:
        raise UnitError(_advice(unit, _CUBED_RX.sub(r"\g<1>3", text), refused.group(1)))
    first_error: Exception | None = None
    for candidate in dict.fromkeys((text, _POWER_RX.sub(r"**\1", text))):
        try:
            return registry.parse_units(candidate)
        except Exception as exc:  # pint raises many types for bad input
            first_error = first_error or exc
    raise UnitError(f"unknown unit {unit!r}: {first_error}") from first_error


def check_unit(unit: str) -> None:
    """Raise UnitError unless pint knows `unit` (spellings as in the module docstring)."""
    _parse(unit)


def _dimension(unit: Any) -> str:
    """`[length] ** 3 / [time]`; pint's own formatter fails on Fraction exponents."""
    up: list[str] = []
    down: list[str] = []
    for name, power in sorted(dict(unit.dimensionality).items()):
        side = up if power > 0 else down
        side.append(name if abs(power) == 1 else f"{name} ** {abs(power)}")
    if not up and not down:
        return "dimensionless"
    text = " * ".join(up) or "1"
    return f"{text} / {' / '.join(down)}" if down else text


def _advice(unit: str, text: str, token: str) -> str:
    """`unknown unit 'psig' (gauge pressure ...): write unit 'psi' and say 'gauge' ...`."""
    r = REPLACEMENTS[token]
    written = _REFUSED_RX.sub(lambda m: REPLACEMENTS[m.group(1)].write, text)
    return (
        f"unknown unit {unit!r} ({r.meaning}): write {written!r} and say '{r.say}' in the "
        "description"
    )


def _affine(src: str, dst: str) -> tuple[Fraction, Fraction]:
    """(c, d) with dst = c * src + d, exact, checked at a third point."""
    source, target = _parse(src), _parse(dst)
    if source == target:
        return Fraction(1), Fraction(0)
    quantity = _registry().Quantity

    def at(x: Fraction) -> Fraction:
        try:
            value = quantity(x, source).to(target).magnitude
        except pint.DimensionalityError as exc:
            raise UnitError(
                f"cannot convert {src!r} ({_dimension(source)}) to {dst!r} ({_dimension(target)})"
            ) from exc
        except Exception as exc:  # e.g. offset units inside a compound unit
            raise UnitError(f"cannot convert {src!r} to {dst!r}: {exc}") from exc
        return Fraction(value)

    d = at(Fraction(0))
    c = at(Fraction(1)) - d
    probe = at(_PROBE)
    expected = c * _PROBE + d
    if abs(probe - expected) > abs(expected) * Fraction(1, 10**9):
        raise UnitError(f"conversion {src!r} -> {dst!r} is not linear")
    if c == 0:
        raise UnitError(f"conversion {src!r} -> {dst!r} loses the value (factor 0)")
    return c, d


def compile_conversion(
    src: str | None, dst: str | None, scale: float = 1.0, offset: float = 0.0
) -> Conversion | None:
    """`x -> dst value` for a raw value `x` in `src` units, or None for the identity.

    `scale` and `offset` apply to the raw value first (`scale * x + offset`, e.g. counts to
    `src` units), then the unit conversion. Units convert only when both are given; one
    alone is just a label (still validated). Unknown units, impossible conversions
    (`kg` -> `degC`) and a zero or non-finite scale raise UnitError.
    """
    for name, number in (("scale", scale), ("offset", offset)):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise UnitError(f"{name} must be a number, got {number!r}")
        if not math.isfinite(number):
            raise UnitError(f"{name} must be finite, got {number!r}")
    if scale == 0:
        raise UnitError("scale must not be 0")
    return _compile(src, dst, float(scale), float(offset))


@functools.lru_cache(maxsize=4096)  # a model reuses a handful of unit pairs many times
def _compile(src: str | None, dst: str | None, scale: float, offset: float) -> Conversion | None:
    for unit in (src, dst):
        if unit is not None:
            _parse(unit)
    c, d = (Fraction(1), Fraction(0)) if src is None or dst is None else _affine(src, dst)
    a_exact = c * Fraction(scale)
    b_exact = c * Fraction(offset) + d
    if a_exact == 1 and b_exact == 0:
        return None
    a, b = float(a_exact), float(b_exact)
    if b_exact == 0:
        return lambda x: x * a
    if a_exact == 1:
        return lambda x: x + b
    return lambda x: x * a + b
