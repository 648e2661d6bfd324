"""Annotation layers over evidence images, on SQLite and PostgreSQL: saved beside the
untouched original, refused once the inspection is closed, exported without half files."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from qcstation.domain.stages import Stage
from qcstation.domain.users import Role, User
from qcstation.imaging.annotations import ArrowItem, MeasureItem, new_id
from qcstation.imaging.frames import decode_image
from qcstation.imaging.measure import Length
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import annotation_layers, audit, inspections, microscope
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, PermissionDenied
from qcstation.store.evidence import EvidenceError

from .conftest import finish


def _captured(station: Station, inspector: User) -> tuple[str, int]:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-1", "RG-1", "SN1")
    got = microscope.capture(station, inspector, ins.id, render_piece(5, 320, 240))
    return ins.id, got.evidence.id


def test_a_layer_is_saved_replaced_and_reopened(station: Station, inspector: User) -> None:
    _ins, eid = _captured(station, inspector)
    opened = annotation_layers.open_image(station, eid)
    assert opened.editable and opened.layer.items == () and opened.image.shape == (240, 320, 3)
    assert opened.layer.calibration is None  # captured uncalibrated: recorded as such
    layer = opened.layer.add(MeasureItem(new_id(), Length((10, 10), (110, 10)), "prong 1"))
    assert annotation_layers.save(station, inspector, eid, layer) == 1
    layer2 = layer.add(ArrowItem(new_id(), (5, 5), (50, 50), "pit"))
    annotation_layers.save(station, inspector, eid, layer2)
    assert annotation_layers.open_image(station, eid).layer == layer2
    assert audit.verify(station).ok


def test_a_layer_for_another_image_or_by_another_inspector_is_refused(
    station: Station, inspector: User, admin: User, password: str
) -> None:
    from qcstation.services import accounts

    _ins, eid = _captured(station, inspector)
    layer = annotation_layers.open_image(station, eid).layer
    from dataclasses import replace

    with pytest.raises(InvalidInput, match="another image"):
        annotation_layers.save(station, inspector, eid, replace(layer, image_sha256="0" * 64))
    other = accounts.create_user(station, admin, "ivan", password, Role.INSPECTOR, "Ivan")
    with pytest.raises(PermissionDenied):
        annotation_layers.save(station, other, eid, layer)


def test_a_completed_inspection_is_view_only(station: Station, inspector: User) -> None:
    ins_id = finish(station, inspector)
    eid = next(
        e.id for e in inspections.evidence_of(station, ins_id) if e.media_type.startswith("image/")
    )
    opened = annotation_layers.open_image(station, eid)
    assert not opened.editable
    with pytest.raises(Conflict, match="no longer in progress"):
        annotation_layers.save(station, inspector, eid, opened.layer)


def test_an_unreadable_image_file_is_named(station: Station, inspector: User) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-2", "RG-1", "SN2")
    bad = inspections.attach_evidence(
        station, inspector, ins.id, b"\x89PNG\r\n\x1a\n broken", "image/png"
    )
    with pytest.raises(InvalidInput, match="not an image that can be read"):
        annotation_layers.open_image(station, bad.id)
    good = inspections.attach_evidence(
        station, inspector, ins.id, encode_png(render_piece(2, 64, 48)), "image/png"
    )
    station.evidence.path_for(good.sha256).write_bytes(b"tampered")
    with pytest.raises(EvidenceError, match="damaged or was replaced"):
        annotation_layers.open_image(station, good.id)


def test_export_writes_a_burned_in_copy_and_a_full_disk_leaves_nothing(
    station: Station, inspector: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ins, eid = _captured(station, inspector)
    opened = annotation_layers.open_image(station, eid)
    layer = opened.layer.add(MeasureItem(new_id(), Length((10, 100), (300, 100)), "wall"))
    out = tmp_path / "export" / "copy.png"
    out.parent.mkdir()
    annotation_layers.export_copy(station, opened.image, layer, out)
    copy = decode_image(out.read_bytes())
    assert copy.shape == opened.image.shape and (copy != opened.image).any()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    before = out.read_bytes()
    monkeypatch.setattr(annotation_layers.os, "fsync", full)
    with pytest.raises(InvalidInput, match=r"No space left on device.*free disk space"):
        annotation_layers.export_copy(station, opened.image, layer.remove(layer.items[0].id), out)
    monkeypatch.undo()
    assert out.read_bytes() == before  # the old copy stays whole
    assert sorted(p.name for p in out.parent.iterdir()) == ["copy.png"]


def test_the_bench_opens_only_the_open_inspections_image(station: Station, inspector: User) -> None:
    """Ctrl+M and the strip pass the bench's open inspection: another's image is refused."""
    earlier, eid = _captured(station, inspector)
    now = inspections.start(station, inspector, Stage.CASTING, "JT-2", "RG-1", "SN2")
    with pytest.raises(PermissionDenied, match="another inspection"):
        annotation_layers.open_image(station, eid, inspection_id=now.id)
    assert annotation_layers.open_image(station, eid, inspection_id=earlier).evidence_id == eid


def test_recent_images_are_the_inspections_own_newest_oldest_first(
    station: Station, inspector: User
) -> None:
    first, _ = _captured(station, inspector)
    other = inspections.start(station, inspector, Stage.CASTING, "JT-3", "RG-1", "SN3")
    ids = [
        microscope.capture(station, inspector, first, render_piece(n, 320, 240)).evidence.id
        for n in range(8)
    ]
    microscope.capture(station, inspector, other.id, render_piece(9, 320, 240))
    inspections.attach_evidence(station, inspector, first, b"%PDF-1.4 ...", "application/pdf")
    recent = microscope.recent_images(station, first, 6)
    assert [t.evidence_id for t in recent] == ids[-6:]
    assert all(max(t.image.shape[:2]) <= microscope.THUMBNAIL_SIDE for t in recent)
