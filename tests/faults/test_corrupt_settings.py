"""A damaged settings file: the station starts on the defaults and says which file and why,
on the command line and in the window; saving settings is atomic."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.security.test_files_and_yaml import billion_laughs

from qcstation import config

DAMAGE = {
    "yaml syntax": b"station_name: [unclosed\n",
    "binary garbage": bytes(range(256)) * 4,
    "not utf-8": "station_name: caf\u00e9\n".encode("latin-1"),
    "a list": b"- one\n- two\n",
    "wrong type": b"idle_lock_minutes: many\n",
    "out of range": b"idle_lock_minutes: 100000\n",
    "unknown setting": b"stattion_name: typo\n",
    "a yaml tag": b"station_name: !!python/object/apply:os.system ['true']\n",
    "cut short": b'plant_name: "Acme',
    # A restored backup brings its settings file: these hung or crashed every start.
    "billion laughs": billion_laughs().encode("utf-8"),
    "deep nesting": b"station_name: " + b"[" * 50_000 + b"]" * 50_000 + b"\n",
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_damaged_settings_give_defaults_and_a_warning(tmp_path: Path, damage: bytes) -> None:
    (tmp_path / "settings.yaml").write_bytes(damage)
    started = time.monotonic()
    loc = config.resolve(tmp_path)
    assert time.monotonic() - started < 5
    assert loc.settings == config.Settings(station_name=loc.settings.station_name)
    assert loc.settings.idle_lock_minutes == 5
    (warning,) = loc.warnings
    assert str(tmp_path / "settings.yaml") in warning
    assert "starting with default settings" in warning and "fix or delete the file" in warning
    assert (tmp_path / "settings.yaml").read_bytes() == damage  # left for a person to fix


def test_the_command_line_says_so_and_carries_on(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_bytes(DAMAGE["binary garbage"])
    proc = subprocess.run(
        [sys.executable, "-m", "qcstation", "template", "list", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QCSTATION_DATABASE_URL": ""},
    )
    assert "warning: the settings file" in proc.stderr and "default settings" in proc.stderr
    assert "qcstation init" in proc.stderr  # and went on to the real answer
    assert "Traceback" not in proc.stderr


def test_the_window_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str) -> None:
    from qcstation.services import setup
    from qcstation.services.context import connect
    from qcstation.ui import application

    (tmp_path / "settings.yaml").write_bytes(DAMAGE["wrong type"])
    loc = config.resolve(tmp_path, f"sqlite:///{tmp_path / 'qcstation.db'}")
    station = connect(loc)
    setup.init(station, "alice", password)
    from PySide6.QtWidgets import QMessageBox

    window, ctx = application.build_window(station, loc)
    try:
        boxes = [
            b for b in window.findChildren(QMessageBox) if b.objectName() == "location-warning"
        ]
        assert len(boxes) == 1 and "starting with default settings" in boxes[0].text()
        assert boxes[0].isVisible()  # shown without holding the window up
    finally:
        window.close()
        ctx.tasks.wait()
        station.close()


def test_saving_settings_replaces_the_file_whole(tmp_path: Path) -> None:
    config.save_settings(tmp_path, config.Settings(station_name="bench 7", idle_lock_minutes=9))
    loc = config.resolve(tmp_path)
    assert loc.settings.station_name == "bench 7" and not loc.warnings
    assert not list(tmp_path.glob("*.tmp"))
