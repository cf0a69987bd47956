"""Units: spellings pint must accept, precompiled conversions and their errors."""

from __future__ import annotations

import pytest

from uns.errors import UnitError
from uns.normalize.units import check_unit, compile_conversion

SPELLINGS = [
    "degC", "degF", "°C", "°F", "K", "bar", "mbar", "psi", "kPa", "Pa", "m3/h", "m³/h",
    "l/min", "L/min", "rpm", "%", "percent", "A", "mA", "V", "kW", "kWh", "Hz", "ppm",
    "t/h", "kg", "mmH2O",
]  # fmt: skip


@pytest.mark.parametrize("unit", SPELLINGS)
def test_plant_spellings_are_units(unit: str) -> None:
    check_unit(unit)


@pytest.mark.parametrize("unit", ["foo", "", "   ", "barg", "Nm3/h", "Sm³/h", "m/", "2 m"])
def test_unknown_units_raise(unit: str) -> None:
    with pytest.raises(UnitError):
        check_unit(unit)


CONVERSIONS = [
    # (src, dst, scale, offset, raw, expected)
    pytest.param("degF", "degC", 1.0, 0.0, 212.0, 100.0, id="degF-degC-boiling"),
    pytest.param("degF", "degC", 1.0, 0.0, 32.0, 0.0, id="degF-degC-freezing"),
    pytest.param("degF", "degC", 1.0, 0.0, -40.0, -40.0, id="degF-degC-minus-40"),
    pytest.param("°F", "°C", 1.0, 0.0, 98.6, 37.0, id="degree-sign"),
    pytest.param("degC", "degF", 1.0, 0.0, 100.0, 212.0, id="degC-degF"),
    pytest.param("K", "degC", 1.0, 0.0, 273.15, 0.0, id="K-degC"),
    pytest.param("degC", "K", 1.0, 0.0, -273.15, 0.0, id="degC-K"),
    pytest.param("psi", "bar", 1.0, 0.0, 14.503773773, 1.0, id="psi-bar"),
    pytest.param("psi", "bar", 1.0, 0.0, 1.0, 0.0689475729, id="psi-bar-1"),
    pytest.param("kPa", "bar", 1.0, 0.0, 250.0, 2.5, id="kPa-bar"),
    pytest.param("mbar", "bar", 1.0, 0.0, 1013.25, 1.01325, id="mbar-bar"),
    pytest.param("l/min", "m3/h", 1.0, 0.0, 1000.0, 60.0, id="lpm-m3h"),
    pytest.param("L/min", "m³/h", 1.0, 0.0, 1.0, 0.06, id="Lpm-m3h-superscript"),
    pytest.param("kW", "W", 1.0, 0.0, 1.5, 1500.0, id="kW-W"),
    pytest.param("kWh", "MJ", 1.0, 0.0, 1.0, 3.6, id="kWh-MJ"),
    pytest.param("mA", "A", 1.0, 0.0, 20.0, 0.02, id="mA-A"),
    pytest.param("%", "dimensionless", 1.0, 0.0, 50.0, 0.5, id="percent-to-fraction"),
    # scale and offset apply to the raw value first, then the unit conversion
    pytest.param(None, None, 100 / 27648, 0.0, 27648.0, 100.0, id="s7-counts-to-percent"),
    pytest.param(None, None, 1.0, -50.0, 70.0, 20.0, id="offset-only"),
    pytest.param("degC", "degC", 0.1, 0.0, 725.0, 72.5, id="tenths-same-unit"),
    pytest.param("degC", "degF", 0.1, -50.0, 1000.0, 122.0, id="scale-offset-then-degC-degF"),
    pytest.param("psi", "bar", 0.01, 0.0, 1450.3773773, 1.0, id="scaled-psi-bar"),
    pytest.param("degC", None, 0.1, 0.0, 725.0, 72.5, id="one-unit-is-only-a-label"),
]


@pytest.mark.parametrize(("src", "dst", "scale", "offset", "raw", "expected"), CONVERSIONS)
def test_conversion(
    src: str | None, dst: str | None, scale: float, offset: float, raw: float, expected: float
) -> None:
    convert = compile_conversion(src, dst, scale, offset)
    assert convert is not None
    assert convert(raw) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        pytest.param(None, None, id="no-units"),
        pytest.param("degC", "degC", id="same"),
        pytest.param("degC", "°C", id="same-other-spelling"),
        pytest.param("%", "%", id="percent"),
        pytest.param("%", "percent", id="percent-spelled-out"),
        pytest.param("rpm", "rpm", id="rpm"),
        pytest.param("m3/h", "m³/h", id="power-spellings"),
        pytest.param("degC", None, id="label-only"),
    ],
)
def test_identity_is_none(src: str | None, dst: str | None) -> None:
    assert compile_conversion(src, dst) is None


def test_offset_conversion_is_exact_rational_rounded_once() -> None:
    convert = compile_conversion("degF", "degC")
    assert convert is not None
    # b = -160/9 and a = 5/9, each correctly rounded, not accumulated through kelvin
    assert convert(0.0) == -160 / 9
    assert convert(9.0) - convert(0.0) == pytest.approx(5.0, abs=1e-12)


@pytest.mark.parametrize(
    ("src", "dst", "fragments"),
    [
        pytest.param("kg", "degC", ("'kg'", "[mass]", "'degC'", "[temperature]"), id="kg-degC"),
        pytest.param("bar", "m3/h", ("'bar'", "'m3/h'", "[length] ** 3 / [time]"), id="bar-flow"),
        pytest.param("%", "degC", ("'%'", "dimensionless", "[temperature]"), id="percent-degC"),
        pytest.param("foo", "degC", ("unknown unit 'foo'",), id="unknown-src"),
        pytest.param("degC", "", ("non-empty",), id="empty-dst"),
    ],
)
def test_impossible_conversion_names_both_units(
    src: str, dst: str, fragments: tuple[str, ...]
) -> None:
    with pytest.raises(UnitError) as info:
        compile_conversion(src, dst)
    for fragment in fragments:
        assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("scale", "offset"),
    [
        pytest.param(0.0, 0.0, id="zero-scale"),
        pytest.param(float("nan"), 0.0, id="nan-scale"),
        pytest.param(1.0, float("inf"), id="inf-offset"),
        pytest.param(True, 0.0, id="bool-scale"),
    ],
)
def test_bad_scale_or_offset(scale: float, offset: float) -> None:
    with pytest.raises(UnitError):
        compile_conversion(None, None, scale, offset)
