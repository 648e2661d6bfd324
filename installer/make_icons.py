"""Render resources/icons/qcstation.svg to the PNG, ICO and ICNS files the bundles use.

    .venv/bin/python installer/make_icons.py

Run it after changing the SVG and commit the results: the build machines then need
neither an SVG renderer nor macOS's iconutil. Qt renders the SVG (QtSvg ships with
PySide6-Essentials); Pillow (which ReportLab brings) writes the .ico and .icns.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SVG = ICONS / "qcstation.svg"
# Windows asks for 16-256 px; macOS for 16-1024 px (the .icns carries each size once).
ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
ICNS_SIZES = [16, 32, 64, 128, 256, 512, 1024]


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot render {SVG}", file=sys.stderr)
        return 1
    big = {s: render(renderer, s) for s in sorted(set(ICO_SIZES + ICNS_SIZES))}
    big[256].save(ICONS / "qcstation.png")
    big[1024].save(ICONS / "qcstation-1024.png")
    big[256].save(
        ICONS / "qcstation.ico",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[big[s] for s in ICO_SIZES if s != 256],
    )
    # Pillow builds every ICNS entry from the largest image (and from append_images of
    # the same size: each one rendered from the SVG, not scaled down from 1024 px).
    big[1024].save(
        ICONS / "qcstation.icns", append_images=[big[s] for s in ICNS_SIZES if s != 1024]
    )
    for name in ("qcstation.png", "qcstation-1024.png", "qcstation.ico", "qcstation.icns"):
        print(f"{ICONS / name}: {(ICONS / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
