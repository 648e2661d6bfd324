"""The focus stacking dialog on the synthetic piece (ground truth: the all-in-focus image):
a focus sweep on a camera with a focus control, a burst on one without, and the stack saved
as linked evidence in one go."""

from __future__ import annotations

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from qcstation.domain.stages import Stage
from qcstation.imaging.focus import focus_score
from qcstation.imaging.frames import Frame
from qcstation.imaging.metrics import ssim
from qcstation.imaging.source import Capabilities, Control, ControlResult, Mode
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
from qcstation.services import accounts, inspections
from qcstation.store import evidence
from qcstation.ui.context import UiContext
from qcstation.ui.main_window import MainWindow
from qcstation.ui.pages.stack_dialog import StackDialog

from .conftest import PASSWORDS, WAIT_MS

MODE = Mode(480, 360, 30, "MJPG")


class PieceFeed:
    """The synthetic piece seen the way the panel sees a camera; every poll is a new frame."""

    def __init__(self, controls: bool = True) -> None:
        kw = {} if controls else {"controls": frozenset()}
        self.cam = SyntheticCamera(
            SyntheticConfig(seed=4, mode=MODE, modes=(MODE,), realtime=False, **kw)  # type: ignore[arg-type]
        )
        self.cam.open()
        self.sweep: list[float] = []

    def latest(self) -> tuple[np.ndarray, int] | None:
        f = self.cam.read()
        return f.image, f.seq

    def status(self) -> str:
        return "synthetic piece (test)"

    def capabilities(self) -> Capabilities:
        return self.cam.capabilities()

    def set_control(self, control: Control, value: float) -> ControlResult:
        self.sweep.append(value)
        return self.cam.set_control(control, value)


def open_dialog(
    qtbot: QtBot, win: MainWindow, ctx: UiContext, feed: PieceFeed
) -> tuple[StackDialog, str]:
    ctx.user = accounts.login(ctx.station, "ines", PASSWORDS["ines"])
    ins = inspections.start(ctx.station, ctx.user, Stage.STONE_SETTING, "JT-5", "RG-1", "SN5")
    d = StackDialog(ctx, feed, ins.id, None, None, "1.0x", win)
    d.resize(1200, 720)
    d.open()
    qtbot.waitExposed(d)
    return d, ins.id


def test_a_focus_sweep_fuses_sharper_than_every_frame_and_is_saved_linked(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    feed = PieceFeed()
    d, ins_id = open_dialog(qtbot, win, ctx, feed)
    assert d.sweeps and d.near.isEnabled() and not d.interval.isEnabled()
    lo, hi = feed.cam.truth.depth_range
    d.near.setValue(lo + 0.1)
    d.far.setValue(hi - 0.05)
    d.start()
    qtbot.waitUntil(lambda: d.stack is not None, timeout=WAIT_MS)
    assert feed.sweep == pytest.approx(list(np.linspace(lo + 0.1, hi - 0.05, 5)), abs=1e-3)
    assert d.stack is not None
    fused = focus_score(d.stack.image)
    assert all(fused > focus_score(f.image) for f in d.frames)
    assert ssim(d.stack.image, feed.cam.all_in_focus()) >= 0.9
    assert "Fused" in d.summary.text()
    with qtbot.waitSignal(d.stack_saved, timeout=WAIT_MS) as got:
        d.save()
    stored = inspections.evidence_of(ctx.station, ins_id)
    assert len(stored) == 6
    fused_info = got.args[0].evidence
    assert fused_info.id == stored[-1].id
    from sqlalchemy import select

    from qcstation.store.models import EvidenceRow

    with ctx.station.db.read() as s:
        metas = {r.sha256: dict(r.meta) for r in s.scalars(select(EvidenceRow))}
    assert metas[fused_info.sha256]["source_sha256"] == [e.sha256 for e in stored[:5]]
    assert metas[fused_info.sha256]["stack_role"] == "fused"


def test_without_a_focus_control_it_takes_a_burst(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    feed = PieceFeed(controls=False)
    d, _ins = open_dialog(qtbot, win, ctx, feed)
    assert not d.sweeps and not d.near.isEnabled() and d.interval.isEnabled()
    d.count.setValue(3)
    d.interval.setValue(30)
    d.start()
    qtbot.waitUntil(lambda: d.stack is not None, timeout=WAIT_MS)
    assert len(d.frames) == 3 and feed.sweep == []
    assert len({f.seq for f in d.frames}) == 3


def test_a_full_disk_saves_nothing_of_the_stack(
    qtbot: QtBot, window: tuple[MainWindow, UiContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    win, ctx = window
    feed = PieceFeed()
    d, ins_id = open_dialog(qtbot, win, ctx, feed)
    d.count.setValue(3)
    d.start()
    qtbot.waitUntil(lambda: d.stack is not None, timeout=WAIT_MS)
    calls = {"n": 0}
    real = evidence.os.fsync

    def fills_up(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] > 3:  # the disk fills after the first frame is stored
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(evidence.os, "fsync", fills_up)
    d.save()
    qtbot.waitUntil(lambda: "free disk space" in d.summary.text(), timeout=WAIT_MS)
    monkeypatch.undo()
    assert inspections.evidence_of(ctx.station, ins_id) == []  # no partial stack recorded
    assert d.save_button.isEnabled()  # the fused result is still there to retry
    assert inspections.get(ctx.station, ins_id).status.value == "in_progress"


class UnpluggedAfter(PieceFeed):
    """Sends ``good`` frames, then repeats the last one (a camera pulled out mid-burst)."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self.good, self.last = good, None

    def latest(self) -> tuple[np.ndarray, int] | None:
        if self.good > 0:
            self.good -= 1
            self.last = super().latest()
        return self.last


def test_a_camera_unplugged_mid_stack_says_so_and_saves_nothing(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    feed = UnpluggedAfter(good=4)
    d, ins_id = open_dialog(qtbot, win, ctx, feed)
    d.start()
    qtbot.waitUntil(lambda: "stopped sending pictures" in d.summary.text(), timeout=WAIT_MS)
    assert d.frames == [] and d.stack is None and not d.save_button.isEnabled()
    assert d.start_button.isEnabled()
    assert inspections.evidence_of(ctx.station, ins_id) == []


class GrabbingFeed(PieceFeed):
    """Keeps the Frame it last gave out and reports problems, as the grabber's feed does."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[Frame] = []
        self.said: str | None = None

    def latest(self) -> tuple[np.ndarray, int] | None:
        self.given.append(self.cam.read())
        return self.given[-1].image, self.given[-1].seq

    def newest(self) -> Frame | None:
        return self.given[-1] if self.given else None

    def problem(self) -> str | None:
        return self.said


def test_stack_frames_are_the_cameras_own_and_a_reported_problem_stops_it(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    from datetime import datetime, timezone

    from sqlalchemy import select

    from qcstation.store.models import EvidenceRow

    win, ctx = window
    feed = GrabbingFeed()
    d, ins_id = open_dialog(qtbot, win, ctx, feed)
    d.count.setValue(3)
    d.start()
    qtbot.waitUntil(lambda: d.stack is not None, timeout=WAIT_MS)
    assert all(any(f is g for g in feed.given) for f in d.frames)  # not copies stamped later
    with qtbot.waitSignal(d.stack_saved, timeout=WAIT_MS):
        d.save()
    with ctx.station.db.read() as s:
        metas = [dict(r.meta) for r in s.scalars(select(EvidenceRow).order_by(EvidenceRow.id))]
    sources = [m for m in metas if m["stack_role"] == "source"]
    assert [m["frame_seq"] for m in sources] == [f.seq for f in d.frames]
    assert [m["taken_at"] for m in sources] == [
        datetime.fromtimestamp(f.wall_time, timezone.utc).isoformat() for f in d.frames
    ]
    assert all(m["frozen"] is False for m in metas)
    assert len(inspections.evidence_of(ctx.station, ins_id)) == 4


def test_a_camera_that_reports_a_problem_takes_no_stack(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    feed = GrabbingFeed()
    d, ins_id = open_dialog(qtbot, win, ctx, feed)
    feed.said = "Camera 0 was unplugged"
    d.start()
    assert "not sending pictures (Camera 0 was unplugged)" in d.summary.text()
    assert not d.timer.isActive() and d.frames == [] and d.start_button.isEnabled()
    feed.said = None
    d.count.setValue(25)  # far from done when the cable goes
    d.start()
    qtbot.waitUntil(lambda: len(d.frames) >= 2, timeout=WAIT_MS)
    feed.said = "no picture from Camera 0 for 1.2 s; check the cable"  # pulled mid-sweep
    qtbot.waitUntil(lambda: "stopped sending pictures" in d.summary.text(), timeout=WAIT_MS)
    assert "check the cable" in d.summary.text()
    assert d.frames == [] and d.stack is None and not d.save_button.isEnabled()
    assert inspections.evidence_of(ctx.station, ins_id) == []
