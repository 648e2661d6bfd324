"""A lot inspected by ISO 2859-1: one plan per severity class, the sample drawn, the verdict.

Each severity class (critical, major, minor) has its own AQL and its own place in the
switching scheme -- clause 9 applies the switching rules to each class separately -- so a
lot carries up to three plans that may be on different severities of inspection. One
sample is drawn, as large as the largest plan; a class with a smaller plan inspects the
first n pieces of the draw (a prefix of a random order is itself a random sample), so the
inspector pulls one set of pieces and every class is judged on a random subset of it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from qcstation.domain import sampling
from qcstation.domain.defects import Severity
from qcstation.domain.stages import Stage

SEVERITY_ORDER: tuple[Severity, ...] = (Severity.CRITICAL, Severity.MAJOR, Severity.MINOR)


class StreamKind(str, Enum):
    """Whose lots form one stream for the switching rules."""

    SUPPLIER = "supplier"  # receiving inspection: lots of one supplier
    PRODUCTION = "production"  # production: lots of one SKU at one stage


@dataclass(frozen=True)
class Stream:
    """One sequence of lots the switching rules follow (per supplier, or per SKU and stage)."""

    kind: StreamKind
    key: str
    stage: Stage

    @staticmethod
    def for_lot(stage: Stage, sku: str, supplier: str) -> Stream:
        """Receiving lots switch per supplier; production lots per SKU at their stage."""
        if stage is Stage.RECEIVING:
            if not supplier.strip():
                raise sampling.SamplingError(
                    "a receiving lot needs its supplier: the switching rules follow each supplier"
                )
            return Stream(StreamKind.SUPPLIER, supplier.strip(), stage)
        return Stream(StreamKind.PRODUCTION, sku.strip(), stage)

    def label(self) -> str:
        if self.kind is StreamKind.SUPPLIER:
            return f"supplier {self.key}"
        return f"{self.key} at {self.stage.label}"


class LotVerdict(str, Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ClassPlan:
    """The plan one severity class is inspected with in one lot."""

    severity: Severity
    plan: sampling.SamplingPlan

    def as_dict(self) -> dict[str, object]:
        p = self.plan
        return {
            "aql": sampling.aql_label(p.aql),
            "mode": p.mode.value,
            "code_letter": p.code_letter,
            "plan_letter": p.plan_letter,
            "sample_size": p.sample_size,
            "accept": p.accept,
            "reject": p.reject,
            "hundred_percent": p.hundred_percent,
        }


def parse_aqls(
    aqls: Mapping[Severity, float | str | None] | Mapping[str, float | str | None],
) -> dict[Severity, float]:
    """The AQL per class; a class left out (or None / empty) is not inspected in this lot."""
    out: dict[Severity, float] = {}
    for key, value in aqls.items():
        try:
            severity = Severity(key)
        except ValueError:
            valid = ", ".join(s.value for s in SEVERITY_ORDER)
            raise sampling.SamplingError(
                f"unknown severity class {key!r}; valid classes: {valid}"
            ) from None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        out[severity] = sampling.parse_aql(value)
    if not out:
        raise sampling.SamplingError(
            "give an AQL for at least one severity class (critical, major or minor)"
        )
    return {s: out[s] for s in SEVERITY_ORDER if s in out}


def class_plans(
    lot_size: int,
    level: sampling.InspectionLevel | str,
    aqls: Mapping[Severity, float],
    modes: Mapping[Severity, sampling.InspectionMode],
) -> tuple[ClassPlan, ...]:
    """One plan per class with an AQL, each on its class's current severity of inspection."""
    return tuple(
        ClassPlan(s, sampling.plan(lot_size, aqls[s], level, modes[s]))
        for s in SEVERITY_ORDER
        if s in aqls
    )


def draw_sample(lot_size: int, sample_size: int, seed: int) -> tuple[int, ...]:
    """Piece numbers (1..lot size) to pull, in draw order; the same seed draws the same pieces.

    With 100 % inspection every piece is taken, in lot order.
    """
    if not 1 <= sample_size <= lot_size:
        raise sampling.SamplingError(f"sample size {sample_size} is not within 1..{lot_size}")
    if sample_size == lot_size:
        return tuple(range(1, lot_size + 1))
    return tuple(random.Random(seed).sample(range(1, lot_size + 1), sample_size))


def pieces_for(draw: tuple[int, ...], sample_size: int) -> list[int]:
    """The pieces a class with this sample size inspects, sorted for pulling from the lot."""
    return sorted(draw[:sample_size])


def check_counts(
    plans: tuple[ClassPlan, ...], counts: Mapping[Severity, int] | Mapping[str, int]
) -> dict[Severity, int]:
    """Nonconforming counts for exactly the classes the lot was planned with."""
    given: dict[Severity, int] = {}
    for key, value in counts.items():
        try:
            severity = Severity(key)
        except ValueError:
            raise sampling.SamplingError(f"unknown severity class {key!r}") from None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise sampling.SamplingError(
                f"the {severity.value} count must be a whole number 0 or more, got {value!r}"
            )
        given[severity] = value
    planned = {p.severity for p in plans}
    missing = [s.value for s in SEVERITY_ORDER if s in planned and s not in given]
    extra = [s.value for s in SEVERITY_ORDER if s in given and s not in planned]
    if missing:
        raise sampling.SamplingError(f"count the nonconforming items for: {', '.join(missing)}")
    if extra:
        raise sampling.SamplingError(f"this lot was not planned for: {', '.join(extra)}")
    return given


def verdict(plans: tuple[ClassPlan, ...], counts: Mapping[Severity, int]) -> LotVerdict:
    """Accepted only when every class is accepted by its own plan."""
    ok = all(p.plan.accepts(counts[p.severity]) for p in plans)
    return LotVerdict.ACCEPTED if ok else LotVerdict.REJECTED
