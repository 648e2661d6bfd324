"""Focus stacking: N frames taken while the focus turns (or a burst), aligned, fused sharp.

    result = focus_stack(frames)              # Frames or BGR images, any order of focus
    result.image                              # the fused BGR image (reference frame's geometry)
    result.frames                             # per frame: focus score, warp, share of the fusion

Alignment (``align``): "ecc" (default) finds each frame's shift and small rotation against
its neighbour towards the reference (phase correlation first, then ECC refining a Euclidean
warp on a reduced, smoothed copy) and chains them; "ecc-affine" also fits a scale change
(optics whose magnification breathes with focus; it can mistake defocus spread for
magnification, so it is not the default); "phase" is translation only; "none" trusts a
rigid stand. Fusion (``fusion``): "pyramid" (default) blends Laplacian
pyramids with per-pixel sharpness weights (no seams, no halos); "weighted" blends the
images directly with smoothed weights; "select" takes each pixel from its sharpest frame
(:func:`max_sharpness_fusion`, also the benchmark's bare reference).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from qcstation.imaging.errors import AlignmentError
from qcstation.imaging.focus import focus_score, sharpness_map
from qcstation.imaging.frames import Frame, Image, ecc_warp, to_gray

F32 = NDArray[np.float32]
Warp = NDArray[np.float32]  # 2x3 affine: reference coordinates -> the frame's (ECC's sense)


@dataclass(frozen=True)
class StackFrameInfo:
    index: int
    seq: int | None  # the frame's sequence number when a Frame was given
    focus_score: float
    warp: tuple[tuple[float, ...], ...]  # 2x3 affine: reference pixel -> this frame's pixel
    aligned: bool  # False: alignment failed, the frame was used unwarped
    share: float  # fraction of the fused image's sharpness weight from this frame


@dataclass(frozen=True)
class StackResult:
    image: Image
    frames: tuple[StackFrameInfo, ...]
    reference: int
    align: str
    fusion: str

    def meta(self) -> dict[str, object]:
        """JSON-safe description for the evidence row of the fused image."""
        return {
            "kind": "focus_stack",
            "reference": self.reference,
            "align": self.align,
            "fusion": self.fusion,
            "frames": [
                {
                    "index": f.index,
                    "seq": f.seq,
                    "focus_score": round(f.focus_score, 3),
                    "warp": [[round(v, 5) for v in row] for row in f.warp],
                    "aligned": f.aligned,
                    "share": round(f.share, 4),
                }
                for f in self.frames
            ],
        }


def _identity() -> Warp:
    return np.array([[1, 0, 0], [0, 1, 0]], np.float32)


def _compose(a: Warp, b: Warp) -> Warp:
    """The warp doing ``b`` then ``a``."""
    a3 = np.vstack([a, [0, 0, 1]])
    b3 = np.vstack([b, [0, 0, 1]])
    return np.asarray((a3 @ b3)[:2], np.float32)


def align_pair(reference: Image, moving: Image, method: str = "ecc", max_side: int = 640) -> Warp:
    """The affine warp from ``reference`` pixel coordinates to ``moving``'s (apply it to
    ``moving`` with WARP_INVERSE_MAP to bring it onto the reference). Both grey or BGR, one
    size. Raises AlignmentError when neither phase correlation nor ECC finds one."""
    if method == "none":
        return _identity()
    g1, g2 = to_gray(reference), to_gray(moving)
    h, w = g1.shape
    s = min(1.0, max_side / max(h, w))
    size = (max(8, round(w * s)), max(8, round(h * s)))
    a = cv2.GaussianBlur(cv2.resize(g1, size, interpolation=cv2.INTER_AREA), (0, 0), 1.0)
    b = cv2.GaussianBlur(cv2.resize(g2, size, interpolation=cv2.INTER_AREA), (0, 0), 1.0)
    a, b = np.float32(a), np.float32(b)
    win = cv2.createHanningWindow((size[0], size[1]), cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(a, b, win)  # b's shift against a
    warp = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    if method in ("ecc", "ecc-affine"):
        motion = cv2.MOTION_AFFINE if method == "ecc-affine" else cv2.MOTION_EUCLIDEAN
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-5)
        try:
            warp = ecc_warp(a, b, warp, motion, criteria)
        except cv2.error:
            if response < 0.05:
                raise AlignmentError(
                    "the frames could not be aligned (too little detail in common); "
                    "hold the piece still and take the stack again"
                ) from None
    elif method != "phase":
        raise ValueError(
            f"unknown alignment {method!r}; use 'ecc', 'ecc-affine', 'phase' or 'none'"
        )
    warp = np.array(warp, np.float32, copy=True)
    warp[:, 2] /= s  # the translation back to full size; the linear part is scale-free
    return warp


def _pyramid_fuse(images: list[F32], weights: list[F32], levels: int) -> F32:
    """Blend Laplacian pyramids of ``images`` with Gaussian pyramids of ``weights``."""
    acc: list[F32] = []
    for img, wt in zip(images, weights, strict=True):
        gw, gi = [wt], [img]
        for _ in range(levels):
            gw.append(np.asarray(cv2.pyrDown(gw[-1]), np.float32))
            gi.append(np.asarray(cv2.pyrDown(gi[-1]), np.float32))
        for k in range(levels + 1):
            if k < levels:
                up = cv2.pyrUp(gi[k + 1], dstsize=(gi[k].shape[1], gi[k].shape[0]))
                band = np.asarray(cv2.subtract(gi[k], up), np.float32)
            else:
                band = gi[levels]
            band = np.multiply(band, gw[k][..., None], dtype=np.float32)
            if len(acc) <= k:
                acc.append(band)
            else:
                np.add(acc[k], band, out=acc[k])
    img = acc[levels]
    for k in range(levels - 1, -1, -1):
        up = cv2.pyrUp(img, dstsize=(acc[k].shape[1], acc[k].shape[0]))
        img = np.asarray(cv2.add(up, acc[k]), np.float32)
    return img


def max_sharpness_fusion(images: Sequence[Image]) -> Image:
    """Each pixel from the frame where |Laplacian| is largest (no alignment, no smoothing):
    the simplest fusion there is, kept as a baseline."""
    stack = np.stack([np.abs(cv2.Laplacian(to_gray(i), cv2.CV_16S, ksize=3)) for i in images])
    best = np.argmax(stack, axis=0)
    arr = np.stack(images)
    return np.asarray(np.take_along_axis(arr, best[None, ..., None], axis=0)[0], np.uint8)


def focus_stack(
    frames: Sequence[Frame | Image],
    *,
    align: str = "ecc",
    fusion: str = "pyramid",
    reference: int | None = None,
    power: float = 4.0,
    step: Callable[[int, int], None] | None = None,
) -> StackResult:
    """Align every frame to the reference and fuse them. ``step(done, total)`` is called
    after each frame is aligned and once more before the fusing: progress for a dialog,
    and the place to stop (it may raise; nothing is kept half-made)."""
    if len(frames) < 2:
        raise ValueError("a focus stack needs at least two frames")
    images = [f.image if isinstance(f, Frame) else f for f in frames]
    seqs = [f.seq if isinstance(f, Frame) else None for f in frames]
    h, w = images[0].shape[:2]
    if any(i.shape != images[0].shape for i in images):
        raise ValueError("all frames of a stack must have the same size")
    n = len(images)
    ref = n // 2 if reference is None else reference
    warps: list[Warp] = [_identity() for _ in range(n)]
    ok = [True] * n
    done = 1  # the reference needs no aligning
    for direction in (-1, 1):  # chain each frame to its neighbour towards the reference
        for i in range(ref + direction, -1 if direction < 0 else n, direction):
            if step is not None:
                step(done, n + 1)
            try:
                pair = align_pair(images[i - direction], images[i], align)
            except AlignmentError:
                pair, ok[i] = _identity(), False
            warps[i] = _compose(pair, warps[i - direction])
            done += 1
    if step is not None:
        step(n, n + 1)  # aligned: the fusing is the last step
    aligned = [
        images[i]
        if i == ref
        else np.asarray(
            cv2.warpAffine(
                images[i],
                warps[i],
                (w, h),
                flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                borderMode=cv2.BORDER_REFLECT,
            ),
            np.uint8,
        )
        for i in range(n)
    ]
    sharp = [sharpness_map(to_gray(a).astype(np.float32)) for a in aligned]
    scale = float(np.mean([s.mean() for s in sharp])) + 1e-6
    if fusion == "select":
        fused = max_sharpness_fusion(aligned)
        weights = [(s >= np.max(sharp, axis=0)).astype(np.float32) for s in sharp]
    else:
        weights = [np.power(s / scale + 1e-3, power) for s in sharp]
        total = np.sum(weights, axis=0)
        weights = [np.asarray(wt / total, np.float32) for wt in weights]
        floats = [a.astype(np.float32) for a in aligned]
        if fusion == "pyramid":
            levels = max(1, min(6, int(np.log2(min(h, w))) - 4))
            out = _pyramid_fuse(floats, weights, levels)
        elif fusion == "weighted":
            smooth = [np.asarray(cv2.GaussianBlur(wt, (0, 0), 2.0), np.float32) for wt in weights]
            out = np.sum([f * wt[..., None] for f, wt in zip(floats, smooth, strict=False)], axis=0)
        else:
            raise ValueError(f"unknown fusion {fusion!r}; use 'pyramid', 'weighted' or 'select'")
        fused = np.asarray(np.clip(out + 0.5, 0, 255), np.uint8)
    shares = np.array([float(wt.sum()) for wt in weights])
    shares = shares / max(shares.sum(), 1e-9)
    infos = tuple(
        StackFrameInfo(
            i,
            seqs[i],
            focus_score(images[i]),
            tuple(tuple(float(v) for v in row) for row in warps[i]),
            ok[i],
            float(shares[i]),
        )
        for i in range(n)
    )
    return StackResult(fused, infos, ref, align, fusion)
