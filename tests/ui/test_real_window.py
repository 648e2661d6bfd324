"""The window in a real X server (Xvfb), not the offscreen platform: it opens, paints and
answers a key, and a screenshot of the screen shows it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from ..conftest import require_tools

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest
    from qcstation import config
    from qcstation.services import demo
    from qcstation.services.context import connect
    from qcstation.ui.application import application, build_window

    out, data = Path(sys.argv[1]), Path(sys.argv[2])
    app = application()
    assert QGuiApplication.platformName() == "xcb", QGuiApplication.platformName()
    station = connect(config.resolve(data))
    demo.ensure_demo_users(station)
    win, ctx = build_window(station, station.location)
    win.show()
    QTest.qWaitForWindowExposed(win, 10000)
    win.activateWindow()
    QTest.qWait(300)
    win.login.username.setText("ines")
    win.login.password.setText("ines-demo-pass")
    QTest.keyClick(win.login.password, Qt.Key.Key_Return)
    deadline = time.monotonic() + 20
    while ctx.user is None and time.monotonic() < deadline:
        QTest.qWait(50)
    QTest.qWait(300)
    screen = QGuiApplication.primaryScreen()
    screen.grabWindow(0).save(str(out))
    print("signed-in:", ctx.user.username if ctx.user else None)
    win.close()
    ctx.tasks.wait()
    station.close()
    """
)


def free_display() -> int:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


def test_real_window_under_xvfb(tmp_path: Path) -> None:
    require_tools("Xvfb")
    xvfb = shutil.which("Xvfb")
    assert xvfb is not None
    n = free_display()
    server = subprocess.Popen(
        [xvfb, f":{n}", "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            assert server.poll() is None, "Xvfb exited"
            assert time.monotonic() < deadline, "Xvfb did not start"
            time.sleep(0.05)
        env = {**os.environ, "DISPLAY": f":{n}", "QT_QPA_PLATFORM": "xcb"}
        shot = tmp_path / "screen.png"
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(shot), str(tmp_path / "data")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "signed-in: ines" in proc.stdout
        from PySide6.QtGui import QImage

        image = QImage(str(shot))
        assert (image.width(), image.height()) == (1440, 900)
        colours = {image.pixel(x, y) for x in range(0, 1440, 37) for y in range(0, 900, 29)}
        assert len(colours) > 5, "the screen is blank"
    finally:
        server.terminate()
        server.wait(10)
