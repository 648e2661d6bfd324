"""Readings as people type them and as the record shows them: one parser, one formatter.

The station's locale gives the decimal separator in force ("." or ","). The rule:

- The locale's separator always marks the decimals: "0,45" at a comma station, "0.45" at
  a point station.
- The other separator is read as a decimal separator too, unless it could be a thousands
  separator: exactly three digits after it and one to three before it, not starting with
  0. So "0.45" and "1.5" mean the same at a comma station as "0,45" and "1,5", while
  "1.234" there (or "1,234" at a point station) is refused with a message naming what to
  type: the number is never guessed.
- At most one separator ("1.234,5" is refused), no spaces, no exponent ("1e3"), no
  "nan" or "inf", nothing empty, no magnitude beyond MAX_MAGNITUDE.
- A leading "+" or "-" (or the typographic minus) is allowed.

Formatting is fixed-point, never an exponent: at least the item's decimals, and as many
more as the stored value needs to be shown exactly (0.456 on a two-decimal item shows
"0.456"), so parse(format(x)) == x for every finite x the parser can return.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

POINT = "."
COMMA = ","
SEPARATORS = (POINT, COMMA)
MAX_MAGNITUDE = 1e9  # no bench reading (mm, g, %, µm, ‰, carat) comes near this
SIGNIFICANT_DIGITS = 15  # every decimal of up to 15 significant digits is held exactly
_MINUS = "-\u2212"
_SPACES = re.compile(r"\s|\u00a0|\u202f|\u2009")
_NUMBER = re.compile(r"([0-9]*)([.,]?)([0-9]*)")


class Problem(str, Enum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    SPACE = "space"
    EXPONENT = "exponent"
    GROUPED = "grouped"
    AMBIGUOUS = "ambiguous"
    TOO_LARGE = "too_large"
    TOO_PRECISE = "too_precise"


class ReadingError(ValueError):
    """Typed text that is not a reading, and what to type instead: ``example`` (the text
    without its space, the number in full, a number written the one allowed way) or, for
    an ambiguous text, the two readings it could mean (``alternatives``: decimal, whole)."""

    def __init__(
        self,
        problem: Problem,
        text: str,
        decimal: str,
        example: str = "",
        alternatives: tuple[str, str] | None = None,
    ) -> None:
        self.problem, self.text, self.decimal = problem, text, decimal
        self.example, self.alternatives = example, alternatives
        super().__init__(self._english())

    def _english(self) -> str:
        """The message in English (the window words it through its translations)."""
        text, example = self.text, self.example
        if self.problem is Problem.AMBIGUOUS and self.alternatives:
            decimal, whole = self.alternatives
            return (
                f"“{text}” could be a decimal or a thousands group: "
                f"type {decimal} for the decimal or {whole} for the whole number"
            )
        return {
            Problem.EMPTY: "type a reading",
            Problem.NOT_A_NUMBER: f"“{text}” is not a number: "
            f"type digits, with {self.decimal} for decimals",
            Problem.SPACE: f"“{text}” has a space in it: type {example}",
            Problem.EXPONENT: f"“{text}” is in exponent notation: type the number in full"
            + (f", {example}" if example else ""),
            Problem.GROUPED: f"“{text}” has more than one separator: type one decimal "
            f"separator and no thousands separators, e.g. {example}",
            Problem.TOO_LARGE: f"“{text}” is too large to be a reading: check the digits",
            Problem.TOO_PRECISE: f"“{text}” has more digits than the record keeps exactly: "
            f"type at most {SIGNIFICANT_DIGITS} significant digits",
        }.get(self.problem, f"“{text}” is not a reading")


def check_separator(decimal: str) -> str:
    if decimal not in SEPARATORS:
        raise ValueError(f"the decimal separator must be '.' or ',', not {decimal!r}")
    return decimal


def parse_reading(text: str, decimal: str = POINT) -> float:
    """The number a person typed, read by this module's rule; ReadingError if it is not one."""
    check_separator(decimal)
    shown = text.strip()
    if not shown:
        raise ReadingError(Problem.EMPTY, shown, decimal)
    body, sign = shown, ""
    if body[0] in "+" + _MINUS:
        sign, body = ("-" if body[0] in _MINUS else ""), body[1:]
    m = _NUMBER.fullmatch(body)
    if m is None:
        raise _not_a_number(shown, body, decimal)
    whole, sep, frac = m.groups()
    if not (whole or frac):
        raise ReadingError(Problem.NOT_A_NUMBER, shown, decimal)
    significant = (whole + frac).strip("0")
    if len(whole.lstrip("0")) > 10:
        raise ReadingError(Problem.TOO_LARGE, shown, decimal)
    if len(significant) > SIGNIFICANT_DIGITS:
        raise ReadingError(Problem.TOO_PRECISE, shown, decimal)
    if sep and sep != decimal and _could_be_grouping(whole, frac):
        raise ReadingError(
            Problem.AMBIGUOUS,
            shown,
            decimal,
            alternatives=(f"{sign}{whole}{decimal}{frac}", sign + whole + frac),
        )
    value = float(f"{sign}{whole or '0'}.{frac or '0'}")
    if not abs(value) <= MAX_MAGNITUDE:
        raise ReadingError(Problem.TOO_LARGE, shown, decimal)
    return value + 0.0  # -0.0 becomes 0.0: a reading has no signed zero


def _could_be_grouping(whole: str, frac: str) -> bool:
    return len(frac) == 3 and 1 <= len(whole) <= 3 and not whole.startswith("0")


def _not_a_number(shown: str, body: str, decimal: str) -> ReadingError:
    """Say what is wrong with text that is not sign, digits and one separator."""
    if _SPACES.search(body) and re.fullmatch(r"[0-9.,\s\u00a0\u202f\u2009]+", body):
        return ReadingError(Problem.SPACE, shown, decimal, _SPACES.sub("", shown))
    grouped = re.fullmatch(r"[0-9]*(['.,][0-9]*)+", body) and re.search("[0-9]", body)
    if grouped:  # "1.234,5", "1,234,567", "1'234", "1..2": never guess which is which
        return ReadingError(Problem.GROUPED, shown, decimal, f"1234{decimal}5")
    if re.fullmatch(r"[0-9]*[.,]?[0-9]+[eE][+\-]?[0-9]{1,3}", body):
        sign = "-" if shown[0] in _MINUS else ""
        value = float(sign + body.replace(",", "."))
        if abs(value) > MAX_MAGNITUDE:
            return ReadingError(Problem.TOO_LARGE, shown, decimal)
        written = format_reading(value, 0, decimal)
        return ReadingError(Problem.EXPONENT, shown, decimal, written if len(written) <= 20 else "")
    return ReadingError(Problem.NOT_A_NUMBER, shown, decimal)


def exact_digits(value: float) -> tuple[str, str]:
    """The shortest digits that read back as exactly this float: (sign+whole, fraction)."""
    text = format(Decimal(repr(value)), "f")
    whole, _, frac = text.partition(".")
    return whole, frac.rstrip("0")


def format_reading(value: float, decimals: int = 0, decimal: str = POINT) -> str:
    """A stored reading as the record shows it: fixed-point, at least ``decimals`` places,
    more when the value needs them to be shown exactly, never an exponent."""
    check_separator(decimal)
    if math.isnan(value):
        return "not a number"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    whole, frac = exact_digits(value + 0.0)
    frac = frac.ljust(decimals, "0")
    return whole + (decimal + frac if frac else "")


def format_readings(values: Iterable[float], decimals: int = 0, decimal: str = POINT) -> str:
    """Several readings in one line; "; " between them where a comma marks decimals."""
    gap = "; " if check_separator(decimal) == COMMA else ", "
    return gap.join(format_reading(v, decimals, decimal) for v in values)


def format_judged(
    value: float, decimals: int, limits: Iterable[float | None], decimal: str = POINT
) -> str:
    """A derived value (a mean) rounded to the item's decimals, with more digits where the
    rounded figure would sit on the other side of (or on) a limit than the value does: the
    figure shown always agrees with the verdict it is shown beside."""
    check_separator(decimal)
    if not math.isfinite(value):
        return format_reading(value, decimals, decimal)
    edges = [x for x in limits if x is not None]
    exact = Decimal(repr(value + 0.0))
    for places in range(decimals, decimals + 12):
        rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        if all(_side(float(rounded), e) == _side(value, e) for e in edges):
            return format_reading(float(rounded), places, decimal)
    return format_reading(value, decimals, decimal)


def _side(x: float, edge: float) -> int:
    return (x > edge) - (x < edge)


@dataclass(frozen=True)
class Band:
    """The range a reading of an item can plausibly take; outside it, the inspector confirms."""

    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


PLAUSIBLE_BANDS = 10


def plausible_band(
    lower: float | None, upper: float | None, nominal: float | None, decimals: int
) -> Band:
    """Ten tolerance bands either side of the limits. The band is the tolerance width for
    two limits; for one limit, its distance from the nominal, or from zero without one;
    at least one step of the item's resolution."""
    edges = [x for x in (lower, upper) if x is not None]
    if not edges:
        raise ValueError("a measurement needs a lower or an upper limit")
    if len(edges) == 2:
        width = edges[1] - edges[0]
    else:
        origin = nominal if nominal is not None and nominal != edges[0] else 0.0
        width = abs(edges[0] - origin)
    width = max(width, 10.0**-decimals)
    return Band(min(edges) - PLAUSIBLE_BANDS * width, max(edges) + PLAUSIBLE_BANDS * width)
