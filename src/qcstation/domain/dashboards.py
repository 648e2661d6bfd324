"""What the quality dashboards show: Pareto bars, first-pass yield, the p-chart.

The counting happens in the database (services/dashboards.py); this module holds the
figures and the little arithmetic on already-aggregated points (3-sigma limits), so the
same numbers reach the window, the CSV and the PDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from qcstation.domain.stages import Stage


class ParetoBy(str, Enum):
    CODE = "code"
    STAGE = "stage"
    WORKER = "worker"  # the inspector who recorded the defect's inspection
    MATERIAL = "material"  # from the SKU's material (skus table); "unknown" when not set


class Bucket(str, Enum):
    DAY = "day"
    WEEK = "week"  # starting Monday
    MONTH = "month"


@dataclass(frozen=True)
class DashboardFilter:
    """Completed inspections started from ``date_from`` to ``date_to`` (both inclusive, UTC)."""

    date_from: date | None = None
    date_to: date | None = None
    sku: str | None = None
    stage: Stage | None = None
    station: str | None = None

    def describe(self) -> str:
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or '…'} to {self.date_to or '…'}")
        if self.sku:
            parts.append(f"SKU {self.sku}")
        if self.stage:
            parts.append(self.stage.label)
        if self.station:
            parts.append(f"station {self.station}")
        return ", ".join(parts) or "all completed inspections"


@dataclass(frozen=True)
class ParetoBar:
    key: str
    label: str
    count: int
    percent: float
    cumulative_percent: float


@dataclass(frozen=True)
class YieldPoint:
    """First-pass yield of one stage in one period: passed at the first inspection / inspected."""

    period: date
    stage: Stage
    inspected: int
    first_pass: int

    @property
    def rate(self) -> float:
        return self.first_pass / self.inspected if self.inspected else 0.0


@dataclass(frozen=True)
class PPoint:
    """One day of the p-chart, with that day's own limits (they depend on its n)."""

    day: date
    n: int
    nonconforming: int
    lcl: float
    ucl: float

    @property
    def p(self) -> float:
        return self.nonconforming / self.n

    @property
    def out_of_control(self) -> bool:
        return self.p > self.ucl or self.p < self.lcl


@dataclass(frozen=True)
class PChart:
    points: tuple[PPoint, ...]
    p_bar: float  # centre line: all nonconforming / all inspected in the range

    @property
    def out_of_control(self) -> tuple[PPoint, ...]:
        return tuple(p for p in self.points if p.out_of_control)


def p_limits(p_bar: float, n: int) -> tuple[float, float]:
    """3-sigma limits of a p-chart for a subgroup of n, clipped to [0, 1]."""
    if n <= 0:
        raise ValueError("a p-chart subgroup needs at least one item")
    sigma = math.sqrt(p_bar * (1.0 - p_bar) / n)
    return max(0.0, p_bar - 3 * sigma), min(1.0, p_bar + 3 * sigma)


def p_chart(days: list[tuple[date, int, int]], p_bar: float) -> PChart:
    """The chart from per-day (day, n, nonconforming) counts and the overall centre line."""
    points = []
    for day, n, nc in days:
        lcl, ucl = p_limits(p_bar, n)
        points.append(PPoint(day, n, nc, lcl, ucl))
    return PChart(tuple(points), p_bar)


@dataclass(frozen=True)
class Dashboard:
    """Everything the page, the CSV and the PDF show for one filter."""

    filter: DashboardFilter
    inspected: int
    failed: int
    defects: int
    pareto: dict[ParetoBy, tuple[ParetoBar, ...]] = field(default_factory=dict)
    first_pass_yield: tuple[YieldPoint, ...] = ()
    bucket: Bucket = Bucket.WEEK
    p_chart: PChart = PChart((), 0.0)
