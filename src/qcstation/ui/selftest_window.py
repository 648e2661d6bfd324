"""The self-test's window check: build the real main window on the self-test's station
and render it, offscreen when there is no display.

With a display the platform plugin the station will use (windows, cocoa, xcb) is
loaded, which is what a support call needs to know works; the window is rendered
without being shown, so nothing flashes on the inspector's screen.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication

from qcstation.services.context import Station
from qcstation.ui import application

SIZE = (1280, 800)


def render_main_window(station: Station) -> str:
    if not application.has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    window, ctx = application.build_window(station, station.location)
    try:
        window.resize(*SIZE)
        end = time.monotonic() + 20
        while ctx.pending and time.monotonic() < end:
            QCoreApplication.processEvents()
            time.sleep(0.01)
        QCoreApplication.processEvents()
        image = window.grab().toImage()
        if image.isNull() or image.width() < SIZE[0] // 2:
            raise RuntimeError(f"the window rendered as a {image.width()}x{image.height()} image")
        path = station.location.data_dir / "selftest-window.png"
        if not image.save(str(path)):
            raise RuntimeError(f"could not save the rendering to {path}")
        # A blank or one-colour grab means the widgets did not paint.
        colours = {
            image.pixel(x, y)
            for x in range(0, image.width(), 16)
            for y in range(0, image.height(), 16)
        }
        if len(colours) < 8:
            raise RuntimeError(f"the window rendered nearly blank ({len(colours)} colours)")
        platform = QGuiApplication.platformName()
        size = f"{image.width()}x{image.height()}"
        return f"{size} on the {platform} platform, {len(colours)} colours sampled"
    finally:
        ctx.wait()
        window.close()
        window.deleteLater()
        QCoreApplication.processEvents()
