"""Golden samples per SKU and stage, on SQLite and PostgreSQL, against the synthetic truth."""

from __future__ import annotations

import numpy as np
import pytest

from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_png
from qcstation.imaging.synthetic import DefectKind, PieceSpec
from qcstation.imaging.synthetic.samples import photograph
from qcstation.services import audit, golden, inspections
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput, NotFound, PermissionDenied

W, H = 320, 240
SKU = "RG-SOL-0412"


def _image(station: Station, user: User, img: np.ndarray, serial: str) -> int:
    ins = inspections.start(station, user, Stage.STONE_SETTING, "JT-3", SKU, serial)
    return inspections.attach_evidence(station, user, ins.id, encode_png(img), "image/png").id


def test_a_supervisor_sets_the_golden_sample_and_a_defect_is_found(
    station: Station, supervisor: User, inspector: User
) -> None:
    sku = PieceSpec.random(78)
    good, _ = photograph(sku, W, H)
    gold_id = _image(station, supervisor, good, "GOLD")
    with pytest.raises(NotFound, match="no golden sample"):
        golden.compare(station, gold_id)
    with pytest.raises(PermissionDenied):
        golden.set_from_evidence(station, inspector, gold_id)
    g = golden.set_from_evidence(station, supervisor, gold_id, "reference piece from lot 7")
    assert (g.sku, g.stage, g.set_by) == (SKU, Stage.STONE_SETTING, "sam")
    assert golden.current(station, SKU, Stage.STONE_SETTING) == g
    assert golden.current(station, SKU, Stage.POLISHING) is None
    rng = np.random.default_rng(2)
    bad_spec = sku.with_defects(sku.random_defect(DefectKind.MISSING_PRONG, rng))
    bad, scene = photograph(bad_spec, W, H, rng)  # moved and relit too
    piece_id = _image(station, inspector, bad, "SN-BAD")
    found = golden.compare(station, piece_id)
    assert found.golden.id == g.id and found.result.regions
    (truth,) = scene.defects
    x, y, w, h = found.result.regions[0].box_in_piece
    dx, dy, dw, dh = truth.bbox
    assert x <= dx + dw + 3 and dx - 3 <= x + w and y <= dy + dh + 3 and dy - 3 <= y + h
    same, _ = photograph(sku, W, H, np.random.default_rng(5))
    assert not golden.compare(station, _image(station, inspector, same, "SN-OK")).result.regions
    assert audit.verify(station).ok


def test_a_featureless_piece_image_gets_a_clear_message(station: Station, supervisor: User) -> None:
    good, _ = photograph(PieceSpec.random(79), W, H)
    golden.set_from_evidence(station, supervisor, _image(station, supervisor, good, "G"))
    flat = _image(station, supervisor, np.full((H, W, 3), 128, np.uint8), "FLAT")
    with pytest.raises(InvalidInput, match="could not be aligned"):
        golden.compare(station, flat)
