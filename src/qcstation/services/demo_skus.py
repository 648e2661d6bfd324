"""The demo's SKUs: what each one is, the material it is made of and its specification,
and the step that records the materials and specifications on a station.

A catalogue, kept apart from the demo's generator (services/demo.py: users, clock, dice):
data a reader looks up or extends on its own. demo.py draws its inspections' SKUs from
:data:`SKUS` and records the catalogue through :func:`demo_materials` before the first one.
"""

from __future__ import annotations

from qcstation.domain.specs import Specification
from qcstation.domain.users import User
from qcstation.services import skus, specs
from qcstation.services.context import Station

SKUS = (
    ("RG-SOL-0412", "18k yellow gold solitaire ring, 0.50 ct round brilliant"),
    ("RG-ETR-0733", "Platinum eternity band, 21 x 0.05 ct"),
    ("ER-STD-1108", "14k white gold stud earrings, pair"),
    ("PD-HALO-2207", "18k white gold halo pendant"),
    ("BR-TEN-0930", "Sterling silver tennis bracelet, rhodium plated"),
    ("CH-CUB-0215", "Gold vermeil cuban chain"),
)


# What each demo SKU is made of, for the dashboard's Pareto by material.
DEMO_MATERIALS = {
    "RG-SOL-0412": "18k yellow gold",
    "RG-ETR-0733": "platinum 950",
    "ER-STD-1108": "14k white gold",
    "PD-HALO-2207": "18k white gold",
    "BR-TEN-0930": "sterling silver",
    "CH-CUB-0215": "gold vermeil",
}


def _spec(sku: str, product_type: str, **fields: object) -> Specification:
    return Specification.model_validate(
        {"sku": sku, "product_type": product_type, "description": dict(SKUS)[sku], **fields}
    )


# What each demo SKU must be: the weight, size, length and stone checks are judged by these.
DEMO_SPECS = (
    _spec(
        "RG-SOL-0412",
        "ring",
        metal="yellow gold",
        fineness=750,
        weight_g=4.2,
        weight_tol_minus_g=0.1,
        weight_tol_plus_g=0.15,
        ring_size_mm=54.0,
        stone_count=1,
        stone_size_mm=5.2,
        stone_carat=0.5,
        market="UK",
    ),
    _spec(
        "RG-ETR-0733",
        "ring",
        metal="platinum",
        fineness=950,
        weight_g=5.8,
        weight_tol_minus_g=0.15,
        weight_tol_plus_g=0.15,
        ring_size_mm=52.0,
        stone_count=21,
        stone_size_mm=1.1,
        stone_carat=1.05,
        stone_carat_tol_ct=0.03,
        market="US",
    ),
    _spec(
        "ER-STD-1108",
        "earring",
        metal="white gold",
        fineness=585,
        weight_g=1.85,
        weight_tol_minus_g=0.05,
        weight_tol_plus_g=0.08,
        weight_resolution_g=0.001,
        length_mm=6.5,
        plating_finish="rhodium",
        plating_min_um=0.1,
        market="EU",
    ),
    _spec(
        "PD-HALO-2207",
        "pendant",
        metal="white gold",
        fineness=750,
        weight_g=2.6,
        weight_tol_minus_g=0.08,
        weight_tol_plus_g=0.08,
        length_mm=18.0,
        stone_count=13,
        stone_size_mm=1.3,
        stone_carat=0.42,
        plating_finish="rhodium",
        plating_min_um=0.1,
        market="IN",
    ),
    _spec(
        "BR-TEN-0930",
        "bracelet",
        metal="sterling silver",
        fineness=925,
        weight_g=14.5,
        weight_tol_minus_g=0.3,
        weight_tol_plus_g=0.4,
        length_mm=180.0,
        stone_count=40,
        stone_size_mm=2.5,
        stone_carat=4.0,
        stone_carat_tol_ct=0.05,
        plating_finish="rhodium",
        plating_min_um=0.1,
        market="US",
    ),
    _spec(
        "CH-CUB-0215",
        "necklace",
        metal="sterling silver",
        fineness=925,
        weight_g=22.0,
        weight_tol_minus_g=0.5,
        weight_tol_plus_g=0.8,
        length_mm=500.0,
        plating_finish="gold vermeil",
        plating_min_um=2.5,
        market="UK",
    ),
)


def demo_materials(station: Station, supervisor: User) -> None:
    descriptions = dict(SKUS)
    for sku, material in DEMO_MATERIALS.items():
        skus.set_sku(station, supervisor, sku, material, descriptions.get(sku))
    specs.import_specs(station, supervisor, DEMO_SPECS, "demo specifications")
