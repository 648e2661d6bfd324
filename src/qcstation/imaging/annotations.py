"""The annotation layer: measurements, arrows, ellipses and text over an untouched original.

A layer belongs to one evidence image (its SHA-256 and size) and records the calibration
the image was taken with and when it was captured, so measurements are judged against the
calibration as it was then (a calibration that went stale later does not spoil old
measurements). It is immutable: ``add``/``remove``/``replace`` return a new layer, which
suits undo. Stored as JSON beside the image (``to_json``/``from_json``, schema-versioned,
with clear errors naming the item and field); :func:`qcstation.imaging.export.burn_in`
draws it into a copy for export.

    layer = AnnotationLayer(sha, (w, h), calibration, captured_at)
    layer = layer.add(MeasureItem(new_id(), Length((10, 10), (200, 10)), label="prong 1"))
    for item, m in layer.measurements(max_age=timedelta(days=30)): print(item.label, m.text())
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from qcstation.imaging.calibration import (
    DEFAULT_MAX_AGE,
    Calibration,
    CalibrationCheck,
    check,
)
from qcstation.imaging.errors import AnnotationFormatError, CalibrationError
from qcstation.imaging.measure import Measurement, Shape, measure, shape_from_points

Point = tuple[float, float]
SCHEMA = 1
DEFAULT_COLOR = "#ffd400"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class MeasureItem:
    id: str
    shape: Shape
    label: str = ""
    color: str = DEFAULT_COLOR
    type = "measure"


@dataclass(frozen=True)
class ArrowItem:
    id: str
    start: Point
    end: Point  # the head
    label: str = ""
    color: str = "#ff3b30"
    type = "arrow"


@dataclass(frozen=True)
class EllipseItem:
    id: str
    center: Point
    axes: tuple[float, float]  # semi-axes in pixels
    angle_deg: float = 0.0
    label: str = ""
    color: str = "#ff3b30"
    type = "ellipse"


@dataclass(frozen=True)
class TextItem:
    id: str
    position: Point  # baseline start
    text: str
    color: str = "#ffffff"
    size: float = 0.0  # cap height in px; 0: scaled to the image
    type = "text"


Item = MeasureItem | ArrowItem | EllipseItem | TextItem


@dataclass(frozen=True)
class AnnotationLayer:
    image_sha256: str
    image_size: tuple[int, int]  # (width, height)
    calibration: Calibration | None = None
    captured_at: datetime | None = None
    items: tuple[Item, ...] = field(default_factory=tuple)

    def add(self, item: Item) -> AnnotationLayer:
        if any(i.id == item.id for i in self.items):
            raise ValueError(f"an item with id {item.id!r} is already in the layer")
        return replace(self, items=(*self.items, item))

    def remove(self, item_id: str) -> AnnotationLayer:
        return replace(self, items=tuple(i for i in self.items if i.id != item_id))

    def replace_item(self, item: Item) -> AnnotationLayer:
        return replace(self, items=tuple(item if i.id == item.id else i for i in self.items))

    def calibration_check(
        self,
        max_age: timedelta = DEFAULT_MAX_AGE,
        camera_id: str | None = None,
        magnification: str | None = None,
    ) -> CalibrationCheck:
        """The recorded calibration judged at capture time, for this image's size."""
        return check(
            self.calibration,
            camera_id=camera_id,
            magnification=magnification,
            image_size=self.image_size,
            now=self.captured_at,
            max_age=max_age,
        )

    def measurements(
        self, max_age: timedelta = DEFAULT_MAX_AGE
    ) -> list[tuple[MeasureItem, Measurement]]:
        chk = self.calibration_check(max_age)
        return [(i, measure(i.shape, chk)) for i in self.items if isinstance(i, MeasureItem)]

    # ---------------------------------------------------------------- storage
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "image_sha256": self.image_sha256,
            "image_size": list(self.image_size),
            "calibration": self.calibration.to_dict() if self.calibration else None,
            "captured_at": self.captured_at.isoformat() if self.captured_at else None,
            "items": [_item_out(i) for i in self.items],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> AnnotationLayer:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AnnotationFormatError(f"annotation layer is not JSON: {exc}") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> AnnotationLayer:
        if not isinstance(data, Mapping):
            raise AnnotationFormatError("annotation layer must be a JSON object")
        if data.get("schema") != SCHEMA:
            raise AnnotationFormatError(
                f"annotation layer schema {data.get('schema')!r} is not supported (expected "
                f"{SCHEMA}); update qcstation"
            )
        try:
            size = data["image_size"]
            image_size = (int(size[0]), int(size[1]))
            cal = data.get("calibration")
            at = data.get("captured_at")
            layer = cls(
                str(data["image_sha256"]),
                image_size,
                Calibration.from_dict(cal) if cal else None,
                datetime.fromisoformat(at) if at else None,
            )
        except (KeyError, TypeError, ValueError, IndexError, CalibrationError) as exc:
            raise AnnotationFormatError(f"annotation layer header: {exc}") from exc
        items = data.get("items", [])
        if not isinstance(items, list):
            raise AnnotationFormatError("annotation layer 'items' must be a list")
        out = []
        for n, raw in enumerate(items):
            try:
                out.append(_item_in(raw))
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise AnnotationFormatError(f"annotation item {n + 1}: {exc}") from exc
        return replace(layer, items=tuple(out))


def _pt(p: Any, name: str) -> Point:
    x, y = float(p[0]), float(p[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"{name} must be finite numbers")
    return x, y


def _color(c: Any) -> str:
    if not isinstance(c, str) or not _HEX.match(c):
        raise ValueError(f"color {c!r} must look like #rrggbb")
    return c


def _text(t: Any, name: str, limit: int = 500) -> str:
    if not isinstance(t, str) or len(t) > limit:
        raise ValueError(f"{name} must be text of at most {limit} characters")
    return t


def _item_out(i: Item) -> dict[str, Any]:
    d: dict[str, Any] = {"id": i.id, "type": i.type, "color": i.color}
    if isinstance(i, MeasureItem):
        d |= {"kind": i.shape.kind, "points": [list(p) for p in i.shape.points], "label": i.label}
    elif isinstance(i, ArrowItem):
        d |= {"start": list(i.start), "end": list(i.end), "label": i.label}
    elif isinstance(i, EllipseItem):
        d |= {"center": list(i.center), "axes": list(i.axes), "angle_deg": i.angle_deg}
        d["label"] = i.label
    else:
        d |= {"position": list(i.position), "text": i.text, "size": i.size}
    return d


def _item_in(d: Any) -> Item:
    if not isinstance(d, Mapping):
        raise TypeError("must be an object")
    kind = d.get("type")
    item_id = _text(d["id"], "id", 64)
    color = _color(d.get("color", DEFAULT_COLOR))
    if kind == "measure":
        pts = [_pt(p, "points") for p in d["points"]]
        shape = shape_from_points(str(d["kind"]), pts)
        return MeasureItem(item_id, shape, _text(d.get("label", ""), "label"), color)
    if kind == "arrow":
        label = _text(d.get("label", ""), "label")
        return ArrowItem(item_id, _pt(d["start"], "start"), _pt(d["end"], "end"), label, color)
    if kind == "ellipse":
        axes = _pt(d["axes"], "axes")
        if axes[0] <= 0 or axes[1] <= 0:
            raise ValueError("axes must be positive")
        return EllipseItem(
            item_id,
            _pt(d["center"], "center"),
            axes,
            float(d.get("angle_deg", 0.0)),
            _text(d.get("label", ""), "label"),
            color,
        )
    if kind == "text":
        size = float(d.get("size", 0.0))
        if not 0 <= size <= 1000:
            raise ValueError("size must be between 0 and 1000 px")
        return TextItem(
            item_id, _pt(d["position"], "position"), _text(d["text"], "text"), color, size
        )
    raise ValueError(f"type {kind!r} is not one of measure, arrow, ellipse, text")
