"""The dashboards give the same figures on SQLite and PostgreSQL for the same rows.

The two spell the day of an inspection differently (text on SQLite, a date on PostgreSQL,
each with an index of its own), so the same seeded inspections -- hundreds of them over
two months, several at the very first and last microsecond of a UTC day, across a month
and a year end, with defects, materials, stations, an unfinished one and a correction --
are loaded into both, and every chart is compared for every kind of filter and bucket.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from qcstation import config
from qcstation.domain.dashboards import Bucket, Dashboard, DashboardFilter
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role, User
from qcstation.services import accounts, dashboards, setup, skus
from qcstation.services.context import Station, connect
from qcstation.store.models import (
    CorrectionRow,
    DefectCode,
    DefectRow,
    InspectionRow,
    TemplateRow,
    UserRow,
)
from qcstation.store.models import Station as StationRow

pytestmark = pytest.mark.postgres
PASSWORD = "correct horse battery"
FIRST = date(2025, 11, 20)  # to 2026-01-19: a month end and a year end inside


def load(station: Station, admin: User, supervisor: User) -> None:
    """The same rows on any database (a fixed seed)."""
    rng = random.Random(1416)
    skus.set_sku(station, supervisor, "RG-1", material="18k yellow gold")
    skus.set_sku(station, supervisor, "PD-2", material="sterling silver")
    with station.db.write(admin, station.name, reason="dashboard dialect test data") as s:
        users = [u.id for u in s.scalars(select(UserRow).order_by(UserRow.username))]
        templates = {t.stage: t for t in s.scalars(select(TemplateRow).where(TemplateRow.active))}
        codes = sorted(s.scalars(select(DefectCode.code)))
        benches = []
        for name in ("bench-1", "bench-2", "bench-3"):
            row = StationRow(name=name, created_at=datetime.now(timezone.utc))
            s.add(row)
            s.flush()
            benches.append(row.id)
        stages = [st for st in Stage if st.value in templates]
        made = []
        for n in range(500):
            day = FIRST + timedelta(days=rng.randrange(61))
            at = datetime.combine(day, time(), timezone.utc) + rng.choice(
                [
                    timedelta(0),  # the first microsecond of the UTC day
                    timedelta(days=1, microseconds=-1),  # and its last
                    timedelta(seconds=rng.randrange(86400)),
                ]
            )
            stage = rng.choice(stages)
            tpl = templates[stage.value]
            verdict = rng.choices(["pass", "fail", "needs_review", None], [80, 12, 5, 3])[0]
            row = InspectionRow(
                id=f"00000000-0000-4000-8000-{n:012d}",
                job_ticket=f"JT-{n}",
                sku=rng.choice(["RG-1", "PD-2", "CH-3"]),
                serial=f"S{n}",
                subject="piece",
                lot_size=None,
                sample_size=None,
                stage=stage.value,
                template_id=tpl.id,
                template_key=tpl.template_key,
                template_version=tpl.version,
                position_counts={},
                status="completed" if verdict else "in_progress",
                verdict=verdict,
                inspector_id=rng.choice(users),
                station_id=rng.choice(benches),
                started_at=at,
                completed_at=at + timedelta(minutes=3) if verdict else None,
                notes="",
            )
            s.add(row)
            made.append(row)
        s.flush()
        for row in made:
            if row.verdict in ("fail", "needs_review", None):
                for _ in range(rng.choice((1, 1, 2, 3))):
                    s.add(
                        DefectRow(
                            inspection_id=row.id,
                            item_id=None,
                            position=0,
                            code=codes[min(int(rng.paretovariate(1.2)) - 1, len(codes) - 1)],
                            severity="major",
                            disposition="pending",
                            note="",
                            created_at=row.started_at,
                            created_by_id=row.inspector_id,
                        )
                    )
        superseded = next(r for r in made if r.verdict == "fail")
        s.add(
            CorrectionRow(
                inspection_id=next(r for r in made if r.verdict == "pass").id,
                supersedes_id=superseded.id,
                revision=2,
                reason="re-measured",
                created_at=datetime.now(timezone.utc),
                created_by_id=users[0],
            )
        )


def plant(data_dir: Path, url: str) -> tuple[Station, User]:
    station = connect(config.resolve(data_dir, url))
    setup.init(station, "alice", PASSWORD)
    admin = accounts.login(station, "alice", PASSWORD)
    accounts.create_user(station, admin, "sam", PASSWORD, Role.SUPERVISOR, "Sam")
    accounts.create_user(station, admin, "ines", PASSWORD, Role.INSPECTOR, "Ines")
    supervisor = accounts.login(station, "sam", PASSWORD)
    load(station, admin, supervisor)
    return station, supervisor


FILTERS = [
    dashboards.ALL,
    DashboardFilter(date_from=date(2025, 12, 31), date_to=date(2026, 1, 1)),
    DashboardFilter(date_from=date(2025, 12, 1), date_to=date(2025, 12, 1)),
    DashboardFilter(stage=Stage.CASTING),
    DashboardFilter(sku="CH-3", date_from=date(2025, 12, 15)),
    DashboardFilter(station="bench-2", date_to=date(2025, 12, 31)),
]


def comparable(d: Dashboard) -> object:
    """The whole dashboard, percentages and limits to 9 places (a numeric against a double)."""
    return (
        d.inspected,
        d.failed,
        d.defects,
        {
            by: [
                (b.key, b.label, b.count, round(b.percent, 9), round(b.cumulative_percent, 9))
                for b in bars
            ]
            for by, bars in d.pareto.items()
        },
        d.first_pass_yield,
        [(p.day, p.n, p.nonconforming, round(p.lcl, 9), round(p.ucl, 9)) for p in d.p_chart.points],
        round(d.p_chart.p_bar, 9),
    )


def test_every_chart_is_the_same_on_sqlite_and_postgresql(
    tmp_path: Path, pg_database_url: str
) -> None:
    lite, lite_user = plant(tmp_path / "lite", f"sqlite:///{tmp_path / 'lite.db'}")
    pg, pg_user = plant(tmp_path / "pg", pg_database_url)
    try:
        seen = 0
        for f in FILTERS:
            for bucket in Bucket:
                a = dashboards.dashboard(lite, lite_user, f, bucket)
                b = dashboards.dashboard(pg, pg_user, f, bucket)
                assert comparable(a) == comparable(b), (f, bucket)
                seen += a.inspected
        assert dashboards.dashboard(lite, lite_user).inspected > 400
        assert seen > 0
        # the day edges: a day's first and last microsecond count on that UTC day
        one_day = DashboardFilter(date_from=date(2025, 12, 1), date_to=date(2025, 12, 1))
        points = dashboards.daily_p_chart(pg, pg_user, one_day).points
        assert [p.day for p in points] in ([], [date(2025, 12, 1)])
    finally:
        lite.close()
        pg.close()
