"""Quality dashboards: Pareto of defects, first-pass yield per stage, the daily p-chart.

Every figure is counted by the database (GROUP BY, window functions), never by looping
over rows in Python: a plant database holds millions of inspections. The same SQL runs
on SQLite and PostgreSQL; only the date truncation is spelled per dialect.

Definitions (kept in one place so the window, the CSV and the PDF agree):
* Only completed inspections count, and of a corrected record only its newest version
  (the correction states what was really found; the superseded one is not counted).
* Nonconforming (p-chart) = the inspection's verdict is fail.
* First pass = the verdict is pass at that first inspection; needs review is not a first
  pass (a supervisor had to look again).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, literal, select
from sqlalchemy.orm import Session

from qcstation.domain.dashboards import (
    Bucket,
    Dashboard,
    DashboardFilter,
    ParetoBar,
    ParetoBy,
    PChart,
    YieldPoint,
    p_chart,
)
from qcstation.domain.stages import Stage
from qcstation.domain.users import Permission, User
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput
from qcstation.store.models import (
    CorrectionRow,
    DefectCode,
    DefectRow,
    InspectionRow,
    SkuRow,
    UserRow,
)
from qcstation.store.models import Station as StationRow

UNKNOWN_MATERIAL = "unknown"
ALL = DashboardFilter()


def _check(f: DashboardFilter) -> None:
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise InvalidInput(f"the date range is reversed: {f.date_from} is after {f.date_to}")


def _where(f: DashboardFilter) -> list[ColumnElement[bool]]:
    """The filter on inspections, plus 'completed' and 'not a correction'."""
    conds: list[ColumnElement[bool]] = [
        InspectionRow.status == "completed",
        ~exists().where(CorrectionRow.supersedes_id == InspectionRow.id),
    ]
    if f.date_from:
        conds.append(
            InspectionRow.started_at >= datetime.combine(f.date_from, time(), timezone.utc)
        )
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), time(), timezone.utc)
        conds.append(InspectionRow.started_at < end)
    if f.sku:
        conds.append(InspectionRow.sku == f.sku)
    if f.stage:
        conds.append(InspectionRow.stage == f.stage.value)
    if f.station:
        conds.append(
            InspectionRow.station_id.in_(select(StationRow.id).where(StationRow.name == f.station))
        )
    return conds


def _period(s: Session, bucket: Bucket) -> ColumnElement[Any]:
    """The start of the day / week (Monday) / month of started_at, as 'YYYY-MM-DD' text."""
    col = InspectionRow.started_at
    if s.get_bind().dialect.name == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (see store/types.py).
        if bucket is Bucket.DAY:
            return func.substr(col, 1, 10)
        if bucket is Bucket.WEEK:
            return func.date(col, "weekday 0", "-6 days")
        return func.substr(col, 1, 7).concat("-01")
    utc = func.timezone("UTC", col)
    if bucket is Bucket.DAY:
        return func.to_char(utc, "YYYY-MM-DD")
    return func.to_char(func.date_trunc(bucket.value, utc), "YYYY-MM-DD")


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _pareto_query(by: ParetoBy, f: DashboardFilter) -> Select[Any]:
    q = (
        select()
        .select_from(DefectRow)
        .join(InspectionRow, InspectionRow.id == DefectRow.inspection_id)
    )
    keys: list[Any]
    if by is ParetoBy.CODE:
        q = q.join(DefectCode, DefectCode.code == DefectRow.code)
        keys = [DefectRow.code, DefectCode.name]
    elif by is ParetoBy.STAGE:
        keys = [InspectionRow.stage, InspectionRow.stage]
    elif by is ParetoBy.WORKER:
        q = q.join(UserRow, UserRow.id == InspectionRow.inspector_id)
        keys = [UserRow.username, UserRow.full_name]
    else:
        q = q.outerjoin(SkuRow, SkuRow.sku == InspectionRow.sku)
        material = func.coalesce(func.nullif(SkuRow.material, ""), literal(UNKNOWN_MATERIAL))
        keys = [material, material]
    counted = (
        q.add_columns(keys[0].label("key"), keys[1].label("label"), func.count().label("n"))
        .where(*_where(f))
        .group_by(*dict.fromkeys(keys))
        .subquery()
    )
    order = (counted.c.n.desc(), counted.c.key)
    running = func.sum(counted.c.n).over(order_by=order, rows=(None, 0))
    total = func.sum(counted.c.n).over()
    return select(
        counted.c.key,
        counted.c.label,
        counted.c.n,
        (counted.c.n * 100.0 / total).label("pct"),
        (running * 100.0 / total).label("cum"),
    ).order_by(*order)


def _require(s: Session, actor: User) -> None:
    require(s, actor, Permission.REVIEW)


def pareto(
    station: Station, actor: User, by: ParetoBy, f: DashboardFilter = ALL
) -> tuple[ParetoBar, ...]:
    """Defects counted by code, stage, worker or material, biggest first, with cumulative %."""
    _check(f)
    with station.db.read() as s:
        _require(s, actor)
        return _pareto(s, by, f)


def _pareto(s: Session, by: ParetoBy, f: DashboardFilter) -> tuple[ParetoBar, ...]:
    out = []
    for key, label, n, pct, cum in s.execute(_pareto_query(by, f)):
        if by is ParetoBy.STAGE:
            label = Stage(key).label
        out.append(ParetoBar(str(key), str(label), int(n), float(pct), float(cum)))
    return tuple(out)


def first_pass_yield(
    station: Station,
    actor: User,
    f: DashboardFilter = ALL,
    bucket: Bucket = Bucket.WEEK,
) -> tuple[YieldPoint, ...]:
    """Per stage and period: inspected, and passed at the first inspection."""
    _check(f)
    with station.db.read() as s:
        _require(s, actor)
        return _first_pass_yield(s, f, bucket)


def _first_pass_yield(s: Session, f: DashboardFilter, bucket: Bucket) -> tuple[YieldPoint, ...]:
    period = _period(s, bucket).label("period")
    passed = func.sum(case((InspectionRow.verdict == "pass", 1), else_=0))
    q = (
        select(period, InspectionRow.stage, func.count(), passed)
        .where(*_where(f))
        .group_by(period, InspectionRow.stage)
        .order_by(period, InspectionRow.stage)
    )
    return tuple(
        YieldPoint(_day(p), Stage(stage), int(n), int(ok)) for p, stage, n, ok in s.execute(q)
    )


def daily_p_chart(station: Station, actor: User, f: DashboardFilter = ALL) -> PChart:
    """Daily fraction nonconforming with 3-sigma limits from each day's own n."""
    _check(f)
    with station.db.read() as s:
        _require(s, actor)
        return _p_chart(s, f)


def _p_chart(s: Session, f: DashboardFilter) -> PChart:
    day = _period(s, Bucket.DAY).label("day")
    nc = func.sum(case((InspectionRow.verdict == "fail", 1), else_=0))
    daily = (
        select(day, func.count().label("n"), nc.label("nc"))
        .where(*_where(f))
        .group_by(day)
        .subquery()
    )
    # The centre line is the whole range's fraction, computed alongside by a window.
    p_bar = func.sum(daily.c.nc).over() * 1.0 / func.sum(daily.c.n).over()
    q = select(daily.c.day, daily.c.n, daily.c.nc, p_bar).order_by(daily.c.day)
    rows = s.execute(q).all()
    if not rows:
        return PChart((), 0.0)
    centre = float(rows[0][3])
    return p_chart([(_day(d), int(n), int(c)) for d, n, c, _ in rows], centre)


def _totals(s: Session, f: DashboardFilter) -> tuple[int, int, int]:
    failed = func.sum(case((InspectionRow.verdict == "fail", 1), else_=0))
    n, nc = s.execute(select(func.count(), failed).where(*_where(f))).one()
    defects = s.execute(
        select(func.count())
        .select_from(DefectRow)
        .join(InspectionRow, InspectionRow.id == DefectRow.inspection_id)
        .where(*_where(f))
    ).scalar_one()
    return int(n), int(nc or 0), int(defects)


def dashboard(
    station: Station,
    actor: User,
    f: DashboardFilter = ALL,
    bucket: Bucket = Bucket.WEEK,
) -> Dashboard:
    """Every chart for one filter, read in one transaction (so they agree with each other)."""
    _check(f)
    with station.db.read() as s:
        _require(s, actor)
        inspected, failed, defects = _totals(s, f)
        return Dashboard(
            filter=f,
            inspected=inspected,
            failed=failed,
            defects=defects,
            pareto={by: _pareto(s, by, f) for by in ParetoBy},
            first_pass_yield=_first_pass_yield(s, f, bucket),
            bucket=bucket,
            p_chart=_p_chart(s, f),
        )


def stations(station: Station) -> list[str]:
    """Station names for the filter."""
    with station.db.read() as s:
        return list(s.scalars(select(StationRow.name).order_by(StationRow.name)))
