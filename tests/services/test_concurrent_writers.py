"""Writers that meet on the plant's PostgreSQL (issue 13, problem 8): every call ends in
success or a clear refusal, never an IntegrityError, and the record stays what was decided.

Each race is met on purpose: a rendezvous holds every writer inside its transaction, just
before it writes, until the others are there too. Writers that take turns on a row lock
cannot all arrive; the rendezvous then gives up waiting and lets them go in turn.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.orm import Session
from tests.services.conftest import finish
from tests.services.test_nonconformance import failed

from qcstation import config
from qcstation.domain.defects import Disposition
from qcstation.domain.inspections import Answer, Outcome, Status
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import audit, documents, holds, inspections, nonconformance
from qcstation.services.context import Station, connect
from qcstation.services.demo_answers import passing_answer
from qcstation.services.problems import is_known
from qcstation.store import audit as audit_store
from qcstation.store import repositories as repo
from qcstation.store.models import (
    AnswerRow,
    AuditEntry,
    DispositionRow,
    DocumentRow,
    InspectionRow,
    ReworkRow,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(pg_schema_url: str) -> str:
    """Only PostgreSQL: SQLite writers queue at BEGIN IMMEDIATE and never meet."""
    return pg_schema_url


class Rendezvous:
    """Holds each writer thread at its first flush until all have arrived (or one cannot
    come, waiting on a lock another holds: then it lets them go after ``patience``)."""

    def __init__(self, stations: list[Station], parties: int, patience: float = 1.0):
        self.barrier = threading.Barrier(parties)
        self.patience = patience
        self.targets = [st.db._write for st in stations]
        for target in self.targets:
            event.listen(target, "before_flush", self._wait)

    def _wait(self, session: Session, *_: Any) -> None:
        if threading.current_thread() is threading.main_thread() or session.info.get("met"):
            return
        session.info["met"] = True
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait(self.patience)

    def close(self) -> None:
        for target in self.targets:
            event.remove(target, "before_flush", self._wait)


def in_thread(outcomes: dict[str, Any], name: str, fn: Callable[[], Any]) -> threading.Thread:
    """Run ``fn`` in a started thread; its result, or the exception it raised, lands in
    ``outcomes[name]``."""

    def run() -> None:
        try:
            outcomes[name] = fn()
        except Exception as exc:
            outcomes[name] = exc

    t = threading.Thread(target=run)
    t.start()
    return t


def wait_until_blocked(watch: Engine, pids: list[int], failure: str) -> None:
    """Until the backend noted in ``pids`` (once it appears there) waits on a lock."""
    with watch.connect() as conn:
        for _ in range(6000):
            if pids and conn.scalar(
                text("SELECT cardinality(pg_blocking_pids(:pid)) > 0"), {"pid": pids[0]}
            ):
                return
            time.sleep(0.01)
    raise AssertionError(failure)


def race(calls: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run the calls at once; each ends 'ok' (with its result) or 'refused' (a known,
    worded problem). Anything else is returned as 'bug' and fails the test."""
    out: list[tuple[str, Any]] = [("unfinished", None)] * len(calls)

    def one(i: int, call: Callable[[], Any]) -> None:
        try:
            out[i] = ("ok", call())
        except Exception as exc:
            out[i] = ("refused" if is_known(exc) else "bug", exc)

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bugs = [repr(v) for kind, v in out if kind != "ok" and kind != "refused"]
    assert not bugs, bugs
    return out


@pytest.fixture
def benches(station: Station) -> Iterator[list[Station]]:
    """Two more connections of this station (its window's worker and, say, its CLI)."""
    more = [connect(station.location) for _ in range(2)]
    yield more
    for st in more:
        st.close()


def test_two_writers_answering_one_item_take_turns(
    station: Station, benches: list[Station], inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-R1", "RG-SOL-0412", "S1")
    items = list(ins.template.items())[:3]
    for item in items:
        meet = Rendezvous(benches, 2)
        try:
            outcomes = race(
                [
                    lambda st=st, v=v, item=item: inspections.record_answer(
                        st, inspector, ins.id, replace(passing_answer(item, None), note=v)
                    )
                    for st, v in zip(benches, ("first", "second"), strict=True)
                ]
            )
        finally:
            meet.close()
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    with station.db.read() as s:
        counts = dict(
            s.execute(
                select(AnswerRow.item_id, func.count())
                .where(AnswerRow.inspection_id == ins.id)
                .group_by(AnswerRow.item_id)
            ).all()
        )
    assert counts == {item.id: 1 for item in items}


def test_completion_and_a_late_answer_never_both_land(
    station: Station, benches: list[Station], inspector: User
) -> None:
    """Complete while another writer turns a pass into a fail: either the answer is
    refused (completed), or completion sees it; the stored verdict is always the one the
    stored answers give."""
    ins_id = finish(station, inspector, Stage.FINAL_QC, "S2", complete=False)
    meet = Rendezvous(benches, 2)
    try:
        outcomes = race(
            [
                lambda: inspections.complete(benches[0], inspector, ins_id),
                lambda: inspections.record_answer(
                    benches[1],
                    inspector,
                    ins_id,
                    Answer("fineness-stamp", outcome=Outcome.FAIL, note="stamp is double-struck"),
                ),
            ]
        )
    finally:
        meet.close()
    kinds = [kind for kind, _ in outcomes]
    assert kinds in (["ok", "refused"], ["refused", "ok"])
    with station.db.read() as s:
        row = s.get_one(InspectionRow, ins_id)
        stored = repo.inspection(s, row)
    if row.status == Status.COMPLETED.value:
        assert "completed" in str(outcomes[1][1])
        assert stored.verdict is stored.current_verdict()
        assert stored.answers[("fineness-stamp", None)].outcome is Outcome.PASS
    else:  # the fail landed first; completing then wants its defect
        assert "cannot be completed yet" in str(outcomes[0][1])
        assert stored.answers[("fineness-stamp", None)].outcome is Outcome.FAIL


def test_two_people_deciding_one_defect(
    station: Station, benches: list[Station], inspector: User, supervisor: User
) -> None:
    _ins_id, defect_id = failed(station, inspector)
    meet = Rendezvous(benches, 2)
    try:
        outcomes = race(
            [
                lambda: nonconformance.decide(
                    benches[0], supervisor, defect_id, Disposition.SCRAP, "beyond repair"
                ),
                lambda: nonconformance.decide(
                    benches[1], inspector, defect_id, Disposition.REWORK, "re-cast it"
                ),
            ]
        )
    finally:
        meet.close()
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"]
    refused = next(v for kind, v in outcomes if kind == "refused")
    assert f"defect {defect_id} was decided already" in str(refused)
    with station.db.read() as s:
        assert s.scalar(select(func.count()).select_from(DispositionRow)) == 1


def test_reworking_two_defects_at_once_opens_one_reinspection(
    station: Station, benches: list[Station], inspector: User, supervisor: User
) -> None:
    ins_id = finish(station, inspector, Stage.CASTING, "S3", complete=False)
    defects = []
    for item, code in (("porosity", "CST-POR"), ("fill", "CST-SHORT")):
        png = encode_png(render_piece(2, 32, 32))
        inspections.attach_evidence(station, inspector, ins_id, png, "image/png", item)
        inspections.record_answer(station, inspector, ins_id, Answer(item, outcome=Outcome.FAIL))
        defects.append(inspections.raise_defect(station, inspector, ins_id, code, item).id)
    inspections.complete(station, inspector, ins_id)
    meet = Rendezvous(benches, 2)
    try:
        outcomes = race(
            [
                lambda st=st, d=d: nonconformance.decide(st, supervisor, d, Disposition.REWORK)
                for st, d in zip(benches, defects, strict=True)
            ]
        )
    finally:
        meet.close()
    assert [kind for kind, _ in outcomes] == ["ok", "ok"]
    assert outcomes[0][1].rework_inspection_id == outcomes[1][1].rework_inspection_id
    with station.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ReworkRow)) == 1


def test_two_stations_taking_over_at_once(
    station: Station, inspector: User, supervisor: User
) -> None:
    """Both hand-overs happen, one after the other; the loser of the hold is then told."""
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-R4", "RG-SOL-0412", "S4")
    names = ("bench B", "bench C")
    others = []
    for name in names:
        loc = station.location
        settings = loc.settings.model_copy(update={"station_name": name})
        others.append(connect(config.Location(loc.data_dir, loc.database_url, settings)))
    try:
        meet = Rendezvous(others, 2)
        try:
            outcomes = race(
                [
                    lambda: holds.take_over(others[0], inspector, ins.id, "bench A broke"),
                    lambda: holds.take_over(others[1], supervisor, ins.id, "ines is away"),
                ]
            )
        finally:
            meet.close()
        assert [kind for kind, _ in outcomes] == ["ok", "ok"]
        hold = holds.hold_of(station, ins.id)
        assert hold.station in names and hold.taken_from_station in names
        loser = others[names.index(hold.taken_from_station)]
        answer = Answer("fineness-stamp", outcome=Outcome.PASS)
        with pytest.raises(holds.NotHeld, match=r"was taken over by \w+ at station"):
            inspections.record_answer(loser, supervisor, ins.id, answer)
        winner = others[names.index(hold.station)]
        inspections.record_answer(winner, supervisor, ins.id, answer)
    finally:
        for st in others:
            st.close()


def test_a_save_that_waited_for_a_take_over_is_refused(
    station: Station, inspector: User, supervisor: User, database_url: str
) -> None:
    """A save reads the hold after it has the inspection's lock: one that waited for a
    take-over to commit sees it and is refused, and stores nothing. (Read with the lock,
    in one statement, the hold would be as it was before the take-over.)"""
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-R5", "RG-SOL-0412", "S5")
    loc = station.location
    settings = loc.settings.model_copy(update={"station_name": "bench B"})
    other = connect(config.Location(loc.data_dir, loc.database_url, settings))
    in_take_over, go_on = threading.Event(), threading.Event()
    locking: list[int] = []  # the save's backend, once it sends its locking SELECT

    def pause(session: Session, *_: Any) -> None:  # take-over: inspection locked, not done
        in_take_over.set()
        go_on.wait(60)

    def note(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "FOR UPDATE" in statement and "FROM inspections" in statement:
            locking.append(cursor.connection.info.backend_pid)

    outcomes: dict[str, Any] = {}

    answer = Answer("fineness-stamp", outcome=Outcome.PASS)
    event.listen(other.db._write, "before_flush", pause)
    event.listen(station.db.engine, "before_cursor_execute", note)
    watch = create_engine(database_url)
    try:
        taking = in_thread(
            outcomes, "take", lambda: holds.take_over(other, supervisor, ins.id, "A is down")
        )
        assert in_take_over.wait(60)
        saving = in_thread(
            outcomes, "save", lambda: inspections.record_answer(station, inspector, ins.id, answer)
        )
        wait_until_blocked(watch, locking, "the save never waited for the take-over's lock")
        go_on.set()
        taking.join(60)
        saving.join(60)
    finally:
        go_on.set()
        event.remove(other.db._write, "before_flush", pause)
        event.remove(station.db.engine, "before_cursor_execute", note)
        watch.dispose()
        other.close()
    assert not isinstance(outcomes["take"], Exception), outcomes["take"]
    assert isinstance(outcomes["save"], holds.NotHeld), outcomes["save"]
    assert "taken over" in str(outcomes["save"])
    with station.db.read() as s:
        stored = s.scalars(select(AnswerRow).where(AnswerRow.inspection_id == ins.id)).all()
    assert stored == []
    assert holds.hold_of(station, ins.id).station == "bench B"


# --- writers at different stations: no plant-wide lock orders them any more (issue 14) --------


@pytest.fixture
def apart(station: Station, tmp_path: Path) -> Iterator[list[Station]]:
    """Two other stations on the same plant database, each its own name and data directory:
    each appends to its own audit chain, so nothing but the rows they share orders them."""
    loc = station.location
    more = []
    for name in ("bench-x", "bench-y"):
        shared = {"station_name": name, "evidence_dir": str(loc.evidence_dir)}  # one folder
        settings = loc.settings.model_copy(update=shared)
        more.append(connect(config.Location(tmp_path / name, loc.database_url, settings)))
    yield more
    for st in more:
        st.close()


def test_two_stations_deciding_one_defect(
    station: Station, apart: list[Station], inspector: User, supervisor: User
) -> None:
    _ins_id, defect_id = failed(station, inspector)
    meet = Rendezvous(apart, 2)
    try:
        outcomes = race(
            [
                lambda: nonconformance.decide(
                    apart[0], supervisor, defect_id, Disposition.SCRAP, "beyond repair"
                ),
                lambda: nonconformance.decide(
                    apart[1], supervisor, defect_id, Disposition.REWORK, "re-cast it"
                ),
            ]
        )
    finally:
        meet.close()
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
    refused = next(v for kind, v in outcomes if kind == "refused")
    assert f"defect {defect_id} was decided already" in str(refused)
    assert audit.verify(station).ok


def test_two_stations_issuing_one_inspections_report_issue_one_number(
    station: Station,
    apart: list[Station],
    inspector: User,
    supervisor: User,
    password: str,
    tmp_path: Path,
    issued: None,
) -> None:
    """Both issues succeed and name the same document: the second waits on the inspection's
    row and finds the first's number (without that lock both saw no document yet)."""
    ins_id = finish(station, inspector, Stage.FINAL_QC, "S9")
    meet = Rendezvous(apart, 2)
    try:
        outcomes = race(
            [
                lambda st=st, n=n: documents.export_report(
                    st, supervisor, password, ins_id, tmp_path / f"{n}.pdf"
                )
                for n, st in enumerate(apart)
            ]
        )
    finally:
        meet.close()
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert outcomes[0][1].number == outcomes[1][1].number
    with station.db.read() as s:
        assert s.scalar(select(func.count()).select_from(DocumentRow)) == 1
    assert audit.verify(station).ok


def test_many_stations_saving_at_once_keep_every_chain_whole(
    station: Station, apart: list[Station], inspector: User
) -> None:
    """Eight threads on two stations starting inspections at once: every call lands, each
    station's chain is numbered without a gap, and the trail verifies."""
    meet = Rendezvous(apart, 8)
    try:
        outcomes = race(
            [
                lambda st=st, n=n: inspections.start(
                    st, inspector, Stage.CASTING, "JT-M", "RG-SOL-0412", f"M{n}"
                )
                for n, st in enumerate(apart * 4)
            ]
        )
    finally:
        meet.close()
    assert [kind for kind, _ in outcomes] == ["ok"] * 8, outcomes
    with station.db.read() as s:
        for st in apart:
            seqs = sorted(s.scalars(select(AuditEntry.seq).where(AuditEntry.chain == st.name)))
            assert seqs == list(range(1, len(seqs) + 1)), (st.name, seqs)
    assert audit.verify(station).ok


def test_a_writer_that_waited_for_its_chain_tip_numbers_after_the_holder(
    station: Station, inspector: User, database_url: str
) -> None:
    """Two writers of one station's chain: one holds the tip between two flushes, the other
    waits for it. The waiter's entry ids are drawn after the wait, so they follow every id
    of the holder's, and the walk by id meets the chain in its order (audit verify)."""
    loc = station.location
    twin = connect(config.Location(loc.data_dir, loc.database_url, loc.settings))
    holding, go_on = threading.Event(), threading.Event()
    tip: list[int] = []  # the waiter's backend, once it sends its tip's locking statement

    def note(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "FOR UPDATE" in statement and "audit_chains" in statement:
            tip.append(cursor.connection.info.backend_pid)

    def hold_the_tip() -> None:
        with station.db.write(inspector, station.name) as s:
            audit_store.record_event(s, "test/tip", "first", {})
            holding.set()
            go_on.wait(60)
            audit_store.record_event(s, "test/tip", "second", {})

    outcomes: dict[str, Any] = {}

    watch = create_engine(database_url)
    try:
        holder = in_thread(outcomes, "hold", hold_the_tip)
        assert holding.wait(60)
        event.listen(twin.db.engine, "before_cursor_execute", note)
        waiter = in_thread(
            outcomes,
            "wait",
            lambda: inspections.start(twin, inspector, Stage.CASTING, "JT-T", "RG-SOL-0412"),
        )
        wait_until_blocked(watch, tip, "the second writer never waited for the chain's tip")
        go_on.set()
        holder.join(60)
        waiter.join(60)
    finally:
        go_on.set()
        event.remove(twin.db.engine, "before_cursor_execute", note)
        watch.dispose()
        twin.close()
    assert not isinstance(outcomes["hold"], Exception), outcomes["hold"]
    assert not isinstance(outcomes["wait"], Exception), outcomes["wait"]
    with station.db.read() as s:
        chain = s.execute(
            select(AuditEntry.id, AuditEntry.seq)
            .where(AuditEntry.chain == station.name)
            .order_by(AuditEntry.id)
        ).all()
    seqs = [seq for _id, seq in chain]
    assert seqs == list(range(1, len(seqs) + 1)), chain
    assert audit.verify(station).ok
