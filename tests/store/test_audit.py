"""The audit chain exposes any change made behind the application's back."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services import audit, inspections
from qcstation.services.context import Station
from qcstation.store.audit import AuditError
from qcstation.store.models import Station as StationRow

from ..tampering import as_owner


@pytest.fixture
def recorded(station: Station, inspector: User) -> str:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-1", "RG-1", "SN1")
    inspections.record_answer(station, inspector, ins.id, Answer("fill", outcome=Outcome.PASS))
    inspections.record_answer(
        station, inspector, ins.id, Answer("fill", outcome=Outcome.PASS, note="edited"), "typo"
    )
    return ins.id


def test_clean_trail_verifies(station: Station, recorded: str) -> None:
    report = audit.verify(station)
    assert report.ok, report.findings
    assert report.entries > 10 and report.records > 10


def test_progress_counts_every_entry_and_row_and_a_stop_writes_nothing(
    station: Station, recorded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qcstation.store import audit_verify

    monkeypatch.setattr(audit_verify, "PROGRESS_EVERY", 3)
    seen: list[tuple[int, int]] = []
    report = audit.verify(station, progress=lambda done, total: seen.append((done, total)))
    assert report.ok, report.findings
    total = report.entries + report.records
    assert seen[0] == (0, total) and {t for _, t in seen} == {total}
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and total - 3 < dones[-1] <= total

    class Stop(Exception):
        pass

    def stop(done: int, _total: int) -> None:
        if done >= 6:
            raise Stop

    anchor = audit.anchor_path(station)
    anchor.unlink()  # a verify that finishes writes it anew; one stopped half-way must not
    with pytest.raises(Stop):
        audit.verify(station, progress=stop)
    assert not anchor.exists()
    assert audit.verify(station).ok
    assert anchor.exists()


def test_entries_hold_who_what_old_new_and_reason(station: Station, recorded: str) -> None:
    with station.db.read() as s:
        rows = s.execute(
            text(
                "SELECT actor, station, action, old, new, reason FROM audit_log "
                "WHERE entity = 'answers' ORDER BY id"
            )
        ).all()
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[1].actor == "ines" and rows[1].station == station.name
    assert '"note":""' in rows[1].old and '"note":"edited"' in rows[1].new
    assert rows[1].reason == "typo"


def test_a_row_changed_with_raw_sql_is_named(station: Station, recorded: str) -> None:
    with as_owner(station.db.engine) as conn:
        conn.execute(text("UPDATE answers SET outcome = 'fail' WHERE item_id = 'fill'"))
    report = audit.verify(station)
    assert not report.ok
    (finding,) = report.findings
    assert finding.entity == "answers"
    assert "outcome is 'fail', audit recorded 'pass'" in finding.message
    assert finding.entry_id is not None
    assert str(finding).startswith(f"audit entry #{finding.entry_id}, answers ")


def test_an_altered_entry_breaks_the_chain(station: Station, recorded: str) -> None:
    with as_owner(station.db.engine) as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 5"))
    report = audit.verify(station)
    assert [f.entry_id for f in report.findings][:1] == [5]
    assert "altered" in report.findings[0].message


def test_a_deleted_entry_is_found(station: Station, recorded: str) -> None:
    with as_owner(station.db.engine) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = 7"))
    report = audit.verify(station)
    assert any("entry #7 is missing" in f.message for f in report.findings)


def test_entries_cut_from_the_end_are_found(station: Station, recorded: str) -> None:
    with as_owner(station.db.engine) as conn:
        last = conn.execute(text("SELECT max(id) FROM audit_log")).scalar()
        conn.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": last})
    report = audit.verify(station)
    assert any("removed from the end" in f.message for f in report.findings)


def test_a_row_inserted_behind_the_back_is_found(station: Station, recorded: str) -> None:
    with as_owner(station.db.engine) as conn:
        conn.execute(text("INSERT INTO stations (name, created_at) VALUES ('ghost', '2026-01-01')"))
    report = audit.verify(station)
    assert [(f.entity, f.message) for f in report.findings] == [
        ("stations", "row exists but was never audited")
    ]


def test_a_deleted_row_is_found(station: Station, recorded: str) -> None:
    with as_owner(station.db.engine) as conn:
        conn.execute(text("DELETE FROM answers"))
    report = audit.verify(station)
    assert any(
        f.entity == "answers" and "missing from the database" in f.message for f in report.findings
    )


def test_a_change_without_an_actor_is_refused(station: Station) -> None:
    with pytest.raises(AuditError, match=r"needs session\.info actor"), station.db.read() as s:
        s.add(StationRow(name="x", created_at=station.now()))
        s.commit()
