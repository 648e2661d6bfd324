"""A piece against the golden sample of its SKU and stage: side by side, an aligned overlay,
and a difference view with the regions that differ boxed (services.golden / imaging.compare).

Ctrl+1 side by side, Ctrl+2 overlay (the slider, or [ and ], blends piece and golden), Ctrl+3
difference. Choosing a region in the list zooms both views to it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from qcstation.imaging.display import Viewport
from qcstation.services.golden import GoldenComparison
from qcstation.ui.marking_view import MarkingView
from qcstation.ui.widgets import button, muted, shortcut

MODES = ("side", "overlay", "difference")


def blend(piece: np.ndarray, golden: np.ndarray, alpha: float) -> np.ndarray:
    """``alpha`` of the aligned piece over the golden sample."""
    mixed = piece.astype(np.float32) * alpha + golden.astype(np.float32) * (1 - alpha)
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


def heat(golden: np.ndarray, difference: np.ndarray) -> np.ndarray:
    """The golden sample in grey with the difference in red over it (brighter: larger)."""
    grey = golden.mean(axis=2, keepdims=True) if golden.ndim == 3 else golden[..., None]
    base = np.repeat(grey * 0.6, 3, axis=2)
    d = np.clip(difference, 0, 1)[..., None]
    red = np.zeros_like(base)
    red[..., 2] = 255.0
    return np.clip(base * (1 - d) + red * d, 0, 255).astype(np.uint8)


class GoldenDialog(QDialog):
    def __init__(self, comparison: GoldenComparison, parent: QWidget | None = None):
        super().__init__(parent)
        self.c = comparison
        self.setObjectName("golden-dialog")
        g = comparison.golden
        self.setWindowTitle(
            self.tr("Golden sample {0} at {1}").format(g.sku, g.stage.value.replace("_", " "))
        )
        self.setMinimumSize(1200, 720)
        result = comparison.result
        self.piece_view = MarkingView()
        self.piece_view.setObjectName("golden-piece")
        self.piece_view.show_frame(comparison.piece)
        self.piece_view.overlay_painters.append(lambda p, vp: self._boxes(p, vp, True))
        self.golden_view = MarkingView()
        self.golden_view.setObjectName("golden-reference")
        self.golden_view.show_frame(comparison.reference)
        self.golden_view.overlay_painters.append(lambda p, vp: self._boxes(p, vp, False))
        self.single = MarkingView()
        self.single.setObjectName("golden-single")
        self.single.overlay_painters.append(lambda p, vp: self._boxes(p, vp, False))
        side = QWidget()
        pair = QHBoxLayout(side)
        pair.setContentsMargins(0, 0, 0, 0)
        for title, view in (
            (self.tr("This piece"), self.piece_view),
            (self.tr("Golden sample"), self.golden_view),
        ):
            col = QVBoxLayout()
            col.addWidget(QLabel(title))
            col.addWidget(view, 1)
            pair.addLayout(col, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(side)
        self.pages.addWidget(self.single)
        self.alpha = QSlider(Qt.Orientation.Horizontal)
        self.alpha.setObjectName("overlay-alpha")
        self.alpha.setRange(0, 100)
        self.alpha.setValue(50)
        self.alpha.valueChanged.connect(lambda _v: self._show_single())
        shortcut(self, "[", lambda: self.alpha.setValue(self.alpha.value() - 10))
        shortcut(self, "]", lambda: self.alpha.setValue(self.alpha.value() + 10))
        self.group = QButtonGroup(self)
        mode_row = QHBoxLayout()
        labels = (self.tr("Side by side"), self.tr("Overlay"), self.tr("Difference"))
        for n, (mode, label) in enumerate(zip(MODES, labels, strict=True), start=1):
            b = button(label, f"Ctrl+{n}")
            b.setObjectName(f"mode-{mode}")
            b.setCheckable(True)
            b.clicked.connect(lambda _c=False, m=mode: self.set_mode(m))
            shortcut(self, f"Ctrl+{n}", lambda m=mode: self.set_mode(m))
            self.group.addButton(b)
            mode_row.addWidget(b)
        mode_row.addWidget(QLabel(self.tr("piece")))
        mode_row.addWidget(self.alpha, 1)
        mode_row.addWidget(QLabel(self.tr("golden")))
        self.regions = QListWidget()
        self.regions.setObjectName("golden-regions")
        self.regions.setWordWrap(True)
        for k, r in enumerate(result.regions, start=1):
            x, y, w, h = r.box_in_piece
            self.regions.addItem(
                self.tr("{0}. at {1},{2} ({3}x{4} px), {5} px differ, strength {6:.0f}").format(
                    k, x, y, w, h, r.area, r.score
                )
            )
        self.regions.currentRowChanged.connect(self.zoom_to)
        verdict = (
            self.tr("{0} region(s) differ from the golden sample.").format(len(result.regions))
            if result.regions
            else self.tr("No region differs from the golden sample.")
        )
        self.verdict = QLabel(verdict)
        self.verdict.setObjectName("golden-verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet(
            "font-weight: bold; color: #b00020;" if result.regions else "font-weight: bold;"
        )
        info = muted(
            self.tr(
                "Set {0:%Y-%m-%d} by {1}. Aligned by {2} ({3} matching features). Small "
                "shifts and lighting changes are allowed for; the boxes mark what remains."
            ).format(g.set_at, g.set_by, result.method, result.inliers)
        )
        close = button(self.tr("Close"), "Esc")
        close.clicked.connect(self.reject)
        panel = QVBoxLayout()
        panel.addWidget(self.verdict)
        panel.addWidget(info)
        panel.addWidget(self.regions, 1)
        panel.addWidget(close)
        holder = QWidget()
        holder.setFixedWidth(340)
        holder.setLayout(panel)
        left = QVBoxLayout()
        left.addLayout(mode_row)
        left.addWidget(self.pages, 1)
        body = QHBoxLayout(self)
        body.addLayout(left, 1)
        body.addWidget(holder)
        self.mode = ""
        self.set_mode("difference" if result.regions else "side")

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        for b in self.group.buttons():
            b.setChecked(b.objectName() == f"mode-{mode}")
        self.alpha.setEnabled(mode == "overlay")
        if mode == "side":
            self.pages.setCurrentIndex(0)
        else:
            self.pages.setCurrentIndex(1)
            self._show_single()

    def _show_single(self) -> None:
        r = self.c.result
        if self.mode == "overlay":
            self.single.show_frame(blend(r.aligned, self.c.reference, self.alpha.value() / 100))
        elif self.mode == "difference":
            self.single.show_frame(heat(self.c.reference, r.difference))

    def zoom_to(self, row: int) -> None:
        if not 0 <= row < len(self.c.result.regions):
            return
        region = self.c.result.regions[row]
        for view, box in (
            (self.piece_view, region.box_in_piece),
            (self.golden_view, region.box),
            (self.single, region.box),
        ):
            vp = view.viewport
            if vp is None:
                continue
            x, y, w, h = box
            ww, wh = vp.widget_size
            zoom = min(ww / max(w * 4, 40), wh / max(h * 4, 40), Viewport.MAX_ZOOM)
            target = Viewport(vp.widget_size, vp.image_size, zoom, (x + w / 2, y + h / 2), False)
            view.set_viewport(target.resized(vp.widget_size))  # resized() keeps it on screen

    def _boxes(self, p: QPainter, vp: Viewport, in_piece: bool) -> None:
        for k, r in enumerate(self.c.result.regions):
            x, y, w, h = r.box_in_piece if in_piece else r.box
            x0, y0 = vp.to_widget((x, y))
            x1, y1 = vp.to_widget((x + w, y + h))
            chosen = k == self.regions.currentRow()
            for colour, width in (
                (QColor(0, 0, 0, 200), 4),
                (QColor("#ff3b30" if not chosen else "#00e5ff"), 2),
            ):
                p.setPen(QPen(colour, width))
                p.drawRect(QRectF(x0 - 3, y0 - 3, x1 - x0 + 6, y1 - y0 + 6))
            p.setPen(QColor("#ffffff"))
            p.drawText(QRectF(x0 - 3, y0 - 20, 40, 16), str(k + 1))
