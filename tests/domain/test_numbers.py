"""Readings typed and shown: the one parser and formatter (qcstation.domain.numbers)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcstation.domain.numbers import (
    COMMA,
    MAX_MAGNITUDE,
    POINT,
    SIGNIFICANT_DIGITS,
    Problem,
    ReadingError,
    format_judged,
    format_reading,
    format_readings,
    parse_reading,
    plausible_band,
)
from qcstation.domain.templates import MeasurementItem

BOTH = pytest.mark.parametrize("sep", [POINT, COMMA])


@BOTH
@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0,45", 0.45),  # the issue: this was stored as 45
        ("0.45", 0.45),
        ("1,5", 1.5),  # and this as 15
        ("1.5", 1.5),
        ("0,450", 0.45),  # a leading zero: cannot be a thousands group
        ("12,3456", 12.3456),  # four decimals: cannot be a group
        ("1234,567", 1234.567),  # four digits before: cannot be a group
        ("  -2,5 ", -2.5),
        ("−0,3", -0.3),  # the typographic minus
        ("+2", 2.0),
        ("5.", 5.0),
        (",5", 0.5),
        ("-0", 0.0),
        ("1000000000", 1e9),
    ],
)
def test_either_separator_means_decimals_when_it_cannot_be_a_group(
    sep: str, typed: str, value: float
) -> None:
    got = parse_reading(typed, sep)
    assert got == value and math.copysign(1.0, got) == math.copysign(1.0, value or 1.0)


@pytest.mark.parametrize(
    ("typed", "sep", "decimal", "whole"),
    [
        ("1,234", POINT, "1.234", "1234"),
        ("1.234", COMMA, "1,234", "1234"),
        ("-12,500", POINT, "-12.500", "-12500"),
        ("999.999", COMMA, "999,999", "999999"),
    ],
)
def test_a_possible_thousands_group_is_refused_naming_both_readings(
    typed: str, sep: str, decimal: str, whole: str
) -> None:
    with pytest.raises(ReadingError) as caught:
        parse_reading(typed, sep)
    err = caught.value
    assert err.problem is Problem.AMBIGUOUS
    assert err.alternatives == (decimal, whole)
    assert f"type {decimal} for the decimal or {whole} for the whole number" in str(err)


def test_the_locales_own_separator_with_three_decimals_is_never_ambiguous() -> None:
    assert parse_reading("1,234", COMMA) == 1.234
    assert parse_reading("1.234", POINT) == 1.234


@BOTH
@pytest.mark.parametrize(
    ("typed", "problem", "example"),
    [
        ("", Problem.EMPTY, ""),
        ("   ", Problem.EMPTY, ""),
        ("1 234", Problem.SPACE, "1234"),
        ("1\u00a0234,5", Problem.SPACE, "1234,5"),
        ("1\u202f234", Problem.SPACE, "1234"),
        ("1e3", Problem.EXPONENT, "1000"),
        ("1E-2", Problem.EXPONENT, "0{sep}01"),
        ("1e400", Problem.TOO_LARGE, ""),
        ("nan", Problem.NOT_A_NUMBER, ""),
        ("inf", Problem.NOT_A_NUMBER, ""),
        ("-inf", Problem.NOT_A_NUMBER, ""),
        ("0x10", Problem.NOT_A_NUMBER, ""),
        ("P", Problem.NOT_A_NUMBER, ""),
        ("-", Problem.NOT_A_NUMBER, ""),
        (",", Problem.NOT_A_NUMBER, ""),
        ("1.234,5", Problem.GROUPED, "1234{sep}5"),
        ("1,234,567", Problem.GROUPED, "1234{sep}5"),
        ("1'234", Problem.GROUPED, "1234{sep}5"),
        ("1..2", Problem.GROUPED, "1234{sep}5"),
        ("1000000001", Problem.TOO_LARGE, ""),
        ("12345678901234", Problem.TOO_LARGE, ""),
        ("0.1234567890123456", Problem.TOO_PRECISE, ""),
    ],
)
def test_what_is_not_a_reading_is_refused_with_what_to_type(
    sep: str, typed: str, problem: Problem, example: str
) -> None:
    with pytest.raises(ReadingError) as caught:
        parse_reading(typed, sep)
    err = caught.value
    assert (err.problem, err.example, err.decimal) == (problem, example.format(sep=sep), sep)
    assert str(err).startswith(
        "type a reading" if problem is Problem.EMPTY else f"“{typed.strip()}”"
    )
    assert example.format(sep=sep) in str(err)


def test_only_a_point_or_a_comma_can_be_the_decimal_separator() -> None:
    with pytest.raises(ValueError, match="decimal separator"):
        parse_reading("1", ";")


@pytest.mark.parametrize(
    ("value", "decimals", "point", "comma"),
    [
        (15.0, 2, "15.00", "15,00"),  # was shown as 1.5e+01
        (1e-05, 2, "0.00001", "0,00001"),  # more digits than the item's: shown as stored
        (0.45, 2, "0.45", "0,45"),
        (0.456, 2, "0.456", "0,456"),
        (0.6, 2, "0.60", "0,60"),
        (1e16, 0, "10000000000000000", "10000000000000000"),
        (-3.0, 2, "-3.00", "-3,00"),
        (-0.0, 1, "0.0", "0,0"),
        (1234567.5, 1, "1234567.5", "1234567,5"),  # never a thousands separator
        (7.0, 0, "7", "7"),
    ],
)
def test_format_is_fixed_point_exact_and_never_an_exponent(
    value: float, decimals: int, point: str, comma: str
) -> None:
    assert format_reading(value, decimals, POINT) == point
    assert format_reading(value, decimals, COMMA) == comma


def test_several_readings_are_listed_without_mixing_up_separators() -> None:
    assert format_readings((0.45, 0.5), 2, POINT) == "0.45, 0.50"
    assert format_readings((0.45, 0.5), 2, COMMA) == "0,45; 0,50"  # "0,45, 0,50" misleads


def test_a_non_finite_value_is_shown_in_words_not_as_a_number() -> None:
    assert format_reading(math.nan) == "not a number"
    assert format_reading(math.inf) == "∞"


@BOTH
@given(decimals=st.integers(0, 6), steps=st.integers(-(10**9), 10**9))
def test_parse_of_format_is_the_value_over_the_items_resolution(
    sep: str, decimals: int, steps: int
) -> None:
    value = float(Decimal(steps).scaleb(-decimals))
    shown = format_reading(value, decimals, sep)
    assert parse_reading(shown, sep) == value
    assert "e" not in shown.lower()
    assert len(shown.partition(sep)[2]) >= decimals


@BOTH
@given(value=st.floats(-MAX_MAGNITUDE, MAX_MAGNITUDE, allow_nan=False, allow_infinity=False))
def test_parse_of_format_is_the_value_for_any_reading(sep: str, value: float) -> None:
    shown = format_reading(value, 2, sep)
    assert "e" not in shown.lower()
    whole, _, frac = shown.lstrip("-").partition(sep)
    if len((whole + frac).strip("0")) <= SIGNIFICANT_DIGITS:
        assert parse_reading(shown, sep) == value
    else:  # a float no typed reading gives (e.g. 0.1 + 0.2): shown exactly, never rounded
        assert Decimal(shown.replace(",", ".")) == Decimal(repr(value))


@BOTH
@given(
    whole=st.text("0123456789", max_size=9),
    frac=st.text("0123456789", max_size=SIGNIFICANT_DIGITS - 9),
    negative=st.booleans(),
)
def test_what_is_typed_is_what_is_shown_afterwards(
    sep: str, whole: str, frac: str, negative: bool
) -> None:
    """Up to 15 significant digits typed with the station's separator come back the same
    number, written the same way (less any zeros that say nothing)."""
    typed = ("-" if negative else "") + (whole or "0") + (sep + frac if frac else "")
    value = parse_reading(typed, sep)
    shown = format_reading(value, 0, sep)
    assert Decimal(shown.replace(",", ".")) == Decimal(typed.replace(",", "."))
    assert parse_reading(shown, sep) == value


@given(typed=st.text(alphabet="0123456789.,-+ e", max_size=12))
def test_any_text_is_a_number_or_a_reading_error(typed: str) -> None:
    for sep in (POINT, COMMA):
        try:
            value = parse_reading(typed, sep)
        except ReadingError as err:
            assert str(err)
        else:
            assert math.isfinite(value) and abs(value) <= MAX_MAGNITUDE


@pytest.mark.parametrize(
    ("mean", "limits", "shown"),
    [
        (0.599, [0.6], "0.599"),  # "0.60 — OUT OF LIMITS" would contradict itself
        (0.6049, [0.6], "0.605"),  # "0.60" sits on the limit; the mean is above it
        (0.62, [0.6], "0.62"),
        (1.2000000000000002, [-3.0, 3.0], "1.20"),
        (3.004, [-3.0, 3.0], "3.004"),
        (2.9999, [-3.0, 3.0], "2.9999"),
    ],
)
def test_a_mean_is_shown_on_the_same_side_of_each_limit_as_it_is(
    mean: float, limits: list[float], shown: str
) -> None:
    assert format_judged(mean, 2, limits) == shown


@given(
    mean=st.floats(-100, 100, allow_nan=False),
    lower=st.floats(-50, 50, allow_nan=False),
    decimals=st.integers(0, 4),
)
def test_a_shown_mean_never_disagrees_with_the_verdict(
    mean: float, lower: float, decimals: int
) -> None:
    shown = float(format_judged(mean, decimals, [lower, None], COMMA).replace(",", "."))
    assert (shown >= lower) == (mean >= lower)


def item(**limits: float) -> MeasurementItem:
    return MeasurementItem.model_validate(
        {"id": "m", "kind": "measurement", "prompt": "M", "unit": "mm", **limits}
    )


def test_the_plausible_band_is_ten_tolerances_beyond_the_limits() -> None:
    weight = item(lower=-3.0, upper=3.0, nominal=0.0)  # ±3 %: tolerance 6 %
    band = weight.plausible_band()
    assert (band.low, band.high) == (-63.0, 63.0)
    assert band.holds(15.0)  # a plain failure, not a slip: no question asked
    wall = item(lower=0.6)  # one limit: its distance from zero
    assert wall.plausible_band().holds(6.0)
    assert not wall.plausible_band().holds(45.0)  # 75 times the limit
    assert not wall.plausible_band().holds(-6.0)
    coat = item(upper=0.2, nominal=0.15)  # one limit and a nominal: their distance
    assert coat.plausible_band().holds(0.65)
    assert not coat.plausible_band().holds(0.75)
    flat = item(upper=0.0, decimals=2)  # a limit at zero: one step of the resolution
    assert flat.plausible_band().holds(0.1) and not flat.plausible_band().holds(0.2)
    with pytest.raises(ValueError):
        plausible_band(None, None, None, 2)
