"""Plant units: the ones defined (gpm, bara, psia, LMH) and the ones refused with the exact
spelling to write instead (gauge pressure, normal and standard volumes; issue 12)."""

from __future__ import annotations

import pytest

from uns.errors import UnitError
from uns.normalize.units import check_unit, compile_conversion


@pytest.mark.parametrize(
    ("src", "dst", "raw", "expected"),
    [
        ("gpm", "l/min", 1.0, 3.785411784),  # US gallon: 231 cubic inches, exactly
        ("GPM", "m^3/h", 100.0, 22.712470704),
        ("psia", "bar", 14.503773773, 1.0),
        ("bara", "kPa", 1.0, 100.0),
        ("LMH", "l/(m^2*h)", 42.0, 42.0),  # membrane flux
    ],
)
def test_defined_plant_units_convert(src: str, dst: str, raw: float, expected: float) -> None:
    convert = compile_conversion(src, dst)
    value = raw if convert is None else convert(raw)
    assert value == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("unit", "meaning", "write", "say"),
    [
        ("psig", "gauge pressure", "psi", "gauge"),
        ("barg", "gauge pressure", "bar", "gauge"),
        ("mbarg", "gauge pressure", "mbar", "gauge"),
        ("kPag", "gauge pressure", "kPa", "gauge"),
        ("Nm3/h", "a normal volume (DIN 1343", "m^3/h", "normal (0 degC, 1.01325 bar)"),
        ("Nm³/h", "a normal volume", "m^3/h", "normal"),
        ("Sm3/d", "a standard volume", "m^3/d", "standard"),
        ("SLPM", "a standard volume", "l/min", "standard"),
        ("sccm", "a standard volume", "ml/min", "standard"),
        ("scfm", "a standard volume", "ft^3/min", "standard"),
    ],
)
def test_units_needing_a_reference_say_exactly_what_to_write(
    unit: str, meaning: str, write: str, say: str
) -> None:
    with pytest.raises(UnitError) as info:
        check_unit(unit)
    message = str(info.value)
    assert message.startswith(f"unknown unit {unit!r} ({meaning}")
    assert f"write {write!r} and say '{say}" in message
    check_unit(write)  # the advice itself is a valid unit


def test_the_advice_keeps_units_that_only_look_alike() -> None:
    check_unit("mmH2O")  # millimetre of water, not a normal volume
    check_unit("kPa")
