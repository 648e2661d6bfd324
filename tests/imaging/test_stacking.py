"""Focus stacking against the synthetic all-in-focus truth."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from qcstation.imaging.focus import focus_score
from qcstation.imaging.frames import Frame, Image
from qcstation.imaging.metrics import ssim
from qcstation.imaging.stacking import align_pair, focus_stack, max_sharpness_fusion
from qcstation.imaging.synthetic import (
    Lighting,
    Optics,
    PieceSpec,
    SensorNoise,
    View,
    defocus,
    render_piece_scene,
    to_uint8,
)

W, H = 480, 360


def sweep(
    seed: int, n: int = 5, jitter: float = 2.0
) -> tuple[list[Image], Image, list[tuple[float, float]]]:
    """``n`` frames focused from the deepest to the highest surface, each shaken by up to
    ``jitter`` px except the middle one (the reference), and the all-in-focus truth."""
    scene = render_piece_scene(PieceSpec.random(seed), View(W, H, W / 10))
    optics, light = Optics(), Lighting()
    truth = to_uint8(light.apply(optics.in_focus(scene.image)))
    lo, hi = scene.depth_range
    rng = np.random.default_rng(seed)
    frames, shifts = [], []
    for k, focus in enumerate(np.linspace(lo + 0.1, hi - 0.05, n)):
        sigma = optics.sigma_map(scene.depth, float(focus), scene.px_per_mm)
        img = SensorNoise((H, W), 2.0, seed * 100 + k).add(
            to_uint8(light.apply(defocus(scene.image, sigma)))
        )
        dx, dy = (0.0, 0.0) if k == n // 2 else (float(v) for v in rng.uniform(-jitter, jitter, 2))
        m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
        frames.append(
            np.asarray(cv2.warpAffine(img, m, (W, H), borderMode=cv2.BORDER_REFLECT), np.uint8)
        )
        shifts.append((dx, dy))
    return frames, truth, shifts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stack_is_sharper_than_every_frame_and_close_to_truth(seed: int) -> None:
    frames, truth, shifts = sweep(seed)
    result = focus_stack([Frame(f, seq=10 + i) for i, f in enumerate(frames)])
    fused_score = focus_score(result.image)
    assert all(fused_score > focus_score(f) for f in frames)
    assert ssim(result.image, truth) >= 0.9
    assert all(ssim(f, truth) < ssim(result.image, truth) for f in frames)
    for info, (dx, dy) in zip(result.frames, shifts, strict=True):
        assert info.aligned
        assert info.warp[0][2] == pytest.approx(dx, abs=0.5)
        assert info.warp[1][2] == pytest.approx(dy, abs=0.5)
    assert result.frames[0].seq == 10 and result.reference == 2
    assert sum(f.share for f in result.frames) == pytest.approx(1.0)
    json.dumps(result.meta())


def test_fusion_methods_and_baseline() -> None:
    frames, truth, _ = sweep(4, n=4, jitter=0.0)
    weighted = focus_stack(frames, fusion="weighted", align="none")
    pyramid = focus_stack(frames, fusion="pyramid", align="phase")
    select = focus_stack(frames, fusion="select", align="none")
    assert ssim(weighted.image, truth) >= 0.9 and ssim(pyramid.image, truth) >= 0.9
    assert np.array_equal(select.image, max_sharpness_fusion(frames))
    with pytest.raises(ValueError, match="fusion"):
        focus_stack(frames, fusion="magic")
    with pytest.raises(ValueError, match="at least two"):
        focus_stack(frames[:1])
    with pytest.raises(ValueError, match="same size"):
        focus_stack([frames[0], frames[1][:100]])


def test_align_pair_finds_a_known_shift() -> None:
    frames, _truth, _ = sweep(5, n=3, jitter=0.0)
    ref = frames[1]
    moved = np.asarray(
        cv2.warpAffine(ref, np.array([[1, 0, 3.5], [0, 1, -2.25]], np.float32), (W, H)), np.uint8
    )
    warp = align_pair(ref, moved)
    assert warp[0, 2] == pytest.approx(3.5, abs=0.2) and warp[1, 2] == pytest.approx(-2.25, abs=0.2)
    with pytest.raises(ValueError, match="alignment"):
        align_pair(ref, moved, method="guess")
