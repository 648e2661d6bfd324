"""What the item editor says of a measurement in words: an item's limits as the checklist
shows them (with the SKU specification they came from), and why typed text is not a reading
and what to type instead, in the user's language.

Kept apart from ui/pages/item_editor.py because these are texts, not the widget: each takes
an item or a domain.numbers.ReadingError and returns a sentence, holding no state and
building no widget, so they read (and are translated) in one place.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from qcstation.domain.numbers import Problem, ReadingError, format_reading
from qcstation.domain.templates import MeasurementItem


def limits_text(item: MeasurementItem, decimal: str = ".") -> str:
    """The limits as the checklist shows them, with where they came from when the SKU's
    specification gave them ("… (from SKU R-1042 spec, rev 3)")."""
    if item.unresolved:
        return item.spec_note() + " — answer N/A if it does not apply"
    unit = item.unit

    def fmt(value: float) -> str:
        return format_reading(value, item.decimals, decimal)

    if item.lower is not None and item.upper is not None:
        span = f"{fmt(item.lower)} … {fmt(item.upper)} {unit}"
    elif item.lower is not None:
        span = f"≥ {fmt(item.lower)} {unit}"
    else:
        span = f"≤ {fmt(item.upper or 0.0)} {unit}"
    nominal = f"nominal {fmt(item.nominal)} {unit}, " if item.nominal is not None else ""
    note = item.spec_note()
    return nominal + "limits " + span + (f" ({note})" if note else "")


def explain(where: QObject, err: ReadingError) -> str:
    """What is wrong with a typed reading and what to type instead, in the user's language."""
    t, ex = err.text, err.example
    if err.problem is Problem.AMBIGUOUS and err.alternatives:
        decimal, whole = err.alternatives
        return where.tr(
            "“{0}” could be a decimal or a thousands separator: type {1} for the decimal, "
            "or {2} for the whole number."
        ).format(t, decimal, whole)
    if err.problem is Problem.EMPTY:
        return where.tr("Type a reading.")
    if err.problem is Problem.SPACE:
        return where.tr("“{0}” has a space in it: type {1}.").format(t, ex)
    if err.problem is Problem.EXPONENT:
        return where.tr("“{0}” is in exponent notation: type the number in full, {1}.").format(
            t, ex
        )
    if err.problem is Problem.GROUPED:
        return where.tr(
            "“{0}” has more than one separator: type one decimal separator and no "
            "thousands separators, e.g. {1}."
        ).format(t, ex)
    if err.problem is Problem.TOO_LARGE:
        return where.tr("“{0}” is too large to be a reading: check the digits.").format(t)
    if err.problem is Problem.TOO_PRECISE:
        return where.tr(
            "“{0}” has more digits than the record keeps exactly: type at most 15 "
            "significant digits."
        ).format(t)
    return where.tr("“{0}” is not a number: type digits, with {1} for decimals.").format(
        t, err.decimal
    )
