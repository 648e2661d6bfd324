"""Checklist templates: the schema a QA engineer's YAML file must follow.

A template belongs to one stage, carries an integer version, and holds sections of items.
Every inspection records the template id and version it used, so an edited checklist
never changes what an old inspection meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from qcstation.domain import ring_sizes
from qcstation.domain.defects import Severity
from qcstation.domain.numbers import MAX_MAGNITUDE, Band, plausible_band
from qcstation.domain.specs import LIMIT_NAMES, SPEC_FIELDS, Frozen
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
    """A numeric check: the mean of the readings must lie within [lower, upper].

    ``nominal``, ``lower``, ``upper`` and ``decimals`` may each be taken from the SKU's
    specification instead of written in (``nominal: {from: spec.weight_g}``; the fields
    are domain/specs.py SPEC_FIELDS). They are kept in ``spec_refs`` and filled in when an
    inspection starts (``with_frozen``): until then such an item judges nothing."""

    kind: Literal["measurement"]
    unit: str = Field(min_length=1)
    lower: Limit | None = None
    upper: Limit | None = None
    nominal: Limit | None = None
    readings: int = Field(default=1, ge=1, le=20)
    decimals: int = Field(default=2, ge=0, le=6)
    spec_refs: dict[str, str] = Field(
        default_factory=dict, description="limit name -> specification field it comes from"
    )
    # Set when an inspection's frozen values are applied; never stored with the template.
    spec_source: str = Field(default="", exclude=True)
    spec_missing: tuple[str, ...] = Field(default=(), exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _take_from_spec(cls, data: Any) -> Any:
        """``lower: {from: spec.weight_min_g}`` becomes spec_refs {"lower": "weight_min_g"}.
        A reference that is wrong stays where it is written, for the field's own check to
        refuse with the line it is on."""
        if not isinstance(data, dict):
            return data
        refs = dict(data.get("spec_refs") or {})
        out = dict(data)
        for name in LIMIT_NAMES:
            value = data.get(name)
            if isinstance(value, dict) and _ref_problem(name, value) is None:
                refs[name] = str(value["from"]).strip().removeprefix("spec.")
                out.pop(name)
        for name, field in refs.items():
            problem = _ref_problem(name, {"from": f"spec.{field}"})
            if problem is not None:
                raise ValueError(f"spec_refs: {problem}")
        if refs:
            out["spec_refs"] = refs
        return out

    @field_validator("lower", "upper", "nominal", "decimals", mode="before")
    @classmethod
    def _bad_reference(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, dict):
            raise ValueError(_ref_problem(str(info.field_name), value) or "not a number")
        return value

    @model_serializer(mode="wrap")
    def _without_empty_refs(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A template that takes nothing from a specification dumps (and hashes) exactly as
        # it did before specifications existed: its stored digest stays its digest.
        data = handler(self)
        if isinstance(data, dict) and not self.spec_refs:
            data.pop("spec_refs", None)
        return data

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
        has = {"lower", "upper"} & set(self.spec_refs)
        if self.lower is None and self.upper is None and not has:
            raise ValueError("a measurement needs a lower or an upper limit (or both)")
        return self

    @property
    def from_spec(self) -> bool:
        """Takes some of its limits from the SKU's specification."""
        return bool(self.spec_refs)

    @property
    def unresolved(self) -> bool:
        """Its specification values are not (or could not be) filled in: it judges nothing."""
        return bool(self.spec_missing) or (bool(self.spec_refs) and not self.spec_source)

    def spec_note(self) -> str:
        """Where the limits came from, for the checklist and the report: "from SKU R-1042
        spec, rev 3", the US and UK sizes beside an ISO ring size, or why there are none."""
        if not self.spec_refs:
            return ""
        if self.unresolved:
            return "; ".join(self.spec_missing) or "limits from the SKU's specification"
        note = self.spec_source
        if self.spec_refs.get("nominal") == "ring_size_mm" and self.nominal is not None:
            note = (
                f"US {ring_sizes.us_size(self.nominal)}, UK {ring_sizes.uk_size(self.nominal)}; "
                + note
            )
        return note

    def within(self, value: float) -> bool:
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value <= self.upper
        )

    def plausible_band(self) -> Band:
        """Where a reading of this item can plausibly lie; beyond it, a slip of the finger
        (a lost separator, a digit too many) is likelier than the piece, so ask first.
        An item whose limits the specification did not give has no band: no reading of it
        is stored anyway (it takes N/A only)."""
        if self.lower is None and self.upper is None:
            return Band(-MAX_MAGNITUDE, MAX_MAGNITUDE)
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


def _ref_problem(name: str, value: dict[str, Any]) -> str | None:
    """What is wrong with ``{from: spec.FIELD}`` given for a limit (None: nothing)."""
    if name not in LIMIT_NAMES:
        return f"{name!r} is not one of {', '.join(LIMIT_NAMES)}"
    if set(value) != {"from"} or not isinstance(value["from"], str):
        return "write a number, or {from: spec.FIELD} to take it from the SKU's specification"
    source = value["from"].strip()
    if not source.startswith("spec."):
        return f"from: takes spec.FIELD, not {source!r}"
    field = source.removeprefix("spec.")
    if field not in SPEC_FIELDS:
        return f"unknown specification field {source!r}; a checklist may take " + ", ".join(
            f"spec.{f}" for f in SPEC_FIELDS
        )
    if name == "decimals" and SPEC_FIELDS[field][0] != "":
        return f"{source} is not a number of decimals"
    if name != "decimals" and SPEC_FIELDS[field][0] == "":
        return f"{source} is a number of decimals, not a limit"
    return None


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

    def spec_refs(self) -> dict[str, dict[str, str]]:
        """Item id -> (limit -> specification field), for the items that take any."""
        return {
            item.id: dict(item.spec_refs)
            for item in self.items()
            if isinstance(item, MeasurementItem) and item.spec_refs
        }

    def with_frozen(self, frozen: Frozen | None) -> ChecklistTemplate:
        """This template as one inspection uses it: each item that takes its limits from
        the specification carries the values frozen when the inspection started (or says
        which fields the specification lacked)."""
        if frozen is None or not self.spec_refs():
            return self
        sections = []
        for section in self.sections:
            items = []
            for item in section.items:
                if isinstance(item, MeasurementItem) and item.spec_refs:
                    item = _resolved(item, frozen)
                items.append(item)
            sections.append(section.model_copy(update={"items": tuple(items)}))
        return self.model_copy(update={"sections": tuple(sections)})


def _resolved(item: MeasurementItem, frozen: Frozen) -> MeasurementItem:
    lacking = frozen.missing.get(item.id)
    values = frozen.items.get(item.id)
    if lacking or values is None:
        what = ", ".join(f"spec.{f}" for f in (lacking or sorted(set(item.spec_refs.values()))))
        if frozen.revision is None:
            why = f"no specification for SKU {frozen.sku}"
        else:
            why = f"SKU {frozen.sku} spec, rev {frozen.revision} has no {what}"
        return item.model_copy(update={"spec_missing": (why,)})
    update: dict[str, Any] = {"spec_source": frozen.source()}
    for name, value in values.items():
        update[name] = int(value) if name == "decimals" else value
    return item.model_copy(update=update)
