"""Quality dashboards: Pareto of defects, first-pass yield per stage, the daily p-chart.

Every figure is counted by the database (GROUP BY, window functions), never by looping
over rows in Python: a plant database holds millions of inspections. The same SQL runs
on SQLite and PostgreSQL; only the date truncation is spelled per dialect, and SQLite is
told which index to probe (``indexed_by``). The Pareto charts read the defects table
alone: each defect keeps copies of its inspection's stage, inspector, SKU, station and
start, filled by the database (migration 0018, docs/multi-station.md "Dashboards").

Definitions (kept in one place so the window, the CSV and the PDF agree):
* Only completed inspections count, and of a corrected record only its newest version
  (the correction states what was really found; the superseded one is not counted).
* Nonconforming (p-chart) = the inspection's verdict is fail.
* First pass = the verdict is pass at that first inspection; needs review is not a first
  pass (a supervisor had to look again).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
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
from qcstation.domain.summaries import end_of_day
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
from qcstation.store.sql import indexed_by

UNKNOWN_MATERIAL = "unknown"
ALL = DashboardFilter()


def _check(f: DashboardFilter) -> None:
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise InvalidInput(f"the date range is reversed: {f.date_from} is after {f.date_to}")


def _sqlite(s: Session) -> bool:
    return s.get_bind().dialect.name == "sqlite"


def _day_of_start(s: Session, on: Any = InspectionRow) -> ColumnElement[Any]:
    """The UTC day an inspection started: 'YYYY-MM-DD' text on SQLite, a date on
    PostgreSQL (``_day`` reads either).

    On SQLite the value is stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (store/types.py)
    and this is exactly the expression of the index ix_inspections_dashboard_day, written
    with literal numbers so the planner recognises it: the daily GROUP BY then reads the
    index in order instead of sorting a million rows. On PostgreSQL it is the expression
    of ix_inspections_dashboard_day_pg (migration 0016), whose statistics tell the planner
    there are a few hundred days, not half a million: it hash-aggregates in parallel
    instead of sorting every inspection on disk; and a date groups faster than text.
    ``on=DefectRow`` reads a defect's copy of its inspection's start instead.
    """
    col = on.started_at
    if _sqlite(s):
        return func.substr(col, literal_column("1"), literal_column("10"))
    return cast(func.timezone(literal_column("'UTC'"), col), Date)


def _bucket_of(s: Session, day: Any, bucket: Bucket) -> ColumnElement[Any]:
    """The first day of the week (Monday) or month of a 'YYYY-MM-DD' day, as text."""
    if bucket is Bucket.DAY:
        return day  # type: ignore[no-any-return]
    if _sqlite(s):
        if bucket is Bucket.WEEK:
            return func.date(day, "weekday 0", "-6 days")
        return func.substr(day, 1, 7).concat("-01")
    return cast(func.date_trunc(bucket.value, cast(day, Date)), Date)


def _where(s: Session, f: DashboardFilter, on: Any = InspectionRow) -> list[ColumnElement[bool]]:
    """The filter on inspections, plus 'completed' and 'not superseded by a correction'.

    ``on=DefectRow``: the same filter on defects, read from the copies each defect keeps of
    its inspection's stage, SKU, station and start (migration 0018), so a Pareto reads the
    defects table alone. Whether the inspection counts is then an anti-join against the
    few inspections that do not (ix_inspections_not_counted) and the superseded ones,
    instead of a join with every inspection.
    """
    conds: list[ColumnElement[bool]]
    if on is DefectRow:
        other = indexed_by(InspectionRow.__table__, "ix_inspections_not_counted", "not_counted")
        conds = [
            ~select(literal_column("1"))
            .select_from(other)
            .where(other.c.id == DefectRow.inspection_id)
            # a literal: the partial index's condition, which a bound value cannot prove
            .where(other.c.status != literal_column("'completed'"))
            .exists(),
            DefectRow.inspection_id.not_in(select(CorrectionRow.supersedes_id)),
        ]
    else:
        conds = [
            InspectionRow.status == "completed",
            InspectionRow.id.not_in(select(CorrectionRow.supersedes_id)),
        ]
    if _sqlite(s):  # whole UTC days: the same test, but one the day index can seek on
        day = _day_of_start(s, on)
        if f.date_from:
            conds.append(day >= f.date_from.isoformat())
        if f.date_to:
            conds.append(day <= f.date_to.isoformat())
    else:
        if f.date_from:
            start = datetime.combine(f.date_from, time(), timezone.utc)
            conds.append(on.started_at >= start)
        if f.date_to:
            conds.append(on.started_at < end_of_day(f.date_to))
    if f.sku:
        conds.append(on.sku == f.sku)
    if f.stage:
        conds.append(on.stage == f.stage.value)
    if f.station:
        conds.append(on.station_id.in_(select(StationRow.id).where(StationRow.name == f.station)))
    return conds


def _day(value: str | date) -> date:
    """A day as the chart SQL gives it: 'YYYY-MM-DD' (SQLite) or a date (PostgreSQL)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _pareto_query(s: Session, by: ParetoBy, f: DashboardFilter) -> Select[Any]:
    # Count per narrow key first (one pass over the defects table alone: each defect keeps
    # its inspection's stage, inspector and SKU), name the few groups after.
    key: Any
    if by is ParetoBy.CODE:
        # `code || ''`: grouping by the bare column would tempt SQLite into reading the
        # defects in code order (to skip sorting ~50 groups) and probing at random.
        key = DefectRow.code.concat(literal_column("''"))
    elif by is ParetoBy.STAGE:
        key = DefectRow.stage
    elif by is ParetoBy.WORKER:
        key = DefectRow.inspector_id
    else:
        key = DefectRow.sku  # then SKU -> material over a few thousand rows
    inner = (
        select(key.label("k"), func.count().label("n"))
        .select_from(DefectRow)
        .where(*_where(s, f, DefectRow))
        .group_by(key)
        .subquery()
    )
    named: Select[Any]
    if by is ParetoBy.CODE:
        named = select(
            inner.c.k.label("key"), DefectCode.name.label("label"), inner.c.n.label("n")
        ).join_from(inner, DefectCode, DefectCode.code == inner.c.k)
    elif by is ParetoBy.STAGE:
        named = select(inner.c.k.label("key"), inner.c.k.label("label"), inner.c.n.label("n"))
    elif by is ParetoBy.WORKER:
        named = select(
            UserRow.username.label("key"), UserRow.full_name.label("label"), inner.c.n.label("n")
        ).join_from(inner, UserRow, UserRow.id == inner.c.k)
    else:
        material = func.coalesce(func.nullif(SkuRow.material, ""), literal(UNKNOWN_MATERIAL))
        named = (
            select(material.label("key"), material.label("label"), func.sum(inner.c.n).label("n"))
            .select_from(inner)
            .outerjoin(SkuRow, SkuRow.sku == inner.c.k)
            .group_by(material)
        )
    counted = named.subquery()
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
    for key, label, n, pct, cum in s.execute(_pareto_query(s, by, f)):
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
    # Per day first (read in index order), then per week or month over those few rows.
    day = _day_of_start(s)
    passed = func.sum(case((InspectionRow.verdict == "pass", 1), else_=0))
    daily = (
        select(
            day.label("day"),
            InspectionRow.stage.label("stage"),
            func.count().label("n"),
            passed.label("ok"),
        )
        .where(*_where(s, f))
        .group_by(day, InspectionRow.stage)
        .subquery()
    )
    period = _bucket_of(s, daily.c.day, bucket).label("period")
    q = (
        select(period, daily.c.stage, func.sum(daily.c.n), func.sum(daily.c.ok))
        .group_by(period, daily.c.stage)
        .order_by(period, daily.c.stage)
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
    day = _day_of_start(s)
    nc = func.sum(case((InspectionRow.verdict == "fail", 1), else_=0))
    daily = (
        select(day.label("day"), func.count().label("n"), nc.label("nc"))
        .where(*_where(s, f))
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
    n, nc = s.execute(select(func.count(), failed).where(*_where(s, f))).one()
    defects = s.execute(
        select(func.count()).select_from(DefectRow).where(*_where(s, f, DefectRow))
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
