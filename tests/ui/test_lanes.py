"""Two lanes: answers are saved on the database lane while slow work runs on the work lane.

Driven by keys on the real window over a real SQLite station. The slow job is held at a
gate (a threading.Event) so the test knows it is still running when the answer is typed:
every assertion is about order and completion, none about time.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from qcstation import config
from qcstation.domain.inspections import Inspection, Outcome
from qcstation.domain.stages import Stage
from qcstation.imaging import threads
from qcstation.services import inspections
from qcstation.ui.context import UiContext
from qcstation.ui.offline_sync import OfflineSync
from qcstation.ui.pages import stack_dialog
from qcstation.ui.pages.checklist import ChecklistPage
from qcstation.ui.pages.stack_dialog import StackDialog
from qcstation.ui.tasks import Cancelled, Job, TaskRunner

from .conftest import WAIT_MS, Driver
from .test_stack_dialog import PieceFeed

K = Qt.Key
GATE_S = 60  # a gate the test forgets frees itself rather than hang the suite


class Gate:
    """Holds every call of ``fn`` until opened; ``entered`` is set once one is held."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        self.opened.wait(GATE_S)
        return self.fn(*args, **kwargs)


def open_casting(d: Driver) -> tuple[ChecklistPage, Inspection]:
    d.sign_in("ines")
    ins = inspections.start(d.ctx.station, d.ctx.actor, Stage.CASTING, "JT-L", "RG-1", "SN-L")
    d.win.open_inspection(ins)
    d.settle()
    page = d.win.checklist
    d.type("F-1")  # the flask number
    d.press(K.Key_Return)
    assert page.editor.item is not None and page.editor.item.id == "fill"
    return page, ins


def saves_done(d: Driver) -> None:
    """The database lane is idle and its results delivered (the work lane may still run)."""
    d.qtbot.waitUntil(lambda: d.ctx.tasks.pending == 0, timeout=WAIT_MS)


def taken_stack(qtbot: QtBot, d: Driver, ins: Inspection, gate: Gate) -> StackDialog:
    """A stack dialog whose frames are taken and whose fusing is held at the gate."""
    dialog = StackDialog(d.ctx, PieceFeed(), ins.id, "fill", None, "1.0x", d.win)
    dialog.count.setValue(3)
    dialog.show()  # not modal here: the test types into the checklist beside it
    dialog.start()
    qtbot.waitUntil(gate.entered.is_set, timeout=WAIT_MS)
    assert dialog.job is not None and not dialog.job.cancelled
    return dialog


def evidence_count(ctx: UiContext, ins: Inspection) -> int:
    return len(inspections.evidence_of(ctx.station, ins.id))


@pytest.fixture
def held_fusing(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    gate = Gate(stack_dialog.focus_stack)
    monkeypatch.setattr(stack_dialog, "focus_stack", gate)
    yield gate
    gate.opened.set()


def test_an_answer_saved_while_a_stack_fuses_is_stored_and_shown_first(
    qtbot: QtBot, driver: Driver, held_fusing: Gate
) -> None:
    d = driver
    page, ins = open_casting(d)
    dialog = taken_stack(qtbot, d, ins, held_fusing)
    busy = d.win.busy
    assert busy.isVisible() and "Fusing a focus stack" in busy.label.text()
    # back at the checklist: P passes "fill" while the stack is still being fused
    d.win.activateWindow()
    qtbot.waitUntil(lambda: d.win.isActiveWindow(), timeout=WAIT_MS)
    page.editor.setFocus()
    qtbot.keyClick(d.focus(), K.Key_P)
    saves_done(d)
    assert not held_fusing.opened.is_set() and dialog.job is not None  # still fusing
    assert inspections.get(d.ctx.station, ins.id).answers[("fill", None)].outcome is Outcome.PASS
    assert page.inspection is not None
    assert page.inspection.answers[("fill", None)].outcome is Outcome.PASS  # shown
    fill = next(i for i, (it, _p, _) in enumerate(page.steps) if it.id == "fill")
    assert page.list.item(fill).text().startswith("✓")  # its row is ticked
    # then the stack ends, and is fused
    held_fusing.opened.set()
    qtbot.waitUntil(lambda: dialog.stack is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not busy.isVisible(), timeout=WAIT_MS)
    dialog.close()


def test_esc_cancels_a_stack_being_fused_and_nothing_is_written(
    qtbot: QtBot, driver: Driver, held_fusing: Gate
) -> None:
    d = driver
    _page, ins = open_casting(d)
    dialog = taken_stack(qtbot, d, ins, held_fusing)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(dialog, K.Key_Escape)
    assert dialog.isVisible(), "the first Esc stops the stack, it does not close the dialog"
    assert dialog.summary.text() == "Cancelling…"
    held_fusing.opened.set()  # the job reaches its next frame and stops there
    qtbot.waitUntil(lambda: dialog.job is None, timeout=WAIT_MS)
    assert dialog.summary.text() == "Cancelled: nothing of this stack was saved."
    assert dialog.stack is None and dialog.frames == [] and not dialog.save_button.isEnabled()
    qtbot.waitUntil(lambda: not d.win.busy.isVisible(), timeout=WAIT_MS)
    assert d.ctx.errors.shown == []  # a cancel is not a problem
    assert evidence_count(d.ctx, ins) == 0
    qtbot.keyClick(dialog, K.Key_Escape)  # nothing runs now: Esc closes
    assert not dialog.isVisible()


def test_cancel_while_saving_a_stack_writes_nothing(
    qtbot: QtBot, driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = driver
    _page, ins = open_casting(d)
    gate = Gate(stack_dialog.microscope.capture_stack)
    monkeypatch.setattr(stack_dialog.microscope, "capture_stack", gate)
    dialog = StackDialog(d.ctx, PieceFeed(), ins.id, "fill", None, "1.0x", d.win)
    dialog.count.setValue(3)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.stack is not None, timeout=WAIT_MS)
    qtbot.keyClick(dialog, K.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(gate.entered.is_set, timeout=WAIT_MS)
    assert d.win.busy.isVisible() and "Saving a focus stack" in d.win.busy.label.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    gate.opened.set()  # it stops before the first frame is encoded
    qtbot.waitUntil(lambda: dialog.job is None, timeout=WAIT_MS)
    assert dialog.summary.text() == "Cancelled: nothing of this stack was saved."
    assert dialog.isVisible()
    assert evidence_count(d.ctx, ins) == 0
    assert d.ctx.errors.shown == []
    dialog.close()


def test_the_busy_indicator_cancels_the_newest_job_and_goes_away(qtbot: QtBot) -> None:
    errors: list[BaseException] = []
    lane = TaskRunner(errors.append, threads=2, name="work", background=True)
    from qcstation.ui.busy import BusyIndicator

    bar = QWidget()
    qtbot.addWidget(bar)
    busy = BusyIndicator(lane, bar)
    bar.show()
    assert not busy.isVisible()  # nothing runs
    release = threading.Event()
    steps: list[int] = []
    cancelled: list[str] = []

    def job(j: Job) -> str:
        for i in range(100):
            j.step(i, 100)
            steps.append(i)
            release.wait(GATE_S)
        return "done"

    results: list[Any] = []
    first = lane.start_job(job, results.append, label="Counting", on_cancelled=lambda: None)
    qtbot.waitUntil(lambda: busy.isVisible() and busy.bar.maximum() == 100, timeout=WAIT_MS)
    assert busy.label.text() == "Counting…"
    busy.cancel_button.click()
    assert first.cancelled
    second = lane.start_job(
        lambda j: "quick", results.append, label="Quick", on_cancelled=lambda: cancelled.append("q")
    )
    release.set()
    qtbot.waitUntil(lambda: not busy.isVisible(), timeout=WAIT_MS)
    assert results == ["quick"]  # the cancelled job delivered nothing
    assert not second.cancelled and cancelled == [] and errors == []
    assert len(steps) == 1  # it stopped at its next step
    lane.wait()


def test_a_job_cancelled_before_it_starts_never_runs(qtbot: QtBot) -> None:
    lane = TaskRunner(lambda e: None, threads=1, name="work")
    gate = threading.Event()
    ran: list[str] = []
    said: list[str] = []
    lane.start_job(lambda j: gate.wait(GATE_S), label="first")
    second = lane.start_job(
        lambda j: ran.append("x"), label="second", on_cancelled=lambda: said.append("c")
    )
    second.cancel()
    gate.set()
    qtbot.waitUntil(lambda: lane.pending == 0, timeout=WAIT_MS)
    assert ran == [] and said == ["c"]
    with pytest.raises(Cancelled, match="second: cancelled"):
        second.check()


class SilentServer:
    """A TCP port that accepts connections and never answers, until it hangs up."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        self.held: list[socket.socket] = []
        self.accepted = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()


def test_a_sync_to_a_server_that_never_answers_does_not_hold_up_a_save(
    qtbot: QtBot, driver: Driver, tmp_path: Path
) -> None:
    d = driver
    page, ins = open_casting(d)
    server = SilentServer()
    try:
        url = f"postgresql+psycopg://qc@127.0.0.1:{server.port}/qcstation"
        sync = OfflineSync(d.ctx, config.resolve(tmp_path / "plant", url), QLabel(), d.win)
        sync.timer.stop()
        sync.attempt()
        qtbot.waitUntil(server.accepted.is_set, timeout=WAIT_MS)  # connected, waiting forever
        assert sync.busy
        assert "Sending to the plant server" in d.win.busy.label.text()
        page.editor.setFocus()
        qtbot.keyClick(d.focus(), K.Key_P)  # pass "fill" while the sync hangs
        saves_done(d)
        assert sync.busy, "the save came back while the sync attempt still waited"
        stored = inspections.get(d.ctx.station, ins.id)
        assert stored.answers[("fill", None)].outcome is Outcome.PASS
        assert page.inspection is not None
        assert page.inspection.answers[("fill", None)].outcome is Outcome.PASS
    finally:
        server.close()  # the server hangs up: the attempt ends at once
    qtbot.waitUntil(lambda: not sync.busy, timeout=WAIT_MS)
    assert "does not answer" in sync.note.text()
    qtbot.waitUntil(lambda: not d.win.busy.isVisible(), timeout=WAIT_MS)


def test_the_focus_bar_is_measured_off_the_gui_thread(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qcstation.imaging.focus import FocusMeter
    from qcstation.imaging.source import Mode
    from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
    from qcstation.ui.live_camera import GrabberFeed

    where: list[threading.Thread] = []
    real = FocusMeter.update

    def update(self: FocusMeter, image: Any) -> Any:
        where.append(threading.current_thread())
        return real(self, image)

    monkeypatch.setattr(FocusMeter, "update", update)
    mode = Mode(320, 240, 30, "MJPG")
    feed = GrabberFeed(SyntheticCamera(SyntheticConfig(seed=2, mode=mode, modes=(mode,)))).start()
    try:
        qtbot.waitUntil(lambda: feed.latest() is not None and bool(where), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: feed.focus_level > 0, timeout=WAIT_MS)
    finally:
        feed.stop()
    assert threading.main_thread() not in where  # the GUI thread only reads the level


def test_once_is_made_by_whoever_asks_first_and_its_error_reaches_every_asker() -> None:
    from qcstation.ui.tasks import Once

    started, go = threading.Event(), threading.Event()
    calls: list[str] = []

    def make() -> str:
        calls.append(threading.current_thread().name)
        started.set()
        go.wait(GATE_S)
        return "encoded"

    made = Once(make)
    got: list[str] = []
    first = threading.Thread(target=lambda: got.append(made.get()), name="work lane")
    first.start()
    assert started.wait(GATE_S)
    second = threading.Thread(target=lambda: got.append(made.get()), name="database lane")
    second.start()  # waits for the one being made, does not make another
    go.set()
    first.join(GATE_S)
    second.join(GATE_S)
    assert got == ["encoded", "encoded"] and calls == ["work lane"]

    def refuse() -> str:
        raise ValueError("the camera is gone")

    failing = Once(refuse)
    for _ in range(2):
        with pytest.raises(ValueError, match="the camera is gone"):
            failing.get()


def test_the_window_leaves_a_core_free_of_opencv(
    window: tuple[Any, UiContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    """OpenCV's pool took every core: a focus stack on the work lane then slowed the saves
    on the database lane (bench/save_latency.py). The window leaves one core to them."""
    assert cv2.getNumThreads() == max(1, threads.usable_cores() - 1)
    as_the_window_left_it = cv2.getNumThreads()
    try:
        monkeypatch.setattr(threads, "usable_cores", lambda: 8)
        assert threads.leave_a_core() == 7 and cv2.getNumThreads() == 7
        monkeypatch.setattr(threads, "usable_cores", lambda: 1)  # never none
        assert threads.leave_a_core() == 1 and cv2.getNumThreads() == 1
    finally:  # OpenCV's setting is the process's: the next test gets it as it was
        cv2.setNumThreads(as_the_window_left_it)
