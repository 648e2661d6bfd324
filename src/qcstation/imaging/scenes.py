"""Jewelry-like images drawn from a seed: a ring shank with a set stone on a bench mat.

Used where a real microscope image is not at hand (demo data, tests). The same seed
always draws the same image, so evidence hashes in tests are stable.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]


def render_piece(
    seed: int, width: int = 640, height: int = 480, defect: str | None = None
) -> Image:
    rng = np.random.default_rng(seed)
    img = np.empty((height, width, 3), np.uint8)
    img[:] = (58, 62, 66)  # grey bench mat (BGR)
    noise = rng.normal(0, 6, (height, width, 1))
    img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    cx, cy = width // 2, height // 2
    r = int(min(width, height) * 0.34)
    gold = (60, 175, 222) if rng.random() < 0.6 else (200, 200, 205)  # yellow gold or white metal
    cv2.circle(img, (cx, cy), r, gold, thickness=max(8, r // 5), lineType=cv2.LINE_AA)
    # highlight along the shank, as under a ring light
    cv2.ellipse(img, (cx, cy), (r, r), 0, 200, 250, (235, 240, 245), 3, cv2.LINE_AA)
    # the head: four prongs around a round stone at the top of the shank
    sx, sy, sr = cx, cy - r, max(10, r // 3)
    for dx, dy in ((-1, -1), (1, -1), (-1, 1), (1, 1)):
        if defect == "missing_prong" and (dx, dy) == (1, -1):
            continue
        p = (int(sx + dx * sr * 0.8), int(sy + dy * sr * 0.8))
        cv2.circle(img, p, max(3, sr // 4), gold, -1, cv2.LINE_AA)
    cv2.circle(img, (sx, sy), sr, (235, 225, 215), -1, cv2.LINE_AA)
    for k in range(8):  # facet lines
        a = k * np.pi / 4
        end = (int(sx + sr * np.cos(a)), int(sy + sr * np.sin(a)))
        cv2.line(img, (sx, sy), end, (190, 180, 175), 1, cv2.LINE_AA)
    if defect == "porosity":
        for _ in range(12):
            a = rng.uniform(0, 2 * np.pi)
            rr = r + rng.uniform(-r * 0.08, r * 0.08)
            cv2.circle(
                img, (int(cx + rr * np.cos(a)), int(cy + rr * np.sin(a))), 2, (30, 40, 50), -1
            )
    if defect == "scratch":
        a = rng.uniform(0, 2 * np.pi)
        p0 = (int(cx + r * np.cos(a)), int(cy + r * np.sin(a)))
        p1 = (int(cx + r * np.cos(a + 0.3)), int(cy + r * np.sin(a + 0.3)))
        cv2.line(img, p0, p1, (250, 250, 250), 1, cv2.LINE_AA)
    if defect == "chip":
        cv2.ellipse(
            img, (sx + sr // 2, sy - sr // 3), (sr // 4, sr // 6), 30, 0, 360, (120, 110, 105), -1
        )
    return img


def encode_png(img: Image) -> bytes:
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise ValueError("could not encode the image as PNG")
    return buf.tobytes()


def encode_jpeg(img: Image, quality: int = 92) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode the image as JPEG")
    return buf.tobytes()
