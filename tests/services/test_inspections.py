"""Running inspections through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from qcstation.domain.defects import Disposition, Severity
from qcstation.domain.inspections import Answer, Outcome, Status, SubjectKind, Verdict
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import SearchFilter
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import audit, inspections
from qcstation.services.context import Station, connect, open_station
from qcstation.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qcstation.services.inspections import Incomplete


def test_start_records_the_exact_template_version(station: Station, inspector: User) -> None:
    ins = inspections.start(
        station,
        inspector,
        Stage.STONE_SETTING,
        "JT-1",
        "RG-SOL",
        "SN1",
        position_counts={"prong": 6, "stone-secure": 1, "stone-level": 1, "stone-intact": 1},
    )
    assert (ins.template.template, ins.template.version) == ("stone-setting", 2)
    assert ins.position_counts["prong"] == 6
    assert ins.status is Status.IN_PROGRESS and ins.inspector == "ines"
    assert ins.progress()[1] == sum(ins.position_counts.get(i.id, 1) for i in ins.template.items())


def test_start_refuses_bad_input(station: Station, inspector: User) -> None:
    with pytest.raises(InvalidInput, match="job ticket and a SKU"):
        inspections.start(station, inspector, Stage.CASTING, " ", "RG")
    with pytest.raises(InvalidInput, match="Prong count"):
        inspections.start(
            station, inspector, Stage.STONE_SETTING, "J", "S", position_counts={"prong": 99}
        )
    with pytest.raises(InvalidInput, match="lot size"):
        inspections.start(station, inspector, Stage.RECEIVING, "J", "S", subject=SubjectKind.LOT)
    with pytest.raises(NotFound):
        inspections.start(station, inspector, Stage.CASTING, "J", "S", template=("casting", 99))


def answer_everything(station: Station, user: User, ins_id: str, fail: str | None = None) -> None:
    ins = inspections.get(station, ins_id)
    from qcstation.domain.inspections import positions_of
    from qcstation.domain.templates import ChoiceItem, MeasurementItem, PhotoItem, TextItem

    for item in ins.template.items():
        for pos in positions_of(item, ins.position_counts):
            bad = item.id == fail
            if item.photo_required or isinstance(item, PhotoItem):
                inspections.attach_evidence(
                    station,
                    user,
                    ins_id,
                    encode_png(render_piece(1, 64, 48)),
                    "image/png",
                    item.id,
                    pos,
                )
            if isinstance(item, MeasurementItem):
                lo = item.lower if item.lower is not None else (item.upper or 0) - 1
                hi = item.upper if item.upper is not None else lo + 1
                v = hi + 1 if bad else (lo + hi) / 2
                a = Answer(item.id, pos, readings=(v,) * item.readings)
            elif isinstance(item, ChoiceItem):
                a = Answer(item.id, pos, value=item.acceptable[0])
            elif isinstance(item, TextItem):
                a = Answer(item.id, pos, value=item.example or "L-1")
            else:
                a = Answer(item.id, pos, Outcome.FAIL if bad else Outcome.PASS)
            inspections.record_answer(station, user, ins_id, a)


def test_a_clean_inspection_passes(station: Station, inspector: User) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-1", "RG-1", "SN1")
    answer_everything(station, inspector, ins.id)
    done = inspections.complete(station, inspector, ins.id)
    assert done.verdict is Verdict.PASS
    again = inspections.get(station, ins.id)
    assert again.status is Status.COMPLETED and again.verdict is Verdict.PASS
    assert audit.verify(station).ok


def test_an_answer_comes_back_as_stored_with_its_photos_counted(
    station: Station, inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-4", "RG-1", "SN4")
    png = encode_png(render_piece(3, 64, 48))
    inspections.attach_evidence(station, inspector, ins.id, png, "image/png", "fill")
    out = inspections.record_answer(
        station, inspector, ins.id, Answer("fill", outcome=Outcome.FAIL, photos=0)
    )
    assert out.answer == inspections.get(station, ins.id).answers[("fill", None)]
    assert out.answer is not None and out.answer.photos == 1  # counted by the database
    reading = inspections.record_answer(
        station, inspector, ins.id, Answer("min-wall", readings=(0.45,))
    )
    assert reading.answer is not None and reading.answer.readings == (0.45,)
    assert reading.evaluation.outcome is Outcome.FAIL


def test_incomplete_names_each_item_by_its_prompt_and_what_it_needs(
    station: Station, inspector: User
) -> None:
    ins = inspections.start(
        station, inspector, Stage.STONE_SETTING, "JT-3", "RG-1", "SN3", position_counts={"prong": 4}
    )
    answer_everything(station, inspector, ins.id)
    inspections.record_answer(station, inspector, ins.id, Answer("prong", 3, Outcome.FAIL))
    with pytest.raises(Incomplete) as caught:
        inspections.complete(station, inspector, ins.id)
    item = inspections.get(station, ins.id).template.item("prong")
    text = str(caught.value)
    assert f"Prong 3: {item.prompt} — failed: log a defect" in text
    assert "prong #3" not in text  # the id is for the program, the prompt for people


def test_a_failed_check_needs_its_defect_and_photo_then_fails(
    station: Station, inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-2", "RG-1", "SN2")
    answer_everything(station, inspector, ins.id, fail="porosity")
    with pytest.raises(Incomplete) as caught:
        inspections.complete(station, inspector, ins.id)
    assert [m.reason for m in caught.value.missing] == [
        "failed: log a defect",
        "failed: attach a photo",
    ]
    inspections.attach_evidence(
        station,
        inspector,
        ins.id,
        encode_png(render_piece(2, 64, 48, "porosity")),
        "image/png",
        "porosity",
    )
    d = inspections.raise_defect(
        station, inspector, ins.id, "CST-POR", "porosity", note="near the shank"
    )
    assert d.severity is Severity.MAJOR  # from the catalog
    assert inspections.complete(station, inspector, ins.id).verdict is Verdict.FAIL


def test_each_answer_is_committed_at_once(station: Station, inspector: User) -> None:
    """A second connection (as after a crash and restart) sees every answer already given."""
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-3", "RG-1", "SN3")
    inspections.record_answer(station, inspector, ins.id, Answer("fill", outcome=Outcome.PASS))
    reopened = open_station(station.location)
    try:
        again = inspections.get(reopened, ins.id)
        assert again.answers[("fill", None)].outcome is Outcome.PASS
        assert [s.id for s in inspections.unfinished(reopened, inspector)] == [ins.id]
    finally:
        reopened.close()


def test_answers_that_do_not_fit_are_refused(station: Station, inspector: User) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-4", "RG-1")
    with pytest.raises(InvalidInput, match="no item 'nope'"):
        inspections.record_answer(station, inspector, ins.id, Answer("nope", outcome=Outcome.PASS))
    with pytest.raises(InvalidInput, match="reading"):
        inspections.record_answer(
            station, inspector, ins.id, Answer("weight-deviation", readings=())
        )
    with pytest.raises(InvalidInput, match="no position 3"):
        inspections.record_answer(station, inspector, ins.id, Answer("fill", 3, Outcome.PASS))
    with pytest.raises(InvalidInput, match="not a defect of the Casting stage"):
        inspections.raise_defect(station, inspector, ins.id, "PKG-LABEL")
    with pytest.raises(InvalidInput, match="not in the defect catalog"):
        inspections.raise_defect(station, inspector, ins.id, "XXX-NOPE")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 1e12, -2e9, 1e308])
def test_readings_no_instrument_gives_are_refused_and_nothing_is_stored(
    station: Station, inspector: User, bad: float
) -> None:
    """Whoever calls (the window asks first; the command line and scripts do not), a
    non-finite or absurd reading is refused with the item named, and nothing is stored."""
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-4b", "RG-1")
    with pytest.raises(InvalidInput, match=r"Thinnest wall thickness: .* cannot be a reading"):
        inspections.record_answer(station, inspector, ins.id, Answer("min-wall", readings=(bad,)))
    assert inspections.get(station, ins.id).answers == {}
    kept = inspections.record_answer(
        station, inspector, ins.id, Answer("min-wall", readings=(1e9,))
    )  # at the bound: an implausible number, but a number; the window asked already
    assert kept.evaluation.mean == 1e9


def test_the_instrument_that_gave_a_reading_is_stored_and_audited(
    station: Station, inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-4c", "RG-1")
    balance = "Balance (Mettler Toledo MT-SICS, COM3)"
    out = inspections.record_answer(
        station, inspector, ins.id, Answer("min-wall", readings=(0.62,), instrument=balance)
    )
    assert out.answer is not None and out.answer.instrument == balance
    assert inspections.get(station, ins.id).answers[("min-wall", None)].instrument == balance
    typed = inspections.record_answer(
        station, inspector, ins.id, Answer("min-wall", readings=(0.61,))
    )
    assert typed.answer is not None and typed.answer.instrument is None  # typed over it
    for wrong, words in (
        (Answer("fill", outcome=Outcome.PASS, instrument=balance), "only a measurement"),
        (Answer("min-wall", readings=(0.6,), instrument="x" * 121), "1 to 120 characters"),
        (Answer("min-wall", readings=(0.6,), instrument="  "), "1 to 120 characters"),
    ):
        with pytest.raises(InvalidInput, match=words):
            inspections.record_answer(station, inspector, ins.id, wrong)
    assert inspections.get(station, ins.id).answers[("min-wall", None)].readings == (0.61,)
    assert audit.verify(station).ok


def test_completed_inspections_do_not_change(station: Station, inspector: User) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-5", "RG-1")
    answer_everything(station, inspector, ins.id)
    inspections.complete(station, inspector, ins.id)
    with pytest.raises(Conflict, match="can no longer change"):
        inspections.record_answer(station, inspector, ins.id, Answer("fill", outcome=Outcome.FAIL))


def test_roles_are_checked_in_the_service(
    station: Station, inspector: User, supervisor: User, admin: User
) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-6", "RG-1")
    other = inspections.start(station, supervisor, Stage.CASTING, "JT-7", "RG-1")
    # an inspector cannot dispose a defect as "use as is": that needs a supervisor
    inspections.record_answer(station, inspector, ins.id, Answer("porosity", outcome=Outcome.FAIL))
    with pytest.raises(PermissionDenied, match="may not review"):
        inspections.raise_defect(
            station, inspector, ins.id, "CST-POR", "porosity", disposition=Disposition.USE_AS_IS
        )
    inspections.raise_defect(
        station, supervisor, ins.id, "CST-POR", "porosity", disposition=Disposition.USE_AS_IS
    )
    # nor change another inspector's inspection
    with pytest.raises(PermissionDenied, match="only the inspector"):
        inspections.record_answer(
            station, inspector, other.id, Answer("fill", outcome=Outcome.PASS)
        )
    # a caller claiming a role it does not have gets nothing
    forged = User(inspector.id, inspector.username, "x", admin.role)
    with pytest.raises(PermissionDenied):
        from qcstation.domain.users import Role
        from qcstation.services import accounts

        accounts.create_user(station, forged, "eve", "longpassword", Role.ADMIN)


def test_history_search(station: Station, inspector: User) -> None:
    a = inspections.start(station, inspector, Stage.CASTING, "JT-A", "SKU-A", "SN-A")
    b = inspections.start(station, inspector, Stage.POLISHING, "JT-B", "SKU-B", "SN-B")
    answer_everything(station, inspector, a.id)
    inspections.complete(station, inspector, a.id)
    by = lambda **kw: [s.id for s in inspections.search(station, SearchFilter(**kw))]  # noqa: E731
    assert by(sku="SKU-A") == [a.id]
    assert by(text="SN-B") == [b.id]
    assert by(text="JT-A") == [a.id]
    assert by(verdict=Verdict.PASS) == [a.id]
    assert by(stage=Stage.POLISHING) == [b.id]
    assert by(status="in_progress") == [b.id]
    assert set(by(inspector="ines")) == {a.id, b.id}
    today = station.now().date()
    assert set(by(date_from=today, date_to=today)) == {a.id, b.id}
    assert by(date_to=today - timedelta(days=1)) == []
    assert by(date_from=date(2000, 1, 1), limit=1) == [b.id]  # newest first
    assert set(by(date_to=date.max)) == {a.id, b.id}  # the calendar's last day: no overflow


def test_evidence_is_stored_by_hash_before_its_row(station: Station, inspector: User) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-8", "RG-1")
    png = encode_png(render_piece(5, 64, 48))
    info = inspections.attach_evidence(station, inspector, ins.id, png, "image/png", "porosity")
    assert station.evidence.read(info.sha256) == png
    with pytest.raises(InvalidInput, match="empty"):
        inspections.attach_evidence(station, inspector, ins.id, b"", "image/png")


def test_a_second_station_shares_the_database(station: Station, inspector: User) -> None:
    from qcstation import config

    loc = station.location
    other = connect(
        config.Location(
            loc.data_dir,
            loc.database_url,
            loc.settings.model_copy(update={"station_name": "bench-2"}),
        )
    )
    try:
        ins = inspections.start(other, inspector, Stage.CASTING, "JT-9", "RG-1")
        assert inspections.get(station, ins.id).station == "bench-2"
    finally:
        other.close()


def test_review_queue_and_decisions(station: Station, inspector: User, supervisor: User) -> None:
    from qcstation.domain.inspections import Decision
    from qcstation.services import review

    ins = inspections.start(station, inspector, Stage.POLISHING, "JT-R", "RG-1", "SN-R")
    answer_everything(station, inspector, ins.id)
    inspections.raise_defect(station, inspector, ins.id, "POL-SCR", severity=Severity.MINOR)
    assert inspections.complete(station, inspector, ins.id).verdict is Verdict.NEEDS_REVIEW
    assert [s.id for s in review.queue(station)] == [ins.id]
    with pytest.raises(PermissionDenied):
        review.decide(station, inspector, ins.id, Decision.ACCEPTED, "looks fine")
    with pytest.raises(InvalidInput, match="reason"):
        review.decide(station, supervisor, ins.id, Decision.ACCEPTED, " ")
    review.decide(
        station, supervisor, ins.id, Decision.ACCEPTED, "hairline, inside the customer's limit"
    )
    assert review.queue(station) == []
    with pytest.raises(Conflict, match="reviewed already"):
        review.decide(station, supervisor, ins.id, Decision.REJECTED, "second thoughts")
    assert audit.verify(station).ok


def test_a_huid_of_the_wrong_form_is_refused_and_nothing_is_stored(
    station: Station, inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-H", "RG-1", "SN-H")
    assert ins.template.key == "final-qc@3"
    with pytest.raises(InvalidInput) as caught:
        inspections.record_answer(station, inspector, ins.id, Answer("huid", value="AB12C"))
    assert str(caught.value) == (
        "“India: HUID, the 6-character hallmark unique ID, as it reads on the piece”: "
        "'AB12C' is not 6 capital letters or digits, as on the piece (e.g. AB12C3)"
    )
    assert ("huid", None) not in inspections.get(station, ins.id).answers
    inspections.record_answer(station, inspector, ins.id, Answer("huid", value="AB12C3"))
    assert inspections.get(station, ins.id).answers[("huid", None)].value == "AB12C3"
    assert audit.verify(station).ok
