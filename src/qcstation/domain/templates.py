"""Checklist templates: the schema a QA engineer's YAML file must follow.

A template belongs to one stage, carries an integer version, and holds sections of items.
Every inspection records the template id and version it used, so an edited checklist
never changes what an old inspection meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from qcstation.domain.defects import Severity
from qcstation.domain.numbers import MAX_MAGNITUDE, Band, plausible_band
from qcstation.domain.stages import Stage

ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"

# A tolerance limit: a finite number no larger than any reading can be (YAML's .nan and
# .inf are floats to the loader, but no record can hold them, nor compare a reading with them).
Limit = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]

# What an item's answer may state on a customer certificate (domain/certificate_claims.py):
# the certificate prints these from the record, never from text typed at export.
ClaimName = Literal[
    "metal",
    "fineness",
    "gross_weight",
    "stone_count",
    "stone_carat",
    "hallmark",
    "huid",
    "ring_size",
]


class FollowUp(str, Enum):
    """What a failed item asks for before the inspection can be completed."""

    DEFECT = "defect"
    PHOTO = "photo"
    NOTE = "note"


class OnFail(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    require: tuple[FollowUp, ...] = (FollowUp.DEFECT,)
    defects: tuple[str, ...] = Field(
        default=(), description="catalog codes offered first when this item fails"
    )


class Positions(BaseModel):
    """Per-position items (prong 1..n, stone 1..n): one answer per position."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, description="what one position is called: Prong, Stone")
    default: int = Field(ge=1, le=200)
    min: int = Field(default=1, ge=1)
    max: int = Field(default=200, le=500)

    @model_validator(mode="after")
    def _bounds(self) -> Positions:
        if not self.min <= self.default <= self.max:
            raise ValueError(
                f"default {self.default} must lie between min {self.min} and max {self.max}"
            )
        return self


class _ItemBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN, max_length=64)
    prompt: str = Field(min_length=1)
    instructions: str = ""
    reference_image: str | None = None
    required: bool = True
    allow_na: bool = False
    photo_required: bool = False
    severity: Severity = Field(
        default=Severity.MAJOR,
        description="severity of a failure when no defect with its own severity is logged",
    )
    positions: Positions | None = None
    on_fail: OnFail = OnFail()
    claim: ClaimName | None = Field(
        default=None, description="what the answer states on a customer certificate"
    )

    @field_validator("reference_image")
    @classmethod
    def _relative_path(cls, value: str | None) -> str | None:
        # A template may point at an image beside it, never outside its folder.
        if value is not None and (value.startswith(("/", "\\")) or ".." in value.split("/")):
            raise ValueError("reference_image must be a path inside the template's folder")
        return value


class PassFailItem(_ItemBase):
    kind: Literal["pass_fail"]


class MeasurementItem(_ItemBase):
    """A numeric check: the mean of the readings must lie within [lower, upper]."""

    kind: Literal["measurement"]
    unit: str = Field(min_length=1)
    lower: Limit | None = None
    upper: Limit | None = None
    nominal: Limit | None = None
    readings: int = Field(default=1, ge=1, le=20)
    decimals: int = Field(default=2, ge=0, le=6)

    # Field validators (not one model validator) so an error points at the line at fault.
    @field_validator("upper")
    @classmethod
    def _upper_not_below_lower(cls, hi: float | None, info: ValidationInfo) -> float | None:
        lo = info.data.get("lower")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"lower tolerance {lo} is above upper tolerance {hi}")
        return hi

    @field_validator("nominal")
    @classmethod
    def _nominal_within(cls, nom: float | None, info: ValidationInfo) -> float | None:
        lo, hi = info.data.get("lower"), info.data.get("upper")
        if nom is not None and ((lo is not None and nom < lo) or (hi is not None and nom > hi)):
            raise ValueError(f"nominal {nom} lies outside the limits [{lo}, {hi}]")
        return nom

    @model_validator(mode="after")
    def _has_a_limit(self) -> MeasurementItem:
        if self.lower is None and self.upper is None:
            raise ValueError("a measurement needs a lower or an upper limit (or both)")
        return self

    def within(self, value: float) -> bool:
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value <= self.upper
        )

    def plausible_band(self) -> Band:
        """Where a reading of this item can plausibly lie; beyond it, a slip of the finger
        (a lost separator, a digit too many) is likelier than the piece, so ask first."""
        return plausible_band(self.lower, self.upper, self.nominal, self.decimals)


class ChoiceItem(_ItemBase):
    """Pick one option; the item passes when the option is among the acceptable ones."""

    kind: Literal["choice"]
    options: tuple[str, ...] = Field(min_length=2)
    acceptable: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _acceptable_are_options(self) -> ChoiceItem:
        if len(set(self.options)) != len(self.options):
            raise ValueError("options must be unique")
        unknown = [a for a in self.acceptable if a not in self.options]
        if unknown:
            raise ValueError(f"acceptable answers {unknown} are not among the options")
        return self


MAX_PATTERN_LENGTH = 200


class TextItem(_ItemBase):
    """Free text (a lot number, a remark). Recorded, never failed.

    A ``pattern`` (a regular expression the whole answer must match) makes the item refuse
    text of the wrong form where it is typed, with ``pattern_message`` saying what is
    expected in words ("6 capital letters or digits, e.g. AB12C3"); ``example`` is a value
    that fits, shown in the empty field and checked against the pattern when the file is
    validated, so a pattern nobody can satisfy never reaches a bench."""

    kind: Literal["text"]
    max_length: int = Field(default=500, ge=1, le=10000)
    pattern: str | None = Field(default=None, min_length=1, max_length=MAX_PATTERN_LENGTH)
    pattern_message: str = Field(default="", max_length=200)
    example: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"pattern {pattern!r} is not a regular expression: {exc}"
                ) from None
        return pattern

    @model_validator(mode="after")
    def _pattern_parts_agree(self) -> TextItem:
        if self.pattern is None:
            if self.pattern_message or self.example is not None:
                raise ValueError("pattern_message and example describe a pattern: give `pattern`")
            return self
        if not self.pattern_message.strip():
            raise ValueError("a pattern needs a pattern_message saying in words what it expects")
        if self.example is None:
            raise ValueError("a pattern needs an example that matches it")
        if not self.fits(self.example):
            raise ValueError(f"example {self.example!r} does not match pattern {self.pattern!r}")
        if len(self.example) > self.max_length:
            raise ValueError(
                f"example {self.example!r} is longer than max_length {self.max_length}"
            )
        return self

    def fits(self, text: str) -> bool:
        """True when the text has the form the pattern asks for (or there is no pattern)."""
        return self.pattern is None or re.fullmatch(self.pattern, text) is not None


class PhotoItem(_ItemBase):
    """Evidence that must be captured; passes once a photo is attached."""

    kind: Literal["photo"]
    photo_required: bool = True


Item = Annotated[
    PassFailItem | MeasurementItem | ChoiceItem | TextItem | PhotoItem,
    Field(discriminator="kind"),
]
ITEM_KINDS = ("pass_fail", "measurement", "choice", "text", "photo")
ChecklistItem = PassFailItem | MeasurementItem | ChoiceItem | TextItem | PhotoItem


def step_label(item: ChecklistItem, position: int | None) -> str:
    """What people call an item at a position ("Prong 2: Prong intact, …"), wherever they
    read about it: the checklist, messages, the summary, nonconformance."""
    if position is None or item.positions is None:
        return item.prompt
    return f"{item.positions.label} {position}: {item.prompt}"


def label_of(template: ChecklistTemplate, item_id: str, position: int | None) -> str:
    """The item's label in that template; its id only if the template no longer has it."""
    try:
        return step_label(template.item(item_id), position)
    except KeyError:
        return item_id + (f" #{position}" if position else "")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    items: tuple[Item, ...] = Field(min_length=1)


class ChecklistTemplate(BaseModel):
    """One versioned checklist for one stage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: str = Field(pattern=ID_PATTERN, max_length=64, description="template id")
    version: int = Field(ge=1)
    stage: Stage
    name: str = Field(min_length=1)
    description: str = ""
    subjects: tuple[Literal["piece", "lot"], ...] = ("piece", "lot")
    sections: tuple[Section, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_item_ids(self) -> ChecklistTemplate:
        seen: set[str] = set()
        claims: set[str] = set()
        for item in self.items():
            if item.id in seen:
                raise ValueError(f"duplicate item id {item.id!r}")
            seen.add(item.id)
            if item.claim is not None:
                if item.claim in claims:
                    raise ValueError(f"two items state the certificate claim {item.claim!r}")
                if item.positions is not None or isinstance(item, (PassFailItem, PhotoItem)):
                    raise ValueError(
                        f"item {item.id!r}: a certificate claim is a measurement, choice or "
                        "text item without positions"
                    )
                claims.add(item.claim)
        return self

    def items(self) -> Iterator[ChecklistItem]:
        for section in self.sections:
            yield from section.items

    def item(self, item_id: str) -> ChecklistItem:
        for item in self.items():
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def defect_codes(self) -> set[str]:
        """Every catalog code the template refers to."""
        return {code for item in self.items() for code in item.on_fail.defects}

    @property
    def key(self) -> str:
        return f"{self.template}@{self.version}"
