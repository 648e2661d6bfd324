"""A small fixed data set for the dashboard tests, with figures worked out by hand.

Inspections (completed unless said otherwise), defects by code:

    #   day         stage      sku   verdict       inspector station  defects
    1   2026-03-02  casting    RG-1  fail          ines      bench-1  CST-POR x2
    2   2026-03-02  casting    RG-1  pass          ines      bench-1
    3   2026-03-02  casting    PD-2  needs_review  ivan      bench-2  CST-SHRK
    4   2026-03-02  polishing  RG-1  pass          ivan      bench-1
    5   2026-03-03  casting    RG-1  fail          ivan      bench-2  CST-POR, CST-SHORT
    6   2026-03-03  polishing  CH-3  fail          ines      bench-1  CST-POR
    7   2026-03-03  polishing  CH-3  pass          ines      bench-1
    8   2026-03-09  casting    PD-2  pass          ines      bench-2
    9   2026-03-09  casting    PD-2  pass          ivan      bench-2
    10  2026-03-09  polishing  RG-1  fail          ivan      bench-1  CST-SHORT
    60x 2026-03-10  casting    CH-3  pass          ines      bench-2
    10x 2026-03-11  polishing  CH-3  8 fail 2 pass ivan      bench-1
    901 2026-03-09  polishing  RG-1  pass          ivan      bench-1  CST-SHRK  (corrects #10)
    not counted: one in progress (CST-POR), and #10, superseded by its correction 901

Materials: RG-1 18k yellow gold, PD-2 sterling silver, CH-3 not recorded.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from qcstation.domain.users import User
from qcstation.services import skus
from qcstation.services.context import Station
from qcstation.store.models import (
    CorrectionRow,
    DefectRow,
    InspectionRow,
    TemplateRow,
    UserRow,
)
from qcstation.store.models import Station as StationRow

D1, D2, D3, D4, D5 = (date(2026, 3, d) for d in (2, 3, 9, 10, 11))

ROWS: list[tuple[date, str, str, str, str, str, list[str]]] = [
    (D1, "casting", "RG-1", "fail", "ines", "bench-1", ["CST-POR", "CST-POR"]),
    (D1, "casting", "RG-1", "pass", "ines", "bench-1", []),
    (D1, "casting", "PD-2", "needs_review", "ivan", "bench-2", ["CST-SHRK"]),
    (D1, "polishing", "RG-1", "pass", "ivan", "bench-1", []),
    (D2, "casting", "RG-1", "fail", "ivan", "bench-2", ["CST-POR", "CST-SHORT"]),
    (D2, "polishing", "CH-3", "fail", "ines", "bench-1", ["CST-POR"]),
    (D2, "polishing", "CH-3", "pass", "ines", "bench-1", []),
    (D3, "casting", "PD-2", "pass", "ines", "bench-2", []),
    (D3, "casting", "PD-2", "pass", "ivan", "bench-2", []),
    (D3, "polishing", "RG-1", "fail", "ivan", "bench-1", ["CST-SHORT"]),
    *[(D4, "casting", "CH-3", "pass", "ines", "bench-2", [])] * 60,
    *[(D5, "polishing", "CH-3", "fail", "ivan", "bench-1", [])] * 8,
    *[(D5, "polishing", "CH-3", "pass", "ivan", "bench-1", [])] * 2,
]


def load(station: Station, admin: User, supervisor: User) -> None:
    skus.set_sku(station, supervisor, "RG-1", material="18k yellow gold")
    skus.set_sku(station, supervisor, "PD-2", material="Sterling silver", description="pendant")
    with station.db.write(admin, station.name, reason="dashboard test data") as s:
        users = {u.username: u.id for u in s.scalars(select(UserRow))}
        templates = {t.stage: t for t in s.scalars(select(TemplateRow).where(TemplateRow.active))}
        benches = {}
        for name in ("bench-1", "bench-2"):
            row = StationRow(name=name, created_at=datetime.now(timezone.utc))
            s.add(row)
            s.flush()
            benches[name] = row.id

        def add(
            n: int,
            day: date,
            stage: str,
            sku: str,
            verdict: str | None,
            who: str,
            bench: str,
            codes: list[str],
        ) -> InspectionRow:
            at = datetime.combine(day, time(8), timezone.utc) + timedelta(seconds=n)
            tpl = templates[stage]
            row = InspectionRow(
                id=f"00000000-0000-4000-8000-{n:012d}",
                job_ticket=f"JT-{n}",
                sku=sku,
                serial=f"S{n}",
                subject="piece",
                lot_size=None,
                sample_size=None,
                stage=stage,
                template_id=tpl.id,
                template_key=tpl.template_key,
                template_version=tpl.version,
                position_counts={},
                status="completed" if verdict else "in_progress",
                verdict=verdict,
                inspector_id=users[who],
                station_id=benches[bench],
                started_at=at,
                completed_at=at + timedelta(minutes=5) if verdict else None,
                notes="",
            )
            s.add(row)
            s.flush()
            for code in codes:
                s.add(
                    DefectRow(
                        inspection_id=row.id,
                        item_id=None,
                        position=0,
                        code=code,
                        severity="major",
                        disposition="pending",
                        note="",
                        created_at=at,
                        created_by_id=users[who],
                    )
                )
            return row

        for n, r in enumerate(ROWS, start=1):
            add(n, *r)
        add(900, D3, "casting", "RG-1", None, "ines", "bench-1", ["CST-POR"])
        fixed = add(901, D3, "polishing", "RG-1", "pass", "ivan", "bench-1", ["CST-SHRK"])
        s.add(
            CorrectionRow(
                inspection_id=fixed.id,
                supersedes_id="00000000-0000-4000-8000-000000000010",
                revision=2,
                reason="re-measured",
                created_at=datetime.now(timezone.utc),
                created_by_id=users["sam"],
            )
        )
