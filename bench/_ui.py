"""Helpers shared by the window benchmarks (ui_memory, ui_responsiveness); not a benchmark.

The scripted inspection is played *from the event loop*: a generator decides the next key
from what the window shows, ``ScriptPlayer`` sends that one key to the widget that has the
keyboard focus (``QTest.keyClick``: a press and a release, through the shortcut map, like
a keyboard), then lets the event loop run until the worker is idle and its results have
been delivered, then sends the next key. Nothing sleeps and nothing spins
``processEvents`` on the GUI thread while waiting: the waiting is done by the real event
loop (``QEventLoop.exec``), polled by 1 ms timers, so a latency probe on the same loop sees
what the application does with each key, not what the driver does.

The walk (as in tests/ui/test_inspection_walk.py): sign in as ines by keys, scan a job
ticket ("JOB|SKU|SERIAL" and Enter, as a barcode scanner types it), Ctrl+Enter to start,
answer every item (P for pass/fail, digits and Enter for readings, text and Enter, a digit
for a choice), Ctrl+Enter on the summary to complete, Enter for the next piece. With
``fail=True`` one pass/fail item that needs only a defect (no photo) is failed with F and
the defect form is saved with Enter (the item's suggested code).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QEventLoop,
    QMessageLogContext,
    QObject,
    Qt,
    QTimer,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from qcstation import config
from qcstation.domain.stages import Stage
from qcstation.domain.templates import (
    ChoiceItem,
    FollowUp,
    MeasurementItem,
    PassFailItem,
    PhotoItem,
    TextItem,
)
from qcstation.services import demo
from qcstation.services.context import Station, connect, open_station
from qcstation.ui.application import build_window
from qcstation.ui.context import UiContext
from qcstation.ui.main_window import MainWindow

K = Qt.Key
NO_MOD = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
PASSWORDS = {u: p for u, p, _r, _n in demo.DEMO_USERS}


# --------------------------------------------------------------------------- memory


def rss_mb() -> float:
    """Resident set size of this process in MB (VmRSS from /proc; psutil elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    try:
        import psutil  # only where /proc is missing
    except ImportError as exc:
        raise RuntimeError("no /proc/self/status and no psutil: cannot read RSS") from exc
    return float(psutil.Process().memory_info().rss) / 2**20


def settle_memory() -> None:
    """Let deferred deletes run and collect garbage before a memory reading."""
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
        gc.collect()


# --------------------------------------------------------------------------- refcounts

# Some PySide6 builds (seen: 6.12.0 on CPython 3.11) drop a reference they do not own on
# every Signal.emit() (to True) and every call returning void/nullptr (to None). From
# Python 3.12 these objects are immortal and nothing happens; before, the count reaches
# zero after enough calls and the process aborts ("Fatal Python error: bool_dealloc").
# A benchmark that must finish can hold extra references ("ballast") to survive; it
# reports what it found, and how long the app itself would last.
SINGLETONS = {"True": True, "False": False, "None": None}
_ballast: list[object] = []


def singleton_refs() -> dict[str, int]:
    return {name: sys.getrefcount(obj) for name, obj in SINGLETONS.items()}


class _Emitter(QObject):
    ping = Signal()


def refcount_loss(calls: int = 20) -> dict[str, float]:
    """References to True and None lost per ``emit()`` and per void call (0.0: no bug)."""
    if sys.version_info >= (3, 12):
        return {"emit": 0.0, "void": 0.0}  # immortal singletons: nothing to lose
    probe = _Emitter()
    before = sys.getrefcount(True)
    for _ in range(calls):
        probe.ping.emit()
    emit = (before - sys.getrefcount(True)) / calls
    before = sys.getrefcount(None)
    for _ in range(calls):
        probe.setObjectName("probe")
    void = (before - sys.getrefcount(None)) / calls
    return {"emit": emit, "void": void}


def hold_ballast(references: int) -> None:
    """Keep ``references`` extra references to True, False and None for the process."""
    _ballast.extend([True, False, None] * references)


# --------------------------------------------------------------------------- station


def prepare_data_dir(data_dir: Path, inspections: int) -> float:
    """Demo users (and ``inspections`` demo records) in a fresh data directory; seconds."""
    t0 = time.perf_counter()
    station = connect(config.resolve(data_dir))
    try:
        if inspections > 0:
            demo.fill(station, count=inspections)
        else:
            demo.ensure_demo_users(station)
    finally:
        station.close()
    return time.perf_counter() - t0


def isolate_qt_environment() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for name in ("QCSTATION_DATA_DIR", "QCSTATION_DATABASE_URL", "QCSTATION_PASSWORD"):
        os.environ.pop(name, None)


# Harmless Qt warnings that would bury the table: the offscreen platform cannot resize to
# size hints, and QTest notes every key a widget leaves to its parent (Enter in a field).
_QUIET = ("propagateSizeHints", "Keyboard event not accepted")


def quiet_qt_warnings() -> None:
    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if not any(q in message for q in _QUIET):
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(handler)


class StillCamera:
    """A camera that always shows the same rendered piece (as in tests/ui/conftest.py)."""

    def __init__(self) -> None:
        from qcstation.imaging.scenes import render_piece

        self.frame = render_piece(11, 640, 480)
        self.seq = 0

    def latest(self) -> tuple[Any, int]:
        self.seq += 1
        return self.frame, self.seq

    def status(self) -> str:
        return "still camera (bench)"


@dataclass
class Bench:
    station: Station
    window: MainWindow
    ctx: UiContext


def open_window(data_dir: Path, camera: bool = False) -> Bench:
    """The real composition: open_station on the data directory, build_window, show."""
    loc = config.resolve(data_dir)
    station = open_station(loc)
    window, ctx = build_window(station, loc, StillCamera() if camera else None)
    window.show()
    if not QTest.qWaitForWindowExposed(window, 10_000):
        raise RuntimeError("the main window was never exposed")
    window.activateWindow()
    return Bench(station, window, ctx)


def close_window(b: Bench) -> None:
    b.window.close()
    b.ctx.wait()
    b.station.close()


# --------------------------------------------------------------------------- the player


@dataclass(frozen=True)
class Press:
    """One key, sent to the widget with the focus; the player waits for idle after it."""

    key: K | str
    modifiers: Qt.KeyboardModifier = NO_MOD
    label: str = ""


Script = Iterator[Press]


@dataclass
class KeyRecord:
    sent: float  # perf_counter() just before the key was dispatched
    dispatch_ms: float  # time inside QTest.keyClick: the app's synchronous key handling
    idle: float  # perf_counter() when the worker was idle again and results delivered
    label: str


@dataclass
class PlayLog:
    """What the player did. ``record=False`` keeps counts only, so that a memory benchmark
    does not measure its own log (a record per key is ~60 objects per inspection)."""

    record: bool = True
    keys: list[KeyRecord] = field(default_factory=list)
    driver_ms: list[float] = field(default_factory=list)  # the script's own time per step
    played: int = 0  # keys sent
    # Items where no widget had the keyboard focus when the script came to answer them
    # (an app bug: keys typed then go nowhere); the script puts the focus back itself.
    focus_lost: list[str] = field(default_factory=list)


class ScriptError(RuntimeError):
    pass


def text_keys(text: str, label: str) -> Script:
    for ch in text:
        yield Press(ch, NO_MOD, label)


class ScriptPlayer(QObject):
    """Plays a script of key presses from the event loop (see the module docstring)."""

    def __init__(self, ctx: UiContext, log: PlayLog | None = None, gap_ms: int = 0):
        super().__init__()
        self.ctx = ctx
        self.log = log if log is not None else PlayLog()
        self.gap_ms = gap_ms
        self._script: Script | None = None
        self._loop: QEventLoop | None = None
        self._error: BaseException | None = None
        self._idle_turns = 0
        self._pending_key: KeyRecord | None = None
        self._deadline = 0.0
        self._errors_seen = 0

    def play(self, script: Script, timeout_s: float = 120.0) -> None:
        self._script, self._error = script, None
        self._errors_seen = len(self.ctx.errors.shown)
        self._deadline = time.perf_counter() + timeout_s
        self._loop = QEventLoop()
        QTimer.singleShot(0, self._wait_idle)
        self._loop.exec()
        self._loop = None
        if self._error is not None:
            raise self._error

    def _fail(self, exc: BaseException) -> None:
        self._error = exc
        if self._loop is not None:
            self._loop.quit()

    def _wait_idle(self) -> None:
        try:
            if len(self.ctx.errors.shown) > self._errors_seen:
                exc = self.ctx.errors.shown[-1]
                raise ScriptError(f"the app reported an error: {type(exc).__name__}: {exc}")
            if time.perf_counter() > self._deadline:
                raise ScriptError(
                    f"timed out waiting for the worker ({self.ctx.pending} task(s) pending)"
                )
            if self.ctx.pending:
                self._idle_turns = 0
                QTimer.singleShot(1, self._wait_idle)
                return
            self._idle_turns += 1
            if self._idle_turns < 3:  # results delivered, and what they posted processed
                QTimer.singleShot(1, self._wait_idle)
                return
            self._idle_turns = 0
            if self._pending_key is not None:
                self._pending_key.idle = time.perf_counter()
                if self.log.record:
                    self.log.keys.append(self._pending_key)
                self._pending_key = None
            QTimer.singleShot(self.gap_ms, self._step)
        except BaseException as exc:
            self._fail(exc)

    def _step(self) -> None:
        try:
            assert self._script is not None
            t0 = time.perf_counter()
            try:
                press = next(self._script)
            except StopIteration:
                if self._loop is not None:
                    self._loop.quit()
                return
            target = QApplication.focusWidget()
            if not isinstance(target, QWidget):
                raise ScriptError(f"nothing has the keyboard focus for {press.label!r}")
            t1 = time.perf_counter()
            self.log.played += 1
            if self.log.record:
                self.log.driver_ms.append((t1 - t0) * 1000)
            if isinstance(press.key, str):
                QTest.keyClicks(target, press.key)
            else:
                QTest.keyClick(target, press.key, press.modifiers)
            t2 = time.perf_counter()
            self._pending_key = KeyRecord(t1, (t2 - t1) * 1000, 0.0, press.label)
            QTimer.singleShot(0, self._wait_idle)
        except BaseException as exc:
            self._fail(exc)


# --------------------------------------------------------------------------- the walk


def sign_in_keys(window: MainWindow, user: str) -> Script:
    window.login.username.setFocus()  # the login page puts it there; make sure
    yield from text_keys(user, "type user name")
    yield Press(K.Key_Return, label="user name Enter")
    yield from text_keys(PASSWORDS[user], "type password")
    yield Press(K.Key_Return, label="sign in")


def reading_for(item: MeasurementItem) -> str:
    lo, hi, nominal = item.lower, item.upper, item.nominal
    if nominal is not None and (lo is None or hi is None or lo < nominal < hi):
        value = nominal + (((hi or nominal + 1) - nominal) * 0.2)
    elif lo is not None and hi is not None:
        value = (lo + hi) / 2
    elif lo is not None:
        value = lo + max(abs(lo) * 0.4, 0.25)
    else:
        assert hi is not None
        value = hi - max(abs(hi) * 0.4, 0.25)
    return f"{value:.{item.decimals}f}"


def inspection_keys(window: MainWindow, n: int, fail: bool, log: PlayLog) -> Script:
    """One whole inspection by keys, from the start page to the start page again."""
    start, page, summary = window.start, window.checklist, window.summary
    if window.inspect.currentWidget() is not start:
        raise ScriptError("the walk must begin on the start page")
    yield from text_keys(f"JT-BW-{n:06d}|RG-SOL-0412|SNBW{n:06d}", "scan job ticket")
    yield Press(K.Key_Return, label="scan Enter")
    yield Press(K.Key_Return, CTRL, "start inspection")
    if window.inspect.currentWidget() is not page or page.inspection is None:
        raise ScriptError(f"the checklist did not open (hint: {start.hint.text()!r})")
    failed = not fail
    seen: dict[tuple[str, int | None], int] = {}
    while window.inspect.currentWidget() is page:
        item = page.editor.item
        if item is None:
            raise ScriptError("the checklist shows no item")
        where = (item.id, page.editor.position)
        seen[where] = seen.get(where, 0) + 1
        if seen[where] > 2:
            raise ScriptError(f"stuck on item {where}")
        if QApplication.focusWidget() is None:
            # What a person would do with the mouse: click into the item (see PlayLog).
            log.focus_lost.append(f"inspection {n}, item {item.id}")
            page.editor.focus_entry()
        if item.photo_required or isinstance(item, PhotoItem):
            raise ScriptError(f"item {item.id} needs a photo: walk a stage without photo items")
        if isinstance(item, TextItem):
            # a text of the form its item asks for (a HUID), else a flask-like number
            yield from text_keys(item.example or f"F-{n % 1000}", "type text answer")
            yield Press(K.Key_Return, label="text Enter")
        elif isinstance(item, MeasurementItem):
            value = reading_for(item)
            for _ in range(item.readings):
                yield from text_keys(value, "type reading")
                yield Press(K.Key_Return, label="reading Enter")
        elif isinstance(item, ChoiceItem):
            index = item.options.index(item.acceptable[0])
            yield Press(str(index + 1), label="choose option")
        elif isinstance(item, PassFailItem):
            needs = item.on_fail.require
            if not failed and FollowUp.DEFECT in needs and FollowUp.PHOTO not in needs:
                failed = True
                yield Press(K.Key_F, label="fail (defect form opens)")
                yield Press(K.Key_Return, label="save defect")
            else:
                yield Press(K.Key_P, label="pass")
        else:
            raise ScriptError(f"no key for an item of kind {type(item).__name__}")
    if window.inspect.currentWidget() is not summary or summary.missing.count():
        raise ScriptError("the summary did not show a complete checklist")
    yield Press(K.Key_Return, CTRL, "complete")
    if summary.done is None:
        raise ScriptError("the inspection did not complete")
    yield Press(K.Key_Return, label="next piece")
    if window.inspect.currentWidget() is not start:
        raise ScriptError("Enter after completing did not go to the next piece")


def sign_in(
    b: Bench, player: ScriptPlayer, user: str = "ines", stage: Stage = Stage.CASTING
) -> None:
    """Sign in by keys; leave a reopened unfinished inspection; choose the stage (untimed)."""
    player.play(sign_in_keys(b.window, user))
    w = b.window
    if w.top.currentWidget() is not w.workspace:
        raise ScriptError(f"sign-in failed: {w.login.message.text()!r}")
    if w.inspect.currentWidget() is not w.start:  # the demo's unfinished inspection reopened
        w.next_piece()
    w.start.stage.setCurrentIndex(w.start.stage.findData(stage.value))
    w.start.scan.setFocus()
    player.play(iter(()))  # wait for the template to load


def walk(
    b: Bench,
    player: ScriptPlayer,
    count: int,
    first: int = 0,
    fail_every: int = 0,
    after_each: Callable[[int], None] | None = None,
) -> None:
    """``count`` inspections, numbered from ``first``; ``after_each(n)`` between them."""
    for n in range(first, first + count):
        fail = fail_every > 0 and n % fail_every == fail_every - 1
        player.play(inspection_keys(b.window, n, fail, player.log))
        if after_each is not None:
            after_each(n)


def machine_qt() -> str:
    from PySide6 import __version__ as pyside

    app = QApplication.instance()
    platform = app.platformName() if isinstance(app, QApplication) else "?"
    return f"PySide6 {pyside}, Qt platform {platform}, python {sys.version.split()[0]}"
