"""Corrective actions through the services: opening, editing, the status path, sign-off,
overdue ordering and the audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from qcstation.domain.corrective import CapaStatus, RootCauseCategory
from qcstation.domain.users import User
from qcstation.services import audit
from qcstation.services import corrective_actions as capa
from qcstation.services.context import Station
from qcstation.services.corrective_actions import CapaEdit, NewFile
from qcstation.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qcstation.store.models import AuditEntry

from .test_nonconformance import failed

TODAY = date(2026, 11, 25)


@pytest.fixture
def clocked(station: Station) -> Station:
    station.clock = lambda: datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
    return station


def ready(owner: str = "ines", due: date = TODAY + timedelta(days=7)) -> CapaEdit:
    return CapaEdit(
        title="Porosity on heavy shanks",
        problem="CST-POR on 6 of 40 solitaire castings in week 47",
        containment="hold flask 12 castings; 100 % check at 10x",
        root_cause_category=RootCauseCategory.METHOD,
        root_cause="burnout cycle shortened to 8 h",
        why_chain=("gas porosity", "residue in the mould", "burnout too short", "oven booked"),
        corrective="restore the 12 h burnout cycle",
        owner=owner,
        due=due,
        preventive="lock the burnout program; add it to the flask traveller",
        preventive_owner="sam",
        preventive_due=due + timedelta(days=7),
    )


def test_open_from_a_defect_or_a_trend_and_refuse_neither_or_both(
    clocked: Station, inspector: User, supervisor: User
) -> None:
    _, defect_id = failed(clocked, inspector)
    a = capa.open_action(clocked, supervisor, "Porosity", "pores at 10x", defect_id=defect_id)
    assert (a.status, a.defect_id, a.opened_by) == (CapaStatus.OPEN, defect_id, "sam")
    week = (TODAY - timedelta(days=7), TODAY)
    t = capa.open_action(clocked, supervisor, "Porosity trend", "rising", trend=("CST-POR", *week))
    assert (t.trend_code, t.trend_from, t.trend_to, t.defect_id) == ("CST-POR", *week, None)
    for bad in (
        dict(),
        dict(defect_id=defect_id, trend=("CST-POR", *week)),
        dict(trend=("NOPE-X1", *week)),
        dict(trend=("CST-POR", TODAY, TODAY - timedelta(days=1))),
    ):
        with pytest.raises(InvalidInput):
            capa.open_action(clocked, supervisor, "t", "p", **bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="title"):
        capa.open_action(clocked, supervisor, " ", "p", defect_id=defect_id)
    with pytest.raises(NotFound):
        capa.open_action(clocked, supervisor, "t", "p", defect_id=99999)
    with pytest.raises(PermissionDenied):
        capa.open_action(clocked, inspector, "t", "p", defect_id=defect_id)
    assert len(capa.list_actions(clocked)) == 2


def test_trend_count_counts_the_code_in_the_period(
    clocked: Station, inspector: User, supervisor: User
) -> None:
    failed(clocked, inspector, serial="A")
    failed(clocked, inspector, serial="B")
    failed(clocked, inspector, item="fill", code="CST-SHORT", serial="C")
    assert capa.trend_count(clocked, "CST-POR", TODAY, TODAY) == 2
    assert (
        capa.trend_count(clocked, "CST-POR", TODAY - timedelta(days=9), TODAY - timedelta(1)) == 0
    )
    assert capa.trend_count(clocked, "CST-POR", TODAY, date.max) == 2  # no OverflowError


def test_the_whole_path_to_a_signed_off_close(
    clocked: Station, inspector: User, supervisor: User, admin: User
) -> None:
    a = capa.open_action(clocked, supervisor, "t", "p", trend=("CST-POR", TODAY, TODAY))
    assert a.id is not None
    with pytest.raises(Conflict, match="cannot go from open to awaiting_verification"):
        capa.advance(clocked, supervisor, a.id, CapaStatus.AWAITING_VERIFICATION)
    capa.advance(clocked, supervisor, a.id, CapaStatus.IN_PROGRESS)
    with pytest.raises(Conflict, match="root cause category, the root cause"):
        capa.advance(clocked, supervisor, a.id, CapaStatus.AWAITING_VERIFICATION)
    edited = capa.update(clocked, supervisor, a.id, ready())
    assert edited.why_chain[2] == "burnout too short" and edited.owner == "ines"
    assert edited.preventive_owner == "sam" and edited.preventive_due == TODAY + timedelta(14)
    # the owner (an inspector) may work on it and ask for verification...
    capa.advance(clocked, inspector, a.id, CapaStatus.AWAITING_VERIFICATION)
    # ...but not sign it off
    with pytest.raises(PermissionDenied):
        capa.close(clocked, inspector, a.id, "no pores on 50 castings")
    with pytest.raises(InvalidInput, match="evidence"):
        capa.close(clocked, supervisor, a.id, "  ")
    with pytest.raises(InvalidInput, match="empty"):
        capa.close(clocked, supervisor, a.id, "ok", [NewFile("x.png", b"")])
    # verification finds it lacking: back to in progress, with a reason
    with pytest.raises(InvalidInput, match="lacking"):
        capa.advance(clocked, supervisor, a.id, CapaStatus.IN_PROGRESS)
    capa.advance(clocked, supervisor, a.id, CapaStatus.IN_PROGRESS, "only 10 castings checked")
    capa.advance(clocked, supervisor, a.id, CapaStatus.AWAITING_VERIFICATION)
    done = capa.close(
        clocked,
        supervisor,
        a.id,
        "no porosity on 50 castings over 2 weeks",
        [NewFile("xray.png", b"\x89PNG fake bytes", "image/png")],
    )
    assert done.status is CapaStatus.CLOSED and done.verified_by == "sam"
    assert done.closed_at is not None and done.effectiveness_evidence.startswith("no porosity")
    (f,) = done.evidence_files
    assert f.name == "xray.png" and clocked.evidence.read(f.sha256) == b"\x89PNG fake bytes"
    with pytest.raises(Conflict, match="closed"):
        capa.update(clocked, supervisor, a.id, ready())
    with pytest.raises(Conflict):
        capa.advance(clocked, supervisor, a.id, CapaStatus.IN_PROGRESS, "reopen it")
    assert capa.get(clocked, a.id) == done
    # every change is in the audit chain, with the reasons given
    with clocked.db.read() as s:
        from sqlalchemy import select

        reasons = s.scalars(
            select(AuditEntry.reason).where(AuditEntry.entity == "corrective_actions")
        ).all()
    assert "only 10 castings checked" in reasons
    assert any(r.startswith("close: no porosity") for r in reasons)
    changes = capa.history(clocked, a.id)
    assert [(c.actor, c.status) for c in changes] == [
        ("sam", "open"),
        ("sam", "in_progress"),
        ("sam", "in_progress"),  # the 8D filled in
        ("ines", "awaiting_verification"),
        ("sam", "in_progress"),  # sent back
        ("sam", "awaiting_verification"),
        ("sam", "closed"),
    ]
    assert changes[4].reason == "only 10 castings checked"
    assert audit.verify(clocked).ok


def test_bad_edits_are_refused_and_lose_nothing(
    clocked: Station, supervisor: User, inspector: User
) -> None:
    a = capa.open_action(clocked, supervisor, "t", "p", trend=("CST-POR", TODAY, TODAY))
    assert a.id is not None
    capa.update(clocked, supervisor, a.id, ready())
    with pytest.raises(InvalidInput, match="'nobody' is not an active user"):
        capa.update(clocked, supervisor, a.id, ready(owner="nobody"))
    with pytest.raises(InvalidInput, match="at most 7 whys"):
        capa.update(clocked, supervisor, a.id, CapaEdit("t", "p", why_chain=("w",) * 8))
    with pytest.raises(InvalidInput, match="problem"):
        capa.update(clocked, supervisor, a.id, CapaEdit("t", " "))
    assert capa.get(clocked, a.id).owner == "ines"


def test_overdue_actions_come_first(clocked: Station, supervisor: User, inspector: User) -> None:
    ids = {}
    for name, due in (("later", 20), ("overdue", -3), ("soon", 2), ("very-overdue", -9)):
        a = capa.open_action(clocked, supervisor, name, "p", trend=("CST-POR", TODAY, TODAY))
        assert a.id is not None
        capa.update(
            clocked, supervisor, a.id, replace(ready(due=TODAY + timedelta(days=due)), title=name)
        )
        ids[name] = a.id
    no_due = capa.open_action(clocked, supervisor, "no-due", "p", trend=("CST-POR", TODAY, TODAY))
    listed = capa.list_actions(clocked)
    assert [a.title for a in listed] == ["very-overdue", "overdue", "soon", "later", "no-due"]
    assert [a.overdue(TODAY) for a in listed] == [True, True, False, False, False]
    assert no_due.id is not None
    assert len(capa.list_actions(clocked, include_closed=False)) == 5
