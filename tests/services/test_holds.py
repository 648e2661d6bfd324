"""One unfinished inspection, two stations, one inspector (issue 13, problem 8): held by one
station at a time, taken over explicitly and audited; parked and abandoned with reasons.

Each test runs on one SQLite file and on the PostgreSQL server, with two Station objects
(two engines, two names) on the same database, as two benches would be.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.services.conftest import finish

from qcstation import config
from qcstation.domain.holds import HoldState
from qcstation.domain.inspections import Answer, Outcome, Status
from qcstation.domain.signing import Meaning
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import SearchFilter
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import (
    audit,
    dashboards,
    documents,
    holds,
    inspections,
    review,
    signing,
)
from qcstation.services.context import Station, connect
from qcstation.services.errors import Conflict, InvalidInput, PermissionDenied
from qcstation.services.holds import NotHeld
from qcstation.store.models import AuditEntry, HoldRow
from qcstation.store.models import Station as StationRow

PASS = Answer("fineness-stamp", outcome=Outcome.PASS)


@pytest.fixture
def bench_b(station: Station) -> Station:
    """A second station on the same database."""
    loc = station.location
    settings = loc.settings.model_copy(update={"station_name": "bench B"})
    other = connect(config.Location(loc.data_dir, loc.database_url, settings))
    yield other
    other.close()


def hold_entries(station: Station, inspection_id: str) -> list[AuditEntry]:
    with station.db.read() as s:
        return list(
            s.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.entity == "inspection_holds", AuditEntry.entity_id == inspection_id
                )
                .order_by(AuditEntry.id)
            )
        )


def test_the_second_station_neither_reopens_nor_changes_it(
    station: Station, bench_b: Station, inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-1", "RG-SOL-0412", "S1")
    assert [s.id for s in inspections.unfinished(station, inspector)] == [ins.id]
    # bench B: nothing to reopen by itself; the list says where it is held
    assert inspections.unfinished(bench_b, inspector) == []
    [listed] = holds.unfinished(bench_b, inspector)
    assert not listed.mine_here and listed.hold.state is HoldState.HELD
    assert (listed.hold.station, listed.hold.user) == (station.name, "ines")
    held_there = rf"held by ines at station {station.name} since \d\d:\d\d"
    with pytest.raises(NotHeld, match=held_there):
        inspections.record_answer(bench_b, inspector, ins.id, PASS)
    with pytest.raises(NotHeld, match="take it over here from the start page"):
        holds.resume(bench_b, inspector, ins.id)
    with pytest.raises(NotHeld, match=held_there):
        inspections.raise_defect(bench_b, inspector, ins.id, "FQC-STAMP")
    with pytest.raises(NotHeld, match=held_there):
        inspections.complete(bench_b, inspector, ins.id)
    with pytest.raises(NotHeld, match=held_there):
        holds.park(bench_b, inspector, ins.id)
    # refused before a file is written: the evidence store stays empty
    with pytest.raises(NotHeld, match=held_there):
        png = encode_png(render_piece(1, 32, 32))
        inspections.attach_evidence(bench_b, inspector, ins.id, png, "image/png")
    assert not list(Path(bench_b.evidence.root).rglob("*.png"))
    # the first station goes on as before
    inspections.record_answer(station, inspector, ins.id, PASS)
    assert set(inspections.get(station, ins.id).answers) == {("fineness-stamp", None)}
    assert audit.verify(station).ok


def test_taking_over_is_explicit_audited_and_the_first_station_is_told(
    station: Station, bench_b: Station, inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-2", "RG-SOL-0412", "S2")
    with pytest.raises(InvalidInput, match="reason to take it over"):
        holds.take_over(bench_b, inspector, ins.id, "  ok ")
    taken = holds.take_over(bench_b, inspector, ins.id, "moved to the bench with the 40x scope")
    assert taken.id == ins.id
    assert [s.id for s in inspections.unfinished(bench_b, inspector)] == [ins.id]
    assert inspections.unfinished(station, inspector) == []
    inspections.record_answer(bench_b, inspector, ins.id, PASS)
    told = (
        r"this inspection was taken over by ines at station bench B at \d\d:\d\d "
        r"\(moved to the bench with the 40x scope\), so nothing more is saved here"
    )
    for change in (
        lambda: inspections.record_answer(station, inspector, ins.id, PASS),
        lambda: inspections.raise_defect(station, inspector, ins.id, "FQC-STAMP"),
        lambda: inspections.complete(station, inspector, ins.id),
        lambda: holds.park(station, inspector, ins.id),
        lambda: holds.resume(station, inspector, ins.id),
    ):
        with pytest.raises(NotHeld, match=told):
            change()
    # the hand-over is in the audit trail: who, where, why, and from whom
    created, took = hold_entries(station, ins.id)
    assert (created.action, created.station, created.actor) == ("create", station.name, "ines")
    assert (took.action, took.station, took.actor) == ("update", "bench B", "ines")
    assert took.reason == "take over: moved to the bench with the 40x scope"
    with station.db.read() as s:
        ids = {r.name: r.id for r in s.scalars(select(StationRow))}
    new, old = json.loads(took.new or "{}"), json.loads(took.old or "{}")
    assert old["station_id"] == ids[station.name] and new["station_id"] == ids["bench B"]
    assert new["taken_from_station_id"] == ids[station.name]
    # taking it back is the same explicit step
    holds.take_over(station, inspector, ins.id, "scope is back")
    inspections.record_answer(station, inspector, ins.id, PASS)
    with pytest.raises(NotHeld, match="taken over by ines at station " + station.name):
        inspections.record_answer(bench_b, inspector, ins.id, PASS)
    assert audit.verify(station).ok


def test_who_may_take_over(
    station: Station, bench_b: Station, inspector: User, supervisor: User, admin: User
) -> None:
    from qcstation.domain.users import Role
    from qcstation.services import accounts

    other = accounts.create_user(station, admin, "olga", "long enough pw", Role.INSPECTOR)
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-3", "RG-SOL-0412", "S3")
    with pytest.raises(PermissionDenied, match="only the inspector who started it"):
        holds.take_over(bench_b, other, ins.id, "I will finish it")
    holds.take_over(bench_b, supervisor, ins.id, "ines went home ill")
    inspections.record_answer(bench_b, supervisor, ins.id, PASS)
    hold = holds.hold_of(station, ins.id)
    assert (hold.station, hold.user, hold.taken_from_user) == ("bench B", "sam", "ines")


def test_park_then_resume_at_another_station(
    station: Station, bench_b: Station, inspector: User, supervisor: User
) -> None:
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-4", "RG-SOL-0412", "S4")
    inspections.record_answer(station, inspector, ins.id, PASS)
    parked = holds.park(station, inspector, ins.id, "waiting for the stone setter")
    assert parked.state is HoldState.PARKED and parked.reason == "waiting for the stone setter"
    # parked: nobody changes it, nobody reopens it at sign-in, every station lists it
    with pytest.raises(NotHeld, match=r"parked by ines at station .* resume it"):
        inspections.record_answer(station, inspector, ins.id, PASS)
    assert inspections.unfinished(station, inspector) == []
    for bench in (station, bench_b):
        [listed] = holds.unfinished(bench, inspector)
        assert listed.hold.state is HoldState.PARKED and not listed.mine_here
    assert [u.summary.id for u in holds.unfinished(bench_b, supervisor)] == [ins.id]
    resumed = holds.resume(bench_b, inspector, ins.id)
    assert set(resumed.answers) == {("fineness-stamp", None)}  # where it stopped
    inspections.record_answer(bench_b, inspector, ins.id, PASS)
    assert [s.id for s in inspections.unfinished(bench_b, inspector)] == [ins.id]
    entries = hold_entries(station, ins.id)
    assert [e.reason for e in entries] == [
        "start inspection",
        "park: waiting for the stone setter",
        "resume inspection",
    ]
    assert entries[-1].station == "bench B"
    assert audit.verify(station).ok


def test_an_abandoned_inspection_is_never_completed_signed_or_certified(
    station: Station,
    bench_b: Station,
    inspector: User,
    supervisor: User,
    issued: None,
    password: str,
    tmp_path: Path,
) -> None:
    ins_id = finish(station, inspector, complete=False)  # everything answered, all good
    before = dashboards.dashboard(station, supervisor)
    with pytest.raises(InvalidInput, match="reason to abandon it"):
        holds.abandon(station, inspector, ins_id, "no")
    with pytest.raises(NotHeld, match="held by ines"):  # not from another bench
        holds.abandon(bench_b, inspector, ins_id, "piece broke")
    gone = holds.abandon(station, inspector, ins_id, "piece broke in the setting press")
    assert gone.state is HoldState.ABANDONED and gone.reason == "piece broke in the setting press"
    ins = inspections.get(station, ins_id)
    assert ins.status is Status.ABANDONED and ins.verdict is None and ins.completed_at is None
    with pytest.raises(Conflict, match="is abandoned; it can no longer change"):
        inspections.complete(station, inspector, ins_id)
    with pytest.raises(Conflict, match="abandoned"):
        inspections.record_answer(station, inspector, ins_id, PASS)
    with pytest.raises(Conflict, match="abandoned"):
        holds.resume(station, inspector, ins_id)
    with pytest.raises(Conflict, match="abandoned"):
        signing.sign(station, inspector, ins_id, Meaning.PERFORMED, password)
    with pytest.raises(Conflict, match="not completed"):
        documents.export_report(station, supervisor, password, ins_id, tmp_path / "r.pdf")
    with pytest.raises(Conflict, match="not completed"):
        documents.export_certificate(station, supervisor, password, ins_id, tmp_path / "c.pdf")
    assert not list(tmp_path.glob("*.pdf"))
    assert ins_id not in {r.id for r in review.queue(station)}
    assert inspections.unfinished(station, inspector) == []
    assert holds.unfinished(station, supervisor) == []
    # in History by its status, and out of every dashboard figure
    found = inspections.search(station, SearchFilter(status="abandoned"))
    assert [r.id for r in found] == [ins_id]
    after = dashboards.dashboard(station, supervisor)
    assert (after.inspected, after.first_pass_yield) == (before.inspected, before.first_pass_yield)
    finish(station, inspector, serial="S-next")  # a completed one does count
    assert dashboards.dashboard(station, supervisor).inspected == before.inspected + 1
    [entry] = [e for e in hold_entries(station, ins_id) if e.reason.startswith("abandon")]
    assert entry.reason == "abandon: piece broke in the setting press"
    assert audit.verify(station).ok


def test_a_parked_inspection_may_be_abandoned_from_any_station(
    station: Station, bench_b: Station, inspector: User, supervisor: User
) -> None:
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-5", "RG-SOL-0412", "S5")
    holds.park(station, inspector, ins.id)
    holds.abandon(bench_b, supervisor, ins.id, "customer cancelled the order")
    assert inspections.get(station, ins.id).status is Status.ABANDONED
    hold = holds.hold_of(station, ins.id)
    assert (hold.station, hold.user) == ("bench B", "sam")
    # the bench that parked it learns who ended it, where and why
    with pytest.raises(
        NotHeld,
        match=r"is abandoned; it can no longer change \(abandoned by sam at station bench B "
        r"at \d\d:\d\d \(customer cancelled the order\)\)",
    ):
        inspections.record_answer(station, inspector, ins.id, PASS)


def test_an_inspection_started_before_holds_is_held_where_it_started(
    station: Station, bench_b: Station, inspector: User
) -> None:
    """Rows from before migration 0009 have no hold: the starting station holds them."""
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-6", "RG-SOL-0412", "S6")
    with station.db.write(inspector, station.name, reason="as before migration 0009") as s:
        s.delete(s.get_one(HoldRow, ins.id))
    assert [s.id for s in inspections.unfinished(station, inspector)] == [ins.id]
    with pytest.raises(NotHeld, match=f"held by ines at station {station.name}"):
        inspections.record_answer(bench_b, inspector, ins.id, PASS)
    inspections.record_answer(station, inspector, ins.id, PASS)
    holds.take_over(bench_b, inspector, ins.id, "bench A is down")
    assert holds.hold_of(station, ins.id).taken_from_station == station.name
    assert audit.verify(station).ok
