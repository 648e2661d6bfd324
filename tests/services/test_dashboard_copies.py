"""Defects' copies of their inspection's values (migration 0018), and the charts read from them.

The Pareto charts read a defect's stage, inspector, SKU, station and start from the defect
itself: the database fills them on every write (a trigger), so they must equal the
inspection's after any kind of write -- the services, raw SQL, a write that tries to set
them wrong, an inspection that changes, the migration's back-fill. And every chart must
give what the plain definition gives (a join of every defect with its inspection), on
data with inspections in progress, abandoned and superseded.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import or_, select, text, update

from qcstation.domain.dashboards import Bucket, DashboardFilter, ParetoBy
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services import audit, dashboards, inspections
from qcstation.services.context import Station
from qcstation.store import schema
from qcstation.store.models import (
    CorrectionRow,
    DefectRow,
    InspectionRow,
    SkuRow,
    UserRow,
)
from qcstation.store.models import Station as StationRow

from .test_dashboards_dialects import FILTERS, plant
from .test_inspections import answer_everything

COPIES = ("stage", "inspector_id", "sku", "station_id", "started_at")


def mismatched(station: Station) -> list[tuple[int, str]]:
    """(defect id, inspection id) of every defect whose copies are not its inspection's."""
    with station.db.read() as s:
        rows = s.execute(
            select(DefectRow.id, DefectRow.inspection_id)
            .join(InspectionRow, InspectionRow.id == DefectRow.inspection_id)
            .where(
                or_(
                    *(
                        getattr(DefectRow, c).is_distinct_from(getattr(InspectionRow, c))
                        for c in COPIES
                    )
                )
            )
        ).all()
        return [(r[0], r[1]) for r in rows]


def count_defects(station: Station) -> int:
    with station.db.read() as s:
        return len(s.scalars(select(DefectRow.id)).all())


def test_copies_follow_every_kind_of_write(
    station: Station, inspector: User, supervisor: User
) -> None:
    # the services: a defect on an inspection in progress, then completed
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-1", "RG-1", "SN1")
    inspections.raise_defect(station, inspector, ins.id, "CST-POR", note="porosity")
    answer_everything(station, inspector, ins.id)
    inspections.complete(station, inspector, ins.id)
    assert count_defects(station) == 1 and mismatched(station) == []
    assert audit.verify(station).ok  # the copies are not the defect as anyone recorded it

    # defects written with every copy wrong (the ORM, raw SQL), or none (raw SQL), then
    # updated to be wrong again
    other = inspections.start(station, inspector, Stage.POLISHING, "JT-2", "PD-2", "SN2")
    with station.db.write(supervisor, station.name, reason="a defect with wrong copies") as s:
        s.add(
            DefectRow(
                inspection_id=other.id,
                item_id=None,
                position=2,
                code="CST-SHRK",
                severity="major",
                disposition="pending",
                note="",
                created_at=datetime.now(timezone.utc),
                created_by_id=supervisor.id,
                stage="receiving",
                inspector_id=supervisor.id,
                sku="WRONG",
                started_at=datetime(2001, 1, 1, tzinfo=timezone.utc),
            )
        )
    assert count_defects(station) == 2 and mismatched(station) == []
    engine = station.db.engine
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO defects (inspection_id, position, code, severity, disposition, "
                "note, created_at, created_by_id, stage, inspector_id, sku, station_id, "
                "started_at) VALUES (:i, 0, 'CST-POR', 'major', 'pending', '', :at, :u, "
                "'casting', 999, 'WRONG', 999, :at)"
            ),
            {"i": other.id, "at": datetime(2001, 1, 1, tzinfo=timezone.utc), "u": 1},
        )
        conn.execute(
            text(
                "INSERT INTO defects (inspection_id, position, code, severity, "
                "disposition, note, created_at, created_by_id) VALUES (:i, 1, "
                "'CST-POR', 'minor', 'pending', '', :at, 1)"
            ),
            {"i": other.id, "at": datetime.now(timezone.utc)},
        )
    assert count_defects(station) == 4 and mismatched(station) == []
    with engine.begin() as conn:
        conn.execute(
            update(DefectRow)
            .where(DefectRow.inspection_id == other.id)
            .values(
                stage="receiving", sku="NOPE", started_at=datetime(2002, 2, 2, tzinfo=timezone.utc)
            )
        )
    assert mismatched(station) == []

    # an inspection in progress that changes: its defects follow
    with engine.begin() as conn:
        conn.execute(
            update(InspectionRow)
            .where(InspectionRow.id == other.id)
            .values(sku="PD-9", started_at=datetime(2026, 3, 1, 12, tzinfo=timezone.utc))
        )
    assert mismatched(station) == []
    with station.db.read() as s:
        skus = set(s.scalars(select(DefectRow.sku).where(DefectRow.inspection_id == other.id)))
    assert skus == {"PD-9"}


# SQLAlchemy cannot reflect SQLite's expression index on the day; only names are read here.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migration_fills_the_copies_of_existing_defects_and_goes_back(
    tmp_path: Path, database_url: str
) -> None:
    station, _user = plant(tmp_path / "data", database_url)
    try:
        engine = station.db.engine
        with engine.begin() as conn:
            command.downgrade(schema._config(conn), "0017")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa_inspect(conn).get_columns("defects")}
            indexes = {i["name"] for i in sa_inspect(conn).get_indexes("inspections")}
        assert not columns & set(COPIES) and "ix_inspections_not_counted" not in indexes
        schema.upgrade(engine)
        assert count_defects(station) > 100
        assert mismatched(station) == []
    finally:
        station.close()


# --- every chart against the plain definition ---------------------------------------------


def abandon_some(station: Station, user: User) -> None:
    """Half the inspections in progress are abandoned (they keep their defects)."""
    with station.db.write(user, station.name, reason="abandoned for the test") as s:
        open_ones = s.scalars(
            select(InspectionRow)
            .where(InspectionRow.status == "in_progress")
            .order_by(InspectionRow.id)
        ).all()
        for row in open_ones[::2]:
            row.status = "abandoned"


def reference(station: Station, f: DashboardFilter, bucket: Bucket) -> dict[str, object]:
    """Every figure, straight from the definition: each defect joined to its inspection."""
    with station.db.read() as s:
        superseded = set(s.scalars(select(CorrectionRow.supersedes_id)))
        names = {sid: name for sid, name in s.execute(select(StationRow.id, StationRow.name))}
        users = {uid: name for uid, name in s.execute(select(UserRow.id, UserRow.username))}
        material = {k: m for k, m in s.execute(select(SkuRow.sku, SkuRow.material))}

        def keep(i: InspectionRow) -> bool:
            day = i.started_at.astimezone(timezone.utc).date()
            return (
                i.status == "completed"
                and i.id not in superseded
                and (f.date_from is None or day >= f.date_from)
                and (f.date_to is None or day <= f.date_to)
                and (not f.sku or i.sku == f.sku)
                and (f.stage is None or i.stage == f.stage.value)
                and (not f.station or names[i.station_id] == f.station)
            )

        counted = [i for i in s.scalars(select(InspectionRow)) if keep(i)]
        ids = {i.id for i in counted}
        pairs = s.execute(
            select(DefectRow.code, InspectionRow).join(
                InspectionRow, InspectionRow.id == DefectRow.inspection_id
            )
        ).all()
        pareto: dict[ParetoBy, Counter[str]] = {by: Counter() for by in ParetoBy}
        for code, i in pairs:
            if i.id not in ids:
                continue
            pareto[ParetoBy.CODE][code] += 1
            pareto[ParetoBy.STAGE][i.stage] += 1
            pareto[ParetoBy.WORKER][users[i.inspector_id]] += 1
            pareto[ParetoBy.MATERIAL][material.get(i.sku) or "unknown"] += 1
        days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        fpy: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
        for i in counted:
            day = i.started_at.astimezone(timezone.utc).date()
            days[day][0] += 1
            days[day][1] += i.verdict == "fail"
            if bucket is Bucket.WEEK:
                day -= timedelta(days=day.weekday())
            elif bucket is Bucket.MONTH:
                day = day.replace(day=1)
            fpy[(day, i.stage)][0] += 1
            fpy[(day, i.stage)][1] += i.verdict == "pass"
    return {
        "inspected": len(counted),
        "failed": sum(i.verdict == "fail" for i in counted),
        "defects": sum(pareto[ParetoBy.CODE].values()),
        "pareto": {
            by: sorted(((n, k) for k, n in c.items()), key=lambda t: (-t[0], t[1]))
            for by, c in pareto.items()
        },
        "fpy": sorted((d, st, n, ok) for (d, st), (n, ok) in fpy.items()),
        "p": sorted((d, n, nc) for d, (n, nc) in days.items()),
    }


def charted(d: object) -> dict[str, object]:
    from qcstation.domain.dashboards import Dashboard

    assert isinstance(d, Dashboard)
    return {
        "inspected": d.inspected,
        "failed": d.failed,
        "defects": d.defects,
        "pareto": {by: [(b.count, b.key) for b in bars] for by, bars in d.pareto.items()},
        "fpy": sorted(
            (p.period, p.stage.value, p.inspected, p.first_pass) for p in d.first_pass_yield
        ),
        "p": [(p.day, p.n, p.nonconforming) for p in d.p_chart.points],
    }


def test_every_chart_equals_the_plain_definition(tmp_path: Path, database_url: str) -> None:
    station, user = plant(tmp_path / "data", database_url)
    try:
        abandon_some(station, user)
        with station.db.read() as s:
            statuses = Counter(s.scalars(select(InspectionRow.status)))
            in_defects = s.scalars(
                select(DefectRow.id)
                .join(InspectionRow, InspectionRow.id == DefectRow.inspection_id)
                .where(InspectionRow.status != "completed")
            ).all()
        assert statuses["abandoned"] and statuses["in_progress"] and in_defects
        for f in [*FILTERS, DashboardFilter(stage=Stage.POLISHING, station="bench-1")]:
            for bucket in Bucket:
                got = charted(dashboards.dashboard(station, user, f, bucket))
                assert got == reference(station, f, bucket), (f, bucket)
        assert charted(dashboards.dashboard(station, user))["defects"]
    finally:
        station.close()


def test_a_pareto_reads_the_defects_alone_and_probes_the_small_index(station: Station) -> None:
    """No join with the inspections; 'does not count' is probed in the partial index (on
    SQLite named by INDEXED BY: left to itself it probes the primary key and reads every
    inspection's page at random)."""
    with station.db.read() as s:
        q = dashboards._pareto_query(s, ParetoBy.STAGE, dashboards.ALL)
        sql = str(q.compile(s.get_bind(), compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN QUERY PLAN " if s.get_bind().dialect.name == "sqlite" else "EXPLAIN "
        plan = "\n".join(str(r[-1]) for r in s.execute(text(explain + sql)))
    assert "JOIN inspections" not in sql
    if explain.startswith("EXPLAIN QUERY PLAN"):  # PostgreSQL plans by its statistics
        assert "SEARCH not_counted USING INDEX ix_inspections_not_counted" in plan, plan
