"""A defect and its photo: one capture path with the camera's facts, committed together.

Each test runs on SQLite and on PostgreSQL. The photo is a shot as the window takes it (the
grabber's frame with its number and time, the camera's description, the magnification,
frozen or live, what the camera said was wrong) and goes through services.microscope.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select

from qcstation.domain.defects import Disposition, Severity
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.imaging.calibration import from_two_points
from qcstation.imaging.frames import Frame
from qcstation.imaging.scenes import render_piece
from qcstation.imaging.source import Capabilities, Mode
from qcstation.services import audit, calibration, inspections, microscope
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput
from qcstation.store.models import DefectRow, EvidenceRow

CAM = "synthetic:piece:7"
MODE = Mode(320, 240, 30, "MJPG")


def caps() -> Capabilities:
    return Capabilities(CAM, "bench scope", "synthetic", (MODE,), MODE, {})


def shot(seq: int = 41, *, frozen: bool = False, problem: str = "") -> microscope.Shot:
    frame = Frame(render_piece(5, 320, 240), seq, wall_time=1_790_000_000.25)
    return microscope.Shot(frame, caps(), "2.0x", frozen=frozen, problem=problem)


@pytest.fixture
def calibrated(station: Station, supervisor: User) -> float:
    cal = from_two_points(
        (10.0, 50.0),
        (210.0, 50.0),
        50,
        0.01,
        camera_id=CAM,
        magnification="2.0x",
        image_size=(320, 240),
    )
    return calibration.save(station, supervisor, cal).calibration.mm_per_px


def rows(station: Station, inspection_id: str) -> tuple[list[DefectRow], list[EvidenceRow]]:
    with station.db.read() as s:
        defects = list(s.scalars(select(DefectRow).where(DefectRow.inspection_id == inspection_id)))
        evidence = list(
            s.scalars(select(EvidenceRow).where(EvidenceRow.inspection_id == inspection_id))
        )
        return defects, evidence


def files(station: Station) -> list[str]:
    root = station.location.evidence_dir
    return sorted(p.name for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def log_porosity(station: Station, user: User, ins_id: str, s: microscope.Shot | None) -> Any:
    return microscope.log_defect(
        station,
        user,
        ins_id,
        "CST-POR",
        "porosity",
        None,
        Severity.MAJOR,
        Disposition.REWORK,
        "pores near the prong",
        shot=s,
    )


def test_the_photo_carries_camera_frame_and_calibration_and_names_its_defect(
    station: Station, inspector: User, calibrated: float
) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-1", "RG-1", "SN1")
    logged = log_porosity(station, inspector, ins.id, shot())
    assert logged.photo is not None and logged.photo.item_id == "porosity"
    defects, evidence = rows(station, ins.id)
    assert [d.id for d in defects] == [logged.defect.id]
    assert [e.id for e in evidence] == [logged.photo.id]
    meta = evidence[0].meta
    assert meta["camera_id"] == CAM and meta["camera_name"] == "bench scope"
    assert meta["mode"] == str(MODE) and meta["magnification"] == "2.0x"
    assert meta["frame_seq"] == 41 and meta["taken_at"].startswith("2026-")
    assert meta["calibration"]["mm_per_px"] == pytest.approx(calibrated)
    assert meta["calibration_status"] == "valid"
    assert meta["frozen"] is False
    assert meta["defect_id"] == logged.defect.id
    assert evidence[0].original_name == "defect-CST-POR.png"
    # the photo counts for the failed item, as a capture would
    assert inspections.get(station, ins.id).defects[0].code == "CST-POR"
    assert audit.verify(station).ok


def test_a_failed_write_after_the_file_leaves_neither_defect_nor_photo(
    station: Station, inspector: User
) -> None:
    """The database fails on the photo's row, after the defect's row went in and after the
    file was made durable: the transaction takes both rows back; the file stays, harmless
    (named by its content, pointed at by nothing), and the same photo goes in on retry."""
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-2", "RG-1", "SN2")
    failed: list[str] = []

    def break_evidence_insert(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> tuple[str, Any]:
        if statement.lstrip().upper().startswith("INSERT INTO EVIDENCE"):
            failed.append(statement)
            statement = statement.replace("evidence", "evidence_gone", 1)
        return statement, params

    engine = station.db.engine
    event.listen(engine, "before_cursor_execute", break_evidence_insert, retval=True)
    try:
        with pytest.raises(Exception) as caught:
            log_porosity(station, inspector, ins.id, shot())
    finally:
        event.remove(engine, "before_cursor_execute", break_evidence_insert)
    assert failed, "the fault was injected at the evidence row"
    assert "evidence_gone" in str(caught.value)
    assert rows(station, ins.id) == ([], [])
    orphan = files(station)
    assert len(orphan) == 1
    assert inspections.get(station, ins.id).defects == []
    assert audit.verify(station).ok
    again = log_porosity(station, inspector, ins.id, shot())
    assert again.photo is not None and [again.photo.sha256] == orphan == files(station)
    defects, evidence = rows(station, ins.id)
    assert len(defects) == 1 and len(evidence) == 1


def test_a_lost_camera_refuses_the_defect_and_its_photo_and_writes_nothing(
    station: Station, inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-3", "RG-1", "SN3")
    lost = shot(problem="no picture from Camera 0 for 1.4 s; check the cable")
    with pytest.raises(microscope.CameraUnavailable, match="not sending pictures") as caught:
        log_porosity(station, inspector, ins.id, lost)
    assert "check the cable" in str(caught.value) and "capture again" in str(caught.value)
    assert rows(station, ins.id) == ([], []) and files(station) == []
    no_picture = microscope.Shot(None, caps(), "2.0x")
    with pytest.raises(microscope.CameraUnavailable, match="no camera picture"):
        microscope.capture_shot(station, inspector, ins.id, no_picture, "porosity")
    assert rows(station, ins.id) == ([], []) and files(station) == []


def test_a_refused_defect_writes_no_file(station: Station, inspector: User) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-4", "RG-1", "SN4")
    with pytest.raises(InvalidInput, match="not in the defect catalog"):
        microscope.log_defect(station, inspector, ins.id, "NO-SUCH", "porosity", shot=shot())
    with pytest.raises(InvalidInput, match="no position 3"):
        microscope.log_defect(station, inspector, ins.id, "CST-POR", "porosity", 3, shot=shot())
    assert rows(station, ins.id) == ([], []) and files(station) == []


def test_a_frozen_picture_is_recorded_as_frozen(station: Station, inspector: User) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-5", "RG-1", "SN5")
    frozen = microscope.capture_shot(station, inspector, ins.id, shot(7, frozen=True), "porosity")
    live = microscope.capture_shot(station, inspector, ins.id, shot(8), "porosity")
    metas = {e.id: e.meta for e in rows(station, ins.id)[1]}
    assert metas[frozen.evidence.id]["frozen"] is True
    assert metas[frozen.evidence.id]["frame_seq"] == 7
    assert metas[live.evidence.id]["frozen"] is False


def test_a_camera_that_does_not_describe_itself_is_recorded_as_unknown(
    station: Station, inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-6", "RG-1", "SN6")
    bare = microscope.Shot(Frame(render_piece(2, 320, 240), 3), None, "1.0x")
    got = microscope.capture_shot(station, inspector, ins.id, bare, "porosity")
    meta = rows(station, ins.id)[1][0].meta
    assert got.calibration.status.value == "missing"
    assert meta["camera_id"] == microscope.UNKNOWN_CAMERA and meta["calibration"] is None
