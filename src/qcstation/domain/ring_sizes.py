"""Ring sizes: ISO 8653 inner circumference in millimetres, and the US and UK sizes beside it.

A specification stores a ring's size as ISO 8653 defines it: the inner circumference in mm
(ISO 8653:2016, "Jewellery — Ring-sizes — Definition, measurement and designation"; the
size IS the circumference, so "ISO 54" is 54 mm). US and UK sizes are shown beside it, for
people who order in them, and accepted on import; they are converted here and nowhere else.

Sources of the conversions:

- US and Canada: whole sizes step 0.032 in (0.8128 mm) of inner diameter, size 0 being
  0.458 in (11.63 mm) across (the Bureau of Standards circular the Wikipedia article "Ring
  size" cites; the same relation as its conversion chart). So circumference
  = π × 25.4 × (0.458 + 0.032 × size) mm: 36.5 mm at size 0, +2.55 mm per size; US 7 is
  54.4 mm. Quarter sizes are the finest in use.
- UK, Ireland, Australia, New Zealand: letters A to Z with half sizes (the Wheatsheaf
  scale, BS 6820). The table below gives each half letter as the US size it corresponds to
  in the conversion chart of the Wikipedia article "Ring size" (A is US ½, each half letter
  a quarter US size, except I to J, a quarter for the whole letter); its circumference
  follows from the US relation. So N½ is US 7 (54.4 mm), L½ is US 6.

A conversion names the nearest size; a circumference between two sizes is shown with "≈".
"""

from __future__ import annotations

import math
import re

US_ZERO_DIAMETER_IN = 0.458
US_STEP_DIAMETER_IN = 0.032
MM_PER_INCH = 25.4

# The range ISO 8653's ring stick covers (sizes 41 to 76), widened to the US/UK tables' ends.
MIN_CIRCUMFERENCE_MM = 36.0
MAX_CIRCUMFERENCE_MM = 80.0


def us_to_mm(size: float) -> float:
    """The inner circumference (mm) of a US/Canada size."""
    return math.pi * MM_PER_INCH * (US_ZERO_DIAMETER_IN + US_STEP_DIAMETER_IN * size)


def mm_to_us(circumference_mm: float) -> float:
    """The US size of an inner circumference, not rounded."""
    diameter_in = circumference_mm / (math.pi * MM_PER_INCH)
    return (diameter_in - US_ZERO_DIAMETER_IN) / US_STEP_DIAMETER_IN


def _uk_table() -> dict[str, float]:
    """Each UK half letter and its US size (see the module docstring)."""
    table: dict[str, float] = {}
    us = 0.5
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if letter == "J":
            us = 4.75  # I is US 4½, J is US 4¾: the one quarter-size letter on the chart
        table[letter] = us
        table[f"{letter}½"] = us + 0.25
        us += 0.5
    return table


UK_TO_US: dict[str, float] = _uk_table()


def uk_to_mm(size: str) -> float:
    """The inner circumference of a UK size such as "N", "N½", "N 1/2" or "n.5"."""
    key = _uk_key(size)
    if key not in UK_TO_US:
        raise ValueError(f"{size!r} is not a UK ring size (A to Z, with ½ for a half size)")
    return us_to_mm(UK_TO_US[key])


def _uk_key(size: str) -> str:
    text = size.strip().upper().replace(" ", "")
    text = re.sub(r"(\+?1/2|\.5|½)$", "½", text)
    return text


def _quarter(value: float) -> float:
    return round(value * 4) / 4


def _fraction(value: float) -> str:
    whole = math.floor(value)
    rest = {0.0: "", 0.25: "¼", 0.5: "½", 0.75: "¾"}[value - whole]
    if whole == 0 and rest:
        return rest
    return f"{whole}{rest}"


def us_size(circumference_mm: float) -> str:
    """The nearest US quarter size ("7", "6½"), with "≈" when the circumference lies between
    two quarter sizes by more than 0.1 mm."""
    exact = mm_to_us(circumference_mm)
    nearest = _quarter(exact)
    if nearest < 0:
        return "below US 0"
    near = abs(us_to_mm(nearest) - circumference_mm) <= 0.1
    return ("" if near else "≈") + _fraction(nearest)


def uk_size(circumference_mm: float) -> str:
    """The nearest UK half letter ("N½"), with "≈" when more than 0.1 mm away."""
    best = min(UK_TO_US, key=lambda k: abs(us_to_mm(UK_TO_US[k]) - circumference_mm))
    distance = abs(us_to_mm(UK_TO_US[best]) - circumference_mm)
    lowest, highest = us_to_mm(UK_TO_US["A"]), us_to_mm(UK_TO_US["Z½"])
    if circumference_mm < lowest - 0.7 or circumference_mm > highest + 0.7:
        return "beyond the UK table"
    return ("" if distance <= 0.1 else "≈") + best


def describe(circumference_mm: float) -> str:
    """How a ring size is shown: "ISO 54.4 mm (US 7, UK N½)"."""
    return (
        f"ISO {circumference_mm:g} mm (US {us_size(circumference_mm)}, "
        f"UK {uk_size(circumference_mm)})"
    )


def parse_size(text: str) -> float:
    """A ring size as given in an ERP export: "54" or "54.4" (ISO mm), "US 7", "UK N½"."""
    raw = text.strip()
    upper = raw.upper()
    try:
        if upper.startswith("US"):
            value = float(raw[2:].strip().replace(",", "."))
            if not 0 <= value <= 16 or _quarter(value) != value:
                raise ValueError
            return round(us_to_mm(value), 2)
        if upper.startswith("UK"):
            return round(uk_to_mm(raw[2:]), 2)
        if upper.startswith("ISO"):
            raw = raw[3:]
        value = float(raw.strip().removesuffix("mm").strip().replace(",", "."))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a ring size: give the ISO 8653 inner circumference in mm "
            "(e.g. 54.4), or 'US 7', or 'UK N½'"
        ) from None
    if not MIN_CIRCUMFERENCE_MM <= value <= MAX_CIRCUMFERENCE_MM:
        raise ValueError(
            f"{text!r}: an ISO 8653 ring size lies between {MIN_CIRCUMFERENCE_MM:g} and "
            f"{MAX_CIRCUMFERENCE_MM:g} mm of inner circumference"
        )
    return value
