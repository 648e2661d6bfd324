"""Nonconformance: the open items, dispositions with their permissions, and rework chains,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from qcstation.domain.defects import Disposition
from qcstation.domain.inspections import Answer, Outcome, Status, Verdict
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import audit, corrections, holds, inspections, nonconformance, signing
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied

from .conftest import finish


def failed(
    station: Station, user: User, item: str = "porosity", code: str = "CST-POR", serial: str = "SN1"
) -> tuple[str, int]:
    """A completed casting inspection that failed one item, with a photo and its defect."""
    ins_id = finish(station, user, Stage.CASTING, serial, complete=False)
    png = encode_png(render_piece(3, 64, 48))
    inspections.attach_evidence(station, user, ins_id, png, "image/png", item)
    inspections.record_answer(station, user, ins_id, Answer(item, outcome=Outcome.FAIL))
    defect = inspections.raise_defect(station, user, ins_id, code, item, note="at 10x")
    inspections.complete(station, user, ins_id)
    assert defect.id is not None
    return ins_id, defect.id


def test_open_items_link_piece_stage_item_and_photos(
    station: Station, inspector: User, supervisor: User
) -> None:
    ins_id, defect_id = failed(station, inspector)
    # an inspection still in progress has no nonconforming items yet
    finish(station, inspector, Stage.CASTING, "SN2", complete=False)
    items = nonconformance.open_items(station)
    assert [i.defect_id for i in items] == [defect_id]
    item = items[0]
    assert (item.inspection_id, item.stage, item.item_id, item.code) == (
        ins_id,
        Stage.CASTING,
        "porosity",
        "CST-POR",
    )
    assert item.serial == "SN1" and item.subject_label == "SN1" and item.found_by == "ines"
    assert item.disposition is Disposition.PENDING and item.note == "at 10x"
    assert len(item.photos) == 1 and len(item.photos[0]) == 64


def test_scrap_and_return_are_decided_once_and_audited(
    station: Station, inspector: User, supervisor: User
) -> None:
    _, d1 = failed(station, inspector, serial="SN1")
    _, d2 = failed(station, inspector, serial="SN2")
    done = nonconformance.decide(station, inspector, d1, Disposition.SCRAP, "beyond repair")
    assert done.disposition is Disposition.SCRAP and done.decided_by == "ines"
    assert done.reason == "beyond repair" and done.rework_inspection_id is None
    nonconformance.decide(station, supervisor, d2, Disposition.RETURN_TO_SUPPLIER)
    assert nonconformance.open_items(station) == []
    with pytest.raises(Conflict, match="decided already: scrap"):
        nonconformance.decide(station, supervisor, d1, Disposition.REWORK)
    recent = nonconformance.recent_decisions(station)
    assert [r.defect_id for r in recent] == [d2, d1]
    assert audit.verify(station).ok


def test_use_as_is_needs_a_supervisor_and_a_reason(
    station: Station, inspector: User, supervisor: User, admin: User
) -> None:
    _, defect_id = failed(station, inspector)
    with pytest.raises(PermissionDenied, match="supervisor's approval"):
        nonconformance.decide(station, inspector, defect_id, Disposition.USE_AS_IS, "fine")
    with pytest.raises(InvalidInput, match="reason"):
        nonconformance.decide(station, supervisor, defect_id, Disposition.USE_AS_IS, "  ")
    with pytest.raises(InvalidInput, match="choose a disposition"):
        nonconformance.decide(station, supervisor, defect_id, Disposition.PENDING, "x")
    assert [i.defect_id for i in nonconformance.open_items(station)] == [defect_id]  # nothing lost
    ok = nonconformance.decide(
        station, supervisor, defect_id, Disposition.USE_AS_IS, "pore under the setting, unseen"
    )
    assert ok.disposition is Disposition.USE_AS_IS and ok.decided_by == "sam"
    assert ok.reason == "pore under the setting, unseen"


def test_a_supervisor_does_not_approve_use_as_is_on_their_own_inspection(
    station: Station, supervisor: User
) -> None:
    _, defect_id = failed(station, supervisor)
    with pytest.raises(Conflict, match="another supervisor"):
        nonconformance.decide(station, supervisor, defect_id, Disposition.USE_AS_IS, "ok as is")


def test_only_completed_newest_versions_are_dispositioned(
    station: Station, inspector: User, supervisor: User
) -> None:
    with pytest.raises(NotFound):
        nonconformance.decide(station, inspector, 9999, Disposition.SCRAP)
    ins_id = finish(station, inspector, Stage.CASTING, "SN3", complete=False)
    inspections.attach_evidence(
        station, inspector, ins_id, encode_png(render_piece(1, 32, 32)), "image/png", "fill"
    )
    inspections.record_answer(station, inspector, ins_id, Answer("fill", outcome=Outcome.FAIL))
    open_defect = inspections.raise_defect(station, inspector, ins_id, "CST-SHORT", "fill")
    assert open_defect.id is not None
    with pytest.raises(Conflict, match="complete it first"):
        nonconformance.decide(station, inspector, open_defect.id, Disposition.SCRAP)
    old_id, old_defect = failed(station, inspector, serial="SN4")
    newer = corrections.correct(station, supervisor, old_id, "wrong serial typed")
    with pytest.raises(Conflict, match=f"corrected by {newer.id}"):
        nonconformance.decide(station, inspector, old_defect, Disposition.SCRAP)
    assert old_defect not in [i.defect_id for i in nonconformance.open_items(station)]


def test_rework_opens_a_linked_reinspection_and_the_chain_ends_in_the_final_verdict(
    station: Station, inspector: User, supervisor: User
) -> None:
    first, d1 = failed(station, inspector)
    done = nonconformance.decide(station, supervisor, d1, Disposition.REWORK, "re-cast the shank")
    second = done.rework_inspection_id
    assert second is not None
    again = inspections.get(station, second)
    assert again.status is Status.IN_PROGRESS and again.inspector == "ines"
    assert (again.job_ticket, again.sku, again.serial) == ("JT-9", "RG-SOL-0412", "SN1")
    assert again.template.stage is Stage.CASTING and again.answers == {}
    # the re-inspection fails again: rework once more, then it passes
    _fail_open(station, inspector, second, "porosity", "CST-POR")
    d2 = inspections.get(station, second).defects[0].id
    assert d2 is not None
    third = nonconformance.decide(station, supervisor, d2, Disposition.REWORK).rework_inspection_id
    assert third is not None and third != second
    _pass_open(station, inspector, third)
    for start in (first, second, third):
        chain = nonconformance.chain(station, start)
        assert [s.inspection_id for s in chain.steps] == [first, second, third]
    assert chain.final.verdict is Verdict.PASS
    assert chain.steps[0].dispositions == (("CST-POR", Disposition.REWORK),)
    assert chain.describe() == "fail (CST-POR: rework) → fail (CST-POR: rework) → pass"
    assert nonconformance.chain(station, finish(station, inspector)).describe() == "pass"
    assert audit.verify(station).ok


def test_two_reworked_defects_share_one_reinspection(
    station: Station, inspector: User, supervisor: User
) -> None:
    ins_id = finish(station, inspector, Stage.CASTING, "SN7", complete=False)
    ids = []
    for item, code in (("porosity", "CST-POR"), ("fill", "CST-SHORT")):
        png = encode_png(render_piece(2, 32, 32))
        inspections.attach_evidence(station, inspector, ins_id, png, "image/png", item)
        inspections.record_answer(station, inspector, ins_id, Answer(item, outcome=Outcome.FAIL))
        ids.append(inspections.raise_defect(station, inspector, ins_id, code, item).id)
    inspections.complete(station, inspector, ins_id)
    a = nonconformance.decide(station, inspector, ids[0], Disposition.REWORK)
    b = nonconformance.decide(station, inspector, ids[1], Disposition.REWORK)
    assert a.rework_inspection_id == b.rework_inspection_id is not None


def test_a_disposition_leaves_the_signed_record_verifying(
    station: Station, inspector: User, supervisor: User, issued: None, password: str
) -> None:
    from qcstation.domain.signing import Meaning

    ins_id, defect_id = failed(station, inspector)
    signing.sign(station, inspector, ins_id, Meaning.PERFORMED, password)
    nonconformance.decide(station, supervisor, defect_id, Disposition.REWORK, "re-cast")
    checks = signing.check(station, ins_id)
    assert checks and all(not c.problems for c in checks)


def _fail_open(station: Station, user: User, ins_id: str, item: str, code: str) -> None:
    holds.resume(station, user, ins_id)  # a re-inspection waits parked for the piece
    _answer_all(station, user, ins_id)
    png = encode_png(render_piece(4, 32, 32))
    inspections.attach_evidence(station, user, ins_id, png, "image/png", item)
    inspections.record_answer(station, user, ins_id, Answer(item, outcome=Outcome.FAIL))
    inspections.raise_defect(station, user, ins_id, code, item)
    inspections.complete(station, user, ins_id)


def _pass_open(station: Station, user: User, ins_id: str) -> None:
    holds.resume(station, user, ins_id)
    _answer_all(station, user, ins_id)
    inspections.complete(station, user, ins_id)


def _answer_all(station: Station, user: User, ins_id: str) -> None:
    from .test_inspections import answer_everything

    answer_everything(station, user, ins_id)


def test_a_scrapped_piece_is_not_reworked_or_used_as_is(
    station: Station, inspector: User, supervisor: User
) -> None:
    ins_id = finish(station, inspector, Stage.CASTING, "SN9", complete=False)
    ids = []
    for item, code in (("porosity", "CST-POR"), ("fill", "CST-SHORT"), ("cracks", "CST-CRACK")):
        png = encode_png(render_piece(2, 32, 32))
        inspections.attach_evidence(station, inspector, ins_id, png, "image/png", item)
        inspections.record_answer(station, inspector, ins_id, Answer(item, outcome=Outcome.FAIL))
        ids.append(inspections.raise_defect(station, inspector, ins_id, code, item).id)
    inspections.complete(station, inspector, ins_id)
    nonconformance.decide(station, inspector, ids[0], Disposition.SCRAP, "cracked through")
    with pytest.raises(Conflict, match=f"scrapped already \\(defect {ids[0]}\\)"):
        nonconformance.decide(station, inspector, ids[1], Disposition.REWORK)
    with pytest.raises(Conflict, match="scrapped already"):
        nonconformance.decide(station, supervisor, ids[2], Disposition.USE_AS_IS, "tiny")
    nonconformance.decide(station, inspector, ids[1], Disposition.SCRAP)
    assert [i.defect_id for i in nonconformance.open_items(station)] == [ids[2]]


def test_open_items_most_severe_first_even_past_the_limit(
    station: Station, inspector: User
) -> None:
    minor_ids = []
    for n in range(3):  # older minor ones first...
        ins_id = finish(station, inspector, Stage.CASTING, f"M{n}", complete=False)
        inspections.record_answer(
            station, inspector, ins_id, Answer("surface", outcome=Outcome.FAIL)
        )
        minor_ids.append(
            inspections.raise_defect(station, inspector, ins_id, "CST-ROUGH", "surface").id
        )
        inspections.complete(station, inspector, ins_id)
    _, critical = failed(station, inspector, item="cracks", code="CST-CRACK", serial="C1")
    items = nonconformance.open_items(station, limit=2)
    assert items[0].defect_id == critical and items[0].severity.value in ("critical", "major")
    assert items[1].defect_id == minor_ids[0]
