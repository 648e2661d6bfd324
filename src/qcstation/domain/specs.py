"""A SKU's specification, and the checklist limits taken from it.

A specification says what a SKU (or one job ticket) must be: metal and fineness, nominal
weight with its tolerance, ring size, chain or bracelet length, stones, plating and the
destination market. It is kept in revisions (services/specs.py): an import never changes
a revision, it adds the next one, so a past inspection still names the revision it used.

A checklist's measurement item takes its nominal and limits from the specification by
naming a field below (``lower: {from: spec.weight_min_g}``). When an inspection starts,
the values are looked up once and frozen into the inspection (``Frozen``): the checklist
on screen, the stored and signed record, the verdict and the report all use them, and a
specification changed later changes nothing about it.

Lengths: a specification may give its own tolerance; otherwise the product type's plant
default below applies (``LENGTH_TOLERANCES_MM``). Ring size: ISO 8653 inner circumference
in mm, ±``RING_SIZE_TOLERANCE_MM`` unless the specification says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qcstation.domain import ring_sizes
from qcstation.domain.numbers import MAX_MAGNITUDE


class ProductType(str, Enum):
    RING = "ring"
    NECKLACE = "necklace"  # a chain or necklace, with or without pendant
    BRACELET = "bracelet"
    ANKLET = "anklet"
    EARRING = "earring"
    PENDANT = "pendant"
    BROOCH = "brooch"
    OTHER = "other"


# The plant's default length tolerance (minus, plus) in mm by product type, used when a
# specification gives none of its own. No standard sets these; they are the plant's
# bench practice: a chain or bracelet must not come out short (it may not close round
# the neck or wrist, and a customer notices a short chain, not a long one), so the
# tolerance leans to the plus side; an earring's drop is matched to its pair, so it is tight.
LENGTH_TOLERANCES_MM: dict[ProductType, tuple[float, float]] = {
    ProductType.NECKLACE: (2.0, 5.0),
    ProductType.BRACELET: (1.0, 3.0),
    ProductType.ANKLET: (2.0, 4.0),
    ProductType.EARRING: (0.5, 0.5),
    ProductType.PENDANT: (0.5, 0.5),
    ProductType.BROOCH: (0.5, 0.5),
    ProductType.RING: (0.5, 0.5),  # a ring's length is its head or band width
    ProductType.OTHER: (1.0, 1.0),
}

# ISO 8653's sizes are 1 mm of circumference apart; a ring within half of that reads as its
# size on the standard's ring stick.
RING_SIZE_TOLERANCE_MM = 0.5

# A stone total weighed to 0.01 ct: within one digit of the specification.
STONE_CARAT_TOLERANCE_CT = 0.01


# What a checklist may take from a specification: name -> (unit, what it is).
SPEC_FIELDS: dict[str, tuple[str, str]] = {
    "weight_g": ("g", "nominal gross weight"),
    "weight_min_g": ("g", "lowest gross weight the tolerance allows"),
    "weight_max_g": ("g", "highest gross weight the tolerance allows"),
    "weight_decimals": ("", "decimals the balance reads (2 for 0.01 g, 3 for 0.001 g)"),
    "ring_size_mm": ("mm", "ISO 8653 inner circumference"),
    "ring_size_min_mm": ("mm", "smallest inner circumference allowed"),
    "ring_size_max_mm": ("mm", "largest inner circumference allowed"),
    "length_mm": ("mm", "nominal length (chain, bracelet, earring drop)"),
    "length_min_mm": ("mm", "shortest length allowed (product type's tolerance)"),
    "length_max_mm": ("mm", "longest length allowed (product type's tolerance)"),
    "stone_count": ("stones", "number of stones"),
    "stone_size_mm": ("mm", "stone diameter"),
    "stone_carat": ("ct", "total stone weight"),
    "stone_carat_min": ("ct", "lowest total stone weight allowed"),
    "stone_carat_max": ("ct", "highest total stone weight allowed"),
    "plating_min_um": ("µm", "minimum plating thickness"),
    "fineness": ("‰", "fineness in parts per thousand"),
}

LIMIT_NAMES = ("nominal", "lower", "upper", "decimals")

Positive = Annotated[float, Field(gt=0, le=MAX_MAGNITUDE, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, le=MAX_MAGNITUDE, allow_inf_nan=False)]


class SpecError(ValueError):
    """A specification that cannot be used; the message names the field."""


class Specification(BaseModel):
    """What one SKU (or one job ticket) must be. Fields left out are not specified."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str = Field(min_length=1, max_length=64)
    job_ticket: str = Field(default="", max_length=64, description="only this job, if given")
    product_type: ProductType
    description: str = Field(default="", max_length=500)
    metal: str = Field(default="", max_length=64)
    fineness: int | None = Field(default=None, ge=1, le=1000, description="parts per thousand")
    weight_g: Positive | None = None
    weight_tol_minus_g: NonNegative | None = None
    weight_tol_plus_g: NonNegative | None = None
    weight_resolution_g: float = 0.01
    ring_size_mm: float | None = None
    ring_size_tol_mm: NonNegative | None = None
    length_mm: Positive | None = None
    length_tol_minus_mm: NonNegative | None = None
    length_tol_plus_mm: NonNegative | None = None
    stone_count: int | None = Field(default=None, ge=0, le=10000)
    stone_size_mm: Positive | None = None
    stone_carat: NonNegative | None = None
    stone_carat_tol_ct: NonNegative | None = None
    plating_finish: str = Field(default="", max_length=64)
    plating_min_um: NonNegative | None = None
    market: str = Field(default="", max_length=32, description="destination market, e.g. UK")

    @field_validator("sku", "job_ticket")
    @classmethod
    def _stripped(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("no spaces before or after")
        return value

    @field_validator("weight_resolution_g")
    @classmethod
    def _resolution(cls, value: float) -> float:
        if value not in (0.01, 0.001):
            raise ValueError("the balance reads to 0.01 or 0.001 g")
        return value

    @field_validator("ring_size_mm")
    @classmethod
    def _ring_size(cls, value: float | None) -> float | None:
        if value is None:
            return None
        lo, hi = ring_sizes.MIN_CIRCUMFERENCE_MM, ring_sizes.MAX_CIRCUMFERENCE_MM
        if not (math.isfinite(value) and lo <= value <= hi):
            raise ValueError(
                f"an ISO 8653 ring size is the inner circumference, {lo:g} to {hi:g} mm"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Specification:
        if self.weight_g is not None and (
            self.weight_tol_minus_g is None or self.weight_tol_plus_g is None
        ):
            raise ValueError(
                "weight_g needs its tolerance: weight_tol_minus_g and weight_tol_plus_g"
            )
        minus = self.weight_tol_minus_g
        if self.weight_g is not None and minus is not None and minus >= self.weight_g:
            raise ValueError("weight_tol_minus_g must be smaller than weight_g")
        if self.ring_size_mm is not None and self.product_type is not ProductType.RING:
            raise ValueError(f"a ring size is for a ring, not a {self.product_type.value}")
        if self.stone_carat is not None and not self.stone_count:
            raise ValueError("stone_carat needs stone_count (1 or more)")
        return self

    # -- what a checklist may take --------------------------------------------------------

    def length_tolerance(self) -> tuple[float, float]:
        default = LENGTH_TOLERANCES_MM[self.product_type]
        return (
            self.length_tol_minus_mm if self.length_tol_minus_mm is not None else default[0],
            self.length_tol_plus_mm if self.length_tol_plus_mm is not None else default[1],
        )

    def values(self) -> dict[str, float]:
        """Every field a checklist may name, for the fields this specification gives."""
        out: dict[str, float] = {}
        if self.weight_g is not None:
            assert self.weight_tol_minus_g is not None and self.weight_tol_plus_g is not None
            out["weight_g"] = self.weight_g
            out["weight_min_g"] = _round(self.weight_g - self.weight_tol_minus_g)
            out["weight_max_g"] = _round(self.weight_g + self.weight_tol_plus_g)
        out["weight_decimals"] = 3 if self.weight_resolution_g == 0.001 else 2
        if self.ring_size_mm is not None:
            tol = (
                self.ring_size_tol_mm
                if self.ring_size_tol_mm is not None
                else RING_SIZE_TOLERANCE_MM
            )
            out["ring_size_mm"] = self.ring_size_mm
            out["ring_size_min_mm"] = _round(self.ring_size_mm - tol)
            out["ring_size_max_mm"] = _round(self.ring_size_mm + tol)
        if self.length_mm is not None:
            minus, plus = self.length_tolerance()
            out["length_mm"] = self.length_mm
            out["length_min_mm"] = _round(self.length_mm - minus)
            out["length_max_mm"] = _round(self.length_mm + plus)
        if self.stone_count is not None:
            out["stone_count"] = self.stone_count
        if self.stone_size_mm is not None:
            out["stone_size_mm"] = self.stone_size_mm
        if self.stone_carat is not None:
            tol = (
                self.stone_carat_tol_ct
                if self.stone_carat_tol_ct is not None
                else STONE_CARAT_TOLERANCE_CT
            )
            out["stone_carat"] = self.stone_carat
            out["stone_carat_min"] = _round(max(0.0, self.stone_carat - tol))
            out["stone_carat_max"] = _round(self.stone_carat + tol)
        if self.plating_min_um is not None:
            out["plating_min_um"] = self.plating_min_um
        if self.fineness is not None:
            out["fineness"] = self.fineness
        return out

    def lines(self) -> list[tuple[str, str]]:
        """The specification as people read it: (what, value) pairs, fields given only."""
        out: list[tuple[str, str]] = [("Product type", self.product_type.value)]
        if self.job_ticket:
            out.append(("Job ticket", self.job_ticket))
        if self.description:
            out.append(("Description", self.description))
        if self.metal or self.fineness:
            out.append(("Metal", " ".join(x for x in (self.metal, _ppt(self.fineness)) if x)))
        if self.weight_g is not None:
            out.append(
                (
                    "Gross weight",
                    f"{self.weight_g:g} g −{self.weight_tol_minus_g:g}/+{self.weight_tol_plus_g:g}"
                    f" g (balance {self.weight_resolution_g:g} g)",
                )
            )
        if self.ring_size_mm is not None:
            v = self.values()
            out.append(
                (
                    "Ring size",
                    f"{ring_sizes.describe(self.ring_size_mm)}, {v['ring_size_min_mm']:g} to "
                    f"{v['ring_size_max_mm']:g} mm",
                )
            )
        if self.length_mm is not None:
            minus, plus = self.length_tolerance()
            own = self.length_tol_minus_mm is not None or self.length_tol_plus_mm is not None
            whose = "" if own else f" ({self.product_type.value} default)"
            out.append(("Length", f"{self.length_mm:g} mm −{minus:g}/+{plus:g} mm{whose}"))
        if self.stone_count is not None:
            stones = f"{self.stone_count}"
            if self.stone_size_mm is not None:
                stones += f" × {self.stone_size_mm:g} mm"
            if self.stone_carat is not None:
                v = self.values()
                stones += (
                    f", {self.stone_carat:g} ct total "
                    f"({v['stone_carat_min']:g} to {v['stone_carat_max']:g} ct)"
                )
            out.append(("Stones", stones))
        if self.plating_finish or self.plating_min_um is not None:
            thick = f" ≥ {self.plating_min_um:g} µm" if self.plating_min_um is not None else ""
            out.append(("Plating", f"{self.plating_finish or 'plated'}{thick}"))
        if self.market:
            out.append(("Destination market", self.market))
        return out


def _round(value: float) -> float:
    return round(value, 6)


def _ppt(fineness: int | None) -> str:
    return f"{fineness}" if fineness else ""


# -- the values frozen into an inspection ------------------------------------------------


@dataclass(frozen=True)
class Frozen:
    """The specification values an inspection uses, fixed when it starts.

    ``items`` maps an item id to the values it took (``nominal``, ``lower``, ``upper``,
    ``decimals``); ``missing`` maps an item id to the fields the specification lacked
    (such an item can only be answered N/A). ``revision`` is None when the SKU had no
    specification at all."""

    sku: str
    revision: int | None
    items: Mapping[str, Mapping[str, float]]
    missing: Mapping[str, tuple[str, ...]]
    job_ticket: str = ""

    def source(self) -> str:
        """Where the limits came from, as the checklist says it."""
        if self.revision is None:
            return f"no specification for SKU {self.sku}"
        whose = f"job {self.job_ticket}" if self.job_ticket else f"SKU {self.sku}"
        return f"from {whose} spec, rev {self.revision}"

    def to_json(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "job_ticket": self.job_ticket,
            "revision": self.revision,
            "items": {k: dict(sorted(v.items())) for k, v in sorted(self.items.items())},
            "missing": {k: list(v) for k, v in sorted(self.missing.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Frozen:
        return cls(
            sku=str(data["sku"]),
            revision=None if data.get("revision") is None else int(data["revision"]),
            items={
                str(k): {str(n): float(x) for n, x in v.items()}
                for k, v in dict(data.get("items") or {}).items()
            },
            missing={
                str(k): tuple(str(x) for x in v) for k, v in dict(data.get("missing") or {}).items()
            },
            job_ticket=str(data.get("job_ticket") or ""),
        )


def freeze(
    refs_by_item: Mapping[str, Mapping[str, str]],
    sku: str,
    spec: Specification | None,
    revision: int | None,
) -> Frozen:
    """Look every item's spec fields up once: the values an inspection will keep."""
    values = spec.values() if spec is not None else {}
    items: dict[str, dict[str, float]] = {}
    missing: dict[str, tuple[str, ...]] = {}
    for item_id, refs in refs_by_item.items():
        lacking = tuple(sorted({f for f in refs.values() if f not in values}))
        if lacking:
            missing[item_id] = lacking
        else:
            items[item_id] = {name: values[field] for name, field in refs.items()}
    return Frozen(
        sku=sku,
        revision=revision if spec is not None else None,
        items=items,
        missing=missing,
        job_ticket=spec.job_ticket if spec is not None else "",
    )
