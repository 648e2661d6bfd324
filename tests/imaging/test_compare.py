"""Golden-sample comparison over a seeded production run with injected defects."""

from __future__ import annotations

import numpy as np
import pytest

from qcstation.imaging.compare import Comparison, compare_to_golden
from qcstation.imaging.errors import AlignmentError
from qcstation.imaging.synthetic import DefectKind, DefectTruth, PieceSpec
from qcstation.imaging.synthetic.samples import photograph, production_piece

W, H = 320, 240  # small, but pits are still 1-2 px: the claim holds at this size
SKUS, PIECES = 10, 12  # 120 pieces


def _touches(box: tuple[int, int, int, int], d: DefectTruth, margin: int = 3) -> bool:
    x, y, w, h = box
    dx, dy, dw, dh = d.bbox
    return (
        x <= dx + dw + margin
        and dx - margin <= x + w
        and y <= dy + dh + margin
        and dy - margin <= y + h
    )


def score(result: Comparison, defects: list[DefectTruth]) -> tuple[int, int, int]:
    """(defects found, regions reported, regions that match no defect)."""
    found = sum(any(_touches(r.box_in_piece, d) for r in result.regions) for d in defects)
    false = sum(not any(_touches(r.box_in_piece, d) for d in defects) for r in result.regions)
    return found, len(result.regions), false


def test_finds_injected_defects_with_few_false_alarms() -> None:
    defects = found = regions = false = pieces = clean_flagged = clean = 0
    by_kind: dict[str, list[int]] = {}
    for s in range(SKUS):
        sku = PieceSpec.random(1000 + s)
        golden, _ = photograph(sku, W, H)
        rng = np.random.default_rng(s)
        for _ in range(PIECES):
            image, scene = photograph(production_piece(sku, rng), W, H, rng)  # moved, relit
            result = compare_to_golden(image, golden)
            f, r, fa = score(result, scene.defects)
            defects += len(scene.defects)
            found += f
            regions += r
            false += fa
            pieces += 1
            for d in scene.defects:
                hit = any(_touches(x.box_in_piece, d) for x in result.regions)
                by_kind.setdefault(d.kind.value, [0, 0])[0] += hit
                by_kind[d.kind.value][1] += 1
            if not scene.defects:
                clean += 1
                clean_flagged += bool(result.regions)
    assert pieces >= 100 and set(by_kind) == {"porosity", "scratch", "chip", "missing_prong"}
    detection = found / defects
    false_alarms = false / max(regions, 1)
    print(
        f"\n{pieces} pieces, {defects} defects: detection {detection:.3f}, false alarms "
        f"{false_alarms:.3f} ({false}/{regions} regions), clean pieces flagged "
        f"{clean_flagged}/{clean}, by kind {by_kind}"
    )
    assert detection >= 0.95
    assert false_alarms <= 0.05
    assert clean_flagged <= 0.05 * clean + 1


def test_same_piece_moved_and_relit_is_not_different() -> None:
    sku = PieceSpec.random(77)
    golden, _ = photograph(sku, W, H)
    rng = np.random.default_rng(5)
    image, _ = photograph(sku, W, H, rng, max_rotation_deg=5.0, max_shift_mm=0.5)
    result = compare_to_golden(image, golden)
    assert not result.differs
    assert result.method == "orb" and result.inliers >= 25
    assert result.aligned.shape == golden.shape and result.difference.max() <= 1.0


def test_missing_prong_is_located() -> None:
    sku = PieceSpec.random(78)
    golden, _ = photograph(sku, W, H)
    rng = np.random.default_rng(2)
    spec = sku.with_defects(sku.random_defect(DefectKind.MISSING_PRONG, rng))
    image, scene = photograph(spec, W, H, rng)
    result = compare_to_golden(image, golden)
    (truth,) = scene.defects
    assert result.regions and _touches(result.regions[0].box_in_piece, truth)


def test_featureless_input_cannot_be_aligned() -> None:
    golden, _ = photograph(PieceSpec.random(79), W, H)
    with pytest.raises(AlignmentError, match="place it as the golden sample"):
        compare_to_golden(np.full((H, W, 3), 128, np.uint8), golden)
