"""What a customer certificate states about the piece, taken from the record.

Every claim comes from something recorded: the inspection's subject (SKU, serial), the
answers of the checklist items that declare a ``claim`` (gross weight, metal, fineness,
stones, hallmark, HUID, ring size), or the SKU's own record (its description, and its
material when the checklist recorded no metal). Nothing is typed at export. The same
claims are printed, embedded in the signed PDF and carried in the QR payload, in this
order and spelled exactly alike.
"""

from __future__ import annotations

from collections.abc import Mapping

from qcstation.domain.certificates import CLAIM_LABELS, MAX_CLAIM_BYTES, Claim
from qcstation.domain.inspections import Answer, Inspection, Outcome
from qcstation.domain.numbers import format_reading
from qcstation.domain.templates import ChecklistItem, MeasurementItem

# A checklist item's claim name -> the certificate's claim code.
_CODES = {
    "metal": "M",
    "fineness": "F",
    "gross_weight": "W",
    "hallmark": "H",
    "ring_size": "Z",
}


def _value(item: ChecklistItem, answer: Answer | None) -> str | None:
    """The answer as the certificate prints it; None when there is nothing to state."""
    if answer is None or answer.outcome is Outcome.NA:
        return None
    if isinstance(item, MeasurementItem):
        if not answer.readings:
            return None
        mean = sum(answer.readings) / len(answer.readings)
        return f"{format_reading(mean, item.decimals)} {item.unit}"
    text = (answer.value or "").strip()
    return text or None


class ClaimTooLong(ValueError):
    """A claim longer than a certificate's QR code carries: it would have to be cut."""


def _whole(code: str, text: str) -> str:
    """The claim as recorded, or refused: a certificate never prints half of a claim."""
    if len(text.encode("utf-8")) > MAX_CLAIM_BYTES:
        raise ClaimTooLong(
            f"the {CLAIM_LABELS[code].lower()} on record is longer than a certificate carries "
            f"({len(text.encode('utf-8'))} of at most {MAX_CLAIM_BYTES} bytes): "
            f"{text[:40]!r}…; shorten it where it is recorded"
        )
    return text


def _stones(count: str | None, carat: str | None) -> str | None:
    if count is None and carat is None:
        return None
    n = None
    if count is not None:
        try:
            n = int(float(count.split()[0]))
        except ValueError:
            n = None
    if n == 0:
        return "none"
    parts = []
    if n is not None:
        parts.append(f"{n} stone" + ("" if n == 1 else "s"))
    elif count is not None:
        parts.append(count)
    if carat is not None:
        parts.append(f"{carat} total" if parts else carat)
    return ", ".join(parts)


def recorded_huid(inspection: Inspection) -> str | None:
    """The HUID the inspection recorded (its item with the ``huid`` claim), if any."""
    for item in inspection.template.items():
        if item.claim == "huid":
            return _value(item, inspection.answers.get((item.id, None)))
    return None


def hallmark_with_huid(hallmark: str | None, huid: str) -> str:
    """The certificate's "Hallmark / HUID" line: the stamp as read, and the HUID recorded
    on its own (said once when the stamp text already carries it)."""
    if not hallmark:
        return f"HUID {huid}"
    if huid in hallmark.split():
        return hallmark
    return f"{hallmark} · HUID {huid}"


def claims_from_record(
    inspection: Inspection, sku_description: str = "", sku_material: str = ""
) -> tuple[Claim, ...]:
    """The certificate's claims, in print order (see CLAIM_LABELS)."""
    found: dict[str, str] = {}
    by_claim: dict[str, str | None] = {}
    for item in inspection.template.items():
        if item.claim is None:
            continue
        by_claim[item.claim] = _value(item, inspection.answers.get((item.id, None)))
    if sku_description.strip():
        found["A"] = sku_description.strip()
    found["K"] = inspection.sku
    if inspection.serial:
        found["N"] = inspection.serial
    for name, code in _CODES.items():
        value = by_claim.get(name)
        if value:
            found[code] = value
    if "M" not in found and sku_material.strip():
        found["M"] = sku_material.strip()
    huid = by_claim.get("huid")
    if huid:
        found["H"] = hallmark_with_huid(found.get("H"), huid)
    stones = _stones(by_claim.get("stone_count"), by_claim.get("stone_carat"))
    if stones:
        found["S"] = stones
    return tuple(Claim(code, _whole(code, found[code])) for code in CLAIM_LABELS if found.get(code))


def as_rows(claims: tuple[Claim, ...]) -> list[tuple[str, str]]:
    return [(c.label, c.value) for c in claims]


def as_data(claims: tuple[Claim, ...]) -> list[dict[str, str]]:
    """The claims as plain data (a document's recorded facts, the embedded content)."""
    return [{"code": c.code, "label": c.label, "value": c.value} for c in claims]


def from_data(data: object) -> tuple[Claim, ...]:
    if not isinstance(data, list):
        return ()
    out = []
    for d in data:
        if isinstance(d, Mapping) and isinstance(d.get("code"), str):
            out.append(Claim(str(d["code"]), str(d.get("value", ""))))
    return tuple(out)
