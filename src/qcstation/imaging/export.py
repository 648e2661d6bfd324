"""Burn an annotation layer and a scale bar into a COPY of an image, for export and reports.

The original is never touched (the evidence file stays what the camera saw). Lines and
text scale with the image; labels get a dark outline so they read on metal and on velvet.
The scale bar's length is picked from 1-2-5 steps to be about a fifth of the width. A
missing, mismatched or stale calibration is written on the image in red, and blocked
measurements are drawn without a value.

Text is drawn with OpenCV's Hershey font, which has ASCII only: other characters become
"?" in the exported copy (the live overlay, drawn by Qt, shows them as typed).
"""

from __future__ import annotations

import itertools
import math
from datetime import timedelta

import cv2
import numpy as np

from qcstation.imaging.annotations import (
    AnnotationLayer,
    ArrowItem,
    EllipseItem,
    MeasureItem,
    TextItem,
)
from qcstation.imaging.calibration import DEFAULT_MAX_AGE, CalibrationStatus
from qcstation.imaging.frames import Image
from qcstation.imaging.measure import Angle, CircleDiameter, Length, Polyline, circle_through

Point = tuple[float, float]
BGR = tuple[int, int, int]
FONT = cv2.FONT_HERSHEY_SIMPLEX
_SHIFT = 4
_ONE = 1 << _SHIFT


def hex_to_bgr(color: str) -> BGR:
    c = color.lstrip("#")
    return int(c[4:6], 16), int(c[2:4], 16), int(c[0:2], 16)


def nice_length(max_mm: float) -> float:
    """The largest 1-2-5 x 10^k value not above ``max_mm``."""
    if max_mm <= 0:
        raise ValueError("length must be positive")
    k = math.floor(math.log10(max_mm))
    for m in (5, 2, 1):
        if m * 10**k <= max_mm:
            return float(m * 10**k)
    return float(10 ** (k - 1) * 5)


def _ascii(text: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)


def _p(pt: Point) -> tuple[int, int]:
    return round(pt[0] * _ONE), round(pt[1] * _ONE)


class _Pen:
    def __init__(self, img: Image):
        self.img = img
        side = min(img.shape[:2])
        self.thick = max(1, round(side / 400))
        self.font = max(0.4, side / 900)
        self.text_thick = max(1, round(self.font * 1.6))

    def line(self, a: Point, b: Point, color: BGR) -> None:
        cv2.line(self.img, _p(a), _p(b), (0, 0, 0), self.thick + 2, cv2.LINE_AA, _SHIFT)
        cv2.line(self.img, _p(a), _p(b), color, self.thick, cv2.LINE_AA, _SHIFT)

    def text(self, at: Point, text: str, color: BGR, scale: float | None = None) -> None:
        s = scale or self.font
        t = max(1, round(s * 1.6))
        org = (round(at[0]), round(at[1]))
        cv2.putText(self.img, _ascii(text), org, FONT, s, (0, 0, 0), t + 3, cv2.LINE_AA)
        cv2.putText(self.img, _ascii(text), org, FONT, s, color, t, cv2.LINE_AA)

    def text_size(self, text: str, scale: float | None = None) -> tuple[int, int]:
        s = scale or self.font
        (w, h), _ = cv2.getTextSize(_ascii(text), FONT, s, max(1, round(s * 1.6)))
        return w, h


def _end_bar(pen: _Pen, p: Point, q: Point, color: BGR) -> None:
    dx, dy = q[0] - p[0], q[1] - p[1]
    n = math.hypot(dx, dy) or 1.0
    h = 4 * pen.thick + 3
    nx, ny = -dy / n * h, dx / n * h
    pen.line((p[0] + nx, p[1] + ny), (p[0] - nx, p[1] - ny), color)


def _draw_measure(pen: _Pen, item: MeasureItem, text: str) -> None:
    color = hex_to_bgr(item.color)
    shape = item.shape
    pts = shape.points
    if isinstance(shape, Length):
        pen.line(shape.p0, shape.p1, color)
        _end_bar(pen, shape.p0, shape.p1, color)
        _end_bar(pen, shape.p1, shape.p0, color)
        at = ((shape.p0[0] + shape.p1[0]) / 2 + 6, (shape.p0[1] + shape.p1[1]) / 2 - 6)
    elif isinstance(shape, Polyline):
        for a, b in itertools.pairwise(pts):
            pen.line(a, b, color)
        at = (pts[-1][0] + 6, pts[-1][1] - 6)
    elif isinstance(shape, Angle):
        pen.line(shape.vertex, shape.a, color)
        pen.line(shape.vertex, shape.b, color)
        r = 0.3 * min(math.dist(shape.vertex, shape.a), math.dist(shape.vertex, shape.b))
        a1 = math.degrees(math.atan2(shape.a[1] - shape.vertex[1], shape.a[0] - shape.vertex[0]))
        a2 = math.degrees(math.atan2(shape.b[1] - shape.vertex[1], shape.b[0] - shape.vertex[0]))
        if (a2 - a1) % 360 > 180:
            a1, a2 = a2, a1
        end = a1 + (a2 - a1) % 360
        centre, axes = _p(shape.vertex), (round(r * _ONE), round(r * _ONE))
        cv2.ellipse(pen.img, centre, axes, 0, a1, end, color, pen.thick, cv2.LINE_AA, _SHIFT)
        at = (shape.vertex[0] + r + 6, shape.vertex[1] - 6)
    else:
        assert isinstance(shape, CircleDiameter)
        circle = circle_through(shape.p1, shape.p2, shape.p3)
        if circle is not None:
            (cx, cy), rad = circle
            cv2.circle(
                pen.img,
                _p((cx, cy)),
                round(rad * _ONE),
                (0, 0, 0),
                pen.thick + 2,
                cv2.LINE_AA,
                _SHIFT,
            )
            cv2.circle(
                pen.img, _p((cx, cy)), round(rad * _ONE), color, pen.thick, cv2.LINE_AA, _SHIFT
            )
            pen.line((cx - rad, cy), (cx + rad, cy), color)
        for p in pts:
            s = 3 * pen.thick + 2
            pen.line((p[0] - s, p[1]), (p[0] + s, p[1]), color)
            pen.line((p[0], p[1] - s), (p[0], p[1] + s), color)
        at = (pts[0][0] + 6, pts[0][1] - 6)
    label = f"{item.label}: {text}" if item.label else text
    pen.text(at, label, color)


def _scale_bar(pen: _Pen, mm_per_px: float) -> None:
    h, w = pen.img.shape[:2]
    length_mm = nice_length(0.2 * w * mm_per_px)
    length_px = length_mm / mm_per_px
    margin = max(10, w // 40)
    x1, y = w - margin, h - margin
    x0 = x1 - length_px
    bar = max(3, pen.thick * 3)
    cv2.rectangle(
        pen.img, _p((x0 - 2, y - bar - 2)), _p((x1 + 2, y + 2)), (0, 0, 0), -1, cv2.LINE_AA, _SHIFT
    )
    cv2.rectangle(pen.img, _p((x0, y - bar)), _p((x1, y)), (255, 255, 255), -1, cv2.LINE_AA, _SHIFT)
    text = f"{length_mm:g} mm" if length_mm >= 0.1 else f"{length_mm * 1000:g} um"
    tw, th = pen.text_size(text)
    pen.text(((x0 + x1) / 2 - tw / 2, y - bar - th // 2 - 4), text, (255, 255, 255))


def burn_in(
    image: Image,
    layer: AnnotationLayer,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    scale_bar: bool = True,
) -> Image:
    """A copy of ``image`` with ``layer`` and a scale bar drawn in."""
    h, w = image.shape[:2]
    if (w, h) != tuple(layer.image_size):
        raise ValueError(
            f"the layer belongs to a {layer.image_size[0]}x{layer.image_size[1]} image, not {w}x{h}"
        )
    out = np.array(image, dtype=np.uint8, copy=True)
    pen = _Pen(out)
    values = {item.id: m.text() for item, m in layer.measurements(max_age)}
    for item in layer.items:
        if isinstance(item, MeasureItem):
            _draw_measure(pen, item, values[item.id])
        elif isinstance(item, ArrowItem):
            c = hex_to_bgr(item.color)
            length = math.dist(item.start, item.end) or 1.0
            tip = min(0.4, 12 * pen.thick / length + 0.05)
            for colour, t in (((0, 0, 0), pen.thick + 2), (c, pen.thick)):
                cv2.arrowedLine(
                    out, _p(item.start), _p(item.end), colour, t, cv2.LINE_AA, _SHIFT, tip
                )
            if item.label:
                pen.text((item.start[0] + 6, item.start[1] + 6), item.label, c)
        elif isinstance(item, EllipseItem):
            c = hex_to_bgr(item.color)
            axes = (round(item.axes[0] * _ONE), round(item.axes[1] * _ONE))
            for colour, t in (((0, 0, 0), pen.thick + 2), (c, pen.thick)):
                cv2.ellipse(
                    out,
                    _p(item.center),
                    axes,
                    item.angle_deg,
                    0,
                    360,
                    colour,
                    t,
                    cv2.LINE_AA,
                    _SHIFT,
                )
            if item.label:
                at = (item.center[0] + item.axes[0] + 6, item.center[1])
                pen.text(at, item.label, c)
        elif isinstance(item, TextItem):
            scale = item.size / 22.0 if item.size else None
            pen.text(item.position, item.text, hex_to_bgr(item.color), scale)
    chk = layer.calibration_check(max_age)
    if chk.status is not CalibrationStatus.VALID:
        note = {
            CalibrationStatus.MISSING: "UNCALIBRATED",
            CalibrationStatus.STALE: "CALIBRATION STALE",
            CalibrationStatus.MISMATCH: "CALIBRATION DOES NOT MATCH",
        }[chk.status]
        _tw, th = pen.text_size(note)
        pen.text((10, 10 + th), note, (40, 40, 255))
    if scale_bar and chk.calibration is not None and chk.status is not CalibrationStatus.MISMATCH:
        _scale_bar(pen, chk.calibration.mm_per_px)
    return out
