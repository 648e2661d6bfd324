"""The self-test's window check renders the real main window and keeps the picture."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage

from qcstation.services.context import Station
from qcstation.ui import selftest_window


def test_renders_the_main_window_offscreen(ui_station: Station) -> None:
    detail = selftest_window.render_main_window(ui_station)
    assert "1280x800 on the offscreen platform" in detail
    png = Path(ui_station.location.data_dir) / "selftest-window.png"
    image = QImage(str(png))
    assert (image.width(), image.height()) == selftest_window.SIZE
