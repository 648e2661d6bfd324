"""What a SKU is made of: its description and material, for the dashboards' Pareto by material."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from qcstation.domain.users import Permission, User
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput
from qcstation.store.models import SkuRow


@dataclass(frozen=True)
class SkuInfo:
    sku: str
    material: str
    description: str


def set_sku(
    station: Station, actor: User, sku: str, material: str, description: str | None = None
) -> SkuInfo:
    """Record (or change) a SKU's material; QA engineers and supervisors keep this list."""
    sku, material = sku.strip(), material.strip()
    if not sku:
        raise InvalidInput("give the SKU whose material is recorded")
    if not material or len(material) > 64:
        raise InvalidInput("give the material in 1 to 64 characters, e.g. '18k yellow gold'")
    with station.db.write(actor, station.name, reason="SKU material") as s:
        require(s, actor, Permission.MANAGE_TEMPLATES)
        row = s.get(SkuRow, sku)
        if row is None:
            row = SkuRow(sku=sku, description=description or "", updated_at=station.now())
            s.add(row)
        row.material = material
        if description is not None:
            row.description = description
        row.updated_at = station.now()
        s.flush()
        return SkuInfo(row.sku, row.material, row.description)


def list_skus(station: Station) -> list[SkuInfo]:
    with station.db.read() as s:
        return [
            SkuInfo(r.sku, r.material, r.description)
            for r in s.scalars(select(SkuRow).order_by(SkuRow.sku))
        ]
