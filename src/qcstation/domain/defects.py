"""Defects: severity classes, dispositions, and the defect catalog QA engineers edit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qcstation.domain.stages import Stage


class Severity(str, Enum):
    """Critical: unsafe or a false claim. Major: unsaleable. Minor: cosmetic."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"

    @property
    def rank(self) -> int:
        return {"critical": 3, "major": 2, "minor": 1}[self.value]


class Disposition(str, Enum):
    """What happens to a nonconforming piece."""

    PENDING = "pending"
    REWORK = "rework"
    SCRAP = "scrap"
    USE_AS_IS = "use_as_is"  # needs a supervisor's approval
    RETURN_TO_SUPPLIER = "return_to_supplier"


CODE_PATTERN = r"^[A-Z]{2,4}-[A-Z0-9]{2,8}$"


class CatalogEntry(BaseModel):
    """One defect code as written in the catalog YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=CODE_PATTERN, description="e.g. CST-POR")
    name: str = Field(min_length=1)
    severity: Severity
    stages: tuple[Stage, ...] = Field(min_length=1)
    description: str = ""


class DefectCatalog(BaseModel):
    """The whole catalog file: a version and a list of codes, each unique."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    catalog: str = Field(min_length=1)
    version: int = Field(ge=1)
    defects: tuple[CatalogEntry, ...] = Field(min_length=1)

    @field_validator("defects")
    @classmethod
    def _codes_unique(cls, defects: tuple[CatalogEntry, ...]) -> tuple[CatalogEntry, ...]:
        seen: set[str] = set()
        for entry in defects:
            if entry.code in seen:
                raise ValueError(f"duplicate defect code {entry.code!r}")
            seen.add(entry.code)
        return defects

    def get(self, code: str) -> CatalogEntry | None:
        for entry in self.defects:
            if entry.code == code:
                return entry
        return None

    def codes(self) -> frozenset[str]:
        return frozenset(e.code for e in self.defects)

    def for_stage(self, stage: Stage) -> list[CatalogEntry]:
        return [e for e in self.defects if stage in e.stages]


@dataclass(frozen=True)
class Defect:
    """A defect found on a piece or lot during an inspection."""

    code: str
    severity: Severity
    item_id: str | None = None
    position: int | None = None
    disposition: Disposition = Disposition.PENDING
    note: str = ""
    id: int | None = None
