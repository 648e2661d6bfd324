"""The self-test's window check renders the real main window and keeps the picture."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from qcstation.services.context import Station
from qcstation.ui import selftest_window


def test_renders_the_main_window_offscreen(ui_station: Station) -> None:
    detail = selftest_window.render_main_window(ui_station)
    assert "1280x800 on the offscreen platform" in detail
    png = Path(ui_station.location.data_dir) / "selftest-window.png"
    image = QImage(str(png))
    assert (image.width(), image.height()) == selftest_window.SIZE


def test_a_window_that_cannot_be_built_leaves_nothing_behind(
    ui_station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resources gone mid-build (the self-test's case): the error goes up, and no half-built
    window stays in the application to fail when it is closed later."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    from qcstation.ui import application
    from qcstation.ui.main_window import MainWindow
    from qcstation.ui.pages import checklist

    def lost(*_a: object, **_k: object) -> None:
        raise FileNotFoundError("qcstation's resources are missing")

    monkeypatch.setattr(checklist.ChecklistPage, "__init__", lost)
    with pytest.raises(FileNotFoundError):
        application.build_window(ui_station, ui_station.location)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)] == []

    half = MainWindow()
    with pytest.raises(FileNotFoundError):
        application.attach_workspace(half, ui_station, ui_station.location)
    assert not half.attached and half.close()  # closes as a window that never opened
